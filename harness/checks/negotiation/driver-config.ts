/**
 * Driver-side checks on the device-specific config space: a modern driver never writes it
 * (`net.cfg.driver.1`, and nothing before FEATURES_OK, `init.driver.3`), and reads only fields
 * whose feature is offered (`config.driver.3`).
 *
 * @module
 */

import { driveLifecycle } from '../../scenarios/negotiation/driver-script.js';
import { conformantOffer } from '../../scenarios/negotiation/feature-subsets.js';
import { checkProperty, violation } from '../../scenarios/negotiation/property.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/**
 * `net.cfg.driver.1`, `init.driver.3`: through probe, traffic, a MAC change, a receive-mode change
 * and removal, the driver writes nothing into the net config space.
 */
export const driverConfigReadOnly: Check<DriverCheckContext> = {
  id: 'negotiation.driver.config-read-only',
  title: 'The driver never writes the device-specific config space',
  clauses: ['net.cfg.driver.1', 'init.driver.3'],
  role: 'driver',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  async run(context) {
    const { driver, device } = await context.rig();
    if (!(await driveLifecycle(driver, device))) return { kind: 'inconclusive', reason: 'the driver did not probe the instrument' };
    const early = device.reference.events.ofKind('driver-violation').find((v) => v.clause === 'init.driver.3');
    if (early !== undefined) {
      return { kind: 'violated', clause: 'init.driver.3', observed: early.message, expected: 'no device-specific config write before FEATURES_OK' };
    }
    const writes = device.reference.netEvents.ofKind('config-write-ignored');
    const first = writes[0];
    if (first === undefined) return { kind: 'met' };
    return {
      kind: 'violated',
      clause: 'net.cfg.driver.1',
      observed: `${writes.length} config write(s), the first of ${first.width} byte(s) at offset ${first.offset} = 0x${first.value.toString(16)}`,
      expected: 'virtio_net_config is read-only for a non-legacy driver',
    };
  },
};

/**
 * `config.driver.3`: for any conformant offer, the driver reads no config field whose feature the
 * device did not offer (as counted by the instrument's config space).
 */
export const driverConditionalConfigReads: Check<DriverCheckContext> = {
  id: 'negotiation.driver.conditional-config-reads',
  title: 'The driver reads only config fields whose feature is offered',
  clauses: ['config.driver.3'],
  role: 'driver',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  async run(context) {
    return checkProperty(
      context.config,
      conformantOffer(),
      async (features) => {
        const { driver, device } = await context.rig({ features, queueSize: 64 });
        await driveLifecycle(driver, device, { addressing: false });
        const reads = device.reference.counters.configReadsUndefined;
        if (reads > 0) {
          violation('config.driver.3', `${reads} read(s) of config fields whose feature was not offered (offer: ${features.join(', ')})`, 'a driver reads a feature-conditional config field only when the feature is offered');
        }
      },
      { scale: 10, minRuns: 10 },
    );
  },
};
