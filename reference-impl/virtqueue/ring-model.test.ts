/**
 * Model-based property: random add / pop / push / getUsed sequences on both
 * ring formats, checked against a plain queue model of outstanding tokens.
 * The model knows only what a correct ring must deliver (FIFO availability,
 * completions in push order, IN_ORDER batches report full writable lengths
 * for skipped buffers), never how the engine stores it.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { DeviceChain } from './device-chain.js';
import { makePackedPair, makeSplitPair } from './test-fixture.js';

interface Posted {
  readonly token: number;
  readonly outs: readonly number[];
  readonly ins: readonly number[];
  readonly addrs: readonly number[];
}

type Step = readonly [op: number, a: number, b: number];

const stepArb = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(), fc.nat());

function run(format: 'split' | 'packed', size: number, flags: number, start: number, steps: readonly Step[]): void {
  const eventIdx = (flags & 1) !== 0;
  const indirect = (flags & 2) !== 0;
  const inOrder = (flags & 4) !== 0;
  const initialIndex = format === 'split' ? start & 0xffff : (start % size) | ((start >>> 16) & 1) << 15;
  const o = { size, eventIdx, indirect, inOrder, initialIndex, indirectMaxEntries: Math.min(size, 4) };
  const p = format === 'split' ? makeSplitPair(o) : makePackedPair(o);
  const { driver, device } = p;

  const notPopped: Posted[] = [];
  const held: { chain: DeviceChain; posted: Posted }[] = [];
  const completions: { token: number; len: number }[] = [];
  const batch: { posted: Posted; len: number }[] = [];
  const outstanding = new Set<number>();
  let nextToken = 1;

  const flushBatch = () => {
    batch.forEach((b, i) => {
      const full = b.posted.ins.reduce((s, n) => s + n, 0);
      completions.push({ token: b.posted.token, len: i === batch.length - 1 ? b.len : full });
    });
    batch.length = 0;
  };

  for (const [op, a, b] of steps) {
    switch (op) {
      case 0:
      case 1: {
        const nOut = a % 3;
        const nIn = Math.max(nOut === 0 ? 1 : 0, b % 3);
        const total = Math.min(nOut + nIn, size);
        const outs: number[] = [];
        const ins: number[] = [];
        const addrs: number[] = [];
        for (let i = 0; i < total; i++) {
          const len = 1 + ((a >>> (4 + i)) % 1500);
          const addr = p.bufferAddr(b + i) + (i % 7);
          addrs.push(addr);
          if (i < Math.min(nOut, total)) {
            outs.push(len);
            driver.stage.out(addr, len);
          } else {
            ins.push(len);
            driver.stage.in(addr, len);
          }
        }
        const token = nextToken++;
        let r;
        if (total === 1 && (b & 8) !== 0) {
          driver.stage.clear();
          r = driver.addBuffer(addrs[0] as number, (outs[0] ?? ins[0]) as number, ins.length === 1, token);
        } else {
          r = driver.add(token);
        }
        if (r.kind === 'added') {
          notPopped.push({ token, outs, ins, addrs });
          outstanding.add(token);
        } else {
          expect(r.kind).toBe('no-space');
          expect(outstanding.size).toBeGreaterThan(0);
        }
        break;
      }
      case 2: {
        const c = device.pop();
        if (c === null) {
          expect(notPopped.length).toBe(0);
          break;
        }
        if (c.kind === 'ring-error') throw new Error(`device: ${c.message}`);
        const posted = notPopped.shift();
        if (posted === undefined) throw new Error('device popped a buffer that was never made available');
        expect([...c.len.subarray(0, c.count)]).toEqual([...posted.outs, ...posted.ins]);
        expect([...c.addr.subarray(0, c.count)]).toEqual(posted.addrs);
        expect(c.readableCount).toBe(posted.outs.length);
        if (c.count === 1) expect(c.indirect).toBe(false);
        held.push({ chain: c, posted });
        break;
      }
      case 3: {
        if (held.length === 0) break;
        // IN_ORDER devices use buffers in pop order; others in any order.
        const i = inOrder ? 0 : a % held.length;
        const [h] = held.splice(i, 1);
        if (h === undefined) break;
        const len = b % (h.chain.writableBytes + 1);
        if (inOrder && (a & 1) === 1) {
          device.pushDeferred(h.chain, len);
          batch.push({ posted: h.posted, len });
        } else {
          if (batch.length > 0) flushBatch();
          device.push(h.chain, len);
          completions.push({ token: h.posted.token, len });
        }
        expect(typeof device.needsNotify()).toBe('boolean');
        break;
      }
      case 4: {
        if (inOrder && (a & 3) === 0 && batch.length > 0) {
          device.flushDeferred();
          flushBatch();
        }
        const u = driver.getUsed();
        const want = completions.shift();
        if (want === undefined) {
          expect(u).toBeNull();
          break;
        }
        if (u === null || u.kind !== 'used') throw new Error(`driver: expected ${JSON.stringify(want)}, got ${JSON.stringify(u)}`);
        expect({ token: u.token, len: u.len }).toEqual(want);
        outstanding.delete(u.token);
        break;
      }
      default: {
        expect(typeof driver.kickPrepare()).toBe('boolean');
        if ((a & 1) === 0) driver.disableCallbacks();
        else driver.enableCallbacks();
        if ((b & 1) === 0) device.disableNotifications();
        else device.enableNotifications();
      }
    }
    expect(driver.isBroken).toBe(false);
    expect(device.error).toBeNull();
    expect(driver.numFree).toBeGreaterThanOrEqual(0);
    expect(driver.numFree).toBeLessThanOrEqual(size);
    if (outstanding.size === 0) expect(driver.numFree).toBe(size);
  }
}

const steps = fc.array(stepArb, { minLength: 30, maxLength: 150 });

describe('ring engine against a queue model', () => {
  test.prop(
    [fc.constantFrom(1, 2, 4, 8, 16), fc.integer({ min: 0, max: 7 }), fc.nat({ max: 0x1ffff }), steps],
    { numRuns: 300 },
  )('split: tokens, lengths and order match the model and nothing throws', (size, flags, start, s) => {
    run('split', size, flags, start, s);
  });

  test.prop(
    [fc.integer({ min: 1, max: 11 }), fc.integer({ min: 0, max: 7 }), fc.nat({ max: 0x1ffff }), steps],
    { numRuns: 300 },
  )('packed: tokens, lengths and order match the model and nothing throws', (size, flags, start, s) => {
    run('packed', size, flags, start, s);
  });
});
