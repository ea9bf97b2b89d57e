/**
 * Register model of a virtio-mmio device, version 2 (virtio 1.4 section
 * 4.2, facts.md §12), over the device core.
 *
 * Control registers (0x000..0x0ff) take aligned 32-bit accesses only
 * (`mmio.reg.driver.4`). Anything else — another width, a misaligned or
 * undocumented offset (`mmio.reg.driver.1`), a legacy-only register, a read
 * of a write-only register (`mmio.reg.driver.3`) or a write of a read-only
 * one (`mmio.reg.driver.2`) — is refused: counted and reported, reads
 * return 0, writes are ignored. Device config at 0x100 takes the field's
 * natural width (`mmio.reg.driver.5`).
 *
 * QueueReady = 0 stops a queue (`mmio.reg.driver.16`), unlike PCI where
 * queue_enable = 0 is not allowed. The interrupt line is asserted while
 * InterruptStatus is non-zero; InterruptACK clears the bits written
 * (`mmio.reg.device.3`, `mmio.reg.device.4`).
 *
 * @module
 */

import {
  type MmioRegister,
  mmioRegisterAt,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_REGISTERS,
  VIRTIO_MMIO_VERSION_MODERN,
} from '../../specs/transport/mmio.js';
import { featureMask } from '../../specs/features/feature-set.js';
import { VIRTIO_F_NOTIF_CONFIG_DATA } from '../../specs/features/reserved.js';
import { VIRTIO_PCI_VENDOR_ID } from '../../specs/transport/pci.js';
import type { AccessWidth } from '../device/backend.js';
import type { InterruptDelivery } from '../device/events.js';
import type { QueueArea } from '../device/queue-registers.js';
import type { VirtioDevice } from '../device/virtio-device.js';
import { Listeners, type MmioInterrupt, type MmioRegisterAccess, type Unsubscribe } from './register-access.js';

/** Options of {@link VirtioMmio}. */
export interface VirtioMmioOptions {
  /** VendorID register. @default 0x1AF4 */
  readonly vendorId?: number;
}

/** Feature bits MMIO cannot carry: no register for queue_notif_config_data. */
export const MMIO_UNSUPPORTED_FEATURES = featureMask(VIRTIO_F_NOTIF_CONFIG_DATA);

const AREAS: Partial<Record<MmioRegister, readonly [QueueArea, 0 | 1]>> = {
  QueueDescLow: ['desc', 0],
  QueueDescHigh: ['desc', 1],
  QueueDriverLow: ['driver', 0],
  QueueDriverHigh: ['driver', 1],
  QueueDeviceLow: ['device', 0],
  QueueDeviceHigh: ['device', 1],
};

/** A virtio-mmio v2 register window; implements the driver's {@link MmioRegisterAccess}. */
export class VirtioMmio implements MmioRegisterAccess {
  private readonly listeners = new Listeners<MmioInterrupt>();
  private interruptStatusValue = 0;
  private line = false;
  private readonly vendorId: number;
  /** SHMSel as last written (no shared memory regions exist). */
  shmSelect = 0;

  constructor(
    /** The device core behind the window. */
    readonly device: VirtioDevice,
    options: VirtioMmioOptions = {},
  ) {
    this.vendorId = options.vendorId ?? VIRTIO_PCI_VENDOR_ID;
    device.attachTransport({
      transport: 'mmio',
      unsupportedFeatures: MMIO_UNSUPPORTED_FEATURES,
      deliverUsedBuffer: () => this.raise(VIRTIO_MMIO_INT_VRING),
      deliverConfigChange: () => this.raise(VIRTIO_MMIO_INT_CONFIG),
      deviceReset: () => {
        this.interruptStatusValue = 0;
        this.updateLine();
      },
      queueReset: () => {},
    });
  }

  /** InterruptStatus without side effects. */
  get interruptStatus(): number {
    return this.interruptStatusValue;
  }
  /** Interrupt line level. */
  get lineAsserted(): boolean {
    return this.line;
  }

  /** Subscribes to interrupt line changes. */
  onInterrupt(listener: (interrupt: MmioInterrupt) => void): Unsubscribe {
    return this.listeners.add(listener);
  }

  /** Driver read of the register window. */
  read(offset: number, width: AccessWidth): number {
    if (offset >= VIRTIO_MMIO_CONFIG) return this.device.readConfig(offset - VIRTIO_MMIO_CONFIG, width);
    const reg = this.control(offset, width, 'R');
    const d = this.device;
    switch (reg) {
      case 'MagicValue':
        return VIRTIO_MMIO_MAGIC;
      case 'Version':
        return VIRTIO_MMIO_VERSION_MODERN;
      case 'DeviceID':
        return d.backend.deviceId;
      case 'VendorID':
        return this.vendorId;
      case 'DeviceFeatures':
        return d.readDeviceFeatures();
      case 'QueueSizeMax':
        return d.queueRegisters.readSizeMax();
      case 'QueueReady':
        return d.queueRegisters.readEnable();
      case 'InterruptStatus':
        return this.interruptStatusValue;
      case 'Status':
        return d.readStatus();
      case 'SHMLenLow':
      case 'SHMLenHigh':
      case 'SHMBaseLow':
      case 'SHMBaseHigh':
        return 0xffff_ffff; // no shared memory region with this id
      case 'QueueReset':
        return d.queueRegisters.readReset();
      case 'ConfigGeneration':
        return d.configGeneration;
      default:
        return 0;
    }
  }

  /** Driver write of the register window. */
  write(offset: number, width: AccessWidth, value: number): void {
    if (offset >= VIRTIO_MMIO_CONFIG) return this.device.writeConfig(offset - VIRTIO_MMIO_CONFIG, width, value);
    const reg = this.control(offset, width, 'W');
    if (reg === undefined) return;
    const d = this.device;
    const v = value >>> 0;
    const area = AREAS[reg];
    if (area !== undefined) return d.queueRegisters.writeAddress(area[0], area[1], v);
    switch (reg) {
      case 'DeviceFeaturesSel':
        d.deviceFeatureSelect = v;
        return;
      case 'DriverFeatures':
        return d.writeDriverFeatures(v);
      case 'DriverFeaturesSel':
        d.driverFeatureSelect = v;
        return;
      case 'QueueSel':
        d.queueRegisters.select = v;
        return;
      case 'QueueSize':
        return d.queueRegisters.writeSize(v);
      case 'QueueReady':
        if (v === 1) return d.queueRegisters.enable();
        if (v === 0) return d.queueRegisters.stop();
        return d.violation(null, `QueueReady written with ${v}`);
      case 'QueueNotify':
        // Queue index, or with NOTIFICATION_DATA the vq index in bits 0..15 (facts.md §10).
        return d.notify(v & 0xffff, v);
      case 'InterruptACK':
        return this.acknowledge(v);
      case 'Status':
        return d.writeStatus(v);
      case 'SHMSel':
        this.shmSelect = v;
        return;
      case 'QueueReset':
        return d.queueRegisters.writeReset(v);
      default:
        return;
    }
  }

  /** The register a control access hits, or undefined after reporting why it is refused. */
  private control(offset: number, width: AccessWidth, dir: 'R' | 'W'): MmioRegister | undefined {
    const d = this.device;
    const at = `0x${offset.toString(16).padStart(3, '0')}`;
    if (width !== 4 || offset % 4 !== 0) {
      d.registerError('mmio.reg.driver.4', `${width}-byte ${dir === 'R' ? 'read' : 'write'} at ${at}: control registers take aligned 32-bit accesses`);
      return undefined;
    }
    const reg = mmioRegisterAt(offset);
    const info = reg === undefined ? undefined : VIRTIO_MMIO_REGISTERS[reg];
    if (reg === undefined || info === undefined || info.legacyOnly) {
      d.registerError('mmio.reg.driver.1', `access to undocumented register ${at}${reg === undefined ? '' : ` (${reg}, legacy only)`}`);
      return undefined;
    }
    if (dir === 'R' && info.access === 'W') {
      d.registerError('mmio.reg.driver.3', `read of write-only register ${reg}`);
      return undefined;
    }
    if (dir === 'W' && info.access === 'R') {
      d.registerError('mmio.reg.driver.2', `write to read-only register ${reg}`);
      return undefined;
    }
    return reg;
  }

  /** InterruptACK: clears the acknowledged bits; undefined bits are a driver error (`mmio.reg.driver.20`). */
  private acknowledge(value: number): void {
    if ((value & ~(VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)) !== 0) {
      this.device.violation('mmio.reg.driver.20', `InterruptACK with undefined bits 0x${value.toString(16)}`);
    }
    this.interruptStatusValue &= ~value;
    this.device.events.emit({ kind: 'interrupt-ack', value, remaining: this.interruptStatusValue });
    this.updateLine();
  }

  private raise(bit: number): InterruptDelivery {
    this.interruptStatusValue |= bit;
    this.updateLine();
    return { kind: 'line' };
  }

  private updateLine(): void {
    const level = this.interruptStatusValue !== 0;
    if (level === this.line) return;
    this.line = level;
    this.listeners.emit({ kind: 'line', asserted: level, interruptStatus: this.interruptStatusValue });
  }
}
