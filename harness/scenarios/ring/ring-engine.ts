/**
 * The seam between the ring scenario runner and a ring engine: what the
 * runner calls on each side, and a factory that builds both sides over one
 * guest memory. The reference engine is the default; the mutants of
 * `harness/mutants/virtqueue/` are other factories.
 *
 * @module
 */

import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import {
  type DeviceChain,
  type DeviceQueueOptions,
  type DeviceRingError,
  type DriverQueueOptions,
  PackedDeviceQueue,
  PackedDriverQueue,
  type RingFormat,
  SplitDeviceQueue,
  SplitDriverQueue,
} from '../../../reference-impl/virtqueue/index.js';

/**
 * Driver side of a queue as the runner drives it: the reference driver
 * queues or subclasses of them (driver mutants override methods). Tokens are
 * the runner's buffer numbers.
 */
export type RingDriverSide = SplitDriverQueue<number> | PackedDriverQueue<number>;

/**
 * Device side of a queue as the runner drives it: the public surface shared
 * by `SplitDeviceQueue` and `PackedDeviceQueue`, so that a wrapper (a device
 * mutant) can stand in for either.
 */
export interface RingDeviceSide {
  /** Chains popped and not yet pushed. */
  readonly inFlight: number;
  /** Next available chain, null when none, or the (sticky) error that failed the queue. */
  pop(): DeviceChain | DeviceRingError | null;
  /** Returns a chain with `len` bytes written. */
  push(chain: DeviceChain, len: number): void;
  /** IN_ORDER: marks a chain used, published later by {@link flushDeferred} or the next push. */
  pushDeferred(chain: DeviceChain, len: number): void;
  /** Publishes the deferred IN_ORDER batch; returns the buffers it covered. */
  flushDeferred(): number;
  /** Whether the driver must get a used-buffer notification for what was published since the last call. */
  needsNotify(): boolean;
  /** Asks for available-buffer notifications; true when buffers are already waiting. */
  enableNotifications(): boolean;
  /** Hints that the driver need not notify. */
  disableNotifications(): void;
  /** Forgets all state (queue reset). */
  reset(): void;
}

/** Builds both sides of one queue over `mem`. */
export interface RingEngine {
  /** Name for reports ("reference" or a mutant id). */
  readonly name: string;
  /** The driver side. @throws RangeError for a bad layout (a harness bug). */
  createDriver(mem: GuestMemory, format: RingFormat, options: DriverQueueOptions): RingDriverSide;
  /** The device side, or the error the device reports for the programmed layout. */
  createDevice(mem: GuestMemory, format: RingFormat, options: DeviceQueueOptions): RingDeviceSide | DeviceRingError;
}

/** The unmodified reference ring engine of `reference-impl/virtqueue`. */
export const referenceRingEngine: RingEngine = Object.freeze({
  name: 'reference',
  createDriver(mem: GuestMemory, format: RingFormat, options: DriverQueueOptions): RingDriverSide {
    return format === 'split' ? new SplitDriverQueue<number>(mem, options) : new PackedDriverQueue<number>(mem, options);
  },
  createDevice(mem: GuestMemory, format: RingFormat, options: DeviceQueueOptions): RingDeviceSide | DeviceRingError {
    return format === 'split' ? SplitDeviceQueue.create(mem, options) : PackedDeviceQueue.create(mem, options);
  },
});

/** Buffer id of the driver's last successful add: the split head or the packed buffer id. */
export function lastBufferId(driver: RingDriverSide): number {
  return driver.format === 'split' ? driver.lastHead : driver.lastId;
}

/** Options of a `RingScenario` (and of a `RingScenarioPool`). */
export interface RingScenarioOptions {
  /** The engine under test. @default referenceRingEngine */
  readonly engine?: RingEngine;
  /** Attach the ring observer. Off only to measure the engine and runner alone. @default true */
  readonly observe?: boolean;
  /** The observer's digest of device-readable buffers at every device checkpoint. @default true */
  readonly checkReadOnlyBuffers?: boolean;
  /**
   * Packed rings: make a notification decision before a side publishes more
   * than one lap (Q descriptors) since its last decision, as Linux does in
   * practice by kicking after each batch. Off by default: the reference
   * engine notifies whenever Q or more descriptors went by since its last
   * decision, so it agrees with the packed observer's literal reading of
   * `packed.evsupp.any.1.driver` / `packed.evsupp.any.1.device` even in
   * windows longer than a lap. On, to keep an engine that checks the
   * current lap only (`vring_packed_need_event` alone, as Linux and QEMU)
   * out of such windows.
   * @default false
   */
  readonly packedDecisionEveryLap?: boolean;
}
