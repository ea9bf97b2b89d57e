/**
 * The front end's state: Linux `struct virtnet_info` with its receive and
 * send queues, and the slice of `struct net_device` virtio-net reads and
 * writes (MTU, MAC, flags, address lists, features, carrier, queue states).
 *
 * @module
 */

import type { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import type { DriverVirtqueue, VirtioDevice } from '../virtio/virtio-config-ops.js';
import type { ControlQueue } from './control-queue.js';
import type { NetifFeature, VirtnetModuleParams } from './features.js';
import type { Napi, Softirq } from './napi.js';
import type { RxMode } from './probe-decisions.js';
import type { RxBufferPool } from './rx-buffers.js';
import type { Skb } from './skb.js';
import type { NetdevErrorStats, RqStats, SqStats } from './stats.js';
import type { TxArena } from './tx.js';

/** One kernel log line (`dev_warn`, `dev_err`, `netdev_err`, `pr_debug`). */
export interface LogEntry {
  readonly level: 'err' | 'warn' | 'info' | 'debug';
  readonly message: string;
}

/** An XDP program: what it does with one received frame (modifying `frame` in place is allowed). */
export type XdpAction = 'pass' | 'drop' | 'tx' | 'aborted' | 'redirect';

/** A model of an attached BPF program. */
export type XdpProgram = (frame: Uint8Array, rxQueue: number) => XdpAction;

/** The net_device side the driver manipulates. */
export interface NetDevice {
  /** Interface name, for logs. */
  name: string;
  mtu: number;
  minMtu: number;
  maxMtu: number;
  /** `dev->dev_addr`. */
  devAddr: Uint8Array;
  /** How the MAC was assigned: from config space, at random, or set by the user. */
  addrAssignType: 'perm' | 'random' | 'set';
  /** IFF_UP: `ndo_open` ran. */
  up: boolean;
  /** IFF_PROMISC. */
  promisc: boolean;
  /** IFF_ALLMULTI. */
  allmulti: boolean;
  /** Secondary unicast addresses (`dev->uc`). */
  uc: Uint8Array[];
  /** Multicast addresses (`dev->mc`). */
  mc: Uint8Array[];
  features: NetifFeature;
  hwFeatures: NetifFeature;
  vlanFeatures: NetifFeature;
  /** `dev->needed_headroom`: the header length with any_header_sg. */
  neededHeadroom: number;
  /** Carrier (link) state. */
  carrier: boolean;
  realNumTxQueues: number;
  realNumRxQueues: number;
  /** Per TX queue: stopped by the driver (`netif_stop_subqueue`). */
  txStopped: boolean[];
  /** Per TX queue: time of the last transmit, for the watchdog (`txq->trans_start`, ms). */
  txTransStart: number[];
  /** `netif_device_present`: false between freeze and restore. */
  present: boolean;
  /** Times `netdev_notify_peers` ran (gratuitous ARP / NA after an announce). */
  peerNotifications: number;
  /** VLAN ids registered through `ndo_vlan_rx_add_vid`. */
  vlans: Set<number>;
  /** `dev->stats` counters. */
  stats: NetdevErrorStats;
  /** The netdev is registered (between probe and remove). */
  registered: boolean;
}

/** A transmitted buffer the device has not completed yet. */
export interface TxInflight {
  /** The packet (null for an XDP frame). */
  readonly skb: Skb | null;
  /** Frame bytes, for the byte counters. */
  readonly len: number;
  /** Arena block(s) to free on completion. */
  readonly blocks: readonly number[];
  /** An XDP_TX / ndo_xdp_xmit frame. */
  readonly xdp: boolean;
}

/** `struct receive_queue`. */
export interface ReceiveQueue {
  /** Pair number (0-based). */
  readonly index: number;
  vq: DriverVirtqueue<number>;
  pool: RxBufferPool;
  stats: RqStats;
  napi: Napi;
  /** `rq->mrg_avg_pkt_len` EWMA internal value (precision 0, weight 1/64). */
  mrgAvgPktLen: number;
  /** `rq->min_buf_len`, mergeable only. */
  minBufLen: number;
  /** Attached XDP program, or null. */
  xdpProg: XdpProgram | null;
}

/** `struct send_queue`. */
export interface SendQueue {
  readonly index: number;
  vq: DriverVirtqueue<number>;
  arena: TxArena;
  /** In-flight buffers by token. */
  inflight: (TxInflight | undefined)[];
  /** Free token numbers. */
  freeTokens: number[];
  stats: SqStats;
  napi: Napi;
}

/** `struct virtnet_info` (only what the model needs). */
export interface VirtnetInfo {
  readonly vdev: VirtioDevice;
  readonly dev: NetDevice;
  readonly memory: GuestMemory;
  readonly allocator: GuestAllocator;
  readonly softirq: Softirq;
  readonly params: Required<VirtnetModuleParams>;
  /** `num_online_cpus()`. */
  readonly onlineCpus: number;
  /** Kernel log lines, oldest first. */
  readonly log: LogEntry[];
  /** Where Linux would have crashed (`BUG_ON`): the guest is gone from here on in Linux. */
  readonly oops: string[];
  /** Packets handed to the stack (`napi_gro_receive`). */
  readonly delivered: Skb[];
  /** Optional sink called for every delivered packet. */
  rxHandler: ((skb: Skb) => void) | null;
  /** Called when a stopped TX queue is woken, so the qdisc can restart it. */
  txWake: ((q: number) => void) | null;
  sq: SendQueue[];
  rq: ReceiveQueue[];
  cvq: ControlQueue | null;
  maxQueuePairs: number;
  currQueuePairs: number;
  xdpQueuePairs: number;
  xdpEnabled: boolean;
  hdrLen: number;
  anyHeaderSg: boolean;
  rxMode: RxMode;
  mergeableRxBufs: boolean;
  bigPackets: boolean;
  bigPacketsNumSkbfrags: number;
  hasCvq: boolean;
  hasRss: boolean;
  hasRssHashReport: boolean;
  rssKeySize: number;
  rssIndirTableSize: number;
  rssHashTypesSupported: number;
  rssHashTypesSaved: number;
  /** The in-memory RSS command (`vi->ctrl->rss`). */
  rss: RssState;
  /** Negotiated guest offloads currently meant to be on (`vi->guest_offloads`). */
  guestOffloads: bigint;
  guestOffloadsCapable: bigint;
  /** Link status as last read (`vi->status`, 0 initially). */
  status: number;
  /** ethtool speed (u32, SPEED_UNKNOWN) and duplex. */
  speed: number;
  duplex: number;
  rxUsecs: number;
  txUsecs: number;
  rxMaxPackets: number;
  txMaxPackets: number;
  /** `vi->refill_enabled`. */
  refillEnabled: boolean;
  /** Receive queues waiting for the delayed refill work. */
  refillPending: Set<number>;
  /** Config-change work is pending (`config_work` scheduled). */
  configWorkPending: boolean;
}

/** `struct virtio_net_ctrl_rss` as the driver keeps it (:182-192). */
export interface RssState {
  hashTypes: number;
  indirectionTableMask: number;
  unclassifiedQueue: number;
  indirectionTable: Uint16Array;
  maxTxVq: number;
  hashKeyLength: number;
  key: Uint8Array;
}

/** Adds a log line. */
export function klog(vi: { readonly log: LogEntry[] }, level: LogEntry['level'], message: string): void {
  vi.log.push({ level, message });
}

/** `netif_tx_wake_queue`: clears the stop and restarts the qdisc when it was stopped. */
export function netifWakeSubqueue(vi: VirtnetInfo, q: number): void {
  if (vi.dev.txStopped[q] !== true) return;
  vi.dev.txStopped[q] = false;
  vi.txWake?.(q);
}

/** `netif_stop_subqueue`. */
export function netifStopSubqueue(vi: VirtnetInfo, q: number): void {
  vi.dev.txStopped[q] = true;
}

/** `netif_tx_wake_all_queues`. */
export function netifTxWakeAllQueues(vi: VirtnetInfo): void {
  for (let q = 0; q < vi.dev.txStopped.length; q++) netifWakeSubqueue(vi, q);
}

/** `netif_tx_stop_all_queues`. */
export function netifTxStopAllQueues(vi: VirtnetInfo): void {
  for (let q = 0; q < vi.dev.txStopped.length; q++) vi.dev.txStopped[q] = true;
}
