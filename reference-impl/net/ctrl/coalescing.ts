/**
 * Notification coalescing parameters per data virtqueue (virtio 1.3+
 * 5.1.9.5.7, class VIRTIO_NET_CTRL_NOTF_COAL).
 *
 * Each queue's parameters are whatever was set last, by TX_SET / RX_SET for
 * every queue of that direction or by VQ_SET for one queue
 * (`net.ctrl.coal.any.2`). A queue re-enabled after a queue reset takes the
 * last TX_SET / RX_SET values again, or 0 (`net.ctrl.coal.device.5`,
 * `net.ctrl.coal.device.6`). Reset zeroes everything (`net.ctrl.coal.device.9`).
 * Whether and how the datapath honours them is best effort
 * (`net.ctrl.coal.device.7`); this module only keeps the numbers.
 *
 * @module
 */

/** `struct virtio_net_ctrl_coal` values. 0 in either means notify per packet (`net.ctrl.coal.any.3`). */
export interface CoalescingParams {
  /** `max_packets`. */
  readonly maxPackets: number;
  /** `max_usecs`. */
  readonly maxUsecs: number;
}

/** The all-zero parameters (the state after reset). */
export const NO_COALESCING: CoalescingParams = Object.freeze({ maxPackets: 0, maxUsecs: 0 });

/** Coalescing parameters of the data virtqueues 0..dataQueueCount-1 (even = receiveq, odd = transmitq). */
export class CoalescingTable {
  readonly #maxPackets: Uint32Array;
  readonly #maxUsecs: Uint32Array;
  #tx: CoalescingParams = NO_COALESCING;
  #rx: CoalescingParams = NO_COALESCING;

  /** @param dataQueueCount 2N: every receiveq and transmitq. */
  constructor(dataQueueCount: number) {
    this.#maxPackets = new Uint32Array(dataQueueCount);
    this.#maxUsecs = new Uint32Array(dataQueueCount);
  }

  /** Number of data virtqueues covered. */
  get queueCount(): number {
    return this.#maxPackets.length;
  }

  /** Parameters of the last TX_SET (0 before any). */
  get tx(): CoalescingParams {
    return this.#tx;
  }

  /** Parameters of the last RX_SET (0 before any). */
  get rx(): CoalescingParams {
    return this.#rx;
  }

  /** Effective parameters of data virtqueue `index`, or `undefined` for no such queue. */
  get(index: number): CoalescingParams | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.#maxPackets.length) return undefined;
    return { maxPackets: this.#maxPackets[index] as number, maxUsecs: this.#maxUsecs[index] as number };
  }

  /** TX_SET: every transmitq takes `params`. */
  setAllTx(params: CoalescingParams): void {
    this.#tx = Object.freeze({ ...params });
    for (let i = 1; i < this.#maxPackets.length; i += 2) this.#write(i, params);
  }

  /** RX_SET: every receiveq takes `params`. */
  setAllRx(params: CoalescingParams): void {
    this.#rx = Object.freeze({ ...params });
    for (let i = 0; i < this.#maxPackets.length; i += 2) this.#write(i, params);
  }

  /** VQ_SET: one queue takes `params`. Ignored for an index outside the data queues. */
  setQueue(index: number, params: CoalescingParams): void {
    if (this.get(index) !== undefined) this.#write(index, params);
  }

  /** Queue `index` was reset and enabled again: back to the last TX_SET / RX_SET values. */
  queueReenabled(index: number): void {
    if (this.get(index) !== undefined) this.#write(index, index % 2 === 0 ? this.#rx : this.#tx);
  }

  /** Device reset: everything 0. */
  reset(): void {
    this.#maxPackets.fill(0);
    this.#maxUsecs.fill(0);
    this.#tx = NO_COALESCING;
    this.#rx = NO_COALESCING;
  }

  #write(index: number, params: CoalescingParams): void {
    this.#maxPackets[index] = params.maxPackets;
    this.#maxUsecs[index] = params.maxUsecs;
  }
}
