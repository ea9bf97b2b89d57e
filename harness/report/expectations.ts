/**
 * The expectations file: the failures a target is known to have, each with a reason and a link.
 * A known failure does not fail the gate; a known failure that no longer fails does — so the file
 * stays exact (anchors lesson 8: xfail over skip, unexpected passes fail).
 *
 * ```json
 * { "target": "qemu", "expected": [
 *   { "check": "ctrl.device.ack-written", "transport": "pci", "reason": "…", "link": "https://…" } ] }
 * ```
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { CheckResult } from '../checks/runner.js';

/** One known failure. `transport` and `ring` narrow it to a configuration; absent means all. */
export const expectationSchema = z.strictObject({
  check: z.string().min(1),
  transport: z.enum(['pci', 'mmio']).optional(),
  ring: z.enum(['split', 'packed']).optional(),
  reason: z.string().min(10, 'say why, in a sentence'),
  link: z.url(),
});

/** The file. */
export const expectationsFileSchema = z.strictObject({
  target: z.enum(['reference', 'qemu', 'module']),
  expected: z.array(expectationSchema),
});

/** A known failure. */
export type Expectation = z.infer<typeof expectationSchema>;
/** An expectations file. */
export type ExpectationsFile = z.infer<typeof expectationsFileSchema>;

/** The outcome of reading an expectations file. */
export type ExpectationsLoad = { readonly kind: 'ok'; readonly file: ExpectationsFile } | { readonly kind: 'error'; readonly message: string };

/** Reads and validates an expectations file; every problem names the file and the entry. */
export function loadExpectations(path: string, knownChecks: ReadonlySet<string>): ExpectationsLoad {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { kind: 'error', message: `--expectations ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON: ${(error as Error).message}`}` };
  }
  const parsed = expectationsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'error', message: `--expectations ${path}: ${issue.path.join('.') || '(file)'}: ${issue.message}` };
  }
  const unknown = parsed.data.expected.findIndex((e) => !knownChecks.has(e.check));
  if (unknown >= 0) return { kind: 'error', message: `--expectations ${path}: expected.${unknown}.check: no check '${parsed.data.expected[unknown]!.check}'` };
  return { kind: 'ok', file: parsed.data };
}

/** The expectation that covers a result, if any. */
export function expectationFor(file: ExpectationsFile, result: Pick<CheckResult, 'check' | 'config'>): Expectation | undefined {
  return file.expected.find(
    (e) => e.check === result.check && (e.transport === undefined || e.transport === result.config.transport) && (e.ring === undefined || e.ring === result.config.ring),
  );
}
