/**
 * Driver mutants at the register level: the reference front end bound to the device through a
 * shim that rewrites the few accesses a bug is about. To the device the pair is simply a driver
 * that touches its registers the wrong way; the front end itself is untouched.
 *
 * @module
 */

import { type CommonCfgField, virtio_pci_common_cfg } from '../../../specs/transport/pci.js';
import { findVirtioPciCapabilities, type VirtioPciCapabilities } from '../../../reference-impl/frontend/virtio/pci-capabilities.js';
import type { FrontEndOptions } from '../../../reference-impl/frontend/virtio-net/virtio-net-frontend.js';
import type { AccessWidth, MmioRegisterAccess, PciRegisterAccess } from '../../../reference-impl/transport/register-access.js';
import { ADAPTER_CONTRACT_VERSION, type DeviceRegisters, type DriverAdapter } from '../../adapters/contract.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';

/** Where a PCI BAR access of the front end lands, for a shim deciding what to rewrite. */
export interface PciHit {
  /** The common-config field hit, or null. */
  readonly field: CommonCfgField | null;
  /** Offset into the device-specific config, or −1. */
  readonly deviceOffset: number;
  /** Offset into the notification structure, or −1. */
  readonly notifyOffset: number;
  /** The capabilities the shim found (null when the walk failed). */
  readonly caps: VirtioPciCapabilities | null;
}

/** A PCI shim: each hook replaces one access (call `next` to pass an access through). */
export interface PciShim {
  readBar?(hit: PciHit, bar: number, offset: number, width: AccessWidth, next: PciRegisterAccess): Promise<number> | number;
  writeBar?(hit: PciHit, bar: number, offset: number, width: AccessWidth, value: number, next: PciRegisterAccess): Promise<void> | void;
}

/** An MMIO shim. */
export interface MmioShim {
  read?(offset: number, width: AccessWidth, next: MmioRegisterAccess): Promise<number> | number;
  write?(offset: number, width: AccessWidth, value: number, next: MmioRegisterAccess): Promise<void> | void;
}

const FIELDS = Object.entries(virtio_pci_common_cfg.fields) as [CommonCfgField, { offset: number; size: number }][];

/** The common-config offset of `field` in its BAR, given the capabilities. */
export function commonOffset(caps: VirtioPciCapabilities, field: CommonCfgField): number {
  return caps.common.offset + virtio_pci_common_cfg.fields[field].offset;
}

function shimPci(access: PciRegisterAccess, shim: PciShim): PciRegisterAccess {
  let caps: VirtioPciCapabilities | null = null;
  const hitOf = async (bar: number, offset: number): Promise<PciHit> => {
    if (caps === null) {
      const found = await findVirtioPciCapabilities(access);
      if (found.kind !== 'ok') return { field: null, deviceOffset: -1, notifyOffset: -1, caps: null };
      caps = found.value;
    }
    const c = caps;
    const inCommon = bar === c.common.bar && offset >= c.common.offset && offset < c.common.offset + c.common.length;
    const field = inCommon ? (FIELDS.find(([, f]) => offset - c.common.offset >= f.offset && offset - c.common.offset < f.offset + f.size)?.[0] ?? null) : null;
    const d = c.device;
    const deviceOffset = d !== null && bar === d.bar && offset >= d.offset && offset < d.offset + d.length ? offset - d.offset : -1;
    const n = c.notify;
    const notifyOffset = bar === n.bar && offset >= n.offset && offset < n.offset + n.length ? offset - n.offset : -1;
    return { field, deviceOffset, notifyOffset, caps: c };
  };
  return {
    readConfig: (o, w) => access.readConfig(o, w),
    writeConfig: (o, w, v) => access.writeConfig(o, w, v),
    onInterrupt: (l) => access.onInterrupt(l),
    async readBar(bar, offset, width) {
      if (shim.readBar === undefined) return access.readBar(bar, offset, width);
      return shim.readBar(await hitOf(bar, offset), bar, offset, width, access);
    },
    async writeBar(bar, offset, width, value) {
      if (shim.writeBar === undefined) return access.writeBar(bar, offset, width, value);
      return shim.writeBar(await hitOf(bar, offset), bar, offset, width, value, access);
    },
  };
}

function shimMmio(access: MmioRegisterAccess, shim: MmioShim): MmioRegisterAccess {
  return {
    onInterrupt: (l) => access.onInterrupt(l),
    read: (offset, width) => (shim.read === undefined ? access.read(offset, width) : shim.read(offset, width, access)),
    write: (offset, width, value) => (shim.write === undefined ? access.write(offset, width, value) : shim.write(offset, width, value, access)),
  };
}

/** The reference driver (with `frontEnd` options) behind a register shim (one per bound device: a shim may keep state). */
export function shimmedDriver(
  name: string,
  shims: { readonly pci?: () => PciShim; readonly mmio?: () => MmioShim },
  frontEnd?: FrontEndOptions,
): DriverAdapter {
  const inner = referenceDriverAdapter({ name, ...(frontEnd === undefined ? {} : { frontEnd }) });
  return {
    kind: 'driver',
    name,
    contractVersion: ADAPTER_CONTRACT_VERSION,
    transports: ['pci', 'mmio'],
    bind(bus) {
      const r = bus.registers;
      const registers: DeviceRegisters =
        r.transport === 'pci'
          ? { transport: 'pci', access: shims.pci === undefined ? r.access : shimPci(r.access, shims.pci()) }
          : { transport: 'mmio', access: shims.mmio === undefined ? r.access : shimMmio(r.access, shims.mmio()) };
      return inner.bind({ ...bus, registers });
    },
  };
}
