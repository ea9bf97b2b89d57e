/**
 * Driver-side check that unknown offered feature bits alone never make a driver fail
 * (`features.driver.7`): the reference device offers its usual set plus bits no spec revision
 * defines, and the driver must probe, open and carry traffic as it does without them.
 *
 * @module
 */

import { FEATURES, featureMask } from '../../../specs/features/feature-set.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import type { DriverUnderTest } from '../../adapters/contract.js';
import { broadcastFrame } from '../../scenarios/negotiation/frames.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** Bits the harness adds to the offer: 45 (reserved in every revision) and 95 (top of feature word 2), unless a spec revision defines them. */
export const UNKNOWN_FEATURE_BITS: readonly number[] = [45, 95].filter((bit) => !FEATURES.some((f) => f.bit === bit));

/** How far the driver got: 'traffic' when it sent and received a frame, else the step that failed. */
type LifecycleResult = { readonly kind: 'traffic' } | { readonly kind: 'stuck'; readonly step: string };

async function probeAndCarry(driver: DriverUnderTest, device: ReferenceDeviceUnderTest): Promise<LifecycleResult> {
  const probed = await driver.probe();
  if (probed.kind !== 'ok') return { kind: 'stuck', step: `probe: ${probed.kind === 'error' ? `error ${probed.errno} (${probed.message})` : probed.reason}` };
  const opened = await driver.open();
  if (opened.kind !== 'ok') return { kind: 'stuck', step: `open: ${opened.kind === 'error' ? `error ${opened.errno} (${opened.message})` : opened.reason}` };
  const out = broadcastFrame(100, 9);
  const sent = await driver.transmit({ frame: out });
  if (sent.kind !== 'ok') return { kind: 'stuck', step: `transmit: ${sent.kind}` };
  const wire = await device.wire.drain();
  if (wire.length === 0) return { kind: 'stuck', step: 'transmit: no frame reached the wire' };
  await device.wire.inject(broadcastFrame(90, 10));
  let received = 0;
  for (let i = 0; i < 4 && received === 0; i++) received += (await driver.poll()).length;
  if (received === 0) return { kind: 'stuck', step: 'receive: the injected frame never came up' };
  return { kind: 'traffic' };
}

/** `features.driver.7`: a device offering unknown bits is driven like one that does not. */
export const driverToleratesUnknownBits: Check<DriverCheckContext> = {
  id: 'negotiation.driver.tolerates-unknown-bits',
  title: 'Unknown offered feature bits alone do not make the driver fail',
  clauses: ['features.driver.7'],
  role: 'driver',
  level: 'MUST NOT',
  area: 'negotiation',
  applies: {},
  decision:
    'The driver is first run against the unchanged reference device; only a driver that works there and fails once ' +
    'unknown bits are added is judged to have failed because of them (a driver that fails both ways is inconclusive here). ' +
    'Whether the driver accepts the unknown bits is features.driver.1, not judged here.',
  async run(context) {
    const control = await context.rig();
    const plain = await probeAndCarry(control.driver, control.device);
    await control.driver.remove();
    if (plain.kind !== 'traffic') return { kind: 'inconclusive', reason: `the driver does not work on the unchanged device (${plain.step})` };
    const rig = await context.rig();
    const net = rig.device.reference.net;
    const offered = net.offeredFeatures | featureMask(...UNKNOWN_FEATURE_BITS);
    Object.defineProperty(net, 'offeredFeatures', { value: offered, configurable: true });
    context.trace.record(`the device offers 0x${offered.toString(16)} (unknown bits ${UNKNOWN_FEATURE_BITS.join(', ')} added)`);
    const result = await probeAndCarry(rig.driver, rig.device);
    context.trace.record(result.kind === 'traffic' ? 'probe, open and traffic succeeded' : `stuck at ${result.step}`);
    if (result.kind === 'traffic') return { kind: 'met' };
    return {
      kind: 'violated',
      clause: 'features.driver.7',
      observed: `with unknown feature bits ${UNKNOWN_FEATURE_BITS.join(', ')} offered the driver failed at ${result.step}; without them it probed and carried traffic`,
      expected: 'an unknown offered feature bit is ignored, never a reason to fail',
    };
  },
};
