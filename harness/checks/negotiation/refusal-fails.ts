/**
 * Driver-side check of `features.driver.6`: a driver whose subset the device will not take sets
 * FAILED and stops initialising (the MUST reading of the rule `init.driver.5` states as SHOULD).
 *
 * @module
 */

import { describeStatus, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import { initCycles, refuseFeaturesOk } from '../../scenarios/negotiation/instrument.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** `features.driver.6`: after a refused FEATURES_OK the cycle ends with FAILED and no further init step. */
export const driverFailsOnRefusal: Check<DriverCheckContext> = {
  id: 'negotiation.driver.fails-on-refusal',
  title: 'A driver that cannot get its subset accepted sets FAILED and stops initialising',
  clauses: ['features.driver.6'],
  role: 'driver',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision:
    'The driver is told "cannot" by FEATURES_OK reading back clear for every subset. Within that cycle (until the next ' +
    'reset) FAILED must be written and no DRIVER_OK, queue enable or notification may follow the refusal; a later ' +
    'attempt after a reset is not judged here. Retrying a smaller subset after a reset is allowed by the spec.',
  async run(context) {
    const rig = await context.rig();
    refuseFeaturesOk(rig.device);
    const probed = await rig.driver.probe();
    context.trace.record(`the instrument refuses every FEATURES_OK; probe: ${probed.kind}`);
    const refused = initCycles(rig.device.reference.events.events).filter((c) => c.featuresOkKept === false);
    if (refused.length === 0) return { kind: 'inconclusive', reason: 'the driver never set FEATURES_OK, so there was nothing to refuse' };
    for (const cycle of refused) {
      const at = cycle.events.findIndex((e) => e.kind === 'status-write' && (e.written & VIRTIO_CONFIG_S_FEATURES_OK) !== 0);
      let what: string | null = null;
      for (const e of cycle.events.slice(at + 1)) {
        if (e.kind === 'status-write' && (e.written & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) what = `wrote status ${describeStatus(e.written)}`;
        else if (e.kind === 'queue-enabled') what = `enabled queue ${e.queue}`;
        else if (e.kind === 'notification') what = `notified queue ${e.queue}`;
        if (what !== null) break;
      }
      if (what !== null) {
        return { kind: 'violated', clause: 'features.driver.6', observed: `FEATURES_OK read back clear, then the driver ${what}`, expected: 'after the device refuses the subset the driver stops initialising' };
      }
      if (!cycle.failed) {
        const last = cycle.statusWrites.at(-1);
        return {
          kind: 'violated',
          clause: 'features.driver.6',
          observed: `FEATURES_OK read back clear and the driver left the device at ${last === undefined ? 'no status' : describeStatus(last.after)} without FAILED`,
          expected: 'a driver that cannot get a subset accepted sets FAILED',
        };
      }
    }
    return { kind: 'met' };
  },
};
