/**
 * Checks of the header area: the length of `struct virtio_net_hdr` for every feature
 * combination, the same on transmit and receive, headers split across descriptors, chains
 * shorter than the header, and receive buffers sized for the header.
 *
 * @module
 */

import type { Check } from '../check.js';
import type { DeviceCheckContext, DriverCheckContext } from '../context.js';
import { driverRxBufferHoldsHeader, driverRxBufferHoldsPacket } from './driver-rx-buffers.js';
import { driverTxHeaderLength } from './driver-tx-header-length.js';
import { rxHeaderLength } from './rx-header-length.js';
import { txHeaderSplit } from './tx-header-split.js';
import { txShortChain } from './tx-short-chain.js';
import { txCsumFieldsIgnored, txUnknownFlags } from './tx-ignored-fields.js';

/** Device-side checks of this area. */
export const deviceChecks: readonly Check<DeviceCheckContext>[] = [txHeaderSplit, rxHeaderLength, txShortChain, txUnknownFlags, txCsumFieldsIgnored];

/** Driver-side checks of this area. */
export const driverChecks: readonly Check<DriverCheckContext>[] = [driverTxHeaderLength, driverRxBufferHoldsHeader, driverRxBufferHoldsPacket];
