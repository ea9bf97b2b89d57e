/**
 * One negotiation of a device under test, driven by hand: the check places buffers of any shape
 * (a header split at any byte, a chain shorter than the header) on receiveq1 or transmitq1,
 * kicks, injects frames and collects used buffers. Everything goes through the adapter contract:
 * registers, guest memory (with `push` before a notification and `pull` before reading what the
 * device wrote) and the wire.
 *
 * Interrupts are not used: queues are set up without callbacks and polled, so a check sees used
 * buffers whatever the device's notification behaviour (another area judges that).
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MAC } from '../../../specs/features/net.js';
import { virtioNetHdrLength, type VirtioNetHdrLength } from '../../../specs/net/hdr.js';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { PVIRTQ_EVENT_SUPPRESS_SIZE, pvirtqDescRingSize } from '../../../specs/virtqueue/packed.js';
import { virtqAvailRingSize, virtqDescTableSize, virtqUsedRingSize } from '../../../specs/virtqueue/split.js';
import type { DriverVirtqueue, VirtioConfigOps } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import type { DriverRingError, VirtqueueLayout } from '../../../reference-impl/virtqueue/index.js';
import type { DeviceUnderTest } from '../../adapters/contract.js';
import type { RingKind } from '../../checks/check.js';
import type { DeviceCheckContext } from '../../checks/context.js';
import type { NetRig } from './net-rig.js';

/** A used buffer as the session collected it, copied out of the ring engine's shared object. */
export interface UsedEntry {
  readonly token: number;
  readonly len: number;
}

/** What {@link NetSession.collect} saw: the used buffers, and the ring error that stopped it, if any. */
export interface Collected {
  readonly used: readonly UsedEntry[];
  readonly error: DriverRingError | null;
}

/** A segment of a buffer the check places: bytes for the device to read, or room for it to write. */
export type BufferPart = { readonly kind: 'out'; readonly bytes: Uint8Array } | { readonly kind: 'in'; readonly len: number };

/** A buffer placed in guest memory: its segments, as the device sees them. */
export interface PlacedBuffer {
  readonly token: number;
  readonly segments: readonly { readonly addr: number; readonly len: number; readonly writable: boolean }[];
}

/** Polling rounds that let a device in another process catch up before "nothing happened" is concluded. */
const QUIET_ROUNDS = 3;
/** Upper bound on waiting for buffers the check expects back. */
const EXPECT_MS = 500;

function yieldOnce(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function ringAreas(format: RingKind, layout: VirtqueueLayout): readonly [number, number][] {
  const q = layout.size;
  return format === 'split'
    ? [
        [layout.descAddr, virtqDescTableSize(q)],
        [layout.driverAddr, virtqAvailRingSize(q)],
        [layout.deviceAddr, virtqUsedRingSize(q)],
      ]
    : [
        [layout.descAddr, pvirtqDescRingSize(q)],
        [layout.driverAddr, PVIRTQ_EVENT_SUPPRESS_SIZE],
        [layout.deviceAddr, PVIRTQ_EVENT_SUPPRESS_SIZE],
      ];
}

function layoutOf(vq: DriverVirtqueue<number>): VirtqueueLayout {
  const layout = (vq as { layout?: VirtqueueLayout }).layout;
  if (layout === undefined) throw new Error('the transport driver returned a virtqueue without a layout');
  return layout;
}

/** One negotiation of a rig's device, driven by hand through receiveq1 and transmitq1. */
export class NetSession {
  /** Header length on both queues for the negotiated features (`virtioNetHdrLength`). */
  readonly hdrLength: VirtioNetHdrLength;
  /** Ring format of both queues. */
  readonly format: RingKind;
  /** The device under test. */
  readonly device: DeviceUnderTest;
  /** The harness's transport driver. */
  readonly ops: VirtioConfigOps;
  #tokens = 0;
  #cursor = 0;
  readonly #placed = new Map<number, PlacedBuffer>();

  constructor(
    private readonly ctx: DeviceCheckContext,
    rig: NetRig,
    /** What the device offered. */
    readonly offered: FeatureSet,
    /** What was negotiated. */
    readonly features: FeatureSet,
    /** receiveq1. */
    readonly rx: DriverVirtqueue<number>,
    /** transmitq1. */
    readonly tx: DriverVirtqueue<number>,
    private readonly arena: { readonly base: number; readonly size: number },
  ) {
    this.hdrLength = virtioNetHdrLength(features);
    this.format = rx.format;
    this.device = rig.device;
    this.ops = rig.ops;
  }

  /** True when `bit` was negotiated. */
  has(bit: number): boolean {
    return hasFeature(this.features, bit);
  }

  /** The buffer placed under `token`. */
  placed(token: number): PlacedBuffer | undefined {
    return this.#placed.get(token);
  }

  /**
   * Copies `parts` into fresh guest memory and makes them available on `vq` as one buffer (readable
   * parts first, as `framing.driver.1` demands). Returns null when the ring is full.
   */
  async place(vq: DriverVirtqueue<number>, parts: readonly BufferPart[]): Promise<PlacedBuffer | null> {
    const memory = this.device.memory;
    const segments: { addr: number; len: number; writable: boolean }[] = [];
    for (const part of parts) {
      const len = part.kind === 'out' ? part.bytes.length : part.len;
      const addr = this.#alloc(len);
      if (part.kind === 'out') {
        memory.view.writeBytes(addr, part.bytes);
      } else {
        // A recognisable pattern, so bytes the device did not write are told apart from zeros it wrote.
        memory.view.fill(addr, len, 0xa5);
      }
      await memory.push(addr, len);
      segments.push({ addr, len, writable: part.kind === 'in' });
    }
    const token = this.#tokens++;
    const out = segments.filter((s) => !s.writable);
    const inn = segments.filter((s) => s.writable);
    const added = vq.addSgs(out, inn, token);
    if (added.kind !== 'added') return null;
    for (const [addr, len] of ringAreas(this.format, layoutOf(vq))) await memory.push(addr, len);
    const placed = { token, segments };
    this.#placed.set(token, placed);
    this.ctx.trace.record(`q${vq.index}: buffer ${token} available: ${segments.map((s) => `${s.writable ? 'w' : 'r'}${s.len}`).join('+')}`);
    return placed;
  }

  /**
   * Notifies the device about `vq` (after the ring memory was pushed).
   * @throws Error when the notification could not be delivered: the register write failed (an
   *   in-process device threw, an external one went away), which the runner reports as a crash.
   */
  async kick(vq: DriverVirtqueue<number>): Promise<void> {
    this.ctx.trace.record(`q${vq.index}: notify`);
    if (!(await vq.notify())) throw new Error(`the notification of virtqueue ${vq.index} could not be delivered (the device failed the register write)`);
  }

  /** Hands `frame` to the device's wire. */
  async inject(frame: Uint8Array): Promise<void> {
    this.ctx.trace.record(`wire: inject ${frame.length} bytes`);
    await this.device.wire.inject(frame);
  }

  /** Frames the device transmitted since the last call. */
  async drainWire(): Promise<readonly Uint8Array[]> {
    const frames = (await this.device.wire.drain()).map((f) => f.bytes);
    if (frames.length > 0) this.ctx.trace.record(`wire: ${frames.map((f) => f.length).join(', ')} bytes sent`);
    return frames;
  }

  /**
   * Collects used buffers of `vq` until `expected` arrived (waiting up to a bound), or — with
   * `expected` 0 — until a few quiet polling rounds passed. A ring error stops collection.
   */
  async collect(vq: DriverVirtqueue<number>, expected = 0): Promise<Collected> {
    const used: UsedEntry[] = [];
    const deadline = performance.now() + EXPECT_MS;
    for (let round = 0; ; round++) {
      await this.#pullUsed(vq);
      for (;;) {
        const u = vq.getBuf();
        if (u === null) break;
        if (u.kind === 'ring-error') {
          this.ctx.trace.record(`q${vq.index}: ring error ${u.code}: ${u.message}`);
          return { used, error: u };
        }
        used.push({ token: u.token, len: u.len });
        this.ctx.trace.record(`q${vq.index}: used buffer ${u.token} len ${u.len}`);
      }
      if (expected > 0 ? used.length >= expected || performance.now() > deadline : round >= QUIET_ROUNDS) return { used, error: null };
      await yieldOnce();
    }
  }

  /** The first `len` bytes the device wrote into `placed`'s writable segments, in order. */
  async written(placed: PlacedBuffer, len: number): Promise<Uint8Array> {
    const out = new Uint8Array(len);
    let at = 0;
    for (const s of placed.segments) {
      if (!s.writable || at >= len) continue;
      const take = Math.min(s.len, len - at);
      await this.device.memory.pull(s.addr, take);
      out.set(this.device.memory.view.bytes(s.addr, take), at);
      at += take;
    }
    return out;
  }

  /** The device's MAC address from config space when VIRTIO_NET_F_MAC was negotiated, else null. */
  async mac(): Promise<Uint8Array | null> {
    if (!this.has(VIRTIO_NET_F_MAC)) return null;
    const mac = new Uint8Array(6);
    for (let i = 0; i < 6; i++) mac[i] = await this.ops.get(i, 1);
    return mac;
  }

  /** The device status byte. */
  status(): Promise<number> {
    return this.ops.getStatus();
  }

  /** True when the device has set DEVICE_NEEDS_RESET. */
  async needsReset(): Promise<boolean> {
    return ((await this.status()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
  }

  #alloc(len: number): number {
    const at = (this.#cursor + 15) & ~15;
    if (at + len > this.arena.size) throw new RangeError(`a session's buffers exceed ${this.arena.size} bytes`);
    this.#cursor = at + Math.max(len, 1);
    return this.arena.base + at;
  }

  async #pullUsed(vq: DriverVirtqueue<number>): Promise<void> {
    const areas = ringAreas(this.format, layoutOf(vq));
    // Split: the used ring; packed: the descriptor ring, where used descriptors are written.
    const [addr, len] = this.format === 'split' ? (areas[2] as [number, number]) : (areas[0] as [number, number]);
    await this.device.memory.pull(addr, len);
  }
}
