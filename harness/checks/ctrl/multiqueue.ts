/**
 * Device-side multiqueue checks: receive steering stays within the pairs VQ_PAIRS_SET enabled,
 * and on receiveq1 alone after reset (`net.ctrl.mq.device.1`, `.2`, `.0c`); under RSS, frames land
 * on queues the indirection table or `unclassified_queue` names (`net.ctrl.rss.device.1`).
 *
 * @module
 */

import fc from 'fast-check';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { virtio_net_config } from '../../../specs/net/config.js';
import { rssConfigCommand, vqPairsSetCommand } from '../../scenarios/ctrl/commands.js';
import { CtrlSession, type Delivery } from '../../scenarios/ctrl/ctrl-session.js';
import { describeFlow, flowFrame, ipv4Flow } from '../../scenarios/ctrl/flows.js';
import { BROADCAST_MAC, ethernetFrame, fillerPayload, type Ipv4Flow } from '../../scenarios/ctrl/frames.js';
import { checkProperty, scaledRuns, Undecided, violation } from '../../scenarios/ctrl/property.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const CFG = virtio_net_config.fields;

/** The pairs the scenarios ask a multiqueue device for. */
export const MQ_PAIRS = 4;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Injects `frame` and returns the deliveries that carry it. */
async function deliveriesOf(session: CtrlSession, frame: Uint8Array, label: string): Promise<readonly Delivery[]> {
  const got = await session.inject(frame, label);
  if (got.kind === 'ring-error') throw new Undecided(`receive ring error: ${got.error.message}`);
  return got.deliveries.filter((d) => sameBytes(d.frame, frame));
}

interface MqModel {
  pairs: number;
  /** A VQ_PAIRS_SET was used since reset. */
  set: boolean;
}

interface MqReal {
  readonly session: CtrlSession;
  readonly dst: Uint8Array;
  seq: number;
}

class PairsStep implements fc.AsyncCommand<MqModel, MqReal, false> {
  constructor(readonly pairs: number) {}
  check(): boolean {
    return true;
  }
  async run(m: MqModel, r: MqReal): Promise<void> {
    const a = await r.session.send(vqPairsSetCommand(this.pairs));
    if (a.kind !== 'answered') throw new Undecided(`VQ_PAIRS_SET ${this.pairs} was not answered (${a.kind}); see ctrl.device.ack-written`);
    if (a.ack !== VIRTIO_NET_OK) {
      violation('net.ctrl.mq.device.0c', `VQ_PAIRS_SET ${this.pairs} (within 1..${r.session.pairs}) was answered 0x${a.ack.toString(16)}`, 'VIRTIO_NET_OK: with MQ the device steers over the pairs the driver sets');
    }
    m.pairs = this.pairs;
    m.set = true;
  }
  toString(): string {
    return `VQ_PAIRS_SET ${this.pairs}`;
  }
}

class FlowStep implements fc.AsyncCommand<MqModel, MqReal, false> {
  constructor(readonly flow: Ipv4Flow) {}
  check(): boolean {
    return true;
  }
  async run(m: MqModel, r: MqReal): Promise<void> {
    const frame = flowFrame(r.dst, this.flow, r.seq++);
    for (const d of await deliveriesOf(r.session, frame, describeFlow(this.flow))) {
      if (d.pair <= m.pairs) continue;
      if (m.set) violation('net.ctrl.mq.device.2', `after VQ_PAIRS_SET ${m.pairs}, a frame of ${describeFlow(this.flow)} arrived on receiveq${d.pair}`, `receiveq1..receiveq${m.pairs} only`);
      violation('net.ctrl.mq.device.1', `before any VQ_PAIRS_SET since reset, a frame of ${describeFlow(this.flow)} arrived on receiveq${d.pair}`, 'receiveq1 only');
    }
  }
  toString(): string {
    return `frame of ${describeFlow(this.flow)}`;
  }
}

/** `net.ctrl.mq.device.2`, `.1`, `.0c`: automatic steering stays within the enabled pairs. */
export const ctrlMqSteeringWithinPairs: Check<DeviceCheckContext> = {
  id: 'ctrl.device.mq-steering-within-pairs',
  title: 'received frames land on receiveq1 after reset and on receiveq1..n after VQ_PAIRS_SET n, which is acknowledged',
  clauses: ['net.ctrl.mq.device.2', 'net.ctrl.mq.device.1', 'net.ctrl.mq.device.0c', 'net.ctrl.mq.any.4'],
  role: 'device',
  level: 'MUST NOT',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_MQ'] },
  decision:
    'Which of the enabled pairs a flow lands on is free (steering by flow is a SHOULD, random choice a MAY), so only the bound is judged. A VQ_PAIRS_SET within 1..max_virtqueue_pairs must be acknowledged: mq.device.0c has the device steer over the pairs the driver sets, with no room to refuse. Out-of-range values are not sent: their ack is unspecified (summary.md "ack on bad input"). Each run starts from a device reset, so the "receiveq1 only" rule is judged every run.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, {
      offer: ['VIRTIO_NET_F_MQ'],
      maxVirtqueuePairs: MQ_PAIRS,
      accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ, N.VIRTIO_NET_F_MAC],
      require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ],
      rxBuffers: 4,
    });
    if (session.pairs < 2) return { kind: 'not-applicable', reason: `the device offers max_virtqueue_pairs = ${session.pairs}; steering needs at least 2` };
    // Pairs beyond the ones set up are never asked for: the driver may not enable what it has not set up (mq.driver.1).
    const usable = session.enabledPairs.length;
    const commands = fc.commands(
      [fc.integer({ min: 1, max: usable }).map((n) => new PairsStep(n)), ipv4Flow.map((f) => new FlowStep(f)), ipv4Flow.map((f) => new FlowStep(f))],
      { maxCommands: 12, size: '+1' },
    );
    let seq = 0;
    // A reset per run (about 2 ms through the register seam): a twentieth of the configured runs.
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 20), commands, async (cmds) => {
      await session.restart();
      const dst = session.has(N.VIRTIO_NET_F_MAC) ? await session.readMac() : BROADCAST_MAC;
      await fc.asyncModelRun(() => ({ model: { pairs: 1, set: false }, real: { session, dst, seq: (seq += 1000) } }), cmds);
    });
  },
};

/** One RSS configuration over pairs `subset` (0-based), with the frames to steer. */
interface RssCase {
  readonly subset: readonly number[];
  readonly table: readonly number[];
  readonly unclassified: number;
  readonly hashTypes: number;
  readonly maxTxVq: number;
  readonly flows: readonly Ipv4Flow[];
  readonly nonIp: boolean;
}

function rssCase(pairs: number, supportedHashTypes: number, maxTableLength: number): fc.Arbitrary<RssCase> {
  const maxLog2 = Math.max(0, Math.min(4, Math.floor(Math.log2(Math.max(1, maxTableLength)))));
  return fc
    .record({
      subset: fc.uniqueArray(fc.nat(pairs - 1), { minLength: 1, maxLength: pairs }),
      log2: fc.integer({ min: 0, max: maxLog2 }),
      picks: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
      unclassifiedPick: fc.nat(),
      hashTypes: fc.nat(0x1ff).map((t) => t & supportedHashTypes),
      maxTxVq: fc.integer({ min: 1, max: pairs }),
      flows: fc.array(ipv4Flow, { minLength: 1, maxLength: 6 }),
      nonIp: fc.boolean(),
    })
    .map((r) => ({
      subset: r.subset,
      table: r.picks.slice(0, 1 << r.log2).map((p) => r.subset[p % r.subset.length] as number),
      unclassified: r.subset[r.unclassifiedPick % r.subset.length] as number,
      hashTypes: r.hashTypes,
      maxTxVq: r.maxTxVq,
      flows: r.flows,
      nonIp: r.nonIp,
    }));
}

/** `net.ctrl.rss.device.1`: under RSS a frame lands on a queue the configuration names. */
export const ctrlRssSteeringWithinTable: Check<DeviceCheckContext> = {
  id: 'ctrl.device.rss-steering-within-table',
  title: 'after RSS_CONFIG, every received frame lands on a receive queue of the indirection table or on unclassified_queue',
  clauses: ['net.ctrl.rss.device.1', 'net.ctrl.mq.any.4'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_RSS'] },
  decision:
    'The hash itself is not recomputed: the table names only queues of a random subset of the pairs, unclassified_queue among them, and every delivered frame must land in that subset, which holds for every hash the device may compute and for frames it cannot classify. A valid RSS_CONFIG answered ERR leaves nothing to judge, and the check is then inconclusive rather than passed.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, {
      offer: ['VIRTIO_NET_F_RSS'],
      maxVirtqueuePairs: MQ_PAIRS,
      accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_RSS, N.VIRTIO_NET_F_MAC],
      require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_RSS],
      rxBuffers: 4,
    });
    if (session.pairs < 2) return { kind: 'not-applicable', reason: `the device offers max_virtqueue_pairs = ${session.pairs}; steering needs at least 2` };
    const keySize = await session.readConfig(CFG.rss_max_key_size.offset, 1);
    const tableLength = await session.readConfig(CFG.rss_max_indirection_table_length.offset, 2);
    const hashTypes = await session.readConfig(CFG.supported_hash_types.offset, 4);
    const dst = session.has(N.VIRTIO_NET_F_MAC) ? await session.readMac() : BROADCAST_MAC;
    let seq = 0;
    // The table names only queues that are set up (net.ctrl.rss.driver.2).
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 4), rssCase(session.enabledPairs.length, hashTypes, tableLength), async (c) => {
      await session.ensureUsable();
      const key = Uint8Array.from({ length: keySize }, (_, i) => (i * 37 + c.table.length) & 0xff);
      const a = await session.send(rssConfigCommand({ hashTypes: c.hashTypes, table: c.table, unclassifiedQueue: c.unclassified, maxTxVq: c.maxTxVq, key }));
      if (a.kind !== 'answered') throw new Undecided(`RSS_CONFIG was not answered (${a.kind}); see ctrl.device.ack-written`);
      if (a.ack !== VIRTIO_NET_OK) throw new Undecided(`the device refused a valid RSS_CONFIG (ack 0x${a.ack.toString(16)}), so there is no RSS steering to judge`);
      const allowed = new Set(c.subset);
      const judge = (d: Delivery, what: string): void => {
        if (allowed.has(d.pair - 1)) return;
        violation('net.ctrl.rss.device.1', `${what} arrived on receiveq${d.pair}; the table names receiveq${[...new Set(c.table)].map((q) => q + 1).join('/')}, unclassified_queue receiveq${c.unclassified + 1}`, 'a receive queue of indirection_table[hash & mask], or unclassified_queue');
      };
      for (const flow of c.flows) for (const d of await deliveriesOf(session, flowFrame(dst, flow, seq++), describeFlow(flow))) judge(d, `a frame of ${describeFlow(flow)}`);
      if (c.nonIp) {
        const frame = ethernetFrame({ dst, etherType: 0x0806, payload: fillerPayload(seq++, 28) });
        for (const d of await deliveriesOf(session, frame, 'ARP frame')) judge(d, 'an ARP frame (no hash)');
      }
    });
  },
};
