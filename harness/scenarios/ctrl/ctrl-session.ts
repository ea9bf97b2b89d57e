/**
 * A scripted driver for device-side control-queue checks: it brings a device under test up with
 * the harness's transport driver and the front end's generic virtio core (reset, features,
 * FEATURES_OK, queues, DRIVER_OK), sets up the receive queues and the controlq, and then sends
 * control commands laid out as Linux lays them out (linux-driver-facts §2.1: a 2-byte
 * device-readable header, one device-readable descriptor per payload entry, then one
 * device-writable ack byte preset to 0xFF), injects frames and collects what arrives.
 *
 * It judges nothing: it reports what the device did (ack, used len, deliveries) for a check to
 * judge. A device that cannot be brought up with the features a check needs makes the check not
 * applicable ({@link NotApplicable}), never passed.
 *
 * @module
 */

import { type FeatureSet, featureMask, featureName, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS } from '../../../specs/features/net.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { CTRL_ACK_SIZE, CTRL_HEADER_SIZE } from '../../../specs/net/ctrl.js';
import { virtio_net_config } from '../../../specs/net/config.js';
import { virtioNetHdrLength } from '../../../specs/net/hdr.js';
import { controlq, queuePairCount, receiveq, transmitq } from '../../../specs/net/queues.js';
import { VIRTIO_ID_NET } from '../../../specs/transport/pci.js';
import type { DriverVirtqueue, VirtioDriver, VirtqueueRequest } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import { VirtioDriverDevice } from '../../../reference-impl/frontend/virtio/virtio-driver-device.js';
import type { DriverRingError } from '../../../reference-impl/virtqueue/index.js';
import type { DeviceUnderTest } from '../../adapters/contract.js';
import { NotApplicable, type DeviceCheckContext } from '../../checks/context.js';
import { bindTransportDriver } from '../../drivers/transport-driver.js';
import { formatMac } from './frames.js';

/** The value the ack byte holds before the device answers (Linux presets `~0`). */
export const ACK_PRESET = 0xff;
/** Filler of the result area, so bytes the device did not write are recognisable. */
export const RESULT_PRESET = 0xee;
/** Receive buffer size: a 1514-byte frame plus the largest header this session negotiates. */
export const RX_BUFFER_SIZE = 2048;
/**
 * Event-loop turns a command may take to be answered. In process the device answers inside the
 * notification; the turns are for devices behind an asynchronous seam. Past them, a command
 * counts as unanswered (a device must answer every command, bug R4).
 */
export const ANSWER_ROUNDS = 64;
/**
 * Looks at the receive queues before a frame counts as not delivered: at once, then once more
 * after a microtask. In process the device delivers inside `inject`; a device behind an
 * asynchronous seam needs its adapter to complete delivery (or the drop) before `inject` resolves.
 */
export const DELIVERY_ROUNDS = 2;
/** Most queue pairs a session sets up (receive buffers are reserved for this many). */
export const MAX_ENABLED_PAIRS = 8;

/** What a scenario needs from the device. */
export interface CtrlSessionOptions {
  /** Features (spec names) the device is asked to offer on top of its defaults. */
  readonly offer?: readonly string[];
  /** Features (spec names) the device is asked to withhold. */
  readonly withhold?: readonly string[];
  /** `max_virtqueue_pairs` to ask for. */
  readonly maxVirtqueuePairs?: number;
  /** Device-type bits the scripted driver accepts when offered (besides VERSION_1, rings). */
  readonly accept: readonly number[];
  /** Bits that must end up negotiated; otherwise the check is not applicable. */
  readonly require: readonly number[];
  /** Bits declined even when offered (e.g. to judge the device without CTRL_VLAN). */
  readonly decline?: readonly number[];
  /** 1-based pairs whose queues are set up, given N (at most {@link MAX_ENABLED_PAIRS}). @default the first N, up to the cap */
  readonly pairsToEnable?: (pairs: number) => readonly number[];
  /** Receive buffers kept posted per enabled receive queue. @default 8 */
  readonly rxBuffers?: number;
}

/** One control command: class, command, payload entries (one descriptor each), result room. */
export interface CtrlRequest {
  readonly klass: number;
  readonly command: number;
  readonly data?: readonly Uint8Array[];
  /** Device-writable bytes after the ack, as a second writable descriptor. @default 0 */
  readonly resultRoom?: number;
}

/** What became of one command. */
export type CtrlAnswer =
  /** The chain came back: the ack byte as read (ACK_PRESET if never written), the used len, the result area. */
  | { readonly kind: 'answered'; readonly ack: number; readonly usedLen: number; readonly writable: number; readonly result: Uint8Array }
  /** The chain did not come back within {@link ANSWER_ROUNDS}. */
  | { readonly kind: 'unanswered'; readonly deviceStatus: number }
  /** The driver-side ring engine refused the device's used entry (e.g. used len past the writable bytes). */
  | { readonly kind: 'ring-error'; readonly error: DriverRingError; readonly writable: number }
  /** The command could not be made available (queue full or broken). */
  | { readonly kind: 'not-sent'; readonly reason: string };

/** A frame the device delivered. */
export interface Delivery {
  /** 1-based queue pair whose receiveq took it. */
  readonly pair: number;
  /** The used len the device reported. */
  readonly usedLen: number;
  /** The virtio-net header as received. */
  readonly header: Uint8Array;
  /** The frame bytes after the header (used len − header length). */
  readonly frame: Uint8Array;
}

/** What an injected frame produced. */
export type InjectResult =
  | { readonly kind: 'observed'; readonly deliveries: readonly Delivery[] }
  | { readonly kind: 'ring-error'; readonly pair: number; readonly error: DriverRingError };

const CFG = virtio_net_config.fields;

function describeCommand(r: CtrlRequest): string {
  const data = (r.data ?? []).map((d) => Array.from(d.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('') + (d.length > 16 ? '…' : ''));
  return `ctrl class ${r.klass} cmd ${r.command} data [${data.join(' ')}]${r.resultRoom ? ` result room ${r.resultRoom}` : ''}`;
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A device brought up for control-queue scenarios. */
export class CtrlSession {
  /** Negotiated features. */
  features: FeatureSet = 0n;
  /** N: queue pairs of the negotiated layout. */
  pairs = 1;
  /** Virtqueue index of the controlq. */
  ctrlIndex = 2;
  /** Receive header length for the negotiated features. */
  hdrLen = 12;
  /** 1-based pairs whose queues are set up. */
  enabledPairs: readonly number[] = [1];
  private rxQueues = new Map<number, DriverVirtqueue<number>>();
  private ctrl: DriverVirtqueue<number> | null = null;
  private token = 0;
  private readonly hdrAddr: number;
  private readonly payloadAddr: number;
  private readonly ackAddr: number;
  private readonly resultAddr: number;
  private readonly rxBase: number;
  private readonly rxCount: number;
  private readonly driver: VirtioDriver;
  private probeFailure: string | null = null;
  /** Set when the device may no longer be in a usable state (no answer, ring error, NEEDS_RESET). */
  private dirty = false;

  private constructor(
    private readonly ctx: DeviceCheckContext,
    /** The device under test. */
    readonly device: DeviceUnderTest,
    private readonly vdev: VirtioDriverDevice,
    private readonly options: CtrlSessionOptions,
  ) {
    const alloc = device.memory.allocator;
    this.hdrAddr = alloc.alloc(16, 16);
    this.payloadAddr = alloc.alloc(8192, 16);
    this.ackAddr = alloc.alloc(16, 16);
    this.resultAddr = alloc.alloc(256, 16);
    this.rxCount = options.rxBuffers ?? 8;
    this.rxBase = alloc.alloc(RX_BUFFER_SIZE * this.rxCount * MAX_ENABLED_PAIRS, 64);
    this.driver = this.makeDriver();
  }

  /**
   * Creates the device, binds the transport driver and brings the device up.
   * @throws NotApplicable when the device does not offer what the scenario requires.
   */
  static async open(ctx: DeviceCheckContext, options: CtrlSessionOptions): Promise<CtrlSession> {
    const packed = ctx.config.ring === 'packed';
    const offer = [...(options.offer ?? []), ...(packed ? ['VIRTIO_F_RING_PACKED'] : [])];
    const device = await ctx.device({
      ...(offer.length === 0 ? {} : { addFeatures: offer }),
      ...(options.withhold === undefined ? {} : { withoutFeatures: [...options.withhold] }),
      ...(options.maxVirtqueuePairs === undefined ? {} : { maxVirtqueuePairs: options.maxVirtqueuePairs }),
    });
    const bound = await bindTransportDriver(device);
    if (bound.kind !== 'bound') throw new NotApplicable(`the transport driver could not bind: ${bound.message}`);
    const session = new CtrlSession(ctx, device, new VirtioDriverDevice(bound.ops), options);
    await session.bringUp();
    return session;
  }

  private makeDriver(): VirtioDriver {
    const packed = this.ctx.config.ring === 'packed';
    const table = [VIRTIO_F_VERSION_1, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX, ...this.options.accept, ...(packed ? [VIRTIO_F_RING_PACKED] : [])];
    return {
      name: 'ctrl-scenario',
      deviceId: VIRTIO_ID_NET,
      featureTable: table,
      validate: async (dev) => {
        if (!packed) dev.clearFeature(VIRTIO_F_RING_PACKED);
        for (const bit of this.options.decline ?? []) dev.clearFeature(bit);
        return null;
      },
      probe: async (dev) => {
        const features = dev.features;
        const missing = [...this.options.require, ...(packed ? [VIRTIO_F_RING_PACKED] : [])].filter((b) => !hasFeature(features, b));
        if (missing.length > 0) {
          this.probeFailure = `the device does not offer ${missing.map(featureName).join(', ')}`;
          return { kind: 'virtio-error', code: 'not-supported', errno: -95, message: this.probeFailure, clauses: [] };
        }
        const max = hasFeature(features, VIRTIO_NET_F_MQ) || hasFeature(features, VIRTIO_NET_F_RSS) ? await dev.cread16(CFG.max_virtqueue_pairs.offset) : 1;
        this.features = features;
        this.pairs = queuePairCount(features, max);
        this.ctrlIndex = controlq(this.pairs);
        this.hdrLen = virtioNetHdrLength(features);
        const wanted = this.options.pairsToEnable?.(this.pairs) ?? Array.from({ length: this.pairs }, (_, i) => i + 1);
        this.enabledPairs = wanted.filter((p) => p >= 1 && p <= this.pairs).slice(0, MAX_ENABLED_PAIRS);
        const requests: VirtqueueRequest<number>[] = [];
        for (const p of this.enabledPairs) {
          requests.push({ index: receiveq(p), name: `input.${p - 1}`, size: 32, callback: null });
          requests.push({ index: transmitq(p), name: `output.${p - 1}`, size: 32, callback: null });
        }
        requests.push({ index: this.ctrlIndex, name: 'control', size: 32, callback: null });
        const found = await dev.findVqs(requests);
        if (found.kind !== 'ok') return found;
        this.rxQueues = new Map();
        this.enabledPairs.forEach((p, i) => this.rxQueues.set(p, found.value[2 * i] as DriverVirtqueue<number>));
        this.ctrl = found.value[found.value.length - 1] as DriverVirtqueue<number>;
        return null;
      },
    };
  }

  /** Reset, negotiation, queues, DRIVER_OK, receive buffers. @throws NotApplicable when refused. */
  private async bringUp(): Promise<void> {
    this.probeFailure = null;
    const probed = await this.vdev.probe(this.driver);
    if (probed.kind !== 'ok') {
      throw new NotApplicable(this.probeFailure ?? `the device could not be brought up with the features this check needs: ${probed.message}`);
    }
    this.ctx.trace.record(`ctrl session: negotiated 0x${this.features.toString(16)}, ${this.pairs} pair(s), controlq ${this.ctrlIndex}`);
    let slot = 0;
    for (const vq of this.rxQueues.values()) {
      for (let i = 0; i < this.rxCount; i++, slot++) vq.addInbuf(this.rxBase + slot * RX_BUFFER_SIZE, RX_BUFFER_SIZE, slot);
    }
    await this.pushAll();
    for (const vq of this.rxQueues.values()) await this.notify(vq);
  }

  /**
   * Notifies whatever the suppression state says: notifications may be spurious, and
   * suppression is the ring checks' business, so a device that fails to re-arm `avail_event`
   * on its controlq (bug D9) does not mask its control-queue semantics here.
   */
  private async notify(vq: DriverVirtqueue<number>): Promise<void> {
    vq.kickPrepare();
    await vq.notify();
  }

  /** Resets the device and brings it up again with the same features (state after reset). */
  async restart(): Promise<void> {
    this.dirty = false;
    await this.bringUp();
  }

  /** Marks the device as needing a restart before the next use. */
  markDirty(): void {
    this.dirty = true;
  }

  /** Restarts the device if an earlier step left it unusable; returns whether it did. */
  async ensureUsable(): Promise<boolean> {
    if (!this.dirty) return false;
    await this.restart();
    return true;
  }

  /** Whether `bit` was negotiated. */
  has(bit: number): boolean {
    return hasFeature(this.features, bit);
  }

  /** Whether every bit in `bits` was negotiated. */
  hasAll(...bits: number[]): boolean {
    return (this.features & featureMask(...bits)) === featureMask(...bits);
  }

  private async pushAll(): Promise<void> {
    const a = this.device.memory.allocator;
    await this.device.memory.push(a.start, a.next - a.start);
  }

  private async pullAll(): Promise<void> {
    const a = this.device.memory.allocator;
    await this.device.memory.pull(a.start, a.next - a.start);
  }

  /** Sends one command laid out as Linux does and waits, bounded, for the answer. */
  async send(request: CtrlRequest): Promise<CtrlAnswer> {
    const vq = this.ctrl;
    if (vq === null) return { kind: 'not-sent', reason: 'no controlq' };
    const mem = this.device.memory.view;
    const room = request.resultRoom ?? 0;
    mem.write8(this.hdrAddr, request.klass);
    mem.write8(this.hdrAddr + 1, request.command);
    mem.write8(this.ackAddr, ACK_PRESET);
    for (let i = 0; i < room; i++) mem.write8(this.resultAddr + i, RESULT_PRESET);
    const out = [{ addr: this.hdrAddr, len: CTRL_HEADER_SIZE }];
    let at = this.payloadAddr;
    for (const d of request.data ?? []) {
      // Zero-length descriptors are left out: devices may refuse them (bug R4).
      if (d.length === 0) continue;
      mem.writeBytes(at, d);
      out.push({ addr: at, len: d.length });
      at += (d.length + 15) & ~15;
    }
    const inn = [{ addr: this.ackAddr, len: CTRL_ACK_SIZE }, ...(room > 0 ? [{ addr: this.resultAddr, len: room }] : [])];
    const writable = CTRL_ACK_SIZE + room;
    const token = (this.token = (this.token + 1) & 0x3fff_ffff);
    const added = vq.addSgs(out, inn, token);
    if (added.kind !== 'added') return { kind: 'not-sent', reason: `the controlq refused the buffer (${added.kind})` };
    await this.pushAll();
    await this.notify(vq);
    for (let round = 0; round < ANSWER_ROUNDS; round++) {
      await this.pullAll();
      const used = vq.getBuf();
      if (used !== null && used.kind === 'ring-error') {
        this.ctx.trace.record(`${describeCommand(request)} -> ring error ${used.code}`);
        this.dirty = true;
        return { kind: 'ring-error', error: used, writable };
      }
      if (used !== null && used.token === token) {
        const usedLen = used.len;
        const ack = mem.read8(this.ackAddr);
        const result = mem.copyOut(this.resultAddr, room);
        this.ctx.trace.record(`${describeCommand(request)} -> ack 0x${ack.toString(16)} used len ${usedLen}`);
        return { kind: 'answered', ack, usedLen, writable, result };
      }
      if (used === null) await yieldTurn();
    }
    this.dirty = true;
    const deviceStatus = await this.vdev.getStatus();
    this.ctx.trace.record(`${describeCommand(request)} -> no answer after ${ANSWER_ROUNDS} turns (status 0x${deviceStatus.toString(16)})`);
    return { kind: 'unanswered', deviceStatus };
  }

  /** Hands `frame` to the device and returns what arrived on the enabled receive queues. */
  async inject(frame: Uint8Array, label = ''): Promise<InjectResult> {
    await this.pushAll();
    await this.device.wire.inject(frame);
    const deliveries: Delivery[] = [];
    const refilled = new Set<DriverVirtqueue<number>>();
    for (let round = 0; round < DELIVERY_ROUNDS; round++) {
      await this.pullAll();
      for (const [pair, vq] of this.rxQueues) {
        for (let used = vq.getBuf(); used !== null; used = vq.getBuf()) {
          if (used.kind === 'ring-error') {
            this.dirty = true;
            return { kind: 'ring-error', pair, error: used };
          }
          const slot = used.token;
          const addr = this.rxBase + slot * RX_BUFFER_SIZE;
          const len = used.len;
          const mem = this.device.memory.view;
          const header = mem.copyOut(addr, Math.min(this.hdrLen, len));
          const body = len > this.hdrLen ? mem.copyOut(addr + this.hdrLen, len - this.hdrLen) : new Uint8Array(0);
          deliveries.push({ pair, usedLen: len, header, frame: body });
          vq.addInbuf(addr, RX_BUFFER_SIZE, slot);
          refilled.add(vq);
        }
      }
      if (deliveries.length > 0) break;
      await Promise.resolve();
    }
    if (refilled.size > 0) {
      await this.pushAll();
      for (const vq of refilled) await this.notify(vq);
    }
    const where = deliveries.map((d) => `pair ${d.pair} (len ${d.usedLen})`).join(', ');
    this.ctx.trace.record(`inject ${label || `frame to ${formatMac(frame)}`} (${frame.length} bytes) -> ${deliveries.length === 0 ? 'not delivered' : where}`);
    return { kind: 'observed', deliveries };
  }

  /** Reads `config.mac`. */
  async readMac(): Promise<Uint8Array> {
    const r = await this.vdev.creadBytes(CFG.mac.offset, 6);
    return r.kind === 'ok' ? r.value : new Uint8Array(6);
  }

  /** Reads `config.status`. */
  async readNetStatus(): Promise<number> {
    return this.vdev.cread16(CFG.status.offset);
  }

  /** Reads a config field of `width` bytes at `offset`. */
  async readConfig(offset: number, width: 1 | 2 | 4): Promise<number> {
    return width === 1 ? this.vdev.cread8(offset) : width === 2 ? this.vdev.cread16(offset) : this.vdev.cread32(offset);
  }

  /** The device status byte. */
  async deviceStatus(): Promise<number> {
    return this.vdev.getStatus();
  }
}
