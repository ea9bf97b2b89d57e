/**
 * The adversarial device-side ring check: a scripted driver publishes a
 * malformed descriptor chain on the transmitq (a loop, a `next` out of
 * range, INDIRECT with NEXT, a zero-length buffer, an index jump, …), then
 * a well-formed frame, and the device must come out of it in one of the
 * ways the spec allows. A device that throws or hangs is reported by the
 * runner (crashed, timed-out).
 *
 * @module
 */

import fc from 'fast-check';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import {
  type DeviceSession,
  MALFORMED_CASES,
  malformedCasesFor,
  NET_HDR_LEN,
  publishWellFormed,
  type ScriptedRing,
  ScriptedPackedRing,
  ScriptedSplitRing,
  TX_QUEUE,
  sameBytes,
  testFrame,
} from '../../scenarios/ring-live/index.js';
import type { Check, RingKind } from '../check.js';
import type { DeviceCheckContext } from '../context.js';
import { openRun, type DeviceRingKnobs } from './device-traffic.js';
import { checkLive, ClauseViolationError, type LiveConfiguration } from './live-property.js';

const WITH_INDIRECT: LiveConfiguration<DeviceRingKnobs> = {
  label: 'VIRTIO_F_INDIRECT_DESC',
  knobs: { eventIdx: false, indirect: true, inOrder: false, mergeable: false },
};
const WITHOUT_INDIRECT: LiveConfiguration<DeviceRingKnobs> = {
  label: 'no VIRTIO_F_INDIRECT_DESC',
  knobs: { eventIdx: false, indirect: false, inOrder: false, mergeable: false },
};

/** Ring size the scripted driver programs: room for the prefix, the malformed chain and the probe frame. */
const QUEUE_SIZE = 16;
/** Largest number of well-formed frames published before the malformed chain. */
const MAX_PREFIX = 6;

interface MalformedRun {
  /** Well-formed frames published (and kicked) first, to move the ring positions. */
  readonly prefix: number;
  /** Index into the cases that apply to the session. */
  readonly pick: number;
}

function scripted(session: DeviceSession): ScriptedRing {
  const mem = session.device.memory.view;
  return session.format === 'split' ? new ScriptedSplitRing(mem, session.tx.layout) : new ScriptedPackedRing(mem, session.tx.layout);
}

async function writeFrame(session: DeviceSession, slot: number, seed: number): Promise<{ addr: number; frame: Uint8Array }> {
  const addr = session.slotAddr(TX_QUEUE, slot);
  const frame = testFrame(60, seed);
  const mem = session.device.memory;
  mem.view.fill(addr, NET_HDR_LEN, 0);
  mem.view.writeBytes(addr + NET_HDR_LEN, frame);
  await mem.push(addr, NET_HDR_LEN + frame.length);
  return { addr, frame };
}

async function runMalformed(context: DeviceCheckContext, session: DeviceSession, run: MalformedRun): Promise<void> {
  const ring = scripted(session);
  const cases = malformedCasesFor(session.format, session.indirect);
  const chosen = cases[run.pick % cases.length];
  if (chosen === undefined) return;
  const mem = session.device.memory;
  for (let k = 0; k < run.prefix; k++) {
    const { addr, frame } = await writeFrame(session, k, k);
    publishWellFormed(ring, addr, NET_HDR_LEN + frame.length);
    await session.notify(TX_QUEUE);
  }
  await session.device.wire.drain();
  const bad = await writeFrame(session, MAX_PREFIX, 0xb0);
  const tables = mem.allocator.alloc(128, 16);
  context.trace.record(`publish malformed chain '${chosen.name}' (breaks ${chosen.breaks})`);
  chosen.publish(ring, { buffer: bad.addr, headerLength: NET_HDR_LEN, frameLength: bad.frame.length, tables, memorySize: mem.view.size });
  await mem.push(session.tx.layout.descAddr, 16 * session.tx.size);
  await mem.push(tables, 128);
  await session.notify(TX_QUEUE);
  const probe = await writeFrame(session, MAX_PREFIX + 1, 0xc5);
  context.trace.record('publish a well-formed frame after it');
  publishWellFormed(ring, probe.addr, NET_HDR_LEN + probe.frame.length);
  await session.notify(TX_QUEUE);
  const status = await session.status();
  if ((status & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) {
    context.trace.record(`device status 0x${status.toString(16)}: DEVICE_NEEDS_RESET`);
    return;
  }
  const sent = await session.device.wire.drain();
  if (sent.some((f) => sameBytes(f.bytes, probe.frame))) {
    context.trace.record(`device kept serving the queue (${sent.length} frame(s) on the wire)`);
    return;
  }
  throw new ClauseViolationError(
    'status.device.2',
    `after the malformed chain '${chosen.name}' (${chosen.breaks}) device status is 0x${status.toString(16)} without DEVICE_NEEDS_RESET, and the well-formed frame published after it was not transmitted (${sent.length} frame(s) on the wire)`,
    'DEVICE_NEEDS_RESET set, or the malformed chain dropped and the queue still served',
  );
}

/** Every case once, each where it applies: the shared cases with INDIRECT_DESC, only the rest without it. */
function examplesFor(ring: RingKind, indirect: boolean): [MalformedRun[]][] {
  const cases = malformedCasesFor(ring, indirect);
  return [[cases.flatMap((c, pick): MalformedRun[] => (indirect || c.indirect === false ? [{ prefix: pick % 3, pick }] : []))]];
}

/**
 * Runs the cases one after the other on one device, resetting it between
 * them (the recovery the spec gives a driver, `status.device.2`), so a run
 * costs one device, not one per case.
 */
async function runAll(context: DeviceCheckContext, session: DeviceSession, runs: readonly MalformedRun[]): Promise<void> {
  for (const [k, run] of runs.entries()) {
    if (k > 0) {
      const refused = await session.reopen();
      if (refused !== null) throw new Error(`the device did not come up again after a reset: ${refused.reason}`);
    }
    await runMalformed(context, session, run);
  }
}

/**
 * After a malformed chain the device either sets DEVICE_NEEDS_RESET or goes
 * on serving the queue; a device that silently stops serving it leaves the
 * driver waiting forever (bug R4: a device gone broken on a zero-sized
 * buffer that never answered).
 */
export const malformedChainCheck: Check<DeviceCheckContext> = {
  id: 'ring.device.malformed-chain-recovery',
  title: 'After a malformed descriptor chain the device sets DEVICE_NEEDS_RESET or keeps serving the queue',
  clauses: ['status.device.2'],
  role: 'device',
  level: 'SHOULD',
  area: 'ring',
  applies: {},
  decision:
    'The spec says what a driver must not publish, not what a device does with it; status.device.2 asks for ' +
    'DEVICE_NEEDS_RESET when only a reset can recover. Both outcomes pass: DEVICE_NEEDS_RESET set, or the malformed ' +
    'chain dropped (returned or not) with the queue still transmitting the well-formed frame published after it. ' +
    'A device that does neither wedged the queue without telling the driver. Zero-length buffers are not forbidden ' +
    'by the spec; they are included because real devices refuse them (D4), and either outcome passes for them too.',
  run(context) {
    return checkLive(
      context,
      [WITH_INDIRECT, WITHOUT_INDIRECT],
      (knobs, state) =>
        fc.asyncProperty(
          fc.array(fc.record({ prefix: fc.integer({ min: 0, max: MAX_PREFIX }), pick: fc.nat({ max: MALFORMED_CASES.length - 1 }) }), { minLength: 1, maxLength: 4 }),
          async (runs: MalformedRun[]) => {
            const session = await openRun(context, knobs, state, { queueSize: QUEUE_SIZE });
            if (session !== null) await runAll(context, session, runs);
          },
        ),
      (knobs) => examplesFor(context.config.ring, knobs.indirect),
    );
  },
};
