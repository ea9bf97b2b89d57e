import { describe, expect, it } from 'vitest';
import {
  HASH_TUNNEL_TYPES,
  HASH_TYPES,
  hashTypeForReport,
  VIRTIO_NET_HASH_REPORT_NONE,
  VIRTIO_NET_HASH_REPORT_UDPv6_EX,
  VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE,
  VIRTIO_NET_RSS_HASH_TYPE_MASK,
  VIRTIO_NET_RSS_HASH_TYPE_UDP_EX,
} from './hash.js';

describe('hash types and reports', () => {
  it('type = 1 << (report - 1) for all nine', () => {
    expect(HASH_TYPES.map((t) => t.report)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const t of HASH_TYPES) expect(hashTypeForReport(t.report)).toBe(t.type);
    expect(HASH_TYPES.reduce((m, t) => m | t.type, 0)).toBe(VIRTIO_NET_RSS_HASH_TYPE_MASK);
    expect(hashTypeForReport(VIRTIO_NET_HASH_REPORT_UDPv6_EX)).toBe(VIRTIO_NET_RSS_HASH_TYPE_UDP_EX);
    expect(hashTypeForReport(VIRTIO_NET_HASH_REPORT_NONE)).toBe(0);
    expect(hashTypeForReport(10)).toBe(0);
  });

  it('tunnel types occupy bits 0..8', () => {
    expect(HASH_TUNNEL_TYPES).toHaveLength(9);
    expect(HASH_TUNNEL_TYPES.find((t) => t.name === 'GENEVE')?.bit).toBe(VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE);
    expect(VIRTIO_NET_HASH_TUNNEL_TYPE_GENEVE).toBe(0x40);
  });
});
