/**
 * Whole-device ring mutants: the reference net device with one ring rule
 * broken in its device-side queues (see `device-queue-seam.ts`). Most reuse
 * the engine-level wrappers of `harness/mutants/virtqueue`; the rest are
 * wrappers of the same kind defined here.
 *
 * @module
 */

import {
  PVIRTQ_DESC_SIZE,
  pvirtq_desc,
  pvirtq_event_suppress,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_SIZE,
  virtq_desc,
  virtq_used,
  virtq_used_elem,
  virtqUsedAvailEventOffset,
  virtqUsedRingEntryOffset,
} from '../../../specs/virtqueue/index.js';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { DeviceChain, DeviceQueueOptions, DeviceRingError } from '../../../reference-impl/virtqueue/index.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { RingKind, TransportKind } from '../../checks/check.js';
import {
  DeviceQueueWrapper,
  PackedDoubleCompletion,
  PackedMissingUsedNotification,
  PackedUsedLenExceedsWritable,
  PackedWrapFlipLate,
  type ReferenceDeviceQueue,
  SplitDoubleCompletion,
  SplitEventIdxOffByOne,
  SplitMissingUsedNotification,
  SplitUsedLenExceedsWritable,
} from '../virtqueue/index.js';
import type { DeviceMutant } from '../mutant.js';
import type { RingDeviceSide } from '../../scenarios/ring/index.js';
import { wrapDeviceQueues } from './device-queue-seam.js';

/**
 * A used entry is published before its length: split `used->idx` (packed:
 * the used flags) covers an entry whose len still holds the old value, and
 * the real len is written when the device publishes its next used entry, in
 * a later device step (bug D5: data written after the used entry was
 * published). The engine-level wrappers of `harness/mutants/virtqueue`
 * land the len on the device's very next queue call, inside the same device
 * step, where a whole device gives an observer no look at memory.
 */
export class LenLandsOnNextPublication extends DeviceQueueWrapper {
  #stale = 0;
  #pendingAt = -1;
  #pendingLen = 0;

  #lenAt(position: number): number {
    const o = this.options;
    return this.inner.format === 'split'
      ? o.deviceAddr + virtqUsedRingEntryOffset(position & (o.size - 1)) + virtq_used_elem.fields.len.offset
      : o.descAddr + PVIRTQ_DESC_SIZE * (position & 0x7fff) + pvirtq_desc.fields.len.offset;
  }

  protected override beforePublish(before: number): void {
    if (this.#pendingAt >= 0) this.mem.write32(this.#pendingAt, this.#pendingLen);
    this.#pendingAt = -1;
    this.#stale = this.mem.read32(this.#lenAt(before));
  }

  protected override published(before: number): void {
    const at = this.#lenAt(before);
    this.#pendingLen = this.mem.read32(at);
    this.#pendingAt = at;
    this.mem.write32(at, this.#stale);
  }

  protected override onReset(): void {
    this.#pendingAt = -1;
  }
}

/**
 * The device writes into the buffers it transmits: it completes the
 * partial checksum, or rewrites the header, in the guest's device-readable
 * buffer instead of a copy (modelled as flipping the first header byte
 * before the buffer is returned).
 */
export class ScribblesOnReadableBuffers extends DeviceQueueWrapper {
  override push(chain: DeviceChain, len: number): void {
    if (chain.readableCount > 0) {
      const at = chain.addr[0] as number;
      this.mem.write8(at, this.mem.read8(at) ^ 0xff);
    }
    super.push(chain, len);
  }
}

/**
 * A split device that writes the used length back into the descriptor
 * table, as a packed device writes used descriptors (split device code
 * sharing a packed ring's completion path).
 */
export class WritesLenIntoDescriptorTable extends DeviceQueueWrapper {
  protected override published(_before: number, _after: number, chain: DeviceChain | null): void {
    if (chain === null) return;
    const d = this.options.descAddr + VIRTQ_DESC_SIZE * chain.id + virtq_desc.fields.len.offset;
    this.mem.write32(d, chain.writableBytes);
  }
}

/**
 * The device's notification-suppression field lands in the wrong place:
 * a split device also writes avail_event at `used->flags` (the offset
 * computed without the used ring's length); a packed device writes its event
 * suppression structure with `desc` and `flags` swapped.
 */
export class MisplacedSuppressionField extends DeviceQueueWrapper {
  override enableNotifications(): boolean {
    const pending = super.enableNotifications();
    this.#misplace();
    return pending;
  }

  override disableNotifications(): void {
    super.disableNotifications();
    this.#misplace();
  }

  #misplace(): void {
    const o = this.options;
    if (this.inner.format === 'split') {
      if (!this.inner.eventIdx) return;
      this.mem.write16(o.deviceAddr + virtq_used.fields.flags.offset, this.mem.read16(o.deviceAddr + virtqUsedAvailEventOffset(o.size)));
      return;
    }
    const desc = o.deviceAddr + pvirtq_event_suppress.fields.desc.offset;
    const flags = o.deviceAddr + pvirtq_event_suppress.fields.flags.offset;
    const d = this.mem.read16(desc);
    this.mem.write16(desc, this.mem.read16(flags));
    this.mem.write16(flags, d);
  }
}

/**
 * A split device that looks for INDIRECT at the head of a chain only, as
 * QEMU's `virtqueue_split_pop` does: an indirect descriptor after direct
 * ones is read as a plain buffer holding the table itself
 * (`split.indirect.device.2` requires the device to follow it).
 */
export class IndirectOnlyAtHead extends DeviceQueueWrapper {
  override pop(): DeviceChain | DeviceRingError | null {
    const chain = super.pop();
    if (chain === null || chain.kind === 'ring-error' || !chain.indirect || chain.ringDescs <= 1 || this.inner.format !== 'split') return chain;
    const { descAddr, size } = this.options;
    chain.clear();
    let i = chain.id;
    for (let n = 0; n < size; n++) {
      const d = descAddr + VIRTQ_DESC_SIZE * i;
      const flags = this.mem.read16(d + virtq_desc.fields.flags.offset);
      chain.append(this.mem.read32(d + virtq_desc.fields.addr.offset), this.mem.read32(d + virtq_desc.fields.len.offset), (flags & VIRTQ_DESC_F_WRITE) !== 0);
      if ((flags & VIRTQ_DESC_F_NEXT) === 0 || (flags & VIRTQ_DESC_F_INDIRECT) !== 0) break;
      i = this.mem.read16(d + virtq_desc.fields.next.offset);
    }
    return chain;
  }
}

type Wrapper = new (inner: ReferenceDeviceQueue, mem: GuestMemory, options: DeviceQueueOptions) => RingDeviceSide;

/** A device adapter whose queues of `ring` format are wrapped by `W`. */
function wrappedDevice(id: string, ring: RingKind, W: Wrapper) {
  return referenceDeviceAdapter({
    name: id,
    tamper: (device) => wrapDeviceQueues(device, (inner, mem, options) => (inner.format === ring ? new W(inner, mem, options) : null)),
  });
}

function mutant(
  id: string,
  title: string,
  imitates: string,
  killedBy: readonly [string, ...string[]],
  ring: RingKind,
  transport: TransportKind,
  W: Wrapper,
): DeviceMutant {
  return { role: 'device', id, title, imitates, killedBy, ring, transport, adapter: wrappedDevice(id, ring, W) };
}

/** The device-side ring mutants (traffic-driven checks). */
export const deviceRingMutants: readonly DeviceMutant[] = [
  mutant(
    'device.ring.split-used-len-exceeds-writable',
    'Split used len one byte more than the chain\'s writable bytes (TX len 1 instead of 0)',
    'D13 (wrong used.len: cloud-hypervisor, vhost-vsock) and R1 (CVE-2021-47352, a driver trusting it)',
    ['ring.device.used-ring'],
    'split',
    'pci',
    SplitUsedLenExceedsWritable,
  ),
  mutant(
    'device.ring.packed-used-len-exceeds-writable',
    'Packed used len one byte more than the buffer\'s writable bytes',
    'D13 and R1, packed ring',
    ['ring.device.used-ring'],
    'packed',
    'mmio',
    PackedUsedLenExceedsWritable,
  ),
  mutant(
    'device.ring.split-double-completion',
    'The first buffer used after queue start is published twice (two used entries, used.idx + 2)',
    'R13 (RT-Thread #11326: drivers trusting used ids meet repeated completions)',
    ['ring.device.used-ring'],
    'split',
    'mmio',
    SplitDoubleCompletion,
  ),
  mutant(
    'device.ring.packed-double-completion',
    'The first buffer used after queue start gets a second used descriptor at the next slot',
    'R13, packed ring',
    ['ring.device.used-ring'],
    'packed',
    'pci',
    PackedDoubleCompletion,
  ),
  mutant(
    'device.ring.split-used-idx-before-len',
    'used.idx covers a used element whose len is written only when the next used element is published',
    'D5 (CVE-2021-3748: QEMU wrote num_buffers after publishing the used entry)',
    ['ring.device.used-publication'],
    'split',
    'pci',
    LenLandsOnNextPublication,
  ),
  mutant(
    'device.ring.packed-used-flags-before-len',
    'A packed used descriptor is made used before its len is written; the len lands with the next used descriptor',
    'D5, packed ring',
    ['ring.device.used-publication'],
    'packed',
    'mmio',
    LenLandsOnNextPublication,
  ),
  mutant(
    'device.ring.split-scribbles-on-tx-buffers',
    'The device writes into the device-readable transmit buffers it returns',
    'in-place header or checksum fix-up in guest memory instead of a copy',
    ['ring.device.driver-memory-readonly'],
    'split',
    'mmio',
    ScribblesOnReadableBuffers,
  ),
  mutant(
    'device.ring.packed-scribbles-on-tx-buffers',
    'The device writes into the device-readable transmit buffers it returns (packed ring)',
    'in-place header or checksum fix-up in guest memory instead of a copy',
    ['ring.device.driver-memory-readonly'],
    'packed',
    'pci',
    ScribblesOnReadableBuffers,
  ),
  mutant(
    'device.ring.split-writes-descriptor-table',
    'A split device writes the used length back into the descriptor table',
    'split device code reusing a packed completion path (packed devices write descriptors back)',
    ['ring.device.driver-memory-readonly'],
    'split',
    'pci',
    WritesLenIntoDescriptorTable,
  ),
  mutant(
    'device.ring.packed-wrap-flip-late',
    'After the used position wraps, the first used descriptor of the new lap carries the old wrap counter',
    'off-by-one in wrap handling (the index-wrap family of D3/D24, packed ring)',
    ['ring.device.packed-used-wrap'],
    'packed',
    'pci',
    PackedWrapFlipLate,
  ),
  mutant(
    'device.ring.split-misplaced-avail-event',
    'With EVENT_IDX the device also writes avail_event into used->flags (wrong offset)',
    'offset arithmetic error in the used ring layout (used->ring[Q] computed without Q)',
    ['ring.device.suppression-flags'],
    'split',
    'mmio',
    MisplacedSuppressionField,
  ),
  mutant(
    'device.ring.packed-swapped-event-suppression',
    'The device writes its packed event suppression structure with desc and flags swapped',
    'field order error in struct pvirtq_event_suppress',
    ['ring.device.suppression-flags'],
    'packed',
    'pci',
    MisplacedSuppressionField,
  ),
  mutant(
    'device.ring.split-missing-used-notification',
    'The device never sends a used-buffer notification',
    'D20 (Firecracker #1436: no interrupt for TX used descriptors)',
    ['ring.device.used-buffer-notification'],
    'split',
    'pci',
    SplitMissingUsedNotification,
  ),
  mutant(
    'device.ring.packed-missing-used-notification',
    'The device never sends a used-buffer notification (packed ring)',
    'D20 (Firecracker #1436)',
    ['ring.device.used-buffer-notification'],
    'packed',
    'mmio',
    PackedMissingUsedNotification,
  ),
  mutant(
    'device.ring.split-event-idx-off-by-one',
    'With EVENT_IDX the device notifies when used_event is in (old, new] instead of [old, new)',
    'missed interrupts of the D9/D20 family (a vring_need_event written with the window shifted by one)',
    ['ring.device.used-buffer-notification'],
    'split',
    'mmio',
    SplitEventIdxOffByOne,
  ),
];

/** The split device that follows INDIRECT only at a chain's head. */
export const indirectOnlyAtHeadMutant: DeviceMutant = mutant(
  'device.ring.split-indirect-only-at-head',
  'An indirect descriptor after direct ones is read as a plain buffer',
  'QEMU virtqueue_split_pop, which checks INDIRECT on the head descriptor only',
  ['ring.device.indirect-layouts'],
  'split',
  'mmio',
  IndirectOnlyAtHead,
);

/**
 * A device that, on a malformed chain, stops serving the queue without
 * DEVICE_NEEDS_RESET: the ring error is swallowed, the queue stays failed,
 * and the driver is never told (bug R4: a device gone broken on a
 * zero-sized buffer that never answered again).
 */
export const silentRingErrorMutant: DeviceMutant = {
  role: 'device',
  id: 'device.ring.silent-ring-error',
  title: 'A malformed chain wedges the queue without DEVICE_NEEDS_RESET',
  imitates: 'R4 (device broken on a zero-sized buffer, never answered; the driver waited forever)',
  killedBy: ['ring.device.malformed-chain-recovery'],
  ring: 'split',
  transport: 'pci',
  adapter: referenceDeviceAdapter({
    name: 'device.ring.silent-ring-error',
    tamper(device) {
      const context = device.core.context;
      const fail = context.fail;
      context.fail = (reason) => {
        if (reason.kind !== 'ring-error') fail(reason);
      };
    },
  }),
};
