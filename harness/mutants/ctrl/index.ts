/**
 * Mutants that the ctrl checks must kill.
 *
 * @module
 */

import type { Mutant } from '../mutant.js';
import { ackNeverWritten, ackOutOfRange, silentOnUndefined, usedLenWholeChain } from './answer-mutants.js';
import {
  announceNeverCleared,
  coalAnyQueueAccepted,
  coalVqSetWholeDirection,
  hashConfigRefused,
  hashReportedUnconfigured,
  macAddrConfigStale,
  mqSpreadsOverAllPairs,
  rssTableIgnored,
  vqPairsSetRefused,
} from './command-mutants.js';
import { ackNotWritable, announceNeverAcked, macTableCountOff, promiscWithoutCtrlRx, rssWithoutRss, vlanIdAsLe32, vqPairsUnvalidated } from './driver-mutants.js';
import { allmultiUnsupported, macTableMulticastIgnored, promiscIgnored, rxExtraUnsupported, vlanAddIgnored, vlanFilterWithoutFeature } from './filter-mutants.js';

/** This area's mutants. */
export const mutants: readonly Mutant[] = [
  ackNeverWritten,
  ackOutOfRange,
  silentOnUndefined(),
  usedLenWholeChain,
  allmultiUnsupported,
  rxExtraUnsupported,
  vlanAddIgnored,
  macTableMulticastIgnored,
  vlanFilterWithoutFeature,
  promiscIgnored,
  macAddrConfigStale,
  announceNeverCleared,
  mqSpreadsOverAllPairs,
  vqPairsSetRefused,
  rssTableIgnored,
  hashReportedUnconfigured,
  hashConfigRefused,
  coalVqSetWholeDirection,
  coalAnyQueueAccepted,
  promiscWithoutCtrlRx,
  rssWithoutRss,
  ackNotWritable,
  vlanIdAsLe32,
  macTableCountOff,
  vqPairsUnvalidated,
  announceNeverAcked,
];
