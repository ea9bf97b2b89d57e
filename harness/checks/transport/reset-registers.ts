/**
 * Device-side checks on what a device reset leaves in the transport registers (virtio 1.4
 * 4.1.4.3.2, 4.2.2.1): every queue disabled and out of queue reset, every MSI-X vector unmapped
 * (PCI), InterruptStatus cleared (MMIO) — after a life with queues enabled, vectors mapped,
 * traffic and a pending interrupt.
 *
 * @module
 */

import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_RING_RESET } from '../../../specs/features/reserved.js';
import { VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { enableMsix } from '../../../reference-impl/frontend/virtio/pci-msix-setup.js';
import { broadcastFrame } from '../../scenarios/transport/frames.js';
import { HandSession } from '../../scenarios/transport/hand-session.js';
import { judgeOnce, undecided, violation } from '../../scenarios/transport/property.js';
import { describeVector } from '../../scenarios/transport/register-window.js';
import type { Check, CheckOutcome, TransportKind } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** Queues judged after the reset at most (a device with many queue pairs has more). */
const JUDGED_QUEUES = 64;

interface Clauses {
  readonly enable: string;
  readonly queueReset: string;
}

const CLAUSES: Readonly<Record<TransportKind, Clauses>> = {
  pci: { enable: 'pci.common.device.8', queueReset: 'pci.common.device.9' },
  mmio: { enable: 'mmio.reg.device.5', queueReset: 'mmio.reg.device.8' },
};

/** Brings a device live with traffic and a pending interrupt, resets it and judges the registers. */
async function lifeThenReset(context: DeviceCheckContext, transport: TransportKind): Promise<CheckOutcome> {
  const session = await HandSession.open(context);
  if (typeof session === 'string') return { kind: 'inconclusive', reason: session };
  const w = session.window;
  if (w.transport !== transport) return { kind: 'not-applicable', reason: `not a ${transport} device` };
  const clauses = CLAUSES[transport];
  const msix = w.transport === 'pci' ? w.caps.msix : null;
  if (w.transport === 'pci' && msix !== null && !(await enableMsix(w.access, msix, msix.tableSize))) {
    return { kind: 'inconclusive', reason: 'MSI-X could not be enabled' };
  }
  const features = await session.bringUp(featureMask(VIRTIO_F_RING_RESET));
  if (typeof features === 'string') return { kind: 'inconclusive', reason: features };
  return judgeOnce(async () => {
    const vector = (i: number): number | undefined => (msix === null ? undefined : i % msix.tableSize);
    if (w.transport === 'pci' && msix !== null) await w.writeConfigVector(0);
    const rx = await session.setupQueue(0, { interrupts: true, ...(vector(1) === undefined ? {} : { vector: vector(1) as number }) });
    if (typeof rx === 'string') undecided(rx);
    const tx = await session.setupQueue(1, { interrupts: true, ...(vector(2) === undefined ? {} : { vector: vector(2) as number }) });
    if (typeof tx === 'string') undecided(tx);
    if (((await session.driverOk()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) undecided('DEVICE_NEEDS_RESET at DRIVER_OK');
    session.postReceive(rx, 4);
    await session.kick(rx);
    await session.device.wire.inject(broadcastFrame(70, 4));
    if ((await session.drain(rx)).used === 0) undecided('the device delivered no frame into the receive queue before the reset');
    // The used buffer left an interrupt pending (MMIO InterruptStatus bit 0 is not acknowledged).
    if (!(await session.reset())) undecided('the device never read status 0 after the reset');
    const count = Math.min(await w.numQueues(), JUDGED_QUEUES);
    const queueReset = hasFeature(features, VIRTIO_F_RING_RESET);
    for (let q = 0; q < count; q++) {
      await w.selectQueue(q);
      const enabled = await w.readQueueEnable();
      if (enabled !== 0) {
        violation(clauses.enable, `queue ${q} reads ${transport === 'pci' ? 'queue_enable' : 'QueueReady'} = ${enabled} after the reset read back 0`, 'every queue reads disabled after a device reset');
      }
      if (queueReset) {
        const r = await w.readQueueReset();
        if (r !== 0) violation(clauses.queueReset, `queue ${q} reads ${transport === 'pci' ? 'queue_reset' : 'QueueReset'} = ${r} after a device reset`, 'with VIRTIO_F_RING_RESET, queue reset reads 0 after a device reset');
      }
      if (w.transport === 'pci' && msix !== null) {
        const v = await w.readQueueVector();
        if (v !== VIRTIO_MSI_NO_VECTOR) violation('pci.msix.device.7', `queue ${q} reads queue_msix_vector ${describeVector(v)} after the reset`, 'every vector reads NO_VECTOR after reset');
      }
    }
    if (w.transport === 'pci' && msix !== null) {
      const v = await w.readConfigVector();
      if (v !== VIRTIO_MSI_NO_VECTOR) violation('pci.msix.device.7', `config_msix_vector reads ${describeVector(v)} after the reset`, 'every vector reads NO_VECTOR after reset');
    }
    if (w.transport === 'mmio') {
      const status = await w.readInterruptStatus();
      if (status !== 0) violation('mmio.reg.device.5', `InterruptStatus reads 0x${status.toString(16)} after the reset`, 'a reset clears InterruptStatus');
    }
  });
}

/**
 * `pci.msix.device.7`: every vector NO_VECTOR after reset; `pci.common.device.8`: queue_enable
 * 0; `pci.common.device.9`: queue_reset 0 (with RING_RESET).
 */
export const pciResetRegisters: Check<DeviceCheckContext> = {
  id: 'transport.device.pci-reset-registers',
  title: 'After a PCI device reset every queue reads disabled and out of reset, and every MSI-X vector reads NO_VECTOR',
  clauses: ['pci.msix.device.7', 'pci.common.device.8', 'pci.common.device.9'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'queue_reset is judged after the reset of a life in which VIRTIO_F_RING_RESET was negotiated (the rule is conditional ' +
    'on the feature); vectors are judged when the function has MSI-X.',
  run: (context) => lifeThenReset(context, 'pci'),
};

/** `mmio.reg.device.5`: InterruptStatus 0 and QueueReady 0 after reset; `mmio.reg.device.8`: QueueReset 0 (with RING_RESET). */
export const mmioResetRegisters: Check<DeviceCheckContext> = {
  id: 'transport.device.mmio-reset-registers',
  title: 'After an MMIO device reset InterruptStatus reads 0 and every queue reads not ready and out of reset',
  clauses: ['mmio.reg.device.5', 'mmio.reg.device.8'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['mmio'] },
  decision: 'QueueReset is judged after the reset of a life in which VIRTIO_F_RING_RESET was negotiated (the rule is conditional on the feature).',
  run: (context) => lifeThenReset(context, 'mmio'),
};
