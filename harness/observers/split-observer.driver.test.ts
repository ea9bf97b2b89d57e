import { describe, expect, test } from 'vitest';
import { SplitRingObserver } from './split-observer.js';
import { F_EVENT_IDX, F_INDIRECT_DESC, F_IN_ORDER, INDIRECT, NEXT, SplitRingImage, WRITE } from './fixtures/split-ring-image.js';
import { violationKeys } from './fixtures/findings.js';

function setup(q = 4, features = 0n, extra: object = {}) {
  const img = new SplitRingImage(q);
  const obs = new SplitRingObserver(img.reader, img.options(features, extra));
  return { img, obs };
}

describe('split observer: driver rules', () => {
  test('a well-formed publish, use and reuse cycle reports nothing', () => {
    const { img, obs } = setup();
    img.desc(0, img.bufAddr(0), 64, NEXT, 1);
    img.desc(1, img.bufAddr(1), 128, WRITE);
    img.publish(0);
    obs.onDriverNotify();
    obs.afterDriverStep();
    img.use(0, 100);
    obs.onUsedBufferNotification();
    obs.afterDeviceStep();
    img.desc(0, img.bufAddr(2), 32, 0);
    img.publish(0);
    obs.onDriverNotify();
    obs.afterDriverStep();
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingHeads).toEqual([0]);
  });

  test('ring.split.avail-idx-advance: more than Q outstanding, or a decrement', () => {
    const { img, obs } = setup(4);
    for (let i = 0; i < 4; i++) img.simpleChain(i, 8, false);
    img.setAvailIdx(5);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.avail-idx-advance split.avail.driver.1 driver']);
    expect(obs.desynchronized).toBe(true);

    const b = setup(4);
    b.img.simpleChain(0, 8, false);
    b.img.publish(0);
    b.obs.checkpoint('driver');
    b.img.setAvailIdx(0);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.avail-idx-advance split.avail.driver.1 driver']);
  });

  test('ring.split.avail-idx-advance: exactly Q outstanding is fine', () => {
    const { img, obs } = setup(4);
    for (let i = 0; i < 4; i++) img.simpleChain(i, 8, false);
    img.publish(0, 1, 2, 3);
    obs.checkpoint('driver');
    expect(obs.findings).toEqual([]);
  });

  test('ring.split.chain-next-in-range: head or next outside the table', () => {
    const a = setup(4);
    a.img.publish(9);
    a.obs.checkpoint('driver');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.chain-next-in-range split.indirect.driver.3 driver']);

    const b = setup(4);
    b.img.desc(0, b.img.bufAddr(0), 8, NEXT, 7);
    b.img.publish(0);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.chain-next-in-range split.indirect.driver.3 driver']);
  });

  test('ring.split.chain-no-loop: a loop, and a total of 2^32 bytes', () => {
    const a = setup(4);
    a.img.desc(0, a.img.bufAddr(0), 8, NEXT, 1);
    a.img.desc(1, a.img.bufAddr(1), 8, NEXT, 0);
    a.img.publish(0);
    a.obs.checkpoint('driver');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.chain-no-loop split.desc.driver.1 driver']);

    const b = setup(4);
    b.img.desc(0, b.img.bufAddr(0), 0x80000000, WRITE | NEXT, 1);
    b.img.desc(1, b.img.bufAddr(1), 0x80000000, WRITE);
    b.img.publish(0);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.chain-no-loop split.desc.driver.1 driver']);
  });

  test('ring.split.chain-length: indirect entries count towards Q', () => {
    const { img, obs } = setup(4, F_INDIRECT_DESC);
    const table = 0x4000;
    for (let j = 0; j < 4; j++) img.indirectEntry(table, j, img.bufAddr(j), 8, j < 3 ? NEXT : 0, j + 1);
    img.desc(0, table, 64, INDIRECT);
    img.publish(0);
    obs.checkpoint('driver');
    expect(obs.findings).toEqual([]);

    const b = setup(4, F_INDIRECT_DESC);
    for (let j = 0; j < 4; j++) b.img.indirectEntry(table, j, b.img.bufAddr(j), 8, j < 3 ? NEXT : 0, j + 1);
    b.img.desc(0, b.img.bufAddr(0), 8, NEXT, 1);
    b.img.desc(1, table, 64, INDIRECT);
    b.img.publish(0);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.chain-length split.indirect.driver.3 driver']);
  });

  test('ring.split.readable-before-writable', () => {
    const { img, obs } = setup();
    img.desc(0, img.bufAddr(0), 8, WRITE | NEXT, 1);
    img.desc(1, img.bufAddr(1), 8, 0);
    img.publish(0);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.readable-before-writable framing.driver.1 driver']);
  });

  test('ring.split.indirect-negotiated, -no-next, -not-nested, -table-len', () => {
    const table = 0x4000;
    const a = setup(4);
    a.img.indirectEntry(table, 0, a.img.bufAddr(0), 8, 0);
    a.img.desc(0, table, 16, INDIRECT);
    a.img.publish(0);
    a.obs.checkpoint('driver');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.indirect-negotiated split.indirect.driver.1 driver']);

    const b = setup(4, F_INDIRECT_DESC);
    b.img.indirectEntry(table, 0, b.img.bufAddr(0), 8, 0);
    b.img.desc(0, table, 16, INDIRECT | NEXT, 1);
    b.img.simpleChain(1, 8, true);
    b.img.publish(0);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.indirect-no-next split.indirect.driver.4 driver']);

    const c = setup(4, F_INDIRECT_DESC);
    c.img.indirectEntry(table, 0, 0x5000, 16, INDIRECT);
    c.img.desc(0, table, 16, INDIRECT);
    c.img.publish(0);
    c.obs.checkpoint('driver');
    expect(violationKeys(c.obs.findings)).toEqual(['ring.split.indirect-not-nested split.indirect.driver.2 driver']);

    const d = setup(4, F_INDIRECT_DESC);
    d.img.indirectEntry(table, 0, d.img.bufAddr(0), 8, 0);
    d.img.desc(0, table, 24, INDIRECT);
    d.img.publish(0);
    d.obs.checkpoint('driver');
    expect(violationKeys(d.obs.findings)).toEqual(['ring.split.indirect-table-len split.indirect.driver.3 driver']);
  });

  test('direct descriptors ending in one indirect descriptor are accepted (split.indirect.device.2 layout)', () => {
    const { img, obs } = setup(8, F_INDIRECT_DESC);
    const table = 0x4000;
    img.indirectEntry(table, 0, img.bufAddr(5), 8, NEXT, 1);
    img.indirectEntry(table, 1, img.bufAddr(6), 32, WRITE);
    img.desc(0, img.bufAddr(0), 8, NEXT, 1);
    img.desc(1, table, 32, INDIRECT | WRITE);
    img.publish(0);
    obs.checkpoint('driver');
    img.use(0, 32);
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
  });

  test('ring.split.in-order-next: table and indirect entries in sequence', () => {
    const a = setup(4, F_IN_ORDER);
    a.img.desc(3, a.img.bufAddr(3), 8, NEXT, 0);
    a.img.simpleChain(0, 8, true);
    a.img.publish(3);
    a.obs.checkpoint('driver');
    expect(a.obs.findings).toEqual([]);

    const b = setup(4, F_IN_ORDER);
    b.img.desc(0, b.img.bufAddr(0), 8, NEXT, 2);
    b.img.simpleChain(2, 8, true);
    b.img.publish(0);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.in-order-next split.desc.driver.2 driver']);

    const c = setup(4, F_IN_ORDER | F_INDIRECT_DESC);
    const table = 0x4000;
    c.img.indirectEntry(table, 0, c.img.bufAddr(0), 8, NEXT, 2);
    c.img.indirectEntry(table, 1, c.img.bufAddr(1), 8, 0);
    c.img.indirectEntry(table, 2, c.img.bufAddr(2), 8, 0);
    c.img.desc(0, table, 48, INDIRECT);
    c.img.publish(0);
    c.obs.checkpoint('driver');
    expect(violationKeys(c.obs.findings)).toEqual(['ring.split.in-order-next split.indirect.driver.5 driver']);
  });

  test('ring.split.published-unchanged: descriptors written after the index (per-write checkpoints)', () => {
    const { img, obs } = setup();
    img.simpleChain(0, 8, false);
    img.publish(0); // index written before the real descriptor contents below
    obs.checkpoint('driver');
    img.desc(0, img.bufAddr(3), 64, WRITE);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.published-unchanged split.op.driver.4 driver']);
  });

  test('ring.split.published-unchanged: descriptors written before the index pass at the same granularity', () => {
    const { img, obs } = setup();
    img.simpleChain(0, 8, false);
    obs.checkpoint('driver');
    img.desc(0, img.bufAddr(3), 64, WRITE);
    obs.checkpoint('driver');
    img.setAvailRing(0, 0);
    obs.checkpoint('driver');
    img.publish();
    img.availIdx = 1;
    img.setAvailIdx(1);
    obs.checkpoint('driver');
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingHeads).toEqual([0]);
  });

  test('ring.split.published-unchanged: avail slot rewritten while unread; reused descriptor', () => {
    const { img, obs } = setup(2);
    img.simpleChain(0, 8, false);
    img.simpleChain(1, 8, false);
    img.publish(0, 1);
    obs.checkpoint('driver');
    img.setAvailRing(0, 1);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.published-unchanged split.avail.driver.1 driver']);

    const b = setup(4);
    b.img.desc(0, b.img.bufAddr(0), 8, NEXT, 1);
    b.img.simpleChain(1, 8, false);
    b.img.publish(0);
    b.obs.checkpoint('driver');
    b.img.publish(1);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.published-unchanged split.avail.driver.1 driver']);
  });

  test('an avail slot may be rewritten once a chain published at or after it was used', () => {
    const { img, obs } = setup(2);
    img.simpleChain(0, 8, false);
    img.simpleChain(1, 8, false);
    img.publish(0, 1);
    obs.checkpoint('driver');
    img.use(1, 0); // out of order: entry 1 done, so entry 0 was read as well
    obs.checkpoint('device');
    img.simpleChain(1, 8, false);
    img.publish(1); // overwrites avail->ring[0] while chain 0 is still outstanding
    obs.checkpoint('driver');
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingHeads).toEqual([0, 1]);
  });

  test('ring.split.avail-flags: 0/1 without EVENT_IDX, 0 with it', () => {
    const a = setup(4);
    a.img.setAvailFlags(1);
    a.obs.checkpoint('driver');
    expect(a.obs.findings).toEqual([]);
    a.img.setAvailFlags(2);
    a.obs.checkpoint('driver');
    a.obs.checkpoint('driver');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.avail-flags split.usupp.driver.1 driver']);

    const b = setup(4, F_EVENT_IDX);
    b.img.setAvailFlags(1);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.avail-flags split.usupp.driver.3 driver']);
  });

  test('ring.split.used-flags-zeroed: checked at queue enable only', () => {
    const img = new SplitRingImage(4);
    img.setUsedFlags(1);
    const obs = new SplitRingObserver(img.reader, img.options());
    expect(violationKeys(obs.findings)).toEqual(['ring.split.used-flags-zeroed split.asupp.driver.1 driver']);
    const late = new SplitRingObserver(img.reader, img.options(0n, { atQueueEnable: false }));
    expect(late.findings).toEqual([]);
  });

  test('a driver-side change to a read-only buffer is not blamed on the device', () => {
    const { img, obs } = setup();
    img.simpleChain(0, 8, false);
    img.publish(0);
    obs.checkpoint('driver');
    img.mem[img.bufAddr(0)] = 0x55;
    obs.checkpoint('driver');
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
  });
});
