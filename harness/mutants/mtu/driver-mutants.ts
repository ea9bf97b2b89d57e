/**
 * Driver mutants of the MTU area: the reference front end getting VIRTIO_NET_F_MTU or the frame
 * and buffer sizes it implies wrong.
 *
 * @module
 */

import { featureWord } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MTU } from '../../../specs/features/net.js';
import { makeSkb } from '../../../reference-impl/frontend/virtio-net/skb.js';
import { RxBufferPool } from '../../../reference-impl/frontend/virtio-net/rx-buffers.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { DriverMutant } from '../mutant.js';
import { shimmedDriverAdapter } from '../negotiation/register-shim.js';

const MTU_BIT = 1 << VIRTIO_NET_F_MTU;

/**
 * Keeps VIRTIO_NET_F_MTU whatever mtu the device shows: the front end clears it for an mtu below
 * 68 and writes its features again, and the shim puts the bit back.
 */
export const keepsInvalidMtu: DriverMutant = {
  id: 'driver.mtu.keeps-invalid-mtu',
  title: 'accepts VIRTIO_NET_F_MTU with an mtu below 68',
  role: 'driver',
  killedBy: ['mtu.driver.rejects-invalid-mtu'],
  imitates: 'R6: a driver without the range check of fe36cbe0671e "virtio_net: clear MTU when out of range"',
  adapter: shimmedDriverAdapter('driver.mtu.keeps-invalid-mtu', () => ({
    async driverFeatureWrite(select, value, io) {
      const offered = featureWord(await io.readDeviceFeatures(), 0);
      await io.writeDriverFeatureWord(select, select === 0 && (offered & MTU_BIT) !== 0 ? (value | MTU_BIT) >>> 0 : value);
    },
  })),
};

/** Never accepts VIRTIO_NET_F_MTU (`net.cfg.driver.7`), as a driver without MTU support would. */
export const ignoresMtu: DriverMutant = {
  id: 'driver.mtu.ignores-mtu',
  title: 'leaves VIRTIO_NET_F_MTU out of its features',
  role: 'driver',
  killedBy: ['mtu.driver.accepts-mtu'],
  adapter: shimmedDriverAdapter('driver.mtu.ignores-mtu', () => ({
    async driverFeatureWrite(select, value, io) {
      await io.writeDriverFeatureWord(select, select === 0 ? (value & ~MTU_BIT) >>> 0 : value);
    },
  })),
};

/** Appends a 4-byte frame check sequence to every frame it sends, pushing an mtu + 14 frame past the limit (`net.cfg.driver.9`). */
export const appendsFcs: DriverMutant = {
  id: 'driver.mtu.appends-fcs',
  title: 'appends 4 bytes of FCS to every transmitted frame',
  role: 'driver',
  killedBy: ['mtu.driver.tx-within-mtu'],
  imitates: 'NIC drivers that hand the wire frames with the CRC still attached',
  adapter: referenceDriverAdapter({
    name: 'driver.mtu.appends-fcs',
    tamper(frontEnd) {
      const xmit = frontEnd.netdev.xmit.bind(frontEnd.netdev);
      frontEnd.netdev.xmit = (skb) => {
        const grown = new Uint8Array(skb.data.length + 4);
        grown.set(skb.data);
        return xmit(makeSkb(grown));
      };
    },
  }),
};

/**
 * Posts big-mode receive buffers of one page whatever the mtu, so that a jumbo frame finds no
 * room (`net.cfg.driver.8`).
 */
export const smallRxBuffers: DriverMutant = {
  id: 'driver.mtu.small-rx-buffers',
  title: 'sizes big-mode receive buffers for one page whatever the mtu',
  role: 'driver',
  killedBy: ['mtu.driver.rx-buffers-fit-mtu'],
  imitates: 'big-mode buffer sizing not following the device mtu (see 4959aebba8c0 "virtio_net: use mtu size as buffer length for big packets")',
  adapter: referenceDriverAdapter({
    name: 'driver.mtu.small-rx-buffers',
    tamper(frontEnd) {
      const vi = frontEnd.vi;
      if (vi.rxMode !== 'big') return;
      for (const rq of vi.rq) rq.pool = new RxBufferPool(vi.allocator, 'big', vi.hdrLen, 1);
    },
  }),
};

/** Every driver mutant of this area. */
export const driverMutants: readonly DriverMutant[] = [keepsInvalidMtu, ignoresMtu, appendsFcs, smallRxBuffers];
