import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { virtqDescTableSize } from '../../../specs/virtqueue/index.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { chooseQueueSize, createDriverRing, isPowerOfTwo, RingPool } from './ring-setup.js';
import type { RingOptions } from './virtio-config-ops.js';

const SPLIT: RingOptions = { format: 'split', eventIdx: false, indirect: true, inOrder: false, notificationData: false };
const PACKED: RingOptions = { ...SPLIT, format: 'packed' };

describe('chooseQueueSize', () => {
  test.prop([fc.integer({ min: 0, max: 15 }), fc.option(fc.integer({ min: 1, max: 70000 }), { nil: undefined })])(
    'split: the largest power of 2 within the device max and the request',
    (log2max, requested) => {
      const max = 2 ** log2max;
      const r = chooseQueueSize('split', max, requested);
      const cap = Math.min(max, requested ?? max);
      let expected = 1;
      while (expected * 2 <= cap) expected *= 2;
      expect(r).toEqual({ kind: 'ok', value: expected });
    },
  );

  test.prop([fc.integer({ min: 1, max: 0x10000 }), fc.option(fc.integer({ min: 1, max: 0x10000 }), { nil: undefined })])(
    'packed: any size within the device max, the request and 32768',
    (max, requested) => {
      expect(chooseQueueSize('packed', max, requested)).toEqual({ kind: 'ok', value: Math.min(max, requested ?? max, 32768) });
    },
  );

  const powers = new Set(Array.from({ length: 17 }, (_, k) => 2 ** k));

  test.prop([fc.constantFrom('split' as const, 'packed' as const), fc.integer({ min: 1, max: 0xffff })])(
    "modern PCI ('pci-modern' rule): a maximum that is not a power of 2 is refused for either format, blaming the device only for split",
    (format, max) => {
      const pci = chooseQueueSize(format, max, undefined, 'pci-modern');
      if (powers.has(max)) {
        expect(pci).toEqual(chooseQueueSize(format, max));
        expect(pci.kind).toBe('ok');
      } else {
        expect(pci).toMatchObject({ code: 'queue-size-invalid', errno: -22, clauses: format === 'split' ? ['pci.common.device.15'] : [] });
        // The ring rule alone (MMIO) refuses only the split ring (one above 32768 is capped to 32768 instead).
        expect(chooseQueueSize(format, max).kind).toBe(format === 'split' && max <= 32768 ? 'virtio-error' : 'ok');
      }
    },
  );

  test.prop([fc.integer({ min: 1, max: 0xffff })])('isPowerOfTwo agrees with the powers of 2 up to 2^16', (n) => {
    expect(isPowerOfTwo(n)).toBe(powers.has(n));
  });

  it('refuses a missing queue and a split maximum that is not a power of 2', () => {
    expect(chooseQueueSize('split', 0)).toMatchObject({ code: 'queue-unavailable' });
    expect(chooseQueueSize('split', 96)).toMatchObject({ code: 'queue-size-invalid' });
    expect(chooseQueueSize('split', 64, 0)).toMatchObject({ code: 'queue-size-invalid' });
  });
});

describe('RingPool', () => {
  it('gives the same memory back for the same queue shape, new memory for another', () => {
    const mem = new GuestMemory(1 << 20);
    const pool = new RingPool(mem, new GuestAllocator(mem, 0x1000));
    const a = pool.acquire(0, 'split', 64, SPLIT);
    const b = pool.acquire(0, 'split', 64, SPLIT);
    const c = pool.acquire(0, 'split', 32, SPLIT);
    const d = pool.acquire(1, 'split', 64, SPLIT);
    if (a.kind !== 'ok' || b.kind !== 'ok' || c.kind !== 'ok' || d.kind !== 'ok') throw new Error('allocation failed');
    expect(b.value).toBe(a.value);
    expect(c.value.layout.descAddr).not.toBe(a.value.layout.descAddr);
    expect(d.value.layout.descAddr).not.toBe(a.value.layout.descAddr);
    expect(a.value.indirectMaxEntries).toBe(32);
    expect(a.value.layout.descAddr % 16).toBe(0);
  });

  it('halves a split ring that does not fit (Linux may_reduce_num); a packed ring fails with -ENOMEM', () => {
    const mem = new GuestMemory(1 << 16);
    const small = new GuestAllocator(mem, 0, 3 * virtqDescTableSize(64));
    const split = new RingPool(mem, small).acquire(0, 'split', 256, { ...SPLIT, indirect: false });
    expect(split).toMatchObject({ kind: 'ok', value: { layout: { size: 64 } } });
    const tiny = new GuestAllocator(mem, 0, 64);
    expect(new RingPool(mem, tiny).acquire(0, 'packed', 256, PACKED)).toMatchObject({ code: 'out-of-memory', errno: -12 });
    expect(tiny.next).toBe(0);
  });

  it('goes without an indirect pool when only the ring fits', () => {
    const mem = new GuestMemory(1 << 16);
    const alloc = new GuestAllocator(mem, 0, 4096);
    const r = new RingPool(mem, alloc).acquire(0, 'split', 64, SPLIT);
    expect(r).toMatchObject({ kind: 'ok', value: { indirectArea: undefined, indirectMaxEntries: 0 } });
    if (r.kind !== 'ok') return;
    const ring = createDriverRing<number>(mem, r.value, SPLIT, true);
    expect(ring.format).toBe('split');
    expect(ring.size).toBe(64);
  });
});
