/**
 * The receive path (virtio 1.4 section 5.1.9.3 and 5.1.9.4, device side):
 * a frame from the wire is filtered, steered to an active pair, given a
 * header at the negotiated length, and written into the driver's receive
 * buffers.
 *
 * Buffer modes follow the driver: without MRG_RXBUF a frame takes exactly
 * one chain, one segment ("small") or several ("big"); with it, as many
 * chains as needed, each filled completely except the last ("mergeable").
 * Decisions:
 * - a frame that does not fit the next chain without MRG_RXBUF is dropped
 *   and the chain is kept for the next frame, never spread over chains nor
 *   wasted (bug D2); without enough buffers for a mergeable frame the
 *   chains taken so far are kept the same way;
 * - the reference device does not segment: a GSO frame whose GUEST_*
 *   offload is not negotiated or switched off is dropped;
 * - a partial checksum is completed by the device when GUEST_CSUM is off
 *   (`net.rx.device.6`);
 * - a chain too small for the header is returned with used len 0 and
 *   reported (`net.rxbuf.driver.3`).
 *
 * @module
 */

import {
  splitGsoType,
  VIRTIO_NET_ETH_HLEN,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP,
  VIRTIO_NET_HDR_GSO_UDP_L4,
} from '../../specs/net/hdr.js';
import { VIRTIO_NET_HASH_REPORT_NONE } from '../../specs/net/hash.js';
import * as O from '../../specs/net/offloads.js';
import { receiveq } from '../../specs/net/queues.js';
import type { DeviceQueue } from '../device/device-queue.js';
import { type DeviceChain, writeChain } from '../virtqueue/device-chain.js';
import { completeChecksum } from './checksum.js';
import type { NetControlPort } from './control-port.js';
import type { RxDropReason } from './counters.js';
import { clearNetHdr, emptyNetHdr, encodeNetHdr, type NetHdrFields } from './net-header.js';
import type { NetNegotiation } from './negotiation.js';
import type { NetPathEnv } from './path-env.js';
import type { RxFrameMeta, RxOutcome } from './wire.js';

/** Options of {@link NetReceiver}. */
export interface NetReceiverOptions {
  /** The config `mtu` when VIRTIO_NET_F_MTU was negotiated, else null (`net.cfg.device.5`). */
  readonly mtu: number | null;
}

type Offload = { readonly ok: true } | { readonly ok: false; readonly clause: string; readonly message: string };
const OK: Offload = Object.freeze({ ok: true });

/** The receive path of one activation of the device. */
export class NetReceiver {
  private readonly held: DeviceChain[][] = [];
  private readonly heldBy: (DeviceQueue | null)[] = [];
  private readonly hdrBytes = new Uint8Array(32);
  private readonly hdr: NetHdrFields = emptyNetHdr();
  private readonly defaultOffloads: bigint;

  constructor(
    private readonly env: NetPathEnv,
    private readonly n: NetNegotiation,
    private readonly control: NetControlPort | null,
    private readonly options: NetReceiverOptions,
  ) {
    this.defaultOffloads = O.offloadsMask(n.features);
  }

  /** Forgets the chains kept for receiveq `queueIndex` (its queue was reset, `vqreset.device.2`). */
  dropHeld(queueIndex: number): void {
    const list = this.held[queueIndex];
    if (list !== undefined) list.length = 0;
    this.heldBy[queueIndex] = null;
  }

  /**
   * Delivers `frame` to the driver, or drops it with a reason. Checksum and
   * GSO fields appear only for negotiated and enabled GUEST_* offloads
   * (`net.rx.device.5`, `.7` … `.12`, `.26`, `.27`, `.28`, bug D22); the hash
   * only with HASH_REPORT (`net.hash.device.6`); `num_buffers` is 1 without
   * MRG_RXBUF (`net.rx.device.1`) and the number of chains used with it
   * (`net.rx.device.2`, `.3`, `.4`); the header is complete before any chain
   * is marked used (bug D5).
   * @throws RangeError when `meta` is inconsistent (a test bug): GSO without a
   *   partial checksum, a checksum position outside the frame, both tunnel bits.
   */
  receive(frame: Uint8Array, meta: RxFrameMeta): RxOutcome {
    const env = this.env;
    const n = this.n;
    if (!env.config.linkUp) return this.drop(-1, 'link-down', null, 'link is down');
    const gso = meta.gso;
    const csum = meta.csum ?? { kind: 'none' };
    if (csum.kind === 'partial' && csum.start + csum.offset + 2 > frame.length) throw new RangeError('partial checksum outside the frame');
    if (gso !== undefined && csum.kind !== 'partial') throw new RangeError('a GSO frame needs a partial checksum (net.rx.device.27)');
    if (gso === undefined && this.options.mtu !== null && frame.length > this.options.mtu + VIRTIO_NET_ETH_HLEN) {
      return this.drop(-1, 'exceeds-mtu', 'net.cfg.device.5', `${frame.length}-byte frame above mtu ${this.options.mtu} + 14`);
    }
    if (this.control !== null && !this.control.rxFilterAccepts(frame, env.config.mac)) {
      return this.drop(-1, 'filtered', null, 'the RX filter refused the frame');
    }
    const h = clearNetHdr(this.hdr);
    let payload = frame;
    const mask = this.control?.guestOffloads ?? this.defaultOffloads;
    const on = (feature: boolean, maskBit: number) => feature && ((mask >> BigInt(maskBit)) & 1n) === 1n;
    // The offload mask is a bigint: look at it only for frames that carry offload metadata.
    const csumOn = (csum.kind !== 'none' || gso !== undefined) && on(n.guestCsum, O.VIRTIO_NET_OFFLOAD_GUEST_CSUM);
    if (gso !== undefined) {
      const verdict = this.gsoAllowed(gso.type, gso.tunnelCsum === true, csumOn, on);
      if (!verdict.ok) return this.drop(-1, 'offload-not-enabled', verdict.clause, verdict.message);
      h.gsoType = gso.type;
      h.gsoSize = gso.size;
      h.hdrLen = gso.hdrLen;
      h.outerThOffset = gso.outerThOffset ?? 0;
      h.innerNhOffset = gso.innerNhOffset ?? 0;
      if (gso.tunnelCsum === true) h.flags |= VIRTIO_NET_HDR_F_UDP_TUNNEL_CSUM;
    }
    if (csum.kind === 'partial') {
      if (csumOn) {
        h.flags |= VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.csumStart = csum.start;
        h.csumOffset = csum.offset;
      } else {
        payload = frame.slice();
        completeChecksum(payload, csum.start, csum.offset);
      }
    } else if (csum.kind === 'valid' && csumOn) {
      h.flags |= VIRTIO_NET_HDR_F_DATA_VALID;
    }
    const steering = this.control?.steer(frame) ?? { queuePair: 0 };
    if (n.hashReport) {
      h.hashValue = steering.hash?.value ?? 0;
      h.hashReport = steering.hash?.report ?? VIRTIO_NET_HASH_REPORT_NONE;
    }
    const target = this.pickQueue(steering.queuePair);
    if (typeof target === 'string') {
      return target === 'queue-reset'
        ? this.drop(-1, 'queue-reset', 'net.ctrl.rss.device.2', 'RSS steered the frame to a receive queue that is not usable')
        : this.drop(-1, 'no-queue', 'net.ctrl.mq.device.4', 'no receive queue of an active pair is usable');
    }
    return n.mrgRxbuf ? this.placeMergeable(target.queue, target.index, payload) : this.placeSingle(target.queue, target.index, payload);
  }

  private gsoAllowed(type: number, tunnelCsum: boolean, csumOn: boolean, on: (f: boolean, bit: number) => boolean): Offload {
    const n = this.n;
    const g = splitGsoType(type);
    if (g.tunnel === 'both') throw new RangeError('both UDP tunnel bits set');
    if (g.base === 0 || g.base === 2 || g.base > VIRTIO_NET_HDR_GSO_UDP_L4) throw new RangeError(`gso type ${type} has no inner type`);
    const no = (clause: string, message: string): Offload => ({ ok: false, clause, message });
    if (!csumOn) return no('net.rx.device.27', 'a GSO frame needs NEEDS_CSUM, and GUEST_CSUM is off');
    if (g.base === VIRTIO_NET_HDR_GSO_TCPV4 && !on(n.guestTso4, O.VIRTIO_NET_OFFLOAD_GUEST_TSO4)) return no('net.rx.device.7', 'TCPV4 GSO without GUEST_TSO4');
    if (g.base === VIRTIO_NET_HDR_GSO_TCPV6 && !on(n.guestTso6, O.VIRTIO_NET_OFFLOAD_GUEST_TSO6)) return no('net.rx.device.9', 'TCPV6 GSO without GUEST_TSO6');
    if (g.base === VIRTIO_NET_HDR_GSO_UDP && !on(n.guestUfo, O.VIRTIO_NET_OFFLOAD_GUEST_UFO)) return no('net.rx.device.8', 'UDP GSO without GUEST_UFO');
    if (
      g.base === VIRTIO_NET_HDR_GSO_UDP_L4 &&
      !on(n.guestUso4, O.VIRTIO_NET_OFFLOAD_GUEST_USO4) &&
      !on(n.guestUso6, O.VIRTIO_NET_OFFLOAD_GUEST_USO6)
    ) {
      return no('net.rx.device.10', 'UDP_L4 GSO without GUEST_USO4 or GUEST_USO6');
    }
    if (g.ecn && !on(n.guestEcn, O.VIRTIO_NET_OFFLOAD_GUEST_ECN)) return no('net.rx.device.13', 'ECN GSO without GUEST_ECN');
    if (g.tunnel !== 'none' && !on(n.guestTunnel, O.VIRTIO_NET_OFFLOAD_GUEST_UDP_TUNNEL_GSO)) {
      return no('net.rx.device.11', 'tunnel GSO without GUEST_UDP_TUNNEL_GSO');
    }
    if (tunnelCsum && !on(n.guestTunnelCsum, O.VIRTIO_NET_OFFLOAD_GUEST_UDP_TUNNEL_GSO_CSUM)) {
      return no('net.rx.device.25', 'outer checksum offload without GUEST_UDP_TUNNEL_GSO_CSUM');
    }
    return OK;
  }

  /**
   * The receive queue for a steering answer: bounded by the active pairs
   * whatever the answer (bug D8); a queue that is not usable is replaced by
   * another active one (`net.ctrl.mq.device.3`), except under RSS
   * (`net.ctrl.rss.device.2`).
   */
  private pickQueue(asked: number): { queue: DeviceQueue; index: number } | 'queue-reset' | 'no-queue' {
    const env = this.env;
    const active = Math.max(1, Math.min(this.control?.activePairs ?? 1, this.n.pairs));
    let pair = asked;
    if (!(Number.isInteger(pair) && pair >= 0 && pair < active)) {
      pair = Number.isInteger(asked) ? ((asked % active) + active) % active : 0;
      env.counters.rxSteerCorrected++;
      env.events.emit({ kind: 'steer-corrected', asked, used: pair, activePairs: active });
    }
    const first = env.context.queue(receiveq(pair + 1));
    if (first !== undefined) return { queue: first, index: receiveq(pair + 1) };
    if (this.control !== null && this.control.rss !== null && this.control.rss !== undefined) return 'queue-reset';
    for (let k = 1; k < active; k++) {
      const index = receiveq(((pair + k) % active) + 1);
      const queue = env.context.queue(index);
      if (queue !== undefined) {
        env.counters.rxResteered++;
        return { queue, index };
      }
    }
    return 'no-queue';
  }

  private kept(queue: DeviceQueue, index: number): DeviceChain[] {
    let list = this.held[index];
    if (list === undefined) this.held[index] = list = [];
    if (this.heldBy[index] !== queue) {
      list.length = 0;
      this.heldBy[index] = queue;
    }
    return list;
  }

  /** The i-th chain for this frame: a kept one, or a newly popped one (then kept). */
  private chainAt(queue: DeviceQueue, index: number, list: DeviceChain[], i: number): DeviceChain | null | 'ring-error' {
    if (i < list.length) return list[i] as DeviceChain;
    const popped = queue.pop();
    if (popped === null) return null;
    if (popped.kind === 'ring-error') {
      this.env.context.fail({ kind: 'ring-error', queue: index, error: popped });
      return 'ring-error';
    }
    list.push(popped);
    return popped;
  }

  /** The first chain that can hold a header; smaller ones go back with used len 0. */
  private head(queue: DeviceQueue, index: number, list: DeviceChain[]): DeviceChain | null | 'ring-error' {
    const hlen = this.n.hdrLength;
    for (;;) {
      const c = this.chainAt(queue, index, list, 0);
      if (c === null || c === 'ring-error' || c.writableBytes >= hlen) return c;
      list.shift();
      queue.push(c, 0);
      this.env.counters.rxBuffersUnusable++;
      const message = `receive buffer ${c.id} has ${c.writableBytes} writable bytes, less than the ${hlen}-byte header`;
      this.env.events.emit({ kind: 'driver-violation', clause: 'net.rxbuf.driver.3', message });
      this.env.context.violation('net.rxbuf.driver.3', message);
    }
  }

  private placeSingle(queue: DeviceQueue, index: number, frame: Uint8Array): RxOutcome {
    const list = this.kept(queue, index);
    const c = this.head(queue, index, list);
    if (c === 'ring-error') return this.drop(index, 'ring-error', null, 'the receive ring is broken');
    if (c === null) return this.finish(queue, index, this.drop(index, 'no-buffers', null, 'no receive buffer available'));
    const total = this.n.hdrLength + frame.length;
    if (c.writableBytes < total) {
      const message = `${total} bytes do not fit the ${c.writableBytes}-byte buffer and MRG_RXBUF is off`;
      return this.finish(queue, index, this.drop(index, 'buffer-too-small', 'net.rxbuf.device.2', message));
    }
    this.hdr.numBuffers = 1;
    this.writeHeader(c);
    writeChain(this.env.context.memory, c, frame, this.n.hdrLength);
    list.shift();
    queue.push(c, total);
    const counters = this.env.counters;
    if (c.writableCount === 1) counters.rxSmallMode++;
    else counters.rxBigMode++;
    return this.finish(queue, index, this.delivered(index, frame.length, [total]));
  }

  private placeMergeable(queue: DeviceQueue, index: number, frame: Uint8Array): RxOutcome {
    const list = this.kept(queue, index);
    const first = this.head(queue, index, list);
    if (first === 'ring-error') return this.drop(index, 'ring-error', null, 'the receive ring is broken');
    const hlen = this.n.hdrLength;
    const total = hlen + frame.length;
    let room = 0;
    let count = 0;
    while (room < total) {
      const c = this.chainAt(queue, index, list, count);
      if (c === 'ring-error') return this.drop(index, 'ring-error', null, 'the receive ring is broken');
      if (c === null) {
        const message = `${count} buffers with ${room} bytes for a ${total}-byte packet`;
        return this.finish(queue, index, this.drop(index, 'no-buffers', null, message));
      }
      room += c.writableBytes;
      count++;
    }
    this.hdr.numBuffers = count;
    const mem = this.env.context.memory;
    const lengths: number[] = [];
    let done = 0;
    for (let i = 0; i < count; i++) {
      const c = list[i] as DeviceChain;
      const start = i === 0 ? hlen : 0;
      if (i === 0) this.writeHeader(c);
      const take = Math.min(c.writableBytes - start, frame.length - done);
      writeChain(mem, c, frame.subarray(done, done + take), start);
      done += take;
      lengths.push(start + take);
    }
    // Every buffer is written before the first is marked used: they become used together (`net.rx.device.4`).
    for (let i = 0; i < count; i++) queue.push(list[i] as DeviceChain, lengths[i] as number);
    list.splice(0, count);
    const counters = this.env.counters;
    counters.rxMergeableMode++;
    if (count > 1) counters.rxMerged++;
    return this.finish(queue, index, this.delivered(index, frame.length, lengths));
  }

  private writeHeader(c: DeviceChain): void {
    const hlen = this.n.hdrLength;
    encodeNetHdr(this.hdr, hlen, this.hdrBytes);
    writeChain(this.env.context.memory, c, this.hdrBytes.subarray(0, hlen), 0);
  }

  private delivered(index: number, length: number, lengths: number[]): RxOutcome {
    const c = this.env.counters;
    const h = this.hdr;
    c.rxPackets++;
    c.rxBytes += length;
    c.rxBuffersUsed += lengths.length;
    const qc = c.queues[index];
    if (qc !== undefined) {
      qc.packets++;
      qc.bytes += length;
      if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) qc.needsCsum++;
      else if ((h.flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0) qc.csumValid++;
      else qc.csumNone++;
      if (h.gsoType !== 0) {
        qc.gsoPackets++;
        qc.gsoBytes += length;
      }
    }
    this.env.events.emit({ kind: 'rx-deliver', queue: index, length, buffers: lengths.length });
    return { kind: 'delivered', queue: index, buffers: lengths.length, usedLengths: lengths };
  }

  /** Raises a used-buffer notification if chains went back and the engine says one is due. */
  private finish(queue: DeviceQueue, index: number, outcome: RxOutcome): RxOutcome {
    if (queue.needsNotify()) {
      const qc = this.env.counters.queues[index];
      if (qc !== undefined) qc.interrupts++;
      this.env.context.raiseUsedBufferNotification(index);
    }
    return outcome;
  }

  private drop(queue: number, reason: RxDropReason, clause: string | null, message: string): RxOutcome {
    const c = this.env.counters;
    c.rxDrops++;
    c.rxDropReasons[reason]++;
    const qc = queue >= 0 ? c.queues[queue] : undefined;
    if (qc !== undefined) {
      qc.drops++;
      if (reason === 'no-buffers' || reason === 'buffer-too-small') qc.dropOverruns++;
    }
    this.env.events.emit({ kind: 'rx-drop', queue, reason, clause, message });
    return { kind: 'dropped', reason, queue, clause, message };
  }
}

