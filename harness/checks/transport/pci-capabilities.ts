/**
 * Device-side checks on what a virtio-pci function states in its configuration space: the virtio
 * capabilities a driver needs and their shape (virtio 1.4 4.1.4), and the notification structure
 * against every queue's queue_notify_off, with and without VIRTIO_F_NOTIFICATION_DATA (4.1.4.4).
 *
 * @module
 */

import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_VQ } from '../../../specs/features/net.js';
import { VIRTIO_F_NOTIFICATION_DATA } from '../../../specs/features/reserved.js';
import {
  VIRTIO_PCI_CAP_COMMON_CFG,
  VIRTIO_PCI_CAP_DEVICE_CFG,
  VIRTIO_PCI_CAP_ISR_CFG,
  VIRTIO_PCI_CAP_NOTIFY_CFG,
  VIRTIO_PCI_CAP_PCI_CFG,
  VIRTIO_PCI_COMMON_CFG_SIZE_1_0,
  VIRTIO_PCI_NOTIFY_DATA_WIDTH,
  VIRTIO_PCI_NOTIFY_WIDTH,
} from '../../../specs/transport/pci.js';
import { PCI_COMMAND, PCI_COMMAND_MEMORY } from '../../../reference-impl/frontend/virtio/pci-capabilities.js';
import { PCI_MSIX_ENTRY_SIZE } from '../../../reference-impl/frontend/virtio/pci-msix-setup.js';
import type { PciRegisterAccess } from '../../../reference-impl/transport/register-access.js';
import { HandSession } from '../../scenarios/transport/hand-session.js';
import { firstUsable, insideBar, type PciWalk, walkPciCapabilities } from '../../scenarios/transport/pci-walk.js';
import { judgeOnce, undecided, violation } from '../../scenarios/transport/property.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** cap_len each capability type needs at least (its struct, `pci.cap.device.1`). */
const MIN_CAP_LEN: Readonly<Record<number, number>> = {
  [VIRTIO_PCI_CAP_COMMON_CFG]: 16,
  [VIRTIO_PCI_CAP_NOTIFY_CFG]: 20,
  [VIRTIO_PCI_CAP_ISR_CFG]: 16,
  [VIRTIO_PCI_CAP_DEVICE_CFG]: 16,
  [VIRTIO_PCI_CAP_PCI_CFG]: 20,
};

const NAMES: Readonly<Record<number, string>> = {
  [VIRTIO_PCI_CAP_COMMON_CFG]: 'VIRTIO_PCI_CAP_COMMON_CFG',
  [VIRTIO_PCI_CAP_NOTIFY_CFG]: 'VIRTIO_PCI_CAP_NOTIFY_CFG',
  [VIRTIO_PCI_CAP_ISR_CFG]: 'VIRTIO_PCI_CAP_ISR_CFG',
  [VIRTIO_PCI_CAP_DEVICE_CFG]: 'VIRTIO_PCI_CAP_DEVICE_CFG',
  [VIRTIO_PCI_CAP_PCI_CFG]: 'VIRTIO_PCI_CAP_PCI_CFG',
};

/** The clause that makes each structure mandatory. */
const REQUIRED_BY: Readonly<Record<number, string>> = {
  [VIRTIO_PCI_CAP_COMMON_CFG]: 'pci.common.device.2',
  [VIRTIO_PCI_CAP_NOTIFY_CFG]: 'pci.notify.device.1',
  [VIRTIO_PCI_CAP_ISR_CFG]: 'pci.isr.device.1',
  [VIRTIO_PCI_CAP_DEVICE_CFG]: 'pci.devcfg.device.1',
  [VIRTIO_PCI_CAP_PCI_CFG]: 'pci.cfgacc.device.1',
};

function judgeStructures(walk: PciWalk): void {
  for (const type of [VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_CAP_DEVICE_CFG]) {
    const cap = firstUsable(walk, type);
    const name = NAMES[type] as string;
    if (cap === undefined) {
      violation(REQUIRED_BY[type] as string, `no ${name} capability pointing into an implemented memory BAR`, `a ${name} capability a driver can use`);
    }
    if (!insideBar(walk, cap.bar, cap.offset, Math.max(cap.length, 1))) {
      violation(REQUIRED_BY[type] as string, `${name} at 0x${cap.at.toString(16)} describes ${cap.length} bytes at BAR ${cap.bar} offset 0x${cap.offset.toString(16)}, past the BAR's ${walk.barSizes[cap.bar] ?? 0} bytes`, `the structure lies inside its BAR`);
    }
  }
  // The PCI configuration access window has no BAR of its own (its bar/offset/length are the driver's).
  if (!walk.virtio.some((c) => c.cfgType === VIRTIO_PCI_CAP_PCI_CFG)) {
    violation('pci.cfgacc.device.1', 'no VIRTIO_PCI_CAP_PCI_CFG capability', 'at least one VIRTIO_PCI_CAP_PCI_CFG capability');
  }
  for (const cap of walk.virtio) {
    const min = MIN_CAP_LEN[cap.cfgType];
    if (min !== undefined && cap.capLen < min) {
      violation('pci.cap.device.1', `${NAMES[cap.cfgType]} at 0x${cap.at.toString(16)} has cap_len ${cap.capLen}`, `cap_len covers the whole capability: at least ${min} bytes`);
    }
  }
  const common = firstUsable(walk, VIRTIO_PCI_CAP_COMMON_CFG);
  if (common !== undefined && common.offset % 4 !== 0) {
    violation('pci.common.device.1', `common configuration at BAR offset 0x${common.offset.toString(16)}`, 'a 4-byte aligned offset');
  }
  if (common !== undefined && common.length < VIRTIO_PCI_COMMON_CFG_SIZE_1_0) {
    violation('pci.common.device.2', `common configuration of ${common.length} bytes`, `at least the ${VIRTIO_PCI_COMMON_CFG_SIZE_1_0} bytes of virtio_pci_common_cfg`);
  }
  const device = firstUsable(walk, VIRTIO_PCI_CAP_DEVICE_CFG);
  if (device !== undefined && device.offset % 4 !== 0) {
    violation('pci.devcfg.device.2', `device configuration at BAR offset 0x${device.offset.toString(16)}`, 'a 4-byte aligned offset');
  }
}

/** A message data pattern written to the last MSI-X table entry to prove it exists. */
const MSIX_PROBE_DATA = 0x5a5a_0000;

/** `pci.msix.device.2`: the Table Size the capability states is the table the BAR holds. */
async function judgeMsixTable(access: PciRegisterAccess, walk: PciWalk): Promise<void> {
  const m = walk.msix;
  if (m === null) return;
  if (!insideBar(walk, m.tableBar, m.tableOffset, m.vectors * PCI_MSIX_ENTRY_SIZE)) {
    violation('pci.msix.device.2', `MSI-X Table Size says ${m.vectors} vectors, but ${m.vectors} × 16 bytes at 0x${m.tableOffset.toString(16)} do not fit BAR ${m.tableBar} (${walk.barSizes[m.tableBar] ?? 0} bytes)`, 'the table holds Table Size + 1 entries');
  }
  if (!insideBar(walk, m.pbaBar, m.pbaOffset, Math.ceil(m.vectors / 64) * 8)) {
    violation('pci.msix.device.2', `the pending bit array for ${m.vectors} vectors does not fit BAR ${m.pbaBar}`, 'the PBA covers Table Size + 1 vectors');
  }
  const command = await access.readConfig(PCI_COMMAND, 2);
  await access.writeConfig(PCI_COMMAND, 2, command | PCI_COMMAND_MEMORY);
  const data = m.tableOffset + (m.vectors - 1) * PCI_MSIX_ENTRY_SIZE + 8;
  const before = await access.readBar(m.tableBar, data, 4);
  await access.writeBar(m.tableBar, data, 4, MSIX_PROBE_DATA);
  const read = (await access.readBar(m.tableBar, data, 4)) >>> 0;
  await access.writeBar(m.tableBar, data, 4, before);
  if (read !== MSIX_PROBE_DATA) {
    violation('pci.msix.device.2', `the message data of entry ${m.vectors - 1}, the last one Table Size announces, read 0x${read.toString(16)} after 0x${MSIX_PROBE_DATA.toString(16)} was written`, 'every one of the Table Size + 1 entries exists and holds what the driver programs');
  }
}

/**
 * `pci.notify.device.1`, `pci.isr.device.1`, `pci.common.device.2`, `pci.devcfg.device.1`,
 * `pci.cfgacc.device.1`: the capabilities a driver needs exist and point into implemented BARs;
 * `pci.cap.device.1`, `pci.common.device.1`, `pci.devcfg.device.2`: their lengths and alignment;
 * `pci.msix.device.2`: an MSI-X capability's Table Size matches the table behind it.
 */
export const pciCapabilities: Check<DeviceCheckContext> = {
  id: 'transport.device.pci-capabilities',
  title: 'The virtio-pci capabilities a driver needs are present, inside their BARs, long and aligned enough; MSI-X Table Size matches its table',
  clauses: [
    'pci.notify.device.1',
    'pci.isr.device.1',
    'pci.common.device.2',
    'pci.common.device.1',
    'pci.devcfg.device.1',
    'pci.devcfg.device.2',
    'pci.cap.device.1',
    'pci.cfgacc.device.1',
    'pci.msix.device.2',
  ],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'A driver takes the first capability of each type whose BAR is an implemented memory BAR (pci.cap.driver.2, .4); ' +
    'that one is judged. A net device has device-specific configuration, so its VIRTIO_PCI_CAP_DEVICE_CFG is required. ' +
    'MSI-X is optional; when its capability is present, the last entry its Table Size announces must hold the message ' +
    'data written to it (the harness writes it with memory space on and restores it).',
  async run(context) {
    const device = await context.device({});
    if (device.registers.transport !== 'pci') return { kind: 'not-applicable', reason: 'not a PCI device' };
    const walk = await walkPciCapabilities(device.registers.access);
    context.trace.record(`capabilities: ${walk.virtio.map((c) => `type ${c.cfgType}@0x${c.at.toString(16)}`).join(', ')}`);
    const access = device.registers.access;
    return judgeOnce(async () => {
      judgeStructures(walk);
      await judgeMsixTable(access, walk);
    });
  },
};

/** Bytes a notification write takes, with and without NOTIFICATION_DATA. */
function notifyLayoutCheck(data: boolean): Check<DeviceCheckContext> {
  const width = data ? VIRTIO_PCI_NOTIFY_DATA_WIDTH : VIRTIO_PCI_NOTIFY_WIDTH;
  const [lengthClause, alignClause, multiplierClause, perQueueClause] = data
    ? (['pci.notify.device.8', 'pci.notify.device.7', 'pci.notify.device.6', 'pci.notify.device.9'] as const)
    : (['pci.notify.device.4', 'pci.notify.device.2', 'pci.notify.device.3', 'pci.notify.device.5'] as const);
  const multiplierOk = (m: number): boolean => m === 0 || ((m & (m - 1)) === 0 && m % (data ? 4 : 2) === 0);
  return {
    id: data ? 'transport.device.pci-notify-layout-data' : 'transport.device.pci-notify-layout',
    title: data
      ? 'With NOTIFICATION_DATA the notify structure is 4-aligned, its multiplier a multiple of 4 and it covers a 32-bit write for every queue'
      : 'The notify structure is 2-aligned, its multiplier even and it covers a 16-bit write for every queue',
    clauses: [lengthClause, alignClause, multiplierClause, perQueueClause],
    role: 'device',
    level: 'MUST',
    area: 'transport',
    applies: { transports: ['pci'], ...(data ? { requires: ['VIRTIO_F_NOTIFICATION_DATA'] } : { excludes: ['VIRTIO_F_NOTIFICATION_DATA'] }) },
    decision:
      '"An even power of 2" is read as a power of 2 that is even (2, 4, 8, …): the rule exists so that every queue\'s ' +
      '16-bit notification address is 2-aligned, which a multiplier of 1 would break. queue_notify_off is read for every ' +
      'queue after FEATURES_OK, when the driver reads it, with CTRL_VQ negotiated when offered so the control queue exists.',
    async run(context) {
      const session = await HandSession.open(context, data ? { addFeatures: ['VIRTIO_F_NOTIFICATION_DATA'] } : {});
      if (typeof session === 'string') return { kind: 'inconclusive', reason: session };
      const w = session.window;
      if (w.transport !== 'pci') return { kind: 'not-applicable', reason: 'not a PCI device' };
      // The control queue exists only with CTRL_VQ: take it when offered, so every queue the device has is judged.
      const required = data ? featureMask(VIRTIO_F_NOTIFICATION_DATA) : 0n;
      const features = await session.bringUp(required | featureMask(VIRTIO_NET_F_CTRL_VQ), required);
      return judgeOnce(async () => {
        if (typeof features === 'string') undecided(features);
        const n = w.caps.notify;
        const m = n.multiplier;
        if (n.offset % width !== 0) violation(alignClause, `notify structure at BAR offset 0x${n.offset.toString(16)}`, `a ${width}-byte aligned offset`);
        if (!multiplierOk(m)) {
          violation(multiplierClause, `notify_off_multiplier ${m}`, data ? '0 or a power of 2 that is a multiple of 4' : '0 or an even power of 2');
        }
        if (n.length < width) violation(lengthClause, `notify structure of ${n.length} bytes`, `at least ${width} bytes`);
        const queues = await w.numQueues();
        for (let q = 0; q < queues; q++) {
          await w.selectQueue(q);
          if ((await w.readQueueMax()) === 0) continue;
          const off = await w.common.read('queue_notify_off');
          context.trace.record(`queue ${q}: queue_notify_off ${off}`);
          if (off * m + width > n.length) {
            violation(perQueueClause, `queue ${q} has queue_notify_off ${off}: its ${width}-byte notification at ${off} × ${m} ends past the notify structure's ${n.length} bytes`, `cap.length ≥ queue_notify_off × notify_off_multiplier + ${width} for every queue`);
          }
        }
      });
    },
  };
}

/** `pci.notify.device.2..5`: the notify structure without NOTIFICATION_DATA. */
export const pciNotifyLayout = notifyLayoutCheck(false);
/** `pci.notify.device.6..9`: the notify structure with NOTIFICATION_DATA negotiated. */
export const pciNotifyLayoutData = notifyLayoutCheck(true);
