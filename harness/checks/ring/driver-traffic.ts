/**
 * The driver-side ring property shared by the driver ring checks: bind the
 * driver under test to a fresh instrument configured for one scenario, watch
 * every queue it enables, drive the fixed warm-up and a random command list
 * (`harness/scenarios/ring-live`), and fail at the first driver-role
 * finding of the checked rule family.
 *
 * @module
 */

import fc from 'fast-check';
import {
  driverCommands,
  DriverSession,
  type DriverTrafficModel,
  type DriverTrafficReal,
  driverWarmUp,
  openDriverSession,
} from '../../scenarios/ring-live/index.js';
import type { CheckOutcome } from '../check.js';
import { type DriverCheckContext, NotApplicable } from '../context.js';
import { checkLive, type LiveConfiguration, type LiveRunState, RingFindingError } from './live-property.js';

/** How the instrument is configured for a scenario. */
export interface DriverRingKnobs {
  /** Features the instrument withholds from its default offer. */
  readonly withoutFeatures: readonly string[];
  /**
   * Queue size the instrument offers: small, so that rings wrap and the
   * receive ring is refilled (past half empty, as Linux does) within the
   * warm-up; big receive chains (19 descriptors each) need a larger ring.
   */
  readonly queueSize: number;
}

/** The instrument's default offer: EVENT_IDX, INDIRECT_DESC, MRG_RXBUF, CTRL_VQ (what QEMU offers). */
export const DEFAULT_OFFER: LiveConfiguration<DriverRingKnobs> = {
  label: 'default offer (VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_NET_F_MRG_RXBUF)',
  knobs: { withoutFeatures: [], queueSize: 32 },
};
/** Flags-based event suppression. */
export const NO_EVENT_IDX: LiveConfiguration<DriverRingKnobs> = {
  label: 'no VIRTIO_F_EVENT_IDX',
  knobs: { withoutFeatures: ['VIRTIO_F_EVENT_IDX'], queueSize: 32 },
};
/** Big receive buffers (one chain of many descriptors per buffer) in the descriptor table or ring. */
export const BIG_DIRECT: LiveConfiguration<DriverRingKnobs> = {
  label: 'no VIRTIO_NET_F_MRG_RXBUF, no VIRTIO_F_INDIRECT_DESC (big receive chains, direct)',
  knobs: { withoutFeatures: ['VIRTIO_NET_F_MRG_RXBUF', 'VIRTIO_F_INDIRECT_DESC'], queueSize: 64 },
};
/** Big receive buffers in indirect tables. */
export const BIG_INDIRECT: LiveConfiguration<DriverRingKnobs> = {
  label: 'no VIRTIO_NET_F_MRG_RXBUF (big receive chains in indirect tables)',
  knobs: { withoutFeatures: ['VIRTIO_NET_F_MRG_RXBUF'], queueSize: 64 },
};

/** Commands after the warm-up in one run. */
const MAX_COMMANDS = 15;

/** Binds the driver to a fresh instrument for one run and opens it, or records why it could not. */
export async function openDriverRun(context: DriverCheckContext, knobs: DriverRingKnobs, state: LiveRunState): Promise<DriverSession | null> {
  let rig;
  try {
    rig = await context.rig({ withoutFeatures: knobs.withoutFeatures, queueSize: knobs.queueSize });
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
    state.refusal = { kind: 'not-applicable', reason: error.reason };
    return null;
  }
  const opened = await openDriverSession(rig, (line) => context.trace.record(line));
  if (!(opened instanceof DriverSession)) {
    state.refusal = opened;
    return null;
  }
  state.started++;
  return opened;
}

/**
 * Checks that the driver breaks none of `rules` (observer rule IDs, driver
 * role) under random traffic in each of `configurations`. Findings during
 * probe and open count too: they are checked before the first command.
 */
export function checkDriverTraffic(
  context: DriverCheckContext,
  rules: ReadonlySet<string>,
  configurations: readonly LiveConfiguration<DriverRingKnobs>[],
): Promise<CheckOutcome> {
  return checkLive(context, configurations, (knobs, state, replayPath) =>
    fc.asyncProperty(driverCommands(MAX_COMMANDS, replayPath), async (commands) => {
      const session = await openDriverRun(context, knobs, state);
      if (session === null) return;
      const model: DriverTrafficModel = { transmitted: 0, injected: 0 };
      const real: DriverTrafficReal = {
        session,
        after(s) {
          const found = s.observers.violations('driver', rules);
          if (found.length > 0) throw new RingFindingError(found[0] as (typeof found)[number]);
        },
      };
      real.after(session, 'open');
      await driverWarmUp(model, real);
      await fc.asyncModelRun(() => ({ model, real }), commands);
    }),
  );
}
