/**
 * The in-process wire: the far side of the reference device's link.
 * Frames the driver transmits arrive here with their header fields; tests
 * inject frames here for the device to receive. Nothing else crosses it, so
 * a check reads exactly what a peer on a real link would see.
 *
 * @module
 */

import type { RxDropReason } from './counters.js';
import type { NetHdrFields } from './net-header.js';

/** A frame that left the device on the wire. */
export interface TxFrameRecord {
  /** Sequence number over the life of the wire, from 0. */
  readonly seq: number;
  /** Virtqueue index of the transmitq it came from. */
  readonly queue: number;
  /** The frame as it left: with NEEDS_CSUM, the checksum completed by the device. */
  readonly frame: Uint8Array;
  /** The virtio header fields as the driver wrote them. */
  readonly header: Readonly<NetHdrFields>;
  /** The device completed a partial checksum (NEEDS_CSUM). */
  readonly checksumCompleted: boolean;
  /**
   * GSO request carried by the frame, or null. The reference device does
   * not segment: the frame leaves as one super-frame with this metadata.
   */
  readonly gso: { readonly type: number; readonly size: number; readonly hdrLen: number } | null;
}

/** Checksum state of a frame injected for receive. */
export type RxChecksum =
  /** Nothing known: the driver must verify (flags 0). */
  | { readonly kind: 'none' }
  /** Already verified: DATA_VALID when GUEST_CSUM is on (`net.rx.device.32`). */
  | { readonly kind: 'valid' }
  /**
   * Partial: the field at `start + offset` holds the pseudo-header sum.
   * NEEDS_CSUM when GUEST_CSUM is on (`net.rx.device.17`), else the device
   * completes it first (`net.rx.device.6`).
   */
  | { readonly kind: 'partial'; readonly start: number; readonly offset: number };

/** Offload metadata of a frame injected for receive (what a host stack would hand the device). */
export interface RxFrameMeta {
  /** @default { kind: 'none' } */
  readonly csum?: RxChecksum;
  /**
   * A GSO super-frame: `type` is a `VIRTIO_NET_HDR_GSO_*` value with any
   * ECN / tunnel bits, `size` the MSS. Needs `csum` partial (`net.rx.device.27`).
   */
  readonly gso?: {
    readonly type: number;
    readonly size: number;
    readonly hdrLen: number;
    /** Tunnel GSO: outer transport header offset. */
    readonly outerThOffset?: number;
    /** Tunnel GSO: inner network header offset. */
    readonly innerNhOffset?: number;
    /** Tunnel GSO: the outer UDP checksum needs completing (UDP_TUNNEL_CSUM). */
    readonly tunnelCsum?: boolean;
  };
}

/** What became of an injected frame. */
export type RxOutcome =
  | {
      readonly kind: 'delivered';
      /** Virtqueue index of the receiveq. */
      readonly queue: number;
      /** Buffers used (the `num_buffers` written). */
      readonly buffers: number;
      /** Used length of each buffer, in order. */
      readonly usedLengths: readonly number[];
    }
  | {
      readonly kind: 'dropped';
      readonly reason: RxDropReason;
      /** Receive queue chosen before the drop, or −1. */
      readonly queue: number;
      /** Clause behind the drop, if any. */
      readonly clause: string | null;
      readonly message: string;
    };

/** The device side of the wire. */
export interface WireReceiver {
  /** Handles one frame from the wire. */
  receive(frame: Uint8Array, meta: RxFrameMeta): RxOutcome;
}

/** Options of {@link NetWire}. */
export interface NetWireOptions {
  /** Keep transmitted frames in {@link NetWire.sent}. @default true */
  readonly record?: boolean;
  /** Most frames kept; the oldest are discarded beyond it. @default 100000 */
  readonly capacity?: number;
}

const NOT_CONNECTED: RxOutcome = Object.freeze({
  kind: 'dropped',
  reason: 'not-live',
  queue: -1,
  clause: null,
  message: 'no device is connected to the wire',
});

/** One link between the reference device and the test. */
export class NetWire {
  private readonly frames: TxFrameRecord[] = [];
  private readonly txListeners = new Set<(record: TxFrameRecord) => void>();
  private readonly rxListeners = new Set<(frame: Uint8Array, outcome: RxOutcome) => void>();
  private receiver: WireReceiver | null = null;
  private seq = 0;
  private readonly record: boolean;
  private readonly capacity: number;

  constructor(options: NetWireOptions = {}) {
    this.record = options.record ?? true;
    this.capacity = options.capacity ?? 100_000;
  }

  /** Frames transmitted so far (oldest first, up to the capacity). */
  get sent(): readonly TxFrameRecord[] {
    return this.frames;
  }

  /** Total frames transmitted over the life of the wire. */
  get transmitted(): number {
    return this.seq;
  }

  /** Returns the recorded frames and forgets them. */
  take(): TxFrameRecord[] {
    return this.frames.splice(0, this.frames.length);
  }

  /** Calls `listener` for every transmitted frame; returns its remover. */
  onTransmit(listener: (record: TxFrameRecord) => void): () => void {
    this.txListeners.add(listener);
    return () => {
      this.txListeners.delete(listener);
    };
  }

  /** Calls `listener` with every injected frame and its outcome; returns its remover. */
  onReceive(listener: (frame: Uint8Array, outcome: RxOutcome) => void): () => void {
    this.rxListeners.add(listener);
    return () => {
      this.rxListeners.delete(listener);
    };
  }

  /**
   * Sends `frame` towards the device. Delivery is synchronous: the outcome
   * says which queue and buffers took it, or why it was dropped. The frame
   * is copied; the caller may reuse it.
   */
  inject(frame: Uint8Array, meta: RxFrameMeta = {}): RxOutcome {
    const outcome = this.receiver === null ? NOT_CONNECTED : this.receiver.receive(frame, meta);
    for (const listener of this.rxListeners) listener(frame, outcome);
    return outcome;
  }

  /** @internal Connects the device; returns the disconnect function. */
  connect(receiver: WireReceiver): () => void {
    if (this.receiver !== null) throw new Error('a device is already connected to this wire');
    this.receiver = receiver;
    return () => {
      if (this.receiver === receiver) this.receiver = null;
    };
  }

  /** @internal Called by the device for every frame it transmits. */
  transmit(queue: number, frame: Uint8Array, header: Readonly<NetHdrFields>, checksumCompleted: boolean): TxFrameRecord {
    const gso = header.gsoType === 0 ? null : { type: header.gsoType, size: header.gsoSize, hdrLen: header.hdrLen };
    const record: TxFrameRecord = Object.freeze({ seq: this.seq++, queue, frame, header: Object.freeze({ ...header }), checksumCompleted, gso });
    if (this.record) {
      if (this.frames.length >= this.capacity) this.frames.shift();
      this.frames.push(record);
    }
    for (const listener of this.txListeners) listener(record);
    return record;
  }
}
