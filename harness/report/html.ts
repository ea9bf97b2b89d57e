/**
 * The HTML report: one self-contained page (inline CSS, no scripts, no fetches) for a reviewer —
 * the summary by area and level, in-scope clause coverage, and every failure with the clause text,
 * the expectation, the observation, the command that replays it, and its trace.
 *
 * @module
 */

import { catalog } from '../../specs/catalog/index.js';
import type { Report, ReportResult } from './report-schema.js';

/** Clause coverage as the page shows it (from harness/coverage). */
export interface CoverageView {
  readonly scope: string;
  readonly mandatory: number;
  readonly checked: number;
  readonly unobservable: number;
  readonly unchecked: number;
  readonly byArea: readonly { readonly area: string; readonly checked: number; readonly unobservable: number; readonly unchecked: number }[];
}

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const BAD = new Set(['fail', 'crashed', 'timed-out', 'inconclusive']);

function badge(kind: string): string {
  return `<span class="v v-${kind}">${escape(kind)}</span>`;
}

function summaryTable(report: Report): string {
  const areas = [...new Set(report.results.map((r) => r.area))];
  const kinds = ['pass', 'fail', 'non-strict', 'info', 'inconclusive', 'crashed', 'timed-out', 'not-applicable'];
  const rows = areas.map((area) => {
    const of = report.results.filter((r) => r.area === area);
    const levels = [...new Set(of.map((r) => r.level))].join(', ');
    return `<tr><th>${escape(area)}</th><td>${escape(levels)}</td>${kinds.map((k) => `<td>${of.filter((r) => r.verdict.kind === k).length || ''}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr><th>area</th><th>levels</th>${kinds.map((k) => `<th>${badge(k)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function coverageTable(coverage: CoverageView | undefined): string {
  if (coverage === undefined) return '<p>Clause coverage was not computed for this run.</p>';
  const pct = coverage.mandatory === 0 ? 0 : Math.round(((coverage.checked + coverage.unobservable) / coverage.mandatory) * 100);
  const rows = coverage.byArea
    .map((a) => `<tr><th>${escape(a.area)}</th><td>${a.checked}</td><td>${a.unobservable}</td><td>${a.unchecked}</td></tr>`)
    .join('');
  return `<p>${escape(coverage.scope)}: <strong>${coverage.checked}</strong> of ${coverage.mandatory} MUST/MUST NOT clauses checked, ${coverage.unobservable} not observable from outside (listed with reasons), ${coverage.unchecked} unchecked — ${pct}% accounted for.</p>
<table><thead><tr><th>area</th><th>checked</th><th>unobservable</th><th>unchecked</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function failure(result: ReportResult): string {
  const v = result.verdict;
  const clauses = result.clauses
    .map((id) => catalog().get(id))
    .filter((c) => c !== undefined)
    .map((c) => `<li><code>${escape(c.id)}</code> <em>${escape(c.level)}, ${escape(c.role)}, §${escape(c.section)}</em>: ${escape(c.text)}</li>`)
    .join('');
  const evidence =
    v.kind === 'fail' || v.kind === 'non-strict'
      ? `<dl><dt>expected</dt><dd>${escape(v.expected)}</dd><dt>observed</dt><dd>${escape(v.observed)}</dd></dl>`
      : `<p>${escape(result.message)}</p>`;
  const replay = result.replay
    ? `<p>Replay: <code>${escape(result.replay.command)}</code></p><pre>${escape(result.replay.counterexample)}</pre>`
    : `<p>Re-run: <code>npx virtio-net-conformance run --transport ${result.transport} --ring ${result.ring} --clause ${escape(result.clauses[0]!)} --seed ${result.seed}</code></p>`;
  const trace = result.trace.length > 0 ? `<details><summary>trace (${result.trace.length} steps)</summary><pre>${escape(result.trace.join('\n'))}</pre></details>` : '';
  return `<section class="failure" id="${escape(result.check)}-${result.transport}-${result.ring}">
<h3>${badge(v.kind)} ${escape(result.check)} <small>${result.transport}/${result.ring} · ${escape(result.subject)}</small></h3>
<p>${escape(result.title)}</p><ul>${clauses}</ul>${evidence}${replay}${trace}</section>`;
}

/** Renders the page. `coverageHref` links the code-coverage report when one was written. */
export function renderHtml(report: Report, coverage?: CoverageView, coverageHref?: string): string {
  const failures = report.results.filter((r) => BAD.has(r.verdict.kind) || (r.verdict.kind === 'non-strict' && report.run.strict));
  const shoulds = report.results.filter((r) => r.verdict.kind === 'non-strict' && !report.run.strict);
  const exit = report.summary.exitCode;
  const state = exit === 0 ? 'conformant' : exit === 1 ? 'not conformant' : exit === 2 ? 'inconclusive' : 'harness error';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>virtio-net conformance: ${escape(state)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}th:first-child{text-align:left}
code,pre{font:12px ui-monospace,monospace}pre{background:#f5f5f5;padding:.5rem;overflow:auto;max-height:20rem}
.v{display:inline-block;border-radius:3px;padding:0 .35rem;font-size:12px;color:#fff;background:#777}
.v-pass{background:#2e7d32}.v-fail{background:#c62828}.v-non-strict{background:#ef6c00}.v-info{background:#1565c0}
.v-crashed,.v-timed-out,.v-inconclusive{background:#6a1b9a}.v-not-applicable{background:#9e9e9e}
.state{font-size:1.4rem}.state-0{color:#2e7d32}.state-1{color:#c62828}.state-2{color:#6a1b9a}
.failure{border-left:4px solid #c62828;padding-left:1rem;margin:1.5rem 0}dt{font-weight:600}dd{margin:0 0 .4rem 1rem}
</style></head><body>
<h1>virtio-net conformance</h1>
<p class="state state-${exit}">${escape(state)} (exit ${exit})</p>
<p>${escape(report.run.command)} · target ${escape(report.run.target)} · seed ${report.run.seed} · ${report.run.numRuns} runs per property${report.run.strict ? ' · strict' : ''}${report.run.shard ? ` · shard ${escape(report.run.shard)}` : ''} · spec ${escape(report.spec.tag)} (${escape(report.spec.commit.slice(0, 12))}) · ${escape(report.tool.name)} ${escape(report.tool.version)}</p>
<h2>Summary by area and level</h2>${summaryTable(report)}
<h2>In-scope clause coverage</h2>${coverageTable(coverage)}
${coverageHref ? `<p>Code coverage of the implementation under test: <a href="${escape(coverageHref)}">${escape(coverageHref)}</a></p>` : ''}
<h2>Failures (${failures.length})</h2>${failures.length === 0 ? '<p>None.</p>' : failures.map(failure).join('\n')}
${shoulds.length > 0 ? `<h2>SHOULD not met (${shoulds.length})</h2>${shoulds.map(failure).join('\n')}` : ''}
</body></html>
`;
}
