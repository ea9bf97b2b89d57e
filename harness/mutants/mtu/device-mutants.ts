/**
 * Device mutants of the MTU area: the reference device showing or enforcing the wrong mtu.
 *
 * @module
 */

import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { MTU_FIELD } from '../../scenarios/mtu/mtu-cases.js';
import type { DeviceMutant } from '../mutant.js';

type Device = ReferenceNetDevice<'pci' | 'mmio'>;

/** Makes the config space show `mtu()` in the mtu field (the datapath keeps the configured mtu). */
function showMtu(device: Device, mtu: () => number | null): void {
  const net = device.net;
  const read = net.readConfig.bind(net);
  net.readConfig = (offset, width) => {
    const shown = mtu();
    let value = read(offset, width);
    if (shown === null) return value;
    for (let i = 0; i < width; i++) {
      const k = offset + i - MTU_FIELD.offset;
      if (k < 0 || k > 1) continue;
      const byte = (shown >> (8 * k)) & 0xff;
      value = value - (Math.floor(value / 2 ** (8 * i)) & 0xff) * 2 ** (8 * i) + byte * 2 ** (8 * i);
    }
    return value;
  };
}

/** Makes the datapath enforce `mtu` while config space keeps showing the configured value. */
function enforceMtu(device: Device, mtu: number): void {
  Object.defineProperty(device.net, 'config', { value: Object.freeze({ ...device.net.config, mtu }), configurable: true });
}

function mutant(id: string, title: string, killedBy: DeviceMutant['killedBy'], tamper: (d: Device) => void, imitates?: string): DeviceMutant {
  return { id, title, role: 'device', killedBy, adapter: referenceDeviceAdapter({ name: id, tamper }), ...(imitates === undefined ? {} : { imitates }) };
}

/** Offers F_MTU with mtu 67 (`net.cfg.device.2`): QEMU 7.2 starts with `host_mtu=67` and offers it. */
export const mtuBelowMinimum = mutant('device.mtu.below-minimum', 'offers VIRTIO_NET_F_MTU with mtu 67', ['mtu.device.range'], (d) => showMtu(d, () => 67), 'QEMU 7.2 virtio-net host_mtu=67 (qemu-qtest.md §2.2); bug R6 on the driver side');

/** Offers mtu 576, below the IPv6 minimum (`net.cfg.device.3`). */
export const mtuBelowIpv6Minimum: DeviceMutant = {
  id: 'device.mtu.below-ipv6-minimum',
  title: 'offers VIRTIO_NET_F_MTU with mtu 576',
  role: 'device',
  killedBy: ['mtu.device.recommended-minimum'],
  adapter: referenceDeviceAdapter({ name: 'device.mtu.below-ipv6-minimum', config: { mtu: 576 } }),
};

/** The mtu field moves once the device is live (`net.cfg.device.4`). */
export const mtuChangesWhenLive = mutant(
  'device.mtu.changes-when-live',
  'shows another mtu after DRIVER_OK',
  ['mtu.device.unchanging'],
  (d) => {
    let live = false;
    d.events.subscribe((e) => {
      if (e.kind === 'activated') live = true;
    });
    showMtu(d, () => (live ? d.config.mtu - 100 : null));
  },
  'the MTU TOCTOU Linux guards against in virtnet_probe (411ea23a7652, bug R6)',
);

/** Shows the requested mtu but lets frames up to 65535 + 14 bytes through to the driver (`net.cfg.device.5`). */
export const mtuDeliversOversize = mutant('device.mtu.delivers-oversize', 'delivers received frames longer than mtu + 14', ['mtu.device.rx-within-mtu'], (d) =>
  enforceMtu(d, 65535),
);

/** Shows the requested mtu but drops transmitted frames above 1514 bytes (`net.cfg.device.6`). */
export const mtuTxDropsJumbo = mutant(
  'device.mtu.tx-drops-jumbo',
  'drops transmitted frames above 1500 + 14 bytes whatever mtu it shows',
  ['mtu.device.tx-up-to-mtu'],
  (d) => enforceMtu(d, 1500),
  'a backend with a hard-coded ETH_DATA_LEN behind a larger advertised mtu',
);

/** Every device mutant of this area. */
export const deviceMutants: readonly DeviceMutant[] = [mtuBelowMinimum, mtuBelowIpv6Minimum, mtuChangesWhenLive, mtuDeliversOversize, mtuTxDropsJumbo];
