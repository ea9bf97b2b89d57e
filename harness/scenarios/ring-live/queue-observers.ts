/**
 * The ring observers of one live device, one per enabled virtqueue, behind
 * one set of hooks. A whole device or driver has several queues (receiveq,
 * transmitq, controlq) that come and go with queue enables, queue resets
 * and device resets; this keeps one observer per queue, keeps every finding
 * when an observer is replaced, and fans the observer contract's hooks out
 * to the queues a seam event concerns.
 *
 * The observers are the judges (`harness/observers`); this module only
 * calls them at the seams described in `ring-observer.ts`.
 *
 * @module
 */

import type { RingFormat } from '../../../reference-impl/virtqueue/index.js';
import {
  type MemoryReader,
  PackedRingObserver,
  type RingActor,
  type RingFinding,
  type RingObserver,
  type RingViolation,
  SplitRingObserver,
} from '../../observers/index.js';

/** Where one queue's ring lives, as the driver programmed it. */
export interface ObservedQueue {
  /** Virtqueue index. */
  readonly queue: number;
  readonly format: RingFormat;
  /** Queue size Q. */
  readonly size: number;
  /** Descriptor Area. */
  readonly descAddr: number;
  /** Driver Area: split available ring, packed driver event suppression. */
  readonly driverAddr: number;
  /** Device Area: split used ring, packed device event suppression. */
  readonly deviceAddr: number;
}

/** Options of {@link QueueObservers}. */
export interface QueueObserversOptions {
  /** Digest device-readable buffers at device checkpoints (see `RingObserverCommonOptions`). @default true */
  readonly checkReadOnlyBuffers?: boolean;
  /** Called with every finding as it is reported (for the check's trace). */
  readonly onFinding?: (finding: RingFinding) => void;
}

/** One observer per enabled queue, with every finding any of them reported. */
export class QueueObservers {
  readonly #reader: MemoryReader;
  readonly #options: QueueObserversOptions;
  readonly #observers = new Map<number, RingObserver>();
  readonly #findings: RingFinding[] = [];

  constructor(reader: MemoryReader, options: QueueObserversOptions = {}) {
    this.#reader = reader;
    this.#options = options;
  }

  /** Every finding so far, oldest first, including those of replaced observers. */
  get findings(): readonly RingFinding[] {
    return this.#findings;
  }

  /** Indices of the queues watched now. */
  get queues(): readonly number[] {
    return [...this.#observers.keys()];
  }

  /** The observer of `queue`, if watched. */
  observer(queue: number): RingObserver | undefined {
    return this.#observers.get(queue);
  }

  /**
   * Starts watching `q` at its queue enable with the negotiated `features`
   * (bit n = feature n), replacing any earlier observer of that queue.
   * @throws RangeError for a queue size or ring placement the observers
   *   cannot watch (the observers' own configuration errors).
   */
  attach(q: ObservedQueue, features: bigint): RingObserver {
    const common = {
      queue: q.queue,
      size: q.size,
      features,
      descAddr: q.descAddr,
      checkReadOnlyBuffers: this.#options.checkReadOnlyBuffers ?? true,
      onFinding: (finding: RingFinding) => {
        this.#findings.push(finding);
        this.#options.onFinding?.(finding);
      },
    };
    const observer =
      q.format === 'split'
        ? new SplitRingObserver(this.#reader, { ...common, availAddr: q.driverAddr, usedAddr: q.deviceAddr })
        : new PackedRingObserver(this.#reader, { ...common, driverEventAddr: q.driverAddr, deviceEventAddr: q.deviceAddr });
    this.#observers.set(q.queue, observer);
    return observer;
  }

  /** Stops watching `queue` (queue reset, MMIO QueueReady = 0); its findings stay. */
  detach(queue: number): void {
    this.#observers.delete(queue);
  }

  /** Stops watching every queue (device reset). */
  detachAll(): void {
    this.#observers.clear();
  }

  /** A look at memory: changes since the last look were made by `actor`. */
  checkpoint(actor: RingActor): void {
    for (const o of this.#observers.values()) o.checkpoint(actor);
  }

  /** An available-buffer notification for `queue`, before the device acts on it. */
  driverNotify(queue: number, data?: number): void {
    this.#observers.get(queue)?.onDriverNotify(data);
  }

  /**
   * A used-buffer notification. `queues` are the queues it may be for: one
   * queue for an MSI-X vector of its own, every watched queue for a shared
   * vector or a level-triggered line that does not say which queue.
   */
  usedNotification(queues?: readonly number[]): void {
    for (const [queue, o] of this.#observers) if (queues === undefined || queues.includes(queue)) o.onUsedBufferNotification();
  }

  /** The driver finished a batch: judge the driver notification rules of every queue. */
  afterDriverStep(): void {
    for (const o of this.#observers.values()) o.afterDriverStep();
  }

  /**
   * The device finished a batch: judge the device notification rules of
   * `queue`, or of every queue when the step may have touched any of them.
   */
  afterDeviceStep(queue?: number): void {
    if (queue !== undefined) this.#observers.get(queue)?.afterDeviceStep();
    else for (const o of this.#observers.values()) o.afterDeviceStep();
  }

  /** Violations by `role`, optionally only of the rules in `rules`, oldest first. */
  violations(role: RingActor, rules?: ReadonlySet<string>): readonly RingViolation[] {
    return this.#findings.filter(
      (f): f is RingViolation => f.kind === 'violation' && f.role === role && (rules === undefined || rules.has(f.rule)),
    );
  }
}
