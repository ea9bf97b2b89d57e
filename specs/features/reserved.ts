/**
 * Device-independent ("reserved") feature bits, virtio 1.4 chapter 6.
 *
 * Bit numbers are plain numbers; a negotiated set of bits is a
 * {@link FeatureSet} (`bigint`), see `feature-set.ts`.
 *
 * @module
 */

import type { SpecVersion } from '../version.js';

/** Transports this project models. CCW is out of scope. */
export type Transport = 'pci' | 'mmio';

/** Legacy only: notify when the available ring runs empty despite suppression (`rfb.legacy.device.1`, `rfb.legacy.device.2`). */
export const VIRTIO_F_NOTIFY_ON_EMPTY = 24;
/** Legacy only: any descriptor layout; transitional devices MUST offer it (`rfb.legacy.device.3`, `rfb.legacy.driver.1`). */
export const VIRTIO_F_ANY_LAYOUT = 27;
/** Indirect descriptors, split and packed rings. */
export const VIRTIO_F_INDIRECT_DESC = 28;
/** 1.0/1.1 name of {@link VIRTIO_F_INDIRECT_DESC}; Linux spells it `VIRTIO_RING_F_INDIRECT_DESC`. */
export const VIRTIO_F_RING_INDIRECT_DESC = VIRTIO_F_INDIRECT_DESC;
/** `used_event` / `avail_event` (split) and descriptor event suppression (packed). */
export const VIRTIO_F_EVENT_IDX = 29;
/** 1.0/1.1 name of {@link VIRTIO_F_EVENT_IDX}; Linux spells it `VIRTIO_RING_F_EVENT_IDX`. */
export const VIRTIO_F_RING_EVENT_IDX = VIRTIO_F_EVENT_IDX;
/**
 * Bit 30, "UNUSED": QEMU's probe for broken early drivers. Neither side
 * SHOULD negotiate it (`rfb.legacy.any.1.device`, `rfb.legacy.any.1.driver`).
 */
export const VIRTIO_F_UNUSED = 30;
/** Linux's name for {@link VIRTIO_F_UNUSED}. */
export const VIRTIO_F_BAD_FEATURE = VIRTIO_F_UNUSED;
/** Modern interface; a device MUST offer it and a driver MUST accept it (`rfb.device.1`, `rfb.driver.1`). */
export const VIRTIO_F_VERSION_1 = 32;
/** Device DMA goes through platform translation (`rfb.driver.3`..`rfb.driver.5`). */
export const VIRTIO_F_ACCESS_PLATFORM = 33;
/** Pre-1.1 draft name of {@link VIRTIO_F_ACCESS_PLATFORM}, still a Linux alias. */
export const VIRTIO_F_IOMMU_PLATFORM = VIRTIO_F_ACCESS_PLATFORM;
/** Packed virtqueue layout. */
export const VIRTIO_F_RING_PACKED = 34;
/** Buffers are used in the order they were made available (`rfb.device.5`). */
export const VIRTIO_F_IN_ORDER = 35;
/** Platform (hardware) memory ordering (`rfb.driver.8`). */
export const VIRTIO_F_ORDER_PLATFORM = 36;
/** SR-IOV; PCI only (`rfb.device.10`, `rfb.driver.10`). */
export const VIRTIO_F_SR_IOV = 37;
/** Driver notifications carry next_off / next_wrap. */
export const VIRTIO_F_NOTIFICATION_DATA = 38;
/** Driver notifications use the device-provided `queue_notif_config_data`. */
export const VIRTIO_F_NOTIF_CONFIG_DATA = 39;
/** Per-virtqueue reset (`queue_reset` / `QueueReset`). */
export const VIRTIO_F_RING_RESET = 40;
/** Administration virtqueues (1.3); PCI only, reserved on MMIO. */
export const VIRTIO_F_ADMIN_VQ = 41;
/** The SUSPEND device status bit (1.4). */
export const VIRTIO_F_SUSPEND = 43;

/** Metadata of one device-independent feature bit. */
export interface ReservedFeatureInfo {
  /** Spec name (1.4 spelling). */
  readonly name: string;
  /** Bit number. */
  readonly bit: number;
  /** Older or Linux spellings that mean the same bit. */
  readonly aliases: readonly string[];
  /** First revision that defines the bit. */
  readonly since: SpecVersion;
  /** Only meaningful over the legacy interface. */
  readonly legacyOnly: boolean;
  /** Transports on which the bit may be offered (of those this project models). */
  readonly transports: readonly Transport[];
  /** One-line meaning. */
  readonly summary: string;
}

const ALL: readonly Transport[] = Object.freeze(['pci', 'mmio'] as const);
const PCI_ONLY: readonly Transport[] = Object.freeze(['pci'] as const);

function info(
  name: string,
  bit: number,
  summary: string,
  extra: Partial<Pick<ReservedFeatureInfo, 'aliases' | 'since' | 'legacyOnly' | 'transports'>> = {},
): ReservedFeatureInfo {
  return Object.freeze({
    name,
    bit,
    aliases: Object.freeze([...(extra.aliases ?? [])]),
    since: extra.since ?? '1.2',
    legacyOnly: extra.legacyOnly ?? false,
    transports: extra.transports ?? ALL,
    summary,
  });
}

/**
 * Every device-independent feature bit, ascending.
 *
 * Transport limits: SR_IOV and ADMIN_VQ are PCI only. NOTIF_CONFIG_DATA is
 * listed for PCI only because MMIO has no register for the per-queue value
 * (the spec's other user, CCW, is out of scope).
 */
export const RESERVED_FEATURES: readonly ReservedFeatureInfo[] = Object.freeze([
  info('VIRTIO_F_NOTIFY_ON_EMPTY', VIRTIO_F_NOTIFY_ON_EMPTY, 'notify when the available ring runs empty', { legacyOnly: true }),
  info('VIRTIO_F_ANY_LAYOUT', VIRTIO_F_ANY_LAYOUT, 'any descriptor layout (implied by VERSION_1)', { legacyOnly: true }),
  info('VIRTIO_F_INDIRECT_DESC', VIRTIO_F_INDIRECT_DESC, 'indirect descriptors', {
    aliases: ['VIRTIO_F_RING_INDIRECT_DESC', 'VIRTIO_RING_F_INDIRECT_DESC'],
  }),
  info('VIRTIO_F_EVENT_IDX', VIRTIO_F_EVENT_IDX, 'event-index notification suppression', {
    aliases: ['VIRTIO_F_RING_EVENT_IDX', 'VIRTIO_RING_F_EVENT_IDX'],
  }),
  info('VIRTIO_F_UNUSED', VIRTIO_F_UNUSED, 'unused; QEMU broken-driver probe, never negotiate', {
    aliases: ['VIRTIO_F_BAD_FEATURE'],
    legacyOnly: true,
  }),
  info('VIRTIO_F_VERSION_1', VIRTIO_F_VERSION_1, 'modern (non-legacy) interface'),
  info('VIRTIO_F_ACCESS_PLATFORM', VIRTIO_F_ACCESS_PLATFORM, 'DMA through platform translation', {
    aliases: ['VIRTIO_F_IOMMU_PLATFORM'],
  }),
  info('VIRTIO_F_RING_PACKED', VIRTIO_F_RING_PACKED, 'packed virtqueue layout'),
  info('VIRTIO_F_IN_ORDER', VIRTIO_F_IN_ORDER, 'buffers used in the order made available'),
  info('VIRTIO_F_ORDER_PLATFORM', VIRTIO_F_ORDER_PLATFORM, 'platform memory ordering'),
  info('VIRTIO_F_SR_IOV', VIRTIO_F_SR_IOV, 'single root I/O virtualization', { transports: PCI_ONLY }),
  info('VIRTIO_F_NOTIFICATION_DATA', VIRTIO_F_NOTIFICATION_DATA, 'notifications carry next_off/next_wrap'),
  info('VIRTIO_F_NOTIF_CONFIG_DATA', VIRTIO_F_NOTIF_CONFIG_DATA, 'notifications carry queue_notif_config_data', {
    transports: PCI_ONLY,
  }),
  info('VIRTIO_F_RING_RESET', VIRTIO_F_RING_RESET, 'per-virtqueue reset'),
  info('VIRTIO_F_ADMIN_VQ', VIRTIO_F_ADMIN_VQ, 'administration virtqueues', { since: '1.3', transports: PCI_ONLY }),
  info('VIRTIO_F_SUSPEND', VIRTIO_F_SUSPEND, 'device suspend (SUSPEND status bit)', { since: '1.4' }),
]);

/**
 * The bit range of device-independent features per revision (chapter 2.2).
 * 1.4 moved 41 back to the device range in its table while also defining
 * VIRTIO_F_ADMIN_VQ = 41 (summary.md defect 3); this table follows the text.
 */
export const RESERVED_FEATURE_RANGES: Readonly<Record<SpecVersion, readonly (readonly [number, number])[]>> = Object.freeze({
  '1.2': Object.freeze([[24, 40]] as const),
  '1.3': Object.freeze([[24, 41]] as const),
  '1.4': Object.freeze([[24, 40], [43, 43]] as const),
});
