import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask, type FeatureSet } from '../features/feature-set.js';
import {
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_HASH_REPORT,
  VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_IPSEC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_OUT_NET_HEADER,
} from '../features/net.js';
import { VIRTIO_F_VERSION_1 } from '../features/reserved.js';
import { satisfies } from '../features/requirement.js';
import { checkLayout } from '../layout.js';
import {
  receiveBufferMinimum,
  splitGsoType,
  VIRTIO_NET_HDR_FIELDS,
  VIRTIO_NET_HDR_FLAGS,
  VIRTIO_NET_HDR_GSO_TYPES,
  virtio_net_hdr,
  virtio_net_hdr_ipsec_resource,
  virtioNetHdrLength,
  type VirtioNetHdrField,
} from './hdr.js';

/** facts.md §5, typed in by hand: offset, size. */
const EXPECTED: Record<VirtioNetHdrField, [number, number]> = {
  flags: [0, 1],
  gso_type: [1, 1],
  hdr_len: [2, 2],
  gso_size: [4, 2],
  csum_start: [6, 2],
  csum_offset: [8, 2],
  num_buffers: [10, 2],
  hash_value: [12, 4],
  hash_report: [16, 2],
  padding_reserved: [18, 2],
  outer_th_offset: [20, 2],
  inner_nh_offset: [22, 2],
  outer_nh_offset: [24, 2],
  padding_reserved_2: [26, 6],
};

describe('virtio_net_hdr layout', () => {
  it('has the offsets and sizes of facts.md §5', () => {
    for (const [name, [offset, size]] of Object.entries(EXPECTED)) {
      expect(virtio_net_hdr.fields[name as VirtioNetHdrField], name).toEqual({ offset, size });
    }
    expect(virtio_net_hdr.size).toBe(32);
    expect(checkLayout(virtio_net_hdr)).toEqual({ kind: 'layout-ok' });
    expect(virtio_net_hdr_ipsec_resource.fields).toEqual({ resource_id: { offset: 26, size: 4 }, resource_type: { offset: 30, size: 2 } });
  });
});

/**
 * Model: the header ends where its last present field ends, reading the
 * presence table (facts.md: positions are fixed, a longer header carries the
 * earlier fields even when their feature is absent).
 */
function modelLength(features: FeatureSet): number {
  let end = 0;
  for (const [name, info] of Object.entries(VIRTIO_NET_HDR_FIELDS)) {
    if (!satisfies(features, info.presentWith)) continue;
    const [offset, size] = EXPECTED[name as VirtioNetHdrField];
    end = Math.max(end, offset + size);
  }
  return end;
}

const relevant = [
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_F_HASH_REPORT,
  VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
  VIRTIO_NET_F_OUT_NET_HEADER,
  VIRTIO_NET_F_IPSEC,
];
const relevantMask = featureMask(...relevant);
const featureSets = fc
  .tuple(fc.subarray(relevant), fc.bigInt({ min: 0n, max: (1n << 71n) - 1n }))
  .map(([bits, noise]) => featureMask(...bits) | (noise & ~relevantMask));

describe('virtioNetHdrLength', () => {
  test.prop([featureSets], { numRuns: 500 })('equals the end of the last present header field', (features) => {
    expect(virtioNetHdrLength(features)).toBe(modelLength(features));
  });

  test.prop([featureSets])('legacy (no VERSION_1) and modern differ only through num_buffers', (features) => {
    const legacy = features & ~featureMask(VIRTIO_F_VERSION_1);
    const modern = features | featureMask(VIRTIO_F_VERSION_1);
    const m = virtioNetHdrLength(modern);
    expect(m).toBeGreaterThanOrEqual(12);
    const l = virtioNetHdrLength(legacy);
    expect(l).toBe(m === 12 && (legacy & featureMask(VIRTIO_NET_F_MRG_RXBUF)) === 0n ? 10 : m);
  });

  it.each([
    ['legacy, no MRG_RXBUF', [], 10],
    ['legacy + MRG_RXBUF', [VIRTIO_NET_F_MRG_RXBUF], 12],
    ['VERSION_1', [VIRTIO_F_VERSION_1], 12],
    ['VERSION_1 + HASH_REPORT', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_HASH_REPORT], 20],
    ['legacy + HASH_REPORT (bytes 10..11 included)', [VIRTIO_NET_F_HASH_REPORT], 20],
    ['HOST tunnel GSO without hash', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO], 24],
    ['GUEST tunnel GSO alone (defect 5 decision)', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO], 24],
    ['OUT_NET_HEADER', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_OUT_NET_HEADER], 32],
    ['IPSEC', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_IPSEC], 32],
  ] as const)('%s -> %i bytes', (_label, bits, length) => {
    expect(virtioNetHdrLength(featureMask(...bits))).toBe(length);
  });
});

describe('flags and gso types', () => {
  it('flag values are distinct single bits; DATA_VALID, RSC_INFO and the rx-only IPsec flags never go on tx', () => {
    const values = VIRTIO_NET_HDR_FLAGS.map((f) => f.value);
    expect(values).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(VIRTIO_NET_HDR_FLAGS.filter((f) => f.tx === null).map((f) => f.value)).toEqual([2, 4, 32, 64]);
  });

  it('gso types match facts.md', () => {
    expect(VIRTIO_NET_HDR_GSO_TYPES.map((g) => [g.name.slice(19), g.value])).toEqual([
      ['NONE', 0],
      ['TCPV4', 1],
      ['UDP', 3],
      ['TCPV6', 4],
      ['UDP_L4', 5],
      ['UDP_TUNNEL_IPV4', 0x20],
      ['UDP_TUNNEL_IPV6', 0x40],
      ['ECN', 0x80],
    ]);
  });

  it('splitGsoType takes the Geneve example apart', () => {
    expect(splitGsoType(0x21)).toEqual({ base: 1, ecn: false, tunnel: 'ipv4' });
    expect(splitGsoType(0xe4)).toEqual({ base: 4, ecn: true, tunnel: 'both' });
    expect(splitGsoType(0x45)).toEqual({ base: 5, ecn: false, tunnel: 'ipv6' });
  });
});

describe('receive buffer sizing', () => {
  it.each([
    ['no GSO, 12-byte header', [VIRTIO_F_VERSION_1], '1.4', 1526, 'SHOULD'],
    ['no GSO, HASH_REPORT', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_HASH_REPORT], '1.4', 1534, 'SHOULD'],
    ['guest GSO', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_GUEST_TSO4], '1.4', 65601, 'SHOULD'],
    ['guest GSO + HASH_REPORT', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_HASH_REPORT], '1.4', 65609, 'SHOULD'],
    ['guest GSO, 1.2 text', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_GUEST_TSO4], '1.2', 65562, 'SHOULD'],
    ['MRG_RXBUF', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_GUEST_TSO4], '1.4', 12, 'MUST'],
    ['MRG_RXBUF + HASH_REPORT', [VIRTIO_F_VERSION_1, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_HASH_REPORT], '1.4', 20, 'MUST'],
  ] as const)('%s', (_label, bits, version, size, level) => {
    expect(receiveBufferMinimum(featureMask(...bits), version)).toMatchObject({ size, level });
  });
});
