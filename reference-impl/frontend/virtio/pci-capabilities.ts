/**
 * Driver-side discovery of a virtio-pci function: BAR sizing and the walk
 * of the capability list for the virtio structures and MSI-X (virtio 1.4
 * 4.1.4, facts.md §11.1), after Linux `virtio_pci_find_capability` and
 * `vp_modern_map_capability` (virtio_pci_modern_dev.c).
 *
 * Ignored, as the spec asks: capabilities with an unknown cfg_type
 * (`pci.cap.driver.1`) or a BAR outside 0..5 (`pci.cap.driver.4`), and
 * later capabilities of a type already found (`pci.cap.driver.2`). Refused,
 * with a typed error naming the clause the device broke: a required
 * structure missing, or one whose length, alignment or BAR range is
 * unusable.
 *
 * @module
 */

import {
  PCI_CAP_ID_VNDR,
  VIRTIO_PCI_CAP_BAR_MAX,
  VIRTIO_PCI_CAP_COMMON_CFG,
  VIRTIO_PCI_CAP_DEVICE_CFG,
  VIRTIO_PCI_CAP_ISR_CFG,
  VIRTIO_PCI_CAP_NOTIFY_CFG,
  VIRTIO_PCI_CAP_PCI_CFG,
  VIRTIO_PCI_COMMON_CFG_SIZE_1_0,
  virtio_pci_cap,
  virtio_pci_notify_cap,
} from '../../../specs/transport/pci.js';
import type { PciRegisterAccess } from '../../transport/register-access.js';
import { ok, virtioError, type VirtioResult } from './virtio-config-ops.js';

/** PCI configuration header offsets the driver uses. */
export const PCI_VENDOR_ID = 0x00;
/** Device ID register. */
export const PCI_DEVICE_ID = 0x02;
/** Command register. */
export const PCI_COMMAND = 0x04;
/** Status register. */
export const PCI_STATUS = 0x06;
/** First BAR register. */
export const PCI_BASE_ADDRESS_0 = 0x10;
/** Subsystem vendor ID. */
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
/** Subsystem device ID. */
export const PCI_SUBSYSTEM_ID = 0x2e;
/** Capabilities pointer. */
export const PCI_CAPABILITY_LIST = 0x34;
/** Command bit 1: memory space enable. */
export const PCI_COMMAND_MEMORY = 0x2;
/** Command bit 2: bus master enable. */
export const PCI_COMMAND_MASTER = 0x4;
/** Status bit 4: the capability list exists. */
export const PCI_STATUS_CAP_LIST = 0x10;
/** Capability ID of MSI-X. */
export const PCI_CAP_ID_MSIX = 0x11;
/** Linux `PCI_FIND_CAP_TTL`: at most 48 capabilities are walked, which also stops loops. */
export const PCI_FIND_CAP_TTL = 48;

/** A virtio structure found through a capability. */
export interface PciRegion {
  /** Capability offset in configuration space. */
  readonly cap: number;
  readonly bar: number;
  /** Offset of the structure in the BAR. */
  readonly offset: number;
  /** Length as the capability states it. */
  readonly length: number;
}

/** The notification structure and its multiplier. */
export interface PciNotifyRegion extends PciRegion {
  readonly multiplier: number;
}

/** The MSI-X capability. */
export interface PciMsixCapability {
  readonly cap: number;
  /** Number of vectors (Table Size + 1). */
  readonly tableSize: number;
  readonly tableBar: number;
  readonly tableOffset: number;
}

/** Everything the transport needs to reach a modern virtio-pci function. */
export interface VirtioPciCapabilities {
  readonly common: PciRegion;
  readonly notify: PciNotifyRegion;
  readonly isr: PciRegion;
  /** Device-specific configuration, or null (a device type without config). */
  readonly device: PciRegion | null;
  /** The PCI configuration access capability, or −1. */
  readonly pciCfg: number;
  /** MSI-X, or null. */
  readonly msix: PciMsixCapability | null;
  /** Size of every memory BAR, 0 when unimplemented, by BAR number. */
  readonly barSizes: readonly number[];
}

/**
 * Sizes the memory BARs the way the PCI core does at enumeration: write
 * all-ones, read the mask back, restore. I/O BARs read size 0 (virtio
 * structures live in memory BARs only).
 */
export async function sizePciBars(access: PciRegisterAccess): Promise<readonly number[]> {
  const sizes = [0, 0, 0, 0, 0, 0];
  for (let bar = 0; bar < 6; bar++) {
    const reg = PCI_BASE_ADDRESS_0 + 4 * bar;
    const orig = await access.readConfig(reg, 4);
    if ((orig & 1) !== 0) continue;
    const is64 = ((orig >>> 1) & 3) === 2 && bar < 5;
    await access.writeConfig(reg, 4, 0xffff_ffff);
    const mask = (await access.readConfig(reg, 4)) & ~0xf;
    await access.writeConfig(reg, 4, orig);
    let hiMask = 0xffff_ffff;
    if (is64) {
      const origHi = await access.readConfig(reg + 4, 4);
      await access.writeConfig(reg + 4, 4, 0xffff_ffff);
      hiMask = await access.readConfig(reg + 4, 4);
      await access.writeConfig(reg + 4, 4, origHi);
    }
    // Sizes of 4 GiB and more do not occur in the models; treat them as the largest 32-bit size.
    if (mask !== 0) sizes[bar] = hiMask === 0xffff_ffff ? ((~mask >>> 0) + 1) >>> 0 || 0x1_0000_0000 : 0x8000_0000;
    if (is64) bar++;
  }
  return sizes;
}

/** Offsets of the capabilities in list order (`pos &= ~3`, TTL 48, pointers below 0x40 end the list). */
export async function pciCapabilityOffsets(access: PciRegisterAccess): Promise<readonly number[]> {
  if (((await access.readConfig(PCI_STATUS, 2)) & PCI_STATUS_CAP_LIST) === 0) return [];
  const found: number[] = [];
  let pos = (await access.readConfig(PCI_CAPABILITY_LIST, 1)) & ~3;
  for (let ttl = PCI_FIND_CAP_TTL; ttl > 0 && pos >= 0x40 && pos <= 0xfc; ttl--) {
    found.push(pos);
    pos = (await access.readConfig(pos + 1, 1)) & ~3;
  }
  return found;
}

interface MapRule {
  readonly minlen: number;
  readonly align: number;
  readonly clauses: readonly string[];
}

/** Linux `vp_modern_map_capability` checks: length ≥ minlen, aligned offset, inside the BAR. */
function checkRegion(name: string, region: PciRegion, rule: MapRule, barSize: number): VirtioResult<PciRegion> {
  if (region.length < rule.minlen) {
    return virtioError('capability-invalid', `${name}: bad capability len ${region.length} (>=${rule.minlen} expected)`, rule.clauses);
  }
  if (region.offset % rule.align !== 0) {
    return virtioError('capability-invalid', `${name}: offset ${region.offset} not aligned to ${rule.align}`, rule.clauses);
  }
  if (region.offset + rule.minlen > barSize || region.offset + region.length > barSize) {
    return virtioError('capability-invalid', `${name}: map ${region.length}@${region.offset} out of range on bar ${region.bar} of ${barSize} bytes`, rule.clauses);
  }
  return ok(region);
}

const CAP_BAR = virtio_pci_cap.fields.bar.offset;
const CAP_LEN = virtio_pci_cap.fields.cap_len.offset;
const CAP_TYPE = virtio_pci_cap.fields.cfg_type.offset;
const CAP_OFFSET = virtio_pci_cap.fields.offset.offset;
const CAP_LENGTH = virtio_pci_cap.fields.length.offset;
const NOTIFY_MULT = virtio_pci_notify_cap.fields.notify_off_multiplier.offset;

/**
 * Finds and checks the virtio structures and MSI-X. Fails with
 * `capability-missing` without common configuration (Linux then tries the
 * legacy driver, which this front end does not have), with
 * `capability-invalid` when ISR or notify is missing or a structure is unusable.
 */
export async function findVirtioPciCapabilities(access: PciRegisterAccess): Promise<VirtioResult<VirtioPciCapabilities>> {
  const barSizes = await sizePciBars(access);
  const firstOfType = new Map<number, PciRegion & { readonly capLen: number }>();
  let msix: PciMsixCapability | null = null;
  let pciCfg = -1;
  for (const cap of await pciCapabilityOffsets(access)) {
    const id = await access.readConfig(cap, 1);
    if (id === PCI_CAP_ID_MSIX && msix === null) {
      const control = await access.readConfig(cap + 2, 2);
      const table = await access.readConfig(cap + 4, 4);
      msix = { cap, tableSize: (control & 0x7ff) + 1, tableBar: table & 7, tableOffset: table & ~7 };
      continue;
    }
    if (id !== PCI_CAP_ID_VNDR) continue;
    const type = await access.readConfig(cap + CAP_TYPE, 1);
    const bar = await access.readConfig(cap + CAP_BAR, 1);
    if (type === VIRTIO_PCI_CAP_PCI_CFG && pciCfg < 0) pciCfg = cap;
    if (bar > VIRTIO_PCI_CAP_BAR_MAX || firstOfType.has(type)) continue;
    // A structure in a BAR that is not implemented is not usable; Linux skips it too.
    if ((barSizes[bar] ?? 0) === 0) continue;
    const capLen = await access.readConfig(cap + CAP_LEN, 1);
    const offset = await access.readConfig(cap + CAP_OFFSET, 4);
    const length = await access.readConfig(cap + CAP_LENGTH, 4);
    firstOfType.set(type, { cap, bar, offset, length, capLen });
  }
  const common = firstOfType.get(VIRTIO_PCI_CAP_COMMON_CFG);
  const isr = firstOfType.get(VIRTIO_PCI_CAP_ISR_CFG);
  const notify = firstOfType.get(VIRTIO_PCI_CAP_NOTIFY_CFG);
  const device = firstOfType.get(VIRTIO_PCI_CAP_DEVICE_CFG);
  if (common === undefined) return virtioError('capability-missing', 'no VIRTIO_PCI_CAP_COMMON_CFG capability', ['pci.common.device.2']);
  if (isr === undefined || notify === undefined) {
    const what = isr === undefined ? 'VIRTIO_PCI_CAP_ISR_CFG' : 'VIRTIO_PCI_CAP_NOTIFY_CFG';
    return virtioError('capability-invalid', `no ${what} capability`, [isr === undefined ? 'pci.isr.device.1' : 'pci.notify.device.1']);
  }
  for (const [name, c, minCapLen] of [
    ['common', common, 16],
    ['isr', isr, 16],
    ['notify', notify, 20],
    ['device', device, 16],
  ] as const) {
    if (c !== undefined && c.capLen < minCapLen) {
      return virtioError('capability-invalid', `${name} capability: cap_len ${c.capLen} < ${minCapLen}`, ['pci.cap.device.1']);
    }
  }
  const size = (r: PciRegion): number => barSizes[r.bar] ?? 0;
  const c = checkRegion('common', common, { minlen: VIRTIO_PCI_COMMON_CFG_SIZE_1_0, align: 4, clauses: ['pci.common.device.1'] }, size(common));
  if (c.kind !== 'ok') return c;
  const i = checkRegion('isr', isr, { minlen: 1, align: 1, clauses: [] }, size(isr));
  if (i.kind !== 'ok') return i;
  const n = checkRegion('notify', notify, { minlen: 2, align: 2, clauses: ['pci.notify.device.2', 'pci.notify.device.4'] }, size(notify));
  if (n.kind !== 'ok') return n;
  const multiplier = await access.readConfig(notify.cap + NOTIFY_MULT, 4);
  if (multiplier !== 0 && (multiplier & (multiplier - 1)) !== 0) {
    return virtioError('capability-invalid', `notify_off_multiplier ${multiplier} is neither 0 nor a power of 2`, ['pci.notify.device.3']);
  }
  let deviceRegion: PciRegion | null = null;
  if (device !== undefined) {
    const d = checkRegion('device', device, { minlen: 0, align: 4, clauses: [] }, size(device));
    if (d.kind !== 'ok') return d;
    deviceRegion = strip(device);
  }
  return ok({
    common: strip(common),
    isr: strip(isr),
    notify: { ...strip(notify), multiplier },
    device: deviceRegion,
    pciCfg,
    msix: msix !== null && (barSizes[msix.tableBar] ?? 0) > 0 ? msix : null,
    barSizes,
  });
}

function strip(r: PciRegion): PciRegion {
  return { cap: r.cap, bar: r.bar, offset: r.offset, length: r.length };
}
