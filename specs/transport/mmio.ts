/**
 * virtio-mmio register map, version 2 (virtio 1.4 section 4.2).
 *
 * Control registers (0x000..0x0ff) are 32 bits wide and take aligned 32-bit
 * accesses only (`mmio.reg.driver.4`); device config at 0x100 uses each
 * field's natural width (`mmio.reg.driver.5`).
 *
 * @module
 */

import { defineStruct, type StructLayout } from '../layout.js';

/** MagicValue: "virt" little-endian (`mmio.reg.device.1`). */
export const VIRTIO_MMIO_MAGIC = 0x74726976;
/** Version of a modern (virtio 1.x) device (`mmio.reg.device.2`). */
export const VIRTIO_MMIO_VERSION_MODERN = 2;
/** Version of a legacy device. */
export const VIRTIO_MMIO_VERSION_LEGACY = 1;
/** DeviceID 0: placeholder, to be ignored silently (`mmio.reg.driver.10`, `mmio.reg.driver.11`). */
export const VIRTIO_MMIO_DEVICE_ID_PLACEHOLDER = 0;

/** 0x000 R: magic value. */
export const VIRTIO_MMIO_MAGIC_VALUE = 0x000;
/** 0x004 R: version. */
export const VIRTIO_MMIO_VERSION = 0x004;
/** 0x008 R: virtio device ID (1 = net). */
export const VIRTIO_MMIO_DEVICE_ID = 0x008;
/** 0x00c R: vendor ID. */
export const VIRTIO_MMIO_VENDOR_ID = 0x00c;
/** 0x010 R: 32 device feature bits selected by DeviceFeaturesSel. */
export const VIRTIO_MMIO_DEVICE_FEATURES = 0x010;
/** 0x014 W: device feature word select. */
export const VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014;
/** 0x020 W: 32 driver feature bits selected by DriverFeaturesSel. */
export const VIRTIO_MMIO_DRIVER_FEATURES = 0x020;
/** 0x024 W: driver feature word select. */
export const VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024;
/** 0x028 W, legacy only: guest page size. */
export const VIRTIO_MMIO_GUEST_PAGE_SIZE = 0x028;
/** 0x030 W: virtqueue select. */
export const VIRTIO_MMIO_QUEUE_SEL = 0x030;
/** 0x034 R: maximum queue size, 0 = no such queue (QueueNumMax in 1.2). */
export const VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034;
/** 0x038 W: queue size (QueueNum in 1.2). */
export const VIRTIO_MMIO_QUEUE_NUM = 0x038;
/** 0x03c W, legacy only: queue alignment. */
export const VIRTIO_MMIO_QUEUE_ALIGN = 0x03c;
/** 0x040 RW, legacy only: queue page frame number. */
export const VIRTIO_MMIO_QUEUE_PFN = 0x040;
/** 0x044 RW: queue ready; write 0 and read back to stop (`mmio.reg.driver.16`, `mmio.reg.driver.17`). */
export const VIRTIO_MMIO_QUEUE_READY = 0x044;
/** 0x050 W: queue notify (index, or the 32-bit notification data). */
export const VIRTIO_MMIO_QUEUE_NOTIFY = 0x050;
/** 0x060 R: interrupt status. */
export const VIRTIO_MMIO_INTERRUPT_STATUS = 0x060;
/** 0x064 W: interrupt acknowledge. */
export const VIRTIO_MMIO_INTERRUPT_ACK = 0x064;
/** 0x070 RW: device status; write 0 resets. */
export const VIRTIO_MMIO_STATUS = 0x070;
/** 0x080 W: descriptor area, low 32 bits. */
export const VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080;
/** 0x084 W: descriptor area, high 32 bits. */
export const VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084;
/** 0x090 W: driver area (available ring), low 32 bits. */
export const VIRTIO_MMIO_QUEUE_DRIVER_LOW = 0x090;
/** 0x094 W: driver area, high 32 bits. */
export const VIRTIO_MMIO_QUEUE_DRIVER_HIGH = 0x094;
/** Linux name of {@link VIRTIO_MMIO_QUEUE_DRIVER_LOW}. */
export const VIRTIO_MMIO_QUEUE_AVAIL_LOW = VIRTIO_MMIO_QUEUE_DRIVER_LOW;
/** Linux name of {@link VIRTIO_MMIO_QUEUE_DRIVER_HIGH}. */
export const VIRTIO_MMIO_QUEUE_AVAIL_HIGH = VIRTIO_MMIO_QUEUE_DRIVER_HIGH;
/** 0x0a0 W: device area (used ring), low 32 bits. */
export const VIRTIO_MMIO_QUEUE_DEVICE_LOW = 0x0a0;
/** 0x0a4 W: device area, high 32 bits. */
export const VIRTIO_MMIO_QUEUE_DEVICE_HIGH = 0x0a4;
/** Linux name of {@link VIRTIO_MMIO_QUEUE_DEVICE_LOW}. */
export const VIRTIO_MMIO_QUEUE_USED_LOW = VIRTIO_MMIO_QUEUE_DEVICE_LOW;
/** Linux name of {@link VIRTIO_MMIO_QUEUE_DEVICE_HIGH}. */
export const VIRTIO_MMIO_QUEUE_USED_HIGH = VIRTIO_MMIO_QUEUE_DEVICE_HIGH;
/** 0x0ac W: shared memory region select. */
export const VIRTIO_MMIO_SHM_SEL = 0x0ac;
/** 0x0b0 R: shared memory length, low 32 bits (all ones if no region). */
export const VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0;
/** 0x0b4 R: shared memory length, high 32 bits. */
export const VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4;
/** 0x0b8 R: shared memory base, low 32 bits. */
export const VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8;
/** 0x0bc R: shared memory base, high 32 bits. */
export const VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc;
/** 0x0c0 RW: per-queue reset (RING_RESET). */
export const VIRTIO_MMIO_QUEUE_RESET = 0x0c0;
/** 0x0fc R: configuration generation. */
export const VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc;
/** 0x100: start of device-specific configuration (`virtio_net_config`). */
export const VIRTIO_MMIO_CONFIG = 0x100;

/** InterruptStatus bit 0: a used buffer notification. */
export const VIRTIO_MMIO_INT_VRING = 0x1;
/** InterruptStatus bit 1: a configuration change. */
export const VIRTIO_MMIO_INT_CONFIG = 0x2;

/** Spec register names. */
export type MmioRegister =
  | 'MagicValue'
  | 'Version'
  | 'DeviceID'
  | 'VendorID'
  | 'DeviceFeatures'
  | 'DeviceFeaturesSel'
  | 'DriverFeatures'
  | 'DriverFeaturesSel'
  | 'GuestPageSize'
  | 'QueueSel'
  | 'QueueSizeMax'
  | 'QueueSize'
  | 'QueueAlign'
  | 'QueuePFN'
  | 'QueueReady'
  | 'QueueNotify'
  | 'InterruptStatus'
  | 'InterruptACK'
  | 'Status'
  | 'QueueDescLow'
  | 'QueueDescHigh'
  | 'QueueDriverLow'
  | 'QueueDriverHigh'
  | 'QueueDeviceLow'
  | 'QueueDeviceHigh'
  | 'SHMSel'
  | 'SHMLenLow'
  | 'SHMLenHigh'
  | 'SHMBaseLow'
  | 'SHMBaseHigh'
  | 'QueueReset'
  | 'ConfigGeneration';

/** The control register block (0x000..0x0ff) as a layout; every register is 4 bytes. */
export const virtio_mmio_registers: StructLayout<MmioRegister> = defineStruct(
  {
    MagicValue: { offset: VIRTIO_MMIO_MAGIC_VALUE, size: 4 },
    Version: { offset: VIRTIO_MMIO_VERSION, size: 4 },
    DeviceID: { offset: VIRTIO_MMIO_DEVICE_ID, size: 4 },
    VendorID: { offset: VIRTIO_MMIO_VENDOR_ID, size: 4 },
    DeviceFeatures: { offset: VIRTIO_MMIO_DEVICE_FEATURES, size: 4 },
    DeviceFeaturesSel: { offset: VIRTIO_MMIO_DEVICE_FEATURES_SEL, size: 4 },
    DriverFeatures: { offset: VIRTIO_MMIO_DRIVER_FEATURES, size: 4 },
    DriverFeaturesSel: { offset: VIRTIO_MMIO_DRIVER_FEATURES_SEL, size: 4 },
    GuestPageSize: { offset: VIRTIO_MMIO_GUEST_PAGE_SIZE, size: 4 },
    QueueSel: { offset: VIRTIO_MMIO_QUEUE_SEL, size: 4 },
    QueueSizeMax: { offset: VIRTIO_MMIO_QUEUE_NUM_MAX, size: 4 },
    QueueSize: { offset: VIRTIO_MMIO_QUEUE_NUM, size: 4 },
    QueueAlign: { offset: VIRTIO_MMIO_QUEUE_ALIGN, size: 4 },
    QueuePFN: { offset: VIRTIO_MMIO_QUEUE_PFN, size: 4 },
    QueueReady: { offset: VIRTIO_MMIO_QUEUE_READY, size: 4 },
    QueueNotify: { offset: VIRTIO_MMIO_QUEUE_NOTIFY, size: 4 },
    InterruptStatus: { offset: VIRTIO_MMIO_INTERRUPT_STATUS, size: 4 },
    InterruptACK: { offset: VIRTIO_MMIO_INTERRUPT_ACK, size: 4 },
    Status: { offset: VIRTIO_MMIO_STATUS, size: 4 },
    QueueDescLow: { offset: VIRTIO_MMIO_QUEUE_DESC_LOW, size: 4 },
    QueueDescHigh: { offset: VIRTIO_MMIO_QUEUE_DESC_HIGH, size: 4 },
    QueueDriverLow: { offset: VIRTIO_MMIO_QUEUE_DRIVER_LOW, size: 4 },
    QueueDriverHigh: { offset: VIRTIO_MMIO_QUEUE_DRIVER_HIGH, size: 4 },
    QueueDeviceLow: { offset: VIRTIO_MMIO_QUEUE_DEVICE_LOW, size: 4 },
    QueueDeviceHigh: { offset: VIRTIO_MMIO_QUEUE_DEVICE_HIGH, size: 4 },
    SHMSel: { offset: VIRTIO_MMIO_SHM_SEL, size: 4 },
    SHMLenLow: { offset: VIRTIO_MMIO_SHM_LEN_LOW, size: 4 },
    SHMLenHigh: { offset: VIRTIO_MMIO_SHM_LEN_HIGH, size: 4 },
    SHMBaseLow: { offset: VIRTIO_MMIO_SHM_BASE_LOW, size: 4 },
    SHMBaseHigh: { offset: VIRTIO_MMIO_SHM_BASE_HIGH, size: 4 },
    QueueReset: { offset: VIRTIO_MMIO_QUEUE_RESET, size: 4 },
    ConfigGeneration: { offset: VIRTIO_MMIO_CONFIG_GENERATION, size: 4 },
  },
  VIRTIO_MMIO_CONFIG,
);

/** How the driver may access a register, and whether it exists only in legacy (version 1) devices. */
export interface MmioRegisterInfo {
  /** R: driver reads only; W: driver writes only; RW: both (`mmio.reg.driver.2`, `mmio.reg.driver.3`). */
  readonly access: 'R' | 'W' | 'RW';
  /** Register of the legacy (version 1) layout only. */
  readonly legacyOnly: boolean;
}

const R: MmioRegisterInfo = Object.freeze({ access: 'R', legacyOnly: false });
const W: MmioRegisterInfo = Object.freeze({ access: 'W', legacyOnly: false });
const RW: MmioRegisterInfo = Object.freeze({ access: 'RW', legacyOnly: false });

/** Access of every register (facts.md §12). */
export const VIRTIO_MMIO_REGISTERS: Readonly<Record<MmioRegister, MmioRegisterInfo>> = Object.freeze({
  MagicValue: R,
  Version: R,
  DeviceID: R,
  VendorID: R,
  DeviceFeatures: R,
  DeviceFeaturesSel: W,
  DriverFeatures: W,
  DriverFeaturesSel: W,
  GuestPageSize: Object.freeze({ access: 'W', legacyOnly: true }),
  QueueSel: W,
  QueueSizeMax: R,
  QueueSize: W,
  QueueAlign: Object.freeze({ access: 'W', legacyOnly: true }),
  QueuePFN: Object.freeze({ access: 'RW', legacyOnly: true }),
  QueueReady: RW,
  QueueNotify: W,
  InterruptStatus: R,
  InterruptACK: W,
  Status: RW,
  QueueDescLow: W,
  QueueDescHigh: W,
  QueueDriverLow: W,
  QueueDriverHigh: W,
  QueueDeviceLow: W,
  QueueDeviceHigh: W,
  SHMSel: W,
  SHMLenLow: R,
  SHMLenHigh: R,
  SHMBaseLow: R,
  SHMBaseHigh: R,
  QueueReset: RW,
  ConfigGeneration: R,
});

/** The register at a control-block offset, or `undefined` for an undocumented offset (`mmio.reg.driver.1`). */
export function mmioRegisterAt(offset: number): MmioRegister | undefined {
  for (const [name, f] of Object.entries(virtio_mmio_registers.fields) as [MmioRegister, { offset: number }][]) {
    if (f.offset === offset) return name;
  }
  return undefined;
}
