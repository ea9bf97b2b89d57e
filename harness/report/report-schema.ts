/**
 * The canonical report: one JSON document per run, validated by this zod schema, whose JSON Schema
 * is written beside every report (`report.schema.json`). JUnit, HTML and the job summary are
 * renderings of it.
 *
 * @module
 */

import { z } from 'zod';
import { CHECK_AREAS } from '../checks/check.js';
import { CLAUSE_LEVELS, CLAUSE_ROLES } from '../../specs/catalog/schema.js';

const evidence = { clause: z.string(), observed: z.string(), expected: z.string() };

/** A verdict as the report stores it. */
export const verdictSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('pass') }),
  z.strictObject({ kind: z.literal('fail'), ...evidence }),
  z.strictObject({ kind: z.literal('non-strict'), ...evidence }),
  z.strictObject({ kind: z.literal('info'), clause: z.string(), observed: z.string() }),
  z.strictObject({ kind: z.literal('not-applicable'), reason: z.string() }),
  z.strictObject({ kind: z.literal('inconclusive'), reason: z.string() }),
  z.strictObject({ kind: z.literal('crashed'), error: z.string(), stderr: z.string().optional() }),
  z.strictObject({ kind: z.literal('timed-out'), afterMs: z.number(), during: z.string() }),
]);

/** One result: a check in one configuration. */
export const resultSchema = z.strictObject({
  check: z.string(),
  title: z.string(),
  clauses: z.array(z.string()).min(1),
  role: z.enum(CLAUSE_ROLES),
  level: z.enum(CLAUSE_LEVELS),
  area: z.enum(CHECK_AREAS),
  subject: z.string(),
  target: z.enum(['reference', 'qemu', 'module']),
  transport: z.enum(['pci', 'mmio']),
  ring: z.enum(['split', 'packed']),
  seed: z.number().int(),
  numRuns: z.number().int(),
  path: z.string().optional(),
  verdict: verdictSchema,
  /**
   * Set when a known failure from the expectations file covers this result; `held` says whether it
   * still fails (false: an unexpected pass, which fails the gate).
   */
  expected: z.strictObject({ reason: z.string(), link: z.string(), held: z.boolean() }).optional(),
  replay: z.strictObject({ seed: z.number().int(), path: z.string(), counterexample: z.string(), command: z.string() }).optional(),
  message: z.string(),
  trace: z.array(z.string()),
  durationMs: z.number(),
});

/** The whole report. */
export const reportSchema = z.strictObject({
  tool: z.strictObject({ name: z.literal('virtio-net-conformance'), version: z.string() }),
  spec: z.strictObject({ repository: z.string(), commit: z.string(), tag: z.string() }),
  run: z.strictObject({
    startedAt: z.string(),
    durationMs: z.number(),
    command: z.string(),
    target: z.enum(['reference', 'qemu']),
    seed: z.number().int(),
    numRuns: z.number().int(),
    strict: z.boolean(),
    shard: z.string().optional(),
  }),
  summary: z.strictObject({
    total: z.number().int(),
    byVerdict: z.record(z.string(), z.number().int()),
    exitCode: z.number().int().min(0).max(3),
  }),
  results: z.array(resultSchema),
});

/** A report. */
export type Report = z.infer<typeof reportSchema>;
/** One report result. */
export type ReportResult = z.infer<typeof resultSchema>;

/** The report's JSON Schema (draft 2020-12), generated from the zod schema. */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(reportSchema, { target: 'draft-2020-12' });
}
