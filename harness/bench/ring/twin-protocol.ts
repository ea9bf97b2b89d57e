/**
 * What a benchmark child process (the TypeScript child or the C twin)
 * prints: exactly one JSON line on stdout, with the time per buffer of
 * each timed rep and the checksums of the work done.
 *
 * Both children take the same arguments: `descriptors batch buffers reps`.
 *
 * @module
 */

import { z } from 'zod';

const checksums = z.object({
  driver: z.number().int().min(0).max(0xffffffff),
  device: z.number().int().min(0).max(0xffffffff),
  kicks: z.number().int().min(0),
  irqs: z.number().int().min(0),
});

/** Schema of a child's result line. */
export const TwinResultSchema = z.object({
  lang: z.enum(['c', 'ts']),
  descriptors: z.union([z.literal(1), z.literal(2)]),
  batch: z.number().int().min(1),
  buffers: z.number().int().min(1),
  /** Wall-clock ns per buffer of each timed rep, in run order. */
  ns: z.array(z.number().positive()).min(1),
  /** Process CPU time (user + system) per buffer of each timed rep: excludes time spent waiting for a CPU. */
  cpuNs: z.array(z.number().nonnegative()).min(1),
  /** Checksums of the timed reps (every rep starts from a reset ring, so all reps agree). */
  checksums,
});

/** A child's result line, parsed. */
export type TwinResult = z.infer<typeof TwinResultSchema>;

/** Outcome of {@link parseTwinOutput}. */
export type TwinParse = { readonly kind: 'ok'; readonly result: TwinResult } | { readonly kind: 'bad-output'; readonly message: string };

/** Parses the last non-empty stdout line of a child as a {@link TwinResult}. */
export function parseTwinOutput(stdout: string): TwinParse {
  const line = stdout.trim().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'bad-output', message: `not a JSON line: ${JSON.stringify(line.slice(0, 200))}` };
  }
  const parsed = TwinResultSchema.safeParse(json);
  if (!parsed.success) return { kind: 'bad-output', message: z.prettifyError(parsed.error).replace(/\n/g, '; ') };
  return { kind: 'ok', result: parsed.data };
}

/** Arguments both children take, in order. */
export function twinArgs(descriptors: number, batch: number, buffers: number, reps: number): string[] {
  return [String(descriptors), String(batch), String(buffers), String(reps)];
}
