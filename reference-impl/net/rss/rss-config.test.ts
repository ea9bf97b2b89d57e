import { describe, expect, it } from 'vitest';
import * as H from '../../../specs/net/hash.js';
import { hashConfigPayload, rssConfigPayload } from '../ctrl/test-payloads.js';
import { type RssLimits, parseHashConfig, parseRssConfig, rssActivePairs } from './rss-config.js';

const LIMITS: RssLimits = {
  maxKeySize: 40,
  maxIndirectionTableLength: 128,
  supportedHashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_MASK,
  queuePairs: 4,
  queueEnabled: () => true,
  strict: true,
};
const TCP4 = H.VIRTIO_NET_RSS_HASH_TYPE_TCPv4;

describe('parseRssConfig', () => {
  it('parses every field; rss_rq_id values are pair numbers', () => {
    const key = Uint8Array.from({ length: 40 }, (_, i) => i);
    const r = parseRssConfig(rssConfigPayload({ hashTypes: TCP4, table: [0, 1, 2, 3], unclassified: 2, maxTxVq: 3, key }), LIMITS);
    expect(r.kind).toBe('parsed');
    if (r.kind !== 'parsed') return;
    expect(r.value.hashTypes).toBe(TCP4);
    expect(r.value.indirectionTableMask).toBe(3);
    expect(Array.from(r.value.indirectionTable)).toEqual([0, 1, 2, 3]);
    expect(r.value.unclassifiedQueue).toBe(2);
    expect(r.value.maxTxVq).toBe(3);
    expect(r.value.key).toEqual(key);
    expect(rssActivePairs(r.value)).toBe(4);
  });

  it('active pairs cover both max_tx_vq and every queue named', () => {
    const parse = (table: number[], unclassified: number, maxTxVq: number): number => {
      const r = parseRssConfig(rssConfigPayload({ hashTypes: TCP4, table, unclassified, maxTxVq }), LIMITS);
      if (r.kind !== 'parsed') throw new Error(r.reason);
      return rssActivePairs(r.value);
    };
    expect(parse([0, 0], 0, 1)).toBe(1);
    expect(parse([0, 0], 0, 3)).toBe(3);
    expect(parse([0, 2], 0, 1)).toBe(3);
    expect(parse([0, 0], 3, 1)).toBe(4);
  });

  const cases: [string, Uint8Array, RssLimits, 'malformed' | 'invalid', string | null][] = [
    ['shorter than the head', new Uint8Array(7), LIMITS, 'malformed', null],
    ['table cut short', rssConfigPayload({ hashTypes: TCP4, table: [0, 1] }).subarray(0, 11), LIMITS, 'malformed', null],
    ['key cut short', rssConfigPayload({ hashTypes: TCP4, table: [0] }).subarray(0, 30), LIMITS, 'malformed', null],
    ['trailing bytes (strict)', Uint8Array.of(...rssConfigPayload({ hashTypes: TCP4, table: [0] }), 0), LIMITS, 'malformed', null],
    ['mask + 1 not a power of two', rssConfigPayload({ hashTypes: TCP4, table: [0, 0, 0] }), LIMITS, 'invalid', 'net.ctrl.rss.driver.3'],
    ['mask not below the max table length', rssConfigPayload({ hashTypes: TCP4, table: new Array<number>(256).fill(0) }), LIMITS, 'invalid', 'net.ctrl.rss.driver.4'],
    ['unsupported hash type', rssConfigPayload({ hashTypes: TCP4, table: [0] }), { ...LIMITS, supportedHashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_IPv4 }, 'invalid', 'net.ctrl.rss.driver.5'],
    ['table entry past N', rssConfigPayload({ hashTypes: TCP4, table: [0, 4] }), LIMITS, 'invalid', 'net.ctrl.rss.driver.2'],
    ['table entry not enabled', rssConfigPayload({ hashTypes: TCP4, table: [0, 1] }), { ...LIMITS, queueEnabled: (i) => i !== 2 }, 'invalid', 'net.ctrl.rss.driver.2'],
    ['unclassified past N', rssConfigPayload({ hashTypes: TCP4, table: [0], unclassified: 9 }), LIMITS, 'invalid', 'net.ctrl.rss.driver.2'],
    ['reserved bit 15 set (strict)', rssConfigPayload({ hashTypes: TCP4, table: [0x8000] }), LIMITS, 'invalid', null],
    ['max_tx_vq 0', rssConfigPayload({ hashTypes: TCP4, table: [0], maxTxVq: 0 }), LIMITS, 'invalid', null],
    ['max_tx_vq past N', rssConfigPayload({ hashTypes: TCP4, table: [0], maxTxVq: 5 }), LIMITS, 'invalid', null],
    ['key longer than rss_max_key_size', rssConfigPayload({ hashTypes: TCP4, table: [0], key: new Uint8Array(41) }), LIMITS, 'invalid', null],
    ['hash types with an empty key', rssConfigPayload({ hashTypes: TCP4, table: [0], key: new Uint8Array(0) }), LIMITS, 'invalid', null],
  ];
  it.each(cases)('refuses %s', (_name, payload, limits, kind, clause) => {
    const r = parseRssConfig(payload, limits);
    expect(r.kind).toBe(kind);
    if (r.kind === 'invalid') expect(r.clause).toBe(clause);
  });

  it('lenient mode ignores trailing bytes and masks the reserved bit', () => {
    const lenient = { ...LIMITS, strict: false };
    expect(parseRssConfig(Uint8Array.of(...rssConfigPayload({ hashTypes: TCP4, table: [0] }), 9, 9), lenient).kind).toBe('parsed');
    const r = parseRssConfig(rssConfigPayload({ hashTypes: TCP4, table: [0x8001] }), lenient);
    expect(r.kind === 'parsed' && r.value.indirectionTable[0]).toBe(1);
  });

  it('accepts hash types 0 with an empty key (everything unclassified)', () => {
    expect(parseRssConfig(rssConfigPayload({ hashTypes: 0, table: [1], key: new Uint8Array(0) }), LIMITS).kind).toBe('parsed');
  });
});

describe('parseHashConfig', () => {
  it('parses types and key', () => {
    const key = Uint8Array.from({ length: 40 }, (_, i) => 255 - i);
    const r = parseHashConfig(hashConfigPayload(H.VIRTIO_NET_RSS_HASH_TYPE_IPv6, key), LIMITS);
    expect(r).toEqual({ kind: 'parsed', value: { hashTypes: H.VIRTIO_NET_RSS_HASH_TYPE_IPv6, key } });
  });

  it.each([
    ['truncated head', new Uint8Array(12), 'malformed'],
    ['truncated key', hashConfigPayload(TCP4).subarray(0, 20), 'malformed'],
    ['trailing byte', Uint8Array.of(...hashConfigPayload(TCP4), 0), 'malformed'],
    ['non-zero reserved', hashConfigPayload(TCP4, new Uint8Array(40).fill(1), 1), 'invalid'],
    ['key too long', hashConfigPayload(TCP4, new Uint8Array(41)), 'invalid'],
    ['types without key', hashConfigPayload(TCP4, new Uint8Array(0)), 'invalid'],
  ] as const)('refuses %s', (_n, payload, kind) => {
    expect(parseHashConfig(payload, LIMITS).kind).toBe(kind);
  });

  it('cites net.ctrl.hashcfg.driver.1 for reserved', () => {
    expect(parseHashConfig(hashConfigPayload(TCP4, new Uint8Array(40).fill(1), 1), LIMITS)).toMatchObject({ clause: 'net.ctrl.hashcfg.driver.1' });
  });
});
