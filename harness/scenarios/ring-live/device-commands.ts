/**
 * The fast-check command model of device-side ring traffic: what a driver
 * does to a device's receiveq and transmitq (queue frames and kick, post
 * receive buffers and kick, collect used buffers, change its used-buffer
 * notification request) and what the wire does (deliver a frame). The
 * device's answers are judged by the ring observers after every command.
 *
 * The model holds only what the driver side knows for sure (buffers it
 * queued and has not collected), never a copy of the device's behaviour:
 * the observers decide whether what the device did was allowed.
 *
 * @module
 */

import fc from 'fast-check';
import { type DeviceSession, MAX_FRAME, RX_QUEUE, TX_QUEUE } from './device-session.js';

/** What the driver side knows. */
export interface DeviceTrafficModel {
  /** Transmit buffers queued and not yet collected. */
  txOutstanding: number;
  /** Receive buffers posted and not yet collected. */
  rxOutstanding: number;
}

/** Called after every command; throws to fail the run (e.g. with a ring finding). */
export type AfterCommand = (session: DeviceSession, command: string) => void;

/** The real system a command acts on. */
export interface DeviceTrafficReal {
  readonly session: DeviceSession;
  readonly after: AfterCommand;
}

type DeviceCommand = fc.AsyncCommand<DeviceTrafficModel, DeviceTrafficReal>;

/** A test frame: a unicast Ethernet header to the device's default MAC and a recognisable payload. */
export function testFrame(length: number, seed: number): Uint8Array {
  const f = new Uint8Array(Math.max(60, Math.min(length, MAX_FRAME)));
  f.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0, 0, 0, 0, seed & 0xff, 0x08, 0x00]);
  for (let i = 14; i < f.length; i++) f[i] = (seed + i) & 0xff;
  return f;
}

/** Whether two byte strings are equal (a frame on the wire against the frame sent). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

class TxBatch implements DeviceCommand {
  constructor(
    readonly lengths: readonly number[],
    readonly segments: 1 | 2,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: DeviceTrafficModel, r: DeviceTrafficReal): Promise<void> {
    let added = 0;
    for (const [k, len] of this.lengths.entries()) if (await r.session.addTx(testFrame(len, k + m.txOutstanding), this.segments)) added++;
    m.txOutstanding += added;
    await r.session.kick(TX_QUEUE);
    r.after(r.session, this.toString());
  }
  toString(): string {
    return `tx(${this.lengths.join(',')}; ${this.segments} seg)`;
  }
}

class RxPost implements DeviceCommand {
  constructor(
    readonly count: number,
    readonly segments: 1 | 2,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: DeviceTrafficModel, r: DeviceTrafficReal): Promise<void> {
    for (let k = 0; k < this.count; k++) if (r.session.addRx(this.segments)) m.rxOutstanding++;
    await r.session.kick(RX_QUEUE);
    r.after(r.session, this.toString());
  }
  toString(): string {
    return `rx-post(${this.count}; ${this.segments} seg)`;
  }
}

class Inject implements DeviceCommand {
  constructor(readonly length: number) {}
  check(): boolean {
    return true;
  }
  async run(_m: DeviceTrafficModel, r: DeviceTrafficReal): Promise<void> {
    await r.session.inject(testFrame(this.length, this.length));
    r.after(r.session, this.toString());
  }
  toString(): string {
    return `inject(${this.length})`;
  }
}

class Reap implements DeviceCommand {
  constructor(readonly queue: number) {}
  check(m: Readonly<DeviceTrafficModel>): boolean {
    return (this.queue === TX_QUEUE ? m.txOutstanding : m.rxOutstanding) > 0;
  }
  async run(m: DeviceTrafficModel, r: DeviceTrafficReal): Promise<void> {
    const n = await r.session.reap(this.queue);
    if (this.queue === TX_QUEUE) m.txOutstanding -= n;
    else m.rxOutstanding -= n;
    r.after(r.session, this.toString());
  }
  toString(): string {
    return `reap(${this.queue === TX_QUEUE ? 'tx' : 'rx'})`;
  }
}

class Callbacks implements DeviceCommand {
  constructor(
    readonly queue: number,
    readonly mode: 'disable' | 'enable' | 'delayed',
  ) {}
  check(): boolean {
    return true;
  }
  async run(_m: DeviceTrafficModel, r: DeviceTrafficReal): Promise<void> {
    r.session.callbacks(this.queue, this.mode);
    r.after(r.session, this.toString());
  }
  toString(): string {
    return `callbacks(${this.queue === TX_QUEUE ? 'tx' : 'rx'}, ${this.mode})`;
  }
}

const queueArb = fc.constantFrom(RX_QUEUE, TX_QUEUE);
const segmentsArb = fc.constantFrom<1 | 2>(1, 2);

/**
 * The commands of the device traffic model. A batch is at most three
 * buffers of two descriptors, less than a lap of the rings of 8: the packed
 * event test cannot name a descriptor in a window longer than a lap, so
 * longer batches between notification decisions make the observer and
 * `vring_packed_need_event` disagree (see `RingScenarioOptions`).
 */
export const deviceCommandArbitraries: readonly fc.Arbitrary<DeviceCommand>[] = [
  fc.tuple(fc.array(fc.integer({ min: 60, max: 1514 }), { minLength: 1, maxLength: 3 }), segmentsArb).map(([l, s]) => new TxBatch(l, s)),
  fc.tuple(fc.integer({ min: 1, max: 3 }), segmentsArb).map(([n, s]) => new RxPost(n, s)),
  fc.integer({ min: 60, max: 1514 }).map((len) => new Inject(len)),
  queueArb.map((q) => new Reap(q)),
  fc.tuple(queueArb, fc.constantFrom<'disable' | 'enable' | 'delayed'>('disable', 'enable', 'delayed')).map(([q, m]) => new Callbacks(q, m)),
];

/** Command lists of the device traffic model; `replayPath` replays a shrunk list exactly. */
export function deviceCommands(maxCommands: number, replayPath?: string): fc.Arbitrary<Iterable<DeviceCommand>> {
  return fc.commands([...deviceCommandArbitraries], replayPath === undefined ? { maxCommands } : { maxCommands, replayPath });
}

/**
 * The fixed start of every run, so that each run reaches what the rules
 * need whatever the random part draws: both rings go round more than once
 * (nine buffers each on rings of 8), with callbacks enabled, then disabled,
 * then delayed.
 */
export async function deviceWarmUp(model: DeviceTrafficModel, real: DeviceTrafficReal): Promise<void> {
  const steps: DeviceCommand[] = [];
  for (let round = 0; round < 3; round++) {
    steps.push(new RxPost(3, round % 2 === 0 ? 1 : 2), new TxBatch([60, 200, 1514], round % 2 === 0 ? 1 : 2));
    steps.push(new Inject(60 + round * 300), new Inject(1514), new Inject(100), new Reap(TX_QUEUE), new Reap(RX_QUEUE));
    if (round === 1) steps.push(new Callbacks(TX_QUEUE, 'disable'), new Callbacks(RX_QUEUE, 'disable'));
    if (round === 2) steps.push(new Callbacks(TX_QUEUE, 'delayed'), new Callbacks(RX_QUEUE, 'enable'));
  }
  steps.push(new Callbacks(TX_QUEUE, 'enable'));
  for (const step of steps) if (step.check(model)) await step.run(model, real);
}
