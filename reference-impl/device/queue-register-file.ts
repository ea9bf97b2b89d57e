/**
 * The virtqueue registers of the core, behind a select register: queue_select
 * / QueueSel picks a queue, the other registers act on it. Shared by both
 * transports; the transport-specific parts (PCI MSI-X vectors, which value
 * stops a queue) stay in the transports.
 *
 * Writes the driver may not make are reported through the host and ignored:
 * to a queue that does not exist, to an enabled queue (`pci.common.driver.4`,
 * `mmio.reg.driver.15`), during its queue reset (`pci.common.driver.7`,
 * `mmio.reg.driver.21`), or a size the format does not allow.
 *
 * @module
 */

import { type FeatureSet, hasFeature } from '../../specs/features/feature-set.js';
import { VIRTIO_F_RING_RESET } from '../../specs/features/reserved.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { VirtioDeviceBackend } from './backend.js';
import { type DeviceQueueFactory, ringFlags, ringFormat } from './device-queue.js';
import type { DeviceEventLog, DeviceCounters, NeedsResetReason } from './events.js';
import { checkQueueSize, type QueueArea, QueueRegisters } from './queue-registers.js';

/** What the register file needs from the core. */
export interface QueueHost {
  readonly memory: GuestMemory;
  readonly backend: VirtioDeviceBackend;
  readonly events: DeviceEventLog;
  readonly counters: DeviceCounters;
  readonly queueFactory: DeviceQueueFactory;
  /** The device is live (DRIVER_OK accepted, no NEEDS_RESET or FAILED). */
  live(): boolean;
  /** FEATURES_OK was kept. */
  featuresAccepted(): boolean;
  /** The negotiated set once accepted, else the bits the driver wrote so far. */
  features(): FeatureSet;
  /** Clause ID for the transport in use. */
  clause(pci: string | null, mmio: string | null): string | null;
  violation(clause: string | null, message: string): void;
  fail(reason: NeedsResetReason): void;
  /** Per-queue reset of the transport's own state (the MSI-X vector). */
  transportQueueReset(queue: number): void;
  /** queue_reset reads of 1 after a queue reset. */
  queueResetDelayReads(): number;
}

/** Queue registers of one device, with the select register. */
export class QueueRegisterFile {
  /** queue_select / QueueSel. */
  select = 0;
  private readonly regs: readonly QueueRegisters[];

  constructor(private readonly host: QueueHost) {
    this.regs = host.backend.queueMaxSizes.map((max, i) => new QueueRegisters(i, max));
  }

  /** num_queues. */
  get count(): number {
    return this.regs.length;
  }

  /** Registers of queue `index`, or undefined. */
  at(index: number): QueueRegisters | undefined {
    return this.regs[index];
  }

  /** Every queue's registers, by index. */
  get all(): readonly QueueRegisters[] {
    return this.regs;
  }

  private selected(): QueueRegisters | undefined {
    const q = this.regs[this.select];
    return q !== undefined && q.maxSize > 0 ? q : undefined;
  }

  /** QueueSizeMax: 0 for no such queue. */
  readSizeMax(): number {
    return this.selected()?.maxSize ?? 0;
  }

  /** queue_size / QueueSize read-back: 0 for no such queue (`pci.common.device.14`). */
  readSize(): number {
    return this.selected()?.size ?? 0;
  }

  /** queue_size / QueueSize write; an invalid size is ignored and reported. */
  writeSize(value: number): void {
    const q = this.writable('queue size');
    if (q === undefined) return;
    const check = checkQueueSize(ringFormat(this.host.features()), value, q.maxSize);
    if (check.kind === 'ok') {
      q.size = value;
      q.sizeWritten = true;
      return;
    }
    const h = this.host;
    const [clause, what] =
      check.kind === 'too-large'
        ? [h.clause(null, 'mmio.reg.driver.14'), `above the max ${q.maxSize}`]
        : check.kind === 'zero-packed'
          ? ['pci.common.driver.2', 'zero on a packed ring']
          : [h.clause('pci.common.driver.3', null), 'not a power of 2 on a split ring'];
    h.violation(clause, `queue ${q.index}: size ${value} ${what}; ignored`);
  }

  /** queue_enable / QueueReady read-back (`pci.common.device.8`, `mmio.reg.device.5`). */
  readEnable(): number {
    return this.selected()?.enabled === true ? 1 : 0;
  }

  /** queue_enable = 1 / QueueReady = 1; enabling an enabled queue changes nothing. */
  enable(): void {
    if (this.selected()?.enabled === true) return;
    const q = this.writable('queue enable');
    if (q === undefined) return;
    const h = this.host;
    if (q.size === 0) return h.violation(null, `queue ${q.index}: enabled with size 0; ignored`);
    if (!h.featuresAccepted()) h.violation('init.driver.1', `queue ${q.index} enabled before FEATURES_OK`);
    q.enabled = true;
    h.events.emit({ kind: 'queue-enabled', queue: q.index, size: q.size, format: ringFormat(h.features()) });
    if (h.live() && this.build(q)) h.backend.queueEnabled?.(q.index);
  }

  /** MMIO QueueReady = 0: the queue stops and its ring state is dropped (`mmio.reg.driver.16`). */
  stop(): void {
    const q = this.selected();
    if (q === undefined || !q.enabled) return;
    this.host.backend.resetQueue(q.index);
    q.enabled = false;
    q.engine = null;
    this.host.events.emit({ kind: 'queue-stopped', queue: q.index });
  }

  /** queue_desc / queue_driver / queue_device half read-back (0 for no such queue). */
  readAddress(area: QueueArea, half: 0 | 1): number {
    return this.selected()?.readAddress(area, half) ?? 0;
  }

  /** queue_desc / queue_driver / queue_device half write (`pci.layout.device.1`). */
  writeAddress(area: QueueArea, half: 0 | 1, value: number): void {
    this.writable(`queue ${area} address`)?.writeAddress(area, half, value);
  }

  /** queue_reset / QueueReset read: 1 while a reset is in progress, else 0 (`pci.common.device.9`, `.10`, `.12`, `.13`). */
  readReset(): number {
    const q = this.selected();
    if (q === undefined || q.resetReadsLeft === 0) return 0;
    if (--q.resetReadsLeft === 0) this.host.events.emit({ kind: 'queue-reset', queue: q.index, complete: true });
    return 1;
  }

  /** queue_reset / QueueReset write of 1: per-queue reset (`pci.common.device.11`, `mmio.reg.device.10`, `vqreset.device.2`). */
  writeReset(value: number): void {
    const h = this.host;
    const q = this.selected();
    if (q === undefined) return h.violation(null, `queue reset of queue ${this.select}, which does not exist`);
    if (!h.featuresAccepted() || !hasFeature(h.features(), VIRTIO_F_RING_RESET)) {
      return h.violation(null, `queue ${q.index}: queue reset without VIRTIO_F_RING_RESET negotiated; ignored`);
    }
    if (value !== 1) return h.violation(null, `queue ${q.index}: queue reset written with ${value}; only 1 resets`);
    h.backend.resetQueue(q.index);
    q.reset();
    h.transportQueueReset(q.index);
    h.counters.queueResets++;
    q.resetReadsLeft = h.queueResetDelayReads();
    h.events.emit({ kind: 'queue-reset', queue: q.index, complete: q.resetReadsLeft === 0 });
  }

  /** Device reset: every queue back to its defaults and its pre-negotiation max, select 0. */
  reset(): void {
    this.select = 0;
    for (const q of this.regs) {
      q.maxSize = q.initialMaxSize;
      q.reset();
    }
  }

  /**
   * FEATURES_OK was kept with `features`: each queue takes its max from the
   * backend's negotiated layout (`VirtioDeviceBackend.queueMaxSize`; net's
   * controlq moves to 2N, `net.vq.any.1.device`). A queue the driver has not
   * programmed shows the new max as its size. One it programmed before
   * FEATURES_OK (out of order, `init.driver.1`) keeps its registers unless
   * its size no longer fits; then it is reset and the driver is told why.
   * No queue object exists yet: those are built at DRIVER_OK.
   */
  applyNegotiatedLayout(features: FeatureSet): void {
    const backend = this.host.backend;
    if (backend.queueMaxSize === undefined) return;
    for (const q of this.regs) {
      const max = backend.queueMaxSize(q.index, features);
      if (max === q.maxSize) continue;
      q.maxSize = max;
      if (!q.enabled && !q.sizeWritten) {
        q.size = max;
      } else if (q.size > max) {
        const what = max === 0 ? 'does not exist in the negotiated layout' : `has max size ${max} in the negotiated layout`;
        this.host.violation('init.driver.1', `queue ${q.index} was set up before FEATURES_OK with size ${q.size} but ${what}; reset`);
        q.reset();
        this.host.transportQueueReset(q.index);
      }
    }
  }

  /**
   * Builds the device-side queue of every enabled queue (at DRIVER_OK).
   * False, with DEVICE_NEEDS_RESET set, when a layout is unusable.
   */
  buildEnabled(): boolean {
    for (const q of this.regs) if (q.enabled && !this.build(q)) return false;
    return true;
  }

  private writable(what: string): QueueRegisters | undefined {
    const h = this.host;
    const q = this.selected();
    if (q === undefined) {
      h.violation(null, `${what} written for queue ${this.select}, which does not exist`);
    } else if (q.resetReadsLeft > 0) {
      h.violation(h.clause('pci.common.driver.7', 'mmio.reg.driver.21'), `queue ${q.index}: ${what} written during its reset`);
    } else if (q.enabled) {
      h.violation(h.clause('pci.common.driver.4', 'mmio.reg.driver.15'), `queue ${q.index}: ${what} written while enabled; ignored`);
    } else {
      return q;
    }
    return undefined;
  }

  private build(q: QueueRegisters): boolean {
    const features = this.host.features();
    const built = this.host.queueFactory(this.host.memory, ringFormat(features), {
      size: q.size,
      descAddr: q.areaAddress('desc'),
      driverAddr: q.areaAddress('driver'),
      deviceAddr: q.areaAddress('device'),
      ...ringFlags(features),
    });
    if ('kind' in built) {
      this.host.fail({ kind: 'ring-error', queue: q.index, error: built });
      return false;
    }
    q.engine = built;
    return true;
  }
}
