/**
 * Property tests: a small, independent packed-ring driver and device (each
 * with its own wrap counters, written from the spec's pseudo-code in 2.8.21
 * and 2.8.22) run random interleavings with out-of-order use, in-order
 * batches, under-reported len and every event-suppression mode; the
 * observer must stay silent. Random bytes must never make it throw.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { vring_packed_need_event } from '../../specs/virtqueue/notification.js';
import { PackedRingObserver } from './packed-observer.js';
import { AVAIL, PackedRingImage, USED } from './fixtures/packed-ring-image.js';
import { F_EVENT_IDX, F_IN_ORDER, NEXT, WRITE } from './fixtures/split-ring-image.js';
import { RING_OBSERVER_RULES } from './ring-rules.js';

interface Taken {
  id: number;
  count: number;
  writable: { addr: number; len: number }[];
}

/** Deliberate faults the simulated sides can carry, each modelled on a real ring bug. */
type PackedBug = 'none' | 'missing-interrupt' | 'missing-kick' | 'device-wrap-early' | 'driver-wrap-late';

class PackedSim {
  readonly img: PackedRingImage;
  readonly obs: PackedRingObserver;
  readonly q: number;
  readonly eventIdx: boolean;
  readonly inOrder: boolean;
  // driver
  freeSlots: number;
  readonly freeIds: number[] = [];
  readonly sizeOf = new Map<number, number>();
  readonly driverOutstanding: number[] = [];
  usedSlot = 0;
  usedWrap = 1;
  // device
  readSlot = 0;
  readWrap = 1;
  readonly taken: Taken[] = [];

  constructor(
    q: number,
    features: bigint,
    readonly bug: PackedBug = 'none',
  ) {
    this.q = q;
    this.img = new PackedRingImage(q);
    this.obs = new PackedRingObserver(this.img.reader, this.img.options(features));
    this.eventIdx = (features & F_EVENT_IDX) !== 0n;
    this.inOrder = (features & F_IN_ORDER) !== 0n;
    this.freeSlots = q;
    for (let id = q - 1; id >= 0; id--) this.freeIds.push(id);
  }

  #flags(slot: number): number {
    return this.img.descFlags(slot);
  }

  /** Driver: makes a list of `r` readable then `w` writable elements available and decides on a kick. */
  add(r: number, w: number, seed: number, spurious: boolean): void {
    const n = Math.max(1, r + w);
    if (this.freeSlots < n || this.freeIds.length === 0) return;
    const id = this.freeIds.pop() as number;
    const late = this.bug === 'driver-wrap-late' && this.img.driverSlot === 0 ? { wrapOverride: this.img.driverWrap ^ 1 } : {};
    this.img.makeAvailable(id, Array.from({ length: n }, (_, k) => ({ len: 1 + ((seed + k) % 48), write: k >= r && w > 0 })), late);
    this.freeSlots -= n;
    this.sizeOf.set(id, n);
    this.driverOutstanding.push(id);
    const v = this.img.view;
    const evFlags = v.getUint16(this.img.deviceEventAddr + 2, true) & 3;
    const next = this.img.driverSlot;
    const need = evFlags === 0 || (evFlags === 2 && vring_packed_need_event(v.getUint16(this.img.deviceEventAddr, true), this.img.driverWrap, this.q, next, next - n));
    if ((need && this.bug !== 'missing-kick') || spurious) this.obs.onDriverNotify();
    this.obs.afterDriverStep();
  }

  /** Driver: takes used buffers back, as the 2.8.22 example does, and sets its event suppression. */
  reclaim(mode: number): void {
    for (;;) {
      const f = this.#flags(this.usedSlot);
      const used = (f & USED) !== 0 ? 1 : 0;
      const avail = (f & AVAIL) !== 0 ? 1 : 0;
      if (used !== this.usedWrap || avail !== this.usedWrap) break;
      const id = this.img.view.getUint16(this.img.descAddr + 16 * this.usedSlot + 12, true);
      const index = this.driverOutstanding.indexOf(id);
      const done = this.inOrder ? this.driverOutstanding.splice(0, index + 1) : this.driverOutstanding.splice(index, 1);
      let skip = 0;
      for (const d of done) {
        skip += this.sizeOf.get(d) as number;
        this.freeIds.push(d);
      }
      this.freeSlots += skip;
      this.usedSlot += skip;
      if (this.usedSlot >= this.q) {
        this.usedSlot -= this.q;
        this.usedWrap ^= 1;
      }
    }
    const kind = this.eventIdx ? mode % 3 : mode % 2;
    this.img.setDriverEvent(kind, kind === 2 ? this.usedSlot | (this.usedWrap << 15) : 0);
    this.obs.afterDriverStep();
  }

  /** Device: reads available lists in ring order, uses some, decides on a notification. */
  serve(pick: number, count: number, lenSeed: number, spurious: boolean, mode: number): void {
    const v = this.img.view;
    for (;;) {
      const f = this.#flags(this.readSlot);
      if (((f & AVAIL) !== 0 ? 1 : 0) !== this.readWrap || ((f & USED) !== 0 ? 1 : 0) === this.readWrap) break;
      const t: Taken = { id: 0, count: 0, writable: [] };
      for (;;) {
        const at = this.img.descAddr + 16 * this.readSlot;
        const flags = v.getUint16(at + 14, true);
        if ((flags & WRITE) !== 0) t.writable.push({ addr: v.getUint32(at, true), len: v.getUint32(at + 8, true) });
        t.id = v.getUint16(at + 12, true);
        t.count++;
        if (++this.readSlot === this.q) {
          this.readSlot = 0;
          this.readWrap ^= 1;
        }
        if ((flags & NEXT) === 0) break;
      }
      this.taken.push(t);
    }
    let advanced = 0;
    for (let c = 0; c < count && this.taken.length > 0; c++) {
      // IN_ORDER: sometimes one used descriptor for a batch of the oldest buffers.
      const batch = this.inOrder ? this.taken.splice(0, 1 + ((pick + c) % Math.min(2, this.taken.length))) : this.taken.splice((pick + c) % this.taken.length, 1);
      const last = batch[batch.length - 1] as Taken;
      const total = last.writable.reduce((s, b) => s + b.len, 0);
      for (const b of last.writable) this.img.mem.fill(0xee, b.addr, b.addr + b.len);
      const skip = batch.reduce((s, t) => s + t.count, 0);
      const early = this.bug === 'device-wrap-early' && this.img.deviceSlot === this.q - 1 ? this.img.deviceWrap ^ 1 : undefined;
      this.img.use(last.id, skip, total === 0 ? 0 : (lenSeed + c) % (total + 1), total > 0, early);
      advanced += skip;
    }
    const evFlags = v.getUint16(this.img.driverEventAddr + 2, true) & 3;
    const next = this.img.deviceSlot;
    const need = advanced > 0 && (evFlags === 0 || (evFlags === 2 && vring_packed_need_event(v.getUint16(this.img.driverEventAddr, true), this.img.deviceWrap, this.q, next, next - advanced)));
    if ((need && this.bug !== 'missing-interrupt') || spurious) this.obs.onUsedBufferNotification();
    const kind = this.eventIdx ? mode % 3 : mode % 2;
    this.img.setDeviceEvent(kind, kind === 2 ? this.readSlot | (this.readWrap << 15) : 0);
    this.obs.afterDeviceStep();
  }
}

const op = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(1000), fc.nat(1000), fc.boolean());

describe('packed observer: properties', () => {
  test.prop(
    [
      fc.constantFrom(1, 2, 3, 4, 5, 8),
      fc.constantFrom(0n, F_EVENT_IDX, F_IN_ORDER, F_EVENT_IDX | F_IN_ORDER),
      fc.array(op, { minLength: 20, maxLength: 200, size: 'max' }),
    ],
    { numRuns: 150 },
  )('a conforming driver and device, in any interleaving, produce no finding', (q, features, ops) => {
    const sim = new PackedSim(q, features);
    let used = 0;
    for (const [kind, a, b, flag] of ops) {
      if (kind === 0) sim.add(a % 3, b % 3, a + b, flag && a % 5 === 0);
      else if (kind === 1) sim.reclaim(a);
      else {
        const before = sim.obs.positions.device;
        sim.serve(a, 1 + (b % 3), a * 7 + b, flag && b % 7 === 0, a + b);
        used += sim.obs.positions.device - before;
      }
    }
    expect(sim.obs.findings).toEqual([]);
    expect(sim.obs.positions.device).toBe(used);
    expect(sim.obs.outstandingIds.length).toBe(sim.taken.length + pendingLists(sim));
  });

  test.each([
    ['missing-interrupt', 'ring.packed.device-notify'],
    ['missing-kick', 'ring.packed.driver-notify'],
    ['device-wrap-early', 'ring.packed.used-wrap'],
    ['driver-wrap-late', 'ring.packed.avail-wrap'],
  ] as const)('a simulated side with the bug %s is caught by %s', (bug, rule) => {
    const sim = new PackedSim(3, 0n, bug);
    for (let round = 0; round < 10; round++) {
      sim.add(1, 0, 11 * round + 2, false);
      sim.serve(0, 1, 5, false, 0);
      sim.reclaim(0);
    }
    expect(sim.obs.findings.map((f) => (f.kind === 'violation' ? f.rule : f.kind))).toContain(rule);
  });

  test.prop(
    [
      fc.constantFrom(1, 3, 4, 8),
      fc.constantFrom(0n, F_EVENT_IDX, F_IN_ORDER),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0x1fff }), fc.nat(255), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 300 }),
    ],
    { numRuns: 200 },
  )('random bytes in ring memory never make the observer throw, and every finding names a registered rule', (q, features, writes) => {
    const img = new PackedRingImage(q);
    const obs = new PackedRingObserver(img.reader, img.options(features));
    for (const [addr, value, hook] of writes) {
      img.mem[0x1000 + addr] = value;
      if (hook === 0) obs.checkpoint('driver');
      else if (hook === 1) obs.afterDeviceStep();
      else if (hook === 2) obs.afterDriverStep();
      else if (hook === 3) obs.onDriverNotify(value << 16);
      else obs.onUsedBufferNotification();
    }
    const ids = new Set(RING_OBSERVER_RULES.map((r) => r.id));
    for (const f of obs.findings) {
      if (f.kind === 'violation') {
        expect(ids.has(f.rule)).toBe(true);
        expect(f.clauses).toContain(f.clause);
      }
    }
  });
});

/** Lists made available that the device has not read yet. */
function pendingLists(sim: PackedSim): number {
  let n = 0;
  let pos = sim.readSlot + (sim.readWrap === 1 ? 0 : sim.q);
  const end = sim.img.driverSlot + (sim.img.driverWrap === 1 ? 0 : sim.q);
  while (pos !== end) {
    const slot = pos % sim.q;
    if ((sim.img.descFlags(slot) & NEXT) === 0) n++;
    pos = (pos + 1) % (2 * sim.q);
  }
  return n;
}
