import { describe, expect, test } from 'vitest';
import { virtq_avail, virtq_used, virtqAvailRingEntryOffset } from '../../../specs/virtqueue/index.js';
import { GuestAllocator, GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { allocateSplitRing } from '../../../reference-impl/virtqueue/index.js';
import { ByteMemoryReader } from '../../observers/index.js';
import { QueueObservers } from './queue-observers.js';

function twoSplitQueues() {
  const mem = new GuestMemory(1 << 16);
  const alloc = new GuestAllocator(mem, 0x100);
  const layouts = [allocateSplitRing(alloc, 4), allocateSplitRing(alloc, 4)];
  const seen: string[] = [];
  const observers = new QueueObservers(new ByteMemoryReader(mem.u8), { onFinding: (f) => seen.push(f.kind === 'violation' ? f.rule : 'desync') });
  layouts.forEach((l, queue) => observers.attach({ queue, format: 'split', ...l }, 0n));
  return { mem, layouts, observers, seen };
}

describe('QueueObservers', () => {
  test('a kick checkpoints only the kicked queue; a step end judges every queue', () => {
    const { mem, layouts, observers } = twoSplitQueues();
    const [a, b] = layouts as [ReturnType<typeof allocateSplitRing>, ReturnType<typeof allocateSplitRing>];
    // One buffer on each queue: descriptor 0 (8 bytes at 0x8000), avail entry 0, avail.idx 1.
    for (const l of [a, b]) {
      mem.write32(l.descAddr, 0x8000);
      mem.write32(l.descAddr + 8, 8);
      mem.write16(l.driverAddr + virtqAvailRingEntryOffset(0), 0);
      mem.write16(l.driverAddr + virtq_avail.fields.idx.offset, 1);
    }
    observers.driverNotify(0);
    observers.afterDriverStep();
    // Queue 1 made a buffer available with used.flags 0 and no kick: the only finding.
    expect(observers.violations('driver').map((v) => [v.rule, v.queue])).toEqual([['ring.split.driver-notify-flags', 1]]);
    expect(observers.violations('device')).toEqual([]);
  });

  test('findings outlive a replaced observer, and are filtered by role and rule', () => {
    const { mem, layouts, observers, seen } = twoSplitQueues();
    const a = layouts[0] as ReturnType<typeof allocateSplitRing>;
    mem.write16(a.deviceAddr + virtq_used.fields.flags.offset, 2);
    observers.checkpoint('device');
    expect(seen).toEqual(['ring.split.used-flags']);
    // A new observer at a queue enable with used.flags not zeroed reports the driver.
    observers.attach({ queue: 0, format: 'split', ...a }, 0n);
    expect(seen).toEqual(['ring.split.used-flags', 'ring.split.used-flags-zeroed']);
    expect(observers.queues).toEqual([0, 1]);
    expect(observers.violations('device').map((v) => v.clause)).toEqual(['split.asupp.device.1']);
    expect(observers.violations('driver').map((v) => v.clause)).toEqual(['split.asupp.driver.1']);
    expect(observers.violations('device', new Set(['ring.split.used-id'])).length).toBe(0);
    observers.detachAll();
    expect(observers.queues).toEqual([]);
    expect(observers.findings.length).toBe(2);
  });
});
