/**
 * Device-side checks on the per-queue reset register (VIRTIO_F_RING_RESET; virtio 1.4 2.6.1,
 * 4.1.4.3.2, 4.2.2.1): queue_reset / QueueReset reads 0 on a live queue, a write of 1 resets the
 * selected queue — the register reads 1 until it is done, then 0 together with queue_enable /
 * QueueReady — the device uses nothing of the old ring afterwards, and the queue comes back from
 * index 0 with whatever size the driver programs when re-enabled.
 *
 * @module
 */

import fc from 'fast-check';
import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_RING_RESET } from '../../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import { broadcastFrame } from '../../scenarios/transport/frames.js';
import { HandSession } from '../../scenarios/transport/hand-session.js';
import { checkProperty, undecided, violation } from '../../scenarios/transport/property.js';
import type { Check, TransportKind } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** Reads of the reset register after the write of 1 before the reset counts as never completed. */
export const QUEUE_RESET_POLL_LIMIT = 64;

interface QueueResetClauses {
  /** Writing 1 resets the selected queue. */
  readonly resets: string;
  /** Reads 0 once the queue is enabled. */
  readonly zeroWhenEnabled: string;
  /** Reads 1 while the reset is in progress. */
  readonly oneWhileResetting: string;
  /** Both registers read 0 when done. */
  readonly bothZero: string;
  readonly reset: string;
  readonly enable: string;
}

const CLAUSES: Readonly<Record<TransportKind, QueueResetClauses>> = {
  pci: {
    resets: 'pci.common.device.11',
    zeroWhenEnabled: 'pci.common.device.10',
    oneWhileResetting: 'pci.common.device.12',
    bothZero: 'pci.common.device.13',
    reset: 'queue_reset',
    enable: 'queue_enable',
  },
  mmio: {
    resets: 'mmio.reg.device.10',
    zeroWhenEnabled: 'mmio.reg.device.9',
    oneWhileResetting: 'mmio.reg.device.11',
    bothZero: 'mmio.reg.device.12',
    reset: 'QueueReset',
    enable: 'QueueReady',
  },
};

/** One run: how many frames go through before the reset, and the ring size the queue comes back with. */
interface QueueResetCase {
  readonly framesBefore: number;
  /** Exponent of the new ring size (capped by the device maximum). */
  readonly newSizeLog2: number;
}

const cases: fc.Arbitrary<QueueResetCase> = fc.record({ framesBefore: fc.integer({ min: 1, max: 3 }), newSizeLog2: fc.integer({ min: 2, max: 6 }) });

async function queueResetRun(context: DeviceCheckContext, session: HandSession, transport: TransportKind, c: QueueResetCase): Promise<void> {
  const k = CLAUSES[transport];
  const w = session.window;
  const features = await session.bringUp(featureMask(VIRTIO_F_RING_RESET), featureMask(VIRTIO_F_RING_RESET));
  if (typeof features === 'string') undecided(features);
  const rx = await session.setupQueue(0);
  if (typeof rx === 'string') undecided(rx);
  const tx = await session.setupQueue(1);
  if (typeof tx === 'string') undecided(tx);
  if (((await session.driverOk()) & VIRTIO_CONFIG_S_NEEDS_RESET) !== 0) undecided('DEVICE_NEEDS_RESET at DRIVER_OK');
  session.postReceive(rx, c.framesBefore + 4);
  await session.kick(rx);
  for (let i = 0; i < c.framesBefore; i++) await session.device.wire.inject(broadcastFrame(64 + i, i));
  if ((await session.drain(rx)).used === 0) undecided('the device delivered no frame before the queue reset');

  await w.selectQueue(0);
  const live = await w.readQueueReset();
  if (live !== 0) violation(k.zeroWhenEnabled, `${k.reset} reads ${live} on the enabled, live queue 0`, `${k.reset} reads 0 once the queue is enabled`);
  await w.writeQueueReset(1);
  const reads: number[] = [];
  for (let i = 0; i < QUEUE_RESET_POLL_LIMIT; i++) {
    const v = await w.readQueueReset();
    reads.push(v);
    if (v !== 0 && v !== 1) violation(k.oneWhileResetting, `${k.reset} read ${v} during the reset of queue 0 (reads: ${reads.join(', ')})`, `${k.reset} reads 1 while the reset is in progress, then 0`);
    if (v === 0) break;
  }
  context.trace.record(`queue 0 reset: ${k.reset} read ${reads.join(', ')}`);
  if (reads.at(-1) !== 0) violation(k.resets, `${k.reset} still reads 1 after ${QUEUE_RESET_POLL_LIMIT} reads`, 'writing 1 resets the selected queue; the reset completes');
  const enabled = await w.readQueueEnable();
  if (enabled !== 0) violation(k.bothZero, `${k.reset} reads 0 but ${k.enable} still reads ${enabled}`, `when the queue reset is complete both ${k.reset} and ${k.enable} read 0`);
  const again = await w.readQueueReset();
  if (again !== 0) violation(k.oneWhileResetting, `${k.reset} read 0, then ${again} again with no new write`, `${k.reset} stays 0 once the reset is complete`);

  // Frames now must not land in the old ring: its buffers were posted before the reset.
  for (let i = 0; i < 2; i++) await session.device.wire.inject(broadcastFrame(72 + i, 10 + i));
  const stale = await session.drain(rx);
  if (stale.used > 0 || stale.error !== null) {
    violation('vqreset.device.1', `after the queue reset of queue 0 read back 0 the device used ${stale.used} buffer(s) of the old ring${stale.error === null ? '' : ` (${stale.error.code})`}`, 'after a per-queue reset the device executes no requests from that queue until it is enabled again');
  }

  // Back with fresh memory and a possibly different size: the device starts from index 0.
  const fresh = await session.setupQueue(0, { size: 2 ** c.newSizeLog2 });
  if (typeof fresh === 'string') undecided(`re-enabling queue 0: ${fresh}`);
  const count = Math.min(fresh.layout.size, 4);
  session.postReceive(fresh, count);
  await session.kick(fresh);
  for (let i = 0; i < count + 1; i++) await session.device.wire.inject(broadcastFrame(80 + i, 20 + i));
  const after = await session.drain(fresh);
  if (after.error !== null) {
    violation('vqreset.device.2', `queue 0 re-enabled with a fresh ring of ${fresh.layout.size} entries: the device wrote a used entry the ring cannot hold (${after.error.code})`, 'a reset queue starts again from index 0 (wrap counter 1) and honours the new size');
  }
  if (after.used !== count) {
    violation(k.resets, `queue 0 re-enabled with ${count} receive buffers (ring of ${fresh.layout.size}): ${after.used} used after ${count + 1} frames`, 'the reset queue works again once re-enabled: every posted buffer is used');
  }
}

function queueResetCheck(transport: TransportKind): Check<DeviceCheckContext> {
  const k = CLAUSES[transport];
  return {
    id: `transport.device.${transport}-queue-reset`,
    title: `${k.reset} = 1 resets the queue: it reads 1 then 0, ${k.enable} reads 0, the old ring is left alone and the queue restarts`,
    clauses: [k.resets, k.zeroWhenEnabled, k.oneWhileResetting, k.bothZero, 'vqreset.device.1', 'vqreset.device.2', 'vqreset.device.3'],
    role: 'device',
    level: 'MUST',
    area: 'transport',
    applies: { transports: [transport], requires: ['VIRTIO_F_RING_RESET'] },
    decision:
      `A device may finish a queue reset at once, so ${k.reset} may read 0 on the first read after the write of 1. It must ` +
      `read nothing but 1 and then 0, stay 0 once it read 0, and read 0 within ${QUEUE_RESET_POLL_LIMIT} reads (a reset that ` +
      'never completes did not reset the queue). The old ring keeps its unused receive buffers: using one after the reset ' +
      'completed is executing a request from the reset queue.',
    async run(context) {
      const session = await HandSession.open(context);
      if (typeof session === 'string') return { kind: 'inconclusive', reason: session };
      if (session.window.transport !== transport) return { kind: 'not-applicable', reason: `not a ${transport} device` };
      return checkProperty(context.config, cases, (c) => queueResetRun(context, session, transport, c));
    },
  };
}

/** `pci.common.device.10..13`, `vqreset.device.1..3` on PCI. */
export const pciQueueReset = queueResetCheck('pci');
/** `mmio.reg.device.9..12`, `vqreset.device.1..3` on MMIO. */
export const mmioQueueReset = queueResetCheck('mmio');
