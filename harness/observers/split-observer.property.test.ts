/**
 * Property tests: a small, independent split-ring driver and device (written
 * here from the spec's step lists, not from the observer) run random
 * interleavings with everything the spec leaves open — out-of-order use,
 * under-reported len, spurious and suppressed notifications, batched
 * publishing — and the observer must stay silent. Then random bytes are
 * thrown at the ring: the observer must never throw.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { SplitRingObserver } from './split-observer.js';
import { F_EVENT_IDX, F_IN_ORDER, NEXT, SplitRingImage, WRITE } from './fixtures/split-ring-image.js';
import { RING_OBSERVER_RULES } from './ring-rules.js';

/** Linux's vring_need_event, as the model's notification decision. */
const needEvent = (event: number, next: number, old: number) => ((next - event - 1) & 0xffff) < ((next - old) & 0xffff);

interface Chain {
  head: number;
  descs: number[];
  writable: { addr: number; len: number }[];
}

/** Deliberate faults the simulated sides can carry, each modelled on a real ring bug. */
type SplitBug = 'none' | 'missing-interrupt' | 'missing-kick' | 'len-after-idx' | 'index-before-descriptors';

class SplitSim {
  readonly img: SplitRingImage;
  readonly obs: SplitRingObserver;
  readonly free: number[] = [];
  #allocPtr = 0;
  #freeCount: number;
  readonly byHead = new Map<number, Chain>();
  pending = 0;
  kickOld = 0;
  lastUsed = 0;
  /** Device side: next avail entry to read, chains read and not yet used. */
  devAvail = 0;
  readonly taken: Chain[] = [];
  notifyOld = 0;
  readonly eventIdx: boolean;
  readonly inOrder: boolean;

  constructor(
    q: number,
    features: bigint,
    readonly bug: SplitBug = 'none',
  ) {
    this.img = new SplitRingImage(q);
    this.obs = new SplitRingObserver(this.img.reader, this.img.options(features));
    this.eventIdx = (features & F_EVENT_IDX) !== 0n;
    this.inOrder = (features & F_IN_ORDER) !== 0n;
    for (let i = q - 1; i >= 0; i--) this.free.push(i);
    this.#freeCount = q;
  }

  #alloc(): number {
    this.#freeCount--;
    if (this.inOrder) {
      const d = this.#allocPtr;
      this.#allocPtr = (d + 1) % this.img.q;
      return d;
    }
    return this.free.pop() as number;
  }

  #release(chain: Chain): void {
    this.#freeCount += chain.descs.length;
    if (!this.inOrder) this.free.push(...chain.descs);
  }

  /** Driver: builds a chain of `r` readable then `w` writable descriptors and places its head. */
  add(r: number, w: number, seed: number): void {
    const n = Math.max(1, r + w);
    if (this.#freeCount < n) return;
    const descs = Array.from({ length: n }, () => this.#alloc());
    const chain: Chain = { head: descs[0] as number, descs, writable: [] };
    if (this.bug === 'index-before-descriptors') {
      this.img.setAvailRing((this.img.availIdx + this.pending) % this.img.q, chain.head);
      this.img.setAvailIdx((this.img.availIdx + this.pending + 1) & 0xffff);
      this.obs.checkpoint('driver');
    }
    descs.forEach((d, k) => {
      const writable = k >= r && w > 0;
      const len = 1 + ((seed + 7 * k) % 64);
      const addr = this.img.bufAddr(d);
      if (writable) chain.writable.push({ addr, len });
      else this.img.mem.fill(seed & 0xff, addr, addr + len);
      this.img.desc(d, addr, len, (writable ? WRITE : 0) | (k < n - 1 ? NEXT : 0), descs[k + 1] ?? 0);
    });
    this.byHead.set(chain.head, chain);
    this.img.setAvailRing((this.img.availIdx + this.pending) % this.img.q, chain.head);
    this.pending++;
    this.obs.checkpoint('driver');
  }

  /** Driver: advances avail.idx over the placed heads and decides on a kick. */
  publish(spurious: boolean): void {
    this.img.availIdx = (this.img.availIdx + this.pending) & 0xffff;
    this.pending = 0;
    this.img.setAvailIdx(this.img.availIdx);
    const v = this.img.view;
    const next = this.img.availIdx;
    const need = this.eventIdx ? needEvent(v.getUint16(this.img.usedAddr + 4 + 8 * this.img.q, true), next, this.kickOld) : v.getUint16(this.img.usedAddr, true) === 0;
    this.kickOld = next;
    if ((need && this.bug !== 'missing-kick') || spurious) this.obs.onDriverNotify();
    this.obs.afterDriverStep();
  }

  /** Driver: takes used buffers back and sets its suppression hint. */
  reclaim(hint: number): void {
    const v = this.img.view;
    const usedIdx = v.getUint16(this.img.usedAddr + 2, true);
    while (this.lastUsed !== usedIdx) {
      const id = v.getUint32(this.img.usedAddr + 4 + 8 * (this.lastUsed % this.img.q), true);
      const chain = this.byHead.get(id) as Chain;
      this.byHead.delete(id);
      this.#release(chain);
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    if (this.eventIdx) this.img.setUsedEvent((this.lastUsed + (hint % 4)) & 0xffff);
    else this.img.setAvailFlags(hint % 3 === 0 ? 1 : 0);
    this.obs.afterDriverStep();
  }

  /** Device: reads newly available chains, uses some of them, decides on a notification. */
  serve(pick: number, count: number, lenSeed: number, spurious: boolean, hint: number): void {
    const v = this.img.view;
    const availIdx = v.getUint16(this.img.availAddr + 2, true);
    while (this.devAvail !== availIdx) {
      const head = v.getUint16(this.img.availAddr + 4 + 2 * (this.devAvail % this.img.q), true);
      this.taken.push(this.byHead.get(head) as Chain);
      this.devAvail = (this.devAvail + 1) & 0xffff;
    }
    for (let c = 0; c < count && this.taken.length > 0; c++) {
      const index = this.inOrder ? 0 : (pick + c) % this.taken.length;
      const [chain] = this.taken.splice(index, 1) as [Chain];
      const total = chain.writable.reduce((s, b) => s + b.len, 0);
      const len = total === 0 ? 0 : (lenSeed + c) % (total + 1); // may under-report
      for (const b of chain.writable) this.img.mem.fill(0xee, b.addr, b.addr + b.len);
      if (this.bug === 'len-after-idx') {
        this.img.use(chain.head, 0);
        this.obs.checkpoint('device');
        this.img.setUsedElem((this.img.usedIdx - 1) % this.img.q, chain.head, total);
        continue;
      }
      this.img.use(chain.head, len);
    }
    const next = this.img.usedIdx;
    const need = this.eventIdx ? needEvent(v.getUint16(this.img.availAddr + 4 + 2 * this.img.q, true), next, this.notifyOld) : v.getUint16(this.img.availAddr, true) === 0;
    if (next !== this.notifyOld || spurious) {
      if ((need && this.bug !== 'missing-interrupt') || spurious) this.obs.onUsedBufferNotification();
      this.notifyOld = next;
    }
    if (this.eventIdx) this.img.setAvailEvent((this.devAvail + (hint % 3)) & 0xffff);
    else this.img.setUsedFlags(hint % 4 === 0 ? 1 : 0);
    this.obs.afterDeviceStep();
  }
}

const op = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(1000), fc.nat(1000), fc.boolean());

describe('split observer: properties', () => {
  test.prop(
    [
      fc.constantFrom(1, 2, 4, 8),
      fc.constantFrom(0n, F_EVENT_IDX, F_IN_ORDER, F_EVENT_IDX | F_IN_ORDER),
      fc.array(op, { minLength: 20, maxLength: 200, size: 'max' }),
    ],
    { numRuns: 150 },
  )('a conforming driver and device, in any interleaving, produce no finding', (q, features, ops) => {
    const sim = new SplitSim(q, features);
    for (const [kind, a, b, flag] of ops) {
      if (kind === 0) sim.add(a % 3, b % 3, a + b);
      else if (kind === 1) sim.publish(flag && a % 5 === 0);
      else if (kind === 2) sim.reclaim(a);
      else sim.serve(a, 1 + (b % 3), a * 7 + b, flag && b % 7 === 0, a + b);
    }
    expect(sim.obs.findings).toEqual([]);
    expect([...sim.obs.outstandingHeads].sort()).toEqual([...sim.taken.map((c) => c.head), ...pendingHeads(sim)].sort());
  });

  test.each([
    ['missing-interrupt', 'ring.split.device-notify-flags'],
    ['missing-kick', 'ring.split.driver-notify-flags'],
    ['len-after-idx', 'ring.split.used-entry-unchanged'],
    ['index-before-descriptors', 'ring.split.published-unchanged'],
  ] as const)('a simulated side with the bug %s is caught by %s', (bug, rule) => {
    const sim = new SplitSim(4, 0n, bug);
    for (let round = 0; round < 10; round++) {
      sim.add(1, 1, 17 * round + 3);
      sim.publish(false);
      sim.serve(0, 1, 5, false, 1);
      sim.reclaim(1);
    }
    expect(sim.obs.findings.map((f) => (f.kind === 'violation' ? f.rule : f.kind))).toContain(rule);
  });

  test.prop(
    [
      fc.constantFrom(1, 4, 8),
      fc.constantFrom(0n, F_EVENT_IDX, F_IN_ORDER),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0x3fff }), fc.nat(255), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 300 }),
    ],
    { numRuns: 200 },
  )('random bytes in ring memory never make the observer throw, and every finding names a registered rule', (q, features, writes) => {
    const img = new SplitRingImage(q);
    const obs = new SplitRingObserver(img.reader, img.options(features));
    for (const [addr, value, hook] of writes) {
      img.mem[0x1000 + addr] = value;
      if (hook === 0) obs.checkpoint('driver');
      else if (hook === 1) obs.afterDeviceStep();
      else if (hook === 2) obs.afterDriverStep();
      else if (hook === 3) obs.onDriverNotify();
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

/** Heads the device has not read yet: published but still ahead of its avail cursor. */
function pendingHeads(sim: SplitSim): number[] {
  const v = sim.img.view;
  const out: number[] = [];
  for (let e = sim.devAvail; e !== sim.img.availIdx; e = (e + 1) & 0xffff) out.push(v.getUint16(sim.img.availAddr + 4 + 2 * (e % sim.img.q), true));
  return out;
}
