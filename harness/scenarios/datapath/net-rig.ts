/**
 * Bringing a device under test up for device-side data-path checks: the harness's own transport
 * driver negotiates exactly the features a check asks for (closed under the dependency rules),
 * sets up receiveq1 and transmitq1 with the driver-side ring engine and sets DRIVER_OK. One
 * device serves every run of a property: each run resets it and negotiates again.
 *
 * @module
 */

import { unmetDependencies } from '../../../specs/features/dependencies.js';
import { featureNames, type FeatureSet } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import type { DriverVirtqueue, VirtioConfigOps } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import type { DeviceRequest, DeviceUnderTest } from '../../adapters/contract.js';
import type { CheckOutcome } from '../../checks/check.js';
import { type DeviceCheckContext, NotApplicable } from '../../checks/context.js';
import { bindTransportDriver } from '../../drivers/transport-driver.js';
import { NetSession } from './net-session.js';

/** What a check asks of a session. */
export interface NetSessionRequest {
  /** Features to negotiate when the device offers them (VERSION_1 is always added). */
  readonly want: FeatureSet;
  /** Features the check cannot do without: not offered means not applicable. */
  readonly need?: FeatureSet;
  /** Ring size cap for both queues. @default 64 */
  readonly queueSize?: number;
}

/** The result of {@link openNetSession}. */
export type OpenedSession = { readonly kind: 'open'; readonly session: NetSession } | { readonly kind: 'not-open'; readonly outcome: CheckOutcome };

/** Virtqueue indices of the first pair (`net.vq.any.1.driver`). */
export const RECEIVEQ1 = 0;
/** @see RECEIVEQ1 */
export const TRANSMITQ1 = 1;

/**
 * The largest subset of `set` whose members' dependencies are all in it (`features.driver.2`,
 * `net.featdep.*.driver`): members with an unmet dependency are dropped until none is left.
 */
export function dependencyClosed(set: FeatureSet): FeatureSet {
  let current = set;
  for (;;) {
    const unmet = unmetDependencies(current, 'driver');
    if (unmet.length === 0) return current;
    for (const v of unmet) current &= ~(1n << BigInt(v.feature));
  }
}

/** Bytes of guest memory a rig keeps for the buffers of one session; reused by the next session. */
export const SESSION_ARENA_BYTES = 512 * 1024;

/**
 * One device under test, reused across the runs of a property: each {@link NetRig.open} resets
 * the device and negotiates again, so a run costs a reset rather than a new device (which for an
 * external device is a new process). Ring memory is reused by the transport driver; buffer memory
 * comes from an arena that each session starts over.
 */
export class NetRig {
  #opened = false;
  readonly #arena: number;

  private constructor(
    private readonly ctx: DeviceCheckContext,
    /** The device under test. */
    readonly device: DeviceUnderTest,
    /** The harness's transport driver. */
    readonly ops: VirtioConfigOps,
  ) {
    this.#arena = device.memory.allocator.alloc(SESSION_ARENA_BYTES, 64);
  }

  /**
   * Creates the device (offering the packed ring on a packed run) and binds the transport driver.
   * When the adapter cannot add `request.addFeatures`, its device without them is used. A
   * transport probe failure comes back as an inconclusive outcome.
   * @throws NotApplicable when the adapter cannot provide such a device.
   */
  static async create(ctx: DeviceCheckContext, request: Omit<DeviceRequest, 'transport'> = {}): Promise<NetRig | CheckOutcome> {
    const packed = ctx.config.ring === 'packed';
    const ring = packed ? ['VIRTIO_F_RING_PACKED'] : [];
    let device: DeviceUnderTest;
    try {
      device = await ctx.device({ ...request, addFeatures: [...(request.addFeatures ?? []), ...ring] });
    } catch (error) {
      // An adapter that cannot add the extra offer may still provide its default device: the check reads the real offer.
      if (!(error instanceof NotApplicable) || (request.addFeatures ?? []).length === 0) throw error;
      device = await ctx.device({ ...request, addFeatures: ring });
    }
    const bound = await bindTransportDriver(device);
    if (bound.kind !== 'bound') return { kind: 'inconclusive', reason: `the transport probe failed (${bound.code}): ${bound.message}` };
    return new NetRig(ctx, device, bound.ops);
  }

  /**
   * Brings the device up for a data-path check: reset, ACKNOWLEDGE, DRIVER, features (`want` ∩
   * offer, closed under the dependency rules, plus VERSION_1 and the ring format under test),
   * FEATURES_OK and its read-back, receiveq1 and transmitq1, DRIVER_OK. A refusal by the device
   * (which `features.device.*` allows) comes back as `not-open`.
   *
   * @throws NotApplicable when the device lacks a feature in `need`, the packed ring (on a packed
   *   run) or VERSION_1.
   */
  async open(request: NetSessionRequest): Promise<OpenedSession> {
    const ctx = this.ctx;
    const ops = this.ops;
    const packed = ctx.config.ring === 'packed';
    const notOpen = (reason: string): OpenedSession => ({ kind: 'not-open', outcome: { kind: 'inconclusive', reason } });
    const reset = await ops.reset();
    if (reset.kind !== 'ok') return notOpen(`reset failed: ${reset.message}`);
    if (this.#opened) await ops.delVqs();
    this.#opened = true;
    await ops.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    await ops.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    const offered = await ops.getFeatures();
    const need = (request.need ?? 0n) | (1n << BigInt(VIRTIO_F_VERSION_1)) | (packed ? 1n << BigInt(VIRTIO_F_RING_PACKED) : 0n);
    const missing = need & ~offered;
    if (missing !== 0n) throw new NotApplicable(`the device does not offer ${featureNames(missing).join(', ')}`);
    let features = dependencyClosed((request.want | need) & offered);
    if ((need & ~features) !== 0n) throw new NotApplicable(`${featureNames(need & ~features).join(', ')} cannot be negotiated with the device's offer`);
    if (!packed) features &= ~(1n << BigInt(VIRTIO_F_RING_PACKED));
    const written = await ops.finalizeFeatures(features);
    if (written.kind !== 'ok') return notOpen(written.message);
    const early = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;
    await ops.setStatus(early);
    if (((await ops.getStatus()) & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
      return notOpen(`the device refused FEATURES_OK for ${featureNames(features).join(', ')}`);
    }
    const size = request.queueSize ?? 64;
    const found = await ops.findVqs<number>(
      [
        { index: RECEIVEQ1, name: 'input.0', size, callback: null },
        { index: TRANSMITQ1, name: 'output.0', size, callback: null },
      ],
      { format: packed ? 'packed' : 'split', eventIdx: false, indirect: false, inOrder: false, notificationData: false },
    );
    if (found.kind !== 'ok') return notOpen(`queue set-up failed: ${found.message}`);
    const [rx, tx] = found.value as [DriverVirtqueue<number>, DriverVirtqueue<number>];
    await ops.setStatus(early | VIRTIO_CONFIG_S_DRIVER_OK);
    ctx.trace.record(`session open: ${featureNames(features).join(' ')}`);
    return { kind: 'open', session: new NetSession(ctx, this, offered, features, rx, tx, { base: this.#arena, size: SESSION_ARENA_BYTES }) };
  }
}

/**
 * Creates a rig and opens one session: for checks that need a single device.
 * @throws NotApplicable as {@link NetRig.create} and {@link NetRig.open} do.
 */
export async function openNetSession(
  ctx: DeviceCheckContext,
  request: NetSessionRequest & { readonly device?: Omit<DeviceRequest, 'transport'> },
): Promise<OpenedSession> {
  const rig = await NetRig.create(ctx, request.device);
  if (!(rig instanceof NetRig)) return { kind: 'not-open', outcome: rig };
  return rig.open(request);
}

