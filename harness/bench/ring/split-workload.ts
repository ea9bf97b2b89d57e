/**
 * The split-ring benchmark workload on the TypeScript side: the real
 * reference engine ({@link SplitDriverQueue} + {@link SplitDeviceQueue} over
 * one {@link GuestMemory}) moving buffers through one ring, in one thread.
 *
 * One "buffer" is the unit of ring-perf §3.1, and `c/split-twin.c` does the
 * same work step by step (same layout, same calls, same checks, same
 * checksums):
 * 1. driver add: 1 device-writable descriptor of 1526 bytes (rx-like, via
 *    `addBuffer`), or 2 device-readable descriptors of 12 + 1514 bytes
 *    (tx-like, via the segment stage and `add`);
 * 2. device pop (all validations) and push with len = the chain's writable bytes;
 * 3. driver reap (`getUsed`, which validates id, in-flight state and len);
 * 4. per batch: the driver's kick decision, the device's `avail_event`
 *    write and interrupt decision, the driver's callback re-enable (EVENT_IDX).
 *
 * Nothing here allocates per buffer; the engine's results are shared objects.
 *
 * @module
 */

import { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { SplitDeviceQueue } from '../../../reference-impl/virtqueue/split-device.js';
import { SplitDriverQueue } from '../../../reference-impl/virtqueue/split-driver.js';

/** Queue size of the benchmark ring (ring-perf §3.1). */
export const BENCH_QUEUE_SIZE = 512;
/** Guest memory size: rings plus one 2 KiB slot per descriptor (0x5000 + 512 × 2048). */
export const BENCH_MEMORY_SIZE = 0x105000;
/** Descriptor table address. */
export const BENCH_DESC_ADDR = 0x0000;
/** Available ring address. */
export const BENCH_AVAIL_ADDR = 0x2000;
/** Used ring address. */
export const BENCH_USED_ADDR = 0x3000;
/** Start of the buffer area; buffer `t` uses slot `t mod 512`. */
export const BENCH_BUFFER_BASE = 0x5000;
/** Length of the 1-descriptor (rx-like, device-writable) buffer. */
export const BENCH_RX_LEN = 1526;
/** Header length of the 2-descriptor (tx-like, device-readable) buffer. */
export const BENCH_HDR_LEN = 12;
/** Packet length of the 2-descriptor buffer. */
export const BENCH_PKT_LEN = 1514;

const SLOT_SHIFT = 11;
const SLOT_MASK = BENCH_QUEUE_SIZE - 1;

/** Descriptors per buffer, times buffers per batch: one benchmark configuration. */
export interface SplitBenchConfig {
  /** 1: rx-like writable buffer; 2: tx-like header + packet. */
  readonly descriptors: 1 | 2;
  /** Buffers added before the device drains the ring (1..256). */
  readonly batch: number;
}

/** The six configurations of the issue: {1, 2} descriptors × batch {1, 16, 256}. */
export const SPLIT_BENCH_CONFIGS: readonly SplitBenchConfig[] = Object.freeze(
  ([1, 2] as const).flatMap((descriptors) => [1, 16, 256].map((batch) => Object.freeze({ descriptors, batch }))),
);

/** Short label of a configuration, e.g. `2-desc b=16`. */
export function configLabel(c: SplitBenchConfig): string {
  return `${c.descriptors}-desc b=${c.batch}`;
}

/**
 * What both languages compute over one run, to prove they did the same
 * work: u32 sums of (used len + token) on the driver side and of
 * (readable + writable bytes + head) on the device side, and the counts of
 * kick and interrupt decisions that came out true.
 */
export interface SplitChecksums {
  readonly driver: number;
  readonly device: number;
  readonly kicks: number;
  readonly irqs: number;
}

/** Outcome of {@link SplitRingWorkload.run}: checksums, or the step at which the engine refused. */
export type SplitRunResult =
  | { readonly kind: 'ok'; readonly checksums: SplitChecksums }
  | { readonly kind: 'run-error'; readonly step: string; readonly message: string };

function runError(step: string, message: string): SplitRunResult {
  return { kind: 'run-error', step, message };
}

/**
 * One driver/device pair of the reference engine over fresh guest memory,
 * laid out as ring-perf §3.1 (queue size 512, VIRTIO_F_EVENT_IDX, no
 * indirect descriptors).
 */
export class SplitRingWorkload {
  /** The configuration this workload runs. */
  readonly config: SplitBenchConfig;
  private readonly driver: SplitDriverQueue<number>;
  private readonly device: SplitDeviceQueue;

  /** @throws RangeError for a batch outside 1..256 (a bench bug; 2 × 256 descriptors fill the ring). */
  constructor(config: SplitBenchConfig) {
    if (!(Number.isInteger(config.batch) && config.batch >= 1 && config.batch <= BENCH_QUEUE_SIZE / 2)) {
      throw new RangeError(`batch ${config.batch} is not in 1..${BENCH_QUEUE_SIZE / 2}`);
    }
    this.config = config;
    const mem = new GuestMemory(BENCH_MEMORY_SIZE);
    const layout = { size: BENCH_QUEUE_SIZE, descAddr: BENCH_DESC_ADDR, driverAddr: BENCH_AVAIL_ADDR, deviceAddr: BENCH_USED_ADDR };
    this.driver = new SplitDriverQueue<number>(mem, { ...layout, eventIdx: true });
    const device = SplitDeviceQueue.create(mem, { ...layout, eventIdx: true });
    if (!(device instanceof SplitDeviceQueue)) throw new RangeError(`benchmark ring layout refused: ${device.message}`);
    this.device = device;
  }

  /** Zeroes the rings and resets both sides, so that every rep starts from the same state. */
  reset(): void {
    this.driver.reset();
    this.device.reset();
  }

  /**
   * Moves `buffers` buffers (a multiple of the batch) through the ring.
   * Call {@link reset} first for reproducible checksums.
   */
  run(buffers: number): SplitRunResult {
    const batch = this.config.batch;
    if (!(Number.isInteger(buffers) && buffers >= 0 && buffers % batch === 0)) {
      return runError('setup', `buffer count ${buffers} is not a multiple of the batch ${batch}`);
    }
    const failed = this.loop(buffers);
    if (failed !== null) return failed;
    return { kind: 'ok', checksums: { driver: this.sumDriver >>> 0, device: this.sumDevice >>> 0, kicks: this.kicks, irqs: this.irqs } };
  }

  // The results of the last loop, as int32 sums. The u32 conversion stays out of `loop`: V8 compiles
  // the loop while it is still running, before its exit has type feedback, and a conversion there
  // would deoptimise it at the end of every run.
  private sumDriver = 0;
  private sumDevice = 0;
  private kicks = 0;
  private irqs = 0;

  /** The timed work: returns null when every buffer went through, else the step that failed. */
  private loop(buffers: number): SplitRunResult | null {
    const batch = this.config.batch;
    const driver = this.driver;
    const device = this.device;
    const stage = driver.stage;
    const two = this.config.descriptors === 2;
    let drv = 0;
    let dev = 0;
    let kicks = 0;
    let irqs = 0;
    let t = 0;
    while (t < buffers) {
      const end = t + batch;
      for (; t < end; t++) {
        const slot = BENCH_BUFFER_BASE + ((t & SLOT_MASK) << SLOT_SHIFT);
        let added;
        if (two) {
          stage.out(slot, BENCH_HDR_LEN);
          stage.out(slot + BENCH_HDR_LEN, BENCH_PKT_LEN);
          added = driver.add(t);
        } else {
          added = driver.addBuffer(slot, BENCH_RX_LEN, true, t);
        }
        if (added.kind !== 'added') return runError('add', `buffer ${t}: ${added.kind}`);
      }
      if (driver.kickPrepare()) kicks++;
      for (;;) {
        const chain = device.pop();
        if (chain === null) break;
        if (chain.kind !== 'chain') return runError('pop', chain.message);
        // One int32 add per term: a longer sum can leave int32 range before `| 0` and deoptimise `run`.
        dev = (dev + chain.readableBytes) | 0;
        dev = (dev + chain.writableBytes) | 0;
        dev = (dev + chain.id) | 0;
        device.push(chain, chain.writableBytes);
      }
      if (device.enableNotifications()) return runError('enable-notifications', 'buffers left after the device drained the ring');
      if (device.needsNotify()) irqs++;
      for (;;) {
        const used = driver.getUsed();
        if (used === null) break;
        if (used.kind !== 'used') return runError('get-used', used.message);
        drv = (drv + used.len) | 0;
        drv = (drv + used.token) | 0;
      }
      if (!driver.enableCallbacks()) return runError('enable-callbacks', 'used buffers left after the driver drained the ring');
    }
    this.sumDriver = drv;
    this.sumDevice = dev;
    this.kicks = kicks;
    this.irqs = irqs;
    return null;
  }
}
