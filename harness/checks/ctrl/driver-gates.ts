/**
 * Driver-side check that a driver sends no control command whose feature was not negotiated
 * (`net.ctrl.rx.driver.1`, `.2`, `net.ctrl.mac.driver.1`, `net.ctrl.rss.driver.1`,
 * `net.ctrl.coal.driver.2`, `.3`, `net.ctrl.hashtun.driver.1`, `net.ctrl.rssctx.driver.1`),
 * judged on what the instrument received while the offer varies.
 *
 * @module
 */

import fc from 'fast-check';
import { describeRequirement, satisfies } from '../../../specs/features/requirement.js';
import { ctrlCommand } from '../../../specs/net/ctrl.js';
import type { TappedCommand } from '../../scenarios/ctrl/ctrl-tap.js';
import { driverOp, EXERCISE, openTappedRig, performOp } from '../../scenarios/ctrl/driver-ops.js';
import { checkProperty, scaledRuns, violation } from '../../scenarios/ctrl/property.js';
import type { Check } from '../check.js';
import type { DriverCheckContext } from '../context.js';

/** Gates the instrument may withhold (each needs only CTRL_VQ, so any subset is a valid offer). */
const WITHHOLDABLE = [
  'VIRTIO_NET_F_CTRL_RX',
  'VIRTIO_NET_F_CTRL_RX_EXTRA',
  'VIRTIO_NET_F_CTRL_VLAN',
  'VIRTIO_NET_F_CTRL_MAC_ADDR',
  'VIRTIO_NET_F_GUEST_ANNOUNCE',
  'VIRTIO_NET_F_MAC',
] as const;

/** Gates the instrument may add to its default offer. */
const ADDABLE = ['VIRTIO_NET_F_MQ', 'VIRTIO_NET_F_RSS', 'VIRTIO_NET_F_NOTF_COAL', 'VIRTIO_NET_F_VQ_NOTF_COAL', 'VIRTIO_NET_F_HASH_REPORT'] as const;

/** The clause a command sent without its gate breaks, or null when the spec states none. */
export function gateClause(klass: number, command: number): string | null {
  const info = ctrlCommand(klass, command);
  if (info === undefined) return null;
  // Class 1 as a whole is net.ctrl.mac.driver.1's; its per-command gates follow specs/net/ctrl.ts.
  return info.class === 1 ? 'net.ctrl.mac.driver.1' : info.gateClause;
}

/** Throws a violation when `c` was sent without the feature that gates it. */
export function judgeGate(c: TappedCommand): void {
  const info = ctrlCommand(c.klass, c.command);
  if (info === undefined || satisfies(c.negotiated, info.gate)) return;
  const clause = gateClause(c.klass, c.command);
  if (clause === null) return;
  violation(clause, `the driver sent ${info.name} (class ${c.klass}, command ${c.command}) with ${describeRequirement(info.gate)} not negotiated`, `no ${info.name} unless ${describeRequirement(info.gate)} is negotiated`);
}

/** The control commands a driver sends are all gated by negotiated features. */
export const ctrlDriverGatedCommands: Check<DriverCheckContext> = {
  id: 'ctrl.driver.gated-commands',
  title: 'the driver sends no control command whose feature was not negotiated',
  clauses: [
    'net.ctrl.rx.driver.1',
    'net.ctrl.rx.driver.2',
    'net.ctrl.mac.driver.1',
    'net.ctrl.rss.driver.1',
    'net.ctrl.coal.driver.2',
    'net.ctrl.coal.driver.3',
    'net.ctrl.hashtun.driver.1',
    'net.ctrl.rssctx.driver.1',
  ],
  role: 'driver',
  level: 'MUST NOT',
  area: 'ctrl',
  applies: { requires: ['VIRTIO_NET_F_CTRL_VQ'] },
  decision:
    'Only gates the spec states as driver requirements are judged. VLAN, ANNOUNCE_ACK, VQ_PAIRS_SET, HASH_CONFIG, GUEST_OFFLOADS_SET and STATS are tied to their features by the feature list alone, with no driver clause, and are not judged here. For class 1 (summary.md defect 7) the project reading of specs/net/ctrl.ts applies: MAC_TABLE_SET needs CTRL_RX, MAC_ADDR_SET needs CTRL_MAC_ADDR, both under net.ctrl.mac.driver.1. Each run binds the driver to a new instrument whose offer drops some gates and adds others.',
  async run(ctx) {
    const scenario = fc.record({
      withhold: fc.subarray([...WITHHOLDABLE]),
      add: fc.subarray([...ADDABLE]),
      ops: fc.array(driverOp(2), { maxLength: 4 }),
    });
    // A new instrument, a probe, an open and the exercise per run (about 15 ms): a twentieth of the configured runs, at least 8 so that each gate is withheld in some run.
    return checkProperty(ctx.config, ctx.trace, scaledRuns(ctx.config, 20, 8), scenario, async ({ withhold, add, ops }) => {
      ctx.trace.record(`instrument offer: default${add.map((f) => ` +${f}`).join('')}${withhold.map((f) => ` -${f}`).join('')}`);
      const rig = await openTappedRig(ctx, { addFeatures: add, withoutFeatures: withhold, maxVirtqueuePairs: 2 });
      rig.tap.commands.forEach(judgeGate);
      for (const op of [...EXERCISE, ...ops]) {
        const from = rig.tap.commands.length;
        await performOp(ctx, rig, op);
        rig.tap.since(from).forEach(judgeGate);
      }
    });
  },
};
