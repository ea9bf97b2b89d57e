import { describe, expect, it } from 'vitest';
import { checkLayout } from '../layout.js';
import {
  commonCfgSize,
  legacyConfigOffset,
  VIRTIO_MSI_CONFIG_VECTOR,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_MSI_QUEUE_VECTOR,
  VIRTIO_PCI_CAP_TYPES,
  virtio_pci_cap,
  virtio_pci_cap64,
  virtio_pci_cfg_cap,
  virtio_pci_common_cfg,
  VIRTIO_PCI_COMMON_CFG_FIELDS,
  VIRTIO_PCI_COMMON_CFG_SIZE_1_0,
  VIRTIO_PCI_DEVICE_ID_NET,
  VIRTIO_PCI_GUEST_FEATURES,
  VIRTIO_PCI_HOST_FEATURES,
  VIRTIO_PCI_ISR,
  virtio_pci_legacy_header,
  virtio_pci_notify_cap,
  VIRTIO_PCI_QUEUE_NOTIFY,
  VIRTIO_PCI_QUEUE_NUM,
  VIRTIO_PCI_QUEUE_PFN,
  VIRTIO_PCI_QUEUE_SEL,
  VIRTIO_PCI_STATUS,
  VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_NET,
  VIRTIO_PCI_VENDOR_ID,
  type CommonCfgField,
} from './pci.js';

describe('virtio-pci', () => {
  it('IDs', () => {
    expect([VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_ID_NET, VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_NET]).toEqual([0x1af4, 0x1041, 0x1000]);
    expect(VIRTIO_MSI_NO_VECTOR).toBe(0xffff);
  });

  it('capability layouts (facts.md §11.1)', () => {
    expect(virtio_pci_cap.size).toBe(16);
    expect(virtio_pci_cap.fields.cfg_type).toEqual({ offset: 3, size: 1 });
    expect(virtio_pci_cap.fields.bar).toEqual({ offset: 4, size: 1 });
    expect(virtio_pci_cap.fields.offset).toEqual({ offset: 8, size: 4 });
    expect(virtio_pci_cap.fields.length).toEqual({ offset: 12, size: 4 });
    expect(virtio_pci_cap64.size).toBe(24);
    expect(virtio_pci_notify_cap.size).toBe(20);
    expect(virtio_pci_notify_cap.fields.notify_off_multiplier.offset).toBe(16);
    expect(virtio_pci_cfg_cap.fields.pci_cfg_data).toEqual({ offset: 16, size: 4 });
    for (const l of [virtio_pci_cap, virtio_pci_cap64, virtio_pci_notify_cap, virtio_pci_cfg_cap]) expect(checkLayout(l).kind).toBe('layout-ok');
    expect(Object.keys(VIRTIO_PCI_CAP_TYPES).map(Number)).toEqual([1, 2, 3, 4, 5, 8, 9]);
  });

  it('common config offsets (facts.md §11.2)', () => {
    const expected: Record<CommonCfgField, [number, number]> = {
      device_feature_select: [0x00, 4],
      device_feature: [0x04, 4],
      driver_feature_select: [0x08, 4],
      driver_feature: [0x0c, 4],
      config_msix_vector: [0x10, 2],
      num_queues: [0x12, 2],
      device_status: [0x14, 1],
      config_generation: [0x15, 1],
      queue_select: [0x16, 2],
      queue_size: [0x18, 2],
      queue_msix_vector: [0x1a, 2],
      queue_enable: [0x1c, 2],
      queue_notify_off: [0x1e, 2],
      queue_desc: [0x20, 8],
      queue_driver: [0x28, 8],
      queue_device: [0x30, 8],
      queue_notif_config_data: [0x38, 2],
      queue_reset: [0x3a, 2],
      admin_queue_index: [0x3c, 2],
      admin_queue_num: [0x3e, 2],
    };
    for (const [name, [offset, size]] of Object.entries(expected)) {
      expect(virtio_pci_common_cfg.fields[name as CommonCfgField], name).toEqual({ offset, size });
    }
    expect(virtio_pci_common_cfg.size).toBe(64);
    expect(virtio_pci_common_cfg.fields.queue_notif_config_data.offset).toBe(VIRTIO_PCI_COMMON_CFG_SIZE_1_0);
    expect([commonCfgSize('1.2'), commonCfgSize('1.3'), commonCfgSize('1.4')]).toEqual([60, 64, 64]);
    const ro = Object.entries(VIRTIO_PCI_COMMON_CFG_FIELDS).filter(([, f]) => f.access === 'RO').map(([n]) => n);
    expect(ro).toEqual(['device_feature', 'num_queues', 'config_generation', 'queue_notify_off', 'queue_notif_config_data', 'admin_queue_index', 'admin_queue_num']);
  });

  it('legacy header (facts.md §11.3)', () => {
    expect([
      VIRTIO_PCI_HOST_FEATURES,
      VIRTIO_PCI_GUEST_FEATURES,
      VIRTIO_PCI_QUEUE_PFN,
      VIRTIO_PCI_QUEUE_NUM,
      VIRTIO_PCI_QUEUE_SEL,
      VIRTIO_PCI_QUEUE_NOTIFY,
      VIRTIO_PCI_STATUS,
      VIRTIO_PCI_ISR,
      VIRTIO_MSI_CONFIG_VECTOR,
      VIRTIO_MSI_QUEUE_VECTOR,
    ]).toEqual(Object.values(virtio_pci_legacy_header.fields).map((f) => f.offset));
    expect(virtio_pci_legacy_header.size).toBe(24);
    expect([legacyConfigOffset(false), legacyConfigOffset(true)]).toEqual([20, 24]);
  });
});
