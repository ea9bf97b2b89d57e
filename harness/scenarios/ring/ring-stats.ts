/**
 * What one ring scenario run reached and found: coverage counters (so that
 * tests can prove runs were long, rings filled and indices wrapped), the
 * observer findings, and the first disagreement with the scenario's model.
 *
 * @module
 */

import type { DeviceRingError, DriverRingError } from '../../../reference-impl/virtqueue/index.js';
import type { RingFinding } from '../../observers/index.js';

/** Counters and outcome of one run; owned by its runner and overwritten by the next run. */
export class RingRunStats {
  /** Steps executed (the scenario's length; the final drain is not counted). */
  steps = 0;
  /** Buffers made available. */
  buffersAdded = 0;
  /** Buffers the driver got back. */
  buffersCollected = 0;
  /** Adds refused for lack of space: the ring was full. */
  ringFull = 0;
  /** Most buffers outstanding at once. */
  maxOutstanding = 0;
  /** Chains popped through an indirect table. */
  indirectChains = 0;
  /** Chains of more segments than an indirect table holds (RING_SCENARIO_INDIRECT_ENTRIES): long direct chains. */
  longChains = 0;
  /** In-order batches of two or more buffers published by one used entry. */
  batches = 0;
  /** `service` steps: pop everything, use it, notify. */
  services = 0;
  /** Split: avail.idx wrapped past 65535. Packed: the driver's wrap counter flipped. */
  indexWraps = 0;
  /** Kicks sent / kick decisions that sent none after buffers were added. */
  kicks = 0;
  kicksSuppressed = 0;
  /** Used-buffer notifications sent / decisions that sent none after buffers were used. */
  interrupts = 0;
  interruptsSuppressed = 0;
  /** EVENT_IDX decisions whose event index sat on the edge of the window (old, new − 1 or new). */
  eventEdges = 0;
  /** Observer findings (empty without an observer). */
  findings: readonly RingFinding[] = [];
  /** First disagreement between the engine (or observer) and the model, or null. */
  modelError: string | null = null;
  /** The driver-side ring error that broke the queue, or null. */
  driverError: DriverRingError | null = null;
  /** The device-side ring error that failed the queue, or null. */
  deviceError: DeviceRingError | null = null;

  /** Zeroes every counter. */
  reset(): void {
    this.steps = this.buffersAdded = this.buffersCollected = this.ringFull = this.maxOutstanding = 0;
    this.indirectChains = this.longChains = this.batches = this.services = this.indexWraps = 0;
    this.kicks = this.kicksSuppressed = this.interrupts = this.interruptsSuppressed = this.eventEdges = 0;
    this.findings = [];
    this.modelError = null;
    this.driverError = null;
    this.deviceError = null;
  }

  /** True when the run ended with no finding, no model disagreement and no ring error. */
  get clean(): boolean {
    return this.findings.length === 0 && this.modelError === null && this.driverError === null && this.deviceError === null;
  }

  /** Violation findings as `rule clause` strings, in order. */
  violationKeys(): string[] {
    return this.findings.flatMap((f) => (f.kind === 'violation' ? [`${f.rule} ${f.clause}`] : []));
  }
}

/** Coverage counters that {@link RingCoverage} counts runs for. */
export type RingCoverageCounter =
  | 'ringFull'
  | 'indexWraps'
  | 'indirectChains'
  | 'longChains'
  | 'batches'
  | 'kicksSuppressed'
  | 'interruptsSuppressed'
  | 'eventEdges';

const COUNTERS: readonly RingCoverageCounter[] = [
  'ringFull',
  'indexWraps',
  'indirectChains',
  'longChains',
  'batches',
  'kicksSuppressed',
  'interruptsSuppressed',
  'eventEdges',
];

/**
 * What a property's runs reached, summed over runs: the lengths of the
 * scenarios (fast-check's small default sizes would silently cap them,
 * ring-perf §4) and how many runs hit each interesting situation.
 */
export class RingCoverage {
  runs = 0;
  minSteps = Number.POSITIVE_INFINITY;
  maxSteps = 0;
  totalSteps = 0;
  buffers = 0;
  maxOutstanding = 0;
  /** Most index wraps (split) or wrap-counter flips (packed) in one run. */
  maxIndexWraps = 0;
  /** Runs in which each counter was non-zero. */
  readonly runsWith: Record<RingCoverageCounter, number> = {
    ringFull: 0,
    indexWraps: 0,
    indirectChains: 0,
    longChains: 0,
    batches: 0,
    kicksSuppressed: 0,
    interruptsSuppressed: 0,
    eventEdges: 0,
  };

  /** Adds one run. */
  add(s: RingRunStats): void {
    this.runs++;
    if (s.steps < this.minSteps) this.minSteps = s.steps;
    if (s.steps > this.maxSteps) this.maxSteps = s.steps;
    this.totalSteps += s.steps;
    this.buffers += s.buffersAdded;
    if (s.maxOutstanding > this.maxOutstanding) this.maxOutstanding = s.maxOutstanding;
    if (s.indexWraps > this.maxIndexWraps) this.maxIndexWraps = s.indexWraps;
    for (const k of COUNTERS) if (s[k] > 0) this.runsWith[k]++;
  }

  /** Mean scenario length. */
  get meanSteps(): number {
    return this.runs === 0 ? 0 : this.totalSteps / this.runs;
  }

  /** One line for test logs and benchmark reports. */
  summary(label: string): string {
    const counts = COUNTERS.map((k) => `${k} ${this.runsWith[k]}`).join(', ');
    return `${label}: ${this.runs} runs, steps ${this.minSteps}..${this.maxSteps} (mean ${this.meanSteps.toFixed(0)}), ${this.buffers} buffers, max outstanding ${this.maxOutstanding}, max wraps ${this.maxIndexWraps}; runs with ${counts}`;
  }
}

/** A one-line account of why a run was not clean, for property failures. */
export function describeRun(s: RingRunStats): string {
  const parts: string[] = [];
  if (s.modelError !== null) parts.push(`model: ${s.modelError}`);
  if (s.driverError !== null) parts.push(`driver error: ${s.driverError.code}`);
  if (s.deviceError !== null) parts.push(`device error: ${s.deviceError.code}`);
  for (const f of s.findings) parts.push(f.kind === 'violation' ? `${f.rule} (${f.clause}): ${f.observed}` : `desync: ${f.reason}`);
  return parts.length === 0 ? 'clean' : parts.join('; ');
}
