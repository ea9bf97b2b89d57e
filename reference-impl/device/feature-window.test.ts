import { describe, expect, it } from 'vitest';
import { featureMask, featureWord } from '../../specs/features/feature-set.js';
import { VIRTIO_F_RING_PACKED, VIRTIO_F_SR_IOV, VIRTIO_F_SUSPEND } from '../../specs/features/reserved.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK,
  VIRTIO_CONFIG_S_DRIVER as DRIVER,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK,
} from '../../specs/status.js';
import { FAKE_F_A, FAKE_F_B, FAKE_OFFERED_FEATURES, FakeBackend } from './fake-backend.js';
import { QEMU_FEATURE_ACCEPTANCE } from './feature-acceptance.js';
import { CORE_UNSUPPORTED_FEATURES } from './feature-window.js';
import { negotiate, setup, V1 } from './test-rig.js';

describe('feature negotiation', () => {
  it('shows the offered set through select windows 0, 1, 2 (bits up to 95) minus unsupported bits', () => {
    const offered = FAKE_OFFERED_FEATURES | featureMask(VIRTIO_F_SR_IOV, VIRTIO_F_SUSPEND, 70);
    const { device } = setup({}, new FakeBackend({ offeredFeatures: offered }));
    const visible = offered & ~CORE_UNSUPPORTED_FEATURES;
    const words = [0, 1, 2, 3].map((sel) => {
      device.deviceFeatureSelect = sel;
      return device.readDeviceFeatures();
    });
    expect(words).toEqual([featureWord(visible, 0), featureWord(visible, 1), 1 << 6, 0]);
    expect((words[1] as number) & (1 << (VIRTIO_F_SR_IOV - 32))).toBe(0);
  });

  it('refuses unoffered bits: FEATURES_OK reads back clear', () => {
    const { device } = setup({}, new FakeBackend({ offeredFeatures: V1 }));
    expect(negotiate(device, V1 | featureMask(VIRTIO_F_RING_PACKED))).toBe(ACK | DRIVER);
    const refused = device.events.ofKind('features-refused');
    expect(refused[0]?.refusal).toEqual({ kind: 'unoffered-bits', bits: featureMask(VIRTIO_F_RING_PACKED), clause: 'features.driver.1' });
    expect(device.counters.featuresRefused).toBe(1);
  });

  it('refuses a dependency violation reported by the backend', () => {
    const { device } = setup();
    expect(negotiate(device, V1 | featureMask(FAKE_F_B))).toBe(ACK | DRIVER);
    const refusal = device.events.ofKind('features-refused')[0]?.refusal;
    expect(refusal).toEqual({ kind: 'device-rule', reason: 'FAKE_F_B without FAKE_F_A', clauses: ['features.driver.2'] });
  });

  it('with the QEMU policy masks unoffered bits, keeps a missing VERSION_1 and an invalid set', () => {
    const { device } = setup({ featureAcceptance: QEMU_FEATURE_ACCEPTANCE }, new FakeBackend({ offeredFeatures: featureMask(FAKE_F_A, FAKE_F_B) | V1 }));
    expect(negotiate(device, featureMask(FAKE_F_B, 50))).toBe(ACK | DRIVER | FEATURES_OK);
    expect(device.negotiatedFeatures).toBe(featureMask(FAKE_F_B));
  });

  it('a scenario hook can refuse an otherwise valid subset', () => {
    const { device } = setup({ featureAcceptance: { refuse: () => 'test refusal' } });
    expect(negotiate(device, V1)).toBe(ACK | DRIVER);
    expect(device.events.ofKind('features-refused')[0]?.refusal).toEqual({ kind: 'scenario', reason: 'test refusal' });
  });

  it('ignores and counts driver feature writes after FEATURES_OK', () => {
    const { device } = setup();
    negotiate(device, V1);
    device.driverFeatureSelect = 0;
    device.writeDriverFeatures(1 << FAKE_F_A);
    expect(device.negotiatedFeatures).toBe(V1);
    expect(device.readDriverFeatures()).toBe(0);
    expect(device.counters.featureWritesIgnored).toBe(1);
    expect(device.events.ofKind('feature-write').at(-1)).toEqual({ kind: 'feature-write', select: 0, value: 1, applied: false });
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['init.driver.4']);
  });

  it('driver_feature mirrors unoffered bits, or drops them with offered-only read-back', () => {
    for (const [readback, expected] of [['mirror', 0x8000_0001], ['offered-only', 1]] as const) {
      const { device } = setup({ driverFeatureReadback: readback });
      device.writeDriverFeatures(0x8000_0001);
      expect(device.readDriverFeatures()).toBe(expected);
    }
  });

  it('keeps words 0..3 only: a write beyond bit 127 is ignored and its bits reported, whatever the select (`features.driver.1`)', () => {
    const { device } = setup();
    device.driverFeatureSelect = 3;
    device.writeDriverFeatures(0x8000_0000);
    expect(device.readDriverFeatures()).toBe(0x8000_0000);
    for (const select of [4, 0x0200_0000, 0xffff_ffff]) {
      device.driverFeatureSelect = select;
      device.writeDriverFeatures(1);
      expect(device.readDriverFeatures()).toBe(0);
    }
    device.writeDriverFeatures(0);
    expect(device.driverFeatures).toBe(1n << 127n);
    expect(device.events.ofKind('feature-write').map((e) => e.applied)).toEqual([true, false, false, false, false]);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['features.driver.1', 'features.driver.1', 'features.driver.1']);
  });
});
