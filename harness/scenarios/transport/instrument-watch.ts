/**
 * The driver-side view of the transport: every register access a driver under test makes to the
 * instrument (the reference device it is bound to) and every interrupt the instrument raises,
 * in one ordered log, with PCI BAR offsets named by the structure and common-config field they
 * hit. The watch wraps the instrument's own register object, so it sees exactly what reaches the
 * device — after any shim the driver's adapter puts in between.
 *
 * Also the instrument-side faults a driver-side check may show a driver: a device whose MSI-X
 * queue mappings all fail, and an MMIO device that sets undefined InterruptStatus bits.
 *
 * @module
 */

import { virtio_pci_common_cfg, type CommonCfgField, VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import { VIRTIO_MMIO_INTERRUPT_STATUS } from '../../../specs/transport/mmio.js';
import type { VirtioMmio } from '../../../reference-impl/transport/mmio.js';
import type { VirtioPciModern } from '../../../reference-impl/transport/pci-modern.js';
import type { AccessWidth } from '../../../reference-impl/transport/register-access.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';

/** Where a PCI BAR access landed. */
export type PciTarget =
  | { readonly region: 'common'; readonly field: CommonCfgField | null; readonly fieldOffset: number }
  | { readonly region: 'device' | 'isr' | 'notify' | 'msix' | 'other'; readonly at: number };

/** One entry of the log. */
export type WatchEntry =
  | { readonly kind: 'pci-bar'; readonly dir: 'read' | 'write'; readonly bar: number; readonly offset: number; readonly width: AccessWidth; value: number; readonly target: PciTarget; readonly queue: number }
  | { readonly kind: 'pci-config'; readonly dir: 'read' | 'write'; readonly offset: number; readonly width: AccessWidth; value: number }
  | { readonly kind: 'mmio'; readonly dir: 'read' | 'write'; readonly offset: number; readonly width: AccessWidth; value: number }
  | { readonly kind: 'irq'; readonly what: string; readonly asserted: boolean };

const COMMON = Object.entries(virtio_pci_common_cfg.fields) as [CommonCfgField, { offset: number; size: number }][];

function commonField(offset: number): { field: CommonCfgField | null; fieldOffset: number } {
  for (const [field, f] of COMMON) if (offset >= f.offset && offset < f.offset + f.size) return { field, fieldOffset: offset - f.offset };
  return { field: null, fieldOffset: offset };
}

/** The ordered log of one instrument. */
export class InstrumentWatch {
  readonly log: WatchEntry[] = [];
  /** queue_select as last written by the driver (PCI), for attributing per-queue fields. */
  private queueSelect = 0;

  constructor(readonly device: ReferenceDeviceUnderTest) {
    const ref = device.reference;
    if (ref.transport === 'pci') this.wrapPci(ref.registers as VirtioPciModern);
    else this.wrapMmio(ref.registers as VirtioMmio);
  }

  private target(regs: VirtioPciModern, bar: number, offset: number): PciTarget {
    const l = regs.layout;
    if (bar === l.virtioBar) {
      if (offset >= l.common.offset && offset < l.common.offset + 0x1000) return { region: 'common', ...commonField(offset - l.common.offset) };
      if (offset >= l.device.offset && offset < l.device.offset + 0x1000) return { region: 'device', at: offset - l.device.offset };
      if (offset === l.isr.offset) return { region: 'isr', at: 0 };
      if (offset >= l.notify.offset) return { region: 'notify', at: offset - l.notify.offset };
    }
    if (bar === l.msixBar) return { region: 'msix', at: offset };
    return { region: 'other', at: offset };
  }

  private wrapPci(regs: VirtioPciModern): void {
    const readBar = regs.readBar.bind(regs);
    const writeBar = regs.writeBar.bind(regs);
    const readConfig = regs.readConfig.bind(regs);
    const writeConfig = regs.writeConfig.bind(regs);
    regs.readBar = (bar, offset, width) => {
      const entry = { kind: 'pci-bar' as const, dir: 'read' as const, bar, offset, width, value: 0, target: this.target(regs, bar, offset), queue: this.queueSelect };
      this.log.push(entry);
      entry.value = readBar(bar, offset, width);
      return entry.value;
    };
    regs.writeBar = (bar, offset, width, value) => {
      const target = this.target(regs, bar, offset);
      if (target.region === 'common' && target.field === 'queue_select') this.queueSelect = value & 0xffff;
      this.log.push({ kind: 'pci-bar', dir: 'write', bar, offset, width, value: value >>> 0, target, queue: this.queueSelect });
      writeBar(bar, offset, width, value);
    };
    regs.readConfig = (offset, width) => {
      const entry = { kind: 'pci-config' as const, dir: 'read' as const, offset, width, value: 0 };
      this.log.push(entry);
      entry.value = readConfig(offset, width);
      return entry.value;
    };
    regs.writeConfig = (offset, width, value) => {
      this.log.push({ kind: 'pci-config', dir: 'write', offset, width, value: value >>> 0 });
      writeConfig(offset, width, value);
    };
    regs.onInterrupt((i) => this.log.push({ kind: 'irq', what: i.kind === 'msix' ? `msix ${i.vector}` : 'intx', asserted: i.kind === 'msix' || i.asserted }));
  }

  private wrapMmio(regs: VirtioMmio): void {
    const read = regs.read.bind(regs);
    const write = regs.write.bind(regs);
    regs.read = (offset, width) => {
      const entry = { kind: 'mmio' as const, dir: 'read' as const, offset, width, value: 0 };
      this.log.push(entry);
      entry.value = read(offset, width);
      return entry.value;
    };
    regs.write = (offset, width, value) => {
      this.log.push({ kind: 'mmio', dir: 'write', offset, width, value: value >>> 0 });
      write(offset, width, value);
    };
    regs.onInterrupt((i) => this.log.push({ kind: 'irq', what: 'line', asserted: i.asserted }));
  }

  /** Driver violations the instrument logged whose clause is in `clauses`. */
  violations(clauses: readonly string[]): readonly { clause: string; message: string }[] {
    const out: { clause: string; message: string }[] = [];
    for (const e of this.device.reference.events.events) {
      if (e.kind === 'driver-violation' && e.clause !== null && clauses.includes(e.clause)) out.push({ clause: e.clause, message: e.message });
    }
    return out;
  }
}

/**
 * Makes every queue_msix_vector mapping of the instrument fail (read back NO_VECTOR), as a device
 * short of interrupt resources may (`pci.msix.device.9`); config_msix_vector still maps.
 */
export function failQueueVectors(device: ReferenceDeviceUnderTest): void {
  const ref = device.reference;
  if (ref.transport !== 'pci') return;
  const regs = ref.registers as VirtioPciModern;
  const at = regs.layout.common.offset + virtio_pci_common_cfg.fields.queue_msix_vector.offset;
  const writeBar = regs.writeBar.bind(regs);
  regs.writeBar = (bar, offset, width, value) => writeBar(bar, offset, width, bar === regs.layout.virtioBar && offset === at ? VIRTIO_MSI_NO_VECTOR : value);
}

/** Undefined InterruptStatus bits the instrument shows next to real events. */
export const UNDEFINED_INTERRUPT_BITS = 0x8000_0004;

/** Makes the MMIO instrument show {@link UNDEFINED_INTERRUPT_BITS} whenever an event is pending (`mmio.reg.driver.18`). */
export function showUndefinedInterruptBits(device: ReferenceDeviceUnderTest): void {
  const ref = device.reference;
  if (ref.transport !== 'mmio') return;
  const regs = ref.registers as VirtioMmio;
  const read = regs.read.bind(regs);
  regs.read = (offset, width) => {
    const value = read(offset, width);
    return offset === VIRTIO_MMIO_INTERRUPT_STATUS && width === 4 && value !== 0 ? (value | UNDEFINED_INTERRUPT_BITS) >>> 0 : value;
  };
}

/** Makes the PCI instrument show `byte` at configuration-space `offset`, whatever access covers it. */
function showPciConfigByte(regs: VirtioPciModern, offset: number, byte: number): void {
  const read = regs.readConfig.bind(regs);
  regs.readConfig = (at, width) => {
    const value = read(at, width);
    if (offset < at || offset >= at + width) return value;
    const shift = 8 * (offset - at);
    return ((value & ~(0xff << shift)) | ((byte & 0xff) << shift)) >>> 0;
  };
}

/**
 * Makes the PCI instrument announce `vectors` MSI-X vectors (Table Size field `vectors − 1`, at
 * most the table it has), as a device with a smaller table would (`pci.msix.driver.1`).
 */
export function showMsixTableSize(device: ReferenceDeviceUnderTest, vectors: number): void {
  const ref = device.reference;
  if (ref.transport !== 'pci') return;
  const regs = ref.registers as VirtioPciModern;
  const at = regs.layout.caps.msix;
  if (at < 0) return;
  const field = Math.max(0, Math.min(vectors, regs.layout.msixVectors) - 1);
  showPciConfigByte(regs, at + 2, field & 0xff);
  const read = regs.readConfig.bind(regs);
  // Bits 8..10 of Message Control hold the rest of the field; bits 14..15 stay the device's.
  regs.readConfig = (offset, width) => {
    const value = read(offset, width);
    const hi = at + 3;
    if (hi < offset || hi >= offset + width) return value;
    const shift = 8 * (hi - offset);
    return ((value & ~(0x07 << shift)) | (((field >>> 8) & 0x07) << shift)) >>> 0;
  };
}

/** Takes the MSI-X capability out of the PCI instrument's capability list: a function without MSI-X. */
export function hideMsix(device: ReferenceDeviceUnderTest): void {
  const ref = device.reference;
  if (ref.transport !== 'pci') return;
  const regs = ref.registers as VirtioPciModern;
  const caps = regs.layout.caps;
  if (caps.msix < 0) return;
  const before = [caps.common, caps.notify, caps.isr, caps.device, caps.pciCfg].filter((c) => c >= 0 && c < caps.msix).sort((a, b) => b - a)[0];
  if (before !== undefined) showPciConfigByte(regs, before + 1, 0);
}
