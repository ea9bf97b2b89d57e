/**
 * The firmware's share of PCI on q35, done over qtest: configuration mechanism #1 (address to
 * port 0xCF8, data through 0xCFC..0xCFF; ECAM stays off without firmware programming PCIEXBAR, and
 * the virtio capabilities sit in the first 256 bytes anyway), the bus-0 scan, and BAR assignment
 * (qemu-qtest.md §2.1). Each access is an address write and a data access sent back to back on
 * the pipelined qtest connection, so concurrent callers never interleave inside one access.
 *
 * @module
 */

import type { AccessWidth } from '../../../reference-impl/transport/register-access.js';
import type { QtestClient } from './qtest-client.js';

/** The configuration address port. */
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
/** The configuration data port. */
export const PCI_CONFIG_DATA_PORT = 0xcfc;
/** Configuration space reachable through mechanism #1. */
export const PCI_CONFIG_SPACE_SIZE = 0x100;
/** Start of the window BARs are assigned from (inside q35's 32-bit PCI hole, below the IOAPIC). */
export const PCI_MMIO_WINDOW_BASE = 0xe000_0000;
/** End of that window (exclusive). */
export const PCI_MMIO_WINDOW_END = 0xfe00_0000;

/** A function's bus/device/function numbers. */
export interface PciBdf {
  readonly bus: number;
  readonly device: number;
  readonly fn: number;
}

/** The value written to 0xCF8 for `offset` of `bdf`: enable bit, BDF, dword-aligned register. */
export function pciConfigAddress(bdf: PciBdf, offset: number): number {
  return (0x8000_0000 | (bdf.bus << 16) | (bdf.device << 11) | (bdf.fn << 8) | (offset & 0xfc)) >>> 0;
}

function checkAccess(offset: number, width: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + width > PCI_CONFIG_SPACE_SIZE) {
    throw new RangeError(`PCI config access of ${width} bytes at ${offset} outside the 256 bytes mechanism #1 reaches`);
  }
}

/**
 * Reads `width` bytes of configuration space. An access that crosses a dword boundary is split
 * into bytes, as a CPU's port accesses would be.
 */
export async function pciConfigRead(qtest: QtestClient, bdf: PciBdf, offset: number, width: AccessWidth): Promise<number> {
  checkAccess(offset, width);
  if ((offset & 3) + width > 4) {
    const bytes = await Promise.all(Array.from({ length: width }, (_, i) => pciConfigRead(qtest, bdf, offset + i, 1)));
    return bytes.reduce((acc, b, i) => acc + b * 2 ** (8 * i), 0);
  }
  void qtest.outl(PCI_CONFIG_ADDRESS_PORT, pciConfigAddress(bdf, offset));
  const port = PCI_CONFIG_DATA_PORT + (offset & 3);
  return width === 1 ? qtest.inb(port) : width === 2 ? qtest.inw(port) : qtest.inl(port);
}

/** Writes `width` bytes of configuration space (split into bytes across a dword boundary). */
export async function pciConfigWrite(qtest: QtestClient, bdf: PciBdf, offset: number, width: AccessWidth, value: number): Promise<void> {
  checkAccess(offset, width);
  if ((offset & 3) + width > 4) {
    await Promise.all(Array.from({ length: width }, (_, i) => pciConfigWrite(qtest, bdf, offset + i, 1, Math.floor(value / 2 ** (8 * i)) & 0xff)));
    return;
  }
  void qtest.outl(PCI_CONFIG_ADDRESS_PORT, pciConfigAddress(bdf, offset));
  const port = PCI_CONFIG_DATA_PORT + (offset & 3);
  return width === 1 ? qtest.outb(port, value) : width === 2 ? qtest.outw(port, value) : qtest.outl(port, value);
}

/** A function found on the bus. */
export interface PciFunctionId extends PciBdf {
  readonly vendorId: number;
  readonly deviceId: number;
}

/**
 * Functions 0 of every device on bus 0 (and functions 1..7 of multi-function devices), in one
 * pipelined batch per stage.
 */
export async function scanBus0(qtest: QtestClient): Promise<readonly PciFunctionId[]> {
  const ids = await Promise.all(Array.from({ length: 32 }, (_, device) => pciConfigRead(qtest, { bus: 0, device, fn: 0 }, 0, 4)));
  const present = ids.flatMap((id, device) => (id === 0xffff_ffff ? [] : [{ device, id }]));
  const headers = await Promise.all(present.map(({ device }) => pciConfigRead(qtest, { bus: 0, device, fn: 0 }, 0x0e, 1)));
  const candidates: PciBdf[] = [];
  present.forEach(({ device }, i) => {
    candidates.push({ bus: 0, device, fn: 0 });
    if (((headers[i] as number) & 0x80) !== 0) for (let fn = 1; fn < 8; fn++) candidates.push({ bus: 0, device, fn });
  });
  const all = await Promise.all(candidates.map((bdf) => pciConfigRead(qtest, bdf, 0, 4)));
  return candidates.flatMap((bdf, i) => {
    const id = all[i] as number;
    return id === 0xffff_ffff ? [] : [{ ...bdf, vendorId: id & 0xffff, deviceId: id >>> 16 }];
  });
}

/** One BAR as assigned. */
export interface PciBarAssignment {
  readonly bar: number;
  /** Bus address of the BAR (0 for an unassigned I/O BAR). */
  readonly base: number;
  readonly size: number;
  readonly io: boolean;
  readonly is64: boolean;
  readonly prefetchable: boolean;
}

/**
 * Sizes every BAR of `bdf` and assigns the memory BARs naturally aligned from `window` upward
 * (high halves 0). I/O BARs are sized but left unassigned: modern virtio-pci does not use them.
 * Leaves the command register as it was (the driver enables memory space and bus mastering).
 * @throws RangeError when the window is too small.
 */
export async function assignBars(
  qtest: QtestClient,
  bdf: PciBdf,
  window: { readonly base: number; readonly end: number } = { base: PCI_MMIO_WINDOW_BASE, end: PCI_MMIO_WINDOW_END },
): Promise<readonly PciBarAssignment[]> {
  const out: PciBarAssignment[] = [];
  let next = window.base;
  for (let bar = 0; bar < 6; bar++) {
    const reg = 0x10 + 4 * bar;
    const orig = await pciConfigRead(qtest, bdf, reg, 4);
    const io = (orig & 1) !== 0;
    const is64 = !io && ((orig >>> 1) & 3) === 2 && bar < 5;
    void pciConfigWrite(qtest, bdf, reg, 4, 0xffff_ffff);
    const mask = await pciConfigRead(qtest, bdf, reg, 4);
    let hiMask = 0;
    if (is64) {
      void pciConfigWrite(qtest, bdf, reg + 4, 4, 0xffff_ffff);
      hiMask = await pciConfigRead(qtest, bdf, reg + 4, 4);
    }
    const low = (mask & (io ? ~3 : ~0xf)) >>> 0;
    const size = low === 0 ? 0 : io ? ((~low & 0xffff) + 1) & 0xffff : hiMask !== 0xffff_ffff && is64 ? 0 : ((~low >>> 0) + 1) >>> 0;
    if (size === 0 || io) {
      await pciConfigWrite(qtest, bdf, reg, 4, orig);
      if (is64) await pciConfigWrite(qtest, bdf, reg + 4, 4, 0);
      if (size !== 0) out.push({ bar, base: 0, size, io, is64, prefetchable: false });
      if (is64) bar++;
      continue;
    }
    const base = Math.ceil(next / size) * size;
    if (base + size > window.end) throw new RangeError(`BAR ${bar} of ${size} bytes does not fit below ${window.end.toString(16)}`);
    next = base + size;
    void pciConfigWrite(qtest, bdf, reg, 4, base);
    if (is64) void pciConfigWrite(qtest, bdf, reg + 4, 4, 0);
    await qtest.sync();
    out.push({ bar, base, size, io, is64, prefetchable: (orig & 8) !== 0 });
    if (is64) bar++;
  }
  return out;
}

/** The MSI-X capability as the adapter needs it for interrupt interception. */
export interface PciMsixLocation {
  /** Capability offset in configuration space. */
  readonly cap: number;
  readonly tableSize: number;
  readonly tableBar: number;
  readonly tableOffset: number;
}

/** Walks the capability list (at most 48 entries) for MSI-X (ID 0x11); null when absent. */
export async function findMsix(qtest: QtestClient, bdf: PciBdf): Promise<PciMsixLocation | null> {
  if (((await pciConfigRead(qtest, bdf, 0x06, 2)) & 0x10) === 0) return null;
  let pos = (await pciConfigRead(qtest, bdf, 0x34, 1)) & ~3;
  for (let ttl = 48; ttl > 0 && pos >= 0x40; ttl--) {
    const header = await pciConfigRead(qtest, bdf, pos, 2);
    if ((header & 0xff) === 0x11) {
      const control = await pciConfigRead(qtest, bdf, pos + 2, 2);
      const table = await pciConfigRead(qtest, bdf, pos + 4, 4);
      return { cap: pos, tableSize: (control & 0x7ff) + 1, tableBar: table & 7, tableOffset: (table & ~7) >>> 0 };
    }
    pos = (header >>> 8) & ~3;
  }
  return null;
}

/** Where a virtio-pci function's notification structure lives (its `VIRTIO_PCI_CAP_NOTIFY_CFG`). */
export interface PciNotifyLocation {
  readonly bar: number;
  readonly offset: number;
  readonly length: number;
}

/** The first notify capability (vendor capability 0x09, cfg_type 2), or null. */
export async function findVirtioNotify(qtest: QtestClient, bdf: PciBdf): Promise<PciNotifyLocation | null> {
  if (((await pciConfigRead(qtest, bdf, 0x06, 2)) & 0x10) === 0) return null;
  let pos = (await pciConfigRead(qtest, bdf, 0x34, 1)) & ~3;
  for (let ttl = 48; ttl > 0 && pos >= 0x40; ttl--) {
    const header = await pciConfigRead(qtest, bdf, pos, 4);
    if ((header & 0xff) === 0x09 && ((header >>> 24) & 0xff) === 2) {
      const [bar, offset, length] = await Promise.all([pciConfigRead(qtest, bdf, pos + 4, 1), pciConfigRead(qtest, bdf, pos + 8, 4), pciConfigRead(qtest, bdf, pos + 12, 4)]);
      return { bar, offset, length };
    }
    pos = (header >>> 8) & 0xfc;
  }
  return null;
}
