/**
 * linux-driver-facts.md §6, end to end: one row per checklist decision,
 * run against the reference device through the register window, each row
 * naming the facts line it checks. The pure forms of the same decisions
 * are in probe-decisions.test.ts; ring-level rules (BAD_RING, NO_NOTIFY,
 * event index) are in control-queue.test.ts, rx.test.ts and tx.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import * as C from '../../../specs/net/ctrl.js';
import { attached, bench, ethFrame } from './e2e-fixture.js';
import { makeSkb } from './skb.js';

const NO_EVIDX = ['VIRTIO_F_EVENT_IDX'];
const statusAfter = (b: ReturnType<typeof bench>) => b.device.events.ofKind('status-write').map((e) => e.after);

describe('§6.1 negotiation order', () => {
  test('§1.1 status 0 → 1 → 3 → 0xB → 0xF; features written before validate, once', async () => {
    const b = bench('pci', { removeFeatures: NO_EVIDX });
    const fe = await attached(b);
    expect(statusAfter(b)).toEqual([0, 1, 3, 0xb, 0xf]);
    expect(b.device.events.ofKind('feature-write').filter((e) => e.applied).length).toBe(2);
    expect(fe.vdev.featureWrites.length).toBe(1);
  });

  test('§1.1 step 7 / §1.4: mtu < 68 clears F_MTU and the features are written a second time, without it', async () => {
    const b = bench('mmio', { addFeatures: ['MTU'], removeFeatures: NO_EVIDX, mtu: 1500 });
    const r = await b.attach({}, { config: new Map([[10, [60, 1500]]]) });
    expect(r.kind).toBe('attached');
    if (r.kind !== 'attached') return;
    const [first, second] = r.frontEnd.vdev.featureWrites;
    expect(hasFeature(first ?? 0n, N.VIRTIO_NET_F_MTU)).toBe(true);
    expect(hasFeature(second ?? 1n << 3n, N.VIRTIO_NET_F_MTU)).toBe(false);
    expect({ mtu: r.frontEnd.vi.dev.mtu, max: r.frontEnd.vi.dev.maxMtu }).toEqual({ mtu: 1500, max: 65535 });
  });
});

describe('§6.2 refusals (§1.14) and the status left behind (§1.1 step 11)', () => {
  test('§1.3 CTRL_RX offered without CTRL_VQ: validate refuses, FEATURES_OK never set, status 0x83', async () => {
    const b = bench('pci', { removeFeatures: NO_EVIDX });
    const r = await b.attach({}, { hideFeatures: featureMask(N.VIRTIO_NET_F_CTRL_VQ) });
    expect(r.kind === 'probe-failed' && r.error.message).toBe('device advertises feature VIRTIO_NET_F_CTRL_RX but not VIRTIO_NET_F_CTRL_VQ');
    expect(b.device.core.status).toBe(0x83);
  });

  test('§1.1 step 8: FEATURES_OK not read back: -ENODEV "device refuses features", status 0x83', async () => {
    const b = bench('mmio', { removeFeatures: NO_EVIDX, featureAcceptance: { refuse: () => 'scenario refuses' } });
    const r = await b.attach();
    expect(r.kind === 'probe-failed' && [r.error.code, r.error.errno]).toEqual(['features-refused', -19]);
    expect(b.device.core.status).toBe(0x83);
  });

  test('§1.10 rss_max_key_size 41: probe fails before the queues, no reset: status 0x8B', async () => {
    const b = bench('pci', { addFeatures: ['RSS'], removeFeatures: NO_EVIDX });
    const r = await b.attach({}, { config: new Map([[17, [41]]]) });
    expect(r.kind === 'probe-failed' && r.error.message).toBe('rss_max_key_size=41 exceeds the limit 40.');
    expect(b.device.core.status).toBe(0x8b);
  });

  test('§1.4 MTU TOCTOU: 1500 at validate, 60 at probe: refused with Linux text, status 0x8B', async () => {
    const b = bench('mmio', { addFeatures: ['MTU'], removeFeatures: NO_EVIDX });
    const r = await b.attach({}, { config: new Map([[10, [1500, 60]]]) });
    expect(r.kind === 'probe-failed' && r.error.message).toBe('device MTU appears to have changed it is now 60 < 68');
    expect(b.device.core.status).toBe(0x8b);
  });

  test('§1.5 / §1.11: more queue pairs than the device has queues: queue setup fails, status 0x8B', async () => {
    const b = bench('pci', { addFeatures: ['MQ'], removeFeatures: NO_EVIDX, maxVirtqueuePairs: 2 });
    const r = await b.attach({}, { config: new Map([[8, [3]]]) });
    expect(r.kind === 'probe-failed' && r.error.code).toBe('queue-unavailable');
    expect(b.device.core.status).toBe(0x8b);
  });
});

describe('§1.8 / §1.11 config reads and the MAC path', () => {
  test.each([
    ['§1.11 defaults: mac bytes one by one, then status; nothing else (`config.driver.3`)', 'pci', [], [...[0, 1, 2, 3, 4, 5].map((o) => [o, 1]), [6, 2]]],
    ['§1.11 no MAC, no STATUS: no config read at all', 'mmio', ['MAC', 'STATUS', 'GUEST_ANNOUNCE'], []],
    [
      '§1.11 MQ, RSS, MTU, SPEED_DUPLEX: mtu at validate, then pairs, mac, table length, key size, hash types, mtu again, status, speed, duplex',
      'pci',
      [],
      [[10, 2], [8, 2], ...[0, 1, 2, 3, 4, 5].map((o) => [o, 1]), [18, 2], [17, 1], [20, 4], [10, 2], [6, 2], [12, 4], [16, 1]],
    ],
  ] as const)('%s', async (name, transport, remove, reads) => {
    const extra = name.includes('MQ, RSS') ? { addFeatures: ['MQ', 'RSS', 'MTU', 'SPEED_DUPLEX'], maxVirtqueuePairs: 2 } : {};
    const b = bench(transport, { removeFeatures: [...NO_EVIDX, ...remove], ...extra });
    const log: [number, number][] = [];
    const r = await b.attach({}, { readLog: log });
    expect(r.kind).toBe('attached');
    if (r.kind === 'attached') await r.frontEnd.settle();
    expect(log).toEqual(reads);
  });

  test('§1.8 a multicast MAC in config is taken at probe; dev_open then fails with -EADDRNOTAVAIL', async () => {
    const b = bench('pci', { removeFeatures: NO_EVIDX, mac: '01:00:5e:00:00:01' });
    const fe = await attached(b);
    expect(fe.vi.dev.devAddr[0]).toBe(1);
    expect(await fe.netdev.open()).toBe(-99);
    expect(fe.vi.dev.up).toBe(false);
  });
});

describe('§6.4 queue pairs', () => {
  test('§1.5 MQ with one CPU: curr 1, VQ_PAIRS_SET(1) still sent after DRIVER_OK', async () => {
    const b = bench('pci', { addFeatures: ['MQ'], removeFeatures: NO_EVIDX, maxVirtqueuePairs: 4 });
    const fe = await attached(b, { onlineCpus: 1 });
    expect({ max: fe.vi.maxQueuePairs, curr: fe.vi.currQueuePairs }).toEqual({ max: 4, curr: 1 });
    expect(fe.vi.cvq?.history[0]).toMatchObject({ class: C.VIRTIO_NET_CTRL_MQ, command: C.VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, payloadLengths: [2] });
    expect(b.device.netEvents.ofKind('ctrl-command')[0]).toMatchObject({ klass: 4, command: 0, ack: 0 });
  });

  test('§1.5 RSS without MQ: max_virtqueue_pairs read, no VQ_PAIRS_SET, no RSS_CONFIG at probe', async () => {
    const b = bench('mmio', { addFeatures: ['RSS'], removeFeatures: NO_EVIDX, maxVirtqueuePairs: 2 });
    const fe = await attached(b, { onlineCpus: 4 });
    expect({ max: fe.vi.maxQueuePairs, curr: fe.vi.currQueuePairs }).toEqual({ max: 2, curr: 2 });
    expect(b.device.netEvents.ofKind('ctrl-command')).toEqual([]);
  });
});

describe('§6.5 header length, same on TX and RX', () => {
  test.each([
    ['§1.6 VERSION_1 + MRG_RXBUF: 12, TX num_buffers 0', [], 12],
    ['§1.6 HASH_REPORT: 20-byte TX header, the device strips all 20', ['HASH_REPORT'], 20],
  ])('%s', async (_s, add, hdr) => {
    const b = bench('pci', { addFeatures: add, removeFeatures: NO_EVIDX });
    const fe = await attached(b);
    expect(fe.vi.hdrLen).toBe(hdr);
    await fe.netdev.open();
    const f = ethFrame(Uint8Array.of(2, 0, 0, 0, 0, 1), 300);
    await fe.netdev.xmit(makeSkb(f));
    await fe.settle();
    expect([...(b.device.wire.sent[0]?.frame ?? [])]).toEqual([...f]);
    expect(b.device.wire.sent[0]?.header.numBuffers).toBe(0);
  });
});

describe('§6.6 RX mode and buffer sizes as the device sees them', () => {
  test.each([
    ['§1.7 mergeable: 1536-byte buffers, a 4000-byte frame takes 3', [], [], 4000, [1536, 1536, 940]],
    ['§1.7 small: one 1530-byte buffer per frame', [], ['MRG_RXBUF', 'GUEST_TSO4', 'GUEST_TSO6', 'GUEST_ECN', 'HOST_TSO4', 'HOST_TSO6', 'HOST_ECN', 'CTRL_GUEST_OFFLOADS'], 1514, [1526]],
    ['§1.7 big: one 19-descriptor buffer takes a 9000-byte frame', [], ['MRG_RXBUF'], 9000, [9012]],
  ])('%s', async (_s, add, remove, len, used) => {
    const b = bench('pci', { addFeatures: add, removeFeatures: [...NO_EVIDX, ...remove] }, 64 << 20);
    const fe = await attached(b);
    await fe.netdev.open();
    await fe.settle();
    const out = b.device.wire.inject(ethFrame(fe.vi.dev.devAddr, len));
    expect(out.kind === 'delivered' && out.usedLengths).toEqual(used);
    await fe.settle();
    expect(fe.vi.delivered[0]?.data.length).toBe(len);
  });
});

describe('§6.7 control queue at ifup', () => {
  test('§2.2 rows 1-3: PROMISC(0), ALLMULTI(0), MAC TABLE_SET(0 uc, 0 mc) in this order, each 1-byte / 2 × 4-byte payload', async () => {
    const b = bench('mmio', { removeFeatures: NO_EVIDX });
    const fe = await attached(b);
    await fe.netdev.open();
    expect(fe.vi.cvq?.history.map((h) => [h.class, h.command, h.payloadLengths, h.outcome.kind])).toEqual([
      [0, 0, [1], 'ok'],
      [0, 1, [1], 'ok'],
      [1, 0, [4, 4], 'ok'],
    ]);
  });
});

describe('§6.8 ring rules seen end to end', () => {
  test('§3.1 xmit_more holds the kick; 19 free descriptors stop the queue, which then kicks; completions wake it', async () => {
    const b = bench('pci', { removeFeatures: [...NO_EVIDX, 'VIRTIO_F_INDIRECT_DESC'], queueSizes: { rx: 64, tx: 32, ctrl: 64 } });
    const fe = await attached(b);
    await fe.netdev.open();
    await fe.settle();
    const notifs = () => b.device.events.ofKind('notification').filter((e) => e.queue === 1).length;
    const before = notifs();
    for (let i = 0; i < 13; i++) await fe.netdev.xmit(makeSkb(ethFrame(Uint8Array.of(2, 0, 0, 0, 0, 1), 60, i), { xmitMore: true }));
    expect(notifs()).toBe(before);
    expect(b.device.wire.sent.length).toBe(0);
    const r = await fe.netdev.xmit(makeSkb(ethFrame(Uint8Array.of(2, 0, 0, 0, 0, 1), 60, 13), { xmitMore: true }));
    expect(r).toEqual({ kind: 'queued', kicked: true, stopped: true });
    await fe.settle();
    expect(b.device.wire.sent.length).toBe(14);
    expect(fe.vi.dev.txStopped[0]).toBe(false);
    expect(fe.vi.sq[0]?.stats.packets).toBe(14);
  });
});
