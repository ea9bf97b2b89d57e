import { describe, expect, it } from 'vitest';
import { isValidNotifyOffMultiplier, pciModernLayout } from './pci-layout.js';

describe('pciModernLayout', () => {
  it('accepts 0 and powers of 4 as notify_off_multiplier (`pci.notify.device.3`, `.6`)', () => {
    expect([0, 4, 16, 64].map(isValidNotifyOffMultiplier)).toEqual([true, true, true, true]);
    expect([1, 2, 8, 12, 32].map(isValidNotifyOffMultiplier)).toEqual([false, false, false, false, false]);
    expect(() => pciModernLayout(2, 8, 3, 2, true)).toThrow(RangeError);
  });

  it('makes the notify area long enough for every queue with 32-bit writes (`pci.notify.device.5`, `.9`)', () => {
    for (const [queues, mult] of [[1, 4], [3, 4], [9, 16], [5, 0], [1024, 4]] as const) {
      const l = pciModernLayout(queues, 60, queues + 1, mult, true);
      expect(l.notify.length).toBeGreaterThanOrEqual((queues - 1) * mult + 4);
      expect(l.notify.offset % 4).toBe(0);
      expect(l.notify.offset + l.notify.length).toBeLessThanOrEqual(l.virtioBarSize);
      expect(l.virtioBarSize & (l.virtioBarSize - 1)).toBe(0);
    }
  });

  it('places the MSI-X PBA after the table inside BAR 1, and leaves MSI-X out with 0 vectors', () => {
    const l = pciModernLayout(2, 8, 200, 4, true);
    expect(l.msixPbaOffset).toBeGreaterThanOrEqual(200 * 16);
    expect(l.msixPbaOffset + 8 * Math.ceil(200 / 64)).toBeLessThanOrEqual(l.msixBarSize);
    const none = pciModernLayout(2, 8, 0, 4, false);
    expect([none.msixBar, none.caps.msix, none.caps.pciCfg]).toEqual([-1, -1, -1]);
  });
});
