/**
 * Test support for end-to-end runs: the reference device behind PCI or
 * MMIO, one guest memory, and the front end attached through the register
 * window only. {@link offerOverlay} sits on the register seam and changes
 * what the device *appears* to offer (feature bits hidden, config fields
 * replaced, also differently on later reads), which is how a property test
 * reaches offers the reference device itself refuses to make. Not part of
 * the API.
 *
 * @module
 */

import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { createReferenceNetDevice, type NetTransportKind, type ReferenceNetDevice } from '../../net/reference-net-device.js';
import type { AccessWidth, MmioRegisterAccess, PciRegisterAccess } from '../../transport/register-access.js';
import { type AttachResult, attachVirtioNet, type FrontEndOptions, type FrontEndTarget, VirtioNetFrontEnd } from './virtio-net-frontend.js';

/** Config field replacements: offset → the values successive reads return (the last one repeats). */
export type ConfigOverrides = ReadonlyMap<number, readonly number[]>;

/** What the overlay hides or replaces. */
export interface Overlay {
  /** Feature bits hidden from the device's offer. */
  readonly hideFeatures?: bigint;
  /** Device-config reads replaced, keyed by offset (exact offset and width of the field). */
  readonly config?: ConfigOverrides;
  /** When given, every device-config read is recorded here as `[offset, width]`. */
  readonly readLog?: [number, number][];
}

const PCI_COMMON_DFSELECT = 0x00;
const PCI_COMMON_DF = 0x04;
const MMIO_DEVICE_FEATURES = 0x010;
const MMIO_DEVICE_FEATURES_SEL = 0x014;
const MMIO_CONFIG = 0x100;

function configValue(o: Overlay, reads: Map<number, number>, offset: number, width: number): number | undefined {
  o.readLog?.push([offset, width]);
  const seq = o.config?.get(offset);
  if (seq === undefined || seq.length === 0) return undefined;
  const n = reads.get(offset) ?? 0;
  reads.set(offset, n + 1);
  return seq[Math.min(n, seq.length - 1)];
}

function hideWord(o: Overlay, select: number, value: number): number {
  const hide = Number(((o.hideFeatures ?? 0n) >> BigInt(32 * select)) & 0xffff_ffffn);
  return (value & ~hide) >>> 0;
}

/** Wraps a register window so that the device seems to offer something else. */
export function offerOverlay<T extends NetTransportKind>(device: ReferenceNetDevice<T>, o: Overlay): T extends 'pci' ? PciRegisterAccess : MmioRegisterAccess {
  const reads = new Map<number, number>();
  if (device.transport === 'pci') {
    const regs = device.registers as unknown as PciRegisterAccess & { layout: { virtioBar: number; common: { offset: number }; device: { offset: number } } };
    const L = regs.layout;
    let select = 0;
    const access: PciRegisterAccess = {
      readConfig: (offset, width) => regs.readConfig(offset, width),
      writeConfig: (offset, width, value) => regs.writeConfig(offset, width, value),
      readBar: (bar: number, offset: number, width: AccessWidth) => {
        const raw = regs.readBar(bar, offset, width) as number;
        if (bar !== L.virtioBar) return raw;
        if (offset === L.common.offset + PCI_COMMON_DF && width === 4) return hideWord(o, select, raw);
        if (offset >= L.device.offset && offset < L.device.offset + 0x100) return configValue(o, reads, offset - L.device.offset, width) ?? raw;
        return raw;
      },
      writeBar: (bar, offset, width, value) => {
        if (bar === L.virtioBar && offset === L.common.offset + PCI_COMMON_DFSELECT) select = value;
        return regs.writeBar(bar, offset, width, value);
      },
      onInterrupt: (l) => regs.onInterrupt(l),
    };
    return access as T extends 'pci' ? PciRegisterAccess : MmioRegisterAccess;
  }
  const regs = device.registers as unknown as MmioRegisterAccess;
  let select = 0;
  const access: MmioRegisterAccess = {
    read: (offset: number, width: AccessWidth) => {
      const raw = regs.read(offset, width) as number;
      if (offset === MMIO_DEVICE_FEATURES) return hideWord(o, select, raw);
      if (offset >= MMIO_CONFIG) return configValue(o, reads, offset - MMIO_CONFIG, width) ?? raw;
      return raw;
    },
    write: (offset, width, value) => {
      if (offset === MMIO_DEVICE_FEATURES_SEL) select = value;
      return regs.write(offset, width, value);
    },
    onInterrupt: (l) => regs.onInterrupt(l),
  };
  return access as T extends 'pci' ? PciRegisterAccess : MmioRegisterAccess;
}

/** A reference device and the memory it shares with the front end. */
export interface Bench<T extends NetTransportKind> {
  readonly memory: GuestMemory;
  readonly allocator: GuestAllocator;
  readonly device: ReferenceNetDevice<T>;
  /** Attaches the front end (through `overlay` when given). */
  attach(options?: FrontEndOptions, overlay?: Overlay): Promise<AttachResult>;
}

/** Builds the reference device from `config`. @throws Error when the device refuses the config (a test bug). */
export function bench<T extends NetTransportKind>(transport: T, config: unknown = {}, memorySize = 48 << 20): Bench<T> {
  const memory = new GuestMemory(memorySize);
  const allocator = new GuestAllocator(memory, 0x1000);
  const created = createReferenceNetDevice(config, { transport, memory });
  if (created.kind !== 'created') throw new Error(created.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const device = created.device;
  return {
    memory,
    allocator,
    device,
    attach: (options = {}, overlay) => {
      const registers = overlay === undefined ? device.registers : offerOverlay(device, overlay);
      const target = { transport, registers } as FrontEndTarget;
      return attachVirtioNet(target, memory, allocator, { control: { pollLimit: 200, timeoutMs: 2000 }, ...options });
    },
  };
}

/** Attaches and returns the front end. @throws Error when attaching fails (a test bug). */
export async function attached<T extends NetTransportKind>(b: Bench<T>, options?: FrontEndOptions): Promise<VirtioNetFrontEnd> {
  const r = await b.attach(options);
  if (r.kind !== 'attached') throw new Error(`${r.kind}: ${r.error.message}`);
  await r.frontEnd.settle();
  return r.frontEnd;
}

/** An Ethernet frame to `dst` of `len` bytes with a counting payload. */
export function ethFrame(dst: Uint8Array, len: number, seed = 0): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst.subarray(0, 6), 0);
  f.set([0x02, 0, 0, 0, 0, 0x99], 6);
  f[12] = 0x08;
  f[13] = 0x00;
  for (let i = 14; i < len; i++) f[i] = (i * 31 + seed) & 0xff;
  return f;
}
