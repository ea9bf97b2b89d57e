import { describe, expect, it } from 'vitest';
import type { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import { type DeviceChain, type DeviceQueueOptions, type DriverQueueOptions, SplitDeviceQueue, SplitDriverQueue } from '../../../reference-impl/virtqueue/index.js';
import type { RingDeviceSide, RingEngine } from '../../scenarios/ring/ring-engine.js';
import { AddCommand, checkRingCommands, GetUsedCommand, PopCommand, PushCommand, RingCommandsReal, RingTokenModel } from './ring-commands.js';

/** Forwards every call to a reference device queue; tests override one method. */
class Forward implements RingDeviceSide {
  constructor(readonly q: SplitDeviceQueue) {}
  get inFlight() {
    return this.q.inFlight;
  }
  pop() {
    return this.q.pop();
  }
  push(chain: DeviceChain, len: number) {
    this.q.push(chain, len);
  }
  pushDeferred(chain: DeviceChain, len: number) {
    this.q.pushDeferred(chain, len);
  }
  flushDeferred() {
    return this.q.flushDeferred();
  }
  needsNotify() {
    return this.q.needsNotify();
  }
  enableNotifications() {
    return this.q.enableNotifications();
  }
  disableNotifications() {
    this.q.disableNotifications();
  }
  reset() {
    this.q.reset();
  }
}

/** Split-only engine whose device side goes through `wrap` and whose driver counts refused adds. */
function engine(wrap: (q: SplitDeviceQueue) => RingDeviceSide, counts = { noSpace: 0 }): RingEngine {
  class CountingDriver extends SplitDriverQueue<number> {
    override add(token: number) {
      const r = super.add(token);
      if (r.kind === 'no-space') counts.noSpace++;
      return r;
    }
    override addBuffer(addr: number, len: number, writable: boolean, token: number) {
      const r = super.addBuffer(addr, len, writable, token);
      if (r.kind === 'no-space') counts.noSpace++;
      return r;
    }
  }
  return {
    name: 'test',
    createDriver: (mem: GuestMemory, _format, options: DriverQueueOptions) => new CountingDriver(mem, options),
    createDevice: (mem: GuestMemory, _format, options: DeviceQueueOptions) => {
      const q = SplitDeviceQueue.create(mem, options);
      return q instanceof SplitDeviceQueue ? wrap(q) : q;
    },
  };
}

describe('the commands model against the reference split ring', () => {
  it('exact shape: every run executes exactly 20 commands and the engine agrees with the model', () => {
    const r = checkRingCommands({ shape: 'exact', commands: 20, numRuns: 300, seed: 7 });
    expect(r).toEqual({ kind: 'ok', runs: 300, commands: 6000, minPerRun: 20, maxPerRun: 20 });
  });

  it('fc.commands shape: lengths spread over 0..40, about 20 a run', () => {
    const r = checkRingCommands({ shape: 'commands', commands: 20, numRuns: 500, seed: 11 });
    if (r.kind !== 'ok') throw new Error(r.message);
    expect(r.runs).toBe(500);
    expect(r.maxPerRun).toBeLessThanOrEqual(40);
    expect(r.maxPerRun).toBeGreaterThanOrEqual(35);
    expect(r.minPerRun).toBeLessThanOrEqual(5);
    expect(r.commands / r.runs).toBeGreaterThan(15);
    expect(r.commands / r.runs).toBeLessThan(25);
  });

  it('the runs fill the ring: the driver refuses adds for lack of descriptors in many runs', () => {
    const counts = { noSpace: 0 };
    const r = checkRingCommands({ shape: 'exact', commands: 20, numRuns: 200, seed: 3, engine: engine((q) => q, counts) });
    expect(r.kind).toBe('ok');
    expect(counts.noSpace).toBeGreaterThan(50);
  });

  it('catches a device that reports one byte more than it wrote', () => {
    const lenPlusOne = (q: SplitDeviceQueue): RingDeviceSide =>
      new (class extends Forward {
        override push(chain: DeviceChain, len: number) {
          this.q.push(chain, len + 1);
        }
      })(q);
    const r = checkRingCommands({ shape: 'exact', commands: 20, numRuns: 100, seed: 5, engine: engine(lenPlusOne) });
    expect(r.kind).toBe('failed');
    if (r.kind === 'failed') {
      expect(r.message).toMatch(/used len: got (\d+), expected (\d+)/);
      expect(r.counterexample).toMatch(/add\(.*pop.*push.*getUsed/s);
    }
  });

  it('catches a device that pops nothing', () => {
    const blind = (q: SplitDeviceQueue): RingDeviceSide =>
      new (class extends Forward {
        override pop() {
          return null;
        }
      })(q);
    const r = checkRingCommands({ shape: 'commands', commands: 20, numRuns: 100, seed: 5, engine: engine(blind) });
    expect(r.kind).toBe('failed');
    if (r.kind === 'failed') expect(r.message).toMatch(/pop returned nothing with token 0 available/);
  });

  it('one scripted run: heads, segments, out-of-order use and the free count', () => {
    const real = new RingCommandsReal();
    const m = new RingTokenModel();
    real.reset();
    new AddCommand(2, 100).run(m, real);
    new AddCommand(1, 60).run(m, real);
    new AddCommand(2, 10).run(m, real); // 3 free descriptors were left: 1 remains
    expect(m.free).toBe(1);
    expect(real.driver.numFree).toBe(1);
    new AddCommand(2, 10).run(m, real); // refused: no room
    expect(m.available.map((b) => b.token)).toEqual([0, 1]);
    new PopCommand().run(m, real);
    new PopCommand().run(m, real);
    new PopCommand().run(m, real); // nothing left to pop
    new PushCommand(1, 1).run(m, real); // token 1 first, all 60 bytes
    new PushCommand(0, 2).run(m, real); // then token 0, half of 100
    expect(m.used.map((u) => [u.buffer.token, u.len])).toEqual([[1, 60], [0, 50]]);
    new GetUsedCommand().run(m, real);
    new GetUsedCommand().run(m, real);
    new GetUsedCommand().run(m, real); // nothing used
    expect(real.driver.numFree).toBe(4);
    expect(real.executed).toBe(12);
  });
});
