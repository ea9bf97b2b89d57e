/**
 * The device accepts every indirect layout the spec allows, not only the
 * one Linux builds: a scripted driver publishes transmit chains made of
 * direct descriptors ending in an indirect one, with WRITE on the
 * descriptor pointing to a table, and with reserved flags and ids in packed
 * table entries; the device must transmit exactly the frame each holds.
 *
 * @module
 */

import fc from 'fast-check';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import {
  type DeviceSession,
  NET_HDR_LEN,
  ScriptedPackedRing,
  sameBytes,
  ScriptedSplitRing,
  TX_QUEUE,
  testFrame,
  UNUSUAL_CHAINS,
  unusualChainsFor,
} from '../../scenarios/ring-live/index.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';
import { type DeviceRingKnobs, openRun } from './device-traffic.js';
import { checkLive, ClauseViolationError, type LiveConfiguration } from './live-property.js';

const WITH_INDIRECT: LiveConfiguration<DeviceRingKnobs> = {
  label: 'VIRTIO_F_INDIRECT_DESC',
  knobs: { eventIdx: false, indirect: true, inOrder: false, mergeable: false },
};

interface UnusualRun {
  /** Index into the layouts of the ring format. */
  readonly pick: number;
  readonly frameLength: number;
  /** Where the frame is cut in two segments, as a fraction. */
  readonly cut: number;
  /** Frames sent through the layout in a row (the ring goes round). */
  readonly repeat: number;
}

async function runUnusual(context: DeviceCheckContext, session: DeviceSession, run: UnusualRun): Promise<void> {
  const layouts = unusualChainsFor(session.format);
  const layout = layouts[run.pick % layouts.length];
  if (layout === undefined) return;
  const mem = session.device.memory;
  const ring = session.format === 'split' ? new ScriptedSplitRing(mem.view, session.tx.layout) : new ScriptedPackedRing(mem.view, session.tx.layout);
  const table = mem.allocator.alloc(64, 16);
  for (let k = 0; k < run.repeat; k++) {
    const buffer = session.slotAddr(TX_QUEUE, k % session.tx.size);
    const frame = testFrame(run.frameLength, 0x40 + k);
    mem.view.fill(buffer, NET_HDR_LEN, 0);
    mem.view.writeBytes(buffer + NET_HDR_LEN, frame);
    const cut = Math.min(frame.length - 1, Math.max(1, Math.round(frame.length * run.cut)));
    context.trace.record(`publish '${layout.name}' with a ${frame.length}-byte frame cut at ${cut}`);
    layout.publish(ring, { buffer, headerLength: NET_HDR_LEN, frameLength: frame.length, cut, table });
    await mem.push(buffer, NET_HDR_LEN + frame.length);
    await mem.push(table, 64);
    await mem.push(session.tx.layout.descAddr, 16 * session.tx.size);
    await session.notify(TX_QUEUE);
    const sent = await session.device.wire.drain();
    if (sent.length === 1 && sameBytes((sent[0] as { bytes: Uint8Array }).bytes, frame)) continue;
    const status = await session.status();
    const what =
      sent.length === 0
        ? `nothing was transmitted${(status & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0 ? ' and DEVICE_NEEDS_RESET was set' : ''}`
        : `${sent.length} frame(s) of ${sent.map((f) => f.bytes.length).join(', ')} bytes were transmitted, not the chain's frame`;
    throw new ClauseViolationError(layout.clause, `chain '${layout.name}' holding a ${frame.length}-byte frame: ${what}`, `${layout.requires}: exactly that frame on the wire`);
  }
}

/** The device handles the indirect layouts the spec allows and Linux never builds. */
export const indirectLayoutsCheck: Check<DeviceCheckContext> = {
  id: 'ring.device.indirect-layouts',
  title: 'The device accepts direct descriptors ending in an indirect one and ignores reserved bits of indirect descriptors',
  clauses: ['split.indirect.device.2', 'split.indirect.device.1', 'packed.indirect.any.1'],
  role: 'device',
  level: 'MUST',
  area: 'ring',
  applies: { requires: ['VIRTIO_F_INDIRECT_DESC'] },
  decision:
    'The chains are judged by the frame the device transmits: every layout holds a virtio-net header and one ' +
    'frame, so a device that reads the chain as the spec defines it sends exactly that frame once. The reserved ' +
    'packed table flags are NEXT and INDIRECT (a driver MUST NOT set them, packed.indirect.driver.2; the device ' +
    'MUST ignore them, packed.indirect.any.1).',
  run(context) {
    return checkLive(
      context,
      [WITH_INDIRECT],
      (knobs, state) =>
        fc.asyncProperty(
          fc.record({
            pick: fc.nat({ max: UNUSUAL_CHAINS.length - 1 }),
            frameLength: fc.integer({ min: 60, max: 1514 }),
            cut: fc.double({ min: 0, max: 1, noNaN: true }),
            repeat: fc.integer({ min: 1, max: 12 }),
          }),
          async (run: UnusualRun) => {
            const session = await openRun(context, knobs, state, { need: (s) => (s.indirect ? null : 'the device does not offer VIRTIO_F_INDIRECT_DESC') });
            if (session !== null) await runUnusual(context, session, run);
          },
        ),
      () => unusualChainsFor(context.config.ring).map((_, pick): [UnusualRun] => [{ pick, frameLength: 100 + 300 * pick, cut: 0.5, repeat: 10 }]),
    );
  },
};
