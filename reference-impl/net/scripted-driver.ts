/**
 * A minimal scripted driver for end-to-end tests of the net device: it
 * reaches the device only through transport registers (MMIO window, or PCI
 * configuration space and BARs found by walking the capability list),
 * guest memory and interrupts, as a real driver does. It brings the device
 * up, sets up split or packed queues with the ring engine's driver side,
 * and kicks. Test use only.
 *
 * @module
 */

import { type FeatureSet, featureWord, hasFeature, setFeatureWord } from '../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_RING_PACKED } from '../../specs/features/reserved.js';
import * as S from '../../specs/status.js';
import * as M from '../../specs/transport/mmio.js';
import { PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG, virtio_pci_common_cfg } from '../../specs/transport/pci.js';
import type { AccessWidth } from '../device/backend.js';
import type { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import type { MmioRegisterAccess, PciRegisterAccess } from '../transport/register-access.js';
import { PackedDriverQueue } from '../virtqueue/packed-driver.js';
import { allocatePackedRing, allocateSplitRing, type VirtqueueLayout } from '../virtqueue/queue-config.js';
import { SplitDriverQueue } from '../virtqueue/split-driver.js';

/** The register operations the script needs, over either transport. */
export interface DriverRegisters {
  status(): number;
  setStatus(value: number): void;
  deviceFeatures(select: number): number;
  setDriverFeatures(select: number, value: number): void;
  /** Selects queue `index` and returns its max size (0 = none). */
  selectQueue(index: number): number;
  /** Programs the selected queue and enables it. */
  enableQueue(size: number, layout: VirtqueueLayout): void;
  notify(index: number): void;
  readConfig(offset: number, width: AccessWidth): number;
  writeConfig(offset: number, width: AccessWidth, value: number): void;
  generation(): number;
  /** Reads and acknowledges the interrupt cause: bit 0 used buffer, bit 1 config change. */
  takeInterrupt(): number;
}

/** MMIO v2 registers. */
export function mmioRegisters(r: MmioRegisterAccess): DriverRegisters {
  const rd = (o: number) => r.read(o, 4) as number;
  const wr = (o: number, v: number) => void r.write(o, 4, v);
  const half = (lo: number, addr: number) => {
    wr(lo, addr >>> 0);
    wr(lo + 4, Math.floor(addr / 2 ** 32));
  };
  return {
    status: () => rd(M.VIRTIO_MMIO_STATUS),
    setStatus: (v) => wr(M.VIRTIO_MMIO_STATUS, v),
    deviceFeatures: (sel) => (wr(M.VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel), rd(M.VIRTIO_MMIO_DEVICE_FEATURES)),
    setDriverFeatures: (sel, v) => (wr(M.VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel), wr(M.VIRTIO_MMIO_DRIVER_FEATURES, v)),
    selectQueue: (i) => (wr(M.VIRTIO_MMIO_QUEUE_SEL, i), rd(M.VIRTIO_MMIO_QUEUE_NUM_MAX)),
    enableQueue: (size, l) => {
      wr(M.VIRTIO_MMIO_QUEUE_NUM, size);
      half(M.VIRTIO_MMIO_QUEUE_DESC_LOW, l.descAddr);
      half(M.VIRTIO_MMIO_QUEUE_DRIVER_LOW, l.driverAddr);
      half(M.VIRTIO_MMIO_QUEUE_DEVICE_LOW, l.deviceAddr);
      wr(M.VIRTIO_MMIO_QUEUE_READY, 1);
    },
    notify: (i) => wr(M.VIRTIO_MMIO_QUEUE_NOTIFY, i),
    readConfig: (o, w) => r.read(M.VIRTIO_MMIO_CONFIG + o, w) as number,
    writeConfig: (o, w, v) => void r.write(M.VIRTIO_MMIO_CONFIG + o, w, v),
    generation: () => rd(M.VIRTIO_MMIO_CONFIG_GENERATION),
    takeInterrupt: () => {
      const cause = rd(M.VIRTIO_MMIO_INTERRUPT_STATUS);
      if (cause !== 0) wr(M.VIRTIO_MMIO_INTERRUPT_ACK, cause);
      return cause;
    },
  };
}

/** PCI modern registers, found by walking the capability list; INTx + ISR (MSI-X left off). */
export function pciRegisters(r: PciRegisterAccess): DriverRegisters {
  const cfg = (o: number, w: AccessWidth) => r.readConfig(o, w) as number;
  r.writeConfig(4, 2, cfg(4, 2) | 0x2); // Memory Space Enable
  const caps = new Map<number, { bar: number; offset: number; multiplier: number }>();
  for (let p = cfg(0x34, 1) & 0xfc; p !== 0; p = cfg(p + 1, 1) & 0xfc) {
    if (cfg(p, 1) !== PCI_CAP_ID_VNDR) continue;
    const type = cfg(p + 3, 1);
    if (!caps.has(type)) caps.set(type, { bar: cfg(p + 4, 1), offset: cfg(p + 8, 4), multiplier: type === VIRTIO_PCI_CAP_NOTIFY_CFG ? cfg(p + 16, 4) : 0 });
  }
  const region = (type: number) => {
    const c = caps.get(type);
    if (c === undefined) throw new Error(`no virtio capability of type ${type}`);
    return c;
  };
  const common = region(VIRTIO_PCI_CAP_COMMON_CFG);
  const notifyCap = region(VIRTIO_PCI_CAP_NOTIFY_CFG);
  const isr = region(VIRTIO_PCI_CAP_ISR_CFG);
  const device = region(VIRTIO_PCI_CAP_DEVICE_CFG);
  const F = virtio_pci_common_cfg.fields;
  const crd = (f: keyof typeof F, w: AccessWidth) => r.readBar(common.bar, common.offset + F[f].offset, w) as number;
  const cwr = (f: keyof typeof F, w: AccessWidth, v: number, extra = 0) => void r.writeBar(common.bar, common.offset + F[f].offset + extra, w, v);
  const addr64 = (f: keyof typeof F, a: number) => {
    cwr(f, 4, a >>> 0);
    cwr(f, 4, Math.floor(a / 2 ** 32), 4);
  };
  return {
    status: () => crd('device_status', 1),
    setStatus: (v) => cwr('device_status', 1, v),
    deviceFeatures: (sel) => (cwr('device_feature_select', 4, sel), crd('device_feature', 4)),
    setDriverFeatures: (sel, v) => (cwr('driver_feature_select', 4, sel), cwr('driver_feature', 4, v)),
    selectQueue: (i) => (cwr('queue_select', 2, i), crd('queue_size', 2)),
    enableQueue: (size, l) => {
      cwr('queue_size', 2, size);
      addr64('queue_desc', l.descAddr);
      addr64('queue_driver', l.driverAddr);
      addr64('queue_device', l.deviceAddr);
      cwr('queue_enable', 2, 1);
    },
    notify: (i) => {
      cwr('queue_select', 2, i);
      const off = crd('queue_notify_off', 2);
      r.writeBar(notifyCap.bar, notifyCap.offset + off * notifyCap.multiplier, 2, i);
    },
    readConfig: (o, w) => r.readBar(device.bar, device.offset + o, w) as number,
    writeConfig: (o, w, v) => void r.writeBar(device.bar, device.offset + o, w, v),
    generation: () => crd('config_generation', 1),
    takeInterrupt: () => r.readBar(isr.bar, isr.offset, 1) as number,
  };
}

/** A driver-side queue of either format. */
export type ScriptQueue = SplitDriverQueue<number> | PackedDriverQueue<number>;

/** Outcome of {@link bringUp}. */
export type BringUp =
  | { readonly kind: 'live'; readonly features: FeatureSet; readonly queues: ScriptQueue[]; readonly layouts: VirtqueueLayout[] }
  | { readonly kind: 'features-refused'; readonly features: FeatureSet };

/**
 * The virtio init sequence (3.1.1): reset, ACKNOWLEDGE, DRIVER, features
 * (`wanted` ∩ offered), FEATURES_OK and its read-back, `queueCount` queues
 * of at most `size` entries, DRIVER_OK.
 */
export function bringUp(regs: DriverRegisters, mem: GuestMemory, alloc: GuestAllocator, wanted: FeatureSet, queueCount: number, size = 64): BringUp {
  regs.setStatus(0);
  regs.setStatus(S.VIRTIO_CONFIG_S_ACKNOWLEDGE);
  regs.setStatus(S.VIRTIO_CONFIG_S_ACKNOWLEDGE | S.VIRTIO_CONFIG_S_DRIVER);
  let offered = 0n;
  for (let sel = 0; sel < 3; sel++) offered = setFeatureWord(offered, sel, regs.deviceFeatures(sel));
  const features = wanted & offered;
  for (let sel = 0; sel < 3; sel++) regs.setDriverFeatures(sel, featureWord(features, sel));
  const base = S.VIRTIO_CONFIG_S_ACKNOWLEDGE | S.VIRTIO_CONFIG_S_DRIVER;
  regs.setStatus(base | S.VIRTIO_CONFIG_S_FEATURES_OK);
  if ((regs.status() & S.VIRTIO_CONFIG_S_FEATURES_OK) === 0) return { kind: 'features-refused', features };
  const packed = hasFeature(features, VIRTIO_F_RING_PACKED);
  const queues: ScriptQueue[] = [];
  const layouts: VirtqueueLayout[] = [];
  for (let i = 0; i < queueCount; i++) {
    const q = Math.min(size, regs.selectQueue(i));
    const layout = packed ? allocatePackedRing(alloc, q) : allocateSplitRing(alloc, q);
    regs.enableQueue(q, layout);
    layouts.push(layout);
    const options = { ...layout, eventIdx: hasFeature(features, VIRTIO_F_EVENT_IDX) };
    queues.push(packed ? new PackedDriverQueue<number>(mem, options) : new SplitDriverQueue<number>(mem, options));
  }
  regs.setStatus(base | S.VIRTIO_CONFIG_S_FEATURES_OK | S.VIRTIO_CONFIG_S_DRIVER_OK);
  return { kind: 'live', features, queues, layouts };
}
