import { describe, expect, it } from 'vitest';
import {
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VIRTQ_USED_F_NO_NOTIFY,
  splitNotificationData,
  virtqAvailRingEntryOffset,
  virtqAvailUsedEventOffset,
  virtqUsedAvailEventOffset,
  vring_need_event,
} from '../../specs/virtqueue/index.js';
import { type DeviceChain, writeChain } from './device-chain.js';
import type { DriverRingErrorCode } from './ring-error.js';
import { makeSplitPair, writeSplitUsed } from './test-fixture.js';

type SplitPair = ReturnType<typeof makeSplitPair>;

function pop(p: SplitPair): DeviceChain {
  const c = p.device.pop();
  if (c === null || c.kind !== 'chain') throw new Error(`expected a chain, got ${JSON.stringify(c)}`);
  return c;
}

function used(p: SplitPair): { token: number; len: number } {
  const u = p.driver.getUsed();
  if (u === null || u.kind !== 'used') throw new Error(`expected a used buffer, got ${JSON.stringify(u)}`);
  return { token: u.token, len: u.len };
}

const desc = (p: SplitPair, i: number) => {
  const at = p.layout.descAddr + 16 * i;
  return { lo: p.mem.read32(at), len: p.mem.read32(at + 8), flags: p.mem.read16(at + 12), next: p.mem.read16(at + 14) };
};

describe('SplitDriverQueue: traffic', () => {
  it('round-trips a 1-descriptor writable buffer with its data and len', () => {
    const p = makeSplitPair({ size: 8 });
    p.driver.stage.in(p.bufferAddr(1), 1526);
    expect(p.driver.add(41).kind).toBe('added');
    expect([p.driver.numFree, p.driver.availIdx, p.driver.lastHead]).toEqual([7, 1, 0]);
    expect(desc(p, 0)).toMatchObject({ lo: p.bufferAddr(1), len: 1526, flags: VIRTQ_DESC_F_WRITE });
    const c = pop(p);
    expect(writeChain(p.mem, c, Uint8Array.of(1, 2, 3))).toBe(3);
    p.device.push(c, 3);
    expect(used(p)).toEqual({ token: 41, len: 3 });
    expect([...p.mem.bytes(p.bufferAddr(1), 3)]).toEqual([1, 2, 3]);
    expect(p.driver.getUsed()).toBeNull();
    expect(p.driver.numFree).toBe(8);
  });

  it('round-trips a 2-descriptor readable chain linked through the free list', () => {
    const p = makeSplitPair({ size: 8 });
    expect(p.driver.addSgs([{ addr: p.bufferAddr(0), len: 12 }, { addr: p.bufferAddr(1), len: 1514 }], [], 7).kind).toBe('added');
    expect(desc(p, 0)).toMatchObject({ flags: VIRTQ_DESC_F_NEXT, next: 1, len: 12 });
    expect(desc(p, 1).flags).toBe(0);
    const c = pop(p);
    expect([c.readableCount, c.readableBytes, c.writableBytes]).toEqual([2, 1526, 0]);
    p.device.push(c, 0);
    expect(used(p)).toEqual({ token: 7, len: 0 });
  });

  it('reuses the most recently freed head first, as Linux does', () => {
    const p = makeSplitPair({ size: 8 });
    for (const t of [1, 2, 3]) p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 64 }], t);
    const [a, b] = [pop(p), pop(p)];
    p.device.push(b, 0);
    p.device.push(a, 0);
    expect([used(p).token, used(p).token]).toEqual([2, 1]);
    p.driver.addSgs([], [{ addr: p.bufferAddr(9), len: 64 }], 9);
    expect(p.driver.lastHead).toBe(0);
  });

  it('uses one INDIRECT descriptor for a multi-segment buffer and a direct one for a single segment', () => {
    const p = makeSplitPair({ size: 8, indirect: true, indirectMaxEntries: 4 });
    p.driver.addSgs([{ addr: p.bufferAddr(0), len: 12 }], [{ addr: p.bufferAddr(1), len: 100 }, { addr: p.bufferAddr(2), len: 200 }], 5);
    expect(desc(p, 0)).toMatchObject({ flags: VIRTQ_DESC_F_INDIRECT, len: 48 });
    expect(p.driver.numFree).toBe(7);
    p.driver.addSgs([], [{ addr: p.bufferAddr(3), len: 10 }], 6);
    expect(desc(p, 1).flags).toBe(VIRTQ_DESC_F_WRITE);
    const c = pop(p);
    expect([c.indirect, c.count, c.readableCount, c.writableBytes]).toEqual([true, 3, 1, 300]);
    p.device.push(c, 300);
    expect(used(p)).toEqual({ token: 5, len: 300 });
    // Five segments exceed the 4-entry tables: direct descriptors instead.
    for (let i = 0; i < 5; i++) p.driver.stage.out(p.bufferAddr(i), 8);
    p.driver.add(8);
    expect(p.driver.numFree).toBe(2);
  });

  it('wraps avail and used indices past 65535', () => {
    const p = makeSplitPair({ size: 4, initialIndex: 65533 });
    for (let t = 0; t < 10; t++) {
      p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 32 }], t);
      const c = pop(p);
      p.device.push(c, t);
      expect(used(p)).toEqual({ token: t, len: t });
    }
    expect([p.driver.availIdx, p.driver.lastUsedIdx, p.device.usedIdx]).toEqual([7, 7, 7]);
    expect(p.mem.read16(p.layout.driverAddr + virtqAvailRingEntryOffset(65535 % 4))).toBe(0);
  });

  it('reports no-space when the ring is full (notify only with readable parts) and recovers', () => {
    const p = makeSplitPair({ size: 4 });
    for (let t = 0; t < 4; t++) expect(p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 8 }], t).kind).toBe('added');
    expect(p.driver.addSgs([], [{ addr: p.bufferAddr(5), len: 8 }], 5)).toEqual({ kind: 'no-space', notify: false });
    expect(p.driver.addSgs([{ addr: p.bufferAddr(5), len: 8 }], [], 5)).toEqual({ kind: 'no-space', notify: true });
    expect(p.driver.stage.count).toBe(0);
    p.device.push(pop(p), 0);
    used(p);
    expect(p.driver.addSgs([], [{ addr: p.bufferAddr(5), len: 8 }], 5).kind).toBe('added');
  });

  it('throws on caller bugs: nothing staged, undefined token, too many segments', () => {
    const p = makeSplitPair({ size: 2 });
    expect(() => p.driver.add(1)).toThrow(RangeError);
    const q = makeSplitPair({ size: 2 }).driver as unknown as { addSgs(o: unknown[], i: unknown[], t: unknown): unknown };
    expect(() => q.addSgs([{ addr: 0, len: 1 }], [], undefined)).toThrow(RangeError);
    p.driver.stage.out(0, 1);
    p.driver.stage.out(0, 1);
    expect(() => p.driver.stage.in(0, 1)).toThrow(RangeError);
  });
});

describe('SplitDriverQueue: device errors break the queue', () => {
  const cases: [DriverRingErrorCode, (p: SplitPair) => void][] = [
    ['used-id-out-of-range', (p) => writeSplitUsed(p.mem, p.layout, 0, 8, 0, 1)],
    ['used-id-not-a-head', (p) => writeSplitUsed(p.mem, p.layout, 0, 1, 0, 1)],
    ['used-id-not-a-head', (p) => writeSplitUsed(p.mem, p.layout, 0, 5, 0, 1)],
    ['used-len-exceeds-writable', (p) => writeSplitUsed(p.mem, p.layout, 0, 0, 65, 1)],
    [
      'used-id-double-completion',
      (p) => {
        writeSplitUsed(p.mem, p.layout, 0, 0, 1, 1);
        used(p);
        writeSplitUsed(p.mem, p.layout, 1, 0, 1, 2);
      },
    ],
  ];
  for (const [code, craft] of cases) {
    it(`reports ${code}, then refuses adds, kicks and completions`, () => {
      const p = makeSplitPair({ size: 8 });
      // Head 0: a 2-descriptor chain with 64 writable bytes (descriptor 1 is not a head).
      p.driver.addSgs([{ addr: p.bufferAddr(0), len: 10 }], [{ addr: p.bufferAddr(1), len: 64 }], 100);
      p.driver.addSgs([{ addr: p.bufferAddr(2), len: 10 }], [], 101);
      craft(p);
      const e = p.driver.getUsed();
      expect(e).toMatchObject({ kind: 'ring-error', side: 'driver', code });
      expect(p.driver.isBroken).toBe(true);
      expect(p.driver.brokenBy).toBe(e);
      expect(p.driver.getUsed()).toBeNull();
      expect(p.driver.addSgs([{ addr: p.bufferAddr(3), len: 1 }], [], 102).kind).toBe('broken');
      expect(p.driver.kickPrepare()).toBe(false);
    });
  }

  it('uses the Linux wording for bad ids', () => {
    const p = makeSplitPair({ size: 8 });
    p.driver.addSgs([], [{ addr: p.bufferAddr(0), len: 8 }], 1);
    writeSplitUsed(p.mem, p.layout, 0, 9, 0, 1);
    expect(p.driver.getUsed()).toMatchObject({ message: 'id 9 out of range' });
  });

  it('with IN_ORDER reports a batch that passes used->idx', () => {
    const p = makeSplitPair({ size: 8, inOrder: true });
    for (let t = 0; t < 3; t++) p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 8 }], t);
    writeSplitUsed(p.mem, p.layout, 0, 2, 0, 1);
    expect(p.driver.getUsed()).toMatchObject({ code: 'used-batch-out-of-range' });
  });
});

describe('SplitDriverQueue: notifications', () => {
  it('with EVENT_IDX kicks exactly when avail idx crosses avail_event', () => {
    for (const availEvent of [0, 1, 2, 3, 4]) {
      const p = makeSplitPair({ size: 8, eventIdx: true });
      p.mem.write16(p.layout.deviceAddr + virtqUsedAvailEventOffset(8), availEvent);
      p.driver.addSgs([], [{ addr: p.bufferAddr(0), len: 8 }], 0);
      expect(p.driver.kickPrepare()).toBe(vring_need_event(availEvent, 1, 0));
      for (let t = 1; t < 4; t++) p.driver.addSgs([], [{ addr: p.bufferAddr(t), len: 8 }], t);
      expect(p.driver.kickPrepare()).toBe(availEvent >= 1 && availEvent <= 3);
    }
  });

  it('without EVENT_IDX kicks unless used->flags has NO_NOTIFY', () => {
    const p = makeSplitPair({ size: 8 });
    p.driver.addSgs([], [{ addr: p.bufferAddr(0), len: 8 }], 0);
    expect(p.driver.kickPrepare()).toBe(true);
    p.mem.write16(p.layout.deviceAddr, VIRTQ_USED_F_NO_NOTIFY);
    p.driver.addSgs([], [{ addr: p.bufferAddr(1), len: 8 }], 1);
    expect(p.driver.kickPrepare()).toBe(false);
    expect(p.driver.notificationData(3)).toBe(splitNotificationData(3, 2));
  });

  it('maintains used_event and avail->flags as Linux 6.1 does', () => {
    const ue = (p: SplitPair) => p.mem.read16(p.layout.driverAddr + virtqAvailUsedEventOffset(8));
    const e = makeSplitPair({ size: 8, eventIdx: true });
    for (let t = 0; t < 4; t++) e.driver.addSgs([], [{ addr: e.bufferAddr(t), len: 8 }], t);
    e.device.push(pop(e), 0);
    used(e);
    expect(ue(e)).toBe(1);
    e.driver.disableCallbacks();
    expect([ue(e), e.mem.read16(e.layout.driverAddr)]).toEqual([0, 0]);
    e.device.push(pop(e), 0);
    used(e);
    expect(ue(e)).toBe(0);
    expect(e.driver.enableCallbacks()).toBe(true);
    expect(ue(e)).toBe(2);
    // Two outstanding: ask after 3/4 of them (1), and report one already used.
    expect(e.driver.enableCallbacksDelayed()).toBe(true);
    expect(ue(e)).toBe(3);
    e.device.push(pop(e), 0);
    e.device.push(pop(e), 0);
    expect(e.driver.enableCallbacksDelayed()).toBe(false);

    const n = makeSplitPair({ size: 8 });
    n.driver.disableCallbacks();
    expect(n.mem.read16(n.layout.driverAddr)).toBe(1);
    n.driver.addSgs([], [{ addr: n.bufferAddr(0), len: 8 }], 0);
    n.device.push(pop(n), 0);
    expect(n.driver.enableCallbacks()).toBe(false);
    expect(n.mem.read16(n.layout.driverAddr)).toBe(0);
    const q = makeSplitPair({ size: 8, callback: false });
    expect(q.mem.read16(q.layout.driverAddr)).toBe(1);
  });
});

describe('SplitDriverQueue: reset and IN_ORDER', () => {
  it('detaches unused buffers after reset, rewinding avail->idx', () => {
    const p = makeSplitPair({ size: 8 });
    for (let t = 0; t < 3; t++) p.driver.addSgs([{ addr: p.bufferAddr(t), len: 8 }, { addr: p.bufferAddr(t), len: 8 }], [], 10 + t);
    const got: number[] = [];
    for (let t = p.driver.detachUnused(); t !== null; t = p.driver.detachUnused()) got.push(t);
    expect(got.sort()).toEqual([10, 11, 12]);
    expect([p.driver.numFree, p.driver.availIdx, p.mem.read16(p.layout.driverAddr + 2)]).toEqual([8, 0, 0]);
    p.driver.reset();
    p.device.reset();
    p.driver.addSgs([], [{ addr: p.bufferAddr(0), len: 8 }], 1);
    expect(pop(p).id).toBe(0);
  });

  it('with IN_ORDER allocates descriptors in ring order and completes a one-entry batch', () => {
    const p = makeSplitPair({ size: 8, inOrder: true });
    for (let t = 0; t < 3; t++) p.driver.addSgs([{ addr: p.bufferAddr(t), len: 4 }], [{ addr: p.bufferAddr(t), len: 50 + t }], t);
    expect([desc(p, 0).next, desc(p, 2).next, desc(p, 4).next]).toEqual([1, 3, 5]);
    const cs = [pop(p), pop(p), pop(p)];
    expect(cs.map((c) => c.id)).toEqual([0, 2, 4]);
    for (const c of cs) p.device.pushDeferred(c, 9);
    p.device.flushDeferred();
    expect([used(p), used(p), used(p)]).toEqual([
      { token: 0, len: 50 },
      { token: 1, len: 51 },
      { token: 2, len: 9 },
    ]);
    expect(p.driver.getUsed()).toBeNull();
    p.driver.addSgs([{ addr: p.bufferAddr(0), len: 4 }, { addr: p.bufferAddr(0), len: 4 }], [], 3);
    expect([p.driver.lastHead, desc(p, 7).next]).toEqual([6, 0]);
  });
});

describe('SplitDriverQueue: direct and staged forms', () => {
  it('addBuffer adds one descriptor without staging, with the same refusals', () => {
    const p = makeSplitPair({ size: 2 });
    expect(p.driver.addBuffer(p.bufferAddr(0), 100, true, 1).kind).toBe('added');
    expect(p.driver.addBuffer(p.bufferAddr(1), 12, false, 2).kind).toBe('added');
    expect(desc(p, 1)).toMatchObject({ lo: p.bufferAddr(1), len: 12, flags: 0 });
    expect(p.driver.addBuffer(p.bufferAddr(2), 12, false, 3)).toEqual({ kind: 'no-space', notify: true });
    expect(() => p.driver.addBuffer(0, 1, true, undefined as unknown as number)).toThrow(RangeError);
    const c = pop(p);
    expect([c.id, c.writableBytes]).toEqual([0, 100]);
  });

  it('places readable segments first whatever order they were staged in', () => {
    const p = makeSplitPair({ size: 8 });
    p.driver.stage.in(p.bufferAddr(1), 64);
    p.driver.stage.out(p.bufferAddr(0), 10);
    p.driver.add(1);
    expect([desc(p, 0).flags, desc(p, 1).flags]).toEqual([VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE]);
    const c = pop(p);
    expect([c.readableCount, c.readableBytes, c.writableBytes]).toEqual([1, 10, 64]);
  });

  it('writes addresses above 4 GiB as lo/hi halves, which the device refuses', () => {
    const p = makeSplitPair({ size: 4 });
    p.driver.addBuffer(2 ** 32 + 0x10, 8, true, 1);
    expect([p.mem.read32(p.layout.descAddr), p.mem.read32(p.layout.descAddr + 4)]).toEqual([0x10, 1]);
    expect(p.device.pop()).toMatchObject({ code: 'address-out-of-range' });
  });

  it('skips the used_event write in disableCallbacks after an interrupt with EVENT_IDX', () => {
    const p = makeSplitPair({ size: 8, eventIdx: true });
    p.driver.enableCallbacksPrepare();
    p.mem.write16(p.layout.driverAddr + virtqAvailUsedEventOffset(8), 5);
    p.driver.noteInterrupt();
    p.driver.disableCallbacks();
    expect(p.mem.read16(p.layout.driverAddr + virtqAvailUsedEventOffset(8))).toBe(5);
    p.driver.enableCallbacksPrepare();
    p.driver.disableCallbacks();
    expect(p.mem.read16(p.layout.driverAddr + virtqAvailUsedEventOffset(8))).toBe(0);
  });
});
