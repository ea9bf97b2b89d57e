/**
 * The fast-check command model of driver-side ring traffic: what the
 * operating system asks of a net driver (transmit, poll, change the
 * receive mode) and what the wire delivers to it through the instrument.
 * The driver's ring writes are judged by the ring observers after every
 * command; the model keeps only counts the harness knows for sure.
 *
 * @module
 */

import fc from 'fast-check';
import { testFrame } from './device-commands.js';
import type { DriverSession } from './driver-session.js';

/** What the harness knows. */
export interface DriverTrafficModel {
  /** Frames handed to the driver to transmit. */
  transmitted: number;
  /** Frames delivered to the instrument's wire for the driver. */
  injected: number;
}

/** The real system a command acts on, with the per-command judgement. */
export interface DriverTrafficReal {
  readonly session: DriverSession;
  readonly after: (session: DriverSession, command: string) => void;
}

type DriverCommand = fc.AsyncCommand<DriverTrafficModel, DriverTrafficReal>;

class Transmit implements DriverCommand {
  constructor(readonly lengths: readonly number[]) {}
  check(): boolean {
    return true;
  }
  async run(m: DriverTrafficModel, r: DriverTrafficReal): Promise<void> {
    for (const len of this.lengths) {
      await r.session.transmit(testFrame(len, m.transmitted++));
      r.after(r.session, this.toString());
    }
  }
  toString(): string {
    return `transmit(${this.lengths.join(',')})`;
  }
}

class Inject implements DriverCommand {
  constructor(readonly lengths: readonly number[]) {}
  check(): boolean {
    return true;
  }
  async run(m: DriverTrafficModel, r: DriverTrafficReal): Promise<void> {
    for (const len of this.lengths) {
      await r.session.inject(testFrame(len, m.injected++));
      r.after(r.session, this.toString());
    }
  }
  toString(): string {
    return `inject(${this.lengths.join(',')})`;
  }
}

class Poll implements DriverCommand {
  check(): boolean {
    return true;
  }
  async run(_m: DriverTrafficModel, r: DriverTrafficReal): Promise<void> {
    await r.session.poll();
    r.after(r.session, this.toString());
  }
  toString(): string {
    return 'poll';
  }
}

class RxMode implements DriverCommand {
  constructor(
    readonly promisc: boolean,
    readonly allmulti: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(_m: DriverTrafficModel, r: DriverTrafficReal): Promise<void> {
    await r.session.setRxMode(this.promisc, this.allmulti);
    r.after(r.session, this.toString());
  }
  toString(): string {
    return `rx-mode(promisc ${this.promisc}, allmulti ${this.allmulti})`;
  }
}

const lengths = fc.array(fc.integer({ min: 60, max: 1514 }), { minLength: 1, maxLength: 4 });

/** The commands of the driver traffic model. */
export const driverCommandArbitraries: readonly fc.Arbitrary<DriverCommand>[] = [
  lengths.map((l) => new Transmit(l)),
  lengths.map((l) => new Inject(l)),
  fc.constant(new Poll()),
  fc.tuple(fc.boolean(), fc.boolean()).map(([p, a]) => new RxMode(p, a)),
];

/** Command lists of the driver traffic model; `replayPath` replays a shrunk list exactly. */
export function driverCommands(maxCommands: number, replayPath?: string): fc.Arbitrary<Iterable<DriverCommand>> {
  return fc.commands([...driverCommandArbitraries], replayPath === undefined ? { maxCommands } : { maxCommands, replayPath });
}

/**
 * The fixed start of every run: traffic both ways with polls, one
 * receive-mode change each way (control-queue chains), and 18 frames
 * received, so that a receive ring of 32 is refilled once past its first
 * lap (Linux refills when more than half the ring is free).
 */
export async function driverWarmUp(model: DriverTrafficModel, real: DriverTrafficReal): Promise<void> {
  const burst = [60, 1514, 700, 64, 1000, 300];
  const steps: DriverCommand[] = [
    new Transmit([60, 1514]),
    new Inject(burst),
    new Poll(),
    new RxMode(true, false),
    new Transmit([200]),
    new Inject(burst),
    new Poll(),
    new Inject(burst),
    new Poll(),
    new RxMode(false, false),
  ];
  for (const step of steps) await step.run(model, real);
}
