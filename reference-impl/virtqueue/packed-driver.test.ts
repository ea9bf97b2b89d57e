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
  packedNotificationData,
  vring_packed_need_event,
} from '../../specs/virtqueue/index.js';
import type { DeviceChain } from './device-chain.js';
import type { DriverRingErrorCode } from './ring-error.js';
import { cyclePacked, makePackedPair, packedEventAmong, readPackedDesc, writePackedDesc } from './test-fixture.js';

type PackedPair = ReturnType<typeof makePackedPair>;

function pop(p: PackedPair): DeviceChain {
  const c = p.device.pop();
  if (c === null || c.kind !== 'chain') throw new Error(`expected a chain, got ${JSON.stringify(c)}`);
  return c;
}

function used(p: PackedPair): { token: number; len: number } {
  const u = p.driver.getUsed();
  if (u === null || u.kind !== 'used') throw new Error(`expected a used buffer, got ${JSON.stringify(u)}`);
  return { token: u.token, len: u.len };
}

const slot = (p: PackedPair, i: number) => readPackedDesc(p.mem, p.layout.descAddr, i);
const markUsed = (p: PackedPair, i: number, id: number, len: number, flags = A | U | W) =>
  writePackedDesc(p.mem, p.layout.descAddr, i, { lo: 0, len, id, flags });

describe('PackedDriverQueue: traffic', () => {
  it('round-trips 1- and 2-descriptor buffers; every descriptor carries the id and AVAIL', () => {
    const p = makePackedPair({ size: 4 });
    p.driver.addSgs([], [{ addr: p.bufferAddr(0), len: 1526 }], 10);
    p.driver.addSgs([{ addr: p.bufferAddr(1), len: 12 }, { addr: p.bufferAddr(2), len: 1514 }], [], 11);
    expect([slot(p, 0), slot(p, 1), slot(p, 2)]).toEqual([
      { len: 1526, id: 0, flags: A | W },
      { len: 12, id: 1, flags: A | N },
      { len: 1514, id: 1, flags: A },
    ]);
    expect([p.driver.numFree, p.driver.availPosition]).toEqual([1, packEventOffWrap(3, 1)]);
    const [a, b] = [pop(p), pop(p)];
    expect([a.id, b.id, b.ringDescs]).toEqual([0, 1, 2]);
    p.device.push(b, 0);
    p.device.push(a, 1000);
    expect([used(p), used(p)]).toEqual([
      { token: 11, len: 0 },
      { token: 10, len: 1000 },
    ]);
    expect([p.driver.numFree, p.driver.usedPosition]).toEqual([4, packEventOffWrap(3, 1)]);
    expect(p.driver.getUsed()).toBeNull();
  });

  it('uses an indirect table for several segments', () => {
    const p = makePackedPair({ size: 4, indirect: true, indirectMaxEntries: 4 });
    p.driver.addSgs([{ addr: p.bufferAddr(0), len: 12 }], [{ addr: p.bufferAddr(1), len: 64 }, { addr: p.bufferAddr(2), len: 64 }], 3);
    expect(slot(p, 0)).toEqual({ len: 48, id: 0, flags: A | I });
    expect(p.driver.numFree).toBe(3);
    const c = pop(p);
    expect([c.indirect, c.count, c.readableCount, c.writableBytes]).toEqual([true, 3, 1, 128]);
    p.device.push(c, 128);
    expect(used(p)).toEqual({ token: 3, len: 128 });
  });

  it('flips the wrap counters on both sides across many laps', () => {
    const p = makePackedPair({ size: 5 });
    const seen = new Set<number>();
    for (let t = 0; t < 40; t++) {
      p.driver.addSgs([{ addr: p.bufferAddr(t), len: 8 }], [{ addr: p.bufferAddr(t), len: 16 }], t);
      seen.add(p.driver.availPosition >>> 15);
      const c = pop(p);
      p.device.push(c, t % 17);
      expect(used(p)).toEqual({ token: t, len: t % 17 });
    }
    // 80 slots over a 5-slot ring: 16 laps, ending on wrap 1 at slot 0.
    expect(seen).toEqual(new Set([0, 1]));
    expect([p.driver.availPosition, p.driver.usedPosition, p.device.nextAvail]).toEqual([0x8000, 0x8000, 0x8000]);
  });

  it('starts at a test-only position with wrap 0 and crosses into wrap 1', () => {
    const p = makePackedPair({ size: 4, initialIndex: 2 });
    expect(p.driver.getUsed()).toBeNull();
    expect(p.device.pop()).toBeNull();
    for (let t = 0; t < 6; t++) {
      p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 8 }], t);
      p.device.push(pop(p), 1);
      expect(used(p).token).toBe(t);
    }
    expect(p.driver.usedPosition).toBe(packEventOffWrap(0, 0));
    expect(slot(p, 3).flags & (A | U)).toBe(A | U);
  });

  it('reports no-space without asking for a notification', () => {
    const p = makePackedPair({ size: 3 });
    p.driver.addSgs([{ addr: p.bufferAddr(0), len: 8 }, { addr: p.bufferAddr(0), len: 8 }], [], 1);
    expect(p.driver.addSgs([{ addr: p.bufferAddr(0), len: 8 }, { addr: p.bufferAddr(0), len: 8 }], [], 2)).toEqual({
      kind: 'no-space',
      notify: false,
    });
    expect(p.driver.addSgs([{ addr: p.bufferAddr(0), len: 8 }], [], 2).kind).toBe('added');
  });

  it('reports len 0 for a used descriptor without WRITE (its len is reserved)', () => {
    const p = makePackedPair({ size: 4 });
    p.driver.addSgs([{ addr: p.bufferAddr(0), len: 8 }], [], 1);
    markUsed(p, 0, 0, 999, A | U);
    expect(used(p)).toEqual({ token: 1, len: 0 });
  });
});

describe('PackedDriverQueue: device errors break the queue', () => {
  const cases: [DriverRingErrorCode, (p: PackedPair) => void][] = [
    ['used-id-out-of-range', (p) => markUsed(p, 0, 4, 0)],
    ['used-id-not-a-head', (p) => markUsed(p, 0, 2, 0)],
    ['used-len-exceeds-writable', (p) => markUsed(p, 0, 0, 65)],
    [
      'used-id-double-completion',
      (p) => {
        markUsed(p, 0, 0, 64);
        used(p);
        markUsed(p, 2, 0, 0);
      },
    ],
  ];
  for (const [code, craft] of cases) {
    it(`reports ${code}, then refuses adds, kicks and completions`, () => {
      const p = makePackedPair({ size: 4 });
      p.driver.addSgs([{ addr: p.bufferAddr(0), len: 4 }], [{ addr: p.bufferAddr(1), len: 64 }], 100);
      p.driver.addSgs([{ addr: p.bufferAddr(2), len: 4 }], [], 101);
      craft(p);
      const e = p.driver.getUsed();
      expect(e).toMatchObject({ kind: 'ring-error', side: 'driver', format: 'packed', code });
      expect(p.driver.isBroken).toBe(true);
      expect(p.driver.getUsed()).toBeNull();
      expect(p.driver.addSgs([{ addr: 0, len: 1 }], [], 1).kind).toBe('broken');
      expect(p.driver.kickPrepare()).toBe(false);
    });
  }
});

describe('PackedDriverQueue: notifications', () => {
  it('kicks per the device event suppression structure, DESC at the exact boundary', () => {
    for (const [flags, offWrap] of [
      [RING_EVENT_FLAGS_ENABLE, 0],
      [RING_EVENT_FLAGS_DISABLE, 0],
      ...[0, 1, 2, 3].map((s) => [RING_EVENT_FLAGS_DESC, packEventOffWrap(s, 1)]),
      [RING_EVENT_FLAGS_DESC, packEventOffWrap(3, 0)],
    ] as [number, number][]) {
      const p = makePackedPair({ size: 4, eventIdx: true });
      p.mem.write16(p.layout.deviceAddr, offWrap);
      p.mem.write16(p.layout.deviceAddr + 2, flags);
      p.driver.addSgs([{ addr: p.bufferAddr(0), len: 8 }, { addr: p.bufferAddr(0), len: 8 }], [], 1);
      const expected = flags === RING_EVENT_FLAGS_DESC ? vring_packed_need_event(offWrap, 1, 4, 2, 0) : flags !== RING_EVENT_FLAGS_DISABLE;
      expect(p.driver.kickPrepare()).toBe(expected);
      if (flags === RING_EVENT_FLAGS_DESC) expect(expected).toBe(offWrap >>> 15 === 1 && (offWrap & 0x7fff) < 2);
    }
  });

  it('kicks for an event in the previous lap only when the batch crosses it', () => {
    const p = makePackedPair({ size: 4, eventIdx: true });
    for (let t = 0; t < 3; t++) {
      p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 8 }], t);
      p.device.push(pop(p), 0);
      used(p);
    }
    p.driver.kickPrepare();
    p.mem.write16(p.layout.deviceAddr, packEventOffWrap(3, 1));
    p.mem.write16(p.layout.deviceAddr + 2, RING_EVENT_FLAGS_DESC);
    p.driver.addSgs([], [{ addr: p.bufferAddr(0), len: 8 }], 9);
    p.driver.addSgs([], [{ addr: p.bufferAddr(0), len: 8 }], 10);
    expect(p.driver.availPosition).toBe(packEventOffWrap(1, 0));
    expect(p.driver.kickPrepare()).toBe(true);
    expect(p.driver.notificationData(1)).toBe(packedNotificationData(1, 1, 0));
  });

  it('kicks when Q or more descriptors went by, though the event lies in an earlier lap (Linux would not)', () => {
    const p = makePackedPair({ size: 4, eventIdx: true });
    cyclePacked(p, 2);
    p.driver.kickPrepare();
    const offWrap = packEventOffWrap(3, 1); // position 3, inside the next window 2..8
    p.mem.write16(p.layout.deviceAddr, offWrap);
    p.mem.write16(p.layout.deviceAddr + 2, RING_EVENT_FLAGS_DESC);
    cyclePacked(p, 7);
    expect(p.driver.availPosition).toBe(packEventOffWrap(1, 1));
    expect(vring_packed_need_event(offWrap, 1, 4, 1, 1 - 7)).toBe(false);
    expect(p.driver.kickPrepare()).toBe(true);
    expect(p.driver.kickPrepare()).toBe(false);
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
  ])('with DESC, kicks exactly when the event descriptor was made available in the window, or the window is a lap or longer', ({ q, before, window, off, wrap }) => {
    const p = makePackedPair({ size: q, eventIdx: true });
    cyclePacked(p, before);
    p.driver.kickPrepare();
    const offWrap = packEventOffWrap(off, wrap);
    p.mem.write16(p.layout.deviceAddr, offWrap);
    p.mem.write16(p.layout.deviceAddr + 2, RING_EVENT_FLAGS_DESC);
    cyclePacked(p, window);
    const among = packedEventAmong(offWrap, q, before, before + window);
    expect(p.driver.kickPrepare()).toBe(among || window >= q);
  });

  it('writes the driver event suppression structure as Linux 6.1 does', () => {
    const flags = (p: PackedPair) => p.mem.read16(p.layout.driverAddr + 2);
    const off = (p: PackedPair) => p.mem.read16(p.layout.driverAddr);
    const p = makePackedPair({ size: 4, eventIdx: true });
    p.driver.disableCallbacks();
    expect(flags(p)).toBe(RING_EVENT_FLAGS_DISABLE);
    for (let t = 0; t < 2; t++) p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 8 }], t);
    expect(p.driver.enableCallbacks()).toBe(true);
    expect([flags(p), off(p)]).toEqual([RING_EVENT_FLAGS_DESC, 0x8000]);
    p.device.push(pop(p), 0);
    used(p);
    expect(off(p)).toBe(0x8001);
    expect(p.driver.enableCallbacksDelayed()).toBe(true);
    expect(off(p)).toBe(0x8001);
    p.device.push(pop(p), 0);
    expect(p.driver.enableCallbacks()).toBe(false);

    const q = makePackedPair({ size: 4 });
    q.driver.disableCallbacks();
    q.driver.enableCallbacks();
    expect(flags(q)).toBe(RING_EVENT_FLAGS_ENABLE);
    expect(flags(makePackedPair({ size: 4, callback: false }))).toBe(RING_EVENT_FLAGS_DISABLE);
  });
});

describe('PackedDriverQueue: reset and IN_ORDER', () => {
  it('detaches unused buffers and frees their slots', () => {
    const p = makePackedPair({ size: 4 });
    p.driver.addSgs([{ addr: 0, len: 1 }, { addr: 0, len: 1 }], [], 1);
    p.driver.addSgs([{ addr: 0, len: 1 }], [], 2);
    expect([p.driver.detachUnused(), p.driver.detachUnused(), p.driver.detachUnused()]).toEqual([1, 2, null]);
    expect(p.driver.numFree).toBe(4);
  });

  it('completes a batch from one used descriptor, skipping the slots of each buffer', () => {
    const p = makePackedPair({ size: 8, inOrder: true });
    p.driver.addSgs([{ addr: p.bufferAddr(0), len: 4 }], [{ addr: p.bufferAddr(0), len: 30 }], 0);
    p.driver.addSgs([], [{ addr: p.bufferAddr(1), len: 40 }], 1);
    p.driver.addSgs([], [{ addr: p.bufferAddr(2), len: 50 }], 2);
    for (const c of [pop(p), pop(p), pop(p)]) p.device.pushDeferred(c, 5);
    p.device.flushDeferred();
    expect([used(p), used(p), used(p)]).toEqual([
      { token: 0, len: 30 },
      { token: 1, len: 40 },
      { token: 2, len: 5 },
    ]);
    expect(p.driver.usedPosition).toBe(packEventOffWrap(4, 1));
    expect(p.driver.getUsed()).toBeNull();
  });
});

describe('PackedDriverQueue: direct form', () => {
  it('addBuffer makes one descriptor available with AVAIL set and the flags written', () => {
    const p = makePackedPair({ size: 2 });
    expect(p.driver.addBuffer(p.bufferAddr(0), 64, true, 1).kind).toBe('added');
    expect(p.driver.addBuffer(p.bufferAddr(1), 12, false, 2).kind).toBe('added');
    expect([slot(p, 0), slot(p, 1)]).toEqual([
      { len: 64, id: 0, flags: A | W },
      { len: 12, id: 1, flags: A },
    ]);
    expect(p.driver.addBuffer(p.bufferAddr(2), 12, false, 3)).toEqual({ kind: 'no-space', notify: false });
    expect(p.driver.availPosition).toBe(packEventOffWrap(0, 0));
    const c = pop(p);
    p.device.push(c, 10);
    expect(used(p)).toEqual({ token: 1, len: 10 });
  });
});
