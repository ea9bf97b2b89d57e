/**
 * A tiny device type for testing the core and the transports without the
 * net device: two queues, 8 bytes of config, two device-specific feature
 * bits with a dependency between them, and an echo datapath that completes
 * every available buffer with len 0.
 *
 * Config layout: `le32 counter` at 0 (read-only; {@link FakeBackend.setCounter}
 * changes it and reports a config change), `le32 scratch` at 4 (read-write).
 *
 * @module
 */

import { type FeatureSet, featureMask, hasFeature } from '../../specs/features/feature-set.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../specs/features/reserved.js';
import type { AccessWidth, DeviceContext, VirtioDeviceBackend } from './backend.js';
import type { FeatureValidation } from './feature-acceptance.js';

/** Device-specific bit 0 of the fake device. */
export const FAKE_F_A = 0;
/** Device-specific bit 1; needs {@link FAKE_F_A} (the fake's dependency table). */
export const FAKE_F_B = 1;
/** Device ID of the fake device (last ID of the modern PCI range, 0x107F). */
export const FAKE_DEVICE_ID = 0x3f;

/** Everything the fake offers by default. */
export const FAKE_OFFERED_FEATURES: FeatureSet = featureMask(
  FAKE_F_A,
  FAKE_F_B,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_VERSION_1,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_RESET,
);

/** Options of {@link FakeBackend}. */
export interface FakeBackendOptions {
  /** Offered features. @default FAKE_OFFERED_FEATURES */
  readonly offeredFeatures?: FeatureSet;
  /** Max size of each queue. @default [256, 64] */
  readonly queueMaxSizes?: readonly number[];
  /** The backend's `queueMaxSize` hook (negotiated layout). @default none: the fixed sizes stay */
  readonly queueMaxSize?: (index: number, negotiated: FeatureSet) => number;
  /** Complete available buffers on notification. @default true */
  readonly echo?: boolean;
}

/** The fake device type. Every call from the core is logged in {@link calls}. */
export class FakeBackend implements VirtioDeviceBackend {
  /** {@link FAKE_DEVICE_ID}. */
  readonly deviceId = FAKE_DEVICE_ID;
  /** What the fake offers. */
  readonly offeredFeatures: FeatureSet;
  /** Max size per queue. */
  readonly queueMaxSizes: readonly number[];
  /** The negotiated-layout hook, when the options gave one. */
  readonly queueMaxSize?: (index: number, negotiated: FeatureSet) => number;
  /** 8 bytes: counter and scratch. */
  readonly configSize = 8;
  /** Calls from the core, e.g. `activate`, `notify 1 0x1`, `resetQueue 0`, `reset`. */
  readonly calls: string[] = [];
  /** Buffers completed per queue since the last reset. */
  readonly completed: number[];
  private readonly config = new DataView(new ArrayBuffer(8));
  private ctx: DeviceContext | null = null;
  private readonly echo: boolean;

  constructor(options: FakeBackendOptions = {}) {
    this.offeredFeatures = options.offeredFeatures ?? FAKE_OFFERED_FEATURES;
    this.queueMaxSizes = options.queueMaxSizes ?? [256, 64];
    if (options.queueMaxSize !== undefined) this.queueMaxSize = options.queueMaxSize;
    this.completed = this.queueMaxSizes.map(() => 0);
    this.echo = options.echo ?? true;
  }

  /** The context the core attached. @throws Error before attachment (a test bug). */
  get context(): DeviceContext {
    if (this.ctx === null) throw new Error('FakeBackend is not attached to a device');
    return this.ctx;
  }

  /** Keeps the context for config changes and the datapath. */
  attach(context: DeviceContext): void {
    this.ctx = context;
  }

  /** Reads the 8-byte config little-endian. */
  readConfig(offset: number, width: AccessWidth): number {
    return width === 1 ? this.config.getUint8(offset) : width === 2 ? this.config.getUint16(offset, true) : this.config.getUint32(offset, true);
  }

  /** Writes scratch; writes to the counter are dropped. */
  writeConfig(offset: number, width: AccessWidth, value: number): void {
    if (offset < 4) return; // counter is read-only
    if (width === 1) this.config.setUint8(offset, value);
    else if (width === 2) this.config.setUint16(offset, value, true);
    else this.config.setUint32(offset, value, true);
  }

  /** FAKE_F_B needs FAKE_F_A (`features.driver.2`). */
  validateFeatures(driverFeatures: FeatureSet): FeatureValidation {
    if (hasFeature(driverFeatures, FAKE_F_B) && !hasFeature(driverFeatures, FAKE_F_A)) {
      return { kind: 'refuse', reason: 'FAKE_F_B without FAKE_F_A', clauses: ['features.driver.2'] };
    }
    return { kind: 'accept' };
  }

  /** Logs `activate`. */
  activate(): void {
    this.calls.push('activate');
  }

  /** Logs `notify <queue> <data>` and, with echo on, drains the queue. */
  notify(queueIndex: number, notificationData: number): void {
    this.calls.push(`notify ${queueIndex} 0x${notificationData.toString(16)}`);
    if (this.echo) this.drain(queueIndex);
  }

  /** Logs `reset` and zeroes config and counts. */
  reset(): void {
    this.calls.push('reset');
    this.completed.fill(0);
    this.config.setUint32(0, 0, true);
    this.config.setUint32(4, 0, true);
  }

  /** Logs `resetQueue <index>`. */
  resetQueue(index: number): void {
    this.calls.push(`resetQueue ${index}`);
  }

  /** Logs `queueEnabled <index>`. */
  queueEnabled(index: number): void {
    this.calls.push(`queueEnabled ${index}`);
  }

  /** Sets the read-only counter and reports a config change. */
  setCounter(value: number): void {
    this.config.setUint32(0, value, true);
    this.context.configChanged();
  }

  /**
   * Completes every available buffer of `queue` with len 0, then notifies if
   * the ring says so. Available-buffer notifications are suppressed while
   * draining and re-armed after it (`avail_event` with EVENT_IDX,
   * `split.asupp.device.4`), and the ring is checked again so that a buffer
   * made available in between is not missed (bug D9), as the net device's
   * transmit path does.
   */
  drain(queue: number): void {
    const q = this.context.queue(queue);
    if (q === undefined) return;
    q.disableNotifications();
    for (;;) {
      for (let chain = q.pop(); chain !== null; chain = q.pop()) {
        if (chain.kind === 'ring-error') return this.context.fail({ kind: 'ring-error', queue, error: chain });
        q.push(chain, 0);
        this.completed[queue] = (this.completed[queue] ?? 0) + 1;
      }
      if (!q.enableNotifications()) break;
      q.disableNotifications();
    }
    if (q.needsNotify()) this.context.raiseUsedBufferNotification(queue);
  }
}
