/**
 * Driver mutants of the data path: transmit offloads the device never agreed to, and a nonzero
 * transmit `num_buffers`.
 *
 * @module
 */

import { NETIF_F_HW_CSUM, NETIF_F_TSO } from '../../../reference-impl/frontend/virtio-net/features.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import { vi } from '../header/seams.js';
import type { DriverMutant } from '../mutant.js';

/**
 * A driver that advertises hardware checksum to its stack whatever was negotiated, so partial
 * checksums go out with NEEDS_CSUM to a device without CSUM (the transmit mirror of D22).
 */
export const txNeedsCsumWithoutCsum: DriverMutant = {
  id: 'driver.datapath.tx-needs-csum-without-csum',
  title: 'Sends NEEDS_CSUM without VIRTIO_NET_F_CSUM',
  imitates: 'offloads enabled from the offer rather than the negotiation (D22, transmit side)',
  killedBy: ['datapath.driver.tx-offload-flags'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mutant:tx-needs-csum-without-csum',
    tamper: (frontEnd) => {
      vi(frontEnd).dev.features |= NETIF_F_HW_CSUM;
    },
  }),
};

/**
 * A driver that turns TSO on in its stack without HOST_TSO4, so GSO_TCPV4 reaches a device that
 * never agreed to segment.
 */
export const txGsoWithoutHostTso: DriverMutant = {
  id: 'driver.datapath.tx-gso-without-host-tso',
  title: 'Sends GSO_TCPV4 without VIRTIO_NET_F_HOST_TSO4',
  imitates: 'offloads enabled from the offer rather than the negotiation (D22, transmit side)',
  killedBy: ['datapath.driver.tx-offload-flags'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mutant:tx-gso-without-host-tso',
    tamper: (frontEnd) => {
      vi(frontEnd).dev.features |= NETIF_F_TSO;
    },
  }),
};

/** A driver that writes num_buffers = 1 into transmit headers (`net.tx.driver.2`). */
export const txNumBuffersNonzero: DriverMutant = {
  id: 'driver.datapath.tx-num-buffers-nonzero',
  title: 'Writes num_buffers 1 in transmit headers',
  imitates: 'a receive header layout reused for transmit (compare the Linux 6.1 leftover bytes, linux-driver-facts §3.1)',
  killedBy: ['datapath.driver.tx-num-buffers'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mutant:tx-num-buffers-nonzero',
    tamper: (frontEnd) => {
      const info = vi(frontEnd);
      for (const sq of info.sq) {
        const vq = sq.vq;
        const add = vq.add.bind(vq);
        vq.add = (token) => {
          const st = vq.stage as unknown as { outCount: number; outAddr: Float64Array };
          if (st.outCount > 0) info.memory.write16((st.outAddr[0] as number) + 10, 1);
          return add(token);
        };
      }
    },
  }),
};

/**
 * A driver that negotiates MRG_RXBUF but reads every used buffer as a packet of its own,
 * ignoring num_buffers: a merged packet arrives cut short, and its continuation buffers are
 * parsed as packets with a header made of frame bytes (compare R12).
 */
export const rxIgnoresNumBuffers: DriverMutant = {
  id: 'driver.datapath.rx-ignores-num-buffers',
  title: 'Reads every mergeable receive buffer as a whole packet, ignoring num_buffers',
  imitates: 'R12',
  killedBy: ['datapath.driver.rx-merged-packets'],
  role: 'driver',
  adapter: referenceDriverAdapter({
    name: 'mutant:rx-ignores-num-buffers',
    tamper: (frontEnd) => {
      vi(frontEnd).rxMode = 'small';
    },
  }),
};

/** The data-path driver mutants. */
export const driverDatapathMutants: readonly DriverMutant[] = [txNeedsCsumWithoutCsum, txGsoWithoutHostTso, txNumBuffersNonzero, rxIgnoresNumBuffers];
