/**
 * The slice of the Linux networking core that sits between a user of the
 * interface and virtio-net's `net_device_ops`: `dev_open` / `dev_close`,
 * `dev_queue_xmit` with a qdisc backlog per queue, the flag and address
 * list changes that end in `ndo_set_rx_mode`, `dev_set_mac_address`,
 * `ethtool -K` feature updates, 8021q VLAN registration, XDP attach and the
 * TX watchdog.
 *
 * Stack fallbacks that decide what reaches the driver: a partial checksum
 * is completed in software when TX checksum offload is off
 * (`skb_checksum_help`); a GSO packet whose TSO flag is off would be
 * segmented in software, which is not modelled: it is refused with
 * `gso-unsupported`.
 *
 * @module
 */

import { NETIF_F_ALL_TSO, NETIF_F_HW_CSUM, NETIF_F_HW_VLAN_CTAG_FILTER, NETIF_F_TSO, NETIF_F_TSO6, fixFeatures, type NetifFeature } from './features.js';
import { virtnetNetdevOps as ops } from './net-device-ops.js';
import type { StartXmitResult } from './net-device-ops/start-xmit.js';
import { completeChecksum, type Skb } from './skb.js';
import type { RtnlLinkStats64 } from './stats.js';
import type { VirtnetInfo, XdpProgram } from './virtnet-info.js';

/** Options of {@link NetdevCore}. */
export interface NetdevCoreOptions {
  /** Model the 8021q module: VLAN 0 is added on up and removed on down, when VLAN filtering is on. @default false */
  readonly vlan0OnUp?: boolean;
  /** `txqueuelen`: packets the qdisc holds per stopped queue. @default 1000 */
  readonly txQueueLen?: number;
  /** `dev->watchdog_timeo` in ms. @default 5000 */
  readonly watchdogTimeoMs?: number;
}

/** What `dev_queue_xmit` did with a packet. */
export type DevXmitResult =
  | StartXmitResult
  | { readonly kind: 'backlogged'; readonly queue: number }
  | { readonly kind: 'refused'; readonly reason: 'down' | 'no-carrier' | 'qdisc-full' | 'gso-unsupported' };

/** The netdev layer around one virtio-net device. */
export class NetdevCore {
  /** Packets waiting in the qdisc per TX queue while it is stopped. */
  readonly backlog: Skb[][] = [];
  /** Packets the qdisc dropped because it was full. */
  qdiscDrops = 0;
  private readonly txQueueLen: number;
  private readonly watchdogTimeoMs: number;

  constructor(
    readonly vi: VirtnetInfo,
    private readonly options: NetdevCoreOptions = {},
  ) {
    this.txQueueLen = options.txQueueLen ?? 1000;
    this.watchdogTimeoMs = options.watchdogTimeoMs ?? 5000;
    vi.txWake = (q) => this.scheduleQueue(q);
  }

  private get hasVlanFilter(): boolean {
    return (this.vi.dev.features & NETIF_F_HW_VLAN_CTAG_FILTER) !== 0;
  }

  /** `dev_open`: validate the address, `ndo_open`, IFF_UP, then the RX mode (and VLAN 0 with 8021q). */
  async open(): Promise<number> {
    const vi = this.vi;
    if (vi.dev.up) return 0;
    const bad = ops.ndoValidateAddr(vi);
    if (bad !== 0) return bad;
    const err = await ops.ndoOpen(vi);
    if (err !== 0) return err;
    vi.dev.up = true;
    await ops.ndoSetRxMode(vi);
    if (this.options.vlan0OnUp === true) await this.vlanVidAdd(0);
    return 0;
  }

  /** `dev_close`: `ndo_stop`, clear IFF_UP (and VLAN 0 with 8021q). */
  async close(): Promise<number> {
    const vi = this.vi;
    if (!vi.dev.up) return 0;
    await ops.ndoStop(vi);
    vi.dev.up = false;
    for (const b of this.backlog) if (b !== undefined) b.length = 0;
    if (this.options.vlan0OnUp === true) await this.vlanVidDel(0);
    return 0;
  }

  /** `dev_queue_xmit`: stack fallbacks, qdisc, then `ndo_start_xmit`. */
  async xmit(skb: Skb): Promise<DevXmitResult> {
    const dev = this.vi.dev;
    if (!dev.up || !dev.present) return { kind: 'refused', reason: 'down' };
    if (!dev.carrier) return { kind: 'refused', reason: 'no-carrier' };
    if (skb.gso !== null) {
      const need = skb.gso.type === 'tcpv4' ? NETIF_F_TSO : skb.gso.type === 'tcpv6' ? NETIF_F_TSO6 : 0;
      if (need === 0 || (dev.features & need) === 0) return { kind: 'refused', reason: 'gso-unsupported' };
    }
    if (skb.ipSummed === 'partial' && (dev.features & NETIF_F_HW_CSUM) === 0) {
      completeChecksum(skb.data, skb.csumStart, skb.csumOffset);
      skb.ipSummed = 'none';
    }
    const q = skb.queueMapping % Math.max(1, dev.realNumTxQueues);
    skb.queueMapping = q;
    if (dev.txStopped[q] === true) {
      const b = (this.backlog[q] ??= []);
      if (b.length >= this.txQueueLen) {
        this.qdiscDrops++;
        return { kind: 'refused', reason: 'qdisc-full' };
      }
      b.push(skb);
      return { kind: 'backlogged', queue: q };
    }
    return ops.ndoStartXmit(this.vi, skb);
  }

  /** `__netif_schedule` after a wake: the qdisc sends what it held, until the queue stops again. */
  private scheduleQueue(q: number): void {
    const b = this.backlog[q];
    if (b === undefined || b.length === 0) return;
    this.vi.softirq.defer(async () => {
      while (b.length > 0 && this.vi.dev.txStopped[q] !== true && this.vi.dev.up) {
        await ops.ndoStartXmit(this.vi, b.shift() as Skb);
      }
    });
  }

  /** `dev_set_promiscuity` (on / off), then the RX mode when up. */
  async setPromisc(on: boolean): Promise<void> {
    this.vi.dev.promisc = on;
    if (this.vi.dev.up) await ops.ndoSetRxMode(this.vi);
  }

  /** `dev_set_allmulti`, then the RX mode when up. */
  async setAllmulti(on: boolean): Promise<void> {
    this.vi.dev.allmulti = on;
    if (this.vi.dev.up) await ops.ndoSetRxMode(this.vi);
  }

  /** Replaces the secondary unicast and multicast lists (`dev_uc_sync` / `dev_mc_sync`), then the RX mode when up. */
  async setAddressLists(uc: readonly Uint8Array[], mc: readonly Uint8Array[]): Promise<void> {
    this.vi.dev.uc = uc.map((a) => a.slice(0, 6));
    this.vi.dev.mc = mc.map((a) => a.slice(0, 6));
    if (this.vi.dev.up) await ops.ndoSetRxMode(this.vi);
  }

  /** `dev_set_mac_address`. */
  setMacAddress(mac: Uint8Array): Promise<number> {
    return ops.ndoSetMacAddress(this.vi, mac);
  }

  /** `dev_set_mtu`: within [min_mtu, max_mtu] (virtio-net has no `ndo_change_mtu`). 0 or -EINVAL. */
  setMtu(mtu: number): number {
    const dev = this.vi.dev;
    if (mtu < dev.minMtu || mtu > dev.maxMtu) return -22;
    dev.mtu = mtu;
    return 0;
  }

  /**
   * `ethtool -K`: only `hw_features` bits change; the driver's
   * `ndo_set_features` must accept before the new set is committed.
   */
  async setFeatures(wanted: NetifFeature): Promise<number> {
    const dev = this.vi.dev;
    const next = fixFeatures((dev.features & ~dev.hwFeatures) | (wanted & dev.hwFeatures));
    if (next === dev.features) return 0;
    const err = await ops.ndoSetFeatures(this.vi, next);
    if (err === 0) dev.features = next;
    return err;
  }

  /** 8021q `vlan_vid_add`: the driver hears of it only with VLAN filtering on. */
  async vlanVidAdd(vid: number): Promise<number> {
    this.vi.dev.vlans.add(vid);
    return this.hasVlanFilter ? ops.ndoVlanRxAddVid(this.vi, vid) : 0;
  }

  /** 8021q `vlan_vid_del`. */
  async vlanVidDel(vid: number): Promise<number> {
    this.vi.dev.vlans.delete(vid);
    return this.hasVlanFilter ? ops.ndoVlanRxKillVid(this.vi, vid) : 0;
  }

  /** `dev_xdp_attach` / detach (null). */
  xdp(prog: XdpProgram | null): Promise<number> {
    return ops.ndoBpf(this.vi, prog);
  }

  /** `dev_get_stats`. */
  stats(): RtnlLinkStats64 {
    return ops.ndoGetStats64(this.vi);
  }

  /**
   * `dev_watchdog`: calls `ndo_tx_timeout` for every stopped queue whose
   * last transmit is older than the watchdog time-out. Returns the queues.
   */
  watchdog(nowMs: number = Date.now()): number[] {
    const dev = this.vi.dev;
    const hit: number[] = [];
    if (!dev.up || !dev.carrier || !dev.present) return hit;
    for (let q = 0; q < dev.realNumTxQueues; q++) {
      const since = nowMs - (dev.txTransStart[q] ?? 0);
      if (dev.txStopped[q] === true && since > this.watchdogTimeoMs) {
        ops.ndoTxTimeout(this.vi, q, since);
        hit.push(q);
      }
    }
    return hit;
  }

  /** TSO flags currently on. */
  get tsoEnabled(): NetifFeature {
    return this.vi.dev.features & NETIF_F_ALL_TSO;
  }
}
