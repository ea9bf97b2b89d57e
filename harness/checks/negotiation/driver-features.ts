/**
 * Driver-side checks on the features a driver writes: only offered bits (`features.driver.1`,
 * `.4`), a dependency-closed set (`features.driver.2`, `net.featdep.*.driver`), VERSION_1
 * whenever offered (`rfb.driver.1`), nothing after FEATURES_OK (`init.driver.4`). The offer
 * varies with fast-check over what a conformant device may offer.
 *
 * @module
 */

import { NET_FEATURE_DEPENDENCIES, unmetDependencies } from '../../../specs/features/dependencies.js';
import { type FeatureSet, featureNames, featureWord, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { driveLifecycle } from '../../scenarios/negotiation/driver-script.js';
import { conformantOffer } from '../../scenarios/negotiation/feature-subsets.js';
import { acceptedSet, initCycles } from '../../scenarios/negotiation/instrument.js';
import { checkProperty, Undecided, violation } from '../../scenarios/negotiation/property.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** Each property run binds a fresh rig and probes: a tenth of the configured runs, at least ten. */
const RIG_SCALE = 10;

const list = (set: FeatureSet): string => featureNames(set).join(', ') || '(none)';

/** `features.driver.1`, `features.driver.4`: every feature word written holds offered bits only. */
export const driverAcceptsOfferedOnly: Check<DriverCheckContext> = {
  id: 'negotiation.driver.accepts-offered-only',
  title: 'The driver writes back only feature bits the device offered',
  clauses: ['features.driver.1', 'features.driver.4'],
  role: 'driver',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  decision:
    'Every driver_feature write counts, not only the set in place at FEATURES_OK: the clause says "accepts (writes back)". ' +
    'The offer is conformant, so reserved, undefined and transport-foreign bits are unoffered bits here.',
  async run(context) {
    return checkProperty(
      context.config,
      conformantOffer(),
      async (features) => {
        const { driver, device } = await context.rig({ features, queueSize: 64 });
        context.trace.record(`instrument offers ${features.join(' ')}`);
        await driveLifecycle(driver, device, { traffic: false, addressing: false });
        const offered = device.reference.core.offeredFeatures;
        for (const cycle of initCycles(device.reference.events.events)) {
          for (const w of cycle.featureWrites) {
            const extra = (w.value & ~featureWord(offered, w.select)) >>> 0;
            if (extra === 0) continue;
            const bits = featureNames(BigInt(extra) << BigInt(32 * w.select));
            violation('features.driver.1', `driver_feature word ${w.select} written 0x${(w.value >>> 0).toString(16)}, with ${bits.join(', ')} not offered (offer: ${list(offered)})`, 'a driver writes back only offered bits');
          }
        }
      },
      { scale: RIG_SCALE, minRuns: 10 },
    );
  },
};

const DRIVER_ROW_CLAUSES = NET_FEATURE_DEPENDENCIES.flatMap((d) => (d.strength === 'must' && d.clauses.driver !== null ? [d.clauses.driver] : []));

/** `features.driver.2` with every driver row of the net table: the set in place at FEATURES_OK is closed. */
export const driverFeatureDependencies: Check<DriverCheckContext> = {
  id: 'negotiation.driver.feature-dependencies',
  title: 'The driver accepts no feature without the features it depends on',
  clauses: ['features.driver.2', ...DRIVER_ROW_CLAUSES],
  role: 'driver',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  decision:
    'The accepted set is the one written when the driver sets FEATURES_OK (or DRIVER_OK, for a driver that skips it): ' +
    'Linux writes the whole offered subset of its table before validate() and may clear bits afterwards. Offers are ' +
    'conformant (they break no row); what a driver does with an offer that itself breaks the table is not judged here.',
  async run(context) {
    return checkProperty(
      context.config,
      conformantOffer(),
      async (features) => {
        const { driver, device } = await context.rig({ features, queueSize: 64 });
        context.trace.record(`instrument offers ${features.join(' ')}`);
        await driveLifecycle(driver, device, { traffic: false, addressing: false });
        let decided = false;
        for (const cycle of initCycles(device.reference.events.events)) {
          const accepted = acceptedSet(cycle);
          if (accepted === null) continue;
          decided = true;
          const broken = unmetDependencies(accepted, 'driver', { strength: 'must' });
          const first = broken[0];
          if (first !== undefined) {
            violation(first.clause, `the driver accepted ${broken.map((v) => `${v.featureName} without ${v.missingText}`).join('; ')} (accepted: ${list(accepted)})`, 'a driver accepts a feature only together with every feature it depends on');
          }
        }
        if (!decided) throw new Undecided('the driver never set FEATURES_OK or DRIVER_OK');
      },
      { scale: RIG_SCALE, minRuns: 10 },
    );
  },
};

/** `rfb.driver.1`: VERSION_1 is in the accepted set whenever the device offers it. */
export const driverAcceptsVersion1: Check<DriverCheckContext> = {
  id: 'negotiation.driver.accepts-version-1',
  title: 'The driver accepts VIRTIO_F_VERSION_1 when offered',
  clauses: ['rfb.driver.1'],
  role: 'driver',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const { driver, device } = await context.rig();
    await driveLifecycle(driver, device, { traffic: false, addressing: false });
    const accepted = initCycles(device.reference.events.events).flatMap((c) => {
      const set = acceptedSet(c);
      return set === null ? [] : [set];
    });
    if (accepted.length === 0) return { kind: 'inconclusive', reason: 'the driver never set FEATURES_OK or DRIVER_OK' };
    const without = accepted.find((set) => !hasFeature(set, VIRTIO_F_VERSION_1));
    if (without === undefined) return { kind: 'met' };
    return { kind: 'violated', clause: 'rfb.driver.1', observed: `the driver accepted {${list(without)}}, without the offered VIRTIO_F_VERSION_1`, expected: 'a driver accepts VERSION_1 whenever the device offers it' };
  },
};

/** `init.driver.4`: no feature write after the driver set FEATURES_OK, until the next reset. */
export const driverNoLateFeatureWrite: Check<DriverCheckContext> = {
  id: 'negotiation.driver.no-feature-write-after-features-ok',
  title: 'The driver writes no feature bits after setting FEATURES_OK',
  clauses: ['init.driver.4'],
  role: 'driver',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const { driver, device } = await context.rig();
    if (!(await driveLifecycle(driver, device))) return { kind: 'inconclusive', reason: 'the driver did not probe the instrument' };
    for (const [i, cycle] of initCycles(device.reference.events.events).entries()) {
      const late = cycle.featureWrites.find((w) => w.afterFeaturesOk);
      if (late !== undefined) {
        return {
          kind: 'violated',
          clause: 'init.driver.4',
          observed: `cycle ${i + 1}: driver_feature word ${late.select} written 0x${(late.value >>> 0).toString(16)} after FEATURES_OK`,
          expected: 'after setting FEATURES_OK the driver writes no feature bits until it resets the device',
        };
      }
    }
    return { kind: 'met' };
  },
};
