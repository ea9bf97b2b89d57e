/**
 * The GitHub job summary (Markdown appended to `$GITHUB_STEP_SUMMARY`), kept under GitHub's
 * 1 MiB per-step limit: failures beyond what fits are counted, not listed.
 *
 * @module
 */

import type { Report } from './report-schema.js';

/** GitHub's limit for one step's summary, with room to spare. */
export const GITHUB_SUMMARY_LIMIT = 1_000_000;

/** Renders the summary Markdown, at most `limit` bytes. */
export function renderGithubSummary(report: Report, limit = GITHUB_SUMMARY_LIMIT): string {
  const v = report.summary.byVerdict;
  const head = [
    `## virtio-net conformance: exit ${report.summary.exitCode}`,
    '',
    '| verdict | results |',
    '|---|---|',
    ...Object.entries(v).map(([k, n]) => `| ${k} | ${n} |`),
    '',
  ].join('\n');
  const failing = report.results.filter((r) => ['fail', 'crashed', 'timed-out', 'inconclusive'].includes(r.verdict.kind));
  let body = failing.length > 0 ? '| check | clauses | config | message |\n|---|---|---|---|\n' : '';
  let listed = 0;
  for (const r of failing) {
    const row = `| \`${r.check}\` | ${r.clauses.map((c) => `\`${c}\``).join(' ')} | ${r.transport}/${r.ring} | ${r.message.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 400)} |\n`;
    if (Buffer.byteLength(head + body + row) + 200 > limit) break;
    body += row;
    listed++;
  }
  const rest = failing.length - listed;
  return `${head}${body}${rest > 0 ? `\n…and ${rest} more failures (see report.json).\n` : ''}`;
}
