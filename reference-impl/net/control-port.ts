/**
 * The seam between the net datapath and the control-plane state (RX mode,
 * MAC and VLAN tables, multiqueue, RSS and hash config, offloads,
 * coalescing, announce), which lives in `net/ctrl/state.ts`. The datapath
 * sees that state only through {@link NetControlPort}, which
 * `NetControlState` satisfies as it is; the control queue's ring handling
 * (`ctrl-queue.ts`) calls {@link NetControlPort.handleCommand} for the
 * meaning of each command. A scenario or mutant may plug in another state
 * through {@link NetControlFactory}.
 *
 * @module
 */

import type { FeatureSet } from '../../specs/features/feature-set.js';
import { NetControlState } from './ctrl/state.js';
import type { NetControlPolicy } from './ctrl/facts.js';
import type { CtrlOutcome } from './ctrl/outcome.js';
import type { NetDeviceConfig } from './device-config.js';

export type { CtrlOutcome } from './ctrl/outcome.js';

/** Where a received frame goes: a 0-based queue pair (receiveq `queuePair + 1`), and its hash if one was computed. */
export interface NetSteering {
  readonly queuePair: number;
  readonly hash?: { readonly value: number; readonly report: number };
}

/** The control state as the datapath and the control queue need it. */
export interface NetControlPort {
  /** Queue pairs in use: 1 after reset (`net.ctrl.mq.device.1`), then VQ_PAIRS_SET / RSS_CONFIG. */
  readonly activePairs: number;
  /** Transmit queues the driver may use: 1 after reset, then VQ_PAIRS_SET or `max_tx_vq` (`net.ctrl.mq.driver.3`, `.4`). @default activePairs */
  readonly txPairs?: number;
  /** GUEST_OFFLOADS_SET mask in force (all negotiated offloads after negotiation, `net.ctrl.offloads.any.1`). */
  readonly guestOffloads: bigint;
  /** The RSS configuration in force, or null (then a frame steered to a queue in reset may go elsewhere). */
  readonly rss: unknown;
  /** The MAC the state holds (changed by MAC_ADDR_SET). */
  readonly mac: Uint8Array;
  /** Whether the RX filter lets `frame` through, given the device MAC. */
  rxFilterAccepts(frame: Uint8Array, deviceMac: Uint8Array): boolean;
  /** Steering of `frame`. The datapath still bounds the answer by {@link activePairs} (bug D8). */
  steer(frame: Uint8Array): NetSteering;
  /** A frame left on transmitq `queuePair + 1` (automatic steering follows flows, `net.ctrl.mq.device.0d`). */
  noteTransmit(frame: Uint8Array, queuePair: number): void;
  /**
   * Executes one command; `resultRoom` is the device-writable space after
   * the ack. Its effect is complete when this returns (`net.ctrl.mac.device.2`);
   * a `configEffect` is applied to config space by the caller before the
   * chain is used (`net.ctrl.mac.device.3`, `net.ctrl.announce.device.1`).
   */
  handleCommand(klass: number, command: number, payload: Uint8Array, resultRoom: number): CtrlOutcome;
  /** The device asks the driver to announce itself; false without GUEST_ANNOUNCE (bug D19). */
  requestAnnounce(): boolean;
  /** Queue `index` was reset and enabled again. */
  queueReenabled?(index: number): void;
  /** Back to the state after device reset. */
  reset(): void;
}

/** What a control factory gets besides the features. */
export interface NetControlEnv {
  /** Whether virtqueue `index` is enabled now (RSS tables, VQ_SET / VQ_GET). */
  readonly queueEnabled: (index: number) => boolean;
}

/** Builds the control state for one negotiation. */
export type NetControlFactory = (features: FeatureSet, config: NetDeviceConfig, env: NetControlEnv) => NetControlPort;

/**
 * The reference control state (`NetControlState`) with the device's
 * config values as its facts, and `policy` where the spec leaves room.
 */
export function referenceControl(policy: NetControlPolicy = {}): NetControlFactory {
  return (features, config, env) =>
    new NetControlState(
      features,
      {
        maxVirtqueuePairs: config.maxVirtqueuePairs,
        mac: Uint8Array.from(config.mac),
        rssMaxKeySize: config.rss.maxKeySize,
        rssMaxIndirectionTableLength: config.rss.maxIndirectionTableLength,
        supportedHashTypes: config.rss.supportedHashTypes,
      },
      { queueEnabled: env.queueEnabled, ...policy },
    );
}
