/**
 * Turns the plan into vitest tests: one test per check and configuration, named with the check ID,
 * its clause IDs and the configuration, so JUnit names are unique and searchable by clause. The
 * check's full result travels to the reporter in the test's meta.
 *
 * @module
 */

import { describe, it } from 'vitest';
import type { Check, CheckArea, RingKind, TransportKind } from '../checks/check.js';
import type { DeviceCheckContext, DriverCheckContext, RunConfig } from '../checks/context.js';
import { deviceContext } from '../checks/device-context.js';
import { driverContext } from '../checks/driver-context.js';
import { DEVICE_CHECKS, DRIVER_CHECKS } from '../checks/registry.js';
import { runCheck, type CheckResult } from '../checks/runner.js';
import { failsGate, isInconclusive } from '../checks/verdict.js';
import { expectationFor, loadExpectations, type ExpectationsFile } from '../report/expectations.js';
import { readPlan } from './plan.js';
import { resolveSubjects } from './subject.js';

import './task-meta.js';

/** The vitest test name of a check in a configuration. */
export function testName(check: { id: string; clauses: readonly string[] }, transport: TransportKind, ring: RingKind): string {
  return `${check.id} [${check.clauses.join(' ')}] ${transport}/${ring}`;
}

function describeFailure(result: CheckResult): string {
  const v = result.verdict;
  switch (v.kind) {
    case 'fail':
    case 'non-strict':
      return `${v.clause}: observed ${v.observed}; expected ${v.expected}`;
    case 'crashed':
      return `crashed: ${v.error}`;
    case 'timed-out':
      return `timed out after ${v.afterMs} ms during ${v.during}`;
    case 'inconclusive':
      return `inconclusive: ${v.reason}`;
    default:
      return v.kind;
  }
}

/** Declares the tests of one area from the plan in the environment. */
export async function defineAreaSuite(area: CheckArea): Promise<void> {
  const plan = readPlan();
  if (!plan.areas.includes(area)) return;
  const resolved = await resolveSubjects(plan.subject);
  if (resolved.kind === 'error') throw new Error(resolved.message);
  const { device, driver } = resolved.subjects;
  const selected = new Set(plan.checks);
  let expectations: ExpectationsFile | undefined;
  if (plan.expectations !== undefined) {
    const loaded = loadExpectations(plan.expectations, new Set([...DEVICE_CHECKS, ...DRIVER_CHECKS].map((c) => c.id)));
    if (loaded.kind === 'error') throw new Error(loaded.message);
    expectations = loaded.file;
  }
  const configs = plan.transports.flatMap((transport) => plan.rings.map((ring) => ({ transport, ring })));

  const declare = <C>(check: Check<C>, subject: string, lease: (config: RunConfig) => Parameters<typeof runCheck<C>>[3]) => {
    describe(check.id, () => {
      for (const { transport, ring } of configs) {
        it(testName(check, transport, ring), async (context) => {
          const config: RunConfig = { transport, ring, seed: plan.seed, numRuns: plan.numRuns, timeoutMs: plan.timeoutMs, ...(plan.path ? { path: plan.path } : {}) };
          const result = await runCheck(check, subject, config, lease(config));
          context.task.meta.conformance = result;
          if (result.verdict.kind === 'not-applicable') context.skip(result.verdict.reason);
          const known = expectations === undefined ? undefined : expectationFor(expectations, result);
          const failed = failsGate(result.verdict, plan.strict);
          if (known !== undefined) {
            if (!failed) throw new Error(`expected to fail (${known.reason}, ${known.link}) but did not: ${result.verdict.kind}`);
            context.annotate(`known failure: ${known.reason} (${known.link}): ${describeFailure(result)}`);
            return;
          }
          if (failed || isInconclusive(result.verdict)) throw new Error(describeFailure(result));
        });
      }
    });
  };

  if (device) {
    for (const check of DEVICE_CHECKS) {
      if (check.area === area && selected.has(check.id)) declare<DeviceCheckContext>(check, device.name, (config) => deviceContext(device, config));
    }
  }
  if (driver) {
    for (const check of DRIVER_CHECKS) {
      if (check.area === area && selected.has(check.id)) declare<DriverCheckContext>(check, driver.name, (config) => driverContext(driver, config));
    }
  }
}
