/**
 * Register model of a modern (non-transitional) virtio-pci function over the
 * device core (virtio 1.4 section 4.1): PCI configuration space with the
 * virtio capabilities, BAR 4 with common config, ISR, device config and
 * notification area, BAR 1 with the MSI-X table and PBA.
 *
 * IDs: vendor 0x1AF4, device 0x1040 + device type (0x1041 for net),
 * revision 1, subsystem vendor 0x1AF4 and subsystem ID 0x1100 as QEMU
 * (`pci.disc.device.2`, `.3`, `.5`, `.6`, `.7`).
 *
 * Interrupts: with MSI-X enabled each event goes to its mapped vector
 * (none for NO_VECTOR, `pci.usednotif.device.1`, `pci.cfgnotif.device.1`);
 * without, ISR bits are set and INTx asserted (`pci.isr.device.2..4`), and
 * an ISR read returns and clears them and deasserts INTx (`pci.isr.device.5`).
 * The ISR queue bit is set only without MSI-X; the config bit always.
 *
 * BAR accesses need Memory Space Enable in the command register, as on real
 * hardware (option `requireMemoryEnable`); without it reads return
 * all-ones and writes are dropped. Bus Master Enable is not modelled: the
 * ring engine reaches guest memory regardless.
 *
 * @module
 */

import { hasFeature } from '../../specs/features/feature-set.js';
import { VIRTIO_F_NOTIF_CONFIG_DATA, VIRTIO_F_NOTIFICATION_DATA } from '../../specs/features/reserved.js';
import {
  VIRTIO_MSI_MAX_VECTOR,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_PCI_ISR_CONFIG,
  VIRTIO_PCI_ISR_QUEUE,
  VIRTIO_PCI_MODERN_DEVICE_ID_BASE,
  VIRTIO_PCI_VENDOR_ID,
  VIRTIO_ID_NET,
} from '../../specs/transport/pci.js';
import type { AccessWidth } from '../device/backend.js';
import type { InterruptDelivery } from '../device/events.js';
import type { TransportBinding } from '../device/transport-binding.js';
import type { VirtioDevice } from '../device/virtio-device.js';
import { MsixTable } from './msix.js';
import { readCommonCfg, type VectorRegisters, writeCommonCfg } from './pci-common-cfg.js';
import { PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_MEMORY, PciConfigSpace } from './pci-config-space.js';
import { type PciModernLayout, pciModernLayout } from './pci-layout.js';
import { Listeners, type PciInterrupt, type PciRegisterAccess, type Unsubscribe, widthMask } from './register-access.js';

/** Options of {@link VirtioPciModern}. */
export interface VirtioPciModernOptions {
  /**
   * MSI-X Table Size (0..0x800); 0 leaves out the MSI-X capability and BAR 1.
   * @default number of queues + 1 (one vector per queue and one for config
   * changes), at most 0x800, the largest table MSI-X allows (vectors
   * 0..0x7FF, facts.md §11.2); with more queues the driver shares vectors.
   */
  readonly msixVectors?: number;
  /** notify_off_multiplier: 0 (one shared address) or a power of 4. @default 4 */
  readonly notifyOffMultiplier?: number;
  /** Include a VIRTIO_PCI_CAP_PCI_CFG window (`pci.cfgacc.device.1` makes it a MUST). @default true */
  readonly pciCfgCapability?: boolean;
  /** Revision ID (≥ 1 for a non-transitional device, `pci.disc.device.6`). @default 1 */
  readonly revision?: number;
  /** Subsystem vendor ID. @default 0x1AF4 */
  readonly subsystemVendorId?: number;
  /** Subsystem device ID (≥ 0x40, `pci.disc.device.7`). @default 0x1100 */
  readonly subsystemId?: number;
  /** Class code (class << 16 | subclass << 8 | prog-if). @default 0x020000 for net, else 0xff0000 */
  readonly classCode?: number;
  /** BAR accesses need Memory Space Enable. @default true */
  readonly requireMemoryEnable?: boolean;
  /** queue_notif_config_data per queue (shown with VIRTIO_F_NOTIF_CONFIG_DATA). @default the queue index | 0x4000 */
  readonly notifConfigData?: (queue: number) => number;
}

/** A virtio-pci modern function; implements the driver's {@link PciRegisterAccess}. */
export class VirtioPciModern implements PciRegisterAccess {
  /** Where the capabilities and regions are. */
  readonly layout: PciModernLayout;
  /** The MSI-X table, or null without MSI-X. */
  readonly msix: MsixTable | null;
  private readonly config: PciConfigSpace;
  private readonly listeners = new Listeners<PciInterrupt>();
  private readonly queueVectors: Uint16Array;
  private configVectorValue = VIRTIO_MSI_NO_VECTOR;
  private isrValue = 0;
  private intxLevel = false;
  private readonly requireMemoryEnable: boolean;
  private readonly notifConfig: (queue: number) => number;

  constructor(
    /** The device core this function exposes. */
    readonly device: VirtioDevice,
    options: VirtioPciModernOptions = {},
  ) {
    const backend = device.backend;
    this.layout = pciModernLayout(
      device.numQueues,
      backend.configSize,
      options.msixVectors ?? Math.min(device.numQueues + 1, VIRTIO_MSI_MAX_VECTOR + 1),
      options.notifyOffMultiplier ?? 4,
      options.pciCfgCapability ?? true,
    );
    this.requireMemoryEnable = options.requireMemoryEnable ?? true;
    this.notifConfig = options.notifConfigData ?? ((q) => q | 0x4000);
    this.queueVectors = new Uint16Array(device.numQueues).fill(VIRTIO_MSI_NO_VECTOR);
    this.msix = this.layout.msixVectors > 0 ? new MsixTable(this.layout.msixVectors, (i) => this.listeners.emit(i)) : null;
    this.config = new PciConfigSpace(
      {
        vendorId: VIRTIO_PCI_VENDOR_ID,
        deviceId: VIRTIO_PCI_MODERN_DEVICE_ID_BASE + backend.deviceId,
        revision: options.revision ?? 1,
        classCode: options.classCode ?? (backend.deviceId === VIRTIO_ID_NET ? 0x020000 : 0xff0000),
        subsystemVendorId: options.subsystemVendorId ?? VIRTIO_PCI_VENDOR_ID,
        subsystemId: options.subsystemId ?? 0x1100,
      },
      this.layout,
      {
        interruptPending: () => this.isrValue !== 0 && !this.msixOn,
        commandChanged: () => this.updateIntx(),
        msixControlChanged: (enabled, masked) => {
          this.msix?.setControl(enabled, masked);
          this.updateIntx();
        },
        windowRead: (bar, offset, length) => this.windowAccess(bar, offset, length, null),
        windowWrite: (bar, offset, length, value) => void this.windowAccess(bar, offset, length, value),
        violation: (clause, message) => device.violation(clause, message),
      },
    );
    device.attachTransport(this.binding());
  }

  /** Current ISR status (without the read side effect). */
  get isr(): number {
    return this.isrValue;
  }
  /** INTx line level. */
  get intxAsserted(): boolean {
    return this.intxLevel;
  }
  /** config_msix_vector. */
  get configVector(): number {
    return this.configVectorValue;
  }
  /** queue_msix_vector of every queue. */
  get queueVectorTable(): readonly number[] {
    return Array.from(this.queueVectors);
  }

  private get msixOn(): boolean {
    return this.msix?.enabled === true;
  }

  /** Subscribes to the function's interrupts. */
  onInterrupt(listener: (interrupt: PciInterrupt) => void): Unsubscribe {
    return this.listeners.add(listener);
  }

  /** PCI configuration space read. */
  readConfig(offset: number, width: AccessWidth): number {
    return this.config.read(offset, width);
  }

  /** PCI configuration space write. */
  writeConfig(offset: number, width: AccessWidth, value: number): void {
    this.config.write(offset, width, value);
  }

  /** BAR read; unmapped offsets read 0, a disabled memory space all-ones. */
  readBar(bar: number, offset: number, width: AccessWidth): number {
    if (!this.memoryEnabled(bar, offset)) return widthMask(width);
    return this.barRead(bar, offset, width);
  }

  /** BAR write. */
  writeBar(bar: number, offset: number, width: AccessWidth, value: number): void {
    if (!this.memoryEnabled(bar, offset)) return;
    this.barWrite(bar, offset, width, value >>> 0);
  }

  private memoryEnabled(bar: number, offset: number): boolean {
    if (!this.requireMemoryEnable || (this.config.command & PCI_COMMAND_MEMORY) !== 0) return true;
    this.device.registerError(null, `BAR ${bar} access at 0x${offset.toString(16)} with memory space disabled`);
    return false;
  }

  private barRead(bar: number, offset: number, width: AccessWidth): number {
    const l = this.layout;
    if (bar === l.virtioBar) {
      if (this.inRegion(l.common, offset, width)) return readCommonCfg(this.device, this.vectors, offset - l.common.offset, width);
      if (offset === l.isr.offset) return this.readIsr();
      if (offset >= l.device.offset && offset < l.device.offset + 0x1000) return this.device.readConfig(offset - l.device.offset, width);
      if (offset >= l.notify.offset && offset < l.virtioBarSize) return 0;
    } else if (bar === l.msixBar && this.msix !== null) {
      if (width !== 4 || offset % 4 !== 0) return this.badBar(bar, offset, width, 'MSI-X access must be an aligned dword');
      return offset >= l.msixPbaOffset ? this.msix.readPba(offset - l.msixPbaOffset) : this.msix.readTable(offset - l.msixTableOffset);
    }
    return this.badBar(bar, offset, width, 'read of an unmapped BAR offset');
  }

  private barWrite(bar: number, offset: number, width: AccessWidth, value: number): void {
    const l = this.layout;
    if (bar === l.virtioBar) {
      if (this.inRegion(l.common, offset, width)) return writeCommonCfg(this.device, this.vectors, offset - l.common.offset, width, value);
      if (offset === l.isr.offset) return void this.badBar(bar, offset, width, 'write to the read-only ISR');
      if (offset >= l.device.offset && offset < l.device.offset + 0x1000) return this.device.writeConfig(offset - l.device.offset, width, value);
      if (offset >= l.notify.offset && offset < l.virtioBarSize) return this.notifyWrite(offset - l.notify.offset, width, value);
    } else if (bar === l.msixBar && this.msix !== null) {
      if (width !== 4 || offset % 4 !== 0) return void this.badBar(bar, offset, width, 'MSI-X access must be an aligned dword');
      if (offset < l.msixPbaOffset) return this.msix.writeTable(offset - l.msixTableOffset, value);
    }
    this.badBar(bar, offset, width, 'write to an unmapped or read-only BAR offset');
  }

  private inRegion(region: { offset: number }, offset: number, width: number): boolean {
    return offset >= region.offset && offset + width <= region.offset + 0x1000;
  }

  private badBar(bar: number, offset: number, width: number, what: string, clause: string | null = null): number {
    this.device.registerError(clause, `BAR ${bar} 0x${offset.toString(16)} (${width} bytes): ${what}`);
    return 0;
  }

  /** PCI_CFG window: only targets inside a virtio structure (`pci.cfgacc.driver.2`, `pci.cfgacc.device.2`, `.3`). */
  private windowAccess(bar: number, offset: number, length: AccessWidth, value: number | null): number | null {
    const l = this.layout;
    const inside = [l.common, l.isr, l.device, l.notify].some((r) => offset >= r.offset && offset + length <= r.offset + r.length);
    if (bar !== l.virtioBar || !inside) {
      this.device.violation('pci.cfgacc.driver.2', `PCI_CFG window targets BAR ${bar} 0x${offset.toString(16)}, outside every virtio structure`);
      return null;
    }
    if (value === null) return this.barRead(bar, offset, length);
    this.barWrite(bar, offset, length, value);
    return null;
  }

  /** ISR read: returns and clears the bits, deasserts INTx (`pci.isr.device.5`). */
  private readIsr(): number {
    const value = this.isrValue;
    this.isrValue = 0;
    this.updateIntx();
    this.device.events.emit({ kind: 'isr-read', value });
    return value;
  }

  /**
   * Notification write. With a multiplier the address picks the queue;
   * with multiplier 0 the value does (facts.md §11.1). The value is checked
   * against what the driver must write (`pci.availnotif.driver.1..6`).
   */
  private notifyWrite(offset: number, width: AccessWidth, value: number): void {
    const features = this.device.negotiatedFeatures;
    const data = hasFeature(features, VIRTIO_F_NOTIFICATION_DATA);
    const configData = hasFeature(features, VIRTIO_F_NOTIF_CONFIG_DATA);
    const mult = this.layout.notifyOffMultiplier;
    if (width !== (data ? 4 : 2)) {
      this.device.violation(data ? 'pci.availnotif.driver.2' : 'pci.availnotif.driver.1', `notification written with ${width} bytes`);
    }
    const low = value & 0xffff;
    let queue: number;
    if (mult > 0) {
      if (offset % mult !== 0) return void this.badBar(this.layout.virtioBar, this.layout.notify.offset + offset, width, 'notification between queue slots');
      queue = offset / mult;
    } else {
      queue = configData ? this.queueForConfigData(low) : low;
    }
    const expected = configData ? this.notifConfig(queue) : queue;
    if (low !== expected) {
      const clause = configData ? (data ? 'pci.availnotif.driver.6' : 'pci.availnotif.driver.5') : data ? 'pci.availnotif.driver.4' : 'pci.availnotif.driver.3';
      this.device.violation(clause, `notification for queue ${queue} carried 0x${low.toString(16)}, expected 0x${expected.toString(16)}`);
    }
    this.device.notify(queue, width === 4 ? value : low);
  }

  private queueForConfigData(low: number): number {
    for (let q = 0; q < this.device.numQueues; q++) if (this.notifConfig(q) === low) return q;
    return low;
  }

  private updateIntx(): InterruptDelivery {
    const disabled = (this.config.command & PCI_COMMAND_INTX_DISABLE) !== 0;
    const level = this.isrValue !== 0 && !this.msixOn && !disabled;
    if (level !== this.intxLevel) {
      this.intxLevel = level;
      this.listeners.emit({ kind: 'intx', asserted: level });
    }
    return disabled ? { kind: 'none', reason: 'intx-disabled' } : { kind: 'intx' };
  }

  private signalVector(vector: number): InterruptDelivery {
    if (vector === VIRTIO_MSI_NO_VECTOR || this.msix === null) return { kind: 'none', reason: 'no-vector' };
    return this.msix.signal(vector);
  }

  private readonly vectors: VectorRegisters = {
    readConfigVector: () => this.configVectorValue,
    writeConfigVector: (vector) => {
      this.configVectorValue = this.mapVector(vector);
    },
    readQueueVector: (queue) => this.queueVectors[queue] ?? VIRTIO_MSI_NO_VECTOR,
    writeQueueVector: (queue, vector) => {
      if (queue >= this.queueVectors.length || this.device.queueRegisters.readSizeMax() === 0) {
        return this.device.violation(null, `queue_msix_vector written for queue ${queue}, which does not exist`);
      }
      this.queueVectors[queue] = this.mapVector(vector);
    },
    notifConfigData: (queue) => this.notifConfig(queue),
  };

  /** A vector beyond the table cannot be mapped and reads back NO_VECTOR (`pci.msix.device.9`, `pci.msix.driver.4`). */
  private mapVector(vector: number): number {
    if (vector === VIRTIO_MSI_NO_VECTOR) return vector;
    if (vector < (this.msix?.size ?? 0)) return vector;
    this.device.violation('pci.msix.driver.4', `MSI-X vector ${vector} is beyond the table size ${this.msix?.size ?? 0}`);
    return VIRTIO_MSI_NO_VECTOR;
  }

  private binding(): TransportBinding {
    return {
      transport: 'pci',
      unsupportedFeatures: 0n,
      deliverUsedBuffer: (queue) => {
        if (this.msixOn) return this.signalVector(this.queueVectors[queue] ?? VIRTIO_MSI_NO_VECTOR);
        this.isrValue |= VIRTIO_PCI_ISR_QUEUE;
        return this.updateIntx();
      },
      deliverConfigChange: () => {
        this.isrValue |= VIRTIO_PCI_ISR_CONFIG;
        if (this.msixOn) return this.signalVector(this.configVectorValue);
        return this.updateIntx();
      },
      deviceReset: () => {
        this.isrValue = 0;
        this.updateIntx();
        this.configVectorValue = VIRTIO_MSI_NO_VECTOR;
        this.queueVectors.fill(VIRTIO_MSI_NO_VECTOR);
        this.msix?.clearPending();
      },
      queueReset: (queue) => {
        if (queue < this.queueVectors.length) this.queueVectors[queue] = VIRTIO_MSI_NO_VECTOR;
      },
    };
  }
}
