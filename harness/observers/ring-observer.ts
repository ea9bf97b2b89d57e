/**
 * The hook contract shared by the split and packed ring observers, and the
 * bookkeeping they share (findings, giving up on a queue).
 *
 * ## Hooks, and who calls them
 *
 * An observer is told what happened at the seams a real device has; it never
 * runs either side. The harness (or adapter) calls:
 *
 * - {@link RingObserver.checkpoint}`(actor)` to let the observer look at ring
 *   memory: every change since the previous look is attributed to `actor`.
 *   The harness MUST call a checkpoint for the side that just ran before the
 *   other side runs, or changes are blamed on the wrong side. Calling it
 *   after every single memory write (e.g. from a write callback of guest
 *   memory) is allowed and makes write-order rules exact: that is how the
 *   observer sees memory between a driver's descriptor writes and its index
 *   write.
 * - {@link RingObserver.afterDriverStep}: the driver finished a batch (it
 *   published what it meant to publish and made its notification decision).
 *   Driver notification MUSTs are judged here, over the window since the
 *   last notification or driver step.
 * - {@link RingObserver.afterDeviceStep}: the device finished a batch.
 *   Device notification MUSTs are judged here.
 * - {@link RingObserver.onDriverNotify}: an available-buffer notification
 *   (kick) for this queue, reported before the device is let to act on it.
 * - {@link RingObserver.onUsedBufferNotification}: a used-buffer
 *   notification (interrupt) for this queue, as the virtio layer sent it
 *   (before transport masking such as an MSI-X NO_VECTOR mapping).
 *
 * Both notification hooks begin with a checkpoint of the notifying side, so
 * a notification sent before the index it should announce is recognised.
 *
 * ## Why checkpoints, not a write watch
 *
 * "The driver publishes descriptors before the index" is checked by
 * snapshotting each chain when the index first covers it and reporting any
 * later change while it is outstanding. This needs only reads, so the same
 * observer works over qtest, where the device's writes cannot be watched;
 * where writes can be watched, per-write checkpoints give the exact order.
 *
 * @module
 */

import type { RingFinding, RingActor } from './ring-finding.js';
import { ringRule, type RingRuleId } from './ring-rules.js';

/** The hooks every ring observer offers. */
export interface RingObserver {
  /** Virtqueue index watched. */
  readonly queue: number;
  /** Every finding so far, oldest first. */
  readonly findings: readonly RingFinding[];
  /** True once the observer gave up on the queue (an `observer-desync` finding was reported). */
  readonly desynchronized: boolean;
  /** Look at memory now; changes since the last look were made by `actor`. */
  checkpoint(actor: RingActor): void;
  /** The driver finished a batch: checkpoint, then judge driver notification MUSTs. */
  afterDriverStep(): void;
  /** The device finished a batch: checkpoint, then judge device notification MUSTs. */
  afterDeviceStep(): void;
  /** An available-buffer notification for this queue; `data` is the 32-bit value with VIRTIO_F_NOTIFICATION_DATA. */
  onDriverNotify(data?: number): void;
  /** A used-buffer notification for this queue. */
  onUsedBufferNotification(): void;
  /** Removes and returns the findings reported so far. */
  takeFindings(): RingFinding[];
}

/** Options shared by both observers. */
export interface RingObserverCommonOptions {
  /** Virtqueue index, for reports. */
  readonly queue: number;
  /** Queue size Q. */
  readonly size: number;
  /** Negotiated features as a bit set (bit n = feature n). */
  readonly features: bigint;
  /**
   * Digest device-readable buffers of outstanding chains at every device
   * checkpoint to catch device writes into them. Costs a read of every such
   * buffer per checkpoint (a round trip each over qtest).
   * @default true
   */
  readonly checkReadOnlyBuffers?: boolean;
  /** Called with each finding as it is reported. */
  readonly onFinding?: (finding: RingFinding) => void;
}

/** Bookkeeping shared by the observers. */
export abstract class RingObserverBase {
  readonly queue: number;
  readonly #findings: RingFinding[] = [];
  readonly #onFinding: ((finding: RingFinding) => void) | undefined;
  #desynchronized = false;

  protected constructor(options: RingObserverCommonOptions) {
    this.queue = options.queue;
    this.#onFinding = options.onFinding;
  }

  get findings(): readonly RingFinding[] {
    return this.#findings;
  }

  get desynchronized(): boolean {
    return this.#desynchronized;
  }

  takeFindings(): RingFinding[] {
    return this.#findings.splice(0, this.#findings.length);
  }

  /** Reports a violation of `ruleId`; `clause` defaults to the rule's primary clause. */
  protected violation(ruleId: RingRuleId, observed: string, expected: string, clause?: string): void {
    const rule = ringRule(ruleId);
    const cited = clause ?? rule.clauses[0];
    if (!rule.clauses.includes(cited)) throw new RangeError(`rule ${ruleId} does not cite ${cited}`);
    this.#push({ kind: 'violation', rule: ruleId, clause: cited, clauses: rule.clauses, role: rule.role, queue: this.queue, observed, expected });
  }

  /** Gives up on the queue: nothing more is checked. */
  protected desync(reason: string): void {
    if (this.#desynchronized) return;
    this.#desynchronized = true;
    this.#push({ kind: 'observer-desync', queue: this.queue, reason });
  }

  #push(finding: RingFinding): void {
    this.#findings.push(finding);
    this.#onFinding?.(finding);
  }
}

/** Whether bit `bit` is set in a feature set. */
export function hasBit(features: bigint, bit: number): boolean {
  return ((features >> BigInt(bit)) & 1n) === 1n;
}

/**
 * Whether `event` lies in the half-open window [old, new) of a free-running
 * 16-bit index: the event-index notification test (`split.usupp.device.5`,
 * `split.asupp.driver.6`), written from its meaning rather than copied from
 * `vring_need_event`, so the two can check each other.
 */
export function eventInWindow16(event: number, oldIdx: number, newIdx: number): boolean {
  return ((event - oldIdx) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}

/** Packed ring wrap counter in force at absolute ring position `pos` (starts at 1, flips every Q positions). */
export function wrapAt(pos: number, size: number): number {
  return Math.floor(pos / size) % 2 === 0 ? 1 : 0;
}

/**
 * Whether the packed ring descriptor named by an event `desc` field
 * (offset bits 0–14, wrap bit 15) occupies an absolute ring position in
 * [oldPos, newPos): the RING_EVENT_FLAGS_DESC trigger
 * (`packed.evsupp.any.1.device`, `packed.evsupp.any.1.driver`).
 */
export function packedEventInWindow(offWrap: number, size: number, oldPos: number, newPos: number): boolean {
  const off = offWrap & 0x7fff;
  const wrap = (offWrap >>> 15) & 1;
  if (off >= size || newPos <= oldPos) return false;
  let lap = Math.floor(oldPos / size);
  if (lap * size + off < oldPos) lap++;
  if (wrapAt(lap * size, size) !== wrap) lap++;
  return lap * size + off < newPos;
}

/** Hex for reports. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
