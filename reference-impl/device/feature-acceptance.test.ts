import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { featureMask, hasFeature } from '../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MRG_RXBUF } from '../../specs/features/net.js';
import { VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_ORDER_PLATFORM, VIRTIO_F_VERSION_1 } from '../../specs/features/reserved.js';
import {
  decideFeatures,
  describeRefusal,
  type FeatureValidation,
  QEMU_FEATURE_ACCEPTANCE,
  STRICT_FEATURE_ACCEPTANCE,
  validateNetDependencies,
} from './feature-acceptance.js';

const ACCEPT = (): FeatureValidation => ({ kind: 'accept' });
const V1 = featureMask(VIRTIO_F_VERSION_1);

describe('decideFeatures', () => {
  it('accepts a valid subset as is', () => {
    const offered = V1 | featureMask(0, 5, 15);
    expect(decideFeatures(offered, V1 | featureMask(5), STRICT_FEATURE_ACCEPTANCE, ACCEPT)).toEqual({ kind: 'accept', features: V1 | featureMask(5) });
  });

  it('refuses a missing VERSION_1 unless the policy allows it (`rfb.device.2`)', () => {
    expect(decideFeatures(V1, 0n, STRICT_FEATURE_ACCEPTANCE, ACCEPT)).toEqual({
      kind: 'refuse',
      refusal: { kind: 'version-1-missing', clause: 'rfb.device.2' },
    });
    expect(decideFeatures(V1, 0n, QEMU_FEATURE_ACCEPTANCE, ACCEPT)).toEqual({ kind: 'accept', features: 0n });
  });

  it('refuses a missing offered ACCESS_PLATFORM under both presets, ORDER_PLATFORM only when asked', () => {
    const offered = V1 | featureMask(VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_ORDER_PLATFORM);
    for (const policy of [STRICT_FEATURE_ACCEPTANCE, QEMU_FEATURE_ACCEPTANCE]) {
      const d = decideFeatures(offered, V1, policy, ACCEPT);
      expect(d.kind === 'refuse' ? d.refusal.kind : d.kind).toBe('access-platform-missing');
    }
    const noOrder = V1 | featureMask(VIRTIO_F_ACCESS_PLATFORM);
    expect(decideFeatures(offered, noOrder, STRICT_FEATURE_ACCEPTANCE, ACCEPT).kind).toBe('accept');
    expect(decideFeatures(offered, noOrder, { requireOrderPlatform: true }, ACCEPT)).toEqual({
      kind: 'refuse',
      refusal: { kind: 'order-platform-missing', clause: 'rfb.device.6' },
    });
  });

  it('device rules refuse under enforce and are skipped under ignore', () => {
    const refuse = (): FeatureValidation => ({ kind: 'refuse', reason: 'nope', clauses: ['x'] });
    expect(decideFeatures(V1, V1, {}, refuse)).toEqual({ kind: 'refuse', refusal: { kind: 'device-rule', reason: 'nope', clauses: ['x'] } });
    expect(decideFeatures(V1, V1, { deviceRules: 'ignore' }, refuse).kind).toBe('accept');
  });

  const bits96 = fc.bigInt({ min: 0n, max: (1n << 96n) - 1n });

  test.prop([bits96, bits96, fc.option(bits96, { nil: 0n })])(
    'strict: accepts exactly the subsets of the offer that contain VERSION_1 (and an offered ACCESS_PLATFORM)',
    (offerBits, pick, extra) => {
      const offered = offerBits | V1;
      const driverBits = (offered & pick) | extra;
      const d = decideFeatures(offered, driverBits, STRICT_FEATURE_ACCEPTANCE, ACCEPT);
      const isSubset = (driverBits & ~offered) === 0n;
      const needsPlatform = hasFeature(offered, VIRTIO_F_ACCESS_PLATFORM) && !hasFeature(driverBits, VIRTIO_F_ACCESS_PLATFORM);
      const valid = isSubset && hasFeature(driverBits, VIRTIO_F_VERSION_1) && !needsPlatform;
      expect(d.kind).toBe(valid ? 'accept' : 'refuse');
      if (d.kind === 'accept') expect(d.features).toBe(driverBits);
    },
  );

  test.prop([bits96, bits96])(
    'mask: never negotiates a bit that was not offered',
    (offered, driverBits) => {
      const d = decideFeatures(offered & ~featureMask(VIRTIO_F_ACCESS_PLATFORM), driverBits, QEMU_FEATURE_ACCEPTANCE, ACCEPT);
      expect(d.kind).toBe('accept');
      if (d.kind === 'accept') {
        expect(d.features & ~offered).toBe(0n);
        expect(d.features).toBe(driverBits & offered & ~featureMask(VIRTIO_F_ACCESS_PLATFORM));
      }
    },
  );
});

describe('validateNetDependencies', () => {
  it('refuses CTRL_RX without CTRL_VQ with the derived clause', () => {
    const v = validateNetDependencies(featureMask(VIRTIO_NET_F_CTRL_RX));
    expect(v).toEqual({
      kind: 'refuse',
      reason: 'VIRTIO_NET_F_CTRL_RX without VIRTIO_NET_F_CTRL_VQ',
      clauses: ['features.driver.2', 'net.featdep.ctrl-rx.driver'],
    });
    expect(validateNetDependencies(featureMask(VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MRG_RXBUF))).toEqual({ kind: 'accept' });
  });
});

describe('describeRefusal', () => {
  it('names unoffered bits', () => {
    expect(describeRefusal({ kind: 'unoffered-bits', bits: featureMask(34), clause: 'features.driver.1' })).toBe(
      'driver accepted bits the device did not offer: VIRTIO_F_RING_PACKED',
    );
  });
});
