/**
 * The base of the device-side ring mutants: a wrapper around a reference
 * device queue that forwards every call and offers hooks where a mutant
 * rewrites ring memory after the real method ran (or delays a write to the
 * next call). The reference engine has no hooks of its own and its device
 * queues have private constructors, so mutants wrap instead of subclassing.
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
  type RingFormat,
  SplitDeviceQueue,
} from '../../../reference-impl/virtqueue/index.js';
import { referenceRingEngine, type RingDeviceSide, type RingDriverSide, type RingEngine } from '../../scenarios/ring/index.js';

/** A reference device queue of either format. */
export type ReferenceDeviceQueue = SplitDeviceQueue | PackedDeviceQueue;

/**
 * Forwards every call to the wrapped queue. A used publication (push, or the
 * flush of a deferred in-order batch) runs `beforePublish(before)`, the real
 * write, then `published(before, after, chain)`, where `before`/`after` are
 * the used position around it: the split `used->idx` (u16) or the packed
 * `slot | wrap << 15`.
 */
export abstract class DeviceQueueWrapper implements RingDeviceSide {
  /** Deferred in-order buffers not yet published. */
  protected deferred = 0;

  constructor(
    protected readonly inner: ReferenceDeviceQueue,
    protected readonly mem: GuestMemory,
    protected readonly options: DeviceQueueOptions,
  ) {}

  get inFlight(): number {
    return this.inner.inFlight;
  }

  /** The used position: split `used->idx`, packed `slot | wrap << 15`. */
  protected position(): number {
    const q = this.inner;
    return q.format === 'split' ? q.usedIdx : q.nextUsed;
  }

  pop(): DeviceChain | DeviceRingError | null {
    this.beforeCall();
    return this.inner.pop();
  }

  push(chain: DeviceChain, len: number): void {
    this.beforeCall();
    if (this.deferred > 0) this.flushDeferred();
    const before = this.position();
    this.beforePublish(before);
    this.inner.push(chain, this.usedLen(chain, len));
    this.published(before, this.position(), chain);
  }

  pushDeferred(chain: DeviceChain, len: number): void {
    this.beforeCall();
    this.inner.pushDeferred(chain, this.usedLen(chain, len));
    this.deferred++;
  }

  flushDeferred(): number {
    this.beforeCall();
    if (this.deferred === 0) return 0;
    const before = this.position();
    this.beforePublish(before);
    const n = this.inner.flushDeferred();
    this.deferred = 0;
    this.published(before, this.position(), null);
    return n;
  }

  needsNotify(): boolean {
    this.beforeCall();
    return this.notifyDecision(this.inner.needsNotify());
  }

  enableNotifications(): boolean {
    this.beforeCall();
    return this.inner.enableNotifications();
  }

  disableNotifications(): void {
    this.beforeCall();
    this.inner.disableNotifications();
  }

  reset(): void {
    this.inner.reset();
    this.deferred = 0;
    this.onReset();
  }

  /** Runs first in every call: where a delayed write lands. */
  protected beforeCall(): void {}
  /** Before a used publication at `before`. */
  protected beforePublish(_before: number): void {}
  /** The len the device reports for `chain` when asked to report `len`. */
  protected usedLen(_chain: DeviceChain, len: number): number {
    return len;
  }
  /** After a used publication moved the used position from `before` to `after`; `chain` is null for a batch flush. */
  protected published(_before: number, _after: number, _chain: DeviceChain | null): void {}
  /** The notification decision, given the reference queue's. */
  protected notifyDecision(reference: boolean): boolean {
    return reference;
  }
  /** After a queue reset. */
  protected onReset(): void {}
}

/** A ring engine whose device side is the reference queue wrapped by `wrap`. */
export function wrappedDeviceEngine(
  name: string,
  wrap: (inner: ReferenceDeviceQueue, mem: GuestMemory, options: DeviceQueueOptions) => RingDeviceSide,
): RingEngine {
  return Object.freeze({
    name,
    createDriver: referenceRingEngine.createDriver,
    createDevice(mem: GuestMemory, format: RingFormat, options: DeviceQueueOptions): RingDeviceSide | DeviceRingError {
      const q = format === 'split' ? SplitDeviceQueue.create(mem, options) : PackedDeviceQueue.create(mem, options);
      return 'kind' in q ? q : wrap(q, mem, options);
    },
  });
}

/** A ring engine whose driver side is built by `make` (a subclass of a reference driver queue). */
export function driverEngine(
  name: string,
  make: (mem: GuestMemory, format: RingFormat, options: DriverQueueOptions) => RingDriverSide,
): RingEngine {
  return Object.freeze({ name, createDriver: make, createDevice: referenceRingEngine.createDevice });
}
