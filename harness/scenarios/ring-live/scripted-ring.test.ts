import { describe, expect, test } from 'vitest';
import {
  PVIRTQ_DESC_SIZE,
  pvirtq_desc,
  VIRTQ_DESC_F_AVAIL,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_USED,
  VIRTQ_DESC_F_WRITE,
  virtq_avail,
  virtq_desc,
  virtqAvailRingEntryOffset,
} from '../../../specs/virtqueue/index.js';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { GuestAllocator, GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { allocatePackedRing, allocateSplitRing } from '../../../reference-impl/virtqueue/index.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { testFrame } from './device-commands.js';
import { DeviceSession, NET_HDR_LEN, TX_QUEUE } from './device-session.js';
import { openDeviceSession } from './open-device-session.js';
import { MALFORMED_CASES } from './malformed-chains.js';
import { ScriptedPackedRing, ScriptedSplitRing } from './scripted-ring.js';
import { UNUSUAL_CHAINS } from './unusual-chains.js';

describe('scripted rings write the spec layouts', () => {
  test('split: a chain is NEXT-linked at fresh indices and published through the ring entry and avail->idx', () => {
    const mem = new GuestMemory(1 << 16);
    const layout = allocateSplitRing(new GuestAllocator(mem, 0x100), 4);
    const ring = new ScriptedSplitRing(mem, layout);
    ring.take(3);
    const head = ring.chain([{ addr: 0x9000, len: 12, flags: 0 }, { addr: 0x9100, len: 60, flags: VIRTQ_DESC_F_WRITE }]);
    ring.publish(head);
    const d = (i: number, f: 'addr' | 'len' | 'flags' | 'next') => {
      const at = layout.descAddr + 16 * i + virtq_desc.fields[f].offset;
      return f === 'flags' || f === 'next' ? mem.read16(at) : mem.read32(at);
    };
    expect(head).toBe(3);
    expect([d(3, 'addr'), d(3, 'len'), d(3, 'flags'), d(3, 'next')]).toEqual([0x9000, 12, VIRTQ_DESC_F_NEXT, 0]);
    expect([d(0, 'addr'), d(0, 'len'), d(0, 'flags')]).toEqual([0x9100, 60, VIRTQ_DESC_F_WRITE]);
    expect(mem.read16(layout.driverAddr + virtqAvailRingEntryOffset(0))).toBe(3);
    expect(mem.read16(layout.driverAddr + virtq_avail.fields.idx.offset)).toBe(1);
    ring.jump(0xffff);
    expect(mem.read16(layout.driverAddr + virtq_avail.fields.idx.offset)).toBe(0);
  });

  test('packed: descriptors carry the driver wrap counter of their position, the id in every one, NEXT on all but the last', () => {
    const mem = new GuestMemory(1 << 16);
    const layout = allocatePackedRing(new GuestAllocator(mem, 0x100), 3);
    const ring = new ScriptedPackedRing(mem, layout);
    ring.publish([{ addr: 0x9000, len: 72, flags: 0 }], ring.nextId());
    ring.publish([{ addr: 0x9100, len: 12, flags: 0 }, { addr: 0x9200, len: 60, flags: 0 }], ring.nextId());
    ring.publish([{ addr: 0x9300, len: 72, flags: 0 }], ring.nextId());
    const flags = (slot: number) => mem.read16(layout.descAddr + PVIRTQ_DESC_SIZE * slot + pvirtq_desc.fields.flags.offset);
    const id = (slot: number) => mem.read16(layout.descAddr + PVIRTQ_DESC_SIZE * slot + pvirtq_desc.fields.id.offset);
    // Position 3 is slot 0 of the second lap: AVAIL 0, USED 1.
    expect([flags(0), flags(1), flags(2)]).toEqual([VIRTQ_DESC_F_USED, VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_AVAIL]);
    expect([id(0), id(1), id(2)]).toEqual([2, 1, 1]);
  });
});

async function session(ring: 'split' | 'packed', indirect: boolean): Promise<DeviceSession> {
  const created = referenceDeviceAdapter().create({ transport: 'pci', addFeatures: ring === 'packed' ? ['VIRTIO_F_RING_PACKED'] : [] });
  if ('then' in created || created.kind !== 'created') throw new Error('refused');
  const s = await openDeviceSession(created.device, { ring, eventIdx: false, indirect, queueSize: 16 });
  if (!(s instanceof DeviceSession)) throw new Error(JSON.stringify(s));
  return s;
}

/** Cases whose broken rule is not one the ring observers enforce (no spec clause forbids the chain). */
const NOT_AN_OBSERVER_RULE = new Set(['zero-length-buffer', 'buffer-outside-memory']);

describe('malformed chains', () => {
  for (const c of MALFORMED_CASES) {
    test(`${c.format} ${c.name}: the observers blame the driver and the reference device sets DEVICE_NEEDS_RESET`, async () => {
      const s = await session(c.format, c.indirect ?? true);
      const mem = s.device.memory;
      const buffer = s.slotAddr(TX_QUEUE, 0);
      mem.view.writeBytes(buffer + NET_HDR_LEN, testFrame(60, 1));
      const ring = c.format === 'split' ? new ScriptedSplitRing(mem.view, s.tx.layout) : new ScriptedPackedRing(mem.view, s.tx.layout);
      c.publish(ring, { buffer, headerLength: NET_HDR_LEN, frameLength: 60, tables: mem.allocator.alloc(128, 16), memorySize: mem.view.size });
      await s.notify(TX_QUEUE);
      const blamed = s.observers.violations('driver');
      if (NOT_AN_OBSERVER_RULE.has(c.name)) expect(blamed).toEqual([]);
      else expect(blamed.length).toBeGreaterThan(0);
      expect(s.observers.violations('device')).toEqual([]);
      expect((await s.status()) & VIRTIO_CONFIG_S_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
      expect(await s.device.wire.drain()).toEqual([]);
    });
  }
});

describe('unusual chains', () => {
  for (const c of UNUSUAL_CHAINS) {
    test(`${c.format} ${c.name}: the reference device transmits exactly the frame`, async () => {
      const s = await session(c.format, true);
      const mem = s.device.memory;
      const buffer = s.slotAddr(TX_QUEUE, 0);
      const frame = testFrame(300, 7);
      mem.view.writeBytes(buffer + NET_HDR_LEN, frame);
      const ring = c.format === 'split' ? new ScriptedSplitRing(mem.view, s.tx.layout) : new ScriptedPackedRing(mem.view, s.tx.layout);
      c.publish(ring, { buffer, headerLength: NET_HDR_LEN, frameLength: frame.length, cut: 100, table: mem.allocator.alloc(64, 16) });
      await s.notify(TX_QUEUE);
      expect((await s.device.wire.drain()).map((f) => [...f.bytes])).toEqual([[...frame]]);
      // Only the reserved table flags break a driver rule (packed.indirect.driver.2); the device must ignore them.
      const blamed = s.observers.violations('driver').map((v) => v.clause);
      expect(blamed).toEqual(c.name === 'reserved-flags-in-table' ? ['packed.indirect.driver.2'] : []);
      expect(s.observers.violations('device')).toEqual([]);
    });
  }
});
