/**
 * Driver-side checks of what a driver does when the device refuses its subset: FEATURES_OK reads
 * back clear, and the driver must take that as "unusable" (`init.driver.4a`), stop
 * (`init.driver.6`) and say so with FAILED (`init.driver.5`).
 *
 * @module
 */

import { describeStatus, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import { type InitCycle, initCycles, refuseFeaturesOk } from '../../scenarios/negotiation/instrument.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DriverCheckContext, DriverRig } from '../context.js';

/** The cycles in which the driver set FEATURES_OK and the instrument refused it. */
async function refusedCycles(context: DriverCheckContext): Promise<{ readonly kind: 'cycles'; readonly cycles: readonly InitCycle[] } | CheckOutcome> {
  const rig: DriverRig = await context.rig();
  refuseFeaturesOk(rig.device);
  context.trace.record('the instrument refuses every FEATURES_OK');
  const probed = await rig.driver.probe();
  context.trace.record(`probe: ${probed.kind === 'ok' ? 'ok' : probed.kind === 'error' ? `error ${probed.errno}` : 'unsupported'}`);
  const refused = initCycles(rig.device.reference.events.events).filter((c) => c.featuresOkKept === false);
  if (refused.length === 0) return { kind: 'inconclusive', reason: 'the driver never set FEATURES_OK, so there was nothing to refuse' };
  return { kind: 'cycles', cycles: refused };
}

/** Events of `cycle` after the refused FEATURES_OK write. */
function afterRefusal(cycle: InitCycle): InitCycle['events'] {
  const at = cycle.events.findIndex((e) => e.kind === 'status-write' && (e.written & VIRTIO_CONFIG_S_FEATURES_OK) !== 0);
  return cycle.events.slice(at + 1);
}

/**
 * `init.driver.4a`, `init.driver.6`: after FEATURES_OK reads back clear the driver does not go on:
 * no DRIVER_OK, no queue enabled, no notification, until it resets the device.
 */
export const driverHonoursRefusal: Check<DriverCheckContext> = {
  id: 'negotiation.driver.features-ok-refused',
  title: 'A driver whose subset is refused does not go on initialising the device',
  clauses: ['init.driver.4a', 'init.driver.6'],
  role: 'driver',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision: 'A new attempt after a reset is allowed (each cycle between resets is judged on its own).',
  async run(context) {
    const refused = await refusedCycles(context);
    if (refused.kind !== 'cycles') return refused;
    for (const cycle of refused.cycles) {
      for (const event of afterRefusal(cycle)) {
        if (event.kind === 'status-write' && (event.written & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) {
          return {
            kind: 'violated',
            clause: 'init.driver.4a',
            observed: `FEATURES_OK read back clear, then the driver wrote status ${describeStatus(event.written)}`,
            expected: 'a refused FEATURES_OK makes the device unusable: no DRIVER_OK without a new negotiation after a reset',
          };
        }
        if (event.kind === 'queue-enabled' || event.kind === 'notification') {
          return {
            kind: 'violated',
            clause: 'init.driver.6',
            observed: `FEATURES_OK read back clear, then the driver ${event.kind === 'queue-enabled' ? 'enabled' : 'notified'} queue ${event.queue}`,
            expected: 'after an initialisation error the driver stops the sequence',
          };
        }
      }
    }
    return { kind: 'met' };
  },
};

/** `init.driver.5`: the driver sets FAILED after its subset was refused. */
export const driverSetsFailed: Check<DriverCheckContext> = {
  id: 'negotiation.driver.sets-failed',
  title: 'A driver whose subset is refused sets FAILED',
  clauses: ['init.driver.5'],
  role: 'driver',
  level: 'SHOULD',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const refused = await refusedCycles(context);
    if (refused.kind !== 'cycles') return refused;
    const silent = refused.cycles.find((c) => !c.failed);
    if (silent === undefined) return { kind: 'met' };
    const last = silent.statusWrites.at(-1);
    return {
      kind: 'violated',
      clause: 'init.driver.5',
      observed: `FEATURES_OK read back clear and the driver left the device at ${last === undefined ? 'no status' : describeStatus(last.after)} without FAILED`,
      expected: 'on an unrecoverable initialisation error the driver sets FAILED (128)',
    };
  },
};
