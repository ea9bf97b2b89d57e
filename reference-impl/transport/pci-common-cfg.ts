/**
 * `struct virtio_pci_common_cfg` as registers (virtio 1.4 section 4.1.4.3,
 * facts.md §11.2): each access is matched to a field by offset and width
 * and turned into a call on the device core.
 *
 * Accesses must hit a field at its own width; 64-bit fields take either
 * 32-bit half (`pci.layout.driver.1`, `pci.layout.device.1`). Anything else
 * is a refused access: reported, reads 0, writes ignored. Writes to
 * read-only fields are refused the same way (`pci.common.driver.1`).
 *
 * @module
 */

import { hasFeature } from '../../specs/features/feature-set.js';
import { VIRTIO_F_NOTIF_CONFIG_DATA } from '../../specs/features/reserved.js';
import { type CommonCfgField, VIRTIO_PCI_COMMON_CFG_FIELDS, virtio_pci_common_cfg } from '../../specs/transport/pci.js';
import type { AccessWidth } from '../device/backend.js';
import type { QueueArea } from '../device/queue-registers.js';
import type { VirtioDevice } from '../device/virtio-device.js';

/** The MSI-X vector fields, kept by the PCI transport rather than the core. */
export interface VectorRegisters {
  /** config_msix_vector read-back. */
  readConfigVector(): number;
  /** Maps configuration changes to `vector` (or NO_VECTOR when it cannot, `pci.msix.device.9`). */
  writeConfigVector(vector: number): void;
  /** queue_msix_vector of the selected queue. */
  readQueueVector(queue: number): number;
  /** Maps the selected queue to `vector`. */
  writeQueueVector(queue: number, vector: number): void;
  /** queue_notif_config_data of `queue`. */
  notifConfigData(queue: number): number;
}

/** A field hit by an access: the field and, for 64-bit fields, which half. */
interface FieldHit {
  readonly field: CommonCfgField;
  readonly half: 0 | 1;
}

const FIELDS = Object.entries(virtio_pci_common_cfg.fields) as [CommonCfgField, { offset: number; size: number }][];

/** The field an access of `width` at `offset` hits exactly, or undefined. */
export function commonCfgFieldAt(offset: number, width: AccessWidth): FieldHit | undefined {
  for (const [field, f] of FIELDS) {
    if (f.size === 8 && width === 4 && (offset === f.offset || offset === f.offset + 4)) {
      return { field, half: offset === f.offset ? 0 : 1 };
    }
    if (f.offset === offset && f.size === width) return { field, half: 0 };
  }
  return undefined;
}

function area(field: CommonCfgField): QueueArea {
  return field === 'queue_desc' ? 'desc' : field === 'queue_driver' ? 'driver' : 'device';
}

function refuse(device: VirtioDevice, clause: string | null, what: string, offset: number, width: number): void {
  device.registerError(clause, `common config ${what} of ${width} bytes at 0x${offset.toString(16)}`);
}

/** Driver read of the common configuration. */
export function readCommonCfg(device: VirtioDevice, vectors: VectorRegisters, offset: number, width: AccessWidth): number {
  const hit = commonCfgFieldAt(offset, width);
  if (hit === undefined) {
    refuse(device, 'pci.layout.driver.1', 'read that matches no field', offset, width);
    return 0;
  }
  const queue = device.queueRegisters.select;
  const exists = device.queueRegisters.readSizeMax() > 0;
  switch (hit.field) {
    case 'device_feature_select':
      return device.deviceFeatureSelect;
    case 'device_feature':
      return device.readDeviceFeatures();
    case 'driver_feature_select':
      return device.driverFeatureSelect;
    case 'driver_feature':
      return device.readDriverFeatures();
    case 'config_msix_vector':
      return vectors.readConfigVector();
    case 'num_queues':
      return device.numQueues;
    case 'device_status':
      return device.readStatus();
    case 'config_generation':
      return device.configGeneration & 0xff;
    case 'queue_select':
      return queue;
    case 'queue_size':
      return device.queueRegisters.readSize();
    case 'queue_msix_vector':
      return vectors.readQueueVector(queue);
    case 'queue_enable':
      return device.queueRegisters.readEnable();
    case 'queue_notify_off':
      return exists ? queue : 0;
    case 'queue_desc':
    case 'queue_driver':
    case 'queue_device':
      return device.queueRegisters.readAddress(area(hit.field), hit.half);
    case 'queue_notif_config_data':
      return exists && hasFeature(device.offeredFeatures, VIRTIO_F_NOTIF_CONFIG_DATA) ? vectors.notifConfigData(queue) : 0;
    case 'queue_reset':
      return device.queueRegisters.readReset();
    case 'admin_queue_index':
    case 'admin_queue_num':
      return 0; // VIRTIO_F_ADMIN_VQ is never offered
  }
}

/** Driver write of the common configuration. */
export function writeCommonCfg(device: VirtioDevice, vectors: VectorRegisters, offset: number, width: AccessWidth, value: number): void {
  const hit = commonCfgFieldAt(offset, width);
  if (hit === undefined) return refuse(device, 'pci.layout.driver.1', 'write that matches no field', offset, width);
  if (VIRTIO_PCI_COMMON_CFG_FIELDS[hit.field].access === 'RO') {
    return refuse(device, 'pci.common.driver.1', `write to read-only ${hit.field}`, offset, width);
  }
  switch (hit.field) {
    case 'device_feature_select':
      device.deviceFeatureSelect = value >>> 0;
      return;
    case 'driver_feature_select':
      device.driverFeatureSelect = value >>> 0;
      return;
    case 'driver_feature':
      return device.writeDriverFeatures(value);
    case 'config_msix_vector':
      return vectors.writeConfigVector(value & 0xffff);
    case 'device_status':
      return device.writeStatus(value);
    case 'queue_select':
      device.queueRegisters.select = value & 0xffff;
      return;
    case 'queue_size':
      return device.queueRegisters.writeSize(value & 0xffff);
    case 'queue_msix_vector':
      return vectors.writeQueueVector(device.queueRegisters.select, value & 0xffff);
    case 'queue_enable':
      if ((value & 0xffff) === 1) return device.queueRegisters.enable();
      // Disabling goes through reset or queue_reset only (`pci.common.driver.6`).
      return device.violation('pci.common.driver.6', `queue_enable written with ${value & 0xffff}; ignored`);
    case 'queue_desc':
    case 'queue_driver':
    case 'queue_device':
      return device.queueRegisters.writeAddress(area(hit.field), hit.half, value);
    case 'queue_reset':
      return device.queueRegisters.writeReset(value & 0xffff);
    default:
      return refuse(device, 'pci.common.driver.1', `write to ${hit.field}`, offset, width);
  }
}
