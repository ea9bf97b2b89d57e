import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask } from '../features/feature-set.js';
import { VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS } from '../features/net.js';
import {
  controlq,
  netQueueRole,
  queuePairCount,
  receiveq,
  rssRqIdToVirtqueue,
  transmitq,
  virtqueueCount,
  virtqueueToRssRqId,
} from './queues.js';

describe('net virtqueue numbering', () => {
  it('matches the spec list for N = 1 and N = 4', () => {
    expect([receiveq(1), transmitq(1), controlq(1)]).toEqual([0, 1, 2]);
    expect([receiveq(4), transmitq(4), controlq(4)]).toEqual([6, 7, 8]);
  });

  it('N = max_virtqueue_pairs with MQ or RSS (defect 9 decision), else 1', () => {
    expect(queuePairCount(0n, 8)).toBe(1);
    expect(queuePairCount(featureMask(VIRTIO_NET_F_MQ), 8)).toBe(8);
    expect(queuePairCount(featureMask(VIRTIO_NET_F_RSS), 8)).toBe(8);
    expect(virtqueueCount(featureMask(VIRTIO_NET_F_RSS, VIRTIO_NET_F_CTRL_VQ), 8)).toBe(17);
    expect(virtqueueCount(0n, 8)).toBe(2);
  });

  test.prop([fc.integer({ min: 1, max: 0x8000 }), fc.boolean()])('netQueueRole inverts the numbering', (n, cvq) => {
    const k = Math.ceil(n / 2);
    expect(netQueueRole(receiveq(k), n, cvq)).toEqual({ kind: 'receiveq', pair: k });
    expect(netQueueRole(transmitq(k), n, cvq)).toEqual({ kind: 'transmitq', pair: k });
    expect(netQueueRole(controlq(n), n, cvq)).toEqual(cvq ? { kind: 'controlq' } : { kind: 'no-such-queue' });
    expect(netQueueRole(controlq(n) + 1, n, cvq)).toEqual({ kind: 'no-such-queue' });
    expect(netQueueRole(-1, n, cvq)).toEqual({ kind: 'no-such-queue' });
  });

  it('rss_rq_id v names virtqueue 2v = receiveq(v + 1)', () => {
    expect(rssRqIdToVirtqueue(0)).toBe(receiveq(1));
    expect(rssRqIdToVirtqueue(3)).toBe(receiveq(4));
    expect(rssRqIdToVirtqueue(0x8003)).toBe(6);
    expect(virtqueueToRssRqId(receiveq(4))).toBe(3);
  });
});
