/**
 * Driver-side check of the initialisation sequence, judged from what the instrument saw: status
 * writes, feature writes, queue enables and notifications, split into cycles at each reset.
 *
 * @module
 */

import {
  describeStatus,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
} from '../../../specs/status.js';
import { driveLifecycle } from '../../scenarios/negotiation/driver-script.js';
import { type InitCycle, initCycles } from '../../scenarios/negotiation/instrument.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** Bits a driver sets and never clears except by a reset (`status.driver.2`). */
const STICKY = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED;

type Violation = Extract<CheckOutcome, { kind: 'violated' }>;

const violated = (clause: string, observed: string, expected: string): Violation => ({ kind: 'violated', clause, observed, expected });

/** The first rule of the sequence `cycle` breaks, or null. */
function judgeCycle(cycle: InitCycle, n: number): Violation | null {
  // The driver-visible status: what it wrote, minus FEATURES_OK when the device refused.
  let held = 0;
  let driverOk = false;
  let featuresOk = false;
  let enabledAfterDriverOk: number | null = null;
  const resetQueues = new Set<number>();
  for (const event of cycle.events) {
    switch (event.kind) {
      case 'status-write': {
        const { written, before } = event;
        if (written === 0) break;
        const cleared = before & STICKY & ~written;
        if (cleared !== 0) {
          return violated('status.driver.2', `cycle ${n}: status ${describeStatus(before)} overwritten with ${describeStatus(written)}`, 'a driver never clears a status bit; only a reset returns the status to 0');
        }
        const added = written & ~held;
        if ((added & VIRTIO_CONFIG_S_DRIVER) !== 0 && (written & VIRTIO_CONFIG_S_ACKNOWLEDGE) === 0) {
          return violated('init.driver.1a', `cycle ${n}: DRIVER set with ${describeStatus(written)}, before ACKNOWLEDGE`, 'reset, then ACKNOWLEDGE, then DRIVER');
        }
        if ((added & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && (written & VIRTIO_CONFIG_S_DRIVER) === 0) {
          return violated('init.driver.1', `cycle ${n}: FEATURES_OK set with ${describeStatus(written)}, before DRIVER`, 'features are negotiated after DRIVER is set');
        }
        if ((added & VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (written & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
          return violated('init.driver.1', `cycle ${n}: DRIVER_OK set with ${describeStatus(written)}, without FEATURES_OK`, 'DRIVER_OK comes after FEATURES_OK was set and read back');
        }
        held = event.after;
        featuresOk = (event.after & VIRTIO_CONFIG_S_FEATURES_OK) !== 0;
        driverOk ||= (written & VIRTIO_CONFIG_S_DRIVER_OK) !== 0;
        break;
      }
      case 'feature-write':
        if ((held & VIRTIO_CONFIG_S_DRIVER) === 0) {
          return violated('init.driver.1', `cycle ${n}: driver features written while status was ${describeStatus(held)}`, 'features are read and written after DRIVER is set');
        }
        break;
      case 'queue-enabled':
        if (!featuresOk) return violated('init.driver.1', `cycle ${n}: queue ${event.queue} enabled before FEATURES_OK was kept`, 'virtqueues are set up after FEATURES_OK is set and read back');
        if (driverOk && !resetQueues.has(event.queue)) enabledAfterDriverOk ??= event.queue;
        break;
      case 'queue-reset':
        resetQueues.add(event.queue);
        break;
      case 'notification':
        if (!driverOk) return violated('init.driver.7', `cycle ${n}: notification for queue ${event.queue} before DRIVER_OK`, 'no available-buffer notification before DRIVER_OK');
        break;
      default:
        break;
    }
  }
  if (enabledAfterDriverOk !== null) {
    return violated('init.driver.4b', `cycle ${n}: queue ${enabledAfterDriverOk} enabled after DRIVER_OK without a queue reset`, 'DRIVER_OK is set last, after the virtqueues are set up');
  }
  return null;
}

/**
 * `init.driver.1` (with `init.driver.1a`, `status.driver.1`, `status.driver.2`, `init.driver.4b`,
 * `init.driver.7`): reset first; ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK in
 * that order; no status bit cleared but by a reset; no notification before DRIVER_OK.
 */
export const driverInitSequence: Check<DriverCheckContext> = {
  id: 'negotiation.driver.init-sequence',
  title: 'The driver initialises the device in the spec order and never clears a status bit',
  clauses: ['init.driver.1', 'init.driver.1a', 'status.driver.1', 'status.driver.2', 'init.driver.4b', 'init.driver.7'],
  role: 'driver',
  level: 'MUST',
  area: 'negotiation',
  applies: {},
  decision:
    'Bits set together in one write count as set in spec order (ACKNOWLEDGE|DRIVER in one write passes). A queue enabled ' +
    'after DRIVER_OK is allowed only after a per-queue reset of that queue.',
  async run(context) {
    const { driver, device } = await context.rig();
    await driveLifecycle(driver, device);
    const cycles = initCycles(device.reference.events.events);
    const first = cycles[0];
    if (first === undefined) return { kind: 'inconclusive', reason: 'the driver never wrote device status' };
    if (!first.startedWithReset) {
      const w = first.statusWrites[0];
      return violated('init.driver.1', `the first status write was ${w === undefined ? 'none' : describeStatus(w.written)}, not a reset`, 'initialisation starts with a device reset');
    }
    for (const [i, cycle] of cycles.entries()) {
      const found = judgeCycle(cycle, i + 1);
      if (found !== null) return found;
    }
    return { kind: 'met' };
  },
};
