/**
 * Whole-driver ring mutants: the reference front end with one ring rule
 * broken in its virtqueues, through the driver adapter's `tamper` hook
 * (after probe). Each patches the queue handles the virtio-net driver uses
 * (`vi.rq[].vq`, `vi.sq[].vq`, the control queue) and rewrites ring memory
 * right after the reference ring engine wrote it, so the driver differs
 * from the reference only in the rule broken.
 *
 * @module
 */

import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX } from '../../../specs/features/reserved.js';
import {
  PVIRTQ_DESC_SIZE,
  pvirtq_desc,
  pvirtq_event_suppress,
  RING_EVENT_FLAGS_DESC,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_DESC_SIZE,
  virtq_avail,
  virtq_desc,
} from '../../../specs/virtqueue/index.js';
import { VirtqueueHandle } from '../../../reference-impl/frontend/virtio/driver-virtqueue.js';
import type { VirtioNetFrontEnd } from '../../../reference-impl/frontend/virtio-net/virtio-net-frontend.js';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { AddResult } from '../../../reference-impl/virtqueue/index.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { RingKind, TransportKind } from '../../checks/check.js';
import type { DriverMutant } from '../mutant.js';

type Handle = VirtqueueHandle<unknown>;
type QueueSet = 'rx' | 'tx';

/** The queue handles of the front end in `set`. */
function handles(fe: VirtioNetFrontEnd, set: QueueSet): Handle[] {
  const vi = fe.vi;
  const picked: unknown[] = set === 'rx' ? vi.rq.map((q) => q.vq) : vi.sq.map((q) => q.vq);
  return picked.filter((vq): vq is Handle => vq instanceof VirtqueueHandle);
}

/** The ring position before an add: split `avail->idx` shadow, packed `slot | wrap << 15`. */
function position(vq: Handle): number {
  const r = vq.ring;
  return r.format === 'split' ? r.availIdx : r.availPosition;
}

/** What an add hook learns: the position before and after, and (split) the head it used. */
interface Added {
  readonly before: number;
  readonly after: number;
  readonly head: number;
}

/** Calls `hook` after every successful add on `vq`, whichever add method the driver used. */
function afterEachAdd(vq: Handle, hook: (added: Added) => void): void {
  const methods = vq as unknown as Record<'add' | 'addSgs' | 'addOutbuf' | 'addInbuf', (...args: never[]) => AddResult>;
  for (const name of ['add', 'addSgs', 'addOutbuf', 'addInbuf'] as const) {
    const original = methods[name].bind(vq) as (...args: unknown[]) => AddResult;
    (methods as Record<string, unknown>)[name] = (...args: unknown[]): AddResult => {
      const before = position(vq);
      const r = original(...args);
      if (r.kind === 'added') hook({ before, after: position(vq), head: vq.ring.format === 'split' ? vq.ring.lastHead : vq.ring.lastId });
      return r;
    };
  }
}

function descAt(vq: Handle, index: number): number {
  return vq.layout.descAddr + VIRTQ_DESC_SIZE * index;
}

function memoryOf(fe: VirtioNetFrontEnd): GuestMemory {
  return fe.vi.memory;
}

/** The driver decides the kick correctly, then never notifies the device on the transmitq. */
function missingTxKick(fe: VirtioNetFrontEnd): void {
  for (const vq of handles(fe, 'tx')) {
    const prepare = vq.kickPrepare.bind(vq);
    vq.kickPrepare = (): boolean => {
      prepare();
      return false;
    };
  }
}

/**
 * Each receive buffer's head descriptor still holds its old contents when
 * the index (split) or its flags (packed) publish it; the real addr, len
 * and id land with the next buffer added (a missing write barrier).
 */
function descriptorAfterPublication(fe: VirtioNetFrontEnd): void {
  const mem = memoryOf(fe);
  for (const vq of handles(fe, 'rx')) {
    let pendingAt = -1;
    let pending: Uint8Array = new Uint8Array(0);
    let old: Uint8Array = new Uint8Array(0);
    const split = vq.ring.format === 'split';
    const bytes = split ? VIRTQ_DESC_SIZE : pvirtq_desc.fields.flags.offset;
    const table = vq.layout.descAddr;
    const tableBytes = (split ? VIRTQ_DESC_SIZE : PVIRTQ_DESC_SIZE) * vq.size;
    const add = vq.addInbuf.bind(vq);
    const addBuf = vq.add.bind(vq);
    const snapshotThen = <A extends unknown[]>(fn: (...a: A) => AddResult) => (...a: A): AddResult => {
      if (pendingAt >= 0) mem.writeBytes(pendingAt, pending);
      pendingAt = -1;
      old = mem.copyOut(table, tableBytes);
      const before = position(vq);
      const r = fn(...a);
      if (r.kind !== 'added') return r;
      const at = split ? descAt(vq, vq.ring.lastHead) : table + PVIRTQ_DESC_SIZE * (before & 0x7fff);
      pending = mem.copyOut(at, bytes);
      pendingAt = at;
      mem.writeBytes(at, old.subarray(at - table, at - table + bytes));
      return r;
    };
    vq.addInbuf = snapshotThen(add);
    vq.add = snapshotThen(addBuf);
  }
}

/**
 * Every receive buffer added shrinks, in place, the one added half a ring
 * earlier, which the device still owns (a posted buffer resized when the
 * mergeable length estimate changes).
 */
function rewritesOutstandingBuffer(fe: VirtioNetFrontEnd): void {
  const mem = memoryOf(fe);
  for (const vq of handles(fe, 'rx')) {
    const lenAt: number[] = [];
    const split = vq.ring.format === 'split';
    afterEachAdd(vq, ({ before, head }) => {
      lenAt.push(split ? descAt(vq, head) + virtq_desc.fields.len.offset : vq.layout.descAddr + PVIRTQ_DESC_SIZE * (before & 0x7fff) + pvirtq_desc.fields.len.offset);
      if (lenAt.length <= vq.size / 2) return;
      const at = lenAt.shift() as number;
      mem.write32(at, Math.max(1, mem.read32(at) - 16));
    });
  }
}

/**
 * After the driver's position wraps, the head of its next receive buffer
 * still carries the previous lap's AVAIL/USED bits (the wrap counter
 * flipped one buffer late).
 */
function availWrapFlipLate(fe: VirtioNetFrontEnd): void {
  const mem = memoryOf(fe);
  for (const vq of handles(fe, 'rx')) {
    if (vq.ring.format !== 'packed') continue;
    let flipPending = false;
    afterEachAdd(vq, ({ before, after }) => {
      if (flipPending) {
        const at = vq.layout.descAddr + PVIRTQ_DESC_SIZE * (before & 0x7fff) + pvirtq_desc.fields.flags.offset;
        const oldWrap = (before >>> 15) ^ 1;
        mem.write16(at, (mem.read16(at) & ~(VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED)) | (oldWrap !== 0 ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED));
        flipPending = false;
      }
      if (after >>> 15 !== before >>> 15) flipPending = true;
    });
  }
}

/**
 * The callback-less control queue's used-buffer suppression is set up for
 * the other EVENT_IDX mode: split `avail->flags = NO_INTERRUPT` although
 * EVENT_IDX was negotiated, packed driver event flags DESC although it
 * was not (the init rule for callback-less queues applied without
 * checking the feature).
 */
function suppressionModeMismatch(fe: VirtioNetFrontEnd): void {
  const mem = memoryOf(fe);
  const eventIdx = hasFeature(fe.vdev.features, VIRTIO_F_EVENT_IDX);
  const cvq = fe.vi.cvq?.vq;
  if (!(cvq instanceof VirtqueueHandle)) return;
  if (cvq.format === 'split' && eventIdx) mem.write16(cvq.layout.driverAddr + virtq_avail.fields.flags.offset, VIRTQ_AVAIL_F_NO_INTERRUPT);
  if (cvq.format === 'packed' && !eventIdx) mem.write16(cvq.layout.driverAddr + pvirtq_event_suppress.fields.flags.offset, RING_EVENT_FLAGS_DESC);
}

/**
 * Multi-descriptor receive chains end with a device-readable descriptor:
 * WRITE is missing on the last one (an out segment appended after the in
 * segments).
 */
function readableAfterWritable(fe: VirtioNetFrontEnd): void {
  const mem = memoryOf(fe);
  for (const vq of handles(fe, 'rx')) {
    afterEachAdd(vq, ({ before, after, head }) => {
      let last = -1;
      if (vq.ring.format === 'split') {
        let i = head;
        for (let n = 0; n < vq.size; n++) {
          const flags = mem.read16(descAt(vq, i) + virtq_desc.fields.flags.offset);
          if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0 || (flags & VIRTQ_DESC_F_NEXT) === 0) break;
          i = mem.read16(descAt(vq, i) + virtq_desc.fields.next.offset);
          last = i;
        }
        if (last >= 0) last = descAt(vq, last);
      } else {
        const count = ((after & 0x7fff) - (before & 0x7fff) + vq.size) % vq.size;
        if (count > 1) last = vq.layout.descAddr + PVIRTQ_DESC_SIZE * (((before & 0x7fff) + count - 1) % vq.size);
      }
      if (last < 0) return;
      const flagsAt = last + (vq.ring.format === 'split' ? virtq_desc.fields.flags.offset : pvirtq_desc.fields.flags.offset);
      mem.write16(flagsAt, mem.read16(flagsAt) & ~VIRTQ_DESC_F_WRITE);
    });
  }
}

/** Receive buffers' indirect descriptors are linked into a chain: NEXT set on them (split `next` to the following index). */
function indirectWithNext(fe: VirtioNetFrontEnd): void {
  const mem = memoryOf(fe);
  for (const vq of handles(fe, 'rx')) {
    afterEachAdd(vq, ({ before, head }) => {
      const split = vq.ring.format === 'split';
      const at = split ? descAt(vq, head) : vq.layout.descAddr + PVIRTQ_DESC_SIZE * (before & 0x7fff);
      const flagsAt = at + (split ? virtq_desc.fields.flags.offset : pvirtq_desc.fields.flags.offset);
      const flags = mem.read16(flagsAt);
      if ((flags & VIRTQ_DESC_F_INDIRECT) === 0) return;
      if (split) mem.write16(at + virtq_desc.fields.next.offset, (head + 1) % vq.size);
      mem.write16(flagsAt, flags | VIRTQ_DESC_F_NEXT);
    });
  }
}

function mutant(
  id: string,
  title: string,
  imitates: string,
  killedBy: readonly [string, ...string[]],
  ring: RingKind,
  transport: TransportKind,
  tamper: (fe: VirtioNetFrontEnd) => void,
): DriverMutant {
  return { role: 'driver', id, title, imitates, killedBy, ring, transport, adapter: referenceDriverAdapter({ name: id, tamper }) };
}

const BARRIER = 'a missing write barrier: the device can read a half-written buffer (split.op.driver.4, packed.op.driver.2)';

/** The driver-side ring mutants. */
export const driverRingMutants: readonly DriverMutant[] = [
  mutant('driver.ring.split-missing-tx-kick', 'The driver never notifies the transmitq', 'the driver half of D9/D20: a lost kick stalls TX', ['ring.driver.available-buffer-notification'], 'split', 'pci', missingTxKick),
  mutant('driver.ring.packed-missing-tx-kick', 'The driver never notifies the transmitq (packed ring)', 'the driver half of D9/D20', ['ring.driver.available-buffer-notification'], 'packed', 'mmio', missingTxKick),
  mutant('driver.ring.split-descriptor-after-avail-idx', 'Receive descriptors are written after avail->idx publishes them', BARRIER, ['ring.driver.published-buffers-unchanged'], 'split', 'mmio', descriptorAfterPublication),
  mutant('driver.ring.packed-descriptor-after-flags', 'Receive descriptors get addr, len and id after their flags made them available', BARRIER, ['ring.driver.published-buffers-unchanged'], 'packed', 'pci', descriptorAfterPublication),
  mutant('driver.ring.split-rewrites-outstanding-buffer', 'Posted receive buffers are shrunk in place while the device owns them', 'a posted buffer resized when the mergeable length estimate changes', ['ring.driver.published-buffers-unchanged'], 'split', 'pci', rewritesOutstandingBuffer),
  mutant('driver.ring.packed-rewrites-outstanding-buffer', 'Posted receive buffers are shrunk in place while the device owns them (packed ring)', 'a posted buffer resized when the mergeable length estimate changes', ['ring.driver.published-buffers-unchanged'], 'packed', 'mmio', rewritesOutstandingBuffer),
  mutant('driver.ring.packed-avail-wrap-flip-late', 'After its position wraps, the next buffer head carries the previous lap\'s AVAIL/USED bits', 'off-by-one in wrap handling (the index-wrap family of D3/D24, driver side)', ['ring.driver.packed-avail-wrap'], 'packed', 'pci', availWrapFlipLate),
  mutant('driver.ring.split-no-interrupt-with-event-idx', 'The control queue sets avail->flags = NO_INTERRUPT although EVENT_IDX was negotiated', 'the callback-less queue init rule (linux-driver-facts §4.2) applied without checking EVENT_IDX', ['ring.driver.suppression-flags'], 'split', 'mmio', suppressionModeMismatch),
  mutant('driver.ring.packed-desc-flags-without-event-idx', 'The control queue asks for descriptor-specific notifications although EVENT_IDX was not negotiated', 'the EVENT_IDX suppression mode used without the feature', ['ring.driver.suppression-flags'], 'packed', 'pci', suppressionModeMismatch),
  mutant('driver.ring.split-readable-after-writable', 'Multi-descriptor receive chains end with a device-readable descriptor', 'an out segment appended after the in segments (framing.driver.1)', ['ring.driver.chain-well-formed'], 'split', 'pci', readableAfterWritable),
  mutant('driver.ring.packed-readable-after-writable', 'Multi-descriptor receive lists end with a device-readable descriptor', 'an out segment appended after the in segments (packed.sg.driver.3)', ['ring.driver.chain-well-formed'], 'packed', 'mmio', readableAfterWritable),
  mutant('driver.ring.split-indirect-with-next', 'Indirect descriptors are chained with NEXT', 'an indirect table linked into a direct chain (split.indirect.driver.4)', ['ring.driver.chain-well-formed'], 'split', 'mmio', indirectWithNext),
  mutant('driver.ring.packed-indirect-in-list', 'Indirect descriptors are chained with NEXT into a list (packed ring)', 'descriptor types mixed in one list (packed.indirect.driver.4)', ['ring.driver.chain-well-formed'], 'packed', 'pci', indirectWithNext),
];
