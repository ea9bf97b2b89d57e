/**
 * Where the PCI model puts things: capability offsets in configuration
 * space and regions in the memory BARs. Modelled on QEMU's virtio-pci
 * (qemu-qtest.md §2.1): virtio structures in a 64-bit prefetchable BAR 4,
 * one 4 KiB page each, the MSI-X table and PBA in a 32-bit BAR 1.
 *
 * A driver finds all of this by walking the capability list; the layout is
 * exported for tests and for the reference front end's own checks.
 *
 * @module
 */

import { VIRTIO_PCI_COMMON_CFG_SIZE_1_3 } from '../../specs/transport/pci.js';

/** Region page inside BAR 4. */
const PAGE = 0x1000;

/** Offsets of the capabilities in configuration space. */
export interface PciCapabilityOffsets {
  /** VIRTIO_PCI_CAP_COMMON_CFG (16 bytes). */
  readonly common: number;
  /** VIRTIO_PCI_CAP_NOTIFY_CFG (20 bytes). */
  readonly notify: number;
  /** VIRTIO_PCI_CAP_ISR_CFG (16 bytes). */
  readonly isr: number;
  /** VIRTIO_PCI_CAP_DEVICE_CFG (16 bytes). */
  readonly device: number;
  /** VIRTIO_PCI_CAP_PCI_CFG (20 bytes), or −1 when left out. */
  readonly pciCfg: number;
  /** MSI-X capability (12 bytes), or −1 without MSI-X. */
  readonly msix: number;
  /** First byte after the last capability. */
  readonly end: number;
}

/** The complete layout of one PCI function. */
export interface PciModernLayout {
  /** BAR holding the virtio structures. */
  readonly virtioBar: 4;
  /** Size of that BAR (a power of 2). */
  readonly virtioBarSize: number;
  /** Common configuration: offset and length in the virtio BAR. */
  readonly common: { readonly offset: number; readonly length: number };
  /** ISR status byte. */
  readonly isr: { readonly offset: number; readonly length: number };
  /** Device-specific configuration. */
  readonly device: { readonly offset: number; readonly length: number };
  /** Notification area. */
  readonly notify: { readonly offset: number; readonly length: number };
  /** notify_off_multiplier; queue i is notified at notify.offset + i × multiplier. */
  readonly notifyOffMultiplier: number;
  /** BAR holding the MSI-X table and PBA, or −1 without MSI-X. */
  readonly msixBar: 1 | -1;
  /** Size of that BAR. */
  readonly msixBarSize: number;
  /** MSI-X table offset in its BAR. */
  readonly msixTableOffset: number;
  /** PBA offset in its BAR. */
  readonly msixPbaOffset: number;
  /** MSI-X Table Size (0 = no MSI-X capability). */
  readonly msixVectors: number;
  /** Capability offsets in configuration space. */
  readonly caps: PciCapabilityOffsets;
}

function nextPowerOf2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * True for the multipliers the model accepts: 0, or a power of 4 from 4 up.
 * That satisfies both readings of "even power of 2" (`pci.notify.device.3`)
 * and the multiple-of-4 rule with NOTIFICATION_DATA (`pci.notify.device.6`).
 */
export function isValidNotifyOffMultiplier(m: number): boolean {
  if (m === 0) return true;
  for (let p = 4; p <= 0x4000_0000; p *= 4) if (m === p) return true;
  return false;
}

/**
 * The layout for `numQueues` queues, `configSize` bytes of device config and
 * `msixVectors` MSI-X vectors (0 = none).
 * @throws RangeError for an invalid multiplier, a config space over 4 KiB or more than 0x800 vectors (model misconfiguration).
 */
export function pciModernLayout(
  numQueues: number,
  configSize: number,
  msixVectors: number,
  notifyOffMultiplier: number,
  pciCfgCapability: boolean,
): PciModernLayout {
  if (!isValidNotifyOffMultiplier(notifyOffMultiplier)) {
    throw new RangeError(`notify_off_multiplier ${notifyOffMultiplier} is not 0 or a power of 4`);
  }
  if (!(configSize >= 0 && configSize <= PAGE)) throw new RangeError(`device config of ${configSize} bytes does not fit a 4 KiB page`);
  if (!(Number.isInteger(msixVectors) && msixVectors >= 0 && msixVectors <= 0x800)) {
    throw new RangeError(`MSI-X table size ${msixVectors} is outside 0..0x800`);
  }
  // 4 bytes per queue slot covers 32-bit NOTIFICATION_DATA writes (`pci.notify.device.5`, `.9`).
  const notifyLength = Math.max(0, numQueues - 1) * notifyOffMultiplier + 4;
  const notifyPage = nextPowerOf2(Math.max(PAGE, notifyLength));
  const caps = {
    common: 0x40,
    notify: 0x50,
    isr: 0x64,
    device: 0x74,
    pciCfg: pciCfgCapability ? 0x84 : -1,
    msix: msixVectors > 0 ? (pciCfgCapability ? 0x98 : 0x84) : -1,
  };
  const end = caps.msix > 0 ? caps.msix + 12 : pciCfgCapability ? 0x98 : 0x84;
  return {
    virtioBar: 4,
    virtioBarSize: nextPowerOf2(3 * PAGE + notifyPage),
    common: { offset: 0, length: VIRTIO_PCI_COMMON_CFG_SIZE_1_3 },
    isr: { offset: PAGE, length: 1 },
    device: { offset: 2 * PAGE, length: configSize },
    notify: { offset: 3 * PAGE, length: notifyLength },
    notifyOffMultiplier,
    msixBar: msixVectors > 0 ? 1 : -1,
    msixBarSize: msixVectors > 0 ? nextPowerOf2(Math.max(PAGE, 2 * msixVectors * 16)) : 0,
    msixTableOffset: 0,
    msixPbaOffset: msixVectors > 0 ? nextPowerOf2(Math.max(PAGE, 2 * msixVectors * 16)) / 2 : 0,
    msixVectors,
    caps: { ...caps, end },
  };
}
