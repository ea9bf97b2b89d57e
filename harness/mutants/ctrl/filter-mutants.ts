/**
 * Device mutants with a broken receive filter or receive-mode support.
 *
 * @module
 */

import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_VLAN } from '../../../specs/features/net.js';
import { VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import type { DeviceMutant } from '../mutant.js';
import { ctrlMutantAdapter } from './device-seams.js';

const OK = { kind: 'ack', ack: VIRTIO_NET_OK } as const;
const ERR = { kind: 'ack', ack: VIRTIO_NET_ERR } as const;

/** Acknowledges VLAN_ADD without adding the VLAN, so frames of a listed VLAN are dropped. */
export const vlanAddIgnored: DeviceMutant = {
  id: 'device.ctrl.vlan-add-ignored',
  title: 'answers VLAN_ADD with VIRTIO_NET_OK but never puts the VLAN in its table',
  imitates: 'D10: a VLAN table that does not follow what the driver programmed, so listed VLANs are filtered',
  killedBy: ['ctrl.device.filter-delivers-listed'],
  role: 'device',
  adapter: ctrlMutantAdapter({ name: 'vlan-add-ignored', command: (k, c, _p, next) => (k === 2 && c === 0 ? OK : next()) }),
};

/** Applies only the unicast half of MAC_TABLE_SET. */
export const macTableMulticastIgnored: DeviceMutant = {
  id: 'device.ctrl.mac-table-multicast-ignored',
  title: 'answers MAC_TABLE_SET with VIRTIO_NET_OK but keeps its multicast table empty',
  imitates: 'a MAC table update that is acknowledged but not applied before the buffer is used (net.ctrl.mac.device.2)',
  killedBy: ['ctrl.device.filter-delivers-listed'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'mac-table-multicast-ignored',
    command: (k, c, p, next) => {
      if (k !== 1 || c !== 0 || p.length < 4) return next();
      const n = ((p[0] as number) | ((p[1] as number) << 8) | ((p[2] as number) << 16) | ((p[3] as number) << 24)) >>> 0;
      const end = 4 + 6 * n;
      if (end > p.length) return next();
      const rewritten = new Uint8Array(end + 4);
      rewritten.set(p.subarray(0, end));
      return next(rewritten);
    },
  }),
};

/** Acknowledges PROMISC 1 without turning promiscuous mode on. */
export const promiscIgnored: DeviceMutant = {
  id: 'device.ctrl.promisc-on-ignored',
  title: 'answers PROMISC 1 with VIRTIO_NET_OK but keeps filtering',
  imitates: 'a device whose filter has no promiscuous mode; the spec asks for every packet to be delivered (SHOULD)',
  killedBy: ['ctrl.device.rx-mode-delivery'],
  role: 'device',
  adapter: ctrlMutantAdapter({ name: 'promisc-on-ignored', command: (k, c, p, next) => (k === 0 && c === 0 && p[0] === 1 ? OK : next()) }),
};

function isTagged(frame: Uint8Array): boolean {
  return frame[12] === 0x81 && frame[13] === 0x00;
}

/** Filters VLAN-tagged frames whatever was negotiated: the VLAN filter follows the offer. */
export const vlanFilterWithoutFeature: DeviceMutant = {
  id: 'device.ctrl.vlan-filter-without-ctrl-vlan',
  title: 'drops tagged frames of unlisted VLANs even when CTRL_VLAN was offered but not negotiated',
  imitates: 'D10: QEMU 6071d13c6a37, the VLAN filter state followed an earlier feature write rather than the negotiated features',
  killedBy: ['ctrl.device.vlan-unfiltered-without-ctrl-vlan'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'vlan-filter-without-ctrl-vlan',
    port: (port, features) => {
      if (hasFeature(features, VIRTIO_NET_F_CTRL_VLAN)) return port;
      const accepts = port.rxFilterAccepts.bind(port);
      // Without CTRL_VLAN its table can never be filled, so every tagged frame goes.
      port.rxFilterAccepts = (frame, mac) => !isTagged(frame) && accepts(frame, mac);
      return port;
    },
  }),
};

/** Answers ALLMULTI with VIRTIO_NET_ERR although CTRL_RX was negotiated. */
export const allmultiUnsupported: DeviceMutant = {
  id: 'device.ctrl.allmulti-unsupported',
  title: 'refuses ALLMULTI with VIRTIO_NET_ERR although it negotiated CTRL_RX',
  imitates: 'a device implementing PROMISC only; Linux warns "Failed to enable allmulti mode." and multicast stops working',
  killedBy: ['ctrl.device.rx-commands-supported'],
  role: 'device',
  adapter: ctrlMutantAdapter({ name: 'allmulti-unsupported', command: (k, c, _p, next) => (k === 0 && c === 1 ? ERR : next()) }),
};

/** Answers the CTRL_RX_EXTRA modes with VIRTIO_NET_ERR although it negotiated the feature. */
export const rxExtraUnsupported: DeviceMutant = {
  id: 'device.ctrl.rx-extra-unsupported',
  title: 'offers CTRL_RX_EXTRA but refuses ALLUNI, NOMULTI, NOUNI and NOBCAST with VIRTIO_NET_ERR',
  imitates: 'a device that offers CTRL_RX_EXTRA but never implemented commands 2..5 of class VIRTIO_NET_CTRL_RX',
  killedBy: ['ctrl.device.rx-extra-commands-supported'],
  role: 'device',
  adapter: ctrlMutantAdapter({ name: 'rx-extra-unsupported', command: (k, c, _p, next) => (k === 0 && c >= 2 && c <= 5 ? ERR : next()) }),
};
