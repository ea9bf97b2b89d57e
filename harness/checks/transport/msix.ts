/**
 * Device-side checks on MSI-X (virtio 1.4 4.1.4.3, 4.1.5.1.2): the vector registers as a model
 * run (map, unmap, map past the table, reset), and where events go once mapped — on the mapped
 * vector, and nowhere for an event mapped to NO_VECTOR.
 *
 * @module
 */

import fc from 'fast-check';
import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { enableMsix } from '../../../reference-impl/frontend/virtio/pci-msix-setup.js';
import { broadcastFrame, otherMac } from '../../scenarios/transport/frames.js';
import { HandSession, macChangeFeatures } from '../../scenarios/transport/hand-session.js';
import { InterruptLog } from '../../scenarios/transport/interrupt-log.js';
import { vectorCommands, vectorModel, type VectorReal } from '../../scenarios/transport/msix-model.js';
import { checkProperty, undecided, violation } from '../../scenarios/transport/property.js';
import { describeVector, type PciWindow } from '../../scenarios/transport/register-window.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** Queues the vector model touches at most (a device with many queue pairs has many more). */
const MODEL_QUEUES = 16;

interface MsixSession {
  readonly session: HandSession;
  readonly window: PciWindow;
  readonly tableSize: number;
}

/** Opens a PCI device with MSI-X enabled and every table entry programmed (data = vector number). */
async function openMsix(context: DeviceCheckContext): Promise<MsixSession | CheckOutcome> {
  const session = await HandSession.open(context);
  if (typeof session === 'string') return { kind: 'inconclusive', reason: session };
  const window = session.window;
  if (window.transport !== 'pci') return { kind: 'not-applicable', reason: 'not a PCI device' };
  const msix = window.caps.msix;
  if (msix === null) return { kind: 'not-applicable', reason: 'the function has no MSI-X capability' };
  if (!(await enableMsix(window.access, msix, msix.tableSize))) return { kind: 'inconclusive', reason: 'MSI-X could not be enabled' };
  context.trace.record(`MSI-X enabled with ${msix.tableSize} vectors`);
  return { session, window, tableSize: msix.tableSize };
}

/**
 * `pci.msix.device.5`, `.6`, `.7`, `.9`: the vector registers against the model in
 * `scenarios/transport/msix-model.ts`; `pci.common.device.14`: queue_size of a missing queue.
 */
export const msixVectors: Check<DeviceCheckContext> = {
  id: 'transport.device.msix-vectors',
  title: 'MSI-X vector registers read back the mapped vector or NO_VECTOR, and NO_VECTOR after reset',
  clauses: ['pci.msix.device.6', 'pci.msix.device.5', 'pci.msix.device.7', 'pci.msix.device.9', 'pci.common.device.14'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'A valid vector may read back NO_VECTOR: the device may fail a mapping it cannot make (pci.msix.device.8 is a SHOULD NOT) ' +
    'and reports it so; any other value is a violation. The harness also writes vectors past the MSI-X table, which a ' +
    'driver must not (pci.msix.driver.4): no device can map them, so they must read back NO_VECTOR (pci.msix.device.9). ' +
    'Vectors are written at FEATURES_OK, before DRIVER_OK, with MSI-X enabled, as a driver does.',
  async run(context) {
    const opened = await openMsix(context);
    if (!('session' in opened)) return opened;
    const { session, window, tableSize } = opened;
    const first = await session.bringUp();
    if (typeof first === 'string') return { kind: 'inconclusive', reason: first };
    const count = await window.numQueues();
    const queues: number[] = [];
    for (let q = 0; q < Math.min(count, MODEL_QUEUES); q++) {
      await window.selectQueue(q);
      if ((await window.readQueueMax()) > 0) queues.push(q);
    }
    if (queues.length === 0) return { kind: 'inconclusive', reason: 'the device shows no queue' };
    const real: VectorReal = {
      window,
      tableSize,
      queues,
      missing: [count, count + 1, 0x7fff],
      reset: () => session.reset(),
      async reinit() {
        const again = await session.bringUp();
        if (typeof again === 'string') undecided(again);
      },
    };
    return checkProperty(
      context.config,
      vectorCommands(tableSize),
      async (cmds) => {
        await real.reinit();
        await fc.asyncModelRun(() => ({ model: vectorModel(queues.length), real }), cmds);
      },
      { scale: 2 },
    );
  },
};

/** A vector choice for the delivery property: NO_VECTOR or an index into the table. */
const vectorChoice = fc.option(fc.nat(0x7ff), { nil: undefined, freq: 3 });

interface DeliveryCase {
  readonly queueVector: number | undefined;
  readonly configVector: number | undefined;
  readonly changeConfig: boolean;
}

/** What the harness found the device mapped, and how it signalled. */
async function deliveryRun(context: DeviceCheckContext, m: MsixSession, log: InterruptLog, c: DeliveryCase, macFeatures: FeatureSet | null): Promise<void> {
  const { session, window, tableSize } = m;
  const pick = (v: number | undefined): number => (v === undefined ? VIRTIO_MSI_NO_VECTOR : v % tableSize);
  const changeConfig = c.changeConfig && macFeatures !== null;
  const features = await session.bringUp(changeConfig ? (macFeatures ?? 0n) : 0n);
  if (typeof features === 'string') undecided(features);
  await window.writeConfigVector(pick(c.configVector));
  const configVector = await window.readConfigVector();
  const rx = await session.setupQueue(0, { interrupts: true, vector: pick(c.queueVector) });
  if (typeof rx === 'string') undecided(rx);
  await window.selectQueue(0);
  const queueVector = await window.readQueueVector();
  for (const [what, read, written] of [
    ['config_msix_vector', configVector, pick(c.configVector)],
    ['queue_msix_vector of queue 0', queueVector, pick(c.queueVector)],
  ] as const) {
    if (read !== written && read !== VIRTIO_MSI_NO_VECTOR) {
      violation('pci.msix.device.6', `${what} reads ${describeVector(read)} after ${describeVector(written)} was written`, 'the mapped vector or NO_VECTOR');
    }
  }
  const tx = await session.setupQueue(1, { vector: VIRTIO_MSI_NO_VECTOR });
  if (typeof tx === 'string') undecided(tx);
  const ctrl = changeConfig ? await session.setupQueue(2, { vector: VIRTIO_MSI_NO_VECTOR }) : null;
  if (typeof ctrl === 'string') undecided(ctrl);
  if (((await session.driverOk()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) undecided('the device set DEVICE_NEEDS_RESET at DRIVER_OK');
  context.trace.record(`config vector ${describeVector(configVector)}, rx vector ${describeVector(queueVector)}`);

  // A used buffer on rx: its notification goes to the rx vector, or nowhere for NO_VECTOR.
  let mark = log.all.length;
  session.postReceive(rx, 2);
  await session.kick(rx);
  await session.device.wire.inject(broadcastFrame(96, 7));
  if ((await session.drain(rx)).used === 0) undecided('the device delivered no frame into the receive queue');
  const afterRx = log.since(mark);
  const rxVectors = log.vectorsSince(mark);
  if (queueVector === VIRTIO_MSI_NO_VECTOR) {
    if (afterRx.some((i) => i.kind === 'msix' || i.asserted)) {
      violation('pci.usednotif.device.1', `with queue 0 mapped to NO_VECTOR a used buffer raised ${describeSeen(afterRx)}`, 'no interrupt for a queue mapped to NO_VECTOR while MSI-X is enabled');
    }
  } else {
    const stray = rxVectors.filter((v) => v !== queueVector);
    if (rxVectors.length === 0 || stray.length > 0) {
      violation('pci.msix.device.4', `queue 0 mapped to vector ${queueVector}; its used buffer raised ${describeSeen(afterRx)}`, `the used-buffer notification arrives on vector ${queueVector}`);
    }
  }
  if (ctrl === null) return;

  // A config change (MAC_ADDR_SET): on the config vector if signalled at all, nowhere for NO_VECTOR.
  const generation = await window.readGeneration();
  mark = log.all.length;
  const ack = await session.setMac(ctrl, otherMac(new Uint8Array(6), 3));
  if (ack !== 0) undecided(`MAC_ADDR_SET was answered ${ack}`);
  const changed = (await window.readGeneration()) !== generation;
  const afterCfg = log.since(mark);
  const stray = log.vectorsSince(mark).filter((v) => v !== configVector);
  if (configVector === VIRTIO_MSI_NO_VECTOR && afterCfg.some((i) => i.kind === 'msix' || i.asserted)) {
    violation(
      changed ? 'pci.cfgnotif.device.1' : 'pci.usednotif.device.1',
      `with config_msix_vector and the control queue's vector NO_VECTOR, MAC_ADDR_SET raised ${describeSeen(afterCfg)}`,
      'no interrupt for an event mapped to NO_VECTOR while MSI-X is enabled',
    );
  }
  if (configVector !== VIRTIO_MSI_NO_VECTOR && stray.length > 0) {
    violation('pci.msix.device.4', `config changes mapped to vector ${configVector}; MAC_ADDR_SET raised ${describeSeen(afterCfg)}`, `a configuration change notification arrives on vector ${configVector}`);
  }
}

function describeSeen(seen: ReturnType<InterruptLog['since']>): string {
  if (seen.length === 0) return 'nothing';
  return seen.map((i) => (i.kind === 'msix' ? `MSI-X vector ${i.vector}` : `${i.kind} ${i.asserted ? 'asserted' : 'deasserted'}`)).join(', ');
}

/**
 * `pci.msix.device.4`: an event arrives on the vector it is mapped to; `pci.usednotif.device.1`,
 * `pci.cfgnotif.device.1`: an event mapped to NO_VECTOR raises no interrupt.
 */
export const msixDelivery: Check<DeviceCheckContext> = {
  id: 'transport.device.msix-delivery',
  title: 'Used-buffer and config-change notifications arrive on their mapped MSI-X vector, and not at all for NO_VECTOR',
  clauses: ['pci.msix.device.4', 'pci.usednotif.device.1', 'pci.cfgnotif.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  decision:
    'The harness makes the device change its config with MAC_ADDR_SET (needs MAC, CTRL_VQ and CTRL_MAC_ADDR; the rest is ' +
    'judged without). No clause obliges a device to notify that change, so a config vector with nothing on it passes; ' +
    'what is judged is that nothing arrives on another vector, and nothing at all for NO_VECTOR. A used buffer the ' +
    'harness asked to be notified of must arrive on the queue\'s vector.',
  async run(context) {
    const opened = await openMsix(context);
    if (!('session' in opened)) return opened;
    const offered = await opened.session.offered();
    const macFeatures = macChangeFeatures(offered);
    const log = new InterruptLog(opened.session.device);
    try {
      return await checkProperty(
        context.config,
        fc.record({ queueVector: vectorChoice, configVector: vectorChoice, changeConfig: fc.boolean() }),
        (c) => deliveryRun(context, opened, log, c, macFeatures),
        {
          examples: [
            { queueVector: undefined, configVector: undefined, changeConfig: true },
            { queueVector: 0, configVector: 1, changeConfig: true },
          ],
        },
      );
    } finally {
      log.close();
    }
  },
};
