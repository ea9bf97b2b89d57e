/**
 * Broken variants of the packed-ring engine (virtio 1.4 section 2.8), each
 * imitating one real ring bug (linux-driver-facts §5) so that a test can
 * show which observer rule catches it. Device variants wrap the reference
 * device queue; driver variants subclass the reference driver queue.
 *
 * @module
 */

import { PVIRTQ_DESC_SIZE, pvirtq_desc, VIRTQ_DESC_F_AVAIL, VIRTQ_DESC_F_USED } from '../../../specs/virtqueue/index.js';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { type AddResult, type DeviceChain, type DriverQueueOptions, PackedDriverQueue } from '../../../reference-impl/virtqueue/index.js';
import { DeviceQueueWrapper } from './device-queue-wrapper.js';

const AU = VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;
const LEN = pvirtq_desc.fields.len.offset;
const ID = pvirtq_desc.fields.id.offset;
const FLAGS = pvirtq_desc.fields.flags.offset;

/** Address of the descriptor at position `pos` (`slot | wrap << 15`). */
function descAt(o: { readonly descAddr: number }, pos: number): number {
  return o.descAddr + PVIRTQ_DESC_SIZE * (pos & 0x7fff);
}

/**
 * Wrap counter flipped late (an off-by-one in wrap handling): after its used
 * position wraps, the device writes the first used descriptor of the new lap
 * with the previous lap's counter (AVAIL = USED = old counter), flipping one
 * descriptor too late. The driver never sees that buffer used.
 */
export class PackedWrapFlipLate extends DeviceQueueWrapper {
  #flipPending = false;

  protected override published(before: number, after: number): void {
    if (this.#flipPending) {
      const at = descAt(this.options, before) + FLAGS;
      const old = (before >>> 15) ^ 1;
      this.mem.write16(at, (this.mem.read16(at) & ~AU) | (old !== 0 ? AU : 0));
      this.#flipPending = false;
    }
    if (after >>> 15 !== before >>> 15) this.#flipPending = true;
  }

  protected override onReset(): void {
    this.#flipPending = false;
  }
}

/**
 * Used descriptor published before its length: the flags that make it used
 * are written while `len` still holds the driver's value; the real len lands
 * on the device's next action, in a descriptor the driver already owns
 * (the packed form of bug D5).
 */
export class PackedUsedFlagsBeforeLen extends DeviceQueueWrapper {
  #stale = 0;
  #pendingAt = -1;
  #pendingLen = 0;

  protected override beforePublish(before: number): void {
    this.#stale = this.mem.read32(descAt(this.options, before) + LEN);
  }

  protected override published(before: number): void {
    const at = descAt(this.options, before) + LEN;
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
export class PackedMissingUsedNotification extends DeviceQueueWrapper {
  protected override notifyDecision(): boolean {
    return false;
  }
}

/** Used len larger than written: one byte more than the buffer's writable total (bugs D13, R1). */
export class PackedUsedLenExceedsWritable extends DeviceQueueWrapper {
  protected override usedLen(chain: DeviceChain): number {
    return chain.writableBytes + 1;
  }
}

/**
 * Double completion: the first buffer used after a reset gets a second used
 * descriptor at the next used slot (a retried completion; bug R13).
 */
export class PackedDoubleCompletion extends DeviceQueueWrapper {
  #done = false;

  protected override published(before: number, after: number, chain: DeviceChain | null): void {
    if (this.#done || chain === null) return;
    this.#done = true;
    const src = descAt(this.options, before);
    const dst = descAt(this.options, after);
    this.mem.write32(dst + LEN, this.mem.read32(src + LEN));
    this.mem.write16(dst + ID, chain.id);
    const write = this.mem.read16(src + FLAGS) & ~AU;
    this.mem.write16(dst + FLAGS, write | (after >>> 15 !== 0 ? AU : 0));
  }

  protected override onReset(): void {
    this.#done = false;
  }
}

/** Missing kick: the driver decides correctly but never notifies the device. */
export class PackedMissingKick extends PackedDriverQueue<number> {
  override kickPrepare(): boolean {
    super.kickPrepare();
    return false;
  }
}

/**
 * Driver wrap counter flipped late (an off-by-one in wrap handling): after
 * the driver's position wraps, the head of its next buffer still carries
 * the previous lap's AVAIL/USED bits, so the device never sees it available.
 */
export class PackedAvailWrapFlipLate extends PackedDriverQueue<number> {
  readonly #memory: GuestMemory;
  readonly #descAddr: number;
  // Not a #field: the base constructor calls reset() before #fields exist.
  private flipPending = false;

  constructor(mem: GuestMemory, options: DriverQueueOptions) {
    super(mem, options);
    this.#memory = mem;
    this.#descAddr = options.descAddr;
  }

  override add(token: number): AddResult {
    const before = this.availPosition;
    const r = super.add(token);
    if (r.kind !== 'added') return r;
    if (this.flipPending) {
      const at = descAt({ descAddr: this.#descAddr }, before) + FLAGS;
      const old = (before >>> 15) ^ 1;
      this.#memory.write16(at, (this.#memory.read16(at) & ~AU) | (old !== 0 ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED));
      this.flipPending = false;
    }
    if (this.availPosition >>> 15 !== before >>> 15) this.flipPending = true;
    return r;
  }

  override reset(): void {
    this.flipPending = false;
    super.reset();
  }
}
