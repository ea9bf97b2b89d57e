/**
 * The reference virtio-net device: a {@link VirtioDeviceBackend} that ties
 * the config space, the transmit, receive and control-queue paths, the
 * control state and the wire together. The core (device status, features,
 * queue registers, interrupts) and a transport sit in front of it; see
 * `reference-net-device.ts` for the assembled device.
 *
 * Queues (`net.vq.any.1.device`): receiveqK = 2(K−1), transmitqK = 2(K−1)+1
 * for K = 1..N, controlq = 2N with CTRL_VQ, where N = max_virtqueue_pairs
 * when MQ or RSS is negotiated, else 1. `num_queues` is fixed before
 * negotiation, so the device shows the largest layout its offer allows, and
 * so do the queue max sizes until FEATURES_OK. From FEATURES_OK on the core
 * asks {@link VirtioNetDevice.queueMaxSize}: without MQ and RSS index 2 is
 * the controlq with the controlq's max size, and indices past it read 0.
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../../specs/features/feature-set.js';
import { VIRTIO_NET_F_CTRL_VQ } from '../../specs/features/net.js';
import { VIRTIO_F_RING_PACKED } from '../../specs/features/reserved.js';
import { netQueueRole, queuePairCount, virtqueueCount } from '../../specs/net/queues.js';
import { VIRTIO_ID_NET } from '../../specs/transport/pci.js';
import type { AccessWidth, DeviceContext, VirtioDeviceBackend } from '../device/backend.js';
import { type FeatureValidation, validateNetDependencies } from '../device/feature-acceptance.js';
import { type ConfigUpdate, NetConfigSpace } from './config-space.js';
import { type NetControlFactory, type NetControlPort, referenceControl } from './control-port.js';
import { newNetCounters, type NetCounters } from './counters.js';
import { NetControlQueue } from './ctrl-queue.js';
import type { NetDeviceConfig } from './device-config.js';
import { NetEventLog } from './net-events.js';
import { type NetNegotiation, netNegotiation } from './negotiation.js';
import type { NetPathEnv } from './path-env.js';
import { NetReceiver } from './rx.js';
import { NetTransmitter } from './tx.js';
import { NetWire, type RxFrameMeta, type RxOutcome, type WireReceiver } from './wire.js';

/** Options of {@link VirtioNetDevice}. */
export interface VirtioNetDeviceOptions {
  /** The link. @default a new NetWire */
  readonly wire?: NetWire;
  /** The net event log. @default a new NetEventLog */
  readonly events?: NetEventLog;
  /** Builds the control state at each DRIVER_OK. @default referenceControl() */
  readonly control?: NetControlFactory;
}

/** What one activation (DRIVER_OK until reset) holds. */
interface Active {
  readonly negotiation: NetNegotiation;
  readonly control: NetControlPort | null;
  readonly tx: NetTransmitter;
  readonly rx: NetReceiver;
  readonly ctrlq: NetControlQueue | null;
}

/** The reference virtio-net device type. */
export class VirtioNetDevice implements VirtioDeviceBackend, WireReceiver {
  readonly deviceId = VIRTIO_ID_NET;
  readonly offeredFeatures: FeatureSet;
  readonly queueMaxSizes: readonly number[];
  readonly configSize: number;
  /** The config space bytes and setters. */
  readonly configSpace: NetConfigSpace;
  readonly wire: NetWire;
  readonly counters: NetCounters;
  readonly events: NetEventLog;
  private context: DeviceContext | null = null;
  private active: Active | null = null;
  private readonly controlFactory: NetControlFactory;

  /** @throws Error when `options.wire` is already connected to another device. */
  constructor(
    /** A configuration from `parseNetDeviceConfig`. */
    readonly config: NetDeviceConfig,
    options: VirtioNetDeviceOptions = {},
  ) {
    this.offeredFeatures = config.features;
    this.configSize = config.configSize;
    // The layout of the whole offer: the most queues any negotiation can use.
    const count = virtqueueCount(config.features, config.maxVirtqueuePairs);
    this.queueMaxSizes = Object.freeze(Array.from({ length: count }, (_, i) => this.queueMaxSize(i, config.features)));
    this.wire = options.wire ?? new NetWire();
    this.events = options.events ?? new NetEventLog();
    this.counters = newNetCounters(count);
    this.controlFactory = options.control ?? referenceControl();
    this.configSpace = new NetConfigSpace(config, config.features);
    this.wire.connect(this);
  }

  /** The negotiation in force, or null while the device is not activated. */
  get negotiation(): NetNegotiation | null {
    return this.active?.negotiation ?? null;
  }

  /** The control state in force (null before DRIVER_OK or without CTRL_VQ). */
  get control(): NetControlPort | null {
    return this.active?.control ?? null;
  }

  /** Receive queue pairs in use (1 without a control state). */
  get activePairs(): number {
    return this.active?.control?.activePairs ?? 1;
  }

  /** See {@link VirtioDeviceBackend.attach}. */
  attach(context: DeviceContext): void {
    this.context = context;
    this.configSpace.connect({
      changed: () => context.configChanged(),
      undefinedRead: () => {
        this.counters.configReadsUndefined++;
      },
      ignoredWrite: (offset, width, value) => {
        this.counters.configWritesIgnored++;
        this.events.emit({ kind: 'config-write-ignored', offset, width, value });
        context.violation('net.cfg.driver.1', `config write of ${width} bytes at ${offset}; the net config is read-only`);
      },
    });
  }

  /**
   * Max size of virtqueue `index` in the layout `negotiated` selects
   * (`net.vq.any.1.device`): the configured rx / tx / ctrl size by the
   * queue's role, 0 for an index that has no role (past 2N, or 2N without
   * CTRL_VQ). See {@link VirtioDeviceBackend.queueMaxSize}.
   */
  queueMaxSize(index: number, negotiated: FeatureSet): number {
    const pairs = queuePairCount(negotiated, this.config.maxVirtqueuePairs);
    const role = netQueueRole(index, pairs, hasFeature(negotiated, VIRTIO_NET_F_CTRL_VQ));
    const sizes = this.config.queueSizes;
    switch (role.kind) {
      case 'receiveq':
        return sizes.rx;
      case 'transmitq':
        return sizes.tx;
      case 'controlq':
        return sizes.ctrl;
      case 'no-such-queue':
        return 0;
    }
  }

  /** See {@link VirtioDeviceBackend.readConfig}. */
  readConfig(offset: number, width: AccessWidth): number {
    return this.configSpace.read(offset, width);
  }

  /** See {@link VirtioDeviceBackend.writeConfig}: ignored (`net.cfg.driver.1`). */
  writeConfig(offset: number, width: AccessWidth, value: number): void {
    this.configSpace.write(offset, width, value);
  }

  /**
   * Net rules on the driver's subset: the MUST rows of the dependency table
   * (`features.driver.2`, `net.featdep.*.driver`), and RING_PACKED when the
   * device is configured for packed rings only (`features.device.3` lets it
   * refuse).
   */
  validateFeatures(driverFeatures: FeatureSet): FeatureValidation {
    const deps = validateNetDependencies(driverFeatures);
    if (deps.kind === 'refuse') return deps;
    if (!this.config.ringFormats.includes('split') && !hasFeature(driverFeatures, VIRTIO_F_RING_PACKED)) {
      return { kind: 'refuse', reason: 'the device takes packed rings only', clauses: ['features.device.3'] };
    }
    return { kind: 'accept' };
  }

  /** DRIVER_OK: build the datapath for `context.features`; one pair is active (`net.ctrl.mq.device.1`). */
  activate(context: DeviceContext): void {
    this.context = context;
    const config = this.config;
    const n = netNegotiation(context.features, config.maxVirtqueuePairs);
    const control = n.ctrlVq ? this.controlFactory(context.features, config, { queueEnabled: (i) => context.queue(i) !== undefined }) : null;
    const env: NetPathEnv = {
      context,
      config: this.configSpace,
      wire: this.wire,
      counters: this.counters,
      events: this.events,
    };
    const mtu = n.mtu ? config.mtu : null;
    this.active = {
      negotiation: n,
      control,
      tx: new NetTransmitter(env, n, { mtu, nonzeroNumBuffers: config.txNonzeroNumBuffers }, control),
      rx: new NetReceiver(env, n, control, { mtu }),
      ctrlq: control === null ? null : new NetControlQueue(env, control),
    };
    if (config.announceOnDriverOk) this.requestAnnounce();
  }

  /** An available-buffer notification: transmitq and controlq are drained; a receiveq needs nothing until a frame comes. */
  notify(queueIndex: number, _notificationData: number): void {
    const a = this.active;
    if (a === null) return;
    const qc = this.counters.queues[queueIndex];
    if (qc !== undefined) qc.notifications++;
    const role = netQueueRole(queueIndex, a.negotiation.pairs, a.negotiation.ctrlVq);
    switch (role.kind) {
      case 'transmitq':
        return a.tx.process(queueIndex);
      case 'controlq':
        return a.ctrlq?.process(queueIndex);
      case 'receiveq':
        return;
      case 'no-such-queue':
        this.counters.notificationsUnknownQueue++;
        this.context?.violation('net.vq.any.1.driver', `notification for virtqueue ${queueIndex}, which has no role with ${a.negotiation.pairs} pair(s)`);
    }
  }

  /** Device reset: the datapath and control state go, config returns to its initial values. */
  reset(): void {
    this.active = null;
    this.configSpace.reset();
  }

  /** Queue reset: receive chains kept for the queue are forgotten (`vqreset.device.2`). */
  resetQueue(index: number): void {
    this.active?.rx.dropHeld(index);
  }

  /** A queue went live again after its reset. */
  queueEnabled(index: number): void {
    this.active?.control?.queueReenabled?.(index);
  }

  /** A frame from the wire (see {@link NetWire.inject}). */
  receive(frame: Uint8Array, meta: RxFrameMeta): RxOutcome {
    const a = this.active;
    if (a === null || this.context?.live !== true) {
      const c = this.counters;
      c.rxDrops++;
      c.rxDropReasons['not-live']++;
      const message = 'the device is not live';
      this.events.emit({ kind: 'rx-drop', queue: -1, reason: 'not-live', clause: null, message });
      return { kind: 'dropped', reason: 'not-live', queue: -1, clause: null, message };
    }
    return a.rx.receive(frame, meta);
  }

  /** Plugs or unplugs the cable: VIRTIO_NET_S_LINK_UP and a config change. */
  setLinkUp(up: boolean): ConfigUpdate {
    return this.configSpace.setLinkUp(up);
  }

  /**
   * Asks the driver to announce itself (after a migration): sets
   * VIRTIO_NET_S_ANNOUNCE with a config change, only when GUEST_ANNOUNCE
   * was negotiated and the device is live (bug D19).
   */
  requestAnnounce(): ConfigUpdate {
    const control = this.active?.control ?? null;
    if (control === null || !control.requestAnnounce()) {
      return { kind: 'refused', clause: null, message: 'VIRTIO_NET_F_GUEST_ANNOUNCE was not negotiated' };
    }
    return this.configSpace.setAnnounce(true);
  }
}
