/**
 * The registers of a device under test by meaning rather than by transport: device status, the
 * feature words, the queue registers behind the select, queue reset, the generation counter and
 * notifications — one interface over `virtio_pci_common_cfg` (through the capabilities a driver
 * finds) and over the virtio-mmio window. Transport checks take every step through it by hand, so
 * they can read back what the device shows at any point; the transport-only registers (ISR,
 * MSI-X, InterruptStatus) are reached through {@link PciWindow} / {@link MmioWindow}.
 *
 * @module
 */

import * as M from '../../../specs/transport/mmio.js';
import { VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import {
  findVirtioPciCapabilities,
  PCI_COMMAND,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  type VirtioPciCapabilities,
} from '../../../reference-impl/frontend/virtio/pci-capabilities.js';
import { PciCommonCfgAccess } from '../../../reference-impl/frontend/virtio/pci-common-access.js';
import type { AccessWidth, MmioRegisterAccess, PciRegisterAccess } from '../../../reference-impl/transport/register-access.js';
import type { DeviceUnderTest } from '../../adapters/contract.js';

/** A ring area register pair: descriptor area, driver area, device area. */
export type QueueArea = 'desc' | 'driver' | 'device';

/** MMIO scans QueueNumMax at most this far to count queues (MMIO has no num_queues register). */
export const MMIO_QUEUE_SCAN_LIMIT = 64;

/** The registers every transport has, by meaning. */
export interface RegisterWindow {
  readonly transport: 'pci' | 'mmio';
  readStatus(): Promise<number>;
  writeStatus(value: number): Promise<void>;
  /** device_feature / DeviceFeatures after writing `select`. */
  readDeviceFeatureWord(select: number): Promise<number>;
  /** driver_feature_select then driver_feature (DriverFeaturesSel then DriverFeatures). */
  writeDriverFeatureWord(select: number, value: number): Promise<void>;
  /** num_queues (PCI), or the queues QueueNumMax shows before the first 0 (MMIO). */
  numQueues(): Promise<number>;
  selectQueue(index: number): Promise<void>;
  /** The selected queue's maximum: queue_size before the driver wrote it (PCI), QueueNumMax (MMIO). */
  readQueueMax(): Promise<number>;
  writeQueueSize(size: number): Promise<void>;
  /** Writes a ring area address as two 32-bit halves, low first. */
  writeQueueArea(area: QueueArea, addr: number): Promise<void>;
  /** queue_enable / QueueReady of the selected queue. */
  readQueueEnable(): Promise<number>;
  /** queue_enable = 1 / QueueReady = 1. */
  enableQueue(): Promise<void>;
  /** queue_reset / QueueReset of the selected queue. */
  readQueueReset(): Promise<number>;
  writeQueueReset(value: number): Promise<void>;
  /** config_generation / ConfigGeneration. */
  readGeneration(): Promise<number>;
  /** Device-specific configuration. */
  readConfig(offset: number, width: AccessWidth): Promise<number>;
  /**
   * Where and how queue `index` is notified, read while it is selected (PCI: queue_notify_off);
   * returns the function that sends one notification with `value`.
   */
  notifier(index: number): Promise<(value: number) => Promise<void>>;
}

/** The PCI window: the common registers plus ISR, MSI-X vectors and the raw access. */
export interface PciWindow extends RegisterWindow {
  readonly transport: 'pci';
  readonly access: PciRegisterAccess;
  readonly caps: VirtioPciCapabilities;
  readonly common: PciCommonCfgAccess;
  /** Reads (and so clears) the ISR status byte. */
  readIsr(): Promise<number>;
  readConfigVector(): Promise<number>;
  writeConfigVector(vector: number): Promise<void>;
  /** queue_msix_vector of the selected queue. */
  readQueueVector(): Promise<number>;
  writeQueueVector(vector: number): Promise<void>;
}

/** The MMIO window: the common registers plus InterruptStatus and InterruptACK. */
export interface MmioWindow extends RegisterWindow {
  readonly transport: 'mmio';
  readonly access: MmioRegisterAccess;
  readInterruptStatus(): Promise<number>;
  writeInterruptAck(value: number): Promise<void>;
}

/** Either window. */
export type TransportWindow = PciWindow | MmioWindow;

/** Outcome of {@link openWindow}. */
export type WindowResult = { readonly kind: 'open'; readonly window: TransportWindow } | { readonly kind: 'unusable'; readonly reason: string };

async function pciWindow(access: PciRegisterAccess): Promise<WindowResult> {
  const found = await findVirtioPciCapabilities(access);
  if (found.kind !== 'ok') return { kind: 'unusable', reason: `the capability walk failed: ${found.message}` };
  const caps = found.value;
  // Memory space on, as the PCI core does before a driver touches a BAR; bus master for the rings.
  const command = await access.readConfig(PCI_COMMAND, 2);
  await access.writeConfig(PCI_COMMAND, 2, command | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  const common = new PciCommonCfgAccess(access, caps.common);
  const window: PciWindow = {
    transport: 'pci',
    access,
    caps,
    common,
    readStatus: () => common.read('device_status'),
    writeStatus: (value) => common.write('device_status', value & 0xff),
    async readDeviceFeatureWord(select) {
      await common.write('device_feature_select', select >>> 0);
      return (await common.read('device_feature')) >>> 0;
    },
    async writeDriverFeatureWord(select, value) {
      await common.write('driver_feature_select', select >>> 0);
      await common.write('driver_feature', value >>> 0);
    },
    numQueues: () => common.read('num_queues'),
    selectQueue: (index) => common.write('queue_select', index),
    readQueueMax: () => common.read('queue_size'),
    writeQueueSize: (size) => common.write('queue_size', size),
    writeQueueArea: (area, addr) => common.write64(area === 'desc' ? 'queue_desc' : area === 'driver' ? 'queue_driver' : 'queue_device', addr),
    readQueueEnable: () => common.read('queue_enable'),
    enableQueue: () => common.write('queue_enable', 1),
    readQueueReset: () => common.read('queue_reset'),
    writeQueueReset: (value) => common.write('queue_reset', value),
    readGeneration: () => common.read('config_generation'),
    async readConfig(offset, width) {
      const d = caps.device;
      return d === null ? 0 : access.readBar(d.bar, d.offset + offset, width);
    },
    async notifier(index) {
      await common.write('queue_select', index);
      const off = await common.read('queue_notify_off');
      const n = caps.notify;
      const at = n.offset + off * n.multiplier;
      return async (value) => {
        await access.writeBar(n.bar, at, 2, value & 0xffff);
      };
    },
    readIsr: () => Promise.resolve(access.readBar(caps.isr.bar, caps.isr.offset, 1)),
    readConfigVector: () => common.read('config_msix_vector'),
    writeConfigVector: (vector) => common.write('config_msix_vector', vector & 0xffff),
    readQueueVector: () => common.read('queue_msix_vector'),
    writeQueueVector: (vector) => common.write('queue_msix_vector', vector & 0xffff),
  };
  return { kind: 'open', window };
}

function mmioWindow(access: MmioRegisterAccess): WindowResult {
  const read = async (offset: number): Promise<number> => (await access.read(offset, 4)) >>> 0;
  const write = async (offset: number, value: number): Promise<void> => {
    await access.write(offset, 4, value >>> 0);
  };
  const areas: Record<QueueArea, readonly [number, number]> = {
    desc: [M.VIRTIO_MMIO_QUEUE_DESC_LOW, M.VIRTIO_MMIO_QUEUE_DESC_HIGH],
    driver: [M.VIRTIO_MMIO_QUEUE_DRIVER_LOW, M.VIRTIO_MMIO_QUEUE_DRIVER_HIGH],
    device: [M.VIRTIO_MMIO_QUEUE_DEVICE_LOW, M.VIRTIO_MMIO_QUEUE_DEVICE_HIGH],
  };
  const window: MmioWindow = {
    transport: 'mmio',
    access,
    readStatus: async () => (await read(M.VIRTIO_MMIO_STATUS)) & 0xff,
    writeStatus: (value) => write(M.VIRTIO_MMIO_STATUS, value & 0xff),
    async readDeviceFeatureWord(select) {
      await write(M.VIRTIO_MMIO_DEVICE_FEATURES_SEL, select);
      return read(M.VIRTIO_MMIO_DEVICE_FEATURES);
    },
    async writeDriverFeatureWord(select, value) {
      await write(M.VIRTIO_MMIO_DRIVER_FEATURES_SEL, select);
      await write(M.VIRTIO_MMIO_DRIVER_FEATURES, value);
    },
    async numQueues() {
      let count = 0;
      while (count < MMIO_QUEUE_SCAN_LIMIT) {
        await write(M.VIRTIO_MMIO_QUEUE_SEL, count);
        if ((await read(M.VIRTIO_MMIO_QUEUE_NUM_MAX)) === 0) break;
        count++;
      }
      return count;
    },
    selectQueue: (index) => write(M.VIRTIO_MMIO_QUEUE_SEL, index),
    readQueueMax: () => read(M.VIRTIO_MMIO_QUEUE_NUM_MAX),
    writeQueueSize: (size) => write(M.VIRTIO_MMIO_QUEUE_NUM, size),
    async writeQueueArea(area, addr) {
      const [low, high] = areas[area];
      const lo = addr >>> 0;
      await write(low, lo);
      await write(high, (addr - lo) / 0x1_0000_0000);
    },
    readQueueEnable: () => read(M.VIRTIO_MMIO_QUEUE_READY),
    enableQueue: () => write(M.VIRTIO_MMIO_QUEUE_READY, 1),
    readQueueReset: () => read(M.VIRTIO_MMIO_QUEUE_RESET),
    writeQueueReset: (value) => write(M.VIRTIO_MMIO_QUEUE_RESET, value),
    readGeneration: () => read(M.VIRTIO_MMIO_CONFIG_GENERATION),
    readConfig: async (offset, width) => (await access.read(M.VIRTIO_MMIO_CONFIG + offset, width)) >>> 0,
    // One QueueNotify register for every queue: the value names the queue.
    notifier: () => Promise.resolve((value) => write(M.VIRTIO_MMIO_QUEUE_NOTIFY, value)),
    readInterruptStatus: () => read(M.VIRTIO_MMIO_INTERRUPT_STATUS),
    writeInterruptAck: (value) => write(M.VIRTIO_MMIO_INTERRUPT_ACK, value),
  };
  return { kind: 'open', window };
}

/** Opens the register window of `device` (on PCI: capability walk, memory space enable). */
export function openWindow(device: DeviceUnderTest): Promise<WindowResult> {
  const registers = device.registers;
  return registers.transport === 'pci' ? pciWindow(registers.access) : Promise.resolve(mmioWindow(registers.access));
}

/** Renders a vector register value, naming NO_VECTOR. */
export function describeVector(vector: number): string {
  return vector === VIRTIO_MSI_NO_VECTOR ? 'NO_VECTOR (0xffff)' : `${vector}`;
}
