import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../../../reference-impl/device/events.js';
import { referenceDeviceAdapter, type ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import { acceptedSet, initCycles, refuseFeaturesOk, showConfigValue } from './instrument.js';

const status = (written: number, before: number, after: number): DeviceEvent => ({ kind: 'status-write', written, before, after });
const feature = (select: number, value: number): DeviceEvent => ({ kind: 'feature-write', select, value, applied: true });

function device(): ReferenceDeviceUnderTest {
  const created = referenceDeviceAdapter().create({ transport: 'mmio' });
  if ('then' in created || created.kind !== 'created') throw new Error('no device');
  return created.device as ReferenceDeviceUnderTest;
}

describe('initCycles', () => {
  it('splits at resets and records the set at FEATURES_OK and DRIVER_OK', () => {
    const cycles = initCycles([
      { kind: 'reset' },
      status(0, 0, 0),
      status(1, 0, 1),
      status(3, 1, 3),
      feature(0, 0x20),
      feature(1, 1),
      feature(0, 0x28),
      status(0xb, 3, 0xb),
      feature(0, 0xff),
      status(0xf, 0xb, 0xf),
      { kind: 'reset' },
      status(0, 0xf, 0),
      status(1, 0, 1),
    ]);
    expect(cycles).toHaveLength(2);
    const [first, second] = cycles;
    expect(first?.startedWithReset).toBe(true);
    expect(first?.atFeaturesOk).toBe(0x1_0000_0028n);
    expect(first?.featuresOkKept).toBe(true);
    expect(first?.atDriverOk).toBe(0x1_0000_00ffn);
    expect(first?.featureWrites.map((w) => w.afterFeaturesOk)).toEqual([false, false, false, true]);
    expect(first && acceptedSet(first)).toBe(0x1_0000_0028n);
    expect(second?.statusWrites.map((w) => w.written)).toEqual([0, 1]);
    expect(second?.atFeaturesOk).toBeNull();
  });

  it('notes a refusal, DRIVER_OK after it, and FAILED', () => {
    const [cycle] = initCycles([status(0, 0, 0), status(3, 0, 3), feature(1, 1), status(0xb, 3, 3), status(7, 3, 7), status(0x87, 7, 0x87)]);
    expect(cycle?.featuresOkKept).toBe(false);
    expect(cycle?.driverOkAfterRefusal).toBe(true);
    expect(cycle?.failed).toBe(true);
  });

  it('keeps writes made before any reset in a cycle that did not start with one', () => {
    const [cycle] = initCycles([status(1, 0, 1)]);
    expect(cycle?.startedWithReset).toBe(false);
  });

  it('takes the DRIVER_OK set as accepted when a driver skipped FEATURES_OK', () => {
    const [cycle] = initCycles([status(0, 0, 0), status(3, 0, 3), feature(0, 5), status(7, 3, 7)]);
    expect(cycle && acceptedSet(cycle)).toBe(5n);
  });
});

describe('instrument set-up', () => {
  it('showConfigValue overlays exactly the bytes of the field, at any access width', () => {
    const d = device();
    const core = d.reference.core;
    const before = [8, 9, 10, 11, 12].map((o) => core.readConfig(o, 1));
    showConfigValue(d, 10, 2, 0x1234);
    expect(core.readConfig(10, 2)).toBe(0x1234);
    expect(core.readConfig(10, 1)).toBe(0x34);
    expect(core.readConfig(11, 1)).toBe(0x12);
    expect(core.readConfig(8, 4)).toBe(((0x1234 << 16) | (before[1] as number) << 8 | (before[0] as number)) >>> 0);
    expect(core.readConfig(12, 1)).toBe(before[4]);
  });

  it('refuseFeaturesOk leaves FEATURES_OK clear and logs the refusal', () => {
    const d = device();
    refuseFeaturesOk(d, 'test');
    const core = d.reference.core;
    core.writeStatus(0);
    core.writeStatus(1);
    core.writeStatus(3);
    core.writeDriverFeatures(0);
    core.driverFeatureSelect = 1;
    core.writeDriverFeatures(1);
    core.writeStatus(0xb);
    expect(core.readStatus()).toBe(3);
    expect(d.reference.events.ofKind('features-refused')).toHaveLength(1);
  });
});
