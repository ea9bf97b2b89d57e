import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { vring_need_event, vring_packed_need_event } from '../../specs/virtqueue/notification.js';
import { eventInWindow16, hasBit, packedEventInWindow, wrapAt } from './ring-observer.js';

const u16 = fc.integer({ min: 0, max: 0xffff });

describe('event windows', () => {
  test.prop([u16, u16, u16])('eventInWindow16 agrees with vring_need_event', (event, oldIdx, newIdx) => {
    expect(eventInWindow16(event, oldIdx, newIdx)).toBe(vring_need_event(event, newIdx, oldIdx));
  });

  test('eventInWindow16 examples from the spec note: used_event 0 fires on the first buffer only', () => {
    expect(eventInWindow16(0, 0, 1)).toBe(true);
    expect(eventInWindow16(0, 1, 2)).toBe(false);
    expect(eventInWindow16(0, 0xffff, 1)).toBe(true);
    expect(eventInWindow16(5, 5, 5)).toBe(false);
  });

  test('wrapAt starts at 1 and flips every Q positions', () => {
    expect([0, 2, 3, 5, 6, 9].map((p) => wrapAt(p, 3))).toEqual([1, 1, 0, 0, 1, 0]);
  });

  // The observer counts absolute positions; Linux and QEMU use ring offsets and the current wrap
  // counter. Both must agree whenever the window is shorter than the ring.
  test.prop([
    fc.integer({ min: 1, max: 64 }).chain((q) =>
      fc.tuple(fc.constant(q), fc.integer({ min: 0, max: 10 * q }), fc.integer({ min: 0, max: q }), fc.integer({ min: 0, max: q - 1 }), fc.integer({ min: 0, max: 1 })),
    ),
  ])('packedEventInWindow agrees with vring_packed_need_event for windows up to Q', ([q, oldPos, len, off, wrap]) => {
    const newPos = oldPos + len;
    const offWrap = off | (wrap << 15);
    const ours = packedEventInWindow(offWrap, q, oldPos, newPos);
    // As Linux: old = new - num_added, in the current lap's offsets (negative when the window wraps).
    const theirs = vring_packed_need_event(offWrap, wrapAt(newPos, q), q, newPos % q, (newPos % q) - len);
    expect(ours).toBe(theirs);
  });

  test('packedEventInWindow ignores an offset outside the ring', () => {
    expect(packedEventInWindow(0x8000 | 7, 4, 0, 4)).toBe(false);
  });

  test('hasBit reads feature bits above 31', () => {
    expect(hasBit(1n << 34n, 34)).toBe(true);
    expect(hasBit(1n << 34n, 29)).toBe(false);
  });
});
