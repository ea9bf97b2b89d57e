/**
 * The device-side queue objects the core hands a backend, and the factory
 * that builds one from the queue registers and the negotiated features.
 *
 * The ring format follows negotiation: packed when VIRTIO_F_RING_PACKED was
 * negotiated, split otherwise; EVENT_IDX, INDIRECT_DESC and IN_ORDER become
 * the queue's flags.
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../../specs/features/feature-set.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_PACKED,
} from '../../specs/features/reserved.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { DeviceQueueOptions } from '../virtqueue/queue-config.js';
import type { DeviceRingError, RingFormat } from '../virtqueue/ring-error.js';
import { SplitDeviceQueue } from '../virtqueue/split-device.js';
import { PackedDeviceQueue } from '../virtqueue/packed-device.js';

/** A device-side virtqueue of either format; tell them apart with `format`. */
export type DeviceQueue = SplitDeviceQueue | PackedDeviceQueue;

/**
 * Builds a device-side queue, or returns the engine's error for an unusable
 * layout. The default is {@link createDeviceQueue}; tests and mutants may
 * pass their own to the core.
 */
export type DeviceQueueFactory = (
  memory: GuestMemory,
  format: RingFormat,
  options: DeviceQueueOptions,
) => DeviceQueue | DeviceRingError;

/** The ring engine's own queues: {@link SplitDeviceQueue} or {@link PackedDeviceQueue}. */
export const createDeviceQueue: DeviceQueueFactory = (memory, format, options) =>
  format === 'packed' ? PackedDeviceQueue.create(memory, options) : SplitDeviceQueue.create(memory, options);

/** The ring format `features` select: packed with VIRTIO_F_RING_PACKED, else split. */
export function ringFormat(features: FeatureSet): RingFormat {
  return hasFeature(features, VIRTIO_F_RING_PACKED) ? 'packed' : 'split';
}

/** The engine flags `features` select. */
export function ringFlags(features: FeatureSet): { eventIdx: boolean; indirect: boolean; inOrder: boolean } {
  return {
    eventIdx: hasFeature(features, VIRTIO_F_EVENT_IDX),
    indirect: hasFeature(features, VIRTIO_F_INDIRECT_DESC),
    inOrder: hasFeature(features, VIRTIO_F_IN_ORDER),
  };
}
