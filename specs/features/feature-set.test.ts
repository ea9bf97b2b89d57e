import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  featureMask,
  featureName,
  featureNames,
  featureSetFromWords,
  featureWord,
  featureWords,
  hasFeature,
  parseFeatureName,
  setFeatureWord,
  withFeature,
  withoutFeature,
} from './feature-set.js';
import { VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_RSC4, VIRTIO_NET_F_IPSEC, VIRTIO_NET_F_MRG_RXBUF } from './net.js';
import { VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_ADMIN_VQ, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1 } from './reserved.js';

const anySet = fc.bigInt({ min: 0n, max: (1n << 96n) - 1n });
const bit = fc.integer({ min: 0, max: 95 });

describe('feature set bit operations', () => {
  it('featureMask builds the expected bigint', () => {
    expect(featureMask()).toBe(0n);
    expect(featureMask(0, 32, 70)).toBe(1n | (1n << 32n) | (1n << 70n));
  });

  test.prop([anySet, bit])('withFeature / withoutFeature / hasFeature agree', (set, b) => {
    expect(hasFeature(withFeature(set, b), b)).toBe(true);
    expect(hasFeature(withoutFeature(set, b), b)).toBe(false);
    expect(withoutFeature(withFeature(set, b), b)).toBe(withoutFeature(set, b));
  });
});

describe('feature words (select 0/1/2)', () => {
  it('splits bits into the documented windows', () => {
    const set = featureMask(VIRTIO_NET_F_CSUM, 31, VIRTIO_F_VERSION_1, 63, 64, VIRTIO_NET_F_IPSEC);
    expect(featureWord(set, 0)).toBe(0x8000_0001);
    expect(featureWord(set, 1)).toBe(0x8000_0001);
    expect(featureWord(set, 2)).toBe((1 << 0) | (1 << 6));
    expect(featureWord(set, 3)).toBe(0);
    expect(featureWord(set, -1)).toBe(0);
  });

  test.prop([anySet])('words round-trip through select 0, 1, 2', (set) => {
    const words = featureWords(set);
    expect(words).toHaveLength(3);
    for (const w of words) expect(w >>> 0).toBe(w);
    expect(featureSetFromWords(words)).toBe(set);
    let rebuilt = 0n;
    for (const select of [2, 0, 1]) rebuilt = setFeatureWord(rebuilt, select, featureWord(set, select));
    expect(rebuilt).toBe(set);
  });

  test.prop([anySet, fc.integer({ min: 0, max: 2 }), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })])(
    'setFeatureWord replaces one window and leaves the others',
    (set, select, word) => {
      const next = setFeatureWord(set, select, word);
      expect(featureWord(next, select)).toBe(word >>> 0);
      for (const other of [0, 1, 2].filter((s) => s !== select)) expect(featureWord(next, other)).toBe(featureWord(set, other));
    },
  );
});

describe('feature names', () => {
  it('names known bits and prints unknown ones as bit<N>', () => {
    expect(featureNames(featureMask(VIRTIO_NET_F_MRG_RXBUF, 4, VIRTIO_F_VERSION_1, 99))).toEqual([
      'bit4',
      'VIRTIO_NET_F_MRG_RXBUF',
      'VIRTIO_F_VERSION_1',
      'bit99',
    ]);
  });

  it('bit 41 is named VIRTIO_F_ADMIN_VQ (defect 3); GUEST_RSC4 still parses', () => {
    expect(featureName(41)).toBe('VIRTIO_F_ADMIN_VQ');
    expect(parseFeatureName('GUEST_RSC4')).toEqual({ kind: 'feature', bit: VIRTIO_NET_F_GUEST_RSC4, name: 'VIRTIO_NET_F_GUEST_RSC4' });
    expect(parseFeatureName('ADMIN_VQ')).toEqual({ kind: 'feature', bit: VIRTIO_F_ADMIN_VQ, name: 'VIRTIO_F_ADMIN_VQ' });
  });

  it.each([
    ['VIRTIO_NET_F_MRG_RXBUF', VIRTIO_NET_F_MRG_RXBUF, 'VIRTIO_NET_F_MRG_RXBUF'],
    ['MRG_RXBUF', VIRTIO_NET_F_MRG_RXBUF, 'VIRTIO_NET_F_MRG_RXBUF'],
    ['  mrg_rxbuf ', VIRTIO_NET_F_MRG_RXBUF, 'VIRTIO_NET_F_MRG_RXBUF'],
    ['VERSION_1', VIRTIO_F_VERSION_1, 'VIRTIO_F_VERSION_1'],
    ['VIRTIO_F_RING_INDIRECT_DESC', VIRTIO_F_INDIRECT_DESC, 'VIRTIO_F_INDIRECT_DESC'],
    ['RING_INDIRECT_DESC', VIRTIO_F_INDIRECT_DESC, 'VIRTIO_F_INDIRECT_DESC'],
    ['VIRTIO_RING_F_INDIRECT_DESC', VIRTIO_F_INDIRECT_DESC, 'VIRTIO_F_INDIRECT_DESC'],
    ['VIRTIO_F_RING_EVENT_IDX', VIRTIO_F_EVENT_IDX, 'VIRTIO_F_EVENT_IDX'],
    ['VIRTIO_RING_F_EVENT_IDX', VIRTIO_F_EVENT_IDX, 'VIRTIO_F_EVENT_IDX'],
    ['VIRTIO_F_IOMMU_PLATFORM', VIRTIO_F_ACCESS_PLATFORM, 'VIRTIO_F_ACCESS_PLATFORM'],
    ['IOMMU_PLATFORM', VIRTIO_F_ACCESS_PLATFORM, 'VIRTIO_F_ACCESS_PLATFORM'],
    ['VIRTIO_F_BAD_FEATURE', 30, 'VIRTIO_F_UNUSED'],
    ['bit99', 99, 'bit99'],
  ])('parseFeatureName(%j) is bit %i (%s)', (input, expectedBit, expectedName) => {
    expect(parseFeatureName(input)).toEqual({ kind: 'feature', bit: expectedBit, name: expectedName });
  });

  it.each(['VIRTIO_NET_F_GUEST_UDP', 'FOO', '', 'VIRTIO_F_', 'NET_F_CSUM'])('rejects %j with the name in the message', (input) => {
    const r = parseFeatureName(input);
    expect(r.kind).toBe('unknown-feature');
    if (r.kind === 'unknown-feature') {
      expect(r.input).toBe(input);
      expect(r.message).toContain(`"${input}"`);
    }
  });

  it('suggests close names for typos', () => {
    const r = parseFeatureName('MRG_RXBUFF');
    expect(r.kind === 'unknown-feature' && r.message).toContain('VIRTIO_NET_F_MRG_RXBUF');
  });

  test.prop([anySet])('featureNames parse back to the same set', (set) => {
    const bits = featureNames(set).map((n) => parseFeatureName(n));
    expect(bits.every((b) => b.kind === 'feature')).toBe(true);
    expect(featureMask(...bits.map((b) => (b.kind === 'feature' ? b.bit : -1)))).toBe(set);
  });
});
