/**
 * Device-side checks on the device-specific config space around negotiation: the generation
 * counter moves whenever the driver could see a field change (`pci.common.device.6`,
 * `mmio.reg.device.6`), and the fields read the same before FEATURES_OK as after it
 * (`config.device.1`).
 *
 * @module
 */

import fc from 'fast-check';
import { type FeatureSet, featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MAC } from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { describeStatus, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import type { DeviceRequest } from '../../adapters/contract.js';
import { changedFields, describeSnapshot, readFields, sendControl, validFields } from '../../scenarios/negotiation/config-fields.js';
import { baseFeatures, type DeviceSession, openSession } from '../../scenarios/negotiation/device-session.js';
import { checkProperty, Undecided, violation } from '../../scenarios/negotiation/property.js';
import type { Check, CheckOutcome, TransportKind } from '../check.js';
import { type DeviceCheckContext, NotApplicable } from '../context.js';

const hexMac = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');

/** Unicast, locally administered MAC addresses. */
const unicastMac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((m) => {
  const mac = Uint8Array.from(m);
  mac[0] = ((mac[0] as number) & 0xfc) | 0x02;
  return mac;
});

/** Brings a session live with rx0, tx0 and the controlq and MAC_ADDR_SET negotiated. */
async function liveWithControl(session: DeviceSession, ring: 'split' | 'packed'): Promise<CheckOutcome | null> {
  const offered = await session.begin();
  if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
  for (const bit of [VIRTIO_F_VERSION_1, VIRTIO_NET_F_MAC, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_MAC_ADDR]) {
    if (!hasFeature(offered, bit)) throw new NotApplicable('the device does not offer MAC, CTRL_VQ and CTRL_MAC_ADDR, so the harness cannot make it change its config');
  }
  let features = baseFeatures(offered, ring) | featureMask(VIRTIO_NET_F_MAC, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_MAC_ADDR);
  // The normative text gates MAC-class commands on CTRL_RX as well (summary.md defect 7).
  if (hasFeature(offered, VIRTIO_NET_F_CTRL_RX)) features |= featureMask(VIRTIO_NET_F_CTRL_RX);
  const { accepted, status } = await session.negotiate(features);
  if (!accepted) return { kind: 'inconclusive', reason: `the device refused ${describeStatus(status)} the controlq subset` };
  const failed = await session.startQueues(features, [0, 1, 2]);
  if (failed !== null) return { kind: 'inconclusive', reason: `queue setup failed: ${failed}` };
  const live = await session.driverOk();
  if ((live & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) return { kind: 'inconclusive', reason: `the device failed at DRIVER_OK (${describeStatus(live)})` };
  return null;
}

/**
 * The generation rule: the harness reads the generation and `mac`, has the device change `mac`
 * with MAC_ADDR_SET, reads `mac` and the generation again. A changed `mac` read between two
 * equal generation values is a torn view the counter had to prevent.
 */
function generationCheck(transport: TransportKind, clause: 'pci.common.device.6' | 'mmio.reg.device.6'): Check<DeviceCheckContext> {
  return {
    id: `negotiation.device.config-generation-${transport}`,
    title: `${transport === 'pci' ? 'config_generation' : 'ConfigGeneration'} changes when a config field the driver read has changed`,
    clauses: [clause],
    role: 'device',
    level: 'MUST',
    area: 'negotiation',
    applies: { transports: [transport], requires: ['VIRTIO_NET_F_MAC', 'VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_CTRL_MAC_ADDR'] },
    decision:
      'The only config change a harness can cause through the contract is MAC_ADDR_SET (net.ctrl.mac.device.3 makes the ' +
      'device update mac before it answers), so the check needs MAC, CTRL_VQ and CTRL_MAC_ADDR; a device that does not ' +
      'update mac leaves the run undecided here (another check judges net.ctrl.mac.device.3).',
    async run(context) {
      const opened = await openSession(context);
      if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
      const session = opened.session;
      const problem = await liveWithControl(session, context.config.ring);
      if (problem !== null) return problem;
      const ctrl = session.queue(2);
      return checkProperty(
        context.config,
        fc.array(unicastMac, { minLength: 1, maxLength: 4 }),
        async (macs) => {
          for (const mac of macs) {
            const g0 = await session.raw.generation();
            const before = (await readFields(session, ['mac'])).mac ?? [];
            const ack = await sendControl(session, ctrl, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac);
            if (ack !== VIRTIO_NET_OK) throw new Undecided(`MAC_ADDR_SET was answered ${ack ?? 'never'}`);
            const after = (await readFields(session, ['mac'])).mac ?? [];
            const g1 = await session.raw.generation();
            context.trace.record(`generation ${g0}, mac ${hexMac(before)}; MAC_ADDR_SET ${hexMac([...mac])}; mac ${hexMac(after)}, generation ${g1}`);
            if (before.join() !== after.join() && g0 === g1) {
              violation(
                clause,
                `mac read ${hexMac(before)}, then ${hexMac(after)} after MAC_ADDR_SET, while the generation read ${g0} before and after`,
                'the generation changes whenever a config value the driver read has changed since',
              );
            }
            if (before.join() === after.join() && before.join() !== [...mac].join()) throw new Undecided('the device did not update mac on MAC_ADDR_SET');
          }
        },
        { scale: 4 },
      );
    },
  };
}

/** `pci.common.device.6` on PCI. */
export const configGenerationPci = generationCheck('pci', 'pci.common.device.6');
/** `mmio.reg.device.6` on MMIO. */
export const configGenerationMmio = generationCheck('mmio', 'mmio.reg.device.6');

/** A richer offer for the config check, so that more conditional fields are defined; the default offer if refused. */
const RICH_REQUEST: Omit<DeviceRequest, 'transport'> = {
  addFeatures: ['VIRTIO_NET_F_MTU', 'VIRTIO_NET_F_SPEED_DUPLEX', 'VIRTIO_NET_F_MQ'],
  maxVirtqueuePairs: 2,
};

/**
 * `config.device.1`: every field whose feature is offered can be read before FEATURES_OK, and
 * reads there what it reads once the features are negotiated (with the generation unchanged).
 */
export const configBeforeFeaturesOk: Check<DeviceCheckContext> = {
  id: 'negotiation.device.config-before-features-ok',
  title: 'Config fields of offered features read the same before FEATURES_OK as after it',
  clauses: ['config.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  async run(context) {
    let opened;
    try {
      opened = await openSession(context, RICH_REQUEST);
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      opened = await openSession(context);
    }
    if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
    const session = opened.session;
    const offered: FeatureSet | null = await session.begin();
    if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
    const fields = validFields(offered);
    if (fields.length === 0) throw new NotApplicable('the device offers no feature that defines a config field');
    const g0 = await session.raw.generation();
    const early = await readFields(session, fields);
    const { accepted, status } = await session.negotiate(baseFeatures(offered, context.config.ring));
    if (!accepted) return { kind: 'inconclusive', reason: `the device refused the minimal subset (${describeStatus(status)})` };
    const late = await readFields(session, fields);
    const g1 = await session.raw.generation();
    const changed = changedFields(early, late);
    if (changed.length === 0) return { kind: 'met' };
    if (g0 !== g1) return { kind: 'inconclusive', reason: `the config changed (generation ${g0} -> ${g1}) while the check read it` };
    return {
      kind: 'violated',
      clause: 'config.device.1',
      observed: `before FEATURES_OK the config read ${describeSnapshot(early)}; after it ${describeSnapshot(late)} (generation ${g0} both times)`,
      expected: 'fields of offered features can be read before FEATURES_OK and show their values',
    };
  },
};
