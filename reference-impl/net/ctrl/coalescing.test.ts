import { describe, expect, it } from 'vitest';
import { CoalescingTable, NO_COALESCING } from './coalescing.js';

describe('CoalescingTable', () => {
  it('TX_SET and RX_SET cover every queue of their direction; VQ_SET one queue (net.ctrl.coal.any.2)', () => {
    const t = new CoalescingTable(6);
    t.setAllTx({ maxPackets: 1, maxUsecs: 2 });
    t.setAllRx({ maxPackets: 3, maxUsecs: 4 });
    t.setQueue(4, { maxPackets: 9, maxUsecs: 9 });
    expect(Array.from({ length: 6 }, (_, i) => t.get(i))).toEqual([
      { maxPackets: 3, maxUsecs: 4 },
      { maxPackets: 1, maxUsecs: 2 },
      { maxPackets: 3, maxUsecs: 4 },
      { maxPackets: 1, maxUsecs: 2 },
      { maxPackets: 9, maxUsecs: 9 },
      { maxPackets: 1, maxUsecs: 2 },
    ]);
    expect([t.tx, t.rx]).toEqual([{ maxPackets: 1, maxUsecs: 2 }, { maxPackets: 3, maxUsecs: 4 }]);
  });

  it('a re-enabled queue reverts to its direction-wide values, or 0 (net.ctrl.coal.device.5/6)', () => {
    const t = new CoalescingTable(4);
    t.setQueue(1, { maxPackets: 5, maxUsecs: 5 });
    t.queueReenabled(1);
    expect(t.get(1)).toEqual(NO_COALESCING);
    t.setAllRx({ maxPackets: 7, maxUsecs: 8 });
    t.setQueue(2, { maxPackets: 1, maxUsecs: 1 });
    t.queueReenabled(2);
    expect(t.get(2)).toEqual({ maxPackets: 7, maxUsecs: 8 });
  });

  it('keeps full u32 values, ignores out-of-range queues, and reset zeroes all (net.ctrl.coal.device.9)', () => {
    const t = new CoalescingTable(2);
    t.setQueue(0, { maxPackets: 0xffffffff, maxUsecs: 0x80000000 });
    expect(t.get(0)).toEqual({ maxPackets: 0xffffffff, maxUsecs: 0x80000000 });
    t.setQueue(2, { maxPackets: 1, maxUsecs: 1 });
    expect([t.get(2), t.get(-1), t.get(0.5)]).toEqual([undefined, undefined, undefined]);
    t.setAllTx({ maxPackets: 3, maxUsecs: 3 });
    t.reset();
    expect([t.get(0), t.get(1), t.tx, t.rx]).toEqual([NO_COALESCING, NO_COALESCING, NO_COALESCING, NO_COALESCING]);
  });
});
