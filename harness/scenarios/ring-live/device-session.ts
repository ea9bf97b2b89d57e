/**
 * A device under test brought up by the harness's own minimal virtio-net
 * driver, with one receiveq and one transmitq watched by the ring
 * observers: the subject of the device-side ring checks.
 *
 * The harness driver is the reference front end's transport driver and
 * virtio core (`bindTransportDriver`, `VirtioDriverDevice`) with a tiny
 * device driver that sets up receiveq1 and transmitq1 with small rings (so
 * both sides wrap often) and keeps only the ring features a scenario asks
 * for. Every operation keeps the observer contract (`ring-observer.ts`):
 * - the driver side's writes are checkpointed before the device runs;
 * - a kick is reported to the observers before the notification register
 *   is written, and the device's work on it ends with `afterDeviceStep`;
 * - a used-buffer interrupt is reported from the register seam's interrupt
 *   listener, synchronously, while the device is still in its step;
 * - interrupts are acknowledged (the transport driver's handler runs) before
 *   the next device step, so a level-triggered line shows every new one.
 *
 * @module
 */

import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC } from '../../../specs/features/reserved.js';
import {
  PVIRTQ_EVENT_SUPPRESS_SIZE,
  pvirtqDescRingSize,
  virtqAvailRingSize,
  virtqDescTableSize,
  virtqUsedRingSize,
} from '../../../specs/virtqueue/index.js';
import type { VirtqueueHandle } from '../../../reference-impl/frontend/virtio/driver-virtqueue.js';
import type { VirtioDriverDevice } from '../../../reference-impl/frontend/virtio/virtio-driver-device.js';
import type { RingFormat } from '../../../reference-impl/virtqueue/index.js';
import type { DeviceUnderTest } from '../../adapters/contract.js';
import type { RingFinding } from '../../observers/index.js';
import type { QueueObservers } from './queue-observers.js';

/** receiveq1 and transmitq1 (`net.vq.any.1.device`). */
export const RX_QUEUE = 0;
/** transmitq1. */
export const TX_QUEUE = 1;
/** Header length with VERSION_1 and neither HASH_REPORT nor tunnel features (`virtio_net_hdr_v1`). */
export const NET_HDR_LEN = 12;
/** Bytes per buffer slot: a header and a full Ethernet frame. */
export const SLOT_BYTES = 2048;
/** Largest frame a receive buffer takes. */
export const MAX_FRAME = SLOT_BYTES - NET_HDR_LEN;

/** What a scenario wants negotiated; bits the device does not offer are simply not negotiated. */
export interface DeviceSessionOptions {
  readonly ring: RingFormat;
  /** Keep VIRTIO_F_EVENT_IDX when offered. */
  readonly eventIdx: boolean;
  /** Keep VIRTIO_F_INDIRECT_DESC when offered. */
  readonly indirect: boolean;
  /** Keep VIRTIO_F_IN_ORDER when offered (Linux never does). @default false */
  readonly inOrder?: boolean;
  /** Keep VIRTIO_NET_F_MRG_RXBUF when offered. @default false */
  readonly mergeable?: boolean;
  /** Ring size cap (the driver may program less than the device maximum). @default 8 */
  readonly queueSize?: number;
  /** Records one line of the run (ring and transport steps) for a failure report. */
  readonly trace?: (line: string) => void;
}

/** Why a session could not be opened. */
export type SessionRefusal =
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

/** Probes the device again with the harness driver; the queues it set up, or why not. */
export type Reprobe = () => Promise<readonly VirtqueueHandle<number>[] | SessionRefusal>;

/** A brought-up device with its receiveq and transmitq watched. */
export class DeviceSession {
  /** Negotiated features. */
  features: bigint;
  readonly observers: QueueObservers;
  rx: VirtqueueHandle<number>;
  tx: VirtqueueHandle<number>;
  /** Buffers the driver side holds free, by queue: slot numbers. */
  #free: [number[], number[]];
  readonly #slotBase: [number, number];
  readonly #reprobe: Reprobe;
  #interrupts = 0;

  constructor(
    readonly device: DeviceUnderTest,
    readonly vdev: VirtioDriverDevice,
    vqs: readonly VirtqueueHandle<number>[],
    observers: QueueObservers,
    reprobe: Reprobe,
    private readonly log: (line: string) => void,
  ) {
    this.features = vdev.features;
    this.observers = observers;
    this.rx = vqs[0] as VirtqueueHandle<number>;
    this.tx = vqs[1] as VirtqueueHandle<number>;
    this.#reprobe = reprobe;
    const alloc = device.memory.allocator;
    this.#slotBase = [alloc.alloc(this.rx.size * SLOT_BYTES, 64), alloc.alloc(this.tx.size * SLOT_BYTES, 64)];
    this.#free = [range(this.rx.size), range(this.tx.size)];
  }

  /**
   * Resets the device and brings it up again with the same driver, rings
   * and buffer memory (the spec's way out of DEVICE_NEEDS_RESET,
   * `status.device.2`), with fresh observers. Null when it came up again.
   */
  async reopen(): Promise<SessionRefusal | null> {
    this.log('reset the device and probe it again');
    const reset = await this.vdev.resetDevice();
    if (reset.kind !== 'ok') return { kind: 'failed', reason: `reset failed: ${reset.message}` };
    await this.vdev.delVqs();
    this.observers.detachAll();
    const vqs = await this.#reprobe();
    if ('kind' in vqs) return vqs;
    this.rx = vqs[0] as VirtqueueHandle<number>;
    this.tx = vqs[1] as VirtqueueHandle<number>;
    this.features = this.vdev.features;
    this.#free = [range(this.rx.size), range(this.tx.size)];
    return null;
  }

  /** Ring format of both queues. */
  get format(): RingFormat {
    return this.rx.format;
  }
  /** VIRTIO_F_EVENT_IDX negotiated. */
  get eventIdx(): boolean {
    return hasFeature(this.features, VIRTIO_F_EVENT_IDX);
  }
  /** VIRTIO_F_INDIRECT_DESC negotiated. */
  get indirect(): boolean {
    return hasFeature(this.features, VIRTIO_F_INDIRECT_DESC);
  }
  /** Used-buffer interrupts seen at the register seam. */
  get interrupts(): number {
    return this.#interrupts;
  }

  /** The queue handle of `queue` (RX_QUEUE or TX_QUEUE). */
  vq(queue: number): VirtqueueHandle<number> {
    return queue === RX_QUEUE ? this.rx : this.tx;
  }

  /** Free buffer slots of `queue`. */
  freeSlots(queue: number): number {
    return (this.#free[queue === RX_QUEUE ? 0 : 1] as number[]).length;
  }

  /** Called by the interrupt listener (see `openDeviceSession`). */
  noteInterrupt(): void {
    this.#interrupts++;
  }

  /** Guest address of buffer slot `slot` of `queue`. */
  slotAddr(queue: number, slot: number): number {
    return (this.#slotBase[queue === RX_QUEUE ? 0 : 1] as number) + slot * SLOT_BYTES;
  }

  /**
   * Queues one frame on the transmitq: a zeroed header and the frame, as one
   * segment or as header and frame segments. False when no slot or ring
   * space is left.
   */
  async addTx(frame: Uint8Array, segments: 1 | 2): Promise<boolean> {
    const slot = this.#take(TX_QUEUE);
    if (slot === undefined) return false;
    const addr = this.slotAddr(TX_QUEUE, slot);
    const mem = this.device.memory;
    mem.view.fill(addr, NET_HDR_LEN, 0);
    mem.view.writeBytes(addr + NET_HDR_LEN, frame);
    await mem.push(addr, NET_HDR_LEN + frame.length);
    const st = this.tx.stage;
    st.clear();
    if (segments === 1) st.out(addr, NET_HDR_LEN + frame.length);
    else {
      st.out(addr, NET_HDR_LEN);
      st.out(addr + NET_HDR_LEN, frame.length);
    }
    return this.#added(TX_QUEUE, slot, this.tx.add(slot).kind === 'added', `tx add slot ${slot}: ${frame.length}-byte frame in ${segments} segment(s)`);
  }

  /** Posts one receive buffer of a full slot, as one segment or as header and data segments. */
  addRx(segments: 1 | 2): boolean {
    const slot = this.#take(RX_QUEUE);
    if (slot === undefined) return false;
    const addr = this.slotAddr(RX_QUEUE, slot);
    const st = this.rx.stage;
    st.clear();
    if (segments === 1) st.in(addr, SLOT_BYTES);
    else {
      st.in(addr, NET_HDR_LEN);
      st.in(addr + NET_HDR_LEN, SLOT_BYTES - NET_HDR_LEN);
    }
    return this.#added(RX_QUEUE, slot, this.rx.add(slot).kind === 'added', `rx add slot ${slot} in ${segments} segment(s)`);
  }

  #take(queue: number): number | undefined {
    const slot = (this.#free[queue === RX_QUEUE ? 0 : 1] as number[]).pop();
    if (slot === undefined) this.log(`no free ${queue === RX_QUEUE ? 'receive' : 'transmit'} buffer`);
    return slot;
  }

  #added(queue: number, slot: number, added: boolean, what: string): boolean {
    if (!added) {
      (this.#free[queue === RX_QUEUE ? 0 : 1] as number[]).push(slot);
      this.log(`${what}: no ring space`);
      return false;
    }
    this.log(what);
    return true;
  }

  /**
   * Ends a driver batch on `queue`: checkpoint, the kick decision, the kick
   * (during which the device runs), then the device's and the driver's step
   * ends. Returns whether a notification was sent.
   */
  async kick(queue: number): Promise<boolean> {
    const vq = this.vq(queue);
    this.observers.checkpoint('driver');
    const needed = vq.kickPrepare();
    if (needed) {
      this.observers.driverNotify(queue, vq.notificationData ? vq.notificationWord() : undefined);
      this.log(`kick queue ${queue}`);
      await vq.notify();
    } else {
      this.log(`kick queue ${queue} suppressed by the device`);
    }
    await this.#deviceStepDone();
    this.observers.afterDriverStep();
    return needed;
  }

  /**
   * Notifies `queue` whatever the device's suppression says (a driver may
   * always notify, `split.asupp.device.5`), for scripted drivers that
   * bypass the ring engine; the device's work ends with `afterDeviceStep`.
   */
  async notify(queue: number): Promise<void> {
    this.observers.checkpoint('driver');
    this.observers.driverNotify(queue);
    this.log(`notify queue ${queue}`);
    await this.vq(queue).notify();
    await this.#deviceStepDone();
  }

  /** Hands `frame` to the device's wire; the device's receive work ends with `afterDeviceStep`. */
  async inject(frame: Uint8Array): Promise<void> {
    this.observers.checkpoint('driver');
    this.log(`inject ${frame.length}-byte frame`);
    await this.device.wire.inject(frame);
    await this.#deviceStepDone();
  }

  async #deviceStepDone(): Promise<void> {
    await this.#pullDeviceWrites();
    this.observers.afterDeviceStep();
    // Let the transport driver acknowledge what was raised, so the next device step shows afresh.
    await this.vdev.config.synchronizeCbs();
    this.observers.checkpoint('driver');
  }

  /**
   * Makes what the device may have written visible to the observers: both
   * rings and all buffer slots (a no-op in process). An interrupt that
   * arrives while the device runs is judged on memory as pulled before the
   * step; across a process boundary only the step end sees its writes.
   */
  async #pullDeviceWrites(): Promise<void> {
    const mem = this.device.memory;
    for (const vq of [this.rx, this.tx]) {
      const l = vq.layout;
      const [desc, driver, device] = vq.format === 'split' ? [virtqDescTableSize(l.size), virtqAvailRingSize(l.size), virtqUsedRingSize(l.size)] : [pvirtqDescRingSize(l.size), PVIRTQ_EVENT_SUPPRESS_SIZE, PVIRTQ_EVENT_SUPPRESS_SIZE];
      await mem.pull(l.descAddr, desc);
      await mem.pull(l.driverAddr, driver);
      await mem.pull(l.deviceAddr, device);
      await mem.pull(this.slotAddr(vq.index, 0), vq.size * SLOT_BYTES);
    }
  }

  /** Collects every used buffer of `queue`, recycling its slot; returns how many. */
  async reap(queue: number): Promise<number> {
    const vq = this.vq(queue);
    const free = this.#free[queue === RX_QUEUE ? 0 : 1] as number[];
    await this.device.memory.pull(this.slotAddr(queue, 0), vq.size * SLOT_BYTES);
    let n = 0;
    for (let u = vq.getBuf(); u !== null; u = vq.getBuf()) {
      if (u.kind === 'ring-error') {
        this.log(`reap queue ${queue}: ${u.message}`);
        break;
      }
      free.push(u.token);
      n++;
    }
    this.observers.checkpoint('driver');
    if (n > 0) this.log(`reap queue ${queue}: ${n} buffer(s)`);
    return n;
  }

  /** Changes the used-buffer notification request of `queue` (event suppression, driver side). */
  callbacks(queue: number, mode: 'disable' | 'enable' | 'delayed'): void {
    const vq = this.vq(queue);
    if (mode === 'disable') vq.disableCb();
    else if (mode === 'enable') vq.enableCb();
    else vq.enableCbDelayed();
    this.observers.checkpoint('driver');
    this.log(`callbacks ${mode} on queue ${queue}`);
  }

  /** Device status as the device reports it. */
  status(): Promise<number> {
    return this.vdev.getStatus();
  }

  /** Findings so far. */
  get findings(): readonly RingFinding[] {
    return this.observers.findings;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => n - 1 - i);
}
