/**
 * The 256-byte PCI configuration space of the virtio-pci model: type 0
 * header with virtio IDs, two memory BARs with standard sizing, the virtio
 * vendor capabilities (common, notify, ISR, device, PCI config window) and
 * MSI-X.
 *
 * Bytes are stored with a per-byte write mask, as in QEMU; everything the
 * mask does not cover is read-only. Writes to read-only bytes of a virtio
 * capability are reported (`pci.cap.driver.8`); other read-only bytes are
 * silently kept, as PCI hardware does.
 *
 * @module
 */

import {
  PCI_CAP_ID_VNDR,
  VIRTIO_PCI_CAP_COMMON_CFG,
  VIRTIO_PCI_CAP_DEVICE_CFG,
  VIRTIO_PCI_CAP_ISR_CFG,
  VIRTIO_PCI_CAP_NOTIFY_CFG,
  VIRTIO_PCI_CAP_PCI_CFG,
} from '../../specs/transport/pci.js';
import type { AccessWidth } from '../device/backend.js';
import type { PciModernLayout } from './pci-layout.js';
import { widthMask } from './register-access.js';

/** PCI command register bit 1: memory space enable. */
export const PCI_COMMAND_MEMORY = 0x2;
/** PCI command register bit 2: bus master enable. */
export const PCI_COMMAND_MASTER = 0x4;
/** PCI command register bit 10: INTx disable. */
export const PCI_COMMAND_INTX_DISABLE = 0x400;
/** PCI status register bit 3: interrupt status. */
export const PCI_STATUS_INTERRUPT = 0x8;
/** PCI status register bit 4: capability list present. */
export const PCI_STATUS_CAP_LIST = 0x10;
/** PCI capability ID of MSI-X. */
export const PCI_CAP_ID_MSIX = 0x11;

/** IDs written into the header. */
export interface PciIdentity {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision: number;
  /** class << 16 | subclass << 8 | prog-if. */
  readonly classCode: number;
  readonly subsystemVendorId: number;
  readonly subsystemId: number;
}

/** What the config space asks of the transport. */
export interface PciConfigHooks {
  /** Current interrupt status for the status register (`pci.isr.device.4`). */
  interruptPending(): boolean;
  /** The command register changed. */
  commandChanged(command: number): void;
  /** MSI-X Message Control changed. */
  msixControlChanged(enabled: boolean, functionMasked: boolean): void;
  /** PCI_CFG window read of `length` bytes at `bar`/`offset`; null when the target is not a virtio structure. */
  windowRead(bar: number, offset: number, length: AccessWidth): number | null;
  /** PCI_CFG window write of `length` bytes at `bar`/`offset`. */
  windowWrite(bar: number, offset: number, length: AccessWidth, value: number): void;
  /** A driver rule was broken. */
  violation(clause: string | null, message: string): void;
}

/** Configuration space of one function. */
export class PciConfigSpace {
  private readonly space = new Uint8Array(256);
  private readonly wmask = new Uint8Array(256);

  constructor(
    identity: PciIdentity,
    private readonly layout: PciModernLayout,
    private readonly hooks: PciConfigHooks,
  ) {
    this.put(0x00, 2, identity.vendorId);
    this.put(0x02, 2, identity.deviceId);
    this.put(0x06, 2, PCI_STATUS_CAP_LIST);
    this.put(0x08, 1, identity.revision);
    this.put(0x09, 3, identity.classCode);
    this.put(0x2c, 2, identity.subsystemVendorId);
    this.put(0x2e, 2, identity.subsystemId);
    this.put(0x34, 1, layout.caps.common);
    this.put(0x3d, 1, 1); // INTA#
    this.writable(0x04, 2, 0x0407); // I/O, memory, bus master, INTx disable
    this.writable(0x0c, 1, 0xff); // cache line size
    this.writable(0x3c, 1, 0xff); // interrupt line
    // BAR 4/5: 64-bit prefetchable memory; low bits are type flags, sizing through the mask.
    this.put(0x20, 4, 0xc);
    this.writable(0x20, 4, ~(layout.virtioBarSize - 1) & ~0xf);
    this.writable(0x24, 4, 0xffff_ffff);
    if (layout.msixBar === 1) this.writable(0x14, 4, ~(layout.msixBarSize - 1) & ~0xf);
    this.buildCapabilities();
  }

  private buildCapabilities(): void {
    const { caps } = this.layout;
    const order = [caps.common, caps.notify, caps.isr, caps.device, caps.pciCfg, caps.msix].filter((c) => c >= 0);
    const next = (c: number): number => order[order.indexOf(c) + 1] ?? 0;
    const vendorCap = (at: number, len: number, type: number, offset: number, length: number): void => {
      this.put(at, 4, PCI_CAP_ID_VNDR | (next(at) << 8) | (len << 16) | (type << 24));
      this.put(at + 4, 1, this.layout.virtioBar);
      this.put(at + 8, 4, offset);
      this.put(at + 12, 4, length);
    };
    const l = this.layout;
    vendorCap(caps.common, 16, VIRTIO_PCI_CAP_COMMON_CFG, l.common.offset, l.common.length);
    vendorCap(caps.notify, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, l.notify.offset, l.notify.length);
    this.put(caps.notify + 16, 4, l.notifyOffMultiplier);
    vendorCap(caps.isr, 16, VIRTIO_PCI_CAP_ISR_CFG, l.isr.offset, l.isr.length);
    vendorCap(caps.device, 16, VIRTIO_PCI_CAP_DEVICE_CFG, l.device.offset, l.device.length);
    if (caps.pciCfg >= 0) {
      vendorCap(caps.pciCfg, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
      this.put(caps.pciCfg + 4, 1, 0);
      // bar, offset, length and pci_cfg_data are the driver's (`pci.cap.driver.8`).
      this.writable(caps.pciCfg + 4, 1, 0xff);
      this.writable(caps.pciCfg + 8, 4, 0xffff_ffff);
      this.writable(caps.pciCfg + 12, 4, 0xffff_ffff);
      this.writable(caps.pciCfg + 16, 4, 0xffff_ffff);
    }
    if (caps.msix >= 0) {
      this.put(caps.msix, 4, PCI_CAP_ID_MSIX | (next(caps.msix) << 8) | ((l.msixVectors - 1) << 16));
      this.put(caps.msix + 4, 4, l.msixTableOffset | 1);
      this.put(caps.msix + 8, 4, l.msixPbaOffset | 1);
      this.writable(caps.msix + 3, 1, 0xc0); // enable, function mask
    }
  }

  /** The command register. */
  get command(): number {
    return this.get(0x04, 2);
  }

  /** Reads `width` bytes at `offset` (little-endian); outside the 256 bytes reads all-ones. */
  read(offset: number, width: AccessWidth): number {
    if (!(offset >= 0 && offset + width <= 256)) return widthMask(width);
    const status = PCI_STATUS_CAP_LIST | (this.hooks.interruptPending() ? PCI_STATUS_INTERRUPT : 0);
    this.put(0x06, 2, status);
    const data = this.layout.caps.pciCfg + 16;
    if (this.layout.caps.pciCfg >= 0 && offset < data + 4 && offset + width > data) {
      const w = this.window();
      const value = w === null ? null : this.hooks.windowRead(w.bar, w.offset, w.length);
      this.put(data, 4, value ?? 0);
    }
    return this.get(offset, width);
  }

  /** Writes `width` bytes at `offset` through the write mask, then runs side effects. */
  write(offset: number, width: AccessWidth, value: number): void {
    if (!(offset >= 0 && offset + width <= 256)) return;
    const command = this.command;
    const msixCtl = this.layout.caps.msix >= 0 ? this.get(this.layout.caps.msix + 3, 1) : 0;
    const virtioCapsEnd = this.layout.caps.msix >= 0 ? this.layout.caps.msix : this.layout.caps.end;
    let readOnlyCapByte = false;
    for (let i = 0; i < width; i++) {
      const at = offset + i;
      const byte = (value >>> (8 * i)) & 0xff;
      const m = this.wmask[at] as number;
      this.space[at] = ((this.space[at] as number) & ~m) | (byte & m);
      if (at >= this.layout.caps.common && at < virtioCapsEnd && m !== 0xff) readOnlyCapByte = true;
    }
    if (readOnlyCapByte) this.hooks.violation('pci.cap.driver.8', `write to read-only capability bytes at 0x${offset.toString(16)}`);
    if (this.command !== command) this.hooks.commandChanged(this.command);
    if (this.layout.caps.msix >= 0) {
      const ctl = this.get(this.layout.caps.msix + 3, 1);
      if (ctl !== msixCtl) this.hooks.msixControlChanged((ctl & 0x80) !== 0, (ctl & 0x40) !== 0);
    }
    const data = this.layout.caps.pciCfg + 16;
    if (this.layout.caps.pciCfg >= 0 && offset < data + 4 && offset + width > data) {
      const w = this.window();
      if (w !== null) this.hooks.windowWrite(w.bar, w.offset, w.length, this.get(data, 4) & widthMask(w.length));
    }
  }

  /** The PCI_CFG window as programmed, or null when its length or alignment is invalid (`pci.cfgacc.driver.1`). */
  private window(): { bar: number; offset: number; length: AccessWidth } | null {
    const at = this.layout.caps.pciCfg;
    const bar = this.get(at + 4, 1);
    const offset = this.get(at + 8, 4);
    const length = this.get(at + 12, 4);
    if (!(length === 1 || length === 2 || length === 4) || offset % length !== 0) {
      this.hooks.violation('pci.cfgacc.driver.1', `PCI_CFG window of length ${length} at offset ${offset} is not naturally aligned`);
      return null;
    }
    return { bar, offset, length };
  }

  private get(offset: number, width: number): number {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + (this.space[offset + i] as number);
    return v;
  }

  private put(offset: number, width: number, value: number): void {
    for (let i = 0; i < width; i++) this.space[offset + i] = (value >>> (8 * i)) & 0xff;
  }

  private writable(offset: number, width: number, mask: number): void {
    for (let i = 0; i < width; i++) this.wmask[offset + i] = (mask >>> (8 * i)) & 0xff;
  }
}
