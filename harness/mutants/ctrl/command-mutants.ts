/**
 * Device mutants that get the effect of a control command wrong: config space not updated,
 * announcements never cleared, queue pairs or RSS tables ignored, coalescing parameters applied
 * to the wrong queues or accepted for queues that do not exist, hashes reported unasked.
 *
 * @module
 */

import { queuePairCount } from '../../../specs/net/queues.js';
import { VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import type { DeviceMutant } from '../mutant.js';
import { ctrlMutantAdapter, frameDigest, overridePort } from './device-seams.js';

const OK = { kind: 'ack', ack: VIRTIO_NET_OK } as const;
const ERR = { kind: 'ack', ack: VIRTIO_NET_ERR } as const;

/** Takes the new MAC for filtering but leaves config `mac` as it was. */
export const macAddrConfigStale: DeviceMutant = {
  id: 'device.ctrl.mac-addr-set-config-stale',
  title: 'acknowledges MAC_ADDR_SET and filters on the new address, but config mac keeps the old one',
  imitates: 'a device that updates its filter but not config space, so a driver re-reading mac (Linux at probe without F_MAC) sees the old address',
  killedBy: ['ctrl.device.mac-addr-set-updates-config'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'mac-addr-set-config-stale',
    command: (k, c, _p, next) => {
      const out = next();
      if (k !== 1 || c !== 1 || out.kind !== 'ack') return out;
      const { configEffect: _dropped, ...rest } = out;
      return rest;
    },
  }),
};

/** Announces at DRIVER_OK (as after a migration) and acknowledges ANNOUNCE_ACK without clearing the bit. */
export const announceNeverCleared: DeviceMutant = {
  id: 'device.ctrl.announce-ack-ignored',
  title: 'sets VIRTIO_NET_S_ANNOUNCE at DRIVER_OK and answers ANNOUNCE_ACK with VIRTIO_NET_OK without clearing it',
  imitates: 'a device that keeps asking for announcements: the driver re-announces on every config change',
  killedBy: ['ctrl.device.announce-ack-clears-status'],
  role: 'device',
  adapter: ctrlMutantAdapter({ name: 'announce-ack-ignored', config: { announceOnDriverOk: true }, command: (k, _c, _p, next) => (k === 3 ? OK : next()) }),
};

/** Steers over every pair it has, from reset on, whatever VQ_PAIRS_SET said. */
export const mqSpreadsOverAllPairs: DeviceMutant = {
  id: 'device.ctrl.mq-spreads-over-all-pairs',
  title: 'spreads received flows over all max_virtqueue_pairs pairs from reset on, ignoring VQ_PAIRS_SET',
  imitates: 'D18: a device whose queue-pair state does not follow VQ_PAIRS_SET (mlx5 vDPA, cloud-hypervisor)',
  killedBy: ['ctrl.device.mq-steering-within-pairs'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'mq-spreads-over-all-pairs',
    port: (port, features, config) => {
      const pairs = queuePairCount(features, config.maxVirtqueuePairs);
      return overridePort(port, { activePairs: () => pairs, steer: (frame) => ({ queuePair: frameDigest(frame) % pairs }) });
    },
  }),
};

/** Refuses every VQ_PAIRS_SET. */
export const vqPairsSetRefused: DeviceMutant = {
  id: 'device.ctrl.vq-pairs-set-refused',
  title: 'offers MQ but answers every VQ_PAIRS_SET with VIRTIO_NET_ERR',
  imitates: 'a device offering MQ without implementing it; Linux warns "Fail to set num of queue pairs" and stays on one pair',
  killedBy: ['ctrl.device.mq-steering-within-pairs'],
  role: 'device',
  adapter: ctrlMutantAdapter({ name: 'vq-pairs-set-refused', command: (k, c, _p, next) => (k === 4 && c === 0 ? ERR : next()) }),
};

/** Under RSS, steers by its own hash over the active pairs instead of the indirection table. */
export const rssTableIgnored: DeviceMutant = {
  id: 'device.ctrl.rss-table-ignored',
  title: 'acknowledges RSS_CONFIG but steers by hash modulo the active pairs, not by the indirection table',
  imitates: 'D8: QEMU software RSS steering not bound by the configuration (CVE-2024-6505, f1595ceb9aad)',
  killedBy: ['ctrl.device.rss-steering-within-table'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'rss-table-ignored',
    port: (port) =>
      overridePort(port, {
        steer: (frame) => {
          const d = port.steer(frame);
          return port.rss === null ? d : { ...d, queuePair: frameDigest(frame) % port.activePairs };
        },
      }),
  }),
};

/** Applies VQ_SET to every queue of the named queue's direction. */
export const coalVqSetWholeDirection: DeviceMutant = {
  id: 'device.ctrl.coal-vq-set-whole-direction',
  title: 'applies VQ_SET to every queue of the same direction, as if it were RX_SET / TX_SET',
  imitates: 'a device keeping coalescing parameters per direction only, while claiming VQ_NOTF_COAL',
  killedBy: ['ctrl.device.coal-last-set-wins'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'coal-vq-set-whole-direction',
    command: (k, c, p, next, port) => {
      if (k !== 6 || c !== 2 || p.length < 12) return next();
      const q = (p[0] as number) | ((p[1] as number) << 8);
      return port.handleCommand(6, q % 2 === 0 ? 1 : 0, p.slice(4, 12), 0);
    },
  }),
};

/** Accepts VQ_SET / VQ_GET for any vq_index. */
export const coalAnyQueueAccepted: DeviceMutant = {
  id: 'device.ctrl.coal-any-queue-accepted',
  title: 'answers VQ_SET and VQ_GET with VIRTIO_NET_OK whatever vq_index names',
  imitates: 'D17: per-queue state indexed by a driver-supplied index without a bounds check (cloud-hypervisor 082fdc4d0)',
  killedBy: ['ctrl.device.coal-bad-queue-err'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'coal-any-queue-accepted',
    command: (k, c, _p, next) => {
      const out = next();
      if (k !== 6 || (c !== 2 && c !== 3) || out.kind !== 'ack' || out.ack === VIRTIO_NET_OK) return out;
      return c === 3 ? { kind: 'ack', ack: VIRTIO_NET_OK, result: new Uint8Array(8) } : OK;
    },
  }),
};

/** Reports a hash on every frame, configured or not. */
export const hashReportedUnconfigured: DeviceMutant = {
  id: 'device.ctrl.hash-reported-unconfigured',
  title: 'fills hash_value and hash_report (IPv4) in every received header, before any hash configuration',
  imitates: 'a device that starts with every hash type enabled instead of none',
  killedBy: ['ctrl.device.hash-config'],
  role: 'device',
  adapter: ctrlMutantAdapter({
    name: 'hash-reported-unconfigured',
    port: (port) =>
      overridePort(port, {
        steer: (frame) => {
          const d = port.steer(frame);
          return d.hash !== undefined ? d : { ...d, hash: { value: frameDigest(frame), report: 1 } };
        },
      }),
  }),
};

/** Refuses HASH_CONFIG. */
export const hashConfigRefused: DeviceMutant = {
  id: 'device.ctrl.hash-config-refused',
  title: 'offers HASH_REPORT but answers every HASH_CONFIG with VIRTIO_NET_ERR',
  imitates: 'a device reporting hashes with RSS only; Linux 6.1 then fails to enable RXHASH',
  killedBy: ['ctrl.device.hash-config'],
  role: 'device',
  adapter: ctrlMutantAdapter({ name: 'hash-config-refused', command: (k, c, _p, next) => (k === 4 && c === 2 ? ERR : next()) }),
};
