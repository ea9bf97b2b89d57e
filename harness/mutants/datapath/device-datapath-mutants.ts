/**
 * Device mutants of the data path: `num_buffers` wrong, a packet spread over buffers without
 * MRG_RXBUF, offload flags the driver never negotiated, a transmit used len other than 0, and a
 * receive filter that keeps out broadcast.
 *
 * @module
 */

import type { DeviceChain } from '../../../reference-impl/virtqueue/device-chain.js';
import type { DeviceQueue } from '../../../reference-impl/device/device-queue.js';
import type { RxFrameMeta, RxOutcome } from '../../../reference-impl/net/wire.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { onActivate, patchRxHeader, patchTxHandle } from '../header/seams.js';
import type { DeviceMutant } from '../mutant.js';

/**
 * Bug D14 (vhost-net before a3b9c053d82a): with VERSION_1 and without MRG_RXBUF, num_buffers is
 * left 0 instead of 1.
 */
export const rxNumBuffersZero: DeviceMutant = {
  id: 'device.datapath.rx-num-buffers-zero',
  title: 'Leaves num_buffers 0 without MRG_RXBUF',
  imitates: 'D14',
  killedBy: ['datapath.device.rx-num-buffers'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:rx-num-buffers-zero',
    tamper: (device) =>
      patchRxHeader(device, (rx, original, chain) => {
        if (!rx.n.mrgRxbuf) rx.hdr.numBuffers = 0;
        original(chain);
      }),
  }),
};

/**
 * Mergeable receive with num_buffers one higher than the buffers used: Linux then takes the next
 * packet's first buffer as a continuation (linux-driver-facts §3.2, compare D5 and R12).
 */
export const rxNumBuffersOffByOne: DeviceMutant = {
  id: 'device.datapath.rx-num-buffers-off-by-one',
  title: 'Writes num_buffers one higher than the buffers a mergeable packet used',
  imitates: 'R12 (num_buffers accounting), seen from the device',
  killedBy: ['datapath.device.rx-num-buffers'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:rx-num-buffers-off-by-one',
    tamper: (device) =>
      patchRxHeader(device, (rx, original, chain) => {
        if (rx.n.mrgRxbuf) rx.hdr.numBuffers += 1;
        original(chain);
      }),
  }),
};

/**
 * Bug D2 (CVE-2015-7295): without MRG_RXBUF a frame that does not fit the next buffer is spread
 * over as many buffers as it takes.
 */
export const rxSpreadWithoutMrg: DeviceMutant = {
  id: 'device.datapath.rx-spread-without-mrg',
  title: 'Spreads a frame too big for one buffer over several without MRG_RXBUF',
  imitates: 'D2',
  killedBy: ['datapath.device.rx-oversize-no-mrg'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:rx-spread-without-mrg',
    tamper: (device) =>
      onActivate(device, ({ rx }) => {
        const single = rx.placeSingle.bind(rx);
        rx.placeSingle = (queue: DeviceQueue, index: number, frame: Uint8Array) => {
          const outcome = single(queue, index, frame) as RxOutcome;
          return outcome.kind === 'dropped' && outcome.reason === 'buffer-too-small' ? rx.placeMergeable(queue, index, frame) : outcome;
        };
      }),
  }),
};

/**
 * Bug D22 (Firecracker #4659): checksum offload applied from the offer, not the negotiation —
 * DATA_VALID on every packet whether or not the driver accepted GUEST_CSUM.
 */
export const rxDataValidWithoutGuestCsum: DeviceMutant = {
  id: 'device.datapath.rx-data-valid-without-guest-csum',
  title: 'Sets DATA_VALID on received packets without GUEST_CSUM',
  imitates: 'D22',
  killedBy: ['datapath.device.rx-offload-flags'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:rx-data-valid-without-guest-csum',
    tamper: (device) =>
      patchRxHeader(device, (rx, original, chain) => {
        rx.hdr.flags |= 2;
        original(chain);
      }),
  }),
};

/** Bug D22: TSO segments delivered as GSO_TCPV4 to a driver that did not accept GUEST_TSO4. */
export const rxGsoNotNegotiated: DeviceMutant = {
  id: 'device.datapath.rx-gso-not-negotiated',
  title: 'Delivers TCPv4 GSO packets without GUEST_TSO4',
  imitates: 'D22',
  killedBy: ['datapath.device.rx-offload-flags'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:rx-gso-not-negotiated',
    tamper: (device) =>
      patchRxHeader(device, (rx, original, chain) => {
        if (!rx.n.guestTso4) {
          rx.hdr.gsoType = 1;
          rx.hdr.gsoSize = 1448;
          if (rx.n.guestCsum) {
            rx.hdr.flags |= 1;
            rx.hdr.csumStart = 34;
            rx.hdr.csumOffset = 16;
          }
        }
        original(chain);
      }),
  }),
};

/**
 * Bug D13 (cloud-hypervisor 2a089db26): transmit buffers returned with used len = the bytes read,
 * where no byte was written.
 */
export const txUsedLenNonzero: DeviceMutant = {
  id: 'device.datapath.tx-used-len-nonzero',
  title: 'Returns transmit buffers with used len = the readable length',
  imitates: 'D13',
  killedBy: ['datapath.device.tx-used-len'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:tx-used-len-nonzero',
    tamper: (device) =>
      patchTxHandle(device, (_tx, original, queue, queueIndex, chain) => {
        const q = queue as DeviceQueue & { push(chain: DeviceChain, len: number): void };
        const push = q.push;
        q.push = (c: DeviceChain) => push.call(q, c, c.readableBytes);
        try {
          original(queue, queueIndex, chain);
        } finally {
          delete (q as { push?: unknown }).push;
        }
      }),
  }),
};

/** A receive filter that compares the destination with the device's MAC only, so broadcast (ARP) never arrives. */
export const rxDropsBroadcast: DeviceMutant = {
  id: 'device.datapath.rx-drops-broadcast',
  title: 'Drops broadcast frames',
  imitates: 'an exact-match MAC filter without broadcast (breaks ARP)',
  killedBy: ['datapath.device.rx-wanted-frames'],
  role: 'device',
  adapter: referenceDeviceAdapter({
    name: 'mutant:rx-drops-broadcast',
    tamper: (device) => {
      const net = device.net;
      const receive = net.receive.bind(net);
      net.receive = (frame: Uint8Array, meta: RxFrameMeta): RxOutcome =>
        frame.subarray(0, 6).every((b) => b === 0xff)
          ? { kind: 'dropped', reason: 'filtered', queue: -1, clause: null, message: 'broadcast filtered' }
          : receive(frame, meta);
    },
  }),
};

/** The data-path device mutants. */
export const deviceDatapathMutants: readonly DeviceMutant[] = [
  rxNumBuffersZero,
  rxNumBuffersOffByOne,
  rxSpreadWithoutMrg,
  rxDataValidWithoutGuestCsum,
  rxGsoNotNegotiated,
  txUsedLenNonzero,
  rxDropsBroadcast,
];
