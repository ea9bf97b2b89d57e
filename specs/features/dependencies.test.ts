import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../catalog/index.js';
import { NET_FEATURE_DEPENDENCIES, unmetDependencies, withDependencies } from './dependencies.js';
import { featureMask, featureName, FEATURE_BIT_BY_NAME, withoutFeature } from './feature-set.js';
import {
  VIRTIO_NET_F_CTRL_RX_EXTRA,
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_GUEST_TSO4,
  VIRTIO_NET_F_HASH_REPORT,
  VIRTIO_NET_F_HASH_TUNNEL,
  VIRTIO_NET_F_IPSEC,
  VIRTIO_NET_F_OUT_NET_HEADER,
  VIRTIO_NET_F_RSS,
} from './net.js';
import { describeRequirement, requirementBits, satisfies } from './requirement.js';

const loaded = loadCatalog();
if (!loaded.ok) throw new Error(loaded.error.message);
const catalog = loaded.catalog;
const featdep = catalog.clauses.filter((c) => c.id.startsWith('net.featdep.'));

describe('dependency table against the net.featdep.* clauses', () => {
  it('maps every featdep clause to exactly one entry and role, and back', () => {
    const fromTable = NET_FEATURE_DEPENDENCIES.flatMap((d) =>
      (['device', 'driver'] as const).map((role) => ({ id: d.clauses[role], role, d })),
    ).filter((x) => x.id?.startsWith('net.featdep.'));
    expect(fromTable.map((x) => x.id).sort()).toEqual(featdep.map((c) => c.id).sort());
    expect(new Set(fromTable.map((x) => x.id)).size).toBe(fromTable.length);
    for (const { id, role, d } of fromTable) {
      const clause = catalog.get(id as string);
      expect(clause?.role).toBe(role);
      expect(clause?.level).toBe('MUST NOT');
      expect(clause?.features).toEqual([featureName(d.feature)]);
      expect(d.strength).toBe('must');
    }
  });

  it('states the same requirement as each clause text', () => {
    for (const c of featdep) {
      const m = /unless it also (?:offers|accepts) (.+?) \(net feature bit requirements/.exec(c.text);
      expect(m, c.id).not.toBeNull();
      const entry = NET_FEATURE_DEPENDENCIES.find((d) => d.clauses.device === c.id || d.clauses.driver === c.id);
      expect(describeRequirement(entry!.requires, { short: true }), c.id).toBe(m![1]);
    }
  });

  it('soft rules cite existing SHOULD NOT / SHOULD clauses naming both features', () => {
    const soft = NET_FEATURE_DEPENDENCIES.filter((d) => d.strength === 'should');
    expect(soft.map((d) => d.feature)).toEqual([VIRTIO_NET_F_HASH_REPORT, VIRTIO_NET_F_CTRL_RX_EXTRA, VIRTIO_NET_F_IPSEC]);
    for (const d of soft) {
      for (const role of ['device', 'driver'] as const) {
        const id = d.clauses[role];
        if (id === null) continue;
        const clause = catalog.get(id);
        expect(clause?.role, id).toBe(role);
        expect(['SHOULD', 'SHOULD NOT']).toContain(clause?.level);
        const names = requirementBits(d.requires).map(featureName).concat(featureName(d.feature));
        expect([...(clause?.features ?? [])].sort()).toEqual(names.sort());
      }
    }
    expect(soft.find((d) => d.feature === VIRTIO_NET_F_IPSEC)?.clauses.driver).toBeNull();
  });
});

describe('unmetDependencies', () => {
  it('finds nothing in an empty set or a closed set', () => {
    expect(unmetDependencies(0n, 'device')).toEqual([]);
    const all = featureMask(...Object.values(FEATURE_BIT_BY_NAME));
    expect(unmetDependencies(all, 'driver')).toEqual([]);
  });

  it.each(NET_FEATURE_DEPENDENCIES.map((d) => [featureName(d.feature), d] as const))(
    '%s alone violates its rule with the right clause for each role',
    (_name, d) => {
      const set = featureMask(d.feature);
      for (const role of ['device', 'driver'] as const) {
        const found = unmetDependencies(set, role).filter((v) => v.feature === d.feature);
        if (d.clauses[role] === null) {
          expect(found).toEqual([]);
          continue;
        }
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({
          clause: d.clauses[role],
          role,
          strength: d.strength,
          level: d.strength === 'must' ? 'MUST NOT' : 'SHOULD NOT',
        });
        expect(satisfies(set, found[0]!.missing)).toBe(false);
      }
    },
  );

  it('reports only the unmet part of a nested requirement', () => {
    const v = unmetDependencies(featureMask(VIRTIO_NET_F_HASH_TUNNEL, VIRTIO_NET_F_CTRL_VQ), 'device');
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      featureName: 'VIRTIO_NET_F_HASH_TUNNEL',
      clause: 'net.featdep.hash-tunnel.device',
      missingText: 'VIRTIO_NET_F_RSS or VIRTIO_NET_F_HASH_REPORT',
    });
    expect(unmetDependencies(featureMask(VIRTIO_NET_F_HASH_TUNNEL, VIRTIO_NET_F_RSS), 'driver')).toMatchObject([
      { clause: 'net.featdep.rss.driver', missingText: 'VIRTIO_NET_F_CTRL_VQ' },
      { clause: 'net.featdep.hash-tunnel.driver', missingText: 'VIRTIO_NET_F_CTRL_VQ' },
    ]);
  });

  it('filters by strength', () => {
    const set = featureMask(VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_HASH_REPORT, VIRTIO_NET_F_IPSEC);
    expect(unmetDependencies(set, 'device').map((v) => v.clause)).toEqual([
      'net.featdep.guest-tso4.device',
      'net.cfg.device.13',
      'net.feat.device.1',
    ]);
    expect(unmetDependencies(set, 'device', { strength: 'must' }).map((v) => v.clause)).toEqual(['net.featdep.guest-tso4.device']);
    expect(unmetDependencies(set, 'driver', { strength: 'should' }).map((v) => v.clause)).toEqual(['net.cfg.driver.13']);
    expect(unmetDependencies(featureMask(VIRTIO_NET_F_IPSEC, VIRTIO_NET_F_OUT_NET_HEADER), 'device')).toEqual([]);
  });

  const netBits = fc.subarray(NET_FEATURE_DEPENDENCIES.flatMap((d) => [d.feature, ...requirementBits(d.requires)]));

  test.prop([netBits])('withDependencies closes a set under every MUST rule and keeps it', (bits) => {
    const set = featureMask(...bits);
    const closed = withDependencies(set);
    expect(closed & set).toBe(set);
    expect(unmetDependencies(closed, 'device', { strength: 'must' })).toEqual([]);
  });

  test.prop([netBits])('a violation disappears once its missing features are added, and removing a prerequisite brings it back', (bits) => {
    const set = featureMask(...bits);
    for (const v of unmetDependencies(set, 'driver', { strength: 'must' })) {
      const fixed = withDependencies(set);
      expect(unmetDependencies(fixed, 'driver').some((w) => w.clause === v.clause)).toBe(false);
    }
    const closed = withDependencies(set);
    for (const d of NET_FEATURE_DEPENDENCIES.filter((x) => x.strength === 'must' && (closed >> BigInt(x.feature)) & 1n)) {
      if (d.requires.kind !== 'feature') continue;
      const broken = withoutFeature(closed, d.requires.bit);
      expect(unmetDependencies(broken, 'device').map((v) => v.clause)).toContain(d.clauses.device);
    }
  });
});

it('GUEST_CSUM dependency example from facts.md', () => {
  expect(unmetDependencies(featureMask(VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM), 'driver')).toEqual([]);
});
