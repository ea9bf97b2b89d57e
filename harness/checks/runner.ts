/**
 * Runs one check in one configuration and returns its result: the verdict with the evidence, the
 * seed and path to replay it, and the trace. Bounded: a check that does not finish within the
 * time-out is `timed-out`; a throw is `crashed`; resources are released either way.
 *
 * @module
 */

import type { ClauseLevel, ClauseRole } from '../../specs/catalog/schema.js';
import type { Check, CheckArea, Replay } from './check.js';
import { verdictOf } from './check.js';
import { NotApplicable, type RunConfig } from './context.js';
import { Trace } from './trace.js';
import type { Verdict } from './verdict.js';

/** One check's result in one configuration. */
export interface CheckResult {
  readonly check: string;
  readonly title: string;
  readonly clauses: readonly string[];
  readonly role: ClauseRole;
  readonly level: ClauseLevel;
  readonly area: CheckArea;
  readonly subject: string;
  readonly config: RunConfig;
  readonly verdict: Verdict;
  readonly replay?: Replay;
  readonly trace: readonly string[];
  readonly durationMs: number;
}

/** A context plus what must be released after the check, however it ended. */
export interface ContextLease<C> {
  readonly context: C;
  release(): Promise<void>;
}

const TIMED_OUT = Symbol('timed-out');

/**
 * Runs `check` against the context `lease` builds. Static applicability (transport, ring format) is
 * decided here; feature applicability is the check's own business, since only a live device says
 * what it offers.
 */
export async function runCheck<C>(
  check: Check<C>,
  subject: string,
  config: RunConfig,
  lease: (trace: Trace) => ContextLease<C>,
): Promise<CheckResult> {
  const started = performance.now();
  const trace = new Trace();
  const finish = (verdict: Verdict, replay?: Replay): CheckResult => ({
    check: check.id,
    title: check.title,
    clauses: check.clauses,
    role: check.role,
    level: check.level,
    area: check.area,
    subject,
    config,
    verdict,
    ...(replay === undefined ? {} : { replay }),
    trace: verdict.kind === 'pass' || verdict.kind === 'not-applicable' ? [] : trace.lines(),
    durationMs: Math.round(performance.now() - started),
  });

  const { transports, rings } = check.applies;
  if (transports !== undefined && !transports.includes(config.transport)) {
    return finish({ kind: 'not-applicable', reason: `check runs on ${transports.join('/')} only` });
  }
  if (rings !== undefined && !rings.includes(config.ring)) {
    return finish({ kind: 'not-applicable', reason: `check runs on ${rings.join('/')} rings only` });
  }

  const { context, release } = lease(trace);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), config.timeoutMs);
    });
    const outcome = await Promise.race([check.run(context), timeout]);
    if (outcome === TIMED_OUT) {
      return finish({ kind: 'timed-out', afterMs: config.timeoutMs, during: trace.lines().at(-1) ?? 'set-up' });
    }
    return finish(verdictOf(check.level, outcome), outcome.kind === 'violated' ? outcome.replay : undefined);
  } catch (error) {
    if (error instanceof NotApplicable) return finish({ kind: 'not-applicable', reason: error.reason });
    return finish({ kind: 'crashed', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  } finally {
    clearTimeout(timer);
    await release().catch(() => undefined);
  }
}
