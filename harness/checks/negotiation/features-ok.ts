/**
 * Device-side checks on the FEATURES_OK handshake: the device's answer reads back consistently and
 * means what it says (`features.device.3`), and a valid subset is accepted (`features.device.2`).
 * Both are properties over the subsets a driver may write for the device's own offer.
 *
 * @module
 */

import { type FeatureSet, featureNames, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { describeStatus, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { baseFeatures, type DeviceSession, openSession } from '../../scenarios/negotiation/device-session.js';
import { type DriverSubset, driverSubset, validSubset } from '../../scenarios/negotiation/feature-subsets.js';
import { checkProperty, Undecided, violation } from '../../scenarios/negotiation/property.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const list = (set: FeatureSet): string => featureNames(set).join(', ') || '(none)';

/** Opens one session for a whole property and reads the offer and the required base set. */
async function prepare(context: DeviceCheckContext): Promise<{ session: DeviceSession; offered: FeatureSet; required: FeatureSet } | CheckOutcome> {
  const opened = await openSession(context);
  if (opened.kind !== 'open') return { kind: 'inconclusive', reason: opened.reason };
  const offered = await opened.session.begin();
  if (offered === null) return { kind: 'inconclusive', reason: 'the device never read status 0 after a reset' };
  if (!hasFeature(offered, VIRTIO_F_VERSION_1)) return { kind: 'inconclusive', reason: 'the device does not offer VIRTIO_F_VERSION_1' };
  return { session: opened.session, offered, required: baseFeatures(offered, context.config.ring) };
}

/** One FEATURES_OK round for `subset` and everything `features.device.3` lets us judge about it. */
async function judgeRound(context: DeviceCheckContext, session: DeviceSession, offered: FeatureSet, subset: DriverSubset): Promise<void> {
  const transport = context.config.transport;
  if ((await session.begin()) === null) throw new Undecided('the device never read status 0 after a reset');
  const written = subset.features;
  const { accepted, status } = await session.negotiate(written);
  context.trace.record(`${subset.shape} subset {${list(written)}}: FEATURES_OK ${accepted ? 'kept' : 'refused'}`);
  const again = await session.raw.readStatus();
  if (((again ^ status) & VIRTIO_CONFIG_S_FEATURES_OK) !== 0) {
    violation(
      'features.device.3',
      `after FEATURES_OK for ${subset.shape} subset {${list(written)}} status read ${describeStatus(status)}, then ${describeStatus(again)} with no write between`,
      'FEATURES_OK reads back set (accepted) or clear (refused), and keeps reading so',
    );
  }
  if (!accepted) return;
  const readback = session.raw.readDriverFeatures === null ? null : await session.raw.readDriverFeatures();
  if (readback !== null && readback !== written && readback !== (written & offered)) {
    violation(
      'pci.common.device.4',
      `FEATURES_OK kept for {${list(written)}}, but driver_feature reads back {${list(readback)}}`,
      'driver_feature reads back the bits written, with or without the ones not offered (pci.common.device.5)',
    );
  }
  // A transitional device runs a driver without VERSION_1 by legacy rules this check does not model.
  if (!hasFeature(written, VIRTIO_F_VERSION_1)) return;
  const effective = written & offered;
  const failed = await session.startQueues(effective, [0, 1]);
  if (failed !== null) throw new Undecided(`queue setup failed: ${failed}`);
  const live = await session.driverOk();
  const wanted = VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
  if ((live & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0 || (live & wanted) !== wanted) {
    violation(
      'features.device.3',
      `FEATURES_OK was kept for ${subset.shape} subset {${list(written)}} on ${transport}, but after queue setup and DRIVER_OK status reads ${describeStatus(live)}`,
      'a device that keeps FEATURES_OK has accepted the subset and runs with it; refusing means FEATURES_OK reads back clear',
    );
  }
}

/**
 * `features.device.3`: whatever subset the driver writes, FEATURES_OK reads back set or clear and
 * stays so; a kept FEATURES_OK is an acceptance the device lives by (it goes live at DRIVER_OK
 * instead of failing), and driver_feature then shows the subset (`pci.common.device.4`).
 */
export const featuresOkReadback: Check<DeviceCheckContext> = {
  id: 'negotiation.device.features-ok-readback',
  title: 'FEATURES_OK reads back as the device decided, and a kept FEATURES_OK is honoured',
  clauses: ['features.device.3', 'pci.common.device.4', 'pci.common.device.5'],
  role: 'device',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision:
    'The device may accept or refuse every invalid subset (unoffered bits, no VERSION_1, a broken dependency): both pass. ' +
    'A device that keeps FEATURES_OK and then sets DEVICE_NEEDS_RESET at the first correct DRIVER_OK is read as a refusal ' +
    'that left FEATURES_OK set. Subsets without VERSION_1 are not taken to DRIVER_OK (legacy rules).',
  async run(context) {
    const prepared = await prepare(context);
    if ('kind' in prepared) return prepared;
    const { session, offered, required } = prepared;
    // Each run takes a device through reset, negotiation, queue setup and DRIVER_OK: half the configured runs.
    return checkProperty(context.config, driverSubset(offered, required), (subset) => judgeRound(context, session, offered, subset), { scale: 2 });
  },
};

/** `features.device.2`: any dependency-consistent subset of the offer (with the bits the device may insist on) is accepted. */
export const acceptsValidSubset: Check<DeviceCheckContext> = {
  id: 'negotiation.device.accepts-valid-subset',
  title: 'The device accepts any valid subset of its offer',
  clauses: ['features.device.2'],
  role: 'device',
  level: 'SHOULD',
  area: 'negotiation',
  applies: {},
  decision:
    'A valid subset contains VERSION_1, ACCESS_PLATFORM and ORDER_PLATFORM when offered (the device may refuse without them, ' +
    'rfb.device.2/4/6), RING_PACKED on packed runs, and breaks no MUST row of the dependency table.',
  async run(context) {
    const prepared = await prepare(context);
    if ('kind' in prepared) return prepared;
    const { session, offered, required } = prepared;
    return checkProperty(context.config, validSubset(offered, required), async (subset) => {
      if ((await session.begin()) === null) throw new Undecided('the device never read status 0 after a reset');
      const { accepted, status } = await session.negotiate(subset);
      if (!accepted) {
        violation('features.device.2', `FEATURES_OK read back clear (${describeStatus(status)}) for the valid subset {${list(subset)}}`, 'a valid subset of the offer is accepted');
      }
    });
  },
};
