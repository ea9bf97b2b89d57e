/**
 * Reading what a conformance run printed: the summary lines of
 * `virtio-net-conformance run` (the result count by verdict, and passed /
 * failed / skipped), and, for the profile of a slow run, the per-check
 * durations of `run --json`.
 *
 * @module
 */

/** The counts a run's summary states. */
export interface RunSummary {
  /** Results (check × configuration). */
  readonly total: number;
  /** Results by verdict kind, as printed (`pass`, `not-applicable`, `fail`, …). */
  readonly byVerdict: Readonly<Record<string, number>>;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Outcome of {@link parseRunSummary}. */
export type RunSummaryParse = { readonly kind: 'ok'; readonly summary: RunSummary } | { readonly kind: 'bad-output'; readonly message: string };

const TOTAL_LINE = /^(\d+) results: (.*)$/m;
const VERDICT = /^(\d+) ([a-z][a-z-]*)$/;
const OUTCOME_LINE = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;

/**
 * Parses the two closing lines of `run`'s plain output
 * (`380 results: 334 pass, 46 not-applicable` and
 * `334 passed, 0 failed, 46 skipped`); the lines before them (failures and
 * their replay commands) are ignored. The verdict counts must add up to the total.
 */
export function parseRunSummary(stdout: string): RunSummaryParse {
  const total = TOTAL_LINE.exec(stdout);
  const outcome = OUTCOME_LINE.exec(stdout);
  if (total === null || outcome === null) {
    const tail = stdout.trim().split('\n').slice(-2).join(' | ');
    return { kind: 'bad-output', message: `no summary lines ('N results: …', 'P passed, F failed, S skipped') in the output: ${JSON.stringify(tail.slice(0, 200))}` };
  }
  const byVerdict: Record<string, number> = {};
  const listed = total[2] as string;
  if (listed !== 'none') {
    for (const part of listed.split(', ')) {
      const m = VERDICT.exec(part.trim());
      if (m === null) return { kind: 'bad-output', message: `cannot read the verdict count '${part}'` };
      byVerdict[m[2] as string] = Number(m[1]);
    }
  }
  const n = Number(total[1]);
  const sum = Object.values(byVerdict).reduce((s, v) => s + v, 0);
  if (sum !== n) return { kind: 'bad-output', message: `verdict counts add up to ${sum}, not the ${n} results stated` };
  return { kind: 'ok', summary: { total: n, byVerdict, passed: Number(outcome[1]), failed: Number(outcome[2]), skipped: Number(outcome[3]) } };
}

/** Time spent in one check, summed over the configurations it ran in. */
export interface CheckTime {
  readonly check: string;
  readonly ms: number;
  /** Results (configurations) the check produced. */
  readonly results: number;
}

/** The slow-check profile of a run. */
export interface RunProfile {
  /** Sum of every result's duration (ms). */
  readonly totalMs: number;
  /** Checks by time, slowest first. */
  readonly checks: readonly CheckTime[];
  /** Time by area, slowest first. */
  readonly areas: readonly { readonly area: string; readonly ms: number }[];
}

/** Outcome of {@link profileFromReport}. */
export type RunProfileParse = { readonly kind: 'ok'; readonly profile: RunProfile } | { readonly kind: 'bad-output'; readonly message: string };

/** Sums the `durationMs` of each result of a `run --json` report by check and by area. */
export function profileFromReport(json: string): RunProfileParse {
  let report: unknown;
  try {
    report = JSON.parse(json);
  } catch {
    return { kind: 'bad-output', message: `the report is not JSON (${json.length} characters${json.length >= 1 << 20 ? ', cut off at the output limit' : ''})` };
  }
  const results = (report as { results?: unknown }).results;
  if (!Array.isArray(results)) return { kind: 'bad-output', message: 'the report has no results array' };
  const byCheck = new Map<string, { ms: number; results: number }>();
  const byArea = new Map<string, number>();
  let totalMs = 0;
  for (const r of results as { check?: unknown; area?: unknown; durationMs?: unknown }[]) {
    if (typeof r.check !== 'string' || typeof r.durationMs !== 'number') return { kind: 'bad-output', message: 'a result without check or durationMs' };
    const area = typeof r.area === 'string' ? r.area : '?';
    const c = byCheck.get(r.check) ?? { ms: 0, results: 0 };
    c.ms += r.durationMs;
    c.results++;
    byCheck.set(r.check, c);
    byArea.set(area, (byArea.get(area) ?? 0) + r.durationMs);
    totalMs += r.durationMs;
  }
  return {
    kind: 'ok',
    profile: {
      totalMs,
      checks: [...byCheck].map(([check, c]) => ({ check, ms: c.ms, results: c.results })).sort((a, b) => b.ms - a.ms),
      areas: [...byArea].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms),
    },
  };
}
