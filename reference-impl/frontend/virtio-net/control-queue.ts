/**
 * `virtnet_send_command` (virtio_net.c:2043-2086): one control command on
 * the control virtqueue, laid out as Linux lays it out (linux-driver-facts
 * §2.1): a 2-byte device-readable `virtio_net_ctrl_hdr`, one
 * device-readable descriptor per payload entry (zero-length entries
 * included, as Linux sends them), then one device-writable status byte
 * preset to 0xFF so that a device that never writes it reads as failure
 * (`net.ctrl.any.1`, `net.ctrl.any.driver.1`).
 *
 * **Bounded wait.** Linux busy-polls `virtqueue_get_buf` with no time-out
 * and no sleep; a device that never answers hangs the guest (bug R4). The
 * reference polls at most {@link ControlQueueOptions.pollLimit} times and
 * for at most {@link ControlQueueOptions.timeoutMs}, then returns a typed
 * `timeout` outcome instead of hanging. A completion that arrives later for
 * a timed-out command is recognised by its token and discarded; each
 * command alternates between two header/status slots so that such a late
 * status write cannot land in the current command's status byte.
 *
 * Like Linux, the used length is ignored and the returned token is not
 * otherwise checked; OK means exactly "the status byte reads 0".
 *
 * @module
 */

import { CTRL_ACK_SIZE, CTRL_HEADER_SIZE, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import type { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import type { DriverRingError } from '../../virtqueue/index.js';
import type { DriverVirtqueue } from '../virtio/virtio-config-ops.js';
import { CTRL_STATUS_PRESET } from './constants.js';

/** What became of one control command. */
export type CtrlOutcome =
  /** The device wrote VIRTIO_NET_OK. */
  | { readonly kind: 'ok'; readonly status: number }
  /** The device completed the command with another status (0xFF: it never wrote one). */
  | { readonly kind: 'err'; readonly status: number }
  /**
   * No completion within the bound. Linux would spin forever here; the
   * reference gives up and reports it.
   */
  | { readonly kind: 'timeout'; readonly polls: number; readonly elapsedMs: number }
  /** `virtqueue_add_sgs` failed ("Failed to add sgs for command vq"), or the payload did not fit the command area. */
  | { readonly kind: 'add-failed'; readonly reason: 'no-space' | 'broken' | 'no-memory'; readonly message: string }
  /** The kick failed or the queue broke while waiting; Linux then returns `status == OK` anyway. */
  | { readonly kind: 'broken'; readonly status: number; readonly error: DriverRingError | null }
  /** No control queue negotiated: Linux hits `BUG_ON(!CTRL_VQ)` (virtio_net.c:2050). */
  | { readonly kind: 'no-cvq' };

/** Linux's boolean answer for an outcome: `ctrl->status == VIRTIO_NET_OK`. */
export function ctrlOk(outcome: CtrlOutcome): boolean {
  return outcome.kind === 'ok' || (outcome.kind === 'broken' && outcome.status === VIRTIO_NET_OK);
}

/** Options of {@link ControlQueue}. */
export interface ControlQueueOptions {
  /** Polls of the used ring before giving up. @default 100000 */
  readonly pollLimit?: number;
  /** Wall-clock bound on the wait, in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
  /** Bytes of guest memory for command payloads (MAC tables, RSS). @default 65536 */
  readonly payloadArea?: number;
  /** How to yield between polls, so an asynchronous device can answer. @default setImmediate */
  readonly yieldFn?: () => Promise<void>;
}

/** One command as the device saw it: for tests and logs. */
export interface CtrlRecord {
  readonly class: number;
  readonly command: number;
  /** Lengths of the payload descriptors, in order. */
  readonly payloadLengths: readonly number[];
  readonly outcome: CtrlOutcome;
}

const SLOT_BYTES = 16;
const SLOTS = 2;

function defaultYield(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The control virtqueue and its guest buffers (Linux `vi->cvq` and `struct control_buf`). */
export class ControlQueue {
  /** Every command sent, oldest first. */
  readonly history: CtrlRecord[] = [];
  private readonly slotBase: number;
  private readonly payloadBase: number;
  private readonly payloadSize: number;
  private readonly pollLimit: number;
  private readonly timeoutMs: number;
  private readonly yieldFn: () => Promise<void>;
  private seq = 0;

  /**
   * @param vq - the control virtqueue (polled: no callback).
   * @param memory - guest memory.
   * @param allocator - where the header, status and payload buffers come from (once).
   */
  constructor(
    /** The control virtqueue; replaced when the queues are set up again (restore). */
    public vq: DriverVirtqueue<number>,
    private readonly memory: GuestMemory,
    allocator: GuestAllocator,
    options: ControlQueueOptions = {},
  ) {
    this.slotBase = allocator.alloc(SLOT_BYTES * SLOTS, 16);
    this.payloadSize = options.payloadArea ?? 65536;
    this.payloadBase = allocator.alloc(this.payloadSize, 16);
    this.pollLimit = options.pollLimit ?? 100_000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.yieldFn = options.yieldFn ?? defaultYield;
  }

  /** Guest address of the header of the slot the next command uses. */
  get nextHeaderAddr(): number {
    return this.slotBase + SLOT_BYTES * (this.seq % SLOTS);
  }

  /**
   * Sends `class`/`command` with `payload` (each entry one descriptor; null
   * or empty for none, as ANNOUNCE_ACK) and waits, bounded, for the answer.
   */
  async send(klass: number, command: number, payload: readonly Uint8Array[] | null = null): Promise<CtrlOutcome> {
    const entries = payload ?? [];
    const outcome = await this.sendInner(klass, command, entries);
    this.history.push({ class: klass, command, payloadLengths: entries.map((p) => p.length), outcome });
    return outcome;
  }

  private async sendInner(klass: number, command: number, entries: readonly Uint8Array[]): Promise<CtrlOutcome> {
    let total = 0;
    for (const p of entries) total += (p.length + 15) & ~15;
    if (total > this.payloadSize) {
      return { kind: 'add-failed', reason: 'no-memory', message: `payload of ${total} bytes exceeds the ${this.payloadSize}-byte command area` };
    }
    // More segments than ring entries: Linux's add fails with -ENOSPC (it warns once); the stage cannot hold them.
    if (entries.length + 2 > this.vq.stage.capacity) {
      return { kind: 'add-failed', reason: 'no-space', message: 'Failed to add sgs for command vq: -28.' };
    }
    const token = (this.seq = (this.seq + 1) & 0x3fff_ffff);
    const hdr = this.slotBase + SLOT_BYTES * (token % SLOTS);
    const status = hdr + CTRL_HEADER_SIZE;
    const mem = this.memory;
    mem.write8(hdr, klass);
    mem.write8(hdr + 1, command);
    mem.write8(status, CTRL_STATUS_PRESET);
    const stage = this.vq.stage;
    stage.clear();
    stage.out(hdr, CTRL_HEADER_SIZE);
    let at = this.payloadBase;
    for (const p of entries) {
      if (p.length > 0) mem.writeBytes(at, p);
      stage.out(at, p.length);
      at += (p.length + 15) & ~15;
    }
    stage.in(status, CTRL_ACK_SIZE);
    const added = this.vq.add(token);
    if (added.kind !== 'added') {
      const reason = added.kind === 'broken' ? 'broken' : 'no-space';
      const code = added.kind === 'broken' ? -5 : -28;
      return { kind: 'add-failed', reason, message: `Failed to add sgs for command vq: ${code}.` };
    }
    if (!(await this.vq.kick())) return { kind: 'broken', status: mem.read8(status), error: this.vq.brokenBy };
    return this.wait(token, status);
  }

  private async wait(token: number, status: number): Promise<CtrlOutcome> {
    const start = Date.now();
    let polls = 0;
    for (;;) {
      const used = this.vq.getBuf();
      if (used !== null && used.kind === 'ring-error') {
        return { kind: 'broken', status: this.memory.read8(status), error: used };
      }
      if (used !== null && used.token === token) {
        const s = this.memory.read8(status);
        return s === VIRTIO_NET_OK ? { kind: 'ok', status: s } : { kind: 'err', status: s };
      }
      // A used entry with another token is a late answer to a timed-out command: skip it.
      if (used !== null) continue;
      if (this.vq.isBroken) return { kind: 'broken', status: this.memory.read8(status), error: this.vq.brokenBy };
      polls++;
      const elapsedMs = Date.now() - start;
      if (polls >= this.pollLimit || elapsedMs >= this.timeoutMs) return { kind: 'timeout', polls, elapsedMs };
      await this.yieldFn();
    }
  }
}
