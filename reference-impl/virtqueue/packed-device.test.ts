import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  RING_EVENT_FLAGS_DESC,
  RING_EVENT_FLAGS_DISABLE,
  RING_EVENT_FLAGS_ENABLE,
  VIRTQ_DESC_F_AVAIL as A,
  VIRTQ_DESC_F_INDIRECT as I,
  VIRTQ_DESC_F_NEXT as N,
  VIRTQ_DESC_F_USED as U,
  VIRTQ_DESC_F_WRITE as W,
  packEventOffWrap,
  vring_packed_need_event,
} from '../../specs/virtqueue/index.js';
import { GuestMemory } from '../memory/guest-memory.js';
import type { DeviceChain } from './device-chain.js';
import { PackedDeviceQueue } from './packed-device.js';
import type { DeviceRingErrorCode } from './ring-error.js';
import { cyclePacked, makePackedPair, packedEventAmong, readPackedDesc, writePackedDesc } from './test-fixture.js';

function rig(o: { size?: number; indirect?: boolean; eventIdx?: boolean; inOrder?: boolean } = {}) {
  const p = makePackedPair({ size: o.size ?? 4, indirect: o.indirect ?? true, eventIdx: o.eventIdx ?? false, inOrder: o.inOrder ?? false });
  const buf = p.bufferAddr(0);
  const table = p.bufferAddr(10);
  return {
    ...p,
    buf,
    table,
    slot: (i: number, d: Parameters<typeof writePackedDesc>[3]) => writePackedDesc(p.mem, p.layout.descAddr, i, d),
    entry: (i: number, d: { lo: number; hi?: number; len: number; flags: number; next?: number }) =>
      writePackedDesc(p.mem, table, i, { ...d, id: d.next ?? 0 }),
  };
}

function expectChain(r: ReturnType<PackedDeviceQueue['pop']>): DeviceChain {
  if (r === null || r.kind !== 'chain') throw new Error(`expected a chain, got ${JSON.stringify(r)}`);
  return r;
}

describe('PackedDeviceQueue: valid lists', () => {
  it('pops a list in ring order, taking the id from the last descriptor, and writes one used descriptor', () => {
    const r = rig();
    r.slot(1, { lo: r.buf + 100, len: 200, id: 0, flags: A | N | W });
    r.slot(2, { lo: r.buf + 400, len: 300, id: 9, flags: A | W });
    r.slot(0, { lo: r.buf, len: 12, id: 0, flags: A | N });
    const c = expectChain(r.device.pop());
    expect([c.id, c.slot, c.ringDescs, c.count, c.readableCount, c.writableBytes]).toEqual([9, 0, 3, 3, 1, 500]);
    expect(r.device.pop()).toBeNull();
    r.device.push(c, 123);
    expect(readPackedDesc(r.mem, r.layout.descAddr, 0)).toEqual({ len: 123, id: 9, flags: A | U | W });
    expect(r.device.nextUsed).toBe(packEventOffWrap(3, 1));
  });

  it('flips its wrap counters after the last slot', () => {
    const r = rig();
    for (let s = 0; s < 3; s++) r.slot(s, { lo: r.buf, len: 8, id: s, flags: A });
    for (let s = 0; s < 3; s++) r.device.push(expectChain(r.device.pop()), 0);
    // Second lap: available now means AVAIL = 0, USED = 1.
    r.slot(3, { lo: r.buf, len: 8, id: 3, flags: A | N });
    r.slot(0, { lo: r.buf, len: 8, id: 4, flags: U });
    const c = expectChain(r.device.pop());
    expect([c.id, c.ringDescs, r.device.nextAvail]).toEqual([4, 2, packEventOffWrap(1, 0)]);
    r.device.push(c, 0);
    expect(readPackedDesc(r.mem, r.layout.descAddr, 3).flags).toBe(A | U);
    expect(r.device.nextUsed).toBe(packEventOffWrap(1, 0));
    r.slot(1, { lo: r.buf, len: 8, id: 5, flags: U });
    r.device.push(expectChain(r.device.pop()), 0);
    expect(readPackedDesc(r.mem, r.layout.descAddr, 1).flags).toBe(0);
  });

  it('reads an indirect table and ignores flags other than WRITE in it', () => {
    const r = rig();
    r.entry(0, { lo: r.buf, len: 10, flags: I | N, next: 7 });
    r.entry(1, { lo: r.buf + 16, len: 20, flags: W });
    r.slot(0, { lo: r.table, len: 32, id: 3, flags: A | I });
    const c = expectChain(r.device.pop());
    expect([c.id, c.indirect, c.ringDescs, c.readableBytes, c.writableBytes]).toEqual([3, true, 1, 10, 20]);
  });
});

describe('PackedDeviceQueue: chain objects', () => {
  it('clears the indirect mark when a chain object is reused', () => {
    const r = rig();
    r.entry(0, { lo: r.buf, len: 5, flags: 0 });
    r.slot(0, { lo: r.table, len: 16, id: 0, flags: A | I });
    r.slot(1, { lo: r.buf, len: 9, id: 1, flags: A });
    const a = expectChain(r.device.pop());
    expect(a.indirect).toBe(true);
    r.device.push(a, 0);
    const b = expectChain(r.device.pop());
    expect(b).toBe(a);
    expect([b.id, b.indirect, b.ringDescs, b.readableBytes]).toEqual([1, false, 1, 9]);
  });
});

describe('PackedDeviceQueue: driver errors', () => {
  const cases: [DeviceRingErrorCode, (r: ReturnType<typeof rig>) => void][] = [
    ['chain-too-long', (r) => [0, 1, 2, 3].forEach((s) => r.slot(s, { lo: r.buf, len: 4, id: 0, flags: A | N }))],
    ['chain-too-long', (r) => r.slot(0, { lo: r.table, len: 16 * 5, id: 0, flags: A | I })],
    ['packed-desc-not-available', (r) => r.slot(0, { lo: r.buf, len: 4, id: 0, flags: A | N })],
    ['zero-length-descriptor', (r) => r.slot(0, { lo: r.buf, len: 0, id: 0, flags: A })],
    ['address-out-of-range', (r) => r.slot(0, { lo: r.mem.size - 4, len: 8, id: 0, flags: A })],
    ['address-out-of-range', (r) => r.slot(0, { lo: 0, hi: 2, len: 8, id: 0, flags: A })],
    ['writable-before-readable', (r) => (r.slot(1, { lo: r.buf, len: 4, id: 0, flags: A }), r.slot(0, { lo: r.buf, len: 4, id: 0, flags: A | W | N }))],
    ['indirect-with-next', (r) => r.slot(0, { lo: r.table, len: 16, id: 0, flags: A | I | N })],
    ['indirect-in-chain', (r) => (r.slot(1, { lo: r.table, len: 16, id: 0, flags: A | I }), r.slot(0, { lo: r.buf, len: 4, id: 0, flags: A | N }))],
    ['indirect-table-empty', (r) => r.slot(0, { lo: r.table, len: 0, id: 0, flags: A | I })],
    ['indirect-len-not-multiple-of-16', (r) => r.slot(0, { lo: r.table, len: 20, id: 0, flags: A | I })],
    ['address-out-of-range', (r) => r.slot(0, { lo: r.mem.size - 8, len: 16, id: 0, flags: A | I })],
    ['zero-length-descriptor', (r) => (r.entry(0, { lo: r.buf, len: 0, flags: 0 }), r.slot(0, { lo: r.table, len: 16, id: 0, flags: A | I }))],
    ['address-out-of-range', (r) => (r.entry(0, { lo: r.buf, hi: 1, len: 4, flags: 0 }), r.slot(0, { lo: r.table, len: 16, id: 0, flags: A | I }))],
    [
      'writable-before-readable',
      (r) => (r.entry(0, { lo: r.buf, len: 4, flags: W }), r.entry(1, { lo: r.buf, len: 4, flags: 0 }), r.slot(0, { lo: r.table, len: 32, id: 0, flags: A | I })),
    ],
  ];
  cases.forEach(([code, craft], n) => {
    it(`reports ${code} (case ${n})`, () => {
      const r = rig();
      craft(r);
      const e = r.device.pop();
      expect(e).toMatchObject({ kind: 'ring-error', side: 'device', format: 'packed', code });
      expect(r.device.pop()).toBe(e);
      expect(r.device.hasAvailable()).toBe(false);
      expect(r.device.inFlight).toBe(0);
      r.device.reset();
      expect(r.device.error).toBeNull();
    });
  });

  it('reports indirect-not-negotiated, buffer-id-in-flight and in-flight-exceeds-size', () => {
    const a = rig({ indirect: false });
    a.slot(0, { lo: a.table, len: 16, id: 0, flags: A | I });
    expect(a.device.pop()).toMatchObject({ code: 'indirect-not-negotiated' });
    const b = rig();
    b.slot(0, { lo: b.buf, len: 4, id: 7, flags: A });
    b.slot(1, { lo: b.buf, len: 4, id: 7, flags: A });
    expectChain(b.device.pop());
    expect(b.device.pop()).toMatchObject({ code: 'buffer-id-in-flight' });
    const c = rig({ size: 2 });
    c.slot(0, { lo: c.buf, len: 4, id: 0, flags: A });
    c.slot(1, { lo: c.buf, len: 4, id: 1, flags: A });
    expectChain(c.device.pop());
    expectChain(c.device.pop());
    c.slot(0, { lo: c.buf, len: 4, id: 2, flags: U });
    expect(c.device.pop()).toMatchObject({ code: 'in-flight-exceeds-size' });
  });

  it('checks the layout at create; any size 1..32768 is valid', () => {
    const mem = new GuestMemory(65536);
    const make = (o: object) => {
      const q = PackedDeviceQueue.create(mem, { size: 3, descAddr: 0, driverAddr: 4096, deviceAddr: 4100, ...o });
      return 'kind' in q ? q.code : 'ok';
    };
    expect(make({})).toBe('ok');
    expect(make({ size: 0 })).toBe('queue-size-invalid');
    expect(make({ size: 32769 })).toBe('queue-size-invalid');
    expect(make({ descAddr: 8 })).toBe('ring-address-invalid');
    expect(make({ driverAddr: 4098 })).toBe('ring-address-invalid');
    expect(make({ deviceAddr: 65534 })).toBe('ring-address-invalid');
  });

  test.prop([fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.boolean()], { numRuns: 300 })(
    'never throws and stays bounded on arbitrary ring bytes',
    (bytes, indirect) => {
      const r = rig({ indirect });
      r.mem.writeBytes(r.layout.descAddr, bytes);
      for (let n = 0; n < 12; n++) {
        const c = r.device.pop();
        if (c === null || c.kind === 'ring-error') break;
        expect(c.count).toBeLessThanOrEqual(4);
        for (let i = 0; i < c.count; i++) expect(r.mem.contains(c.addr[i] as number, c.len[i] as number)).toBe(true);
        r.device.push(c, 0);
      }
    },
  );
});

describe('PackedDeviceQueue: notifications', () => {
  it('follows the driver event suppression flags, and DESC at the exact boundary', () => {
    for (const [flags, offWrap] of [
      [RING_EVENT_FLAGS_ENABLE, 0],
      [RING_EVENT_FLAGS_DISABLE, 0],
      [RING_EVENT_FLAGS_DESC, packEventOffWrap(0, 1)],
      [RING_EVENT_FLAGS_DESC, packEventOffWrap(1, 1)],
      [RING_EVENT_FLAGS_DESC, packEventOffWrap(2, 1)],
      [RING_EVENT_FLAGS_DESC, packEventOffWrap(3, 0)],
    ] as const) {
      const r = rig({ eventIdx: true });
      r.mem.write16(r.layout.driverAddr, offWrap);
      r.mem.write16(r.layout.driverAddr + 2, flags);
      r.slot(0, { lo: r.buf, len: 4, id: 0, flags: A | N });
      r.slot(1, { lo: r.buf, len: 4, id: 0, flags: A });
      r.device.push(expectChain(r.device.pop()), 0);
      const expected =
        flags === RING_EVENT_FLAGS_DESC ? vring_packed_need_event(offWrap, 1, 4, 2, 0) : flags === RING_EVENT_FLAGS_ENABLE;
      expect(r.device.needsNotify()).toBe(expected);
      expect(r.device.needsNotify()).toBe(false);
      if (flags === RING_EVENT_FLAGS_DESC) expect(expected).toBe((offWrap & 0x7fff) < 2 && offWrap >>> 15 === 1);
    }
  });

  it('notifies when Q or more slots were used, though the event lies in an earlier lap (QEMU would not)', () => {
    const p = makePackedPair({ size: 4, eventIdx: true });
    cyclePacked(p, 2);
    p.device.needsNotify();
    cyclePacked(p, 7);
    const offWrap = packEventOffWrap(3, 1); // position 3, inside the window 2..8
    p.mem.write16(p.layout.driverAddr, offWrap);
    p.mem.write16(p.layout.driverAddr + 2, RING_EVENT_FLAGS_DESC);
    expect(p.device.nextUsed).toBe(packEventOffWrap(1, 1));
    expect(vring_packed_need_event(offWrap, 1, 4, 1, 1 - 7)).toBe(false);
    expect(p.device.needsNotify()).toBe(true);
    expect(p.device.needsNotify()).toBe(false);
  });

  test.prop([
    fc.integer({ min: 1, max: 8 }).chain((q) =>
      fc.record({
        q: fc.constant(q),
        before: fc.integer({ min: 0, max: 2 * q }),
        window: fc.integer({ min: 1, max: 3 * q }),
        off: fc.integer({ min: 0, max: q - 1 }),
        wrap: fc.integer({ min: 0, max: 1 }),
      }),
    ),
  ])('with DESC, notifies exactly when the event descriptor was used in the window, or the window is a lap or longer', ({ q, before, window, off, wrap }) => {
    const p = makePackedPair({ size: q, eventIdx: true });
    cyclePacked(p, before);
    p.device.needsNotify();
    cyclePacked(p, window);
    const offWrap = packEventOffWrap(off, wrap);
    p.mem.write16(p.layout.driverAddr, offWrap);
    p.mem.write16(p.layout.driverAddr + 2, RING_EVENT_FLAGS_DESC);
    const among = packedEventAmong(offWrap, q, before, before + window);
    expect(p.device.needsNotify()).toBe(among || window >= q);
  });

  it('writes its own event suppression structure and reports waiting buffers', () => {
    const r = rig({ eventIdx: true });
    r.device.disableNotifications();
    expect(r.mem.read16(r.layout.deviceAddr + 2)).toBe(RING_EVENT_FLAGS_DISABLE);
    expect(r.device.enableNotifications()).toBe(false);
    expect([r.mem.read16(r.layout.deviceAddr), r.mem.read16(r.layout.deviceAddr + 2)]).toEqual([0x8000, RING_EVENT_FLAGS_DESC]);
    r.slot(0, { lo: r.buf, len: 4, id: 0, flags: A });
    expect(r.device.enableNotifications()).toBe(true);
    const n = rig();
    n.device.enableNotifications();
    expect(n.mem.read16(n.layout.deviceAddr + 2)).toBe(RING_EVENT_FLAGS_ENABLE);
  });

  it('with IN_ORDER writes one used descriptor for a batch at its first slot and skips the rest', () => {
    const r = rig({ inOrder: true, size: 8 });
    r.slot(0, { lo: r.buf, len: 4, id: 1, flags: A | N });
    r.slot(1, { lo: r.buf, len: 4, id: 1, flags: A | W });
    r.slot(2, { lo: r.buf, len: 4, id: 2, flags: A | W });
    const cs = [expectChain(r.device.pop()), expectChain(r.device.pop())];
    for (const c of cs) r.device.pushDeferred(c, 4);
    expect(r.device.flushDeferred()).toBe(2);
    expect(readPackedDesc(r.mem, r.layout.descAddr, 0)).toEqual({ len: 4, id: 2, flags: A | U | W });
    expect(readPackedDesc(r.mem, r.layout.descAddr, 2).flags).toBe(A | W);
    expect(r.device.nextUsed).toBe(packEventOffWrap(3, 1));
  });
});
