/**
 * One table per decision of linux-driver-facts.md §6; every row names the
 * line of the facts (and of virtio_net.c) it checks.
 */
import { describe, expect, test } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_F_ANY_LAYOUT, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import * as D from './probe-decisions.js';

const V1 = VIRTIO_F_VERSION_1;
const f = (...bits: number[]) => featureMask(...bits);

describe('§6.2 feature refusal: CTRL_VQ dependencies (virtnet_validate_features :3761-3783)', () => {
  const rows: [string, number[], number | null][] = [
    ['§1.3 CTRL_RX without CTRL_VQ', [V1, N.VIRTIO_NET_F_CTRL_RX], N.VIRTIO_NET_F_CTRL_RX],
    ['§1.3 CTRL_VLAN without CTRL_VQ', [V1, N.VIRTIO_NET_F_CTRL_VLAN], N.VIRTIO_NET_F_CTRL_VLAN],
    ['§1.3 GUEST_ANNOUNCE without CTRL_VQ', [V1, N.VIRTIO_NET_F_GUEST_ANNOUNCE], N.VIRTIO_NET_F_GUEST_ANNOUNCE],
    ['§1.3 MQ without CTRL_VQ', [V1, N.VIRTIO_NET_F_MQ], N.VIRTIO_NET_F_MQ],
    ['§1.3 CTRL_MAC_ADDR without CTRL_VQ', [V1, N.VIRTIO_NET_F_CTRL_MAC_ADDR], N.VIRTIO_NET_F_CTRL_MAC_ADDR],
    ['§1.3 RSS without CTRL_VQ', [V1, N.VIRTIO_NET_F_RSS], N.VIRTIO_NET_F_RSS],
    ['§1.3 HASH_REPORT without CTRL_VQ', [V1, N.VIRTIO_NET_F_HASH_REPORT], N.VIRTIO_NET_F_HASH_REPORT],
    ['§1.3 NOTF_COAL without CTRL_VQ', [V1, N.VIRTIO_NET_F_NOTF_COAL], N.VIRTIO_NET_F_NOTF_COAL],
    ['§1.3 short-circuits at the first hit, CTRL_RX before MQ', [V1, N.VIRTIO_NET_F_MQ, N.VIRTIO_NET_F_CTRL_RX], N.VIRTIO_NET_F_CTRL_RX],
    ['§1.3 every one of them with CTRL_VQ is accepted', [V1, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX, N.VIRTIO_NET_F_MQ, N.VIRTIO_NET_F_RSS, N.VIRTIO_NET_F_NOTF_COAL], null],
    ['§1.3 not enforced: CTRL_GUEST_OFFLOADS without CTRL_VQ', [V1, N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS], null],
    ['§1.3 not enforced: guest TSO without GUEST_CSUM', [V1, N.VIRTIO_NET_F_GUEST_TSO4], null],
    ['§1.3 not enforced: STANDBY needs no CVQ', [V1, N.VIRTIO_NET_F_STANDBY], null],
    ['§1.3 not enforced: RSS without MQ (with CTRL_VQ)', [V1, N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_RSS], null],
  ];
  test.each(rows)('%s', (_source, bits, refused) => {
    const r = D.validateFeatures(f(...bits));
    expect(r?.feature ?? null).toBe(refused);
    if (r !== null) expect(r.message).toMatch(/^device advertises feature VIRTIO_NET_F_\w+ but not VIRTIO_NET_F_CTRL_VQ$/);
  });
});

describe('§6.3 MTU (validate :3798-3805, probe :3992-4009)', () => {
  const clear: [string, number, boolean][] = [
    ['§1.4 mtu 0 clears F_MTU', 0, true],
    ['§1.4 mtu 67 clears F_MTU', 67, true],
    ['§1.4 mtu 68 is kept', 68, false],
    ['§1.4 no upper bound: 65535 is kept', 65535, false],
  ];
  test.each(clear)('%s', (_s, mtu, clears) => expect(D.mtuClearsFeature(mtu)).toBe(clears));
  test('§1.4 probe re-read below 68 is the TOCTOU refusal with Linux text', () => {
    expect(D.probeMtu(60)).toEqual({ kind: 'changed', message: 'device MTU appears to have changed it is now 60 < 68' });
  });
  test('§1.4 otherwise the device MTU is both mtu and max_mtu', () => {
    expect(D.probeMtu(9000)).toEqual({ kind: 'ok', mtu: 9000, maxMtu: 9000 });
  });
});

describe('§6.4 queue pairs (virtnet_probe :3840-3850, :4016-4021, _virtnet_set_queues :2189-2190)', () => {
  const CVQ = N.VIRTIO_NET_F_CTRL_VQ;
  const rows: [string, number[], number, number][] = [
    ['§1.5 no MQ or RSS: 1, config not read', [V1, CVQ], 8, 1],
    ['§1.5 MQ: the config value', [V1, CVQ, N.VIRTIO_NET_F_MQ], 8, 8],
    ['§1.5 RSS without MQ still reads max_virtqueue_pairs', [V1, CVQ, N.VIRTIO_NET_F_RSS], 4, 4],
    ['§1.5 0 falls back to 1 silently', [V1, CVQ, N.VIRTIO_NET_F_MQ], 0, 1],
    ['§1.5 0x8000 is the largest accepted', [V1, CVQ, N.VIRTIO_NET_F_MQ], 0x8000, 0x8000],
    ['§1.5 above 0x8000 falls back to 1', [V1, CVQ, N.VIRTIO_NET_F_MQ], 0x8001, 1],
    ['§1.5 without CTRL_VQ: 1', [V1, N.VIRTIO_NET_F_MQ], 8, 1],
  ];
  test.each(rows)('%s', (_s, bits, cfg, max) => expect(D.maxQueuePairs(f(...bits), cfg)).toBe(max));
  const curr: [string, number, number, number][] = [
    ['§1.5 curr = min(cpus, max): 4 cpus, 8 pairs', 4, 8, 4],
    ['§1.5 curr = min(cpus, max): 16 cpus, 8 pairs', 16, 8, 8],
    ['§1.5 one cpu', 1, 8, 1],
  ];
  test.each(curr)('%s', (_s, cpus, max, c) => expect(D.currQueuePairs(cpus, max)).toBe(c));
  const set: [string, number[], boolean][] = [
    ['§1.5 VQ_PAIRS_SET iff has_cvq && MQ', [V1, CVQ, N.VIRTIO_NET_F_MQ], true],
    ['§1.5 not with RSS alone', [V1, CVQ, N.VIRTIO_NET_F_RSS], false],
    ['§1.5 not without CTRL_VQ', [V1, N.VIRTIO_NET_F_MQ], false],
  ];
  test.each(set)('%s', (_s, bits, sends) => expect(D.sendsVqPairsSet(f(...bits))).toBe(sends));
});

describe('§6.5 hdr_len and any_header_sg (virtnet_probe :3977-3987)', () => {
  const rows: [string, number[], number, boolean][] = [
    ['§1.6 HASH_REPORT: 20', [V1, N.VIRTIO_NET_F_HASH_REPORT], 20, true],
    ['§1.6 HASH_REPORT wins over MRG_RXBUF: 20', [V1, N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_MRG_RXBUF], 20, true],
    ['§1.6 VERSION_1: 12', [V1], 12, true],
    ['§1.6 legacy with MRG_RXBUF: 12', [N.VIRTIO_NET_F_MRG_RXBUF], 12, false],
    ['§1.6 legacy without MRG_RXBUF: 10', [], 10, false],
    ['§1.6 legacy ANY_LAYOUT gives any_header_sg', [VIRTIO_F_ANY_LAYOUT], 10, true],
  ];
  test.each(rows)('%s', (_s, bits, len, sg) => {
    expect(D.hdrLen(f(...bits))).toBe(len);
    expect(D.anyHeaderSg(f(...bits))).toBe(sg);
  });
});

describe('§6.6 RX mode and sizes (set_big_packets :3818-3830, add_recvbuf_* :1344-1477)', () => {
  const modes: [string, number[], number, D.RxMode, number][] = [
    ['§1.7 MRG_RXBUF: mergeable even with guest GSO', [V1, N.VIRTIO_NET_F_MRG_RXBUF, N.VIRTIO_NET_F_GUEST_TSO4], 0, 'mergeable', 17],
    ['§1.7 guest GSO without MRG_RXBUF: big, 17 frags', [V1, N.VIRTIO_NET_F_GUEST_TSO6], 0, 'big', 17],
    ['§1.7 GUEST_ECN alone counts as guest GSO', [V1, N.VIRTIO_NET_F_GUEST_ECN], 0, 'big', 17],
    ['§1.7 GUEST_UFO alone counts as guest GSO', [V1, N.VIRTIO_NET_F_GUEST_UFO], 0, 'big', 17],
    ['§1.7 mtu 9000 without GSO: big, ceil(9000/4096) = 3 frags', [V1, N.VIRTIO_NET_F_MTU], 9000, 'big', 3],
    ['§1.7 mtu 1500 is not > 1500: small', [V1, N.VIRTIO_NET_F_MTU], 1500, 'small', 0],
    ['§1.7 nothing: small', [V1], 0, 'small', 0],
  ];
  test.each(modes)('%s', (_s, bits, mtu, mode, frags) => {
    const big = D.bigPackets(f(...bits), mtu);
    expect(D.rxMode(f(...bits), big.bigPackets)).toBe(mode);
    if (mode !== 'small') expect(big.numSkbfrags).toBe(frags);
  });
  const small: [string, number, number][] = [
    ['§1.7 small hdr 10: 1528', 10, 1528],
    ['§1.7 small hdr 12: 1530', 12, 1530],
    ['§1.7 small hdr 20: 1538', 20, 1538],
  ];
  test.each(small)('%s', (_s, hdr, len) => expect(D.smallBufLen(hdr)).toBe(len));
  test('§1.7 big: hdr_len, 4064 in the same page, then 17 pages; 19 descriptors, 73708 bytes for hdr 12', () => {
    const segs = D.bigBufSegments(12, 17);
    expect(segs.length).toBe(19);
    expect(segs.slice(0, 3)).toEqual([12, 4064, 4096]);
    expect(segs.reduce((a, b) => a + b, 0)).toBe(73708);
    expect(D.bigBufTotal(12, 17)).toBe(73708);
  });
  const minBuf: [string, number, number, boolean, number, number][] = [
    ['§1.7 min_buf_len never below 1518 (ring 256, mtu 1500)', 12, 256, false, 1500, 1518],
    ['§1.7 small ring with big packets: ceil((12+18+65535)/16) − 12 = 4086', 12, 16, true, 1500, 4086],
    ['§1.7 ring 64 with big packets: ceil(65565/64) − 12 = 1013 → 1518', 12, 64, true, 1500, 1518],
    ['§1.7 ring 8, max_mtu 9000: ceil(9030/8) − 12 = 1117 → 1518', 12, 8, false, 9000, 1518],
  ];
  test.each(minBuf)('%s', (_s, hdr, ring, big, maxMtu, v) => expect(D.mergeableMinBufLen(hdr, ring, big, maxMtu)).toBe(v));
  const mrg: [string, number, number, number, number, number][] = [
    ['§1.7 initial EWMA 0, hdr 12: 1536', 0, 1518, 12, 0, 1536],
    ['§1.7 hdr 20: ALIGN(20 + 1518, 64) = 1600', 0, 1518, 20, 0, 1600],
    ['§1.7 EWMA above the page clamps to PAGE_SIZE − hdr: 4096', 9000, 1518, 12, 0, 4096],
    ['§1.7 clamp_t with crossed bounds takes the upper one', 0, 8184, 12, 0, 4096],
    ['§1.7 with XDP room 576: PAGE_SIZE − room = 3520', 0, 1518, 12, 576, 3520],
  ];
  test.each(mrg)('%s', (_s, ewma, min, hdr, room, v) => expect(D.mergeableBufLen(ewma, min, hdr, room)).toBe(v));
  test('§1.7 small and mergeable RX queues carry a context (no indirect); big does not', () => {
    expect([D.rxQueueHasContext('small'), D.rxQueueHasContext('mergeable'), D.rxQueueHasContext('big')]).toEqual([true, true, false]);
  });
});

describe('§1.10 RSS probe reads (:3946-3975)', () => {
  const CVQ = N.VIRTIO_NET_F_CTRL_VQ;
  test('§1.10 key above 40 fails probe with Linux text', () => {
    expect(D.rssProbe(f(V1, CVQ, N.VIRTIO_NET_F_RSS), { indirTableSize: 128, keySize: 41, hashTypes: 0x1ff })).toEqual({
      kind: 'key-too-large',
      message: 'rss_max_key_size=41 exceeds the limit 40.',
    });
  });
  test('§1.10 the three _EX hash types are dropped', () => {
    const r = D.rssProbe(f(V1, CVQ, N.VIRTIO_NET_F_RSS), { indirTableSize: 128, keySize: 40, hashTypes: 0x1ff });
    expect(r).toMatchObject({ kind: 'rss', hashTypesSupported: 0x3f, indirTableSize: 128 });
  });
  test('§1.10 hash report alone: table size not read (0); key size 0 not validated', () => {
    const r = D.rssProbe(f(V1, CVQ, N.VIRTIO_NET_F_HASH_REPORT), { indirTableSize: 128, keySize: 0, hashTypes: 3 });
    expect(r).toMatchObject({ kind: 'rss', hasRss: false, hasHashReport: true, indirTableSize: 0, keySize: 0 });
  });
  test('§1.10 default table is i % curr_queue_pairs', () => {
    expect([...D.defaultIndirectionTable(8, 3)]).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
  });
  test('§1.10 nothing without RSS or HASH_REPORT', () => {
    expect(D.rssProbe(f(V1), { indirTableSize: 1, keySize: 99, hashTypes: 1 })).toEqual({ kind: 'none' });
  });
});

describe('§1.8 MAC', () => {
  const rows: [string, number[], boolean][] = [
    ['§1.8 unicast is valid', [0x52, 0x54, 0, 1, 2, 3], true],
    ['§1.8 multicast is refused by eth_validate_addr', [0x01, 0, 0x5e, 0, 0, 1], false],
    ['§1.8 all zero is refused', [0, 0, 0, 0, 0, 0], false],
  ];
  test.each(rows)('%s', (_s, mac, ok) => expect(D.isValidEtherAddr(Uint8Array.from(mac))).toBe(ok));
  test('§1.8 eth_hw_addr_random: locally administered unicast', () => {
    const mac = D.randomEtherAddr(() => 0.999);
    expect((mac[0] as number) & 3).toBe(2);
    expect(D.isValidEtherAddr(mac)).toBe(true);
  });
});
