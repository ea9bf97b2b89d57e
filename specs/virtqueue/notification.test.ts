import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  decodeNotificationData,
  encodeNotificationData,
  packedNotificationData,
  splitNotificationData,
  vring_need_event,
  vring_packed_need_event,
} from './notification.js';

/** Model: walk from old to new one step at a time and see whether we pass `event`. */
function crosses(event: number, newIdx: number, oldIdx: number): boolean {
  for (let i = oldIdx; i !== newIdx; i = (i + 1) & 0xffff) if (i === event) return true;
  return false;
}

describe('vring_need_event', () => {
  it('fires exactly when the event index is inside [old, new)', () => {
    expect(vring_need_event(5, 6, 5)).toBe(true);
    expect(vring_need_event(5, 5, 4)).toBe(false);
    expect(vring_need_event(6, 6, 5)).toBe(false);
    expect(vring_need_event(4, 6, 5)).toBe(false);
    expect(vring_need_event(0, 6, 6)).toBe(false);
  });

  it('wraps at 65536', () => {
    expect(vring_need_event(65535, 1, 65534)).toBe(true);
    expect(vring_need_event(0, 1, 65535)).toBe(true);
    expect(vring_need_event(1, 1, 65535)).toBe(false);
  });

  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 300 })])(
    'matches a step-by-step crossing model',
    (event, oldIdx, step) => {
      const newIdx = (oldIdx + step) & 0xffff;
      expect(vring_need_event(event, newIdx, oldIdx)).toBe(crosses(event, newIdx, oldIdx));
    },
  );
});

describe('vring_packed_need_event', () => {
  it('moves an event from the other lap back by num', () => {
    // num 8: the device went from slot 6 (wrap 1) to slot 1 (wrap 0), writing slots 6, 7, 0.
    expect(vring_packed_need_event(0x8007, 0, 8, 1, -2)).toBe(true);
    expect(vring_packed_need_event(0x0000, 0, 8, 1, -2)).toBe(true);
    expect(vring_packed_need_event(0x0001, 0, 8, 1, -2)).toBe(false);
    expect(vring_packed_need_event(0x8005, 0, 8, 1, -2)).toBe(false);
  });
});

describe('notification data (2.9)', () => {
  it('puts vq index, next_off and next_wrap in bits 0-15, 16-30, 31', () => {
    expect(encodeNotificationData({ vqIndex: 2, nextOff: 5, nextWrap: 1 })).toBe(0x8005_0002);
    expect(decodeNotificationData(0x8005_0002)).toEqual({ vqIndex: 2, nextOff: 5, nextWrap: 1 });
  });

  it('derives split next_off/next_wrap from avail idx and packed ones from slot and wrap', () => {
    expect(splitNotificationData(1, 0x8003)).toBe(0x8003_0001);
    expect(splitNotificationData(1, 0x7fff)).toBe(0x7fff_0001);
    expect(packedNotificationData(3, 10, 0)).toBe(0x000a_0003);
  });

  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0x7fff }), fc.integer({ min: 0, max: 1 })])(
    'round-trips',
    (vqIndex, nextOff, nextWrap) => {
      const v = encodeNotificationData({ vqIndex, nextOff, nextWrap });
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(2 ** 32);
      expect(decodeNotificationData(v)).toEqual({ vqIndex, nextOff, nextWrap });
    },
  );
});
