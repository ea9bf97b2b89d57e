import { describe, expect, test } from 'vitest';
import { SplitRingObserver } from './split-observer.js';
import { F_EVENT_IDX, F_INDIRECT_DESC, F_IN_ORDER, INDIRECT, NEXT, SplitRingImage, WRITE } from './fixtures/split-ring-image.js';
import { violationKeys } from './fixtures/findings.js';

/** A ring with chains 0..n-1 published: chain i is one descriptor of 64 bytes, writable when `writable`. */
function published(n: number, q = 4, features = 0n, writable = true) {
  const img = new SplitRingImage(q);
  const obs = new SplitRingObserver(img.reader, img.options(features));
  for (let i = 0; i < n; i++) img.simpleChain(i, 64, writable);
  img.publish(...Array.from({ length: n }, (_, i) => i));
  obs.checkpoint('driver');
  return { img, obs };
}

describe('split observer: device rules', () => {
  test('out-of-order use and under-reported len are accepted without IN_ORDER', () => {
    const { img, obs } = published(3);
    img.use(2, 10);
    img.use(0, 64);
    obs.checkpoint('device');
    img.use(1, 0);
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingHeads).toEqual([]);
  });

  test('ring.split.used-idx-advance: more entries than outstanding chains', () => {
    const { img, obs } = published(1);
    img.setUsedElem(0, 0, 0);
    img.setUsedElem(1, 0, 0);
    img.setUsedIdx(2);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.used-idx-advance split.used.device.1 device']);
    expect(obs.desynchronized).toBe(true);
  });

  test('ring.split.used-id: an id that is not an outstanding head, and a chain used twice', () => {
    const a = published(2);
    a.img.use(3, 0);
    a.obs.checkpoint('device');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.used-id split.used.device.2 device']);

    const b = published(2);
    b.img.use(0, 0);
    b.img.use(0, 0);
    b.obs.checkpoint('device');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.used-id split.used.device.2 device']);
  });

  test('ring.split.used-len: len above the writable bytes; read-only chain with len 0 passes', () => {
    const { img, obs } = published(2);
    img.use(0, 64);
    img.use(1, 65);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.used-len split.used.device.2 device']);

    const ro = published(1, 4, 0n, false);
    ro.img.use(0, 0);
    ro.obs.checkpoint('device');
    expect(ro.obs.findings).toEqual([]);
  });

  test('ring.split.used-len: writable bytes of an indirect chain are summed', () => {
    const img = new SplitRingImage(4);
    const obs = new SplitRingObserver(img.reader, img.options(F_INDIRECT_DESC));
    const table = 0x4000;
    img.indirectEntry(table, 0, img.bufAddr(4), 10, 0, 1);
    img.indirectEntry(table, 1, img.bufAddr(5), 20, WRITE | NEXT, 2);
    img.indirectEntry(table, 2, img.bufAddr(6), 30, WRITE);
    img.desc(0, table, 48, INDIRECT);
    img.publish(0);
    obs.checkpoint('driver');
    img.use(0, 51);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.used-len split.used.device.2 device']);
  });

  test('ring.split.used-entry-unchanged: len written after used.idx (a used entry published before its length)', () => {
    const { img, obs } = published(2);
    img.setUsedElem(0, 0, 0);
    img.usedIdx = 1;
    img.setUsedIdx(1);
    obs.checkpoint('device');
    img.setUsedElem(0, 0, 48);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.used-entry-unchanged split.used.device.1 device']);
  });

  test('ring.split.used-entry-unchanged: pre-writing the slot the next entry will take is allowed', () => {
    const { img, obs } = published(2, 2);
    img.use(0, 8);
    obs.checkpoint('device');
    img.use(1, 8);
    obs.checkpoint('device');
    img.simpleChain(0, 64, true);
    img.publish(0);
    obs.checkpoint('driver');
    img.setUsedElem(0, 0, 4); // slot 0 = entry 0, reusable for entry 2
    obs.checkpoint('device');
    img.setUsedIdx(3);
    img.usedIdx = 3;
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
  });

  test('ring.split.in-order-use: skipping the oldest buffer; a batch entry covering it passes', () => {
    const a = published(2, 4, F_IN_ORDER);
    a.img.use(1, 0);
    a.obs.checkpoint('device');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.in-order-use rfb.device.5 device']);

    const b = published(3, 4, F_IN_ORDER);
    b.img.setUsedElem(0, 1, 64); // one entry for the batch {0, 1}
    b.img.setUsedIdx(2);
    b.obs.checkpoint('device');
    expect(b.obs.findings).toEqual([]);
    expect(b.obs.outstandingHeads).toEqual([2]);
  });

  test('ring.split.device-readonly-buffers: a write into a readable buffer, not into a writable one', () => {
    const img = new SplitRingImage(4);
    const obs = new SplitRingObserver(img.reader, img.options());
    img.desc(0, img.bufAddr(0), 16, NEXT, 1);
    img.desc(1, img.bufAddr(1), 16, WRITE);
    img.publish(0);
    obs.checkpoint('driver');
    img.mem[img.bufAddr(1) + 3] = 0xaa;
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
    img.mem[img.bufAddr(0) + 3] = 0xaa;
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.split.device-readonly-buffers split.desc.device.1 device']);
  });

  test('ring.split.device-ring-readonly: device writes to the descriptor table and to the avail ring', () => {
    const a = published(1);
    a.img.desc(0, a.img.bufAddr(0), 64, 0);
    a.obs.checkpoint('device');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.device-ring-readonly split.desc.device.4 device']);

    const b = published(1);
    b.img.setUsedEvent(7);
    b.obs.checkpoint('device');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.device-ring-readonly split.desc.device.4 device']);
  });

  test('ring.split.used-flags: 0/1 without EVENT_IDX, 0 with it', () => {
    const a = published(0);
    a.img.setUsedFlags(1);
    a.obs.checkpoint('device');
    expect(a.obs.findings).toEqual([]);
    a.img.setUsedFlags(3);
    a.obs.checkpoint('device');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.split.used-flags split.asupp.device.1 device']);

    const b = published(0, 4, F_EVENT_IDX);
    b.img.setUsedFlags(1);
    b.obs.checkpoint('device');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.split.used-flags split.asupp.device.3 device']);
  });
});
