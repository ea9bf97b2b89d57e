import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../catalog/index.js';
import { FEATURE_BIT_BY_NAME, FEATURES, parseFeatureName } from './feature-set.js';
import { NET_FEATURES } from './net.js';
import { RESERVED_FEATURES } from './reserved.js';

const loaded = loadCatalog();
if (!loaded.ok) throw new Error(loaded.error.message);
const clauses = loaded.catalog.clauses;

describe('feature constants against the clause catalog', () => {
  const named = [...new Set(clauses.flatMap((c) => c.features))].sort();

  it('the catalog names features at all', () => {
    expect(named.length).toBeGreaterThan(50);
  });

  it.each(named)('%s is a known feature name', (name) => {
    expect(FEATURE_BIT_BY_NAME[name]).toBeTypeOf('number');
    const parsed = parseFeatureName(name);
    expect(parsed).toMatchObject({ kind: 'feature', name });
  });

  it('features in clause texts of the form VIRTIO_NET_F_X / VIRTIO_F_X are known, except the recorded typo', () => {
    const inText = new Set(clauses.flatMap((c) => c.text.match(/VIRTIO_(?:NET_)?F_[A-Z0-9_]+/g) ?? []));
    const unknown = [...inText].filter((n) => FEATURE_BIT_BY_NAME[n] === undefined);
    // net.rx.device.8 quotes the spec's non-existent VIRTIO_NET_F_GUEST_UDP (summary.md defect 2).
    expect(unknown.filter((n) => n !== 'VIRTIO_NET_F_GUEST_UDP')).toEqual([]);
  });
});

describe('feature tables', () => {
  it('net bits 0..70 as in facts.md §2.2, no duplicate bits or names', () => {
    expect(NET_FEATURES.map((f) => f.bit)).toEqual([
      0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 41, 42, 50, 51, 52, 53, 54, 55, 56,
      57, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70,
    ]);
    expect(new Set(NET_FEATURES.map((f) => f.name)).size).toBe(NET_FEATURES.length);
  });

  it('legacy-only net bits are exactly GSO, GUEST_RSC4, GUEST_RSC6', () => {
    expect(NET_FEATURES.filter((f) => f.legacyOnly).map((f) => f.name)).toEqual([
      'VIRTIO_NET_F_GSO',
      'VIRTIO_NET_F_GUEST_RSC4',
      'VIRTIO_NET_F_GUEST_RSC6',
    ]);
  });

  it('since metadata of the 1.3 and 1.4 net bits', () => {
    const since = (v: string): string[] => NET_FEATURES.filter((f) => f.since === v).map((f) => f.name.slice(13));
    expect(since('1.3')).toEqual(['HASH_TUNNEL', 'VQ_NOTF_COAL', 'NOTF_COAL', 'GUEST_USO4', 'GUEST_USO6']);
    expect(since('1.4')).toEqual([
      'DEVICE_STATS',
      'RSS_CONTEXT',
      'GUEST_UDP_TUNNEL_GSO',
      'GUEST_UDP_TUNNEL_GSO_CSUM',
      'HOST_UDP_TUNNEL_GSO',
      'HOST_UDP_TUNNEL_GSO_CSUM',
      'OUT_NET_HEADER',
      'IPSEC',
    ]);
  });

  it('device-independent bits and their transport limits', () => {
    expect(RESERVED_FEATURES.map((f) => [f.name.slice(9), f.bit])).toEqual([
      ['NOTIFY_ON_EMPTY', 24],
      ['ANY_LAYOUT', 27],
      ['INDIRECT_DESC', 28],
      ['EVENT_IDX', 29],
      ['UNUSED', 30],
      ['VERSION_1', 32],
      ['ACCESS_PLATFORM', 33],
      ['RING_PACKED', 34],
      ['IN_ORDER', 35],
      ['ORDER_PLATFORM', 36],
      ['SR_IOV', 37],
      ['NOTIFICATION_DATA', 38],
      ['NOTIF_CONFIG_DATA', 39],
      ['RING_RESET', 40],
      ['ADMIN_VQ', 41],
      ['SUSPEND', 43],
    ]);
    const pciOnly = RESERVED_FEATURES.filter((f) => !f.transports.includes('mmio')).map((f) => f.bit);
    expect(pciOnly).toEqual([37, 39, 41]);
  });

  it('every feature name, with or without prefix, parses back to its bit', () => {
    for (const f of FEATURES) {
      expect(parseFeatureName(f.name)).toMatchObject({ kind: 'feature', bit: f.bit });
      expect(parseFeatureName(f.name.replace(/^VIRTIO_(NET_)?F_/, ''))).toMatchObject({ kind: 'feature', bit: f.bit });
    }
  });
});
