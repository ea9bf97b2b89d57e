/**
 * Checks of the ctrl area: the control virtqueue, device side and driver side.
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';
import { ctrlAckWritten, ctrlUsedLen } from './answers.js';
import { ctrlDriverAnnounceAcked, ctrlDriverCommandFraming, ctrlDriverMacTableLayout, ctrlDriverVqPairsInRange } from './driver-commands.js';
import { ctrlDriverGatedCommands } from './driver-gates.js';
import { ctrlCoalBadQueueErr, ctrlCoalLastSetWins } from './coalescing.js';
import { ctrlAnnounceAckClears, ctrlMacAddrSetShowsInConfig } from './config-effects.js';
import { ctrlFilterDeliversListed, ctrlRxModeDelivery, ctrlVlanUnfilteredWithoutFeature } from './filtering.js';
import { ctrlHashConfig } from './hash-config.js';
import { ctrlMqSteeringWithinPairs, ctrlRssSteeringWithinTable } from './multiqueue.js';
import { ctrlRxCommandsSupported, ctrlRxExtraCommandsSupported } from './rx-commands.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [
  ctrlAckWritten,
  ctrlUsedLen,
  ctrlRxCommandsSupported,
  ctrlRxExtraCommandsSupported,
  ctrlFilterDeliversListed,
  ctrlVlanUnfilteredWithoutFeature,
  ctrlRxModeDelivery,
  ctrlMacAddrSetShowsInConfig,
  ctrlAnnounceAckClears,
  ctrlMqSteeringWithinPairs,
  ctrlRssSteeringWithinTable,
  ctrlHashConfig,
  ctrlCoalLastSetWins,
  ctrlCoalBadQueueErr,
];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [
  ctrlDriverGatedCommands,
  ctrlDriverCommandFraming,
  ctrlDriverMacTableLayout,
  ctrlDriverVqPairsInRange,
  ctrlDriverAnnounceAcked,
];
