/**
 * Adversarial property: whatever bytes a driver leaves in ring memory, the
 * device side of the reference engine returns only valid chains, "nothing",
 * or typed ring errors; never throws, never walks past the queue size,
 * never hangs. Each pop is checked against an independent oracle
 * (`device-oracle.ts`) that predicts nothing / error / exactly which chain.
 *
 * Ring memory is filled three ways: raw random bytes; structured random
 * descriptors (addresses mostly inside memory, lengths, flags and next
 * indices from small domains, so that walks go deep); and a valid ring made
 * by the reference driver with a few random bytes changed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import {
  type DeviceChain,
  type DeviceRingError,
  type DeviceRingErrorCode,
  PackedDriverQueue,
  SplitDriverQueue,
} from '../../../reference-impl/virtqueue/index.js';
import { PackedDeviceOracle, type PopExpectation, type PredictedSegment, SplitDeviceOracle } from './device-oracle.js';
import { planRing, RING_SCENARIO_REGION_BYTES, type RingPlan, type RingScenarioConfig, ringQueueOptions, ringScenarioLabel } from './ring-config.js';
import { referenceRingEngine, type RingDeviceSide } from './ring-engine.js';
import { ringConfigArbitrary } from './ring-arbitrary.js';
import { bufferShape, stageBuffer } from './ring-steps.js';

const DEVICE_ERROR_CODES = new Set<string>([
  'queue-size-invalid', 'ring-address-invalid', 'avail-idx-jump', 'in-flight-exceeds-size', 'head-out-of-range',
  'head-in-flight', 'buffer-id-in-flight', 'chain-loop', 'chain-too-long', 'next-out-of-range', 'zero-length-descriptor',
  'address-out-of-range', 'writable-before-readable', 'indirect-not-negotiated', 'indirect-with-next', 'nested-indirect',
  'indirect-len-not-multiple-of-16', 'indirect-table-empty', 'indirect-in-chain', 'packed-desc-not-available',
] satisfies DeviceRingErrorCode[]);

/** Where structured fills put indirect tables: 8 tables of 8 entries at the start of the buffer regions. */
const TABLES = 8;

/** A configuration's memory, driver (for the "mutated valid ring" fill), device and oracle, reused across runs. */
interface Rig {
  readonly config: RingScenarioConfig;
  readonly plan: RingPlan;
  readonly mem: GuestMemory;
  readonly driver: SplitDriverQueue<number> | PackedDriverQueue<number>;
  readonly device: RingDeviceSide;
  readonly oracle: SplitDeviceOracle | PackedDeviceOracle;
  /** [start, end) of the driver-written ring areas and tables. */
  readonly areas: readonly (readonly [number, number])[];
  /** Typed-array element reads of guest memory so far, when counted. */
  readonly reads: { n: number } | null;
}

/**
 * Guest memory whose u8/u16/u32 views count element reads (through a Proxy),
 * so a test can bound how much ring memory one pop looks at. Slow; the
 * engine reads memory only through these views and the accessors built on them.
 */
function countingMemory(size: number, reads: { n: number }): GuestMemory {
  const mem = new GuestMemory(size);
  const count = <A extends Uint8Array | Uint16Array | Uint32Array>(a: A): A =>
    new Proxy(a, {
      get(target, prop) {
        if (typeof prop === 'string' && prop.length > 0 && prop.charCodeAt(0) >= 48 && prop.charCodeAt(0) <= 57) {
          reads.n++;
          return target[Number(prop)];
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
      set(target, prop, value) {
        return Reflect.set(target, prop, value, target);
      },
    });
  for (const view of ['u8', 'u16', 'u32'] as const) Object.defineProperty(mem, view, { value: count(mem[view]) });
  return mem;
}

const rigs = new Map<string, Rig>();

function rig(config: RingScenarioConfig, counted: boolean): Rig {
  const key = `${ringScenarioLabel(config)}${counted ? '/counted' : ''}`;
  const known = rigs.get(key);
  if (known !== undefined) return known;
  const plan = planRing(config);
  // 64 KiB of buffer space after the rings, so structured addresses mostly land inside memory.
  const bytes = Math.max(plan.memoryBytes, plan.regionBase + 0x10000);
  const reads = counted ? { n: 0 } : null;
  const mem = reads === null ? new GuestMemory(bytes) : countingMemory(bytes, reads);
  const l = plan.layout;
  const o = ringQueueOptions(config, plan);
  const driver = config.format === 'split' ? new SplitDriverQueue<number>(mem, o.driver) : new PackedDriverQueue<number>(mem, o.driver);
  const device = referenceRingEngine.createDevice(mem, config.format, o.device);
  if ('kind' in device) throw new Error(device.message);
  const oracle =
    config.format === 'split'
      ? new SplitDeviceOracle(mem.buffer, l, config.indirect, config.initialIndex ?? 0)
      : new PackedDeviceOracle(mem.buffer, l, config.indirect);
  const q = config.size;
  const ringEnd = config.format === 'split' ? l.driverAddr + 6 + 2 * q : l.descAddr + 16 * q;
  const areas: [number, number][] = [[l.descAddr, ringEnd], [plan.regionBase, plan.regionBase + TABLES * 128]];
  if (config.format === 'packed') areas.push([l.driverAddr, l.driverAddr + 4]);
  if (plan.indirectArea !== undefined) areas.push([plan.indirectArea, plan.indirectArea + q * plan.indirectEntries * 16]);
  const r: Rig = { config, plan, mem, driver, device, oracle, areas, reads };
  if (rigs.size >= 64) rigs.clear();
  rigs.set(key, r);
  return r;
}

/** xorshift32 over the run's seed words: the fills need more randomness than fast-check should generate. */
function prng(words: readonly number[]): () => number {
  let x = (words.reduce((h, w) => Math.imul(h ^ w, 0x01000193), 0x811c9dc5) | 0) || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Raw random bytes over every area; split avail.idx often lands inside the queue size. */
function fillBytes(r: Rig, next: () => number): void {
  for (const [from, to] of r.areas) for (let a = from; a < to; a++) r.mem.u8[a] = next();
  if (r.config.format === 'split' && (next() & 1) === 0) {
    r.mem.write16(r.plan.layout.driverAddr + 2, ((r.config.initialIndex ?? 0) + (next() % (r.config.size + 2))) & 0xffff);
  }
}

/** Structured random descriptors: small domains so that chains are often valid and walks go deep. */
function fillStructured(r: Rig, next: () => number): void {
  const q = r.config.size;
  const { layout: l, regionBase } = r.plan;
  const packed = r.config.format === 'packed';
  // Each fault has odds of about 1 in 16, so chains of a few descriptors are often valid.
  const desc = (at: number, inTable: boolean) => {
    const w = next();
    const pick = w & 15;
    const lo = pick < 13 ? regionBase + 64 * ((w >>> 4) & 0x3ff) : pick < 15 ? regionBase + 128 * ((w >>> 4) % TABLES) : (w & 0x100) !== 0 ? r.mem.size - ((w >>> 4) & 63) : next();
    const l2 = (w >>> 14) & 15;
    const len = l2 < 12 ? 1 + ((w >>> 18) & 63) : l2 < 14 ? 16 * ((w >>> 18) % 10) : l2 === 14 ? 0 : next();
    const useTable = pick === 13 || pick === 14;
    let flags = (((w >>> 24) & 1) === 0 ? 1 : 0) | (((w >>> 25) & 3) === 0 ? 2 : 0) | (useTable || ((w >>> 27) & 15) === 0 ? 4 : 0);
    if (useTable && ((w >>> 31) & 1) === 0) flags &= ~1;
    if (packed && !inTable) flags |= ((w >>> 27) & 15) === 1 ? next() & 0x8080 : 0x80;
    r.mem.write32(at, lo >>> 0);
    r.mem.write32(at + 4, ((w >>> 27) & 31) === 31 ? 1 : 0);
    r.mem.write32(at + 8, (useTable && l2 < 12 ? 16 * (1 + (l2 & 7)) : len) >>> 0);
    if (packed) {
      r.mem.write16(at + 12, next() % (q + 2));
      r.mem.write16(at + 14, flags);
    } else {
      r.mem.write16(at + 12, flags);
      r.mem.write16(at + 14, next() % (inTable ? 9 : q + 1));
    }
  };
  for (let i = 0; i < q; i++) desc(l.descAddr + 16 * i, false);
  for (let t = 0; t < TABLES * 8; t++) desc(regionBase + 16 * t, true);
  if (!packed) {
    for (let i = 0; i < q; i++) r.mem.write16(l.driverAddr + 4 + 2 * i, next() % (q + 1));
    r.mem.write16(l.driverAddr + 2, ((r.config.initialIndex ?? 0) + (next() % (q + 2))) & 0xffff);
  }
}

/** A valid ring made by the reference driver, then a few random bytes changed. */
function fillMutated(r: Rig, next: () => number): void {
  const d = r.driver;
  d.reset();
  const st = d.stage;
  for (let n = 1 + (next() % r.config.size); n > 0; n--) {
    const seed = next() | 0;
    const shape = bufferShape(seed, r.config.size);
    stageBuffer(st, seed, shape, r.plan.regionBase + RING_SCENARIO_REGION_BYTES * (next() % r.config.size));
    if (d.add(n).kind !== 'added') break;
  }
  const span = r.areas.reduce((s, [a, b]) => s + b - a, 0);
  for (let m = 1 + (next() % 6); m > 0; m--) {
    let off = next() % span;
    for (const [a, b] of r.areas) {
      if (off < b - a) {
        r.mem.u8[a + off] = next();
        break;
      }
      off -= b - a;
    }
  }
}

/** Throws (failing the property) unless `ok`; cheaper than expect() in a loop of 100,000 operations. */
function check(ok: boolean, what: () => string): void {
  if (!ok) throw new Error(what());
}

function checkTypedError(e: DeviceRingError, format: string): void {
  check(
    e.kind === 'ring-error' && e.side === 'device' && e.format === format && DEVICE_ERROR_CODES.has(e.code) && e.message.length > 0 && Array.isArray(e.clauses),
    () => `not a typed device ring error: ${JSON.stringify(e)}`,
  );
}

function checkChain(c: DeviceChain, want: PopExpectation & { kind: 'chain' }, size: number): void {
  // The walk never covers more than the queue size (framing.device.2, CVE-2019-14835).
  check(c.count <= size && c.ringDescs <= size, () => `chain of ${c.count} segments / ${c.ringDescs} descriptors on a queue of ${size}`);
  let same = c.id === want.id && c.ringDescs === want.ringDescs && c.indirect === want.indirect && c.count === want.segments.length;
  for (let j = 0; same && j < c.count; j++) {
    const s = want.segments[j] as PredictedSegment;
    same = c.addr[j] === s.addr && c.len[j] === s.len && j >= c.readableCount === s.writable;
  }
  check(same, () => {
    const segments = Array.from({ length: c.count }, (_, j) => ({ addr: c.addr[j], len: c.len[j], writable: j >= c.readableCount }));
    return `engine popped ${JSON.stringify({ id: c.id, ringDescs: c.ringDescs, indirect: c.indirect, segments })}, oracle expected ${JSON.stringify(want)}`;
  });
}

interface Totals {
  runs: number;
  ops: number;
  pops: number;
  chains: number;
  errors: number;
  refills: number;
  maxPopMs: number;
  /** Most memory element reads one pop made, as a multiple of (queue size + 1); counted runs only. */
  maxReadsPerSlot: number;
  byCode: Map<string, number>;
}

function newTotals(): Totals {
  return { runs: 0, ops: 0, pops: 0, chains: 0, errors: 0, refills: 0, maxPopMs: 0, maxReadsPerSlot: 0, byCode: new Map() };
}

const FILLS = [fillBytes, fillStructured, fillMutated] as const;

/** Fresh ring memory from fill `mode`, and a reset device and oracle. */
function refill(r: Rig, mode: number, next: () => number): void {
  r.device.reset();
  r.oracle.reset();
  for (const [a, b] of r.areas) r.mem.fill(a, b - a);
  (FILLS[mode] ?? fillBytes)(r, next);
}

/**
 * Drives the device with `ops`, checking every pop against the oracle. After
 * a ring error (sticky until reset) the ring is refilled and the device reset,
 * so that later operations test something new.
 */
function drive(r: Rig, mode: number, next: () => number, ops: readonly number[], totals: Totals): void {
  const { device, oracle, config } = r;
  const held: DeviceChain[] = [];
  for (const o of ops) {
    totals.ops++;
    const kind = o & 15;
    if (kind < 7 || (kind === 15 && ((o >>> 4) & 7) !== 0)) {
      const want = oracle.expect();
      const readsBefore = r.reads?.n ?? 0;
      const t0 = performance.now();
      const got = device.pop();
      const ms = performance.now() - t0;
      if (ms > totals.maxPopMs) totals.maxPopMs = ms;
      if (r.reads !== null) {
        const perSlot = (r.reads.n - readsBefore) / (config.size + 1);
        if (perSlot > totals.maxReadsPerSlot) totals.maxReadsPerSlot = perSlot;
      }
      totals.pops++;
      if (want.kind === 'empty') check(got === null, () => `expected nothing, got ${got?.kind === 'ring-error' ? got.code : 'a chain'}`);
      else if (want.kind === 'error') {
        check(got !== null && got.kind === 'ring-error', () => `oracle: ${want.reason}; engine: ${got === null ? 'nothing' : 'a chain'}`);
        const e = got as DeviceRingError;
        checkTypedError(e, config.format);
        totals.errors++;
        totals.byCode.set(e.code, (totals.byCode.get(e.code) ?? 0) + 1);
        totals.refills++;
        refill(r, (mode + 1 + (next() & 1)) % 3, next);
        held.length = 0;
      } else {
        check(got !== null && got.kind === 'chain', () => `oracle: a chain; engine: ${got === null ? 'nothing' : (got as DeviceRingError).code}`);
        checkChain(got as DeviceChain, want, config.size);
        held.push(got as DeviceChain);
        totals.chains++;
      }
    } else if (kind < 11) {
      if (held.length === 0) continue;
      const i = config.inOrder ? 0 : (o >>> 4) % held.length;
      const [c] = held.splice(i, 1) as [DeviceChain];
      const len = (o >>> 8) % (c.writableBytes + 2);
      if (config.inOrder && ((o >>> 20) & 1) !== 0) device.pushDeferred(c, len);
      else device.push(c, len);
      oracle.pushed(c.id);
    } else if (kind === 11) check(typeof device.needsNotify() === 'boolean', () => 'needsNotify');
    else if (kind === 12) check(typeof device.enableNotifications() === 'boolean', () => 'enableNotifications');
    else if (kind === 13) device.disableNotifications();
    else if (kind === 14) device.flushDeferred();
    else {
      device.reset();
      oracle.reset();
      held.length = 0;
    }
    check(device.inFlight === held.length, () => `device holds ${device.inFlight} chains, the test ${held.length}`);
  }
}

/** Runs the adversarial property for `numRuns` runs and returns what it did. */
function adversarial(numRuns: number, counted: boolean): Totals {
  const totals = newTotals();
  fc.assert(
    fc.property(
      ringConfigArbitrary({ initialIndex: 'any' }),
      // 0 raw bytes, 1 structured descriptors, 2 a driver-made ring with a few bytes changed.
      fc.constantFrom(0, 1, 2),
      fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { minLength: 4, maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 0x3fffffff }), { minLength: 40, maxLength: 80, size: 'max' }),
      (config, mode, seed, ops) => {
        const r = rig(config, counted);
        const next = prng(seed);
        refill(r, mode, next);
        totals.runs++;
        drive(r, mode, next, ops, totals);
      },
    ),
    { numRuns },
  );
  return totals;
}

describe('adversarial ring memory, device side', () => {
  it('returns only valid chains, nothing, or typed errors, as the oracle predicts, over ≥ 100,000 operations', () => {
    const started = performance.now();
    const totals = adversarial(2500, false);
    const seconds = (performance.now() - started) / 1000;
    const codes = [...totals.byCode].sort((x, y) => y[1] - x[1]).map(([c, n]) => `${c} ${n}`);
    console.info(
      `adversarial: ${totals.runs} runs, ${totals.ops} device operations (${totals.pops} pops: ${totals.chains} chains, ${totals.errors} typed errors, each followed by a refill) in ${seconds.toFixed(2)} s; slowest pop ${totals.maxPopMs.toFixed(3)} ms; errors: ${codes.join(', ')}`,
    );
    expect(totals.ops).toBeGreaterThanOrEqual(100_000);
    // Both outcomes must be common, or the property tests little.
    expect(totals.chains).toBeGreaterThan(5_000);
    expect(totals.errors).toBeGreaterThan(2_000);
    expect(totals.byCode.size).toBeGreaterThanOrEqual(15);
    // Termination is what bounds the test; this only catches a pop that is grossly slow (a walk far past the queue).
    expect(totals.maxPopMs).toBeLessThan(1000);
  });

  it('never looks at more than a bounded number of ring words per queue slot in one pop', () => {
    const totals = adversarial(300, true);
    console.info(`adversarial, counted reads: ${totals.pops} pops, at most ${totals.maxReadsPerSlot.toFixed(2)} memory reads per (queue size + 1)`);
    expect(totals.pops).toBeGreaterThan(5_000);
    // A descriptor is 4–5 reads (8 through the unaligned accessors of an indirect table); a walk
    // bounded by the queue size (framing.device.2) stays near that, an unbounded one would not.
    expect(totals.maxReadsPerSlot).toBeLessThanOrEqual(12);
  });
});
