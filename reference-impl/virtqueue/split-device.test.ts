import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_INDIRECT as I,
  VIRTQ_DESC_F_NEXT as N,
  VIRTQ_DESC_F_WRITE as W,
  virtqAvailUsedEventOffset,
  virtqUsedAvailEventOffset,
  virtqUsedRingEntryOffset,
  vring_need_event,
} from '../../specs/virtqueue/index.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { DeviceChain } from './device-chain.js';
import type { DeviceRingErrorCode } from './ring-error.js';
import { SplitDeviceQueue } from './split-device.js';
import { makeSplitPair, publishSplit, writeSplitDesc, writeSplitUsed } from './test-fixture.js';

function rig(o: { size?: number; indirect?: boolean; eventIdx?: boolean; inOrder?: boolean } = {}) {
  const p = makeSplitPair({ size: o.size ?? 8, indirect: o.indirect ?? true, eventIdx: o.eventIdx ?? false, inOrder: o.inOrder ?? false });
  const buf = p.bufferAddr(0);
  const table = p.bufferAddr(10);
  const desc = (i: number, d: Parameters<typeof writeSplitDesc>[3]) => writeSplitDesc(p.mem, p.layout.descAddr, i, d);
  const entry = (i: number, d: Parameters<typeof writeSplitDesc>[3]) => writeSplitDesc(p.mem, table, i, d);
  return { ...p, buf, table, desc, entry, publish: (...heads: number[]) => publishSplit(p.mem, p.layout, heads) };
}

function expectChain(r: ReturnType<SplitDeviceQueue['pop']>): DeviceChain {
  if (r === null || r.kind !== 'chain') throw new Error(`expected a chain, got ${JSON.stringify(r)}`);
  return r;
}

function expectError(r: ReturnType<SplitDeviceQueue['pop']>, code: DeviceRingErrorCode): void {
  expect(r).not.toBeNull();
  expect(r?.kind).toBe('ring-error');
  if (r?.kind === 'ring-error') expect(r.code).toBe(code);
}

describe('SplitDeviceQueue: valid chains', () => {
  it('pops a readable+writable chain in order with totals, and returns null when empty', () => {
    const r = rig();
    r.desc(3, { lo: r.buf, len: 12, flags: N, next: 5 });
    r.desc(5, { lo: r.buf + 100, len: 1514, flags: N | W, next: 1 });
    r.desc(1, { lo: r.buf + 2000, len: 64, flags: W });
    r.publish(3);
    const c = expectChain(r.device.pop());
    expect([c.id, c.slot, c.count, c.readableCount, c.writableCount, c.ringDescs]).toEqual([3, 0, 3, 1, 2, 3]);
    expect([c.readableBytes, c.writableBytes]).toEqual([12, 1578]);
    expect([...c.addr.subarray(0, 3)]).toEqual([r.buf, r.buf + 100, r.buf + 2000]);
    expect(r.device.pop()).toBeNull();
    expect(r.device.inFlight).toBe(1);
  });

  it('follows direct descriptors into a final indirect table and ignores WRITE on the pointer', () => {
    const r = rig();
    r.entry(0, { lo: r.buf + 16, len: 8, flags: N, next: 1 });
    r.entry(1, { lo: r.buf + 32, len: 100, flags: W });
    r.desc(0, { lo: r.buf, len: 10, flags: N, next: 2 });
    r.desc(2, { lo: r.table, len: 32, flags: I | W });
    r.publish(0);
    const c = expectChain(r.device.pop());
    expect(c.indirect).toBe(true);
    expect([c.count, c.readableCount, c.readableBytes, c.writableBytes, c.ringDescs]).toEqual([3, 2, 18, 100, 2]);
  });

  it('writes the used element before used->idx and recycles the chain', () => {
    const r = rig();
    r.desc(2, { lo: r.buf, len: 64, flags: W });
    r.publish(2);
    const c = expectChain(r.device.pop());
    r.device.push(c, 40);
    const e = r.layout.deviceAddr + virtqUsedRingEntryOffset(0);
    expect([r.mem.read32(e), r.mem.read32(e + 4), r.mem.read16(r.layout.deviceAddr + 2)]).toEqual([2, 40, 1]);
    expect(r.device.inFlight).toBe(0);
    expect(() => r.device.push(c, 0)).toThrow(RangeError);
  });
});

describe('SplitDeviceQueue: chain objects', () => {
  it('reads an unaligned indirect table', () => {
    const r = rig();
    writeSplitDesc(r.mem, r.table + 3, 0, { lo: r.buf, len: 5, flags: N, next: 1 });
    writeSplitDesc(r.mem, r.table + 3, 1, { lo: r.buf + 8, len: 7, flags: W });
    r.desc(0, { lo: r.table + 3, len: 32, flags: I });
    r.publish(0);
    const c = expectChain(r.device.pop());
    expect([c.count, c.readableBytes, c.writableBytes, c.indirect]).toEqual([2, 5, 7, true]);
  });

  it('clears the indirect mark when a chain object is reused, and refuses chains from before a reset', () => {
    const r = rig();
    r.entry(0, { lo: r.buf, len: 5, flags: 0 });
    r.desc(0, { lo: r.table, len: 16, flags: I });
    r.desc(1, { lo: r.buf, len: 5, flags: 0 });
    r.publish(0, 1);
    const a = expectChain(r.device.pop());
    r.device.push(a, 0);
    const b = expectChain(r.device.pop());
    expect(b).toBe(a);
    expect([b.id, b.indirect, b.ringDescs]).toEqual([1, false, 1]);
    r.device.reset();
    expect(() => r.device.push(b, 0)).toThrow(RangeError);
  });
});

describe('SplitDeviceQueue: driver errors', () => {
  const cases: [DeviceRingErrorCode, (r: ReturnType<typeof rig>) => void][] = [
    ['chain-loop', (r) => (r.desc(0, { lo: r.buf, len: 4, flags: N, next: 1 }), r.desc(1, { lo: r.buf, len: 4, flags: N, next: 0 }))],
    ['next-out-of-range', (r) => r.desc(0, { lo: r.buf, len: 4, flags: N, next: 8 })],
    [
      'chain-loop',
      (r) => {
        r.desc(0, { lo: r.buf, len: 4, flags: N, next: 1 });
        r.desc(1, { lo: r.buf, len: 4, flags: N, next: 2 });
        r.desc(2, { lo: r.buf, len: 4, flags: N, next: 1 });
      },
    ],
    ['zero-length-descriptor', (r) => r.desc(0, { lo: r.buf, len: 0, flags: 0 })],
    ['address-out-of-range', (r) => r.desc(0, { lo: r.mem.size - 8, len: 16, flags: 0 })],
    ['address-out-of-range', (r) => r.desc(0, { lo: r.buf, hi: 1, len: 16, flags: 0 })],
    ['writable-before-readable', (r) => (r.desc(0, { lo: r.buf, len: 4, flags: W | N, next: 1 }), r.desc(1, { lo: r.buf, len: 4, flags: 0 }))],
    ['indirect-with-next', (r) => r.desc(0, { lo: r.table, len: 16, flags: I | N, next: 1 })],
    ['indirect-table-empty', (r) => r.desc(0, { lo: r.table, len: 0, flags: I })],
    ['indirect-len-not-multiple-of-16', (r) => r.desc(0, { lo: r.table, len: 24, flags: I })],
    ['address-out-of-range', (r) => r.desc(0, { lo: r.mem.size - 16, len: 32, flags: I })],
    ['chain-too-long', (r) => r.desc(0, { lo: r.table, len: 16 * 9, flags: I })],
    ['chain-too-long', (r) => (r.desc(0, { lo: r.buf, len: 4, flags: N, next: 1 }), r.desc(1, { lo: r.table, len: 16 * 8, flags: I }))],
    ['nested-indirect', (r) => (r.entry(0, { lo: r.table, len: 16, flags: I }), r.desc(0, { lo: r.table, len: 16, flags: I }))],
    ['chain-loop', (r) => (r.entry(0, { lo: r.buf, len: 4, flags: N, next: 1 }), r.entry(1, { lo: r.buf, len: 4, flags: N, next: 0 }), r.desc(0, { lo: r.table, len: 32, flags: I }))],
    ['next-out-of-range', (r) => (r.entry(0, { lo: r.buf, len: 4, flags: N, next: 2 }), r.desc(0, { lo: r.table, len: 32, flags: I }))],
    ['zero-length-descriptor', (r) => (r.entry(0, { lo: r.buf, len: 0, flags: 0 }), r.desc(0, { lo: r.table, len: 16, flags: I }))],
    ['writable-before-readable', (r) => (r.desc(0, { lo: r.buf, len: 4, flags: W | N, next: 1 }), r.entry(0, { lo: r.buf, len: 4, flags: 0 }), r.desc(1, { lo: r.table, len: 16, flags: I }))],
  ];
  cases.forEach(([code, craft], n) => {
    it(`reports ${code} (case ${n})`, () => {
      const r = rig();
      craft(r);
      r.publish(0);
      const e = r.device.pop();
      expectError(e, code);
      // Sticky until reset; nothing stays in flight.
      expect(r.device.pop()).toBe(e);
      expect(r.device.error).toBe(e);
      expect(r.device.inFlight).toBe(0);
      r.device.reset();
      expect(r.device.error).toBeNull();
    });
  });

  it('reports indirect-not-negotiated when VIRTIO_F_INDIRECT_DESC is off', () => {
    const r = rig({ indirect: false });
    r.desc(0, { lo: r.table, len: 16, flags: I });
    r.publish(0);
    expectError(r.device.pop(), 'indirect-not-negotiated');
  });

  it('reports avail-idx-jump when avail->idx runs more than size ahead, and accepts exactly size', () => {
    const r = rig();
    for (let i = 0; i < 8; i++) r.desc(i, { lo: r.buf, len: 4, flags: 0 });
    r.mem.write16(r.layout.driverAddr + 2, 9);
    expectError(r.device.pop(), 'avail-idx-jump');
    const ok = rig();
    for (let i = 0; i < 8; i++) ok.desc(i, { lo: ok.buf, len: 4, flags: 0 });
    ok.publish(0, 1, 2, 3, 4, 5, 6, 7);
    for (let i = 0; i < 8; i++) expect(expectChain(ok.device.pop()).id).toBe(i);
  });

  it('reports head-out-of-range, head-in-flight and in-flight-exceeds-size', () => {
    const a = rig();
    a.publish(8);
    expectError(a.device.pop(), 'head-out-of-range');
    const b = rig();
    b.desc(0, { lo: b.buf, len: 4, flags: 0 });
    b.publish(0, 0);
    expectChain(b.device.pop());
    expectError(b.device.pop(), 'head-in-flight');
    const c = rig({ size: 2 });
    c.desc(0, { lo: c.buf, len: 4, flags: 0 });
    c.desc(1, { lo: c.buf, len: 4, flags: 0 });
    c.publish(0, 1);
    const x = expectChain(c.device.pop());
    expectChain(c.device.pop());
    c.device.push(x, 0);
    c.publish(0);
    expectChain(c.device.pop());
    c.publish(1);
    expectError(c.device.pop(), 'in-flight-exceeds-size');
  });

  it('refuses a bad queue size or ring address at create', () => {
    const mem = new GuestMemory(65536);
    const base = { descAddr: 0, driverAddr: 4096, deviceAddr: 8192 };
    const err = (o: object) => {
      const q = SplitDeviceQueue.create(mem, { size: 8, ...base, ...o });
      return 'kind' in q ? q.code : 'ok';
    };
    expect(err({})).toBe('ok');
    expect(err({ size: 6 })).toBe('queue-size-invalid');
    expect(err({ size: 0 })).toBe('queue-size-invalid');
    expect(err({ descAddr: 8 })).toBe('ring-address-invalid');
    expect(err({ driverAddr: 4097 })).toBe('ring-address-invalid');
    expect(err({ deviceAddr: 8194 })).toBe('ring-address-invalid');
    expect(err({ deviceAddr: 65536 - 64 })).toBe('ring-address-invalid');
    expect(err({ descAddr: 2 ** 40 })).toBe('ring-address-invalid');
  });

  test.prop([fc.uint8Array({ minLength: 16 * 8 + 22, maxLength: 16 * 8 + 22 }), fc.boolean()], { numRuns: 300 })(
    'never throws and stays bounded on arbitrary ring bytes',
    (bytes, indirect) => {
      const r = rig({ indirect });
      r.mem.writeBytes(r.layout.descAddr, bytes.subarray(0, 128));
      r.mem.writeBytes(r.layout.driverAddr, bytes.subarray(128));
      for (let n = 0; n < 20; n++) {
        const c = r.device.pop();
        if (c === null || c.kind === 'ring-error') break;
        expect(c.count).toBeLessThanOrEqual(8);
        for (let i = 0; i < c.count; i++) expect(r.mem.contains(c.addr[i] as number, c.len[i] as number)).toBe(true);
        if (n % 2 === 0) r.device.push(c, 0);
      }
    },
  );
});

describe('SplitDeviceQueue: notifications', () => {
  it('with EVENT_IDX notifies exactly when used idx crosses used_event', () => {
    for (const usedEvent of [0, 1, 2, 3]) {
      const r = rig({ eventIdx: true });
      r.mem.write16(r.layout.driverAddr + virtqAvailUsedEventOffset(8), usedEvent);
      for (let i = 0; i < 4; i++) r.desc(i, { lo: r.buf, len: 4, flags: W });
      r.publish(0, 1, 2, 3);
      const got: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        r.device.push(expectChain(r.device.pop()), 1);
        got.push(r.device.needsNotify());
      }
      expect(got).toEqual([0, 1, 2].map((old) => vring_need_event(usedEvent, old + 1, old)));
      expect(got.filter(Boolean).length).toBe(usedEvent < 3 ? 1 : 0);
    }
  });

  it('with EVENT_IDX decides once for a batch, wrap-safe near 65535', () => {
    const p = makeSplitPair({ size: 8, eventIdx: true, initialIndex: 65534 });
    for (let i = 0; i < 4; i++) writeSplitDesc(p.mem, p.layout.descAddr, i, { lo: p.bufferAddr(0), len: 4, flags: W });
    publishSplit(p.mem, p.layout, [0, 1, 2, 3]);
    p.mem.write16(p.layout.driverAddr + virtqAvailUsedEventOffset(8), 0);
    for (let i = 0; i < 3; i++) {
      const c = p.device.pop();
      if (c === null || c.kind !== 'chain') throw new Error('no chain');
      p.device.push(c, 0);
    }
    expect(p.device.usedIdx).toBe(1);
    expect(p.device.needsNotify()).toBe(true);
    expect(p.device.needsNotify()).toBe(false);
  });

  it('without EVENT_IDX follows VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const r = rig();
    r.desc(0, { lo: r.buf, len: 4, flags: 0 });
    r.desc(1, { lo: r.buf, len: 4, flags: 0 });
    r.publish(0, 1);
    r.device.push(expectChain(r.device.pop()), 0);
    expect(r.device.needsNotify()).toBe(true);
    r.mem.write16(r.layout.driverAddr, VIRTQ_AVAIL_F_NO_INTERRUPT);
    r.device.push(expectChain(r.device.pop()), 0);
    expect(r.device.needsNotify()).toBe(false);
  });

  it('writes NO_NOTIFY or avail_event and reports waiting buffers on re-enable', () => {
    const r = rig();
    r.device.disableNotifications();
    expect(r.mem.read16(r.layout.deviceAddr)).toBe(1);
    expect(r.device.enableNotifications()).toBe(false);
    expect(r.mem.read16(r.layout.deviceAddr)).toBe(0);
    r.desc(0, { lo: r.buf, len: 4, flags: 0 });
    r.publish(0);
    expect(r.device.enableNotifications()).toBe(true);

    const e = rig({ eventIdx: true });
    e.desc(0, { lo: e.buf, len: 4, flags: 0 });
    e.publish(0);
    expectChain(e.device.pop());
    e.device.disableNotifications();
    expect(e.mem.read16(e.layout.deviceAddr)).toBe(0);
    expect(e.device.enableNotifications()).toBe(false);
    expect(e.mem.read16(e.layout.deviceAddr + virtqUsedAvailEventOffset(8))).toBe(1);
  });

  it('with IN_ORDER publishes one used entry for a deferred batch at the batch start', () => {
    const r = rig({ inOrder: true });
    for (let i = 0; i < 3; i++) r.desc(i, { lo: r.buf, len: 100, flags: W });
    r.publish(0, 1, 2);
    const cs = [0, 1, 2].map(() => expectChain(r.device.pop()));
    writeSplitUsed(r.mem, r.layout, 1, 0xeeee, 0xeeee, 0);
    expect(() => r.device.pushDeferred(cs[1] as DeviceChain, 1)).toThrow(RangeError);
    for (const c of cs) r.device.pushDeferred(c, 7);
    expect(r.mem.read16(r.layout.deviceAddr + 2)).toBe(0);
    expect(r.device.flushDeferred()).toBe(3);
    const e0 = r.layout.deviceAddr + virtqUsedRingEntryOffset(0);
    expect([r.mem.read32(e0), r.mem.read32(e0 + 4)]).toEqual([2, 7]);
    expect(r.mem.read32(r.layout.deviceAddr + virtqUsedRingEntryOffset(1))).toBe(0xeeee);
    expect(r.mem.read16(r.layout.deviceAddr + 2)).toBe(3);
    expect(r.device.needsNotify()).toBe(true);
  });
});
