/**
 * Device-side notification-coalescing checks (virtio 1.3+ 5.1.9.5.7): VQ_GET reports for each
 * queue what the last TX_SET / RX_SET / VQ_SET gave it, and zero after reset
 * (`net.ctrl.coal.any.2`, `net.ctrl.coal.device.9`, `.1`); VQ_SET and VQ_GET on a queue that is
 * not an enabled data queue get VIRTIO_NET_ERR (`net.ctrl.coal.device.4`).
 *
 * @module
 */

import fc from 'fast-check';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { type CoalParams, coalSetCommand, coalVqGetCommand, coalVqSetCommand, readLe32 } from '../../scenarios/ctrl/commands.js';
import { CtrlSession } from '../../scenarios/ctrl/ctrl-session.js';
import { checkProperty, scaledRuns, Undecided, violation } from '../../scenarios/ctrl/property.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

/** Pairs asked for, so that each direction has more than one queue. */
const COAL_PAIRS = 2;

const params: fc.Arbitrary<CoalParams> = fc.record({ maxPackets: fc.oneof(fc.nat(64), fc.nat(0xffffffff)), maxUsecs: fc.oneof(fc.nat(1000), fc.nat(0xffffffff)) });

const show = (p: CoalParams): string => `{max_packets ${p.maxPackets}, max_usecs ${p.maxUsecs}}`;

interface CoalModel {
  /** Effective parameters per data virtqueue. */
  readonly queues: CoalParams[];
}

interface CoalReal {
  readonly session: CtrlSession;
}

type CoalCommand = fc.AsyncCommand<CoalModel, CoalReal, false>;

async function answered(r: CoalReal, request: Parameters<CtrlSession['send']>[0], what: string): Promise<{ ack: number; result: Uint8Array }> {
  const a = await r.session.send(request);
  if (a.kind !== 'answered') throw new Undecided(`${what} was not answered (${a.kind}); see ctrl.device.ack-written`);
  return a;
}

class DirectionSetStep implements CoalCommand {
  constructor(readonly direction: 'tx' | 'rx', readonly p: CoalParams, readonly enabled: boolean) {}
  check(): boolean {
    return this.enabled;
  }
  async run(m: CoalModel, r: CoalReal): Promise<void> {
    const a = await answered(r, coalSetCommand(this.direction, this.p), this.toString());
    // ERR: the values could not be applied (net.ctrl.coal.device.2), nothing changed.
    if (a.ack !== VIRTIO_NET_OK) return;
    for (let q = this.direction === 'rx' ? 0 : 1; q < m.queues.length; q += 2) m.queues[q] = this.p;
  }
  toString(): string {
    return `${this.direction.toUpperCase()}_SET ${show(this.p)}`;
  }
}

class VqSetStep implements CoalCommand {
  constructor(readonly queue: number, readonly p: CoalParams, readonly reserved: number) {}
  check(m: Readonly<CoalModel>): boolean {
    return this.queue < m.queues.length;
  }
  async run(m: CoalModel, r: CoalReal): Promise<void> {
    const a = await answered(r, coalVqSetCommand(this.queue, this.p, this.reserved), this.toString());
    if (a.ack === VIRTIO_NET_OK) m.queues[this.queue] = this.p;
  }
  toString(): string {
    return `VQ_SET vq ${this.queue} reserved 0x${this.reserved.toString(16)} ${show(this.p)}`;
  }
}

class VqGetStep implements CoalCommand {
  constructor(readonly queue: number) {}
  check(m: Readonly<CoalModel>): boolean {
    return this.queue < m.queues.length;
  }
  async run(m: CoalModel, r: CoalReal): Promise<void> {
    const a = await answered(r, coalVqGetCommand(this.queue), this.toString());
    if (a.ack !== VIRTIO_NET_OK) return;
    const got = { maxPackets: readLe32(a.result, 0), maxUsecs: readLe32(a.result, 4) };
    const want = m.queues[this.queue] as CoalParams;
    if (got.maxPackets !== want.maxPackets || got.maxUsecs !== want.maxUsecs) {
      violation('net.ctrl.coal.any.2', `VQ_GET vq ${this.queue} returned ${show(got)}`, `${show(want)}: the last TX_SET / RX_SET / VQ_SET that covered the queue, or 0 after reset`);
    }
  }
  toString(): string {
    return `VQ_GET vq ${this.queue}`;
  }
}

class GetAllStep implements CoalCommand {
  check(): boolean {
    return true;
  }
  async run(m: CoalModel, r: CoalReal): Promise<void> {
    for (let q = 0; q < m.queues.length; q++) await new VqGetStep(q).run(m, r);
  }
  toString(): string {
    return 'VQ_GET every queue';
  }
}

/** `net.ctrl.coal.any.2`: each queue's parameters are what the last command covering it set. */
export const ctrlCoalLastSetWins: Check<DeviceCheckContext> = {
  id: 'ctrl.device.coal-last-set-wins',
  title: 'VQ_GET reports for each queue the parameters of the last TX_SET, RX_SET or VQ_SET covering it, and 0 after reset',
  clauses: ['net.ctrl.coal.any.2', 'net.ctrl.coal.device.9', 'net.ctrl.coal.device.1'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_VQ_NOTF_COAL'] },
  decision:
    'A SET answered ERR could not be applied (net.ctrl.coal.device.2 / .3) and changes nothing; a VQ_GET answered ERR gives no observation. VQ_SET carries random reserved bits, which must make no difference (net.ctrl.coal.device.1). Every run starts from a device reset, where every value is 0 (net.ctrl.coal.device.9).',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, {
      offer: ['VIRTIO_NET_F_MQ', 'VIRTIO_NET_F_NOTF_COAL', 'VIRTIO_NET_F_VQ_NOTF_COAL'],
      maxVirtqueuePairs: COAL_PAIRS,
      accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ, N.VIRTIO_NET_F_NOTF_COAL, N.VIRTIO_NET_F_VQ_NOTF_COAL],
      require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_VQ_NOTF_COAL],
      rxBuffers: 1,
    });
    // The enabled data queues: pairs 1..k are set up.
    const queues = 2 * session.enabledPairs.length;
    const directional = session.has(N.VIRTIO_NET_F_NOTF_COAL);
    const queue = fc.nat(queues - 1);
    const commands = fc.commands(
      [
        fc.tuple(fc.constantFrom('tx' as const, 'rx' as const), params).map(([d, p]) => new DirectionSetStep(d, p, directional)),
        fc.tuple(queue, params, fc.oneof(fc.constant(0), fc.nat(0xffff))).map(([q, p, res]) => new VqSetStep(q, p, res)),
        queue.map((q) => new VqGetStep(q)),
        fc.constant(new GetAllStep()),
      ],
      { maxCommands: 12, size: '+1' },
    );
    // A reset per run (about 2 ms through the register seam): a twentieth of the configured runs.
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 20), commands, async (cmds) => {
      await session.restart();
      const model: CoalModel = { queues: Array.from({ length: queues }, () => ({ maxPackets: 0, maxUsecs: 0 })) };
      await fc.asyncModelRun(() => ({ model, real: { session } }), cmds);
      // Every run ends by reading every queue back, so the last SET of the run is judged too.
      await new GetAllStep().run(model, { session });
    });
  },
};

/** `net.ctrl.coal.device.4`: VQ_SET / VQ_GET naming no enabled data queue get ERR. */
export const ctrlCoalBadQueueErr: Check<DeviceCheckContext> = {
  id: 'ctrl.device.coal-bad-queue-err',
  title: 'VQ_SET and VQ_GET on the controlq, a missing queue or a data queue that is not enabled are answered VIRTIO_NET_ERR',
  clauses: ['net.ctrl.coal.device.4', 'net.ctrl.coal.device.3'],
  role: 'device',
  level: 'MUST',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ', 'VIRTIO_NET_F_VQ_NOTF_COAL'] },
  decision: 'The driver sets up pair 1 only, so the data queues of the other pairs exist but are not enabled; the controlq index and indices past it are the other bad targets.',
  async run(ctx) {
    const session = await CtrlSession.open(ctx, {
      offer: ['VIRTIO_NET_F_MQ', 'VIRTIO_NET_F_VQ_NOTF_COAL'],
      maxVirtqueuePairs: COAL_PAIRS,
      accept: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ, N.VIRTIO_NET_F_VQ_NOTF_COAL],
      require: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_VQ_NOTF_COAL],
      pairsToEnable: () => [1],
      rxBuffers: 1,
    });
    const ctrl = session.ctrlIndex;
    const bad = fc.oneof(fc.constant(ctrl), fc.integer({ min: ctrl + 1, max: 0xffff }), ...(ctrl > 2 ? [fc.integer({ min: 2, max: ctrl - 1 })] : []));
    const step = fc.tuple(fc.boolean(), bad, params);
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 10), fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
      await session.ensureUsable();
      for (const [get, q, p] of steps) {
        const request = get ? coalVqGetCommand(q) : coalVqSetCommand(q, p);
        const what = `${get ? 'VQ_GET' : 'VQ_SET'} vq ${q}`;
        const a = await session.send(request);
        if (a.kind !== 'answered') throw new Undecided(`${what} was not answered (${a.kind}); see ctrl.device.ack-written`);
        if (a.ack === VIRTIO_NET_ERR) continue;
        const target = q === ctrl ? 'the controlq' : q < ctrl ? 'a data queue the driver did not enable' : 'no queue';
        violation('net.ctrl.coal.device.4', `${what} (${target}) was answered 0x${a.ack.toString(16)}`, 'VIRTIO_NET_ERR');
      }
    });
  },
};
