/**
 * A driver the transport checks drive by hand: every initialisation step a register write of its
 * own ({@link RegisterWindow}), queues built from the ring engine on memory the harness owns, and
 * only what a check asks for — a queue with or without interrupts, a vector or none, a control
 * command that makes the device change its config. Everything goes through the adapter contract.
 *
 * @module
 */

import { type FeatureSet, featureMask, featureWord, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MAC } from '../../../specs/features/net.js';
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET } from '../../../specs/net/ctrl.js';
import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import {
  allocatePackedRing,
  allocateSplitRing,
  type DriverRingError,
  PackedDriverQueue,
  SplitDriverQueue,
  type VirtqueueLayout,
} from '../../../reference-impl/virtqueue/index.js';
import type { DeviceRequest, DeviceUnderTest } from '../../adapters/contract.js';
import type { RingKind } from '../../checks/check.js';
import { type DeviceCheckContext, NotApplicable } from '../../checks/context.js';
import { openWindow, type TransportWindow } from './register-window.js';

/** Status reads a reset may take before a check calls it incomplete. */
export const RESET_POLL_LIMIT = 64;
/** Feature words read from the device (bits 0..127). */
const FEATURE_WORDS = 4;
/** Queue size the session programs (at most): small rings keep a run cheap. */
export const SESSION_QUEUE_SIZE = 64;
/** Receive buffer length: header plus a full Ethernet frame. */
export const RX_BUFFER_LEN = 2048;

/** A queue the session set up. */
export interface HandQueue {
  readonly index: number;
  readonly layout: VirtqueueLayout;
  readonly engine: SplitDriverQueue<number> | PackedDriverQueue<number>;
  /** Sends an available-buffer notification for this queue. */
  readonly notify: () => Promise<void>;
}

/** How {@link HandSession.setupQueue} programs a queue. */
export interface QueueSetup {
  /** Ring size; capped by the device maximum. @default min(max, SESSION_QUEUE_SIZE) */
  readonly size?: number;
  /** Ask the device for used-buffer notifications (no VRING_AVAIL_F_NO_INTERRUPT). @default false */
  readonly interrupts?: boolean;
  /** PCI: queue_msix_vector to write before enabling; left alone when undefined. */
  readonly vector?: number;
  /** Leave queue_enable / QueueReady alone. @default false */
  readonly noEnable?: boolean;
}

/** The ring format the run is about, the ring-format request to the adapter and the base feature set. */
export function requestForRing(ring: RingKind, request: Omit<DeviceRequest, 'transport'> = {}): Omit<DeviceRequest, 'transport'> {
  if (ring === 'split') return request;
  return { ...request, addFeatures: [...(request.addFeatures ?? []), 'VIRTIO_F_RING_PACKED'] };
}

/**
 * The smallest set a modern driver accepts for the run's ring format: VERSION_1, the platform
 * bits a device may insist on, RING_PACKED on packed runs.
 * @throws NotApplicable when the device cannot run the ring format under test.
 */
export function baseFeatures(offered: FeatureSet, ring: RingKind): FeatureSet {
  if (ring === 'packed' && !hasFeature(offered, VIRTIO_F_RING_PACKED)) throw new NotApplicable('the device does not offer VIRTIO_F_RING_PACKED');
  let set = featureMask(VIRTIO_F_VERSION_1);
  for (const bit of [VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_ORDER_PLATFORM]) if (hasFeature(offered, bit)) set |= featureMask(bit);
  if (ring === 'packed') set |= featureMask(VIRTIO_F_RING_PACKED);
  return set;
}

/** The features that let the harness change the device's config (MAC_ADDR_SET), or null when not offered. */
export function macChangeFeatures(offered: FeatureSet): FeatureSet | null {
  for (const bit of [VIRTIO_NET_F_MAC, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_MAC_ADDR]) if (!hasFeature(offered, bit)) return null;
  // The normative text gates MAC-class commands on CTRL_RX too (summary.md defect 7): take it when offered.
  const rx = hasFeature(offered, VIRTIO_NET_F_CTRL_RX) ? featureMask(VIRTIO_NET_F_CTRL_RX) : 0n;
  return featureMask(VIRTIO_NET_F_MAC, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_MAC_ADDR) | rx;
}

/** One device driven by hand. */
export class HandSession {
  private constructor(
    readonly device: DeviceUnderTest,
    readonly window: TransportWindow,
    readonly ring: RingKind,
  ) {}

  /**
   * A fresh device from `context` (with the run's ring format offered) and its register window;
   * a string says why the harness cannot drive it.
   * @throws NotApplicable when the adapter cannot provide the device.
   */
  static async open(context: DeviceCheckContext, request: Omit<DeviceRequest, 'transport'> = {}): Promise<HandSession | string> {
    const device = await context.device(requestForRing(context.config.ring, request));
    const opened = await openWindow(device);
    if (opened.kind !== 'open') return opened.reason;
    return new HandSession(device, opened.window, context.config.ring);
  }

  /** Writes 0 and polls until status reads 0; false when it never did. */
  async reset(): Promise<boolean> {
    await this.window.writeStatus(0);
    for (let i = 0; i < RESET_POLL_LIMIT; i++) if ((await this.window.readStatus()) === 0) return true;
    return false;
  }

  /** Feature words 0..3 as offered. */
  async offered(): Promise<FeatureSet> {
    let set = 0n;
    for (let select = 0; select < FEATURE_WORDS; select++) set |= BigInt(await this.window.readDeviceFeatureWord(select)) << BigInt(32 * select);
    return set;
  }

  /** Reset, ACKNOWLEDGE, DRIVER; the offered features, or null when the reset never completed. */
  async begin(): Promise<FeatureSet | null> {
    if (!(await this.reset())) return null;
    await this.window.writeStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    await this.window.writeStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    return this.offered();
  }

  /** Writes `features` and FEATURES_OK; true when FEATURES_OK reads back set. */
  async negotiate(features: FeatureSet): Promise<boolean> {
    for (let select = 0; select < 3; select++) await this.window.writeDriverFeatureWord(select, featureWord(features, select));
    const before = await this.window.readStatus();
    await this.window.writeStatus(before | VIRTIO_CONFIG_S_FEATURES_OK);
    return ((await this.window.readStatus()) & VIRTIO_CONFIG_S_FEATURES_OK) !== 0;
  }

  /**
   * Reset to FEATURES_OK with the base set plus `extra` (when offered; `required` bits must be).
   * Returns the negotiated set, or a reason why the device could not be brought there.
   * @throws NotApplicable when a `required` bit is not offered.
   */
  async bringUp(extra: FeatureSet = 0n, required: FeatureSet = 0n): Promise<FeatureSet | string> {
    const offered = await this.begin();
    if (offered === null) return 'the device never read status 0 after a reset';
    if ((offered & required) !== required) throw new NotApplicable('the device does not offer the features this check needs');
    const features = baseFeatures(offered, this.ring) | (extra & offered);
    if (!(await this.negotiate(features))) return 'the device refused FEATURES_OK for a minimal subset';
    return features;
  }

  /** Programs queue `index` (fresh ring memory) and, unless told not to, enables it. */
  async setupQueue(index: number, setup: QueueSetup = {}): Promise<HandQueue | string> {
    const w = this.window;
    await w.selectQueue(index);
    const max = await w.readQueueMax();
    if (max === 0) return `queue ${index} does not exist (maximum size 0)`;
    let size = Math.min(max, setup.size ?? SESSION_QUEUE_SIZE);
    if (this.ring === 'split') size = 2 ** Math.floor(Math.log2(size));
    const alloc = this.device.memory.allocator;
    const layout = this.ring === 'split' ? allocateSplitRing(alloc, size) : allocatePackedRing(alloc, size);
    const options = { ...layout, callback: setup.interrupts ?? false };
    const engine = this.ring === 'split' ? new SplitDriverQueue<number>(this.device.memory.view, options) : new PackedDriverQueue<number>(this.device.memory.view, options);
    await w.writeQueueSize(size);
    await w.writeQueueArea('desc', layout.descAddr);
    await w.writeQueueArea('driver', layout.driverAddr);
    await w.writeQueueArea('device', layout.deviceAddr);
    if (setup.vector !== undefined && w.transport === 'pci') await w.writeQueueVector(setup.vector);
    const send = await w.notifier(index);
    await w.selectQueue(index);
    if (!(setup.noEnable ?? false)) await w.enableQueue();
    return { index, layout, engine, notify: () => send(index) };
  }

  /** Sets DRIVER_OK on top of the status read; the status read back. */
  async driverOk(): Promise<number> {
    await this.window.writeStatus((await this.window.readStatus()) | VIRTIO_CONFIG_S_DRIVER_OK);
    return this.window.readStatus();
  }

  /** Allocates `len` bytes of guest memory. */
  alloc(len: number): number {
    return this.device.memory.allocator.alloc(len, 16);
  }

  /** Makes `count` receive buffers available on `queue` (not yet notified). */
  postReceive(queue: HandQueue, count: number): void {
    for (let i = 0; i < count; i++) queue.engine.addBuffer(this.alloc(RX_BUFFER_LEN), RX_BUFFER_LEN, true, i);
  }

  /** Publishes what the harness wrote and notifies the device (always: suppression is only a hint). */
  async kick(queue: HandQueue): Promise<void> {
    const a = this.device.memory.allocator;
    await this.device.memory.push(a.start, a.next - a.start);
    queue.engine.kickPrepare();
    await queue.notify();
  }

  /** Used buffers of `queue` since the last call, or the ring error that ended the walk. */
  async drain(queue: HandQueue): Promise<{ readonly used: number; readonly error: DriverRingError | null }> {
    const a = this.device.memory.allocator;
    await this.device.memory.pull(a.start, a.next - a.start);
    let used = 0;
    for (;;) {
      const b = queue.engine.getUsed();
      if (b === null) return { used, error: null };
      if (b.kind !== 'used') return { used, error: b };
      used++;
    }
  }

  /**
   * Sends MAC_ADDR_SET(`mac`) on the control queue and waits (bounded) for the answer: the ack
   * byte, or null when the device never answered. The device then changes `mac` in its config.
   */
  async setMac(ctrl: HandQueue, mac: Uint8Array): Promise<number | null> {
    const view = this.device.memory.view;
    const out = this.alloc(8);
    view.write8(out, VIRTIO_NET_CTRL_MAC);
    view.write8(out + 1, VIRTIO_NET_CTRL_MAC_ADDR_SET);
    view.writeBytes(out + 2, mac);
    const ack = this.alloc(1);
    view.write8(ack, 0xff);
    ctrl.engine.addSgs([{ addr: out, len: 2 }, { addr: out + 2, len: 6 }], [{ addr: ack, len: 1 }], 0);
    await this.kick(ctrl);
    for (let i = 0; i < 16; i++) {
      const { used } = await this.drain(ctrl);
      if (used > 0) return view.read8(ack);
    }
    return null;
  }
}
