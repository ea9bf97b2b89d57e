/**
 * Broken variants of the split-ring engine (virtio 1.4 section 2.7), each
 * imitating one real ring bug (linux-driver-facts §5) so that a test can
 * show which observer rule catches it. Device variants wrap the reference
 * device queue and rewrite ring memory around its writes; driver variants
 * subclass the reference driver queue.
 *
 * @module
 */

import {
  VIRTQ_DESC_SIZE,
  virtq_used,
  virtqAvailUsedEventOffset,
  virtqDescTableSize,
  virtqUsedRingEntryOffset,
} from '../../../specs/virtqueue/index.js';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { type AddResult, type DeviceChain, type DriverQueueOptions, SplitDriverQueue } from '../../../reference-impl/virtqueue/index.js';
import { DeviceQueueWrapper } from './device-queue-wrapper.js';

/** Address of the used element at used-ring index `idx`; its len is 4 bytes further. */
function usedElem(o: { readonly deviceAddr: number; readonly size: number }, idx: number): number {
  return o.deviceAddr + virtqUsedRingEntryOffset(idx & (o.size - 1));
}

/**
 * Off-by-one in 16-bit wrap handling: the device keeps `used->idx` modulo
 * 0xffff instead of 2^16, so after 65534 it publishes 0, skipping 65535:
 * `used->idx` jumps by 2 for one used element (the wrap bugs of
 * CVE-2016-5403 / rust-vmm #196 seen from the used side). Entries follow the
 * device's own (wrong) index.
 */
export class SplitUsedIdxWrapsAtFfff extends DeviceQueueWrapper {
  #shadow = -1;

  protected override published(before: number, after: number): void {
    if (this.#shadow < 0) this.#shadow = before;
    const n = (after - before) & 0xffff;
    const from = this.#shadow;
    this.#shadow = (from + n) % 0xffff;
    if (from !== before) {
      // Move the elements the engine wrote to the slots of the device's own index (from the end: the ranges overlap).
      for (let k = n - 1; k >= 0; k--) {
        const src = usedElem(this.options, before + k);
        const dst = usedElem(this.options, from + k);
        this.mem.write32(dst, this.mem.read32(src));
        this.mem.write32(dst + 4, this.mem.read32(src + 4));
      }
    }
    this.mem.write16(this.options.deviceAddr + virtq_used.fields.idx.offset, this.#shadow);
  }

  protected override onReset(): void {
    this.#shadow = -1;
  }
}

/**
 * Used element published before its length: `used->idx` covers the element
 * while `len` still holds the previous lap's value; the real len lands on
 * the device's next action. The shape of CVE-2021-3748 (bug D5: data
 * written after the used entry was published).
 */
export class SplitUsedIdxBeforeLen extends DeviceQueueWrapper {
  #stale = 0;
  #pendingAt = -1;
  #pendingLen = 0;

  protected override beforePublish(before: number): void {
    this.#stale = this.mem.read32(usedElem(this.options, before) + 4);
  }

  protected override published(before: number): void {
    const at = usedElem(this.options, before) + 4;
    this.#pendingLen = this.mem.read32(at);
    this.#pendingAt = at;
    this.mem.write32(at, this.#stale);
  }

  protected override beforeCall(): void {
    if (this.#pendingAt < 0) return;
    this.mem.write32(this.#pendingAt, this.#pendingLen);
    this.#pendingAt = -1;
  }

  protected override onReset(): void {
    this.#pendingAt = -1;
  }
}

/** Missing used-buffer notification: the device never interrupts (Firecracker #1436, bug D20). */
export class SplitMissingUsedNotification extends DeviceQueueWrapper {
  protected override notifyDecision(): boolean {
    return false;
  }
}

/**
 * Event-index window off by one: with EVENT_IDX the device notifies when
 * `used_event` lies in (old, new] instead of [old, new), so it stays silent
 * exactly when the driver asked for a notification at its next used entry.
 * A missed interrupt of the D9/D20 family.
 */
export class SplitEventIdxOffByOne extends DeviceQueueWrapper {
  #old = -1;

  protected override notifyDecision(reference: boolean): boolean {
    const now = this.position();
    const old = this.#old < 0 ? (this.options.initialIndex ?? 0) : this.#old;
    this.#old = now;
    if (!this.inner.eventIdx) return reference;
    if (now === old) return false;
    const event = this.mem.read16(this.options.driverAddr + virtqAvailUsedEventOffset(this.options.size));
    return ((event - old - 1) & 0xffff) < ((now - old) & 0xffff);
  }

  protected override onReset(): void {
    this.#old = -1;
  }
}

/** Used len larger than written: one byte more than the chain's writable total (bugs D13, R1). */
export class SplitUsedLenExceedsWritable extends DeviceQueueWrapper {
  protected override usedLen(chain: DeviceChain): number {
    return chain.writableBytes + 1;
  }
}

/**
 * Double completion: the first buffer the device uses after a reset is
 * published twice (a retried completion), the same head in two used
 * elements (bug R13: a driver trusting used ids).
 */
export class SplitDoubleCompletion extends DeviceQueueWrapper {
  #done = false;

  protected override published(before: number, after: number, chain: DeviceChain | null): void {
    if (this.#done || chain === null) return;
    this.#done = true;
    const src = usedElem(this.options, before);
    const dst = usedElem(this.options, after);
    this.mem.write32(dst, this.mem.read32(src));
    this.mem.write32(dst + 4, this.mem.read32(src + 4));
    this.mem.write16(this.options.deviceAddr + virtq_used.fields.idx.offset, (after + 1) & 0xffff);
  }

  protected override onReset(): void {
    this.#done = false;
  }
}

/** Missing kick: the driver decides correctly but never notifies the device (the driver half of D9/D20). */
export class SplitMissingKick extends SplitDriverQueue<number> {
  override kickPrepare(): boolean {
    super.kickPrepare();
    return false;
  }
}

/**
 * Descriptor written after `avail->idx` (a missing write barrier): the head
 * descriptor of each new chain still holds its old contents when the index
 * covers it; the real descriptor lands on the driver's next action. Breaks
 * `split.op.driver.4`.
 */
export class SplitDescAfterAvailIdx extends SplitDriverQueue<number> {
  readonly #memory: GuestMemory;
  readonly #descAddr: number;
  readonly #tableBytes: number;
  readonly #pending = new Uint8Array(VIRTQ_DESC_SIZE);
  // Not a #field: the base constructor calls reset() before #fields exist.
  private pendingAt = -1;

  constructor(mem: GuestMemory, options: DriverQueueOptions) {
    super(mem, options);
    this.#memory = mem;
    this.#descAddr = options.descAddr;
    this.#tableBytes = virtqDescTableSize(options.size);
  }

  #land(): void {
    if (this.pendingAt < 0) return;
    this.#memory.writeBytes(this.pendingAt, this.#pending);
    this.pendingAt = -1;
  }

  override add(token: number): AddResult {
    this.#land();
    const old = this.#memory.copyOut(this.#descAddr, this.#tableBytes);
    const r = super.add(token);
    if (r.kind !== 'added') return r;
    const at = this.#descAddr + VIRTQ_DESC_SIZE * this.lastHead;
    this.#memory.readInto(at, this.#pending);
    this.#memory.writeBytes(at, old.subarray(at - this.#descAddr, at - this.#descAddr + VIRTQ_DESC_SIZE));
    this.pendingAt = at;
    return r;
  }

  override kickPrepare(): boolean {
    this.#land();
    return super.kickPrepare();
  }

  override getUsed(): ReturnType<SplitDriverQueue<number>['getUsed']> {
    this.#land();
    return super.getUsed();
  }

  override disableCallbacks(): void {
    this.#land();
    super.disableCallbacks();
  }

  override enableCallbacks(): boolean {
    this.#land();
    return super.enableCallbacks();
  }

  override enableCallbacksDelayed(): boolean {
    this.#land();
    return super.enableCallbacksDelayed();
  }

  override reset(): void {
    this.pendingAt = -1;
    super.reset();
  }
}
