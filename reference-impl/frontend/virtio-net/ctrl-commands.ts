/**
 * The control commands Linux 6.1 sends and their payload descriptors
 * (linux-driver-facts §2.2, §2.3). Each helper builds the payload entries
 * exactly as the driver's scatterlists are cut, sends through
 * {@link ControlQueue}, logs Linux's warning on failure and returns the
 * outcome. Payload integers are little-endian (VERSION_1; RSS fields in CPU
 * order are the same on x86, bug R9).
 *
 * @module
 */

import {
  VIRTIO_NET_CTRL_ANNOUNCE,
  VIRTIO_NET_CTRL_ANNOUNCE_ACK,
  VIRTIO_NET_CTRL_GUEST_OFFLOADS,
  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
  VIRTIO_NET_CTRL_MAC,
  VIRTIO_NET_CTRL_MAC_ADDR_SET,
  VIRTIO_NET_CTRL_MAC_TABLE_SET,
  VIRTIO_NET_CTRL_MQ,
  VIRTIO_NET_CTRL_MQ_HASH_CONFIG,
  VIRTIO_NET_CTRL_MQ_RSS_CONFIG,
  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
  VIRTIO_NET_CTRL_NOTF_COAL,
  VIRTIO_NET_CTRL_NOTF_COAL_RX_SET,
  VIRTIO_NET_CTRL_NOTF_COAL_TX_SET,
  VIRTIO_NET_CTRL_RX,
  VIRTIO_NET_CTRL_RX_ALLMULTI,
  VIRTIO_NET_CTRL_RX_PROMISC,
  VIRTIO_NET_CTRL_VLAN,
  VIRTIO_NET_CTRL_VLAN_ADD,
  VIRTIO_NET_CTRL_VLAN_DEL,
} from '../../../specs/net/ctrl.js';
import { type CtrlOutcome, ctrlOk } from './control-queue.js';
import { errno } from './constants.js';
import { sendsVqPairsSet } from './probe-decisions.js';
import { klog, type RssState, type VirtnetInfo } from './virtnet-info.js';

/** Sends one command; a missing control queue is Linux's `BUG_ON(!CTRL_VQ)`, reported as `no-cvq`. */
export async function virtnetSendCommand(vi: VirtnetInfo, klass: number, command: number, payload: readonly Uint8Array[] | null): Promise<CtrlOutcome> {
  if (vi.cvq === null) {
    const msg = 'kernel BUG at drivers/net/virtio_net.c:2050 (virtnet_send_command without VIRTIO_NET_F_CTRL_VQ)';
    klog(vi, 'err', msg);
    vi.oops.push(msg);
    return { kind: 'no-cvq' };
  }
  return vi.cvq.send(klass, command, payload);
}

function le16(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

function le32(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

function le64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  for (let i = 0; i < 8; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}

/**
 * `_virtnet_set_queues` (:2184-2208): VQ_PAIRS_SET only with a control
 * queue and MQ; on success `curr_queue_pairs` changes and, when the
 * interface is up, the refill work is scheduled. 0 or -EINVAL.
 */
export async function virtnetSetQueues(vi: VirtnetInfo, queuePairs: number, onRefill?: () => void): Promise<number> {
  if (!vi.hasCvq || !sendsVqPairsSet(vi.vdev.features)) return 0;
  const out = await virtnetSendCommand(vi, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, [le16(queuePairs)]);
  if (!ctrlOk(out)) {
    klog(vi, 'warn', `Fail to set num of queue pairs to ${queuePairs}`);
    return errno.EINVAL;
  }
  vi.currQueuePairs = queuePairs;
  if (vi.dev.up) onRefill?.();
  return 0;
}

/** `virtnet_set_guest_offloads`: GUEST_OFFLOADS_SET with a le64 mask. 0 or -EINVAL. */
export async function virtnetSetGuestOffloads(vi: VirtnetInfo, offloads: bigint): Promise<number> {
  const out = await virtnetSendCommand(vi, VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, [le64(offloads)]);
  if (!ctrlOk(out)) {
    klog(vi, 'warn', 'Fail to set guest offload.');
    return errno.EINVAL;
  }
  return 0;
}

/** `virtnet_clear_guest_offloads`: all off, unless nothing was on; `vi.guestOffloads` is kept. */
export async function virtnetClearGuestOffloads(vi: VirtnetInfo): Promise<number> {
  if (vi.guestOffloads === 0n) return 0;
  return virtnetSetGuestOffloads(vi, 0n);
}

/** `virtnet_restore_guest_offloads`: back to `vi.guestOffloads`. */
export async function virtnetRestoreGuestOffloads(vi: VirtnetInfo): Promise<number> {
  if (vi.guestOffloads === 0n) return 0;
  return virtnetSetGuestOffloads(vi, vi.guestOffloads);
}

/**
 * The four payload descriptors of `virtnet_commit_rss_command`
 * (:2517-2550): 8 bytes hash_types / mask / unclassified_queue; the le16
 * indirection table (RSS_CONFIG, 0 bytes when its size is 0) or the 2-byte
 * `hash_cfg_reserved` (HASH_CONFIG); 3 bytes max_tx_vq / key length; the
 * key (0 bytes when rss_max_key_size is 0, bug R4).
 */
export function rssPayload(rss: RssState, hasRss: boolean, keySize: number): Uint8Array[] {
  const head = new Uint8Array(8);
  head.set(le32(rss.hashTypes), 0);
  head.set(le16(rss.indirectionTableMask), 4);
  head.set(le16(rss.unclassifiedQueue), 6);
  let table: Uint8Array;
  if (hasRss) {
    table = new Uint8Array(2 * rss.indirectionTable.length);
    rss.indirectionTable.forEach((q, i) => table.set(le16(q), 2 * i));
  } else {
    table = new Uint8Array(2);
  }
  const mid = Uint8Array.of(rss.maxTxVq & 0xff, (rss.maxTxVq >>> 8) & 0xff, rss.hashKeyLength & 0xff);
  return [head, table, mid, rss.key.slice(0, keySize)];
}

/** `virtnet_commit_rss_command`: RSS_CONFIG with RSS, else HASH_CONFIG. True on OK. */
export async function virtnetCommitRss(vi: VirtnetInfo): Promise<boolean> {
  const command = vi.hasRss ? VIRTIO_NET_CTRL_MQ_RSS_CONFIG : VIRTIO_NET_CTRL_MQ_HASH_CONFIG;
  const out = await virtnetSendCommand(vi, VIRTIO_NET_CTRL_MQ, command, rssPayload(vi.rss, vi.hasRss, vi.rssKeySize));
  if (ctrlOk(out)) return true;
  klog(vi, 'warn', 'VIRTIONET issue with committing RSS sgs');
  return false;
}

/** `virtnet_ack_link_announce`: ANNOUNCE_ACK with no payload; failure only warns. */
export async function virtnetAckLinkAnnounce(vi: VirtnetInfo): Promise<CtrlOutcome> {
  const out = await virtnetSendCommand(vi, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, null);
  if (!ctrlOk(out)) klog(vi, 'warn', 'Failed to ack link announce.');
  return out;
}

/** MAC_ADDR_SET with the 6 address bytes. */
export async function virtnetMacAddrSet(vi: VirtnetInfo, mac: Uint8Array): Promise<CtrlOutcome> {
  return virtnetSendCommand(vi, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, [mac.slice(0, 6)]);
}

/** RX PROMISC / ALLMULTI with a 1-byte on/off. */
export async function virtnetRxModeCommand(vi: VirtnetInfo, command: typeof VIRTIO_NET_CTRL_RX_PROMISC | typeof VIRTIO_NET_CTRL_RX_ALLMULTI, on: boolean): Promise<CtrlOutcome> {
  return virtnetSendCommand(vi, VIRTIO_NET_CTRL_RX, command, [Uint8Array.of(on ? 1 : 0)]);
}

/**
 * MAC TABLE_SET payload (`virtnet_set_rx_mode` :2268-2303): two descriptors
 * cut from one buffer, each a le32 count followed by its 6-byte entries,
 * unicast first (`net.ctrl.mac.driver.3`).
 */
export function macTablePayload(uc: readonly Uint8Array[], mc: readonly Uint8Array[]): Uint8Array[] {
  const part = (list: readonly Uint8Array[]): Uint8Array => {
    const b = new Uint8Array(4 + 6 * list.length);
    b.set(le32(list.length), 0);
    list.forEach((mac, i) => b.set(mac.subarray(0, 6), 4 + 6 * i));
    return b;
  };
  return [part(uc), part(mc)];
}

/** MAC TABLE_SET. */
export async function virtnetMacTableSet(vi: VirtnetInfo, uc: readonly Uint8Array[], mc: readonly Uint8Array[]): Promise<CtrlOutcome> {
  return virtnetSendCommand(vi, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, macTablePayload(uc, mc));
}

/** VLAN ADD / DEL with a le16 vid. */
export async function virtnetVlanCommand(vi: VirtnetInfo, add: boolean, vid: number): Promise<CtrlOutcome> {
  return virtnetSendCommand(vi, VIRTIO_NET_CTRL_VLAN, add ? VIRTIO_NET_CTRL_VLAN_ADD : VIRTIO_NET_CTRL_VLAN_DEL, [le16(vid)]);
}

/** NOTF_COAL TX_SET or RX_SET: le32 max_packets, then le32 usecs (`virtio_net_ctrl_coal`). */
export async function virtnetCoalCommand(vi: VirtnetInfo, tx: boolean, maxPackets: number, usecs: number): Promise<CtrlOutcome> {
  const p = new Uint8Array(8);
  p.set(le32(maxPackets), 0);
  p.set(le32(usecs), 4);
  return virtnetSendCommand(vi, VIRTIO_NET_CTRL_NOTF_COAL, tx ? VIRTIO_NET_CTRL_NOTF_COAL_TX_SET : VIRTIO_NET_CTRL_NOTF_COAL_RX_SET, [p]);
}
