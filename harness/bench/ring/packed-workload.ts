/**
 * The packed-ring benchmark workload on the TypeScript side: the real
 * reference engine ({@link PackedDriverQueue} + {@link PackedDeviceQueue}
 * over one {@link GuestMemory}) moving buffers through one ring, in one
 * thread. The same work as the split workload (`split-workload.ts`), on a
 * packed ring; `c/packed-twin.c` does it step by step in C with the same
 * checksums:
 * 1. driver add: 1 device-writable descriptor of 1526 bytes (`addBuffer`),
 *    or 2 device-readable descriptors of 12 + 1514 bytes (segment stage and `add`);
 * 2. device pop (all validations) and push with len = the chain's writable bytes;
 * 3. driver reap (`getUsed`, which validates id, completion state and len);
 * 4. per batch: the driver's kick decision, the device's event-suppression
 *    write and notification decision, the driver's callback re-enable, with
 *    VIRTIO_F_EVENT_IDX (RING_EVENT_FLAGS_DESC).
 *
 * Nothing here allocates per buffer; the engine's results are shared objects.
 *
 * @module
 */

import { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { PackedDeviceQueue } from '../../../reference-impl/virtqueue/packed-device.js';
import { PackedDriverQueue } from '../../../reference-impl/virtqueue/packed-driver.js';
import type { SplitBenchConfig, SplitChecksums, SplitRunResult } from './split-workload.js';

/** Queue size of the benchmark ring (as the split ring's). */
export const PACKED_QUEUE_SIZE = 512;
/** Guest memory size: ring plus one 2 KiB slot per descriptor (0x5000 + 512 × 2048). */
export const PACKED_MEMORY_SIZE = 0x105000;
/** Descriptor ring address (512 × 16 bytes). */
export const PACKED_DESC_ADDR = 0x0000;
/** Driver event suppression structure. */
export const PACKED_DRIVER_EVENT_ADDR = 0x2000;
/** Device event suppression structure. */
export const PACKED_DEVICE_EVENT_ADDR = 0x3000;
/** Start of the buffer area; buffer `t` uses slot `t mod 512`. */
export const PACKED_BUFFER_BASE = 0x5000;

const RX_LEN = 1526;
const HDR_LEN = 12;
const PKT_LEN = 1514;
const SLOT_SHIFT = 11;
const SLOT_MASK = PACKED_QUEUE_SIZE - 1;

function runError(step: string, message: string): SplitRunResult {
  return { kind: 'run-error', step, message };
}

/**
 * One driver/device pair of the packed reference engine over fresh guest
 * memory (queue size 512, VIRTIO_F_EVENT_IDX, no indirect descriptors).
 * Configurations and checksums are the split workload's.
 */
export class PackedRingWorkload {
  readonly config: SplitBenchConfig;
  private readonly driver: PackedDriverQueue<number>;
  private readonly device: PackedDeviceQueue;

  /** @throws RangeError for a batch outside 1..256 (a bench bug; 2 × 256 descriptors fill the ring). */
  constructor(config: SplitBenchConfig) {
    if (!(Number.isInteger(config.batch) && config.batch >= 1 && config.batch <= PACKED_QUEUE_SIZE / 2)) {
      throw new RangeError(`batch ${config.batch} is not in 1..${PACKED_QUEUE_SIZE / 2}`);
    }
    this.config = config;
    const mem = new GuestMemory(PACKED_MEMORY_SIZE);
    const layout = { size: PACKED_QUEUE_SIZE, descAddr: PACKED_DESC_ADDR, driverAddr: PACKED_DRIVER_EVENT_ADDR, deviceAddr: PACKED_DEVICE_EVENT_ADDR };
    this.driver = new PackedDriverQueue<number>(mem, { ...layout, eventIdx: true });
    const device = PackedDeviceQueue.create(mem, { ...layout, eventIdx: true });
    if (!(device instanceof PackedDeviceQueue)) throw new RangeError(`benchmark ring layout refused: ${device.message}`);
    this.device = device;
  }

  /** Zeroes the ring and resets both sides, so that every rep starts from the same state. */
  reset(): void {
    this.driver.reset();
    this.device.reset();
  }

  /** Moves `buffers` buffers (a multiple of the batch) through the ring. Call {@link reset} first. */
  run(buffers: number): SplitRunResult {
    const batch = this.config.batch;
    if (!(Number.isInteger(buffers) && buffers >= 0 && buffers % batch === 0)) {
      return runError('setup', `buffer count ${buffers} is not a multiple of the batch ${batch}`);
    }
    const failed = this.loop(buffers);
    if (failed !== null) return failed;
    const checksums: SplitChecksums = { driver: this.sumDriver >>> 0, device: this.sumDevice >>> 0, kicks: this.kicks, irqs: this.irqs };
    return { kind: 'ok', checksums };
  }

  // int32 sums of the last loop; the u32 conversion stays out of `loop` (see split-workload.ts).
  private sumDriver = 0;
  private sumDevice = 0;
  private kicks = 0;
  private irqs = 0;

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
        const slot = PACKED_BUFFER_BASE + ((t & SLOT_MASK) << SLOT_SHIFT);
        let added;
        if (two) {
          stage.out(slot, HDR_LEN);
          stage.out(slot + HDR_LEN, PKT_LEN);
          added = driver.add(t);
        } else {
          added = driver.addBuffer(slot, RX_LEN, true, t);
        }
        if (added.kind !== 'added') return runError('add', `buffer ${t}: ${added.kind}`);
      }
      if (driver.kickPrepare()) kicks++;
      for (;;) {
        const chain = device.pop();
        if (chain === null) break;
        if (chain.kind !== 'chain') return runError('pop', chain.message);
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
