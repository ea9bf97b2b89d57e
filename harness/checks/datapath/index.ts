/**
 * Checks of the data-path area: `num_buffers`, packets and buffers without MRG_RXBUF, checksum
 * and GSO fields only when negotiated, transmit used lengths, and the data-path side of receive
 * filtering.
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';
import { driverRxMergedPackets } from './driver-rx-merged.js';
import { driverTxNumBuffers, driverTxOffloadFlags } from './driver-tx-header.js';
import { rxNumBuffers } from './rx-num-buffers.js';
import { rxOffloadFlags } from './rx-offload-flags.js';
import { rxOversizeNoMrg } from './rx-oversize.js';
import { rxWantedFrames } from './rx-wanted-frames.js';
import { txUsedLen } from './tx-used-len.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [rxNumBuffers, rxOversizeNoMrg, rxOffloadFlags, txUsedLen, rxWantedFrames];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [driverTxOffloadFlags, driverTxNumBuffers, driverRxMergedPackets];
