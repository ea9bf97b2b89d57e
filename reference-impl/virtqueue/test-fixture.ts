/**
 * Test helpers for the ring engine: a driver/device pair over fresh guest
 * memory, and raw writers that craft ring memory the way a faulty peer
 * would. Used by the tests of this folder only.
 *
 * @module
 */

import {
  pvirtq_desc,
  virtq_desc,
  virtqAvailRingEntryOffset,
  virtqUsedRingEntryOffset,
} from '../../specs/virtqueue/index.js';
import { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import { PackedDeviceQueue } from './packed-device.js';
import { PackedDriverQueue } from './packed-driver.js';
import {
  allocateIndirectArea,
  allocatePackedRing,
  allocateSplitRing,
  type DeviceQueueOptions,
  type VirtqueueFeatures,
  type VirtqueueLayout,
} from './queue-config.js';
import { SplitDeviceQueue } from './split-device.js';
import { SplitDriverQueue } from './split-driver.js';

/** Options of {@link makePair}. */
export interface PairOptions extends VirtqueueFeatures {
  readonly size: number;
  readonly initialIndex?: number;
  readonly indirectMaxEntries?: number;
  readonly callback?: boolean;
  /** @default 1 MiB */
  readonly memorySize?: number;
}

/** A driver and a device sharing one ring, plus a buffer area. */
export interface Pair<D, V> {
  readonly mem: GuestMemory;
  readonly layout: VirtqueueLayout;
  readonly driver: D;
  readonly device: V;
  /** Start of a buffer area: `bufferAddr(i)` is 2 KiB slot `i`. */
  readonly bufferAddr: (i: number) => number;
  readonly deviceOptions: DeviceQueueOptions;
}

function build(format: 'split' | 'packed', o: PairOptions) {
  const mem = new GuestMemory(o.memorySize ?? 1 << 20);
  const alloc = new GuestAllocator(mem, 0x100);
  const layout = format === 'split' ? allocateSplitRing(alloc, o.size) : allocatePackedRing(alloc, o.size);
  const maxEntries = o.indirectMaxEntries ?? Math.min(o.size, 8);
  const indirectArea = o.indirect && maxEntries >= 2 ? allocateIndirectArea(alloc, o.size, maxEntries) : undefined;
  const base = alloc.alloc(2048 * 64, 4096);
  const deviceOptions: DeviceQueueOptions = { ...layout, ...pick(o) };
  const driverOptions = {
    ...deviceOptions,
    ...(indirectArea === undefined ? {} : { indirectArea, indirectMaxEntries: maxEntries }),
    ...(o.callback === undefined ? {} : { callback: o.callback }),
  };
  return { mem, layout, deviceOptions, driverOptions, bufferAddr: (i: number) => base + 2048 * (i % 64) };
}

function pick(o: PairOptions): VirtqueueFeatures & { initialIndex?: number } {
  return {
    eventIdx: o.eventIdx ?? false,
    indirect: o.indirect ?? false,
    inOrder: o.inOrder ?? false,
    ...(o.initialIndex === undefined ? {} : { initialIndex: o.initialIndex }),
  };
}

/** A split driver/device pair. */
export function makeSplitPair(o: PairOptions): Pair<SplitDriverQueue<number>, SplitDeviceQueue> {
  const b = build('split', o);
  const driver = new SplitDriverQueue<number>(b.mem, b.driverOptions);
  const device = SplitDeviceQueue.create(b.mem, b.deviceOptions);
  if (!(device instanceof SplitDeviceQueue)) throw new Error(device.message);
  return { ...b, driver, device };
}

/** A packed driver/device pair. */
export function makePackedPair(o: PairOptions): Pair<PackedDriverQueue<number>, PackedDeviceQueue> {
  const b = build('packed', o);
  const driver = new PackedDriverQueue<number>(b.mem, b.driverOptions);
  const device = PackedDeviceQueue.create(b.mem, b.deviceOptions);
  if (!(device instanceof PackedDeviceQueue)) throw new Error(device.message);
  return { ...b, driver, device };
}

/** Writes split descriptor `i` (addr as lo/hi u32 halves). */
export function writeSplitDesc(
  mem: GuestMemory,
  table: number,
  i: number,
  d: { lo: number; hi?: number; len: number; flags: number; next?: number },
): void {
  const at = table + 16 * i;
  mem.write32(at + virtq_desc.fields.addr.offset, d.lo);
  mem.write32(at + virtq_desc.fields.addr.offset + 4, d.hi ?? 0);
  mem.write32(at + virtq_desc.fields.len.offset, d.len);
  mem.write16(at + virtq_desc.fields.flags.offset, d.flags);
  mem.write16(at + virtq_desc.fields.next.offset, d.next ?? 0);
}

/** Puts `heads` into the avail ring from `avail->idx`'s current value and publishes them. */
export function publishSplit(mem: GuestMemory, layout: VirtqueueLayout, heads: readonly number[]): void {
  let idx = mem.read16(layout.driverAddr + 2);
  for (const h of heads) {
    mem.write16(layout.driverAddr + virtqAvailRingEntryOffset(idx % layout.size), h);
    idx = (idx + 1) & 0xffff;
  }
  mem.write16(layout.driverAddr + 2, idx);
}

/** Writes a used element at used-ring position `pos` and sets `used->idx` to `newIdx`. */
export function writeSplitUsed(mem: GuestMemory, layout: VirtqueueLayout, pos: number, id: number, len: number, newIdx: number): void {
  mem.write32(layout.deviceAddr + virtqUsedRingEntryOffset(pos % layout.size), id);
  mem.write32(layout.deviceAddr + virtqUsedRingEntryOffset(pos % layout.size) + 4, len);
  mem.write16(layout.deviceAddr + 2, newIdx);
}

/** Writes packed descriptor slot `i` (flags last). */
export function writePackedDesc(
  mem: GuestMemory,
  ring: number,
  i: number,
  d: { lo: number; hi?: number; len: number; id: number; flags: number },
): void {
  const at = ring + 16 * i;
  mem.write32(at + pvirtq_desc.fields.addr.offset, d.lo);
  mem.write32(at + pvirtq_desc.fields.addr.offset + 4, d.hi ?? 0);
  mem.write32(at + pvirtq_desc.fields.len.offset, d.len);
  mem.write16(at + pvirtq_desc.fields.id.offset, d.id);
  mem.write16(at + pvirtq_desc.fields.flags.offset, d.flags);
}

/** Reads packed descriptor slot `i`. */
export function readPackedDesc(mem: GuestMemory, ring: number, i: number): { len: number; id: number; flags: number } {
  const at = ring + 16 * i;
  return {
    len: mem.read32(at + pvirtq_desc.fields.len.offset),
    id: mem.read16(at + pvirtq_desc.fields.id.offset),
    flags: mem.read16(at + pvirtq_desc.fields.flags.offset),
  };
}

/**
 * Literal reading of a RING_EVENT_FLAGS_DESC trigger (`packed.evsupp.any.1.*`):
 * whether the descriptor named by `offWrap` (offset bits 0–14, wrap bit 15)
 * sits at one of the absolute ring positions `from`..`to − 1`, walking them
 * one by one from a queue that started at slot 0 with wrap counter 1.
 */
export function packedEventAmong(offWrap: number, size: number, from: number, to: number): boolean {
  for (let pos = from; pos < to; pos++) {
    const wrap = Math.floor(pos / size) % 2 === 0 ? 1 : 0;
    if (pos % size === (offWrap & 0x7fff) && wrap === offWrap >>> 15) return true;
  }
  return false;
}

/**
 * Passes `n` one-descriptor buffers through a packed pair: the driver makes
 * each available, the device uses it, the driver collects it. No
 * notification decision is taken.
 */
export function cyclePacked(p: Pair<PackedDriverQueue<number>, PackedDeviceQueue>, n: number): void {
  for (let t = 0; t < n; t++) {
    p.driver.addBuffer(p.bufferAddr(t), 8, true, t);
    const c = p.device.pop();
    if (c === null || c.kind !== 'chain') throw new Error(`expected a chain, got ${JSON.stringify(c)}`);
    p.device.push(c, 0);
    const u = p.driver.getUsed();
    if (u === null || u.kind !== 'used' || u.token !== t) throw new Error(`expected token ${t} back, got ${JSON.stringify(u)}`);
  }
}
