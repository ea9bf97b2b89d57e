/**
 * The transmit path (virtio 1.4 section 5.1.9.2, device side): take chains
 * from a transmitq, read the header at the negotiated length across any
 * descriptor split, check it against the negotiated features, and send the
 * frame to the wire, or drop and count it. Every chain is returned with
 * used len 0: the device writes nothing into a transmit buffer (bug D13).
 *
 * Decision on `num_buffers` (`net.tx.driver.2`): a nonzero value is counted
 * and reported as a driver violation but, by default, the frame is sent.
 * Linux 6.1 leaves bytes 10..11 unwritten without MRG_RXBUF
 * (linux-driver-facts §3.1), so a device that dropped such frames would
 * reject Linux. `txNonzeroNumBuffers: 'drop'` gives the strict behaviour.
 *
 * @module
 */

import {
  splitGsoType,
  VIRTIO_NET_ETH_HLEN,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_F_RSC_INFO,
  VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP,
  VIRTIO_NET_HDR_GSO_UDP_L4,
} from '../../specs/net/hdr.js';
import type { DeviceQueue } from '../device/device-queue.js';
import { type DeviceChain, readChain } from '../virtqueue/device-chain.js';
import { completeChecksum } from './checksum.js';
import type { NetControlPort } from './control-port.js';
import type { TxDropReason } from './counters.js';
import { decodeNetHdr, emptyNetHdr, type NetHdrFields } from './net-header.js';
import type { NetNegotiation } from './negotiation.js';
import type { NetPathEnv } from './path-env.js';

/** The transmit path's verdict on one header. */
export type TxVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop'; readonly reason: TxDropReason; readonly clause: string | null; readonly message: string };

const ACCEPT: TxVerdict = Object.freeze({ kind: 'accept' });

function drop(reason: TxDropReason, clause: string | null, message: string): TxVerdict {
  return { kind: 'drop', reason, clause, message };
}

/** Limits of {@link validateTxHeader} that come from the device config. */
export interface TxLimits {
  /** The config `mtu` when VIRTIO_NET_F_MTU was negotiated, else null. */
  readonly mtu: number | null;
}

/**
 * Checks a transmit header against the negotiated features before any of
 * its fields is used. Unknown flag bits are ignored (`net.tx.device.1`);
 * csum fields are looked at only with NEEDS_CSUM (`net.tx.device.2`);
 * `hdr_len` is never trusted (`net.tx.device.7`). Refuses: checksum flags
 * without CSUM (`net.tx.driver.3`), receive-only flags (`net.tx.driver.45`),
 * UDP_TUNNEL_CSUM without its feature (`net.tx.driver.22`) or without a
 * tunnel bit (`net.tx.device.11`), GSO types and bits without their HOST_*
 * feature (`net.tx.driver.7`, `.9`, `.11`, `.13`, `.14`, `.17`), malformed
 * tunnel GSO (`net.tx.device.8`, `net.tx.device.10`, `net.tx.driver.24`),
 * GSO without NEEDS_CSUM or with gso_size 0 (`net.tx.driver.32`, `.33`), a
 * checksum position outside the frame (`net.tx.driver.30`, bug D16), and
 * with MTU a non-GSO frame above mtu + 14 (`net.cfg.driver.9`).
 */
export function validateTxHeader(h: Readonly<NetHdrFields>, frameLength: number, n: NetNegotiation, limits: TxLimits): TxVerdict {
  const flags = h.flags;
  const needsCsum = (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0;
  if ((flags & (VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_RSC_INFO)) !== 0) {
    return drop('flags-rx-only', 'net.tx.driver.45', `flags 0x${flags.toString(16)}: DATA_VALID / RSC_INFO are never set on transmit`);
  }
  if (needsCsum && !n.csum) return drop('flags-not-negotiated', 'net.tx.driver.3', 'NEEDS_CSUM without VIRTIO_NET_F_CSUM');
  const tunnelCsum = (flags & VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM) !== 0;
  if (tunnelCsum && !n.hostTunnelCsum) {
    return drop('flags-not-negotiated', 'net.tx.driver.22', 'UDP_TUNNEL_CSUM without VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM');
  }
  const gso = splitGsoType(h.gsoType);
  const base = gso.base;
  if (base !== VIRTIO_NET_HDR_GSO_NONE) {
    const [allowed, clause, name] =
      base === VIRTIO_NET_HDR_GSO_TCPV4
        ? [n.hostTso4, 'net.tx.driver.7', 'TCPV4 without VIRTIO_NET_F_HOST_TSO4']
        : base === VIRTIO_NET_HDR_GSO_TCPV6
          ? [n.hostTso6, 'net.tx.driver.9', 'TCPV6 without VIRTIO_NET_F_HOST_TSO6']
          : base === VIRTIO_NET_HDR_GSO_UDP
            ? [n.hostUfo, 'net.tx.driver.11', 'UDP without VIRTIO_NET_F_HOST_UFO']
            : base === VIRTIO_NET_HDR_GSO_UDP_L4
              ? [n.hostUso, 'net.tx.driver.13', 'UDP_L4 without VIRTIO_NET_F_HOST_USO']
              : [null, null, `gso_type base ${base} is not defined`];
    if (allowed === null) return drop('gso-type-unknown', null, name);
    if (!allowed) return drop('gso-not-negotiated', clause, `gso_type ${name}`);
  }
  if (gso.ecn) {
    if (!n.hostEcn) return drop('gso-not-negotiated', 'net.tx.driver.14', 'GSO_ECN without VIRTIO_NET_F_HOST_ECN');
    if (base !== VIRTIO_NET_HDR_GSO_TCPV4 && base !== VIRTIO_NET_HDR_GSO_TCPV6) {
      return drop('gso-type-unknown', null, 'GSO_ECN applies to TCP segmentation only');
    }
  }
  if (gso.tunnel !== 'none') {
    if (!n.hostTunnel) return drop('gso-not-negotiated', 'net.tx.driver.17', 'tunnel bit without VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO');
    if (gso.tunnel === 'both') return drop('tunnel-invalid', 'net.tx.device.8', 'both UDP tunnel bits set');
    if (base === VIRTIO_NET_HDR_GSO_UDP) return drop('tunnel-invalid', 'net.tx.driver.24', 'tunnel bit with GSO_UDP');
    if (!needsCsum || base === VIRTIO_NET_HDR_GSO_NONE) {
      return drop('tunnel-invalid', 'net.tx.device.10', 'tunnel bit without NEEDS_CSUM or without an inner GSO type');
    }
  } else if (tunnelCsum) {
    return drop('tunnel-invalid', 'net.tx.device.11', 'UDP_TUNNEL_CSUM without a tunnel bit');
  }
  if (base !== VIRTIO_NET_HDR_GSO_NONE) {
    if (!needsCsum) return drop('gso-without-csum', 'net.tx.driver.32', 'GSO packet without NEEDS_CSUM');
    if (h.gsoSize === 0) return drop('gso-size-zero', 'net.tx.driver.33', 'GSO packet with gso_size 0');
  }
  if (needsCsum && h.csumStart + h.csumOffset + 2 > frameLength) {
    return drop(
      'csum-out-of-range',
      'net.tx.driver.30',
      `csum_start ${h.csumStart} + csum_offset ${h.csumOffset} + 2 is beyond the ${frameLength}-byte frame`,
    );
  }
  if (limits.mtu !== null && base === VIRTIO_NET_HDR_GSO_NONE && frameLength > limits.mtu + VIRTIO_NET_ETH_HLEN) {
    return drop('exceeds-mtu', 'net.cfg.driver.9', `non-GSO frame of ${frameLength} bytes above mtu ${limits.mtu} + 14`);
  }
  return ACCEPT;
}

/** Options of {@link NetTransmitter}. */
export interface NetTransmitterOptions extends TxLimits {
  /** What to do with a nonzero transmit `num_buffers`. */
  readonly nonzeroNumBuffers: 'accept' | 'drop';
}

/** The transmit path of one activation of the device. */
export class NetTransmitter {
  private readonly hdrBytes = new Uint8Array(32);
  private readonly hdr = emptyNetHdr();

  constructor(
    private readonly env: NetPathEnv,
    private readonly n: NetNegotiation,
    private readonly options: NetTransmitterOptions,
    private readonly control: NetControlPort | null = null,
  ) {}

  /**
   * Handles an available-buffer notification for transmitq `queueIndex`:
   * drains the ring with notifications suppressed, re-enables them and
   * re-checks so that no buffer added meanwhile is missed (bug D9), then
   * raises one used-buffer notification if the ring engine says one is due
   * (bug D20). A ring error sets DEVICE_NEEDS_RESET (`status.device.2`).
   */
  process(queueIndex: number): void {
    const ctx = this.env.context;
    const queue = ctx.queue(queueIndex);
    if (queue === undefined) return;
    queue.disableNotifications();
    for (;;) {
      for (let chain = queue.pop(); chain !== null; chain = queue.pop()) {
        if (chain.kind === 'ring-error') {
          ctx.fail({ kind: 'ring-error', queue: queueIndex, error: chain });
          return;
        }
        this.handle(queue, queueIndex, chain);
      }
      if (!queue.enableNotifications()) break;
      queue.disableNotifications();
    }
    if (queue.needsNotify()) {
      const qc = this.env.counters.queues[queueIndex];
      if (qc !== undefined) qc.interrupts++;
      ctx.raiseUsedBufferNotification(queueIndex);
    }
  }

  private handle(queue: DeviceQueue, queueIndex: number, chain: DeviceChain): void {
    const env = this.env;
    const mem = env.context.memory;
    const hlen = this.n.hdrLength;
    const readable = chain.readableBytes;
    if (readable < hlen) {
      return this.drop(queue, chain, queueIndex, 'header-short', 'net.tx.driver.1', `${readable} readable bytes, header is ${hlen}`);
    }
    readChain(mem, chain, this.hdrBytes.subarray(0, hlen));
    const h = decodeNetHdr(this.hdrBytes, hlen, this.hdr);
    const frameLength = readable - hlen;
    if (frameLength === 0) return this.drop(queue, chain, queueIndex, 'frame-empty', null, 'chain holds a header and no frame');
    if (frameLength < VIRTIO_NET_ETH_HLEN) {
      return this.drop(queue, chain, queueIndex, 'frame-runt', null, `${frameLength}-byte frame is shorter than an Ethernet header`);
    }
    if (!env.config.linkUp) return this.drop(queue, chain, queueIndex, 'link-down', null, 'link is down');
    const verdict = validateTxHeader(h, frameLength, this.n, this.options);
    if (verdict.kind === 'drop') return this.drop(queue, chain, queueIndex, verdict.reason, verdict.clause, verdict.message);
    if (h.numBuffers !== 0) {
      env.counters.txNumBuffersNonzero++;
      const message = `transmit num_buffers is ${h.numBuffers}, not 0`;
      if (this.options.nonzeroNumBuffers === 'drop') {
        return this.drop(queue, chain, queueIndex, 'num-buffers-nonzero', 'net.tx.driver.2', message);
      }
      env.events.emit({ kind: 'driver-violation', clause: 'net.tx.driver.2', message });
      env.context.violation('net.tx.driver.2', message);
    }
    const pair = queueIndex >>> 1;
    const control = this.control;
    if (control !== null && pair >= (control.txPairs ?? control.activePairs)) this.inactive(queueIndex, control.txPairs ?? control.activePairs);
    const frame = new Uint8Array(frameLength);
    readChain(mem, chain, frame, hlen);
    const needsCsum = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0;
    if (needsCsum) completeChecksum(frame, h.csumStart, h.csumOffset);
    env.wire.transmit(queueIndex, frame, h, needsCsum);
    if (control !== null && this.n.pairs > 1) control.noteTransmit(frame, pair);
    queue.push(chain, 0);
    const c = env.counters;
    c.txPackets++;
    c.txBytes += frameLength;
    const qc = c.queues[queueIndex];
    if (qc === undefined) return;
    qc.packets++;
    qc.bytes += frameLength;
    if (needsCsum) qc.needsCsum++;
    else qc.csumNone++;
    if (h.gsoType !== VIRTIO_NET_HDR_GSO_NONE) {
      qc.gsoPackets++;
      qc.gsoBytes += frameLength;
    }
  }

  /** The device sends the frame anyway; the driver broke the queue-pair limit. */
  private inactive(queueIndex: number, txPairs: number): void {
    const env = this.env;
    env.counters.txInactiveQueue++;
    const clause = txPairs === 1 ? 'net.ctrl.mq.driver.3' : 'net.ctrl.mq.driver.4';
    const message = `frame on transmitq ${(queueIndex >>> 1) + 1} while ${txPairs} pair(s) are in use`;
    env.events.emit({ kind: 'driver-violation', clause, message });
    env.context.violation(clause, message);
  }

  private drop(queue: DeviceQueue, chain: DeviceChain, queueIndex: number, reason: TxDropReason, clause: string | null, message: string): void {
    queue.push(chain, 0);
    const env = this.env;
    const c = env.counters;
    c.txDrops++;
    c.txDropReasons[reason]++;
    const qc = c.queues[queueIndex];
    if (qc !== undefined) {
      qc.drops++;
      if (reason !== 'link-down') qc.dropMalformed++;
    }
    env.events.emit({ kind: 'tx-drop', queue: queueIndex, reason, clause, message });
    if (clause !== null && clause.includes('.driver.')) env.context.violation(clause, message);
  }
}
