/**
 * The device-side ring property shared by the device ring checks: bring a
 * device under test up with the harness driver, drive the fixed warm-up and
 * then a random command list of transmit, receive, reap and event
 * suppression steps (`harness/scenarios/ring-live`), and fail at the first
 * device-role finding of the checked rule family.
 *
 * @module
 */

import fc from 'fast-check';
import type { DeviceRequest } from '../../adapters/contract.js';
import {
  deviceCommands,
  type DeviceTrafficModel,
  type DeviceTrafficReal,
  deviceWarmUp,
  DeviceSession,
  openDeviceSession,
} from '../../scenarios/ring-live/index.js';
import type { CheckOutcome, RingKind } from '../check.js';
import { type DeviceCheckContext, NotApplicable } from '../context.js';
import { checkLive, type LiveConfiguration, type LiveRunState, RingFindingError } from './live-property.js';

/** Ring features a device scenario keeps, when the device offers them. */
export interface DeviceRingKnobs {
  readonly eventIdx: boolean;
  readonly indirect: boolean;
  readonly inOrder: boolean;
  readonly mergeable: boolean;
}

/** EVENT_IDX and INDIRECT_DESC, as Linux negotiates with QEMU. */
export const WITH_EVENT_IDX: LiveConfiguration<DeviceRingKnobs> = {
  label: 'VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC',
  knobs: { eventIdx: true, indirect: true, inOrder: false, mergeable: false },
};
/** Flags-based suppression, direct descriptors only, mergeable receive buffers. */
export const WITHOUT_EVENT_IDX: LiveConfiguration<DeviceRingKnobs> = {
  label: 'no VIRTIO_F_EVENT_IDX, no VIRTIO_F_INDIRECT_DESC, VIRTIO_NET_F_MRG_RXBUF',
  knobs: { eventIdx: false, indirect: false, inOrder: false, mergeable: true },
};
/** VIRTIO_F_IN_ORDER, when the device offers it. */
export const WITH_IN_ORDER: LiveConfiguration<DeviceRingKnobs> = {
  label: 'VIRTIO_F_IN_ORDER, VIRTIO_F_EVENT_IDX',
  knobs: { eventIdx: true, indirect: false, inOrder: true, mergeable: false },
};

/** Commands after the warm-up in one run. */
const MAX_COMMANDS = 30;

/** What to ask the device adapter for: the ring format under test, IN_ORDER when wanted. */
export function deviceRequestFor(ring: RingKind, knobs: Pick<DeviceRingKnobs, 'inOrder'>): Omit<DeviceRequest, 'transport'> {
  const add = [...(ring === 'packed' ? ['VIRTIO_F_RING_PACKED'] : []), ...(knobs.inOrder ? ['VIRTIO_F_IN_ORDER'] : [])];
  return add.length === 0 ? {} : { addFeatures: add };
}

/** Options of {@link openRun}. */
export interface OpenRunOptions {
  /** Ring size cap. @default the session's */
  readonly queueSize?: number;
  /** Why the session cannot serve the check (e.g. a feature not negotiated), or null. */
  readonly need?: (session: DeviceSession) => string | null;
}

/** Opens a session for one run, or records why it could not be opened. */
export async function openRun(
  context: DeviceCheckContext,
  knobs: DeviceRingKnobs,
  state: LiveRunState,
  options: OpenRunOptions = {},
): Promise<DeviceSession | null> {
  const { queueSize, need } = options;
  let device;
  try {
    device = await context.device(deviceRequestFor(context.config.ring, knobs));
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
    state.refusal = { kind: 'not-applicable', reason: error.reason };
    return null;
  }
  const opened = await openDeviceSession(device, {
    ring: context.config.ring,
    ...knobs,
    ...(queueSize === undefined ? {} : { queueSize }),
    trace: (line) => context.trace.record(line),
  });
  if (!(opened instanceof DeviceSession)) {
    state.refusal = opened;
    return null;
  }
  const missing = need?.(opened) ?? null;
  if (missing !== null) {
    state.refusal = { kind: 'not-applicable', reason: missing };
    return null;
  }
  state.started++;
  return opened;
}

/**
 * Checks that the device breaks none of `rules` (observer rule IDs, device
 * role) under random traffic in each of `configurations`.
 */
export function checkDeviceTraffic(
  context: DeviceCheckContext,
  rules: ReadonlySet<string>,
  configurations: readonly LiveConfiguration<DeviceRingKnobs>[],
): Promise<CheckOutcome> {
  return checkLive(context, configurations, (knobs, state, replayPath) =>
    fc.asyncProperty(deviceCommands(MAX_COMMANDS, replayPath), async (commands) => {
      const session = await openRun(context, knobs, state);
      if (session === null) return;
      const model: DeviceTrafficModel = { txOutstanding: 0, rxOutstanding: 0 };
      const real: DeviceTrafficReal = {
        session,
        after(s) {
          const found = s.observers.violations('device', rules);
          if (found.length > 0) throw new RingFindingError(found[0] as (typeof found)[number]);
        },
      };
      await deviceWarmUp(model, real);
      await fc.asyncModelRun(() => ({ model, real }), commands);
    }),
  );
}
