/**
 * The net device's control-plane state and its control-queue command
 * semantics (virtio 1.4 5.1.9.5): what the driver programmed (receive modes,
 * MAC and VLAN tables, queue pairs, RSS, hash, offloads, coalescing,
 * announce), and the two per-frame questions the datapath asks of it: does
 * the receive filter take this frame, and which queue pair gets it.
 *
 * The chain handling lives in ctrl-queue.ts: it pops a chain, splits class,
 * command and payload from the ack byte, calls {@link
 * NetControlState.handleCommand}, writes the ack and any result, and pushes
 * used len 1 + result length.
 *
 * Points the spec leaves open, and this reference's answer:
 * - Initial receive mode after reset: PROMISC on, every other mode off, as
 *   QEMU's `virtio_net_reset` does. Linux sends PROMISC and ALLMULTI on ifup
 *   when CTRL_RX is negotiated, and without CTRL_RX it cannot program a
 *   filter at all, so delivering everything until told otherwise is the
 *   only choice that never starves a driver. `initialPromisc: false` flips
 *   it. The MAC table is empty (`net.ctrl.mac.device.1`), the VLAN table too
 *   (`net.ctrl.vlan.device.0`).
 * - Ack for a command whose feature was not negotiated, an unknown class or
 *   command, a truncated or oversized payload, an out-of-range value: ERR
 *   (see decode.ts); the state is left as it was. `onMalformed:
 *   'needs-reset'` answers framing errors with DEVICE_NEEDS_RESET instead.
 * - MAC_TABLE_SET bigger than `macTableCapacity`: the overflowing class is
 *   accepted wholesale (the spec's footnote allows falling back to
 *   allmulti / promiscuous; QEMU does this above 64 entries). Default:
 *   no limit, so the filter is exact.
 * - MAC_ADDR_SET takes any 6 bytes.
 * - ANNOUNCE_ACK with no announcement pending: OK, nothing changes (QEMU
 *   answers ERR; both are allowed).
 * - Last command wins between VQ_PAIRS_SET, RSS_CONFIG and HASH_CONFIG
 *   (`net.ctrl.mq.any.4`): VQ_PAIRS_SET switches to automatic steering over
 *   its pairs and keeps the hash parameters (which came from the last
 *   RSS_CONFIG, `net.hash.device.4`); RSS_CONFIG sets steering and hash
 *   parameters; HASH_CONFIG sets the hash parameters and turns RSS steering
 *   off, keeping the pair count (as QEMU does; with RSS negotiated the spec
 *   would take hash types from RSS_CONFIG only, so a check must accept
 *   either).
 * - Active pairs under RSS: max(max_tx_vq, highest receive queue named + 1),
 *   so a steered queue is always an active pair.
 * - HASH_TUNNEL: no tunnel type is supported (inner-header hashing is not
 *   implemented), so only `enabled_tunnel_types = 0` is accepted; the config
 *   space should show {@link REFERENCE_SUPPORTED_TUNNEL_TYPES}.
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_NET_F_CTRL_VLAN, VIRTIO_NET_F_GUEST_ANNOUNCE } from '../../../specs/features/net.js';
import { VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../../specs/net/ctrl.js';
import { offloadsMask } from '../../../specs/net/offloads.js';
import { queuePairCount } from '../../../specs/net/queues.js';
import { formatMac } from '../filter/mac-address.js';
import { type RxFilterState, type RxFilterVerdict, rxFilterVerdict } from '../filter/rx-filter.js';
import { type HashConfig, type RssConfig, rssActivePairs } from '../rss/rss-config.js';
import { FlowSteering, type HashResult, type SteeringDecision, computeHash, rssSteer } from '../rss/steering.js';
import { type CoalescingParams, CoalescingTable } from './coalescing.js';
import { type CtrlCommand, type CtrlDecodeContext, type RxModeName, decodeCtrlCommand } from './decode.js';
import { type NetControlPolicy, type NetDeviceFacts, REFERENCE_SUPPORTED_TUNNEL_TYPES } from './facts.js';
import type { CtrlOutcome } from './outcome.js';

export * from './facts.js';
export * from './outcome.js';

/** Read-only view of the coalescing parameters. */
export interface CoalescingView {
  /** Last TX_SET values. */
  readonly tx: CoalescingParams;
  /** Last RX_SET values. */
  readonly rx: CoalescingParams;
  /** Number of data virtqueues (2N). */
  readonly queueCount: number;
  /** Effective values of data virtqueue `index`. */
  get(index: number): CoalescingParams | undefined;
}

/** Where {@link NetControlState.steerOrDrop} sends a frame. */
export type SteeringOutcome =
  | ({ readonly kind: 'deliver' } & SteeringDecision)
  | { readonly kind: 'drop'; readonly clause: string; readonly hash?: HashResult };

const OK: CtrlOutcome = Object.freeze({ kind: 'ack', ack: VIRTIO_NET_OK });
const NO_HASH: HashConfig = Object.freeze({ hashTypes: 0, key: new Uint8Array(0) });

/** The net device's control-plane state for one negotiation. */
export class NetControlState implements RxFilterState {
  /** The negotiated features. */
  readonly features: FeatureSet;
  /** N: queue pairs that exist (max_virtqueue_pairs with MQ or RSS, else 1). */
  readonly queuePairs: number;
  readonly #facts: NetDeviceFacts;
  readonly #initialPromisc: boolean;
  readonly #macCapacity: number;
  readonly #onMalformed: 'ack-err' | 'needs-reset';
  readonly #ctx: CtrlDecodeContext;
  readonly #modes: Record<RxModeName, boolean> = { promisc: true, allmulti: false, alluni: false, nomulti: false, nouni: false, nobcast: false };
  #unicast: ReadonlySet<number> = new Set();
  #multicast: ReadonlySet<number> = new Set();
  #unicastOverflow = false;
  #multicastOverflow = false;
  readonly #vlans = new Set<number>();
  #mac: Uint8Array;
  #activePairs = 1;
  #txPairs = 1;
  #rss: RssConfig | null = null;
  #hash: HashConfig = NO_HASH;
  #guestOffloads: bigint;
  readonly #coal: CoalescingTable;
  #announcePending = false;
  #tunnelTypes = 0;
  readonly #flows = new FlowSteering();

  /** State after reset for a device with `facts` that negotiated `features`. */
  constructor(features: FeatureSet, facts: NetDeviceFacts, policy: NetControlPolicy = {}) {
    this.features = features;
    this.#facts = facts;
    this.queuePairs = queuePairCount(features, facts.maxVirtqueuePairs);
    this.#initialPromisc = policy.initialPromisc ?? true;
    this.#macCapacity = policy.macTableCapacity ?? Number.POSITIVE_INFINITY;
    this.#onMalformed = policy.onMalformed ?? 'ack-err';
    const dataQueues = 2 * this.queuePairs;
    const queueEnabled = policy.queueEnabled ?? ((i: number) => i >= 0 && i < dataQueues);
    this.#ctx = {
      features,
      littleEndian: hasFeature(features, VIRTIO_F_VERSION_1) || facts.legacyGuestEndian !== 'big',
      strict: policy.strict ?? true,
      queuePairs: this.queuePairs,
      queueEnabled,
      maxKeySize: facts.rssMaxKeySize,
      maxIndirectionTableLength: facts.rssMaxIndirectionTableLength,
      supportedHashTypes: facts.supportedHashTypes,
      supportedTunnelTypes: REFERENCE_SUPPORTED_TUNNEL_TYPES,
    };
    this.#coal = new CoalescingTable(dataQueues);
    this.#mac = facts.mac.slice(0, 6);
    this.#guestOffloads = offloadsMask(features);
    this.reset();
  }

  /** Back to the state after device reset, for the same features. */
  reset(): void {
    for (const m of Object.keys(this.#modes) as RxModeName[]) this.#modes[m] = false;
    this.#modes.promisc = this.#initialPromisc;
    this.#unicast = new Set();
    this.#multicast = new Set();
    this.#unicastOverflow = false;
    this.#multicastOverflow = false;
    this.#vlans.clear();
    this.#mac = this.#facts.mac.slice(0, 6);
    this.#activePairs = 1; // `net.ctrl.mq.device.1`
    this.#txPairs = 1;
    this.#rss = null;
    this.#hash = NO_HASH; // `net.ctrl.hashcfg.any.2`
    this.#guestOffloads = offloadsMask(this.features); // `net.ctrl.offloads.any.1`
    this.#coal.reset(); // `net.ctrl.coal.device.9`
    this.#announcePending = false;
    this.#tunnelTypes = 0; // `net.ctrl.hashtun.device.3`
    this.#flows.clear();
  }

  /** PROMISC. */
  get promisc(): boolean { return this.#modes.promisc; }
  /** ALLMULTI. */
  get allmulti(): boolean { return this.#modes.allmulti; }
  /** ALLUNI. */
  get alluni(): boolean { return this.#modes.alluni; }
  /** NOMULTI. */
  get nomulti(): boolean { return this.#modes.nomulti; }
  /** NOUNI. */
  get nouni(): boolean { return this.#modes.nouni; }
  /** NOBCAST. */
  get nobcast(): boolean { return this.#modes.nobcast; }
  /** Unicast table as 48-bit numbers (filter input). */
  get unicastTable(): ReadonlySet<number> { return this.#unicast; }
  /** Multicast table as 48-bit numbers (filter input). */
  get multicastTable(): ReadonlySet<number> { return this.#multicast; }
  /** Unicast table, `aa:bb:cc:dd:ee:ff`, ascending. */
  get unicastMacs(): readonly string[] { return [...this.#unicast].sort((a, b) => a - b).map(formatMac); }
  /** Multicast table, `aa:bb:cc:dd:ee:ff`, ascending. */
  get multicastMacs(): readonly string[] { return [...this.#multicast].sort((a, b) => a - b).map(formatMac); }
  /** The last unicast table exceeded `macTableCapacity`. */
  get unicastOverflow(): boolean { return this.#unicastOverflow; }
  /** The last multicast table exceeded `macTableCapacity`. */
  get multicastOverflow(): boolean { return this.#multicastOverflow; }
  /** CTRL_VLAN negotiated: tagged frames need a table entry. */
  get vlanFiltering(): boolean { return hasFeature(this.features, VIRTIO_NET_F_CTRL_VLAN); }
  /** VLAN table. */
  get vlans(): ReadonlySet<number> { return this.#vlans; }
  /** The default MAC (config `mac`, or the last MAC_ADDR_SET); a copy. */
  get mac(): Uint8Array { return this.#mac.slice(); }
  /** Queue pairs the device may steer to: 1 after reset, then set by VQ_PAIRS_SET or RSS_CONFIG. */
  get activePairs(): number { return this.#activePairs; }
  /** Transmit queues the driver may use: VQ_PAIRS_SET's count or RSS `max_tx_vq` (`net.ctrl.mq.driver.4`). */
  get txPairs(): number { return this.#txPairs; }
  /** Enabled receive offloads (GUEST_OFFLOADS_SET mask). */
  get guestOffloads(): bigint { return this.#guestOffloads; }
  /** The RSS configuration steering frames, or `null` when RSS steering is off. */
  get rss(): RssConfig | null { return this.#rss; }
  /** Hash types and key for hashing and reporting (types 0 until configured). */
  get hashConfig(): HashConfig { return this.#hash; }
  /** Coalescing parameters. */
  get coalescing(): CoalescingView { return this.#coal; }
  /** VIRTIO_NET_S_ANNOUNCE is set and awaits ANNOUNCE_ACK. */
  get announcePending(): boolean { return this.#announcePending; }
  /** `enabled_tunnel_types` (always 0 here). */
  get enabledTunnelTypes(): number { return this.#tunnelTypes; }

  /**
   * The device asks the driver to announce itself (after a migration). Only
   * with GUEST_ANNOUNCE; returns whether the request stands. The caller sets
   * VIRTIO_NET_S_ANNOUNCE and raises a config change.
   */
  requestAnnounce(): boolean {
    if (!hasFeature(this.features, VIRTIO_NET_F_GUEST_ANNOUNCE)) return false;
    this.#announcePending = true;
    return true;
  }

  /** Queue `index` was reset and enabled again (`net.ctrl.coal.device.5`, `net.ctrl.coal.device.6`). */
  queueReenabled(index: number): void {
    this.#coal.queueReenabled(index);
  }

  /**
   * Executes one command (`net.ctrl.any.1`): `payload` is the data after
   * class and command, `resultRoom` the device-writable bytes after the ack.
   * The effect is complete when this returns, so it precedes the used
   * buffer (`net.ctrl.mac.device.2`, `net.ctrl.mac.device.3`,
   * `net.ctrl.announce.device.1`).
   */
  handleCommand(klass: number, cmd: number, payload: Uint8Array, resultRoom: number): CtrlOutcome {
    const decoded = decodeCtrlCommand(klass, cmd, payload, this.#ctx, resultRoom);
    if (decoded.kind === 'refused') {
      if (decoded.cause === 'malformed' && this.#onMalformed === 'needs-reset') {
        return { kind: 'needs-reset', reason: `malformed control command: ${decoded.reason}` };
      }
      const clause = decoded.clause === null ? {} : { clause: decoded.clause };
      return { kind: 'ack', ack: VIRTIO_NET_ERR, reason: decoded.reason, ...clause };
    }
    return this.#apply(decoded.command);
  }

  #apply(c: CtrlCommand): CtrlOutcome {
    switch (c.kind) {
      case 'rx-mode':
        this.#modes[c.mode] = c.on;
        return OK;
      case 'mac-table-set':
        this.#unicastOverflow = c.tables.unicast.length > this.#macCapacity;
        this.#multicastOverflow = c.tables.multicast.length > this.#macCapacity;
        this.#unicast = new Set(this.#unicastOverflow ? [] : c.tables.unicast);
        this.#multicast = new Set(this.#multicastOverflow ? [] : c.tables.multicast);
        return OK;
      case 'mac-addr-set':
        this.#mac = c.mac.slice();
        return { kind: 'ack', ack: VIRTIO_NET_OK, configEffect: 'mac' };
      case 'vlan-add':
        this.#vlans.add(c.vid);
        return OK;
      case 'vlan-del':
        this.#vlans.delete(c.vid);
        return OK;
      case 'announce-ack':
        if (!this.#announcePending) return OK;
        this.#announcePending = false;
        return { kind: 'ack', ack: VIRTIO_NET_OK, configEffect: 'announce' };
      case 'vq-pairs-set':
        this.#rss = null;
        this.#activePairs = c.pairs;
        this.#txPairs = c.pairs;
        return OK;
      case 'rss-config':
        this.#rss = c.config;
        this.#hash = Object.freeze({ hashTypes: c.config.hashTypes, key: c.config.key });
        this.#activePairs = rssActivePairs(c.config);
        this.#txPairs = c.config.maxTxVq;
        return OK;
      case 'hash-config':
        this.#rss = null;
        this.#hash = c.config;
        return OK;
      case 'guest-offloads-set':
        this.#guestOffloads = c.offloads;
        return OK;
      case 'coal-tx-set':
        this.#coal.setAllTx(c.params);
        return OK;
      case 'coal-rx-set':
        this.#coal.setAllRx(c.params);
        return OK;
      case 'coal-vq-set':
        this.#coal.setQueue(c.queue, c.params);
        return OK;
      case 'coal-vq-get': {
        const p = this.#coal.get(c.queue) ?? { maxPackets: 0, maxUsecs: 0 };
        const result = new Uint8Array(8);
        const view = new DataView(result.buffer);
        view.setUint32(0, p.maxPackets, true);
        view.setUint32(4, p.maxUsecs, true);
        return { kind: 'ack', ack: VIRTIO_NET_OK, result };
      }
      case 'hash-tunnel-set':
        this.#tunnelTypes = c.tunnelTypes;
        return OK;
    }
  }

  /** The filter's verdict on `frame`, with the deciding rule (see rx-filter.ts). */
  rxFilterVerdict(frame: Uint8Array, deviceMac: Uint8Array = this.#mac): RxFilterVerdict {
    return rxFilterVerdict(this, frame, deviceMac);
  }

  /** Whether the receive filter passes `frame`; `deviceMac` defaults to {@link mac}. */
  rxFilterAccepts(frame: Uint8Array, deviceMac: Uint8Array = this.#mac): boolean {
    return rxFilterVerdict(this, frame, deviceMac).kind === 'accept';
  }

  /**
   * The queue pair for an accepted `frame` (0-based, always below
   * {@link activePairs}) and the hash computed for it, if any: RSS steering
   * when RSS_CONFIG was the last MQ command (`net.ctrl.rss.device.1`), else
   * automatic steering over the active pairs (pair 0 after reset,
   * `net.ctrl.mq.device.1`) with the hash from {@link hashConfig}. The
   * datapath writes the hash into the header only with HASH_REPORT, and
   * `hash_report = NONE` when absent (`net.hash.device.6`).
   */
  steer(frame: Uint8Array): SteeringDecision {
    if (this.#rss !== null) return rssSteer(this.#rss, frame);
    const hash = this.#hash.hashTypes === 0 ? null : computeHash(frame, this.#hash.hashTypes, this.#hash.key);
    const queuePair = this.#flows.pick(frame, this.#activePairs);
    return hash === null ? { queuePair } : { queuePair, hash };
  }

  /**
   * {@link steer}, then account for receive queues being reset (`resetting`
   * by pair): under RSS the frame is dropped (`net.ctrl.rss.device.2`);
   * under automatic steering the next active pair not being reset takes it
   * (`net.ctrl.mq.device.3`), and with every pair being reset it is dropped
   * (`net.ctrl.mq.device.4`).
   */
  steerOrDrop(frame: Uint8Array, resetting: (pair: number) => boolean): SteeringOutcome {
    const d = this.steer(frame);
    const hash = d.hash === undefined ? {} : { hash: d.hash };
    if (!resetting(d.queuePair)) return { kind: 'deliver', ...d };
    if (this.#rss !== null) return { kind: 'drop', clause: 'net.ctrl.rss.device.2', ...hash };
    for (let i = 1; i < this.#activePairs; i++) {
      const queuePair = (d.queuePair + i) % this.#activePairs;
      if (!resetting(queuePair)) return { kind: 'deliver', queuePair, ...hash };
    }
    return { kind: 'drop', clause: 'net.ctrl.mq.device.4', ...hash };
  }

  /** The driver transmitted `frame` on transmitq `pair + 1`: steer its replies there (`net.ctrl.mq.device.0d`). */
  noteTransmit(frame: Uint8Array, pair: number): void {
    this.#flows.noteTransmit(frame, pair);
  }
}
