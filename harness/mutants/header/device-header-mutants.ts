/**
 * Device mutants of the header area: a transmit path that parses the wrong header length or
 * cannot find a header split across descriptors, a receive path that writes a header of the
 * wrong length, and transmit paths that mishandle chains shorter than the header.
 *
 * @module
 */

import { emptyNetHdr } from '../../../reference-impl/net/net-header.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { DeviceMutant } from '../mutant.js';
import { onActivate, patchTxHandle, readableFrom } from './seams.js';

/**
 * Bug D7 (CVE-2023-6693, QEMU `virtio_net_flush_tx`): the transmit header is parsed as a fixed
 * 12-byte `virtio_net_hdr_mrg_rxbuf` whatever was negotiated, so with HASH_REPORT, tunnel GSO or
 * OUT_NET_HEADER the first bytes of the header go out as the frame.
 */
export const txFixedHeaderLength: DeviceMutant = {
  id: 'device.header.tx-fixed-12-byte-header',
  title: 'Parses every transmit header as 12 bytes, ignoring HASH_REPORT, tunnel GSO and OUT_NET_HEADER',
  imitates: 'D7',
  killedBy: ['header.device.tx-header-split'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:tx-fixed-12-byte-header',
    tamper: (device) =>
      onActivate(device, ({ tx }) => {
        tx.n = { ...tx.n, hdrLength: 12 };
      }),
  }),
};

/**
 * A transmit path that assumes the header sits alone in the first descriptor (the pre-ANY_LAYOUT
 * assumption `framing.device.1` forbids, compare bug D15): when the first descriptor is not
 * exactly one header long, the frame is taken from the second descriptor on.
 */
export const txHeaderInFirstDescriptor: DeviceMutant = {
  id: 'device.header.tx-header-in-first-descriptor',
  title: 'Takes the transmit header from the first descriptor alone and the frame from the rest',
  imitates: 'D15',
  killedBy: ['header.device.tx-header-split'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:tx-header-in-first-descriptor',
    tamper: (device) =>
      patchTxHandle(device, (tx, original, queue, queueIndex, chain) => {
        if (chain.readableCount < 2 || chain.len[0] === tx.n.hdrLength) return original(queue, queueIndex, chain);
        const frame = readableFrom(device, chain, 1);
        tx.env.wire.transmit(queueIndex, frame, emptyNetHdr(), false);
        queue.push(chain, 0);
      }),
  }),
};

/**
 * A receive path that writes the legacy 10-byte `virtio_net_hdr` under VERSION_1 (no
 * `num_buffers`), so the frame starts two bytes early and the driver's num_buffers is the
 * destination MAC.
 */
export const rxTenByteHeader: DeviceMutant = {
  id: 'device.header.rx-10-byte-header',
  title: 'Writes a 10-byte receive header under VERSION_1',
  imitates: 'legacy header layout on a modern device (compare D14)',
  killedBy: ['header.device.rx-header-length'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:rx-10-byte-header',
    tamper: (device) =>
      onActivate(device, ({ rx }) => {
        (rx as { n: unknown }).n = { ...rx.n, hdrLength: 10 };
      }),
  }),
};

/**
 * Bug D21 (Firecracker 8432212e8): a transmit chain shorter than the header makes the device
 * panic. Here the device throws out of the notification.
 */
export const txShortChainCrash: DeviceMutant = {
  id: 'device.header.tx-short-chain-crash',
  title: 'Crashes on a transmit chain shorter than the header',
  imitates: 'D21',
  killedBy: ['header.device.tx-short-chain'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:tx-short-chain-crash',
    tamper: (device) =>
      patchTxHandle(device, (tx, original, queue, queueIndex, chain) => {
        if (chain.readableBytes < tx.n.hdrLength) throw new RangeError(`attempt to subtract with overflow: ${chain.readableBytes} - ${tx.n.hdrLength}`);
        original(queue, queueIndex, chain);
      }),
  }),
};

/**
 * Bug D15 / R11 on the device side: a chain that holds no more than a header is sent anyway, its
 * bytes taken as the frame, so garbage (or an empty frame) reaches the wire.
 */
export const txShortChainGarbage: DeviceMutant = {
  id: 'device.header.tx-short-chain-garbage',
  title: 'Sends the bytes of a transmit chain no longer than the header as a frame',
  imitates: 'D15',
  killedBy: ['header.device.tx-short-chain'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:tx-short-chain-garbage',
    tamper: (device) =>
      patchTxHandle(device, (tx, original, queue, queueIndex, chain) => {
        if (chain.readableBytes > tx.n.hdrLength) return original(queue, queueIndex, chain);
        tx.env.wire.transmit(queueIndex, readableFrom(device, chain, 0), emptyNetHdr(), false);
        queue.push(chain, 0);
      }),
  }),
};

/** The header area's device mutants. */
export const deviceHeaderMutants: readonly DeviceMutant[] = [
  txFixedHeaderLength,
  txHeaderInFirstDescriptor,
  rxTenByteHeader,
  txShortChainCrash,
  txShortChainGarbage,
];
