/**
 * The split observer on queues whose avail.idx is not a multiple of the
 * queue size when it attaches: a queue started near 65535, and a running
 * queue attached mid-lap (`atQueueEnable: false`). Avail entry e after the
 * attach point lives in avail->ring[(idx at attach + e) mod Q]; a rewrite of
 * an unread entry must still be caught there (split.avail.driver.1), and
 * the entries the driver did not touch must not be reported.
 */
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { SplitRingObserver } from './split-observer.js';
import { F_EVENT_IDX, SplitRingImage } from './fixtures/split-ring-image.js';
import { violationKeys } from './fixtures/findings.js';

/** A ring whose free-running indices both start at `start` (the device has used everything). */
function startedAt(q: number, start: number, features = 0n, extra: object = {}) {
  const img = new SplitRingImage(q);
  img.availIdx = img.usedIdx = start & 0xffff;
  img.setAvailIdx(start);
  img.setUsedIdx(start);
  const obs = new SplitRingObserver(img.reader, img.options(features, extra));
  return { img, obs };
}

const REWRITE = 'ring.split.published-unchanged split.avail.driver.1 driver';

describe('split observer: avail.idx not a multiple of Q at attach', () => {
  test('starting at 65535, two publishes with a checkpoint after each cross the wrap with no finding', () => {
    const { img, obs } = startedAt(4, 65535);
    img.simpleChain(0, 8, false);
    img.simpleChain(1, 8, true);
    img.publish(0); // avail->ring[3], idx 0
    obs.checkpoint('driver');
    img.publish(1); // avail->ring[0], idx 1
    obs.checkpoint('driver');
    obs.onDriverNotify();
    obs.afterDriverStep();
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingHeads).toEqual([0, 1]);
    img.use(0, 0);
    img.use(1, 8);
    obs.onUsedBufferNotification();
    obs.afterDeviceStep();
    for (let round = 0; round < 5; round++) {
      img.publish(0, 1);
      obs.checkpoint('driver');
      img.use(1, 4);
      img.use(0, 0);
      obs.checkpoint('device');
    }
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingHeads).toEqual([]);
  });

  test('starting at 65534, a rewrite of the unread entry in avail->ring[3] is reported, once', () => {
    const { img, obs } = startedAt(4, 65534);
    for (let i = 0; i < 3; i++) img.simpleChain(i, 8, false);
    img.publish(0, 1); // avail->ring[2], avail->ring[3]
    obs.checkpoint('driver');
    expect(obs.findings).toEqual([]);
    img.setAvailRing(3, 2);
    obs.checkpoint('driver');
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual([REWRITE]);
    expect(obs.findings[0]).toMatchObject({ observed: expect.stringContaining('avail->ring[3] changed from 1 to 2') });
  });

  test('attached to a running queue mid-lap (atQueueEnable: false): follows it, and still catches a rewrite', () => {
    // The queue ran three buffers (avail.idx = used.idx = 3); the stale avail entries and used.flags
    // NO_NOTIFY are left over from that run.
    const img = new SplitRingImage(4);
    for (let i = 0; i < 3; i++) img.simpleChain(i, 8, true);
    img.publish(0, 1, 2);
    img.use(0, 8);
    img.use(1, 8);
    img.use(2, 8);
    img.setUsedFlags(1);
    const obs = new SplitRingObserver(img.reader, img.options(0n, { atQueueEnable: false }));
    img.publish(2); // avail->ring[3]
    obs.checkpoint('driver');
    img.publish(0, 1); // avail->ring[0], avail->ring[1]
    obs.checkpoint('driver');
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingHeads).toEqual([2, 0, 1]);
    img.use(0, 4);
    obs.checkpoint('device');
    expect(obs.outstandingHeads).toEqual([2, 1]);
    img.setAvailRing(1, 2); // entry of chain 1, published after chain 0: the device need not have read it
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual([REWRITE]);
    expect(obs.findings[0]).toMatchObject({ observed: expect.stringContaining('avail->ring[1]') });
  });

  test('attached to a running queue with EVENT_IDX: notification windows start at the attach point', () => {
    const img = new SplitRingImage(8);
    img.availIdx = img.usedIdx = 13;
    img.setAvailIdx(13);
    img.setUsedIdx(13);
    img.setAvailEvent(13);
    const obs = new SplitRingObserver(img.reader, img.options(F_EVENT_IDX, { atQueueEnable: false }));
    img.simpleChain(5, 8, false);
    img.publish(5); // avail->ring[5], passes avail_event 13
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.driver-notify-event-idx split.asupp.driver.6 driver']);
  });

  test.prop([
    fc.constantFrom(1, 2, 4, 8, 16),
    fc.integer({ min: 0, max: 0xffff }),
    fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 12 }),
    fc.boolean(),
  ])('any start index, any batches: silent while the driver leaves unread entries alone, and a rewrite of one is caught', (q, start, batches, atQueueEnable) => {
    const { img, obs } = startedAt(q, start, 0n, { atQueueEnable });
    for (let i = 0; i < q; i++) img.simpleChain(i, 8, false);
    for (const b of batches) {
      const n = Math.min(b, q);
      for (let i = 0; i < n; i++) {
        img.publish(i);
        obs.checkpoint('driver');
      }
      for (let i = 0; i < n; i++) img.use(i, 0);
      obs.checkpoint('device');
    }
    expect(obs.findings).toEqual([]);
    // One more full ring, unread: rewrite the last entry (at (idx − 1) mod Q) to a different head.
    for (let i = 0; i < q; i++) img.publish(i);
    obs.checkpoint('driver');
    expect(obs.findings).toEqual([]);
    const lastSlot = (img.availIdx - 1) & (q - 1);
    img.setAvailRing(lastSlot, q === 1 ? 0x10 : 0);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual([REWRITE]);
    expect(obs.findings[0]).toMatchObject({ observed: expect.stringContaining(`avail->ring[${lastSlot}] changed`) });
  });
});
