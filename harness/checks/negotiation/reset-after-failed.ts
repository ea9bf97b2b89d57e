/**
 * Driver-side check that a driver resets a device it marked FAILED before trying again
 * (`status.driver.3`): the instrument refuses every FEATURES_OK, the driver gives up with FAILED,
 * and the harness asks it to probe once more.
 *
 * @module
 */

import { describeStatus, VIRTIO_CONFIG_S_FAILED } from '../../../specs/status.js';
import { refuseFeaturesOk } from '../../scenarios/negotiation/instrument.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** `status.driver.3`: after FAILED the driver's next status write is a reset (0). */
export const driverResetsAfterFailed: Check<DriverCheckContext> = {
  id: 'negotiation.driver.resets-after-failed',
  title: 'After setting FAILED the driver resets the device before a new initialisation attempt',
  clauses: ['status.driver.3'],
  role: 'driver',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision:
    'The new attempt is a second probe through the contract after the first one failed. The first status write after ' +
    'FAILED must be 0; a driver that never sets FAILED, or makes no status write in the second probe, leaves the rule ' +
    'unexercised (inconclusive).',
  async run(context) {
    const rig = await context.rig();
    refuseFeaturesOk(rig.device);
    context.trace.record('the instrument refuses every FEATURES_OK; probe twice');
    const first = await rig.driver.probe();
    const second = await rig.driver.probe();
    context.trace.record(`probes: ${first.kind}, ${second.kind}`);
    const writes = rig.device.reference.events.events.flatMap((e) => (e.kind === 'status-write' ? [e] : []));
    const failedAt = writes.findIndex((w) => (w.written & VIRTIO_CONFIG_S_FAILED) !== 0);
    if (failedAt < 0) return { kind: 'inconclusive', reason: 'the driver never set FAILED after the refused FEATURES_OK' };
    const next = writes[failedAt + 1];
    if (next === undefined) return { kind: 'inconclusive', reason: 'the driver made no status write after FAILED, so it never tried again' };
    context.trace.record(`after FAILED the driver wrote status ${describeStatus(next.written)}`);
    if (next.written === 0) return { kind: 'met' };
    return {
      kind: 'violated',
      clause: 'status.driver.3',
      observed: `after writing FAILED (${describeStatus(writes[failedAt]?.written ?? 0)}) the driver's next status write was ${describeStatus(next.written)}, with the device at ${describeStatus(next.before)}`,
      expected: 'the first status write after FAILED is 0 (a device reset) before any new initialisation',
    };
  },
};
