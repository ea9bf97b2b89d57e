/**
 * Driver-side check on virtio-mmio interrupt handling (virtio 1.4 4.2.2.2, 4.2.3.4): on an
 * interrupt the driver reads InterruptStatus, then acknowledges exactly the events it handled
 * through InterruptACK, never with undefined bits — and a device that shows undefined
 * InterruptStatus bits does not put it off its stride.
 *
 * @module
 */

import {
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_STATUS,
} from '../../../specs/transport/mmio.js';
import { driveLife } from '../../scenarios/transport/driver-life.js';
import { InstrumentWatch, showUndefinedInterruptBits, UNDEFINED_INTERRUPT_BITS } from '../../scenarios/transport/instrument-watch.js';
import type { Evidence } from '../verdict.js';
import type { Check, CheckOutcome } from '../check.js';
import type { DriverCheckContext } from '../context.js';

const DEFINED = VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG;
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/**
 * Judges the order of interrupts, InterruptStatus reads and InterruptACK writes in the log.
 * Returns the first problem, or null.
 */
export function interruptHandlingProblem(watch: InstrumentWatch): Evidence | null {
  const log = watch.log;
  let unread = -1; // index of a rising edge not yet followed by an InterruptStatus read
  let read = 0; // defined bits read as set and not yet acknowledged
  for (let i = 0; i < log.length; i++) {
    const e = log[i];
    if (e === undefined) continue;
    if (e.kind === 'irq') {
      if (e.asserted && unread < 0) unread = i;
      continue;
    }
    if (e.kind !== 'mmio') continue;
    if (e.dir === 'read' && e.offset === VIRTIO_MMIO_INTERRUPT_STATUS) {
      unread = -1;
      read |= e.value & DEFINED;
      continue;
    }
    if (e.dir !== 'write') continue;
    if (e.offset === VIRTIO_MMIO_INTERRUPT_ACK) {
      if ((e.value & ~DEFINED) !== 0) {
        return { clause: 'mmio.reg.driver.20', observed: `InterruptACK written with ${hex(e.value)}`, expected: 'InterruptACK carries only bits 0 and 1' };
      }
      const unhandled = e.value & ~read;
      if (unhandled !== 0) {
        return {
          clause: 'mmio.reg.driver.19',
          observed: `InterruptACK ${hex(e.value)} acknowledges ${hex(unhandled)}, which no InterruptStatus read since the last acknowledgement showed`,
          expected: 'the driver acknowledges the events it read and handled, and only those',
        };
      }
      read &= ~e.value;
      continue;
    }
    if (e.offset === VIRTIO_MMIO_STATUS && e.value === 0) {
      // A reset clears pending events: what the driver still owed is judged, a teardown edge is not.
      if (read !== 0) {
        return { clause: 'mmio.notif.driver.3', observed: `InterruptStatus showed ${hex(read)} and the driver reset the device without acknowledging it`, expected: 'handled events are acknowledged through InterruptACK' };
      }
      unread = -1;
    }
  }
  if (unread >= 0) return { clause: 'mmio.notif.driver.1', observed: 'the interrupt line rose and the driver never read InterruptStatus afterwards', expected: 'on an interrupt the driver reads InterruptStatus' };
  if (read !== 0) return { clause: 'mmio.notif.driver.3', observed: `InterruptStatus showed ${hex(read)} and the driver never acknowledged it`, expected: 'handled events are acknowledged through InterruptACK' };
  return null;
}

/**
 * `mmio.notif.driver.1`: InterruptStatus read on every interrupt; `mmio.reg.driver.19`,
 * `mmio.notif.driver.3`: the handled events acknowledged; `mmio.reg.driver.20`: no undefined bit
 * in InterruptACK; `mmio.reg.driver.18`: undefined InterruptStatus bits ignored.
 */
export const driverMmioInterrupts: Check<DriverCheckContext> = {
  id: 'transport.driver.mmio-interrupts',
  title: 'On each interrupt the driver reads InterruptStatus and acknowledges the events it handled, ignoring undefined bits',
  clauses: ['mmio.notif.driver.1', 'mmio.reg.driver.19', 'mmio.notif.driver.3', 'mmio.reg.driver.20', 'mmio.reg.driver.18'],
  role: 'driver',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['mmio'] },
  decision:
    'An interrupt that rises while the driver is tearing the device down and is followed by a reset before any ' +
    'InterruptStatus read is not judged. An acknowledgement may cover events read in several InterruptStatus reads, ' +
    `but not one never read. The undefined bits shown are ${hex(UNDEFINED_INTERRUPT_BITS)}, only while an event is pending; ` +
    'ignoring them means acknowledging none of them and still receiving frames.',
  async run(context): Promise<CheckOutcome> {
    const plain = await context.rig();
    const plainWatch = new InstrumentWatch(plain.device);
    const plainLife = await driveLife(plain.driver, plain.device);
    const first = interruptHandlingProblem(plainWatch);
    if (first !== null) return { kind: 'violated', ...first };
    if (!plainLife.opened) return { kind: 'inconclusive', reason: 'the driver did not probe and open the instrument' };

    const odd = await context.rig();
    showUndefinedInterruptBits(odd.device);
    const oddWatch = new InstrumentWatch(odd.device);
    const oddLife = await driveLife(odd.driver, odd.device);
    context.trace.record(`lives: plain ${JSON.stringify(plainLife)}, undefined bits ${JSON.stringify(oddLife)}`);
    const second = interruptHandlingProblem(oddWatch);
    if (second !== null) return { kind: 'violated', ...second, observed: `with undefined InterruptStatus bits shown: ${second.observed}` };
    if (!oddLife.opened || oddLife.received < plainLife.received) {
      return {
        kind: 'violated',
        clause: 'mmio.reg.driver.18',
        observed: `with InterruptStatus showing ${hex(UNDEFINED_INTERRUPT_BITS)} besides real events the driver ${oddLife.opened ? `received ${oddLife.received} of the frames it received without them (${plainLife.received})` : 'did not probe and open the device'}`,
        expected: 'undefined InterruptStatus bits are ignored; the driver works as it does without them',
      };
    }
    return { kind: 'met' };
  },
};
