/**
 * A raw walk of a virtio-pci function's capability list: every capability as the device states
 * it, nothing refused or skipped, so a check can judge each rule on its own (the front end's walk
 * stops at the first unusable structure, as a driver must). BAR sizes come from the standard
 * sizing sequence.
 *
 * @module
 */

import { PCI_CAP_ID_VNDR, virtio_pci_cap, virtio_pci_notify_cap } from '../../../specs/transport/pci.js';
import { PCI_CAP_ID_MSIX, pciCapabilityOffsets, sizePciBars } from '../../../reference-impl/frontend/virtio/pci-capabilities.js';
import type { PciRegisterAccess } from '../../../reference-impl/transport/register-access.js';

/** A vendor-specific (virtio) capability as stated in configuration space. */
export interface VirtioCapability {
  /** Offset of the capability in configuration space. */
  readonly at: number;
  readonly capLen: number;
  readonly cfgType: number;
  readonly bar: number;
  readonly offset: number;
  readonly length: number;
  /** notify_off_multiplier, for a notify capability with room for it; else null. */
  readonly multiplier: number | null;
}

/** The MSI-X capability as stated. */
export interface MsixCapability {
  readonly at: number;
  /** Vectors: Table Size field + 1. */
  readonly vectors: number;
  readonly tableBar: number;
  readonly tableOffset: number;
  readonly pbaBar: number;
  readonly pbaOffset: number;
}

/** Everything the walk found. */
export interface PciWalk {
  readonly virtio: readonly VirtioCapability[];
  readonly msix: MsixCapability | null;
  /** Memory BAR sizes by number (0: unimplemented or I/O). */
  readonly barSizes: readonly number[];
}

const F = virtio_pci_cap.fields;

/** Walks the capability list of `access` (config space only; no BAR is touched). */
export async function walkPciCapabilities(access: PciRegisterAccess): Promise<PciWalk> {
  const barSizes = await sizePciBars(access);
  const virtio: VirtioCapability[] = [];
  let msix: MsixCapability | null = null;
  for (const at of await pciCapabilityOffsets(access)) {
    const id = await access.readConfig(at, 1);
    if (id === PCI_CAP_ID_MSIX && msix === null) {
      const control = await access.readConfig(at + 2, 2);
      const table = await access.readConfig(at + 4, 4);
      const pba = await access.readConfig(at + 8, 4);
      msix = { at, vectors: (control & 0x7ff) + 1, tableBar: table & 7, tableOffset: (table & ~7) >>> 0, pbaBar: pba & 7, pbaOffset: (pba & ~7) >>> 0 };
      continue;
    }
    if (id !== PCI_CAP_ID_VNDR) continue;
    const capLen = await access.readConfig(at + F.cap_len.offset, 1);
    const cfgType = await access.readConfig(at + F.cfg_type.offset, 1);
    const multiplierAt = virtio_pci_notify_cap.fields.notify_off_multiplier.offset;
    virtio.push({
      at,
      capLen,
      cfgType,
      bar: await access.readConfig(at + F.bar.offset, 1),
      offset: (await access.readConfig(at + F.offset.offset, 4)) >>> 0,
      length: (await access.readConfig(at + F.length.offset, 4)) >>> 0,
      multiplier: capLen >= multiplierAt + 4 ? (await access.readConfig(at + multiplierAt, 4)) >>> 0 : null,
    });
  }
  return { virtio, msix, barSizes };
}

/** The first capability of `cfgType` whose BAR is a memory BAR the function implements (how a driver picks). */
export function firstUsable(walk: PciWalk, cfgType: number): VirtioCapability | undefined {
  return walk.virtio.find((c) => c.cfgType === cfgType && c.bar <= 5 && (walk.barSizes[c.bar] ?? 0) > 0);
}

/** True when `[offset, offset + length)` lies inside BAR `bar`. */
export function insideBar(walk: PciWalk, bar: number, offset: number, length: number): boolean {
  const size = walk.barSizes[bar] ?? 0;
  return size > 0 && offset + length <= size;
}
