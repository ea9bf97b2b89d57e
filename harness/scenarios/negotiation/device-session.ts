/**
 * A scripted driver for device-side negotiation checks: the harness's transport driver bound to
 * the device under test, plus raw access to the registers a conformant driver would only touch in
 * order (device status, the feature windows, queue enable, config generation), so a check can take
 * every initialisation step by hand, out of order where it wants to, and read back what the device
 * shows. Everything goes through the adapter contract.
 *
 * @module
 */

import { type FeatureSet, featureWord, hasFeature } from '../../../specs/features/feature-set.js';
import {
  VIRTIO_F_ACCESS_PLATFORM,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_ORDER_PLATFORM,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_VERSION_1,
} from '../../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import * as M from '../../../specs/transport/mmio.js';
import { PciCommonCfgAccess } from '../../../reference-impl/frontend/virtio/pci-common-access.js';
import type { DriverVirtqueue, RingOptions, VirtioConfigOps } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import { VirtioPciModernTransport } from '../../../reference-impl/frontend/virtio/virtio-pci-modern.js';
import type { AccessWidth } from '../../../reference-impl/transport/register-access.js';
import type { DeviceRequest, DeviceUnderTest } from '../../adapters/contract.js';
import type { RingKind } from '../../checks/check.js';
import { type DeviceCheckContext, NotApplicable } from '../../checks/context.js';
import { bindTransportDriver } from '../../drivers/transport-driver.js';

/** Feature words the session reads and writes (bits 0..127). */
const FEATURE_WORDS = 4;

/** Status reads a reset may take before the session calls it incomplete (`reset.device.1`). */
export const RESET_POLL_LIMIT = 64;

/**
 * The registers a check reads and writes directly, by meaning rather than by transport.
 * `readDriverFeatures` is null on MMIO, where DriverFeatures is write-only.
 */
export interface RawRegisters {
  readStatus(): Promise<number>;
  writeStatus(value: number): Promise<void>;
  /** All offered words (selects 0..3). */
  readDeviceFeatures(): Promise<FeatureSet>;
  /**
   * Writes all four words (zeros included): a device need not clear driver_feature at reset
   * (QEMU keeps its shadow, qemu-qtest.md §2.3), so stale upper words must be overwritten.
   */
  writeDriverFeatures(features: FeatureSet): Promise<void>;
  /** driver_feature read back, words 0..3, or null where the transport has no such read. */
  readDriverFeatures: (() => Promise<FeatureSet>) | null;
  /** queue_enable / QueueReady of queue `index`. */
  queueEnabled(index: number): Promise<number>;
  /** config_generation / ConfigGeneration. */
  generation(): Promise<number>;
  /** Device-specific configuration. */
  readConfig(offset: number, width: AccessWidth): Promise<number>;
}

function pciRaw(ops: VirtioPciModernTransport): RawRegisters {
  const common = new PciCommonCfgAccess(ops.access, ops.caps.common);
  return {
    readStatus: () => common.read('device_status'),
    writeStatus: (value) => common.write('device_status', value & 0xff),
    async readDeviceFeatures() {
      let set = 0n;
      for (let select = 0; select < FEATURE_WORDS; select++) {
        await common.write('device_feature_select', select);
        set |= BigInt(await common.read('device_feature')) << BigInt(32 * select);
      }
      return set;
    },
    async writeDriverFeatures(features) {
      for (let select = 0; select < FEATURE_WORDS; select++) {
        await common.write('driver_feature_select', select);
        await common.write('driver_feature', featureWord(features, select));
      }
    },
    async readDriverFeatures() {
      let set = 0n;
      for (let select = 0; select < FEATURE_WORDS; select++) {
        await common.write('driver_feature_select', select);
        set |= BigInt(await common.read('driver_feature')) << BigInt(32 * select);
      }
      return set;
    },
    async queueEnabled(index) {
      await common.write('queue_select', index);
      return common.read('queue_enable');
    },
    generation: () => common.read('config_generation'),
    readConfig: (offset, width) => ops.get(offset, width),
  };
}

function mmioRaw(device: DeviceUnderTest): RawRegisters {
  if (device.registers.transport !== 'mmio') throw new TypeError('not an MMIO device');
  const access = device.registers.access;
  const read = async (offset: number): Promise<number> => (await access.read(offset, 4)) >>> 0;
  const write = async (offset: number, value: number): Promise<void> => {
    await access.write(offset, 4, value >>> 0);
  };
  return {
    readStatus: () => read(M.VIRTIO_MMIO_STATUS),
    writeStatus: (value) => write(M.VIRTIO_MMIO_STATUS, value & 0xff),
    async readDeviceFeatures() {
      let set = 0n;
      for (let select = 0; select < FEATURE_WORDS; select++) {
        await write(M.VIRTIO_MMIO_DEVICE_FEATURES_SEL, select);
        set |= BigInt(await read(M.VIRTIO_MMIO_DEVICE_FEATURES)) << BigInt(32 * select);
      }
      return set;
    },
    async writeDriverFeatures(features) {
      for (let select = 0; select < FEATURE_WORDS; select++) {
        await write(M.VIRTIO_MMIO_DRIVER_FEATURES_SEL, select);
        await write(M.VIRTIO_MMIO_DRIVER_FEATURES, featureWord(features, select));
      }
    },
    readDriverFeatures: null,
    async queueEnabled(index) {
      await write(M.VIRTIO_MMIO_QUEUE_SEL, index);
      return read(M.VIRTIO_MMIO_QUEUE_READY);
    },
    generation: () => read(M.VIRTIO_MMIO_CONFIG_GENERATION),
    readConfig: async (offset, width) => (await access.read(M.VIRTIO_MMIO_CONFIG + offset, width)) >>> 0,
  };
}

/** The ring options a driver derives from `features` (Linux `vring_create_virtqueue` arguments). */
export function ringOptionsFor(features: FeatureSet): RingOptions {
  return {
    format: hasFeature(features, VIRTIO_F_RING_PACKED) ? 'packed' : 'split',
    eventIdx: hasFeature(features, VIRTIO_F_EVENT_IDX),
    indirect: hasFeature(features, VIRTIO_F_INDIRECT_DESC),
    inOrder: hasFeature(features, VIRTIO_F_IN_ORDER),
    notificationData: hasFeature(features, VIRTIO_F_NOTIFICATION_DATA),
  };
}

/**
 * What the harness asks the adapter for so the device offers the ring format under test: packed
 * runs add VIRTIO_F_RING_PACKED; split runs leave the offer alone (the session then does not
 * accept RING_PACKED even if offered).
 */
export function requestForRing(ring: RingKind, request: Omit<DeviceRequest, 'transport'> = {}): Omit<DeviceRequest, 'transport'> {
  if (ring === 'split') return request;
  return { ...request, addFeatures: [...(request.addFeatures ?? []), 'VIRTIO_F_RING_PACKED'] };
}

/**
 * The smallest set a modern driver accepts from `offered` in this ring format: VERSION_1, the
 * platform bits the device may insist on (`rfb.device.4`, `rfb.device.6`), RING_PACKED for packed
 * runs. Throws {@link NotApplicable} when the device cannot run the ring format under test.
 */
export function baseFeatures(offered: FeatureSet, ring: RingKind): FeatureSet {
  if (ring === 'packed' && !hasFeature(offered, VIRTIO_F_RING_PACKED)) {
    throw new NotApplicable('the device does not offer VIRTIO_F_RING_PACKED');
  }
  let set = 1n << BigInt(VIRTIO_F_VERSION_1);
  for (const bit of [VIRTIO_F_ACCESS_PLATFORM, VIRTIO_F_ORDER_PLATFORM]) if (hasFeature(offered, bit)) set |= 1n << BigInt(bit);
  if (ring === 'packed') set |= 1n << BigInt(VIRTIO_F_RING_PACKED);
  return set;
}

/** Outcome of {@link openSession}. */
export type SessionResult =
  | { readonly kind: 'open'; readonly session: DeviceSession }
  /** The harness could not drive the device at all (transport probe failed): the check cannot decide. */
  | { readonly kind: 'unusable'; readonly reason: string };

/** Outcome of {@link DeviceSession.negotiate}. */
export interface NegotiationOutcome {
  /** FEATURES_OK read back set right after it was written. */
  readonly accepted: boolean;
  /** The status read back. */
  readonly status: number;
}

/** One device driven by hand. */
export class DeviceSession {
  #queues: readonly DriverVirtqueue<number>[] = [];

  private constructor(
    /** The device under test. */
    readonly device: DeviceUnderTest,
    /** The harness transport driver bound to it. */
    readonly ops: VirtioConfigOps,
    /** Direct register access. */
    readonly raw: RawRegisters,
  ) {}

  /** @internal use {@link openSession}. */
  static create(device: DeviceUnderTest, ops: VirtioConfigOps): DeviceSession {
    const raw = ops instanceof VirtioPciModernTransport ? pciRaw(ops) : mmioRaw(device);
    return new DeviceSession(device, ops, raw);
  }

  /** Queues set up by the last {@link startQueues}. */
  get queues(): readonly DriverVirtqueue<number>[] {
    return this.#queues;
  }

  /** Writes 0 and polls until status reads 0; false when it never did within {@link RESET_POLL_LIMIT} reads. */
  async reset(): Promise<boolean> {
    await this.ops.delVqs();
    this.#queues = [];
    await this.raw.writeStatus(0);
    for (let i = 0; i < RESET_POLL_LIMIT; i++) if ((await this.raw.readStatus()) === 0) return true;
    return false;
  }

  /** Reset, ACKNOWLEDGE, DRIVER; returns the offered features, or null when the reset never completed. */
  async begin(): Promise<FeatureSet | null> {
    if (!(await this.reset())) return null;
    await this.raw.writeStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    await this.raw.writeStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    return this.raw.readDeviceFeatures();
  }

  /** Writes `features`, sets FEATURES_OK on top of the status read, and reads it back. */
  async negotiate(features: FeatureSet): Promise<NegotiationOutcome> {
    await this.raw.writeDriverFeatures(features);
    const before = await this.raw.readStatus();
    await this.raw.writeStatus(before | VIRTIO_CONFIG_S_FEATURES_OK);
    const status = await this.raw.readStatus();
    return { accepted: (status & VIRTIO_CONFIG_S_FEATURES_OK) !== 0, status };
  }

  /**
   * Sets up queues `indices` for the ring format `features` selects, polled (no callbacks, so the
   * device is asked for no used-buffer notifications); null with the reason when the transport
   * driver could not.
   */
  async startQueues(features: FeatureSet, indices: readonly number[], size = 64): Promise<string | null> {
    const found = await this.ops.findVqs<number>(
      indices.map((index) => ({ index, name: `q${index}`, size, callback: null })),
      ringOptionsFor(features),
    );
    if (found.kind !== 'ok') return found.message;
    this.#queues = found.value;
    return null;
  }

  /** Sets DRIVER_OK on top of the status read; returns the status read back. */
  async driverOk(): Promise<number> {
    await this.raw.writeStatus((await this.raw.readStatus()) | VIRTIO_CONFIG_S_DRIVER_OK);
    return this.raw.readStatus();
  }

  /** The queue set up at device index `index`. @throws Error when it was not set up (a check bug). */
  queue(index: number): DriverVirtqueue<number> {
    const q = this.#queues.find((vq) => vq.index === index);
    if (q === undefined) throw new Error(`queue ${index} was not set up`);
    return q;
  }

  /** Allocates `len` bytes of guest memory for buffers. */
  alloc(len: number): number {
    return this.device.memory.allocator.alloc(len, 16);
  }

  /** Makes everything the harness placed in guest memory visible to the device (before a notification). */
  async pushMemory(): Promise<void> {
    const a = this.device.memory.allocator;
    await this.device.memory.push(a.start, a.next - a.start);
  }

  /** Makes everything the device wrote visible to the harness. */
  async pullMemory(): Promise<void> {
    const a = this.device.memory.allocator;
    await this.device.memory.pull(a.start, a.next - a.start);
  }

  /** Publishes what was added to `vq` and notifies when the device asks for it. */
  async kick(vq: DriverVirtqueue<number>): Promise<void> {
    await this.pushMemory();
    await vq.kick();
  }

  /**
   * Used buffers of `vq`, polling until at least `count` came back or `polls` attempts passed (a
   * device across a process boundary answers later than one in process).
   */
  async awaitUsed(vq: DriverVirtqueue<number>, count: number, polls = 16): Promise<{ token: number; len: number }[]> {
    const used: { token: number; len: number }[] = [];
    for (let i = 0; i < polls && used.length < count; i++) used.push(...(await this.drainUsed(vq)));
    return used;
  }

  /** Every used buffer of `vq` so far, as token and length; a ring error ends the list. */
  async drainUsed(vq: DriverVirtqueue<number>): Promise<{ token: number; len: number }[]> {
    await this.pullMemory();
    const used: { token: number; len: number }[] = [];
    for (;;) {
      const b = vq.getBuf();
      if (b === null || b.kind !== 'used') return used;
      used.push({ token: b.token, len: b.len });
    }
  }
}

/**
 * A fresh device from the context with the ring format under test offered, and the harness
 * transport driver bound to it.
 * @throws NotApplicable when the adapter cannot provide such a device.
 */
export async function openSession(context: DeviceCheckContext, request: Omit<DeviceRequest, 'transport'> = {}): Promise<SessionResult> {
  const device = await context.device(requestForRing(context.config.ring, request));
  const bound = await bindTransportDriver(device);
  if (bound.kind !== 'bound') return { kind: 'unusable', reason: `the transport probe failed: ${bound.message}` };
  return { kind: 'open', session: DeviceSession.create(device, bound.ops) };
}
