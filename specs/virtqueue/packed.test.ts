import { describe, expect, it } from 'vitest';
import { checkLayout } from '../layout.js';
import {
  eventOff,
  eventWrap,
  isPackedDescAvailable,
  isPackedDescUsed,
  isValidPackedQueueSize,
  packEventOffWrap,
  pvirtq_desc,
  pvirtq_event_suppress,
  pvirtqDescRingSize,
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_USED,
} from './packed.js';

describe('packed ring layout (2.8)', () => {
  it('has pvirtq_desc fields addr@0 len@8 id@12 flags@14', () => {
    expect(pvirtq_desc.size).toBe(16);
    expect(pvirtq_desc.fields.id).toEqual({ offset: 12, size: 2 });
    expect(pvirtq_desc.fields.flags).toEqual({ offset: 14, size: 2 });
    expect(checkLayout(pvirtq_desc).kind).toBe('layout-ok');
    expect(pvirtqDescRingSize(3)).toBe(48);
  });

  it('has a 4-byte event suppression structure and the flag values 0/1/2', () => {
    expect(pvirtq_event_suppress.size).toBe(4);
    expect(pvirtq_event_suppress.fields.flags.offset).toBe(2);
    expect([RING_EVENT_FLAGS_ENABLE, RING_EVENT_FLAGS_DISABLE, RING_EVENT_FLAGS_DESC]).toEqual([0, 1, 2]);
    expect(VIRTQ_DESC_F_AVAIL).toBe(0x80);
    expect(VIRTQ_DESC_F_USED).toBe(0x8000);
  });

  it('packs off into bits 0-14 and wrap into bit 15', () => {
    expect(packEventOffWrap(5, 1)).toBe(0x8005);
    expect(packEventOffWrap(0x7fff, 0)).toBe(0x7fff);
    expect(eventOff(0x8123)).toBe(0x123);
    expect(eventWrap(0x8123)).toBe(1);
    expect(eventWrap(0x7123)).toBe(0);
  });

  it('tells available and used descriptors apart by AVAIL/USED and the wrap counter', () => {
    const table: [number, number, boolean, boolean][] = [
      // flags, wrap, available, used
      [VIRTQ_DESC_F_AVAIL, 1, true, false],
      [VIRTQ_DESC_F_USED, 0, true, false],
      [VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED, 1, false, true],
      [0, 0, false, true],
      [0, 1, false, false],
      [VIRTQ_DESC_F_AVAIL, 0, false, false],
    ];
    for (const [flags, wrap, avail, used] of table) {
      expect(isPackedDescAvailable(flags, wrap)).toBe(avail);
      expect(isPackedDescUsed(flags, wrap)).toBe(used);
    }
  });

  it('accepts any size from 1 to 32768', () => {
    for (const ok of [1, 3, 255, 32768]) expect(isValidPackedQueueSize(ok)).toBe(true);
    for (const bad of [0, 32769, 2.5]) expect(isValidPackedQueueSize(bad)).toBe(false);
  });
});
