/**
 * Driver mutants of the reference front end that get control commands wrong: sent without
 * their feature, mis-counted, out of range, with a read-only ack, never sent, or mis-sized.
 *
 * @module
 */

import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_RX } from '../../../specs/features/net.js';
import type { ControlQueue, CtrlOutcome } from '../../../reference-impl/frontend/virtio-net/control-queue.js';
import { rssPayload, virtnetSendCommand, virtnetSetQueues } from '../../../reference-impl/frontend/virtio-net/ctrl-commands.js';
import type { VirtioNetFrontEnd } from '../../../reference-impl/frontend/virtio-net/virtio-net-frontend.js';
import type { DriverVirtqueue } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import { VirtioDriverDevice } from '../../../reference-impl/frontend/virtio/virtio-driver-device.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { DriverMutant } from '../mutant.js';

type Send = ControlQueue['send'];

/** Replaces the front end's `virtnet_send_command` on its control queue. */
function patchSend(fe: VirtioNetFrontEnd, patch: (send: Send, klass: number, command: number, payload: readonly Uint8Array[] | null) => Promise<CtrlOutcome>): void {
  const cvq = fe.vi.cvq;
  if (cvq === null) return;
  const send = cvq.send.bind(cvq);
  cvq.send = (klass, command, payload = null) => patch(send, klass, command, payload);
}

/** Front-end options of mutants that may leave the instrument unable to answer: a short wait. */
const SHORT_WAIT = { control: { pollLimit: 50, timeoutMs: 250 } } as const;

/** Believes CTRL_RX is negotiated whenever the control queue is. */
export const promiscWithoutCtrlRx: DriverMutant = {
  id: 'driver.ctrl.rx-mode-without-ctrl-rx',
  title: 'programs PROMISC, ALLMULTI and the MAC table even when CTRL_RX was not negotiated',
  imitates: 'a driver that tests the offered or assumed features instead of the negotiated ones (the driver-side mirror of D22)',
  killedBy: ['ctrl.driver.gated-commands'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'rx-mode-without-ctrl-rx',
    tamper: (fe) => {
      const vdev = fe.vdev;
      const real = Object.getOwnPropertyDescriptor(VirtioDriverDevice.prototype, 'features')?.get;
      if (real === undefined) return;
      Object.defineProperty(vdev, 'features', { configurable: true, get: () => (real.call(vdev) as bigint) | featureMask(VIRTIO_NET_F_CTRL_RX) });
    },
  }),
};

/** Re-sends the RSS configuration after every channel change, with or without RSS. */
export const rssWithoutRss: DriverMutant = {
  id: 'driver.ctrl.rss-config-without-rss',
  title: 'sends MQ_RSS_CONFIG after every ethtool -L, whether or not RSS was negotiated',
  imitates: 'R4: "virtio_net: Do not send RSS key if it is not supported"; later drivers resync RSS on VQ_PAIRS_SET, here without the has_rss test',
  killedBy: ['ctrl.driver.gated-commands'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'rss-config-without-rss',
    frontEnd: SHORT_WAIT,
    tamper: (fe) => {
      const ethtool = fe.ethtool as { setChannels: VirtioNetFrontEnd['ethtool']['setChannels'] };
      const setChannels = ethtool.setChannels;
      ethtool.setChannels = async (ch) => {
        const err = await setChannels(ch);
        // A one-entry table: an empty one would be a zero-length descriptor, which devices refuse outright (R4).
        const rss = { ...fe.vi.rss, indirectionTable: Uint16Array.of(0), indirectionTableMask: 0, maxTxVq: 1 };
        await virtnetSendCommand(fe.vi, 4, 1, rssPayload(rss, true, 40));
        return err;
      };
    },
  }),
};

/** Writes the unicast count one higher than the entries it sends. */
export const macTableCountOff: DriverMutant = {
  id: 'driver.ctrl.mac-table-count-off-by-one',
  title: 'writes n_unicast + 1 as the unicast count of MAC_TABLE_SET',
  imitates: 'D1 seen from the driver side: a MAC_TABLE_SET count that does not match the entries, which a device must not trust (CVE-2014-0150)',
  killedBy: ['ctrl.driver.mac-table-layout'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mac-table-count-off-by-one',
    tamper: (fe) =>
      patchSend(fe, (send, k, c, p) => {
        if (k !== 1 || c !== 0 || p === null || p[0] === undefined) return send(k, c, p);
        const uc = p[0].slice();
        uc[0] = ((uc[0] as number) + 1) & 0xff;
        return send(k, c, [uc, ...p.slice(1)]);
      }),
  }),
};

/** Passes any channel count to VQ_PAIRS_SET, 0 and more than the maximum included. */
export const vqPairsUnvalidated: DriverMutant = {
  id: 'driver.ctrl.vq-pairs-unvalidated',
  title: 'sends VQ_PAIRS_SET with whatever channel count ethtool asks for, 0 and above max_virtqueue_pairs included',
  imitates: 'D18 from the driver side: VQ_PAIRS_SET 0 or above the maximum, which devices have accepted and crashed on',
  killedBy: ['ctrl.driver.vq-pairs-in-range'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'vq-pairs-unvalidated',
    tamper: (fe) => {
      (fe.ethtool as { setChannels: VirtioNetFrontEnd['ethtool']['setChannels'] }).setChannels = (ch) => virtnetSetQueues(fe.vi, ch.combinedCount);
    },
  }),
};

function readOnlyAck(vq: DriverVirtqueue<number>): DriverVirtqueue<number> {
  const stage = new Proxy(vq.stage, {
    get(target, key) {
      if (key === 'in') return (addr: number, len: number) => target.out(addr, len);
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Proxy(vq, {
    get(target, key) {
      if (key === 'stage') return stage;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Makes the ack byte device-readable. */
export const ackNotWritable: DriverMutant = {
  id: 'driver.ctrl.ack-not-writable',
  title: 'places the ack byte in a device-readable descriptor, leaving the device nowhere to answer',
  imitates: 'a control buffer built with every segment as out (virtqueue_add_outbuf for the whole command)',
  killedBy: ['ctrl.driver.command-framing'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'ack-not-writable',
    frontEnd: SHORT_WAIT,
    tamper: (fe) => {
      const cvq = fe.vi.cvq;
      if (cvq !== null) cvq.vq = readOnlyAck(cvq.vq);
    },
  }),
};

/** Never sends ANNOUNCE_ACK. */
export const announceNeverAcked: DriverMutant = {
  id: 'driver.ctrl.announce-never-acked',
  title: 'notifies its peers on VIRTIO_NET_S_ANNOUNCE but never sends ANNOUNCE_ACK',
  imitates: 'a driver that handles the announcement locally and leaves the device asking (D19 seen from the driver side)',
  killedBy: ['ctrl.driver.announce-acked'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'announce-never-acked',
    tamper: (fe) => patchSend(fe, (send, k, c, p) => (k === 3 ? Promise.resolve({ kind: 'ok', status: 0 }) : send(k, c, p))),
  }),
};

/** Sends the VLAN id as a 32-bit value. */
export const vlanIdAsLe32: DriverMutant = {
  id: 'driver.ctrl.vlan-id-le32',
  title: 'sends the VLAN id of VLAN_ADD / VLAN_DEL as a le32 instead of a le16',
  imitates: 'a driver that declares the vid as u32, four data bytes where the structure has two',
  killedBy: ['ctrl.driver.command-framing'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'vlan-id-le32',
    tamper: (fe) =>
      patchSend(fe, (send, k, c, p) => {
        if (k !== 2 || p === null || p[0] === undefined) return send(k, c, p);
        return send(k, c, [Uint8Array.of(p[0][0] as number, p[0][1] as number, 0, 0)]);
      }),
  }),
};
