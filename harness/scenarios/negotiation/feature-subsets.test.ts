import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { NET_FEATURE_DEPENDENCIES } from '../../../specs/features/dependencies.js';
import { featureMask, featureBits, hasFeature, parseFeatureName, type FeatureSet } from '../../../specs/features/feature-set.js';
import { satisfies } from '../../../specs/features/requirement.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { DEFAULT_NET_FEATURES, parseNetDeviceConfig } from '../../../reference-impl/net/device-config.js';
import { closeDownward, conformantOffer, driverSubset, isDependencyClosed, validSubset } from './feature-subsets.js';

/** The table rows a set breaks, straight from the spec data (the model, independent of the helpers under test). */
const brokenRows = (set: FeatureSet) =>
  NET_FEATURE_DEPENDENCIES.filter((d) => d.strength === 'must' && hasFeature(set, d.feature) && !satisfies(set, d.requires));

const DEFAULT_OFFER = featureMask(...DEFAULT_NET_FEATURES);
const REQUIRED = featureMask(VIRTIO_F_VERSION_1);
const anySet = fc.bigInt({ min: 0n, max: (1n << 71n) - 1n });

describe('feature subsets', () => {
  test.prop([anySet])('closeDownward keeps a closed subset of its input, dropping only bits that cannot stay', (set) => {
    const closed = closeDownward(set);
    expect(closed & ~set).toBe(0n);
    expect(brokenRows(closed)).toEqual([]);
    for (const bit of featureBits(set & ~closed)) expect(brokenRows(closed | (1n << BigInt(bit))).length).toBeGreaterThan(0);
  });

  test.prop([fc.constant(DEFAULT_OFFER).chain((o) => validSubset(o, REQUIRED))])('valid subsets hold the required bits, stay within the offer and break no row', (subset) => {
    expect(subset & REQUIRED).toBe(REQUIRED);
    expect(subset & ~(DEFAULT_OFFER | REQUIRED)).toBe(0n);
    expect(isDependencyClosed(subset)).toBe(true);
  });

  test.prop([driverSubset(DEFAULT_OFFER, REQUIRED)])('each driver subset has the shape it claims', ({ shape, features }) => {
    switch (shape) {
      case 'valid':
        expect(brokenRows(features)).toEqual([]);
        expect(hasFeature(features, VIRTIO_F_VERSION_1)).toBe(true);
        break;
      case 'without-version-1':
        expect(hasFeature(features, VIRTIO_F_VERSION_1)).toBe(false);
        break;
      case 'with-unoffered-bit':
        expect(features & ~DEFAULT_OFFER).not.toBe(0n);
        break;
      case 'breaking-a-dependency':
        expect(brokenRows(features).length).toBeGreaterThan(0);
        break;
    }
  });

  test.prop([conformantOffer()])('conformant offers break no device row, carry VERSION_1 and are accepted by the reference device', (names) => {
    const set = names.reduce((s, n) => {
      const parsed = parseFeatureName(n);
      return parsed.kind === 'feature' ? s | (1n << BigInt(parsed.bit)) : s;
    }, 0n);
    expect(hasFeature(set, VIRTIO_F_VERSION_1)).toBe(true);
    expect(brokenRows(set)).toEqual([]);
    expect(parseNetDeviceConfig({ features: [...names] }).kind).toBe('ok');
  });
});
