/**
 * virtio-pci constants and layouts (virtio 1.4 section 4.1): IDs, vendor
 * capabilities, the common configuration structure, ISR and MSI-X values,
 * and the legacy (transitional) I/O BAR header.
 *
 * @module
 */

import { defineStruct, type StructLayout } from '../layout.js';
import { existsIn, type SpecVersion } from '../version.js';

/** PCI vendor ID of every virtio device (`pci.disc.device.2`). */
export const VIRTIO_PCI_VENDOR_ID = 0x1af4;
/** Modern device ID = this + virtio device ID (`pci.disc.device.3`). */
export const VIRTIO_PCI_MODERN_DEVICE_ID_BASE = 0x1040;
/** Last device ID of the modern range (`pci.disc.device.5`). */
export const VIRTIO_PCI_MODERN_DEVICE_ID_LAST = 0x107f;
/** First transitional device ID (`pci.disc.legacy.device.3`). */
export const VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_FIRST = 0x1000;
/** Last transitional device ID (`pci.disc.legacy.device.3`). */
export const VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_LAST = 0x103f;
/** virtio device type of the network device. */
export const VIRTIO_ID_NET = 1;
/** Modern PCI device ID of virtio-net, 0x1041. */
export const VIRTIO_PCI_DEVICE_ID_NET = VIRTIO_PCI_MODERN_DEVICE_ID_BASE + VIRTIO_ID_NET;
/** Transitional PCI device ID of virtio-net, 0x1000; its subsystem device ID is 1 and revision 0 (`pci.disc.legacy.device.1/2`). */
export const VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_NET = 0x1000;
/** Transitional device IDs per device type (net, blk, balloon, console, scsi, rng, 9p). */
export const VIRTIO_PCI_TRANSITIONAL_DEVICE_IDS: Readonly<Record<string, number>> = Object.freeze({
  net: 0x1000,
  block: 0x1001,
  balloon: 0x1002,
  console: 0x1003,
  scsi: 0x1004,
  rng: 0x1005,
  '9p': 0x1009,
});
/** A non-transitional device SHOULD have a revision ID of at least 1 (`pci.disc.device.6`). */
export const VIRTIO_PCI_MODERN_REVISION_MIN = 1;
/** A non-transitional device SHOULD have a subsystem device ID of at least 0x40 (`pci.disc.device.7`). */
export const VIRTIO_PCI_MODERN_SUBSYSTEM_ID_MIN = 0x40;

/** PCI capability ID of vendor-specific capabilities, which carry virtio structures. */
export const PCI_CAP_ID_VNDR = 0x09;

/** cfg_type: common configuration. */
export const VIRTIO_PCI_CAP_COMMON_CFG = 1;
/** cfg_type: notifications. */
export const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
/** cfg_type: ISR status. */
export const VIRTIO_PCI_CAP_ISR_CFG = 3;
/** cfg_type: device-specific configuration (`virtio_net_config`). */
export const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
/** cfg_type: PCI configuration access window. */
export const VIRTIO_PCI_CAP_PCI_CFG = 5;
/** cfg_type: shared memory region (uses `virtio_pci_cap64`). */
export const VIRTIO_PCI_CAP_SHARED_MEMORY_CFG = 8;
/** cfg_type: vendor data. */
export const VIRTIO_PCI_CAP_VENDOR_CFG = 9;

/** Names of the defined cfg_type values; drivers ignore other values (`pci.cap.driver.1`). */
export const VIRTIO_PCI_CAP_TYPES: Readonly<Record<number, string>> = Object.freeze({
  1: 'VIRTIO_PCI_CAP_COMMON_CFG',
  2: 'VIRTIO_PCI_CAP_NOTIFY_CFG',
  3: 'VIRTIO_PCI_CAP_ISR_CFG',
  4: 'VIRTIO_PCI_CAP_DEVICE_CFG',
  5: 'VIRTIO_PCI_CAP_PCI_CFG',
  8: 'VIRTIO_PCI_CAP_SHARED_MEMORY_CFG',
  9: 'VIRTIO_PCI_CAP_VENDOR_CFG',
});

/** Highest valid `bar` value; capabilities naming another BAR are ignored (`pci.cap.driver.4`). */
export const VIRTIO_PCI_CAP_BAR_MAX = 5;

type CapField = 'cap_vndr' | 'cap_next' | 'cap_len' | 'cfg_type' | 'bar' | 'id' | 'padding' | 'offset' | 'length';

/** `struct virtio_pci_cap` (16 bytes), offsets within the capability. */
export const virtio_pci_cap: StructLayout<CapField> = defineStruct({
  cap_vndr: 1,
  cap_next: 1,
  cap_len: 1,
  cfg_type: 1,
  bar: 1,
  id: 1,
  padding: 2,
  offset: 4,
  length: 4,
});

/** `struct virtio_pci_cap64` (24 bytes): the cap plus high halves of offset and length. */
export const virtio_pci_cap64: StructLayout<CapField | 'offset_hi' | 'length_hi'> = defineStruct({
  ...virtio_pci_cap.fields,
  offset_hi: { offset: 16, size: 4 },
  length_hi: { offset: 20, size: 4 },
});

/** `struct virtio_pci_notify_cap` (20 bytes): the cap plus `notify_off_multiplier`. */
export const virtio_pci_notify_cap: StructLayout<CapField | 'notify_off_multiplier'> = defineStruct({
  ...virtio_pci_cap.fields,
  notify_off_multiplier: { offset: 16, size: 4 },
});

/** `struct virtio_pci_cfg_cap` (20 bytes): the cap plus the 4-byte `pci_cfg_data` window. */
export const virtio_pci_cfg_cap: StructLayout<CapField | 'pci_cfg_data'> = defineStruct({
  ...virtio_pci_cap.fields,
  pci_cfg_data: { offset: 16, size: 4 },
});

/** Fields of `struct virtio_pci_common_cfg` (1.4 names). */
export type CommonCfgField =
  | 'device_feature_select'
  | 'device_feature'
  | 'driver_feature_select'
  | 'driver_feature'
  | 'config_msix_vector'
  | 'num_queues'
  | 'device_status'
  | 'config_generation'
  | 'queue_select'
  | 'queue_size'
  | 'queue_msix_vector'
  | 'queue_enable'
  | 'queue_notify_off'
  | 'queue_desc'
  | 'queue_driver'
  | 'queue_device'
  | 'queue_notif_config_data'
  | 'queue_reset'
  | 'admin_queue_index'
  | 'admin_queue_num';

/**
 * `struct virtio_pci_common_cfg`, 64 bytes in 1.3+. `config_msix_vector` is
 * `msix_config` in older texts; `queue_notif_config_data` was
 * `queue_notify_data` in 1.2. 64-bit fields may be accessed as two 32-bit
 * halves (`pci.layout.device.1`).
 */
export const virtio_pci_common_cfg: StructLayout<CommonCfgField> = defineStruct({
  device_feature_select: 4,
  device_feature: 4,
  driver_feature_select: 4,
  driver_feature: 4,
  config_msix_vector: 2,
  num_queues: 2,
  device_status: 1,
  config_generation: 1,
  queue_select: 2,
  queue_size: 2,
  queue_msix_vector: 2,
  queue_enable: 2,
  queue_notify_off: 2,
  queue_desc: 8,
  queue_driver: 8,
  queue_device: 8,
  queue_notif_config_data: 2,
  queue_reset: 2,
  admin_queue_index: 2,
  admin_queue_num: 2,
});

/** Driver access to a common-config field; the driver never writes RO fields (`pci.common.driver.1`). */
export interface CommonCfgFieldInfo {
  /** `'RO'` read-only for the driver, `'RW'` read-write. */
  readonly access: 'RO' | 'RW';
  /** First revision with the field (1.2 for everything up to `queue_reset`). */
  readonly since: SpecVersion;
}

const RO = (since: SpecVersion = '1.2'): CommonCfgFieldInfo => Object.freeze({ access: 'RO', since });
const RW = (since: SpecVersion = '1.2'): CommonCfgFieldInfo => Object.freeze({ access: 'RW', since });

/** Access and revision of each common-config field (facts.md §11.2). */
export const VIRTIO_PCI_COMMON_CFG_FIELDS: Readonly<Record<CommonCfgField, CommonCfgFieldInfo>> = Object.freeze({
  device_feature_select: RW(),
  device_feature: RO(),
  driver_feature_select: RW(),
  driver_feature: RW(),
  config_msix_vector: RW(),
  num_queues: RO(),
  device_status: RW(),
  config_generation: RO(),
  queue_select: RW(),
  queue_size: RW(),
  queue_msix_vector: RW(),
  queue_enable: RW(),
  queue_notify_off: RO(),
  queue_desc: RW(),
  queue_driver: RW(),
  queue_device: RW(),
  queue_notif_config_data: RO(),
  queue_reset: RW(),
  admin_queue_index: RO('1.3'),
  admin_queue_num: RO('1.3'),
});

/** Size of the common config in virtio 1.0 / 1.1 (up to `queue_device`). */
export const VIRTIO_PCI_COMMON_CFG_SIZE_1_0 = 56;
/** Size of the common config in virtio 1.2 (adds `queue_notif_config_data`, `queue_reset`). */
export const VIRTIO_PCI_COMMON_CFG_SIZE_1_2 = 60;
/** Size of the common config in virtio 1.3 and 1.4 (adds the admin queue fields). */
export const VIRTIO_PCI_COMMON_CFG_SIZE_1_3 = 64;

/** Size of `virtio_pci_common_cfg` in `version`. */
export function commonCfgSize(version: SpecVersion): number {
  return existsIn('1.3', version) ? VIRTIO_PCI_COMMON_CFG_SIZE_1_3 : VIRTIO_PCI_COMMON_CFG_SIZE_1_2;
}

/** MSI-X vector value meaning "no vector"; all vectors read it after reset (`pci.msix.device.7`). */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;
/** Highest MSI-X Table Size a driver must handle (`pci.msix.driver.1`); at most 0x800 vectors. */
export const VIRTIO_MSI_MAX_VECTOR = 0x7ff;

/** ISR bit 0: a virtqueue interrupt. */
export const VIRTIO_PCI_ISR_QUEUE = 0x1;
/** ISR bit 1: a configuration change interrupt (`pci.isr.device.2`). */
export const VIRTIO_PCI_ISR_CONFIG = 0x2;

/** Notify cap without NOTIFICATION_DATA: offset aligned to 2, length >= off*mult + 2 (`pci.notify.device.2..5`). */
export const VIRTIO_PCI_NOTIFY_WIDTH = 2;
/** Notify cap with NOTIFICATION_DATA: offset aligned to 4, length >= off*mult + 4 (`pci.notify.device.6..9`). */
export const VIRTIO_PCI_NOTIFY_DATA_WIDTH = 4;

/** Legacy BAR0: device features, bits 0..31 (R). */
export const VIRTIO_PCI_HOST_FEATURES = 0;
/** Legacy BAR0: driver features, bits 0..31 (RW). */
export const VIRTIO_PCI_GUEST_FEATURES = 4;
/** Legacy BAR0: queue address as a page frame number (RW). */
export const VIRTIO_PCI_QUEUE_PFN = 8;
/** Legacy BAR0: queue size (R). */
export const VIRTIO_PCI_QUEUE_NUM = 12;
/** Legacy BAR0: queue select (RW). */
export const VIRTIO_PCI_QUEUE_SEL = 14;
/** Legacy BAR0: queue notify (RW). */
export const VIRTIO_PCI_QUEUE_NOTIFY = 16;
/** Legacy BAR0: device status (RW). */
export const VIRTIO_PCI_STATUS = 18;
/** Legacy BAR0: ISR status (R, read clears). */
export const VIRTIO_PCI_ISR = 19;
/** Legacy BAR0: config MSI-X vector, present only with MSI-X enabled. */
export const VIRTIO_MSI_CONFIG_VECTOR = 20;
/** Legacy BAR0: queue MSI-X vector, present only with MSI-X enabled. */
export const VIRTIO_MSI_QUEUE_VECTOR = 22;
/** Legacy page shift: the queue PFN is the address >> 12. */
export const VIRTIO_PCI_QUEUE_ADDR_SHIFT = 12;
/** Legacy ring alignment on PCI (Queue Align). */
export const VIRTIO_PCI_VRING_ALIGN = 4096;

/** The legacy BAR0 header with MSI-X enabled (24 bytes; 20 without the two vector fields). */
export const virtio_pci_legacy_header: StructLayout<
  | 'host_features'
  | 'guest_features'
  | 'queue_pfn'
  | 'queue_num'
  | 'queue_sel'
  | 'queue_notify'
  | 'status'
  | 'isr'
  | 'config_vector'
  | 'queue_vector'
> = defineStruct({
  host_features: 4,
  guest_features: 4,
  queue_pfn: 4,
  queue_num: 2,
  queue_sel: 2,
  queue_notify: 2,
  status: 1,
  isr: 1,
  config_vector: 2,
  queue_vector: 2,
});

/**
 * Offset of device-specific config in legacy BAR0: 20, or 24 when MSI-X is
 * enabled (`pci.legacy.driver.3`, `pci.legacy.device.3`).
 */
export function legacyConfigOffset(msixEnabled: boolean): 20 | 24 {
  return msixEnabled ? 24 : 20;
}
