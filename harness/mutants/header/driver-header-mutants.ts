/**
 * Driver mutants of the header area: a transmit header of the wrong length and receive buffers
 * too small for what they must hold.
 *
 * @module
 */

import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { DriverMutant } from '../mutant.js';
import { vi } from './seams.js';

/**
 * A driver that builds transmit packets with the legacy 10-byte header on a VERSION_1 device (the
 * pre-1.0 layout without `num_buffers`), so the device reads the first two frame bytes as header.
 */
export const txTenByteHeader: DriverMutant = {
  id: 'driver.header.tx-10-byte-header',
  title: 'Writes 10-byte transmit headers where 12 (or more) were negotiated',
  imitates: 'legacy header layout on a modern device (compare D7 on the driver side)',
  killedBy: ['header.driver.tx-header-length'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mutant:tx-10-byte-header',
    tamper: (frontEnd) => {
      const info = vi(frontEnd);
      info.hdrLen = 10;
    },
  }),
};

/**
 * A driver that posts mergeable receive buffers of 8 bytes, smaller than any header
 * (`net.rxbuf.driver.3`).
 */
export const rxTinyMergeableBuffers: DriverMutant = {
  id: 'driver.header.rx-buffers-below-header',
  title: 'Posts mergeable receive buffers smaller than the header',
  imitates: 'a mergeable buffer length computed without the header (compare R15)',
  killedBy: ['header.driver.rx-buffer-holds-header'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mutant:rx-buffers-below-header',
    tamper: (frontEnd) => {
      for (const rq of vi(frontEnd).rq) {
        const vq = rq.vq;
        const addInbuf = vq.addInbuf.bind(vq);
        vq.addInbuf = (addr, len, token) => addInbuf(addr, Math.min(len, 8), token);
      }
    },
  }),
};

/**
 * A driver that posts 1000-byte receive buffers without MRG_RXBUF, too small for a 1514-byte
 * frame and its header (`net.rxbuf.driver.2`), the way a driver sized for a small MTU would.
 */
export const rxSmallBuffers: DriverMutant = {
  id: 'driver.header.rx-buffers-below-frame',
  title: 'Posts 1000-byte receive buffers without MRG_RXBUF',
  imitates: 'receive buffers sized without the header or for a smaller MTU',
  killedBy: ['header.driver.rx-buffer-holds-packet'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mutant:rx-buffers-below-frame',
    tamper: (frontEnd) => {
      for (const rq of vi(frontEnd).rq) {
        const vq = rq.vq;
        const addInbuf = vq.addInbuf.bind(vq);
        vq.addInbuf = (addr, len, token) => addInbuf(addr, Math.min(len, 1000), token);
        const add = vq.add.bind(vq);
        // Big mode stages several segments: cap the whole buffer at 1000 bytes.
        vq.add = (token) => {
          const st = vq.stage as unknown as { inCount: number; inLen: Uint32Array };
          let room = 1000;
          for (let i = 0; i < st.inCount; i++) {
            const len = Math.min(st.inLen[i] as number, Math.max(1, room));
            st.inLen[i] = len;
            room -= len;
          }
          return add(token);
        };
      }
    },
  }),
};

/** The header area's driver mutants. */
export const driverHeaderMutants: readonly DriverMutant[] = [txTenByteHeader, rxTinyMergeableBuffers, rxSmallBuffers];
