/**
 * A model-based (`fc.commands`) property over the reference split ring, for
 * the benchmark's commands/s row: the driver's add and getUsed and the
 * device's pop and push, checked against a queue-of-tokens model.
 *
 * The model knows only what the split ring promises at the queue's surface
 * (2.7.13, 2.7.14): a buffer of n descriptors fits while n descriptors are
 * free; the device sees buffers in the order they were made available, with
 * the segments the driver gave, readable ones first (`framing.driver.1`); the
 * driver gets each buffer back once, in the order the device used them, with
 * the len the device wrote (2.7.8), and its descriptors become free again. It
 * does not know how the engine picks free descriptors: it learns each head
 * from the driver and checks that the device reports the same one.
 *
 * The real side (one {@link GuestMemory} and one queue pair) is reset, not
 * rebuilt, at the start of every run: per-run allocation would dominate the
 * measurement (ring-perf §4).
 *
 * @module
 */

import fc from 'fast-check';
import { GuestMemory } from '../../../reference-impl/memory/guest-memory.js';
import type { DeviceChain } from '../../../reference-impl/virtqueue/index.js';
import { referenceRingEngine, type RingDeviceSide, type RingDriverSide, type RingEngine } from '../../scenarios/ring/ring-engine.js';

/** Queue size: small, so that a 20-command run fills the ring. */
export const COMMANDS_QUEUE_SIZE = 4;
const DESC_ADDR = 0x0000;
const AVAIL_ADDR = 0x0100;
const USED_ADDR = 0x0200;
/** Buffers live in 2 KiB slots from here on; token t uses slot t mod 16. */
const BUFFER_BASE = 0x1000;
const SLOT_BYTES = 0x800;
const MEMORY_BYTES = BUFFER_BASE + 16 * SLOT_BYTES;
/** Header bytes of a 2-descriptor buffer (device-readable, as a transmit header). */
export const COMMANDS_HEADER_BYTES = 12;
/** Largest writable length of a buffer. */
export const COMMANDS_MAX_LEN = 1514;

/** What the model knows of one buffer. */
interface ModelBuffer {
  readonly token: number;
  readonly descriptors: 1 | 2;
  readonly readable: number;
  readonly writable: number;
  /** Head index the driver reported when it added the buffer. */
  readonly head: number;
}

/** The queue-of-tokens model. */
export class RingTokenModel {
  free = COMMANDS_QUEUE_SIZE;
  nextToken = 0;
  /** Made available, not yet popped, oldest first. */
  readonly available: ModelBuffer[] = [];
  /** Popped by the device, not yet used, in pop order. */
  readonly held: ModelBuffer[] = [];
  /** Used by the device, not yet collected, oldest first. */
  readonly used: { readonly buffer: ModelBuffer; readonly len: number }[] = [];
}

/** The system under test: the engine's two sides over one guest memory, reused across runs. */
export class RingCommandsReal {
  readonly driver: RingDriverSide;
  readonly device: RingDeviceSide;
  /** Chains the device holds, parallel to {@link RingTokenModel.held}. */
  readonly held: DeviceChain[] = [];
  /** Commands run since the counter was last cleared (the benchmark's commands/run). */
  executed = 0;

  /** @throws RangeError when the engine refuses the fixed layout (a bench bug). */
  constructor(engine: RingEngine = referenceRingEngine) {
    const mem = new GuestMemory(MEMORY_BYTES);
    const layout = { size: COMMANDS_QUEUE_SIZE, descAddr: DESC_ADDR, driverAddr: AVAIL_ADDR, deviceAddr: USED_ADDR };
    this.driver = engine.createDriver(mem, 'split', layout);
    const device = engine.createDevice(mem, 'split', layout);
    if ('kind' in device && device.kind === 'ring-error') throw new RangeError(`device refused the commands ring: ${device.message}`);
    this.device = device as RingDeviceSide;
  }

  /** Both sides back to a freshly enabled queue. */
  reset(): void {
    this.driver.reset();
    this.device.reset();
    this.held.length = 0;
  }
}

type Cmd = fc.Command<RingTokenModel, RingCommandsReal>;

function expectSame(what: string, got: unknown, want: unknown): void {
  if (got !== want) throw new Error(`${what}: got ${String(got)}, expected ${String(want)}`);
}

/** After every command: free descriptors and chains in flight agree with the model. */
function checkCounts(m: RingTokenModel, r: RingCommandsReal): void {
  expectSame('driver free descriptors', r.driver.numFree, m.free);
  expectSame('device chains in flight', r.device.inFlight, m.held.length);
}

/** Driver add of a 1-descriptor writable buffer or a 2-descriptor header + writable buffer. */
export class AddCommand implements Cmd {
  constructor(
    readonly descriptors: 1 | 2,
    readonly len: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: RingTokenModel, r: RingCommandsReal): void {
    r.executed++;
    const token = m.nextToken++;
    const slot = BUFFER_BASE + (token & 15) * SLOT_BYTES;
    let added;
    if (this.descriptors === 1) {
      added = r.driver.addBuffer(slot, this.len, true, token);
    } else {
      r.driver.stage.out(slot, COMMANDS_HEADER_BYTES);
      r.driver.stage.in(slot + COMMANDS_HEADER_BYTES, this.len);
      added = r.driver.add(token);
    }
    const fits = m.free >= this.descriptors;
    expectSame(`add of ${this.descriptors} descriptor(s) with ${m.free} free`, added.kind, fits ? 'added' : 'no-space');
    if (fits) {
      const head = r.driver.format === 'split' ? r.driver.lastHead : r.driver.lastId;
      m.free -= this.descriptors;
      m.available.push({ token, descriptors: this.descriptors, readable: this.descriptors === 2 ? COMMANDS_HEADER_BYTES : 0, writable: this.len, head });
    }
    checkCounts(m, r);
  }
  toString(): string {
    return `add(${this.descriptors}, ${this.len})`;
  }
}

/** Device pop of the next available chain. */
export class PopCommand implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: RingTokenModel, r: RingCommandsReal): void {
    r.executed++;
    const chain = r.device.pop();
    const want = m.available.shift();
    if (want === undefined) {
      expectSame('pop with nothing available', chain, null);
    } else {
      if (chain === null) throw new Error(`pop returned nothing with token ${want.token} available`);
      if (chain.kind === 'ring-error') throw new Error(`pop failed: ${chain.code}: ${chain.message}`);
      expectSame(`token ${want.token}: chain head`, chain.id, want.head);
      expectSame(`token ${want.token}: segments`, chain.count, want.descriptors);
      expectSame(`token ${want.token}: readable bytes`, chain.readableBytes, want.readable);
      expectSame(`token ${want.token}: writable bytes`, chain.writableBytes, want.writable);
      m.held.push(want);
      r.held.push(chain);
    }
    checkCounts(m, r);
  }
  toString(): string {
    return 'pop';
  }
}

/** Device push of one held chain (any of them: without IN_ORDER the device may use them in any order). */
export class PushCommand implements Cmd {
  /**
   * @param pick - which held chain (modulo how many are held)
   * @param lenChoice - 0: nothing written, 1: all writable bytes, 2: half, 3: one byte
   */
  constructor(
    readonly pick: number,
    readonly lenChoice: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: RingTokenModel, r: RingCommandsReal): void {
    r.executed++;
    if (m.held.length > 0) {
      const i = this.pick % m.held.length;
      const buffer = m.held.splice(i, 1)[0] as ModelBuffer;
      const chain = r.held.splice(i, 1)[0] as DeviceChain;
      const w = buffer.writable;
      const len = this.lenChoice === 0 ? 0 : this.lenChoice === 1 ? w : this.lenChoice === 2 ? w >>> 1 : 1;
      r.device.push(chain, len);
      m.used.push({ buffer, len });
    }
    checkCounts(m, r);
  }
  toString(): string {
    return `push(${this.pick}, ${this.lenChoice})`;
  }
}

/** Driver getUsed: the oldest used buffer's token and len, and its descriptors back. */
export class GetUsedCommand implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: RingTokenModel, r: RingCommandsReal): void {
    r.executed++;
    const got = r.driver.getUsed();
    const want = m.used.shift();
    if (want === undefined) {
      expectSame('getUsed with nothing used', got, null);
    } else {
      if (got === null) throw new Error(`getUsed returned nothing with token ${want.buffer.token} used`);
      if (got.kind === 'ring-error') throw new Error(`getUsed failed: ${got.code}: ${got.message}`);
      expectSame('getUsed token', got.token, want.buffer.token);
      expectSame(`token ${want.buffer.token}: used len`, got.len, want.len);
      m.free += want.buffer.descriptors;
    }
    checkCounts(m, r);
  }
  toString(): string {
    return 'getUsed';
  }
}

/** The four command arbitraries, equally likely. */
export function ringCommandArbitraries(): fc.Arbitrary<Cmd>[] {
  return [
    fc
      .record({ descriptors: fc.constantFrom<1 | 2>(1, 2), len: fc.integer({ min: 1, max: COMMANDS_MAX_LEN }) })
      .map(({ descriptors, len }): Cmd => new AddCommand(descriptors, len)),
    fc.constant<Cmd>(new PopCommand()),
    fc.record({ pick: fc.nat(255), lenChoice: fc.integer({ min: 0, max: 3 }) }).map(({ pick, lenChoice }): Cmd => new PushCommand(pick, lenChoice)),
    fc.constant<Cmd>(new GetUsedCommand()),
  ];
}

/**
 * How a run's command list is drawn:
 * - `commands`: `fc.commands(…, { maxCommands, size: 'max' })`, the model-based property as the
 *   product writes them (with its replay path and shrinker). fast-check draws the length
 *   uniformly in 0..maxCommands, so no option makes it exact: maxCommands = 2 × the wanted mean.
 * - `exact`: `fc.array(fc.oneof(…), { minLength: n, maxLength: n })` run with `fc.modelRun`:
 *   the same commands and model, exactly n per run, without `fc.commands`' wrapper.
 */
export type CommandListShape = 'commands' | 'exact';

/** Options of {@link checkRingCommands}. */
export interface RingCommandsOptions {
  readonly shape: CommandListShape;
  /** The mean (`commands`) or exact (`exact`) number of commands per run. */
  readonly commands: number;
  readonly numRuns: number;
  readonly seed: number;
  /** The engine under test. @default referenceRingEngine */
  readonly engine?: RingEngine;
}

/** What {@link checkRingCommands} ran. */
export type RingCommandsOutcome =
  | {
      readonly kind: 'ok';
      readonly runs: number;
      /** Commands executed, summed over runs. */
      readonly commands: number;
      /** Fewest and most commands in one run. */
      readonly minPerRun: number;
      readonly maxPerRun: number;
    }
  | { readonly kind: 'failed'; readonly message: string; readonly counterexample: string };

/** Runs the property; a model disagreement comes back as `failed` with fast-check's report. */
export function checkRingCommands(options: RingCommandsOptions): RingCommandsOutcome {
  const real = new RingCommandsReal(options.engine);
  const setup = () => {
    real.reset();
    return { model: new RingTokenModel(), real };
  };
  const arbs = ringCommandArbitraries();
  const runs = { n: 0, min: Number.POSITIVE_INFINITY, max: 0 };
  const once = (cmds: Iterable<Cmd>) => {
    const before = real.executed;
    fc.modelRun(setup, cmds);
    const n = real.executed - before;
    runs.n++;
    if (n < runs.min) runs.min = n;
    if (n > runs.max) runs.max = n;
  };
  const property =
    options.shape === 'commands'
      ? fc.property(fc.commands(arbs, { maxCommands: 2 * options.commands, size: 'max' }), once)
      : fc.property(fc.array(fc.oneof(...arbs), { minLength: options.commands, maxLength: options.commands }), once);
  const result = fc.check(property, { numRuns: options.numRuns, seed: options.seed });
  if (result.failed) {
    return {
      kind: 'failed',
      message: result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance),
      counterexample: result.counterexample === null ? '' : fc.stringify(result.counterexample),
    };
  }
  return { kind: 'ok', runs: runs.n, commands: real.executed, minPerRun: runs.n === 0 ? 0 : runs.min, maxPerRun: runs.max };
}
