/**
 * A run plan: everything a conformance run decided before vitest starts — which checks, which
 * configurations, which implementations, which seed — written to a file the suites read, so the
 * vitest workers and the CLI agree on one plan.
 *
 * @module
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { CHECK_AREAS } from '../checks/check.js';

/** Where the implementation under test comes from. */
export const subjectSchema = z.strictObject({
  /** `reference`: the built-in reference device and front end; `qemu`: QEMU's virtio-net over qtest. */
  target: z.enum(['reference', 'qemu']),
  /** A user's device adapter module (absolute path), judged by the device-side checks. */
  device: z.string().optional(),
  /** A user's driver adapter module (absolute path), judged by the driver-side checks. */
  driver: z.string().optional(),
});

/** The run plan. */
export const runPlanSchema = z.strictObject({
  subject: subjectSchema,
  /** Check IDs, in run order. */
  checks: z.array(z.string()),
  areas: z.array(z.enum(CHECK_AREAS)),
  transports: z.array(z.enum(['pci', 'mmio'])).min(1),
  rings: z.array(z.enum(['split', 'packed'])).min(1),
  /** Feature names the device is asked to offer (empty: the adapter's default offer). */
  features: z.array(z.string()),
  seed: z.number().int(),
  numRuns: z.number().int().positive(),
  path: z.string().optional(),
  timeoutMs: z.number().int().positive(),
  strict: z.boolean(),
  /** The expectations file (absolute path), when known failures were given. */
  expectations: z.string().optional(),
});

/** A run plan. */
export type RunPlan = z.infer<typeof runPlanSchema>;

/** The environment variable that carries the plan file's path to the vitest workers. */
export const PLAN_ENV = 'VIRTIO_NET_CONFORMANCE_PLAN';

/** Writes a plan file. */
export function writePlan(path: string, plan: RunPlan): void {
  writeFileSync(path, JSON.stringify(plan));
}

/** Reads the plan the CLI wrote; throws with a precise message when there is none. */
export function readPlan(path: string | undefined = process.env[PLAN_ENV]): RunPlan {
  if (path === undefined) throw new Error(`${PLAN_ENV} is not set: conformance suites run only under 'virtio-net-conformance run'`);
  return runPlanSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}
