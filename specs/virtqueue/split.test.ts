import { describe, expect, it } from 'vitest';
import { checkLayout } from '../layout.js';
import {
  isValidSplitQueueSize,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_MAX_SIZE,
  VIRTQ_USED_F_NO_NOTIFY,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_USED_F_NO_NOTIFY,
  virtq_avail,
  virtq_desc,
  virtq_used,
  virtq_used_elem,
  virtqAvailRingEntryOffset,
  virtqAvailRingSize,
  virtqAvailUsedEventOffset,
  virtqDescTableSize,
  virtqLegacyRingSize,
  virtqLegacyUsedOffset,
  virtqUsedAvailEventOffset,
  virtqUsedRingEntryOffset,
  virtqUsedRingSize,
} from './split.js';

describe('split ring layout (2.7)', () => {
  it('has the virtq_desc fields at 0/8/12/14 in 16 bytes', () => {
    expect(virtq_desc.size).toBe(16);
    expect(virtq_desc.fields).toEqual({
      addr: { offset: 0, size: 8 },
      len: { offset: 8, size: 4 },
      flags: { offset: 12, size: 2 },
      next: { offset: 14, size: 2 },
    });
    expect(checkLayout(virtq_desc).kind).toBe('layout-ok');
  });

  it('has flags/idx headers and 8-byte used elements', () => {
    expect(virtq_avail.fields.idx.offset).toBe(2);
    expect(virtq_used.fields.idx.offset).toBe(2);
    expect(virtq_used_elem.fields.len).toEqual({ offset: 4, size: 4 });
    expect(virtq_used_elem.size).toBe(8);
  });

  it('uses the flag values 1/2/4 and NO_INTERRUPT = NO_NOTIFY = 1 with Linux aliases', () => {
    expect([VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT]).toEqual([1, 2, 4]);
    expect(VIRTQ_AVAIL_F_NO_INTERRUPT).toBe(1);
    expect(VRING_AVAIL_F_NO_INTERRUPT).toBe(1);
    expect(VIRTQ_USED_F_NO_NOTIFY).toBe(1);
    expect(VRING_USED_F_NO_NOTIFY).toBe(1);
  });

  it('sizes the areas as 16Q, 6+2Q, 6+8Q', () => {
    expect(virtqDescTableSize(256)).toBe(4096);
    expect(virtqAvailRingSize(256)).toBe(518);
    expect(virtqUsedRingSize(256)).toBe(2054);
  });

  it('puts used_event after avail->ring[Q] and avail_event after used->ring[Q]', () => {
    expect(virtqAvailRingEntryOffset(3)).toBe(10);
    expect(virtqAvailUsedEventOffset(8)).toBe(20);
    expect(virtqUsedRingEntryOffset(3)).toBe(28);
    expect(virtqUsedAvailEventOffset(8)).toBe(68);
    // The event fields are the last two bytes of each area.
    expect(virtqAvailUsedEventOffset(8) + 2).toBe(virtqAvailRingSize(8));
    expect(virtqUsedAvailEventOffset(8) + 2).toBe(virtqUsedRingSize(8));
  });

  it('computes the legacy contiguous size with 4096 alignment', () => {
    // Q = 256: ALIGN(4096 + 514) + ALIGN(6 + 2048) = 8192 + 4096.
    expect(virtqLegacyRingSize(256)).toBe(12288);
    expect(virtqLegacyUsedOffset(256)).toBe(8192);
    expect(virtqLegacyRingSize(1, 4)).toBe(24 + 16);
  });

  it('accepts only powers of 2 from 1 to 32768 as queue sizes', () => {
    expect(VIRTQ_MAX_SIZE).toBe(32768);
    for (const ok of [1, 2, 256, 32768]) expect(isValidSplitQueueSize(ok)).toBe(true);
    for (const bad of [0, 3, 255, 65536, 1.5, -2]) expect(isValidSplitQueueSize(bad)).toBe(false);
  });
});
