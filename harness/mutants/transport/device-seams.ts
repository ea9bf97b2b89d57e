/**
 * Where a transport device mutant breaks the reference: typed views of the register models'
 * private state (the mutant is the reference with one rule broken, so it reaches into exactly the
 * field that rule lives in) and small patches of the register seam itself.
 *
 * @module
 */

import type { InterruptDelivery } from '../../../reference-impl/device/events.js';
import type { TransportBinding } from '../../../reference-impl/device/transport-binding.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import type { VirtioMmio } from '../../../reference-impl/transport/mmio.js';
import type { PciModernLayout } from '../../../reference-impl/transport/pci-layout.js';
import type { VirtioPciModern } from '../../../reference-impl/transport/pci-modern.js';
import type { AccessWidth } from '../../../reference-impl/transport/register-access.js';

/** The private state of the PCI model a mutant changes. */
export interface PciInternals {
  readonly layout: PciModernLayout;
  isrValue: number;
  configVectorValue: number;
  readonly queueVectors: Uint16Array;
  mapVector(vector: number): number;
  signalVector(vector: number): InterruptDelivery;
  readIsr(): number;
  updateIntx(): InterruptDelivery;
  readConfig(offset: number, width: AccessWidth): number;
}

/** The private state of the MMIO model a mutant changes. */
export interface MmioInternals {
  interruptStatusValue: number;
  updateLine(): void;
  read(offset: number, width: AccessWidth): number;
  write(offset: number, width: AccessWidth, value: number): void;
}

/** The PCI model of `device`. @throws Error when it is not PCI (a mutant built for the wrong transport). */
export function pciOf(device: ReferenceNetDevice<'pci' | 'mmio'>): PciInternals {
  if (device.transport !== 'pci') throw new Error('this mutant breaks a PCI rule and needs the PCI transport');
  return device.registers as VirtioPciModern as unknown as PciInternals;
}

/** The MMIO model of `device`. @throws Error when it is not MMIO. */
export function mmioOf(device: ReferenceNetDevice<'pci' | 'mmio'>): MmioInternals {
  if (device.transport !== 'mmio') throw new Error('this mutant breaks an MMIO rule and needs the MMIO transport');
  return device.registers as VirtioMmio as unknown as MmioInternals;
}

/** The transport binding the core calls for interrupts and resets. */
export function bindingOf(device: ReferenceNetDevice<'pci' | 'mmio'>): TransportBinding {
  return (device.core as unknown as { binding: TransportBinding }).binding;
}

/** Makes PCI configuration space show `byte` at `offset`, whatever access covers it. */
export function showConfigByte(pci: PciInternals, offset: number, byte: number): void {
  const read = pci.readConfig.bind(pci);
  pci.readConfig = (at, width) => {
    const value = read(at, width);
    if (offset < at || offset >= at + width) return value;
    const shift = 8 * (offset - at);
    return ((value & ~(0xff << shift)) | ((byte & 0xff) << shift)) >>> 0;
  };
}

/** Makes PCI configuration space show the 32-bit `value` at `offset` (4 bytes). */
export function showConfigDword(pci: PciInternals, offset: number, value: number): void {
  for (let i = 0; i < 4; i++) showConfigByte(pci, offset + i, (value >>> (8 * i)) & 0xff);
}
