/**
 * Checks of the negotiation area: device status, the initialisation sequence, reset, feature bits
 * and their negotiation (catalog areas a and b), and the config space around it (area c).
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';
import { configBeforeFeaturesOk, configGenerationMmio, configGenerationPci } from './config.js';
import { duplexRange, maxVirtqueuePairsRange, speedRange } from './config-ranges.js';
import { driverConditionalConfigReads, driverConfigReadOnly } from './driver-config.js';
import { driverAcceptsOfferedOnly, driverAcceptsVersion1, driverFeatureDependencies, driverNoLateFeatureWrite } from './driver-features.js';
import { driverInitSequence } from './driver-init.js';
import { driverHonoursRefusal, driverSetsFailed } from './driver-refusal.js';
import { acceptsValidSubset, featuresOkReadback } from './features-ok.js';
import { lateFeatureWriteIgnored } from './late-features.js';
import { offerDependencies, offerSoftDependencies, offersDefinedBits, offersVersion1 } from './offer.js';
import { resetQuiesces, statusMachine } from './status.js';
import { needsResetNotifies } from './needs-reset-notify.js';
import { idleBeforeDriverOk } from './before-driver-ok.js';
import { driverToleratesUnknownBits } from './unknown-bits.js';
import { driverResetsAfterFailed } from './reset-after-failed.js';
import { driverFailsOnRefusal } from './refusal-fails.js';

export * from './config.js';
export * from './config-ranges.js';
export * from './driver-config.js';
export * from './driver-features.js';
export * from './driver-init.js';
export * from './driver-refusal.js';
export * from './features-ok.js';
export * from './late-features.js';
export * from './offer.js';
export * from './status.js';
export * from './needs-reset-notify.js';
export * from './before-driver-ok.js';
export * from './unknown-bits.js';
export * from './reset-after-failed.js';
export * from './refusal-fails.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [
  offersVersion1,
  offerDependencies,
  offerSoftDependencies,
  offersDefinedBits,
  featuresOkReadback,
  acceptsValidSubset,
  statusMachine,
  resetQuiesces,
  lateFeatureWriteIgnored,
  configGenerationPci,
  configGenerationMmio,
  configBeforeFeaturesOk,
  needsResetNotifies,
  idleBeforeDriverOk,
  maxVirtqueuePairsRange,
  speedRange,
  duplexRange,
];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [
  driverInitSequence,
  driverAcceptsOfferedOnly,
  driverFeatureDependencies,
  driverAcceptsVersion1,
  driverHonoursRefusal,
  driverSetsFailed,
  driverNoLateFeatureWrite,
  driverConfigReadOnly,
  driverConditionalConfigReads,
  driverToleratesUnknownBits,
  driverResetsAfterFailed,
  driverFailsOnRefusal,
];
