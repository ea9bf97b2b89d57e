/**
 * The driver-side virtio core API, after Linux 6.1 `struct virtio_config_ops`,
 * `struct virtqueue`, `struct virtio_driver` and `struct virtio_device`
 * (include/linux/virtio_config.h, include/linux/virtio.h).
 *
 * Every register access is awaited, so a transport may sit on a synchronous
 * model or on an asynchronous seam (a QEMU qtest adapter). Ring memory is
 * plain guest memory, so the ring operations of a {@link DriverVirtqueue}
 * (add, getBuf, callbacks) are synchronous; only `notify`/`kick` touch
 * registers.
 *
 * Nothing from the device is trusted: bad register values, refused
 * features and ring violations come back as {@link VirtioError} or
 * `DriverRingError` values, never as exceptions. Exceptions are kept for
 * front-end bugs (calling an API out of order).
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import type { AccessWidth } from '../../transport/register-access.js';
import type {
  AddResult,
  DriverRingError,
  RingFormat,
  Segment,
  SegmentStage,
  UsedBuffer,
} from '../../virtqueue/index.js';

export type { AccessWidth } from '../../transport/register-access.js';
export type { FeatureSet } from '../../../specs/features/feature-set.js';

/**
 * Why the front end gave up on a device or an operation. `errno` is the
 * negative Linux errno the same failure gives in Linux 6.1.
 *
 * - `bad-ids`: PCI vendor/device ID or MMIO device ID is not a virtio device (-ENODEV).
 * - `bad-magic`, `bad-version`: MMIO MagicValue / Version (-ENODEV).
 * - `capability-missing`: a required virtio-pci capability is absent (-ENODEV).
 * - `capability-invalid`: a capability's BAR, offset, length or multiplier is unusable (-EINVAL).
 * - `reset-timeout`: status did not read 0 after a reset (Linux polls forever; we give up).
 * - `version-1-missing`: modern transport but VERSION_1 not negotiated (-EINVAL, `vp_finalize_features`).
 * - `features-refused`: FEATURES_OK did not stick (-ENODEV, `virtio_features_ok`).
 * - `queue-unavailable`: queue_size / QueueNumMax read 0, or the index is past num_queues (-ENOENT).
 * - `queue-size-invalid`: non-power-of-two size on modern PCI, or a requested size the device cannot take (-EINVAL; `resize`: -E2BIG, -ENOMEM).
 * - `queue-busy`: the queue is already enabled / ready before setup (-ENOENT in Linux).
 * - `vector-failed`: the device read back VIRTIO_MSI_NO_VECTOR for a vector it was given (-EBUSY).
 * - `queue-reset-failed`: a per-queue reset is unsupported or did not complete (-ENOENT / -EBUSY).
 * - `out-of-memory`: guest memory for a ring could not be allocated (-ENOMEM).
 * - `config-unstable`: the generation counter never settled during a config read.
 * - `not-supported`: the operation needs a feature or transport support that is absent (-EOPNOTSUPP).
 * - `driver-refused`: the device driver's own `validate`/`probe` refused the device.
 * - `io`: the register seam failed.
 */
export type VirtioErrorCode =
  | 'bad-ids'
  | 'bad-magic'
  | 'bad-version'
  | 'capability-missing'
  | 'capability-invalid'
  | 'reset-timeout'
  | 'version-1-missing'
  | 'features-refused'
  | 'queue-unavailable'
  | 'queue-size-invalid'
  | 'queue-busy'
  | 'vector-failed'
  | 'queue-reset-failed'
  | 'out-of-memory'
  | 'config-unstable'
  | 'not-supported'
  | 'driver-refused'
  | 'io';

/** A typed failure of the virtio core, a transport or a device driver. */
export interface VirtioError {
  readonly kind: 'virtio-error';
  readonly code: VirtioErrorCode;
  /** Negative Linux errno for the same failure (-19 ENODEV, -22 EINVAL, …). */
  readonly errno: number;
  /** Human-readable description. */
  readonly message: string;
  /** Spec clauses the device broke, when the failure is the device's fault; else empty. */
  readonly clauses: readonly string[];
}

/** Success with a value. */
export interface VirtioOk<T> {
  readonly kind: 'ok';
  readonly value: T;
}

/** A value or the {@link VirtioError} that prevented it. */
export type VirtioResult<T> = VirtioOk<T> | VirtioError;

/** Linux errno values used in {@link VirtioError.errno}. */
export const ERRNO = Object.freeze({
  EIO: -5,
  ENOMEM: -12,
  EBUSY: -16,
  ENODEV: -19,
  EINVAL: -22,
  ENOSPC: -28,
  ENOENT: -2,
  EOPNOTSUPP: -95,
  ETIMEDOUT: -110,
});

const DEFAULT_ERRNO: Readonly<Record<VirtioErrorCode, number>> = {
  'bad-ids': ERRNO.ENODEV,
  'bad-magic': ERRNO.ENODEV,
  'bad-version': ERRNO.ENODEV,
  'capability-missing': ERRNO.ENODEV,
  'capability-invalid': ERRNO.EINVAL,
  'reset-timeout': ERRNO.ETIMEDOUT,
  'version-1-missing': ERRNO.EINVAL,
  'features-refused': ERRNO.ENODEV,
  'queue-unavailable': ERRNO.ENOENT,
  'queue-size-invalid': ERRNO.EINVAL,
  'queue-busy': ERRNO.ENOENT,
  'vector-failed': ERRNO.EBUSY,
  'queue-reset-failed': ERRNO.EBUSY,
  'out-of-memory': ERRNO.ENOMEM,
  'config-unstable': ERRNO.EIO,
  'not-supported': ERRNO.EOPNOTSUPP,
  'driver-refused': ERRNO.EINVAL,
  io: ERRNO.EIO,
};

/** Builds a {@link VirtioError}; `errno` defaults to the code's Linux errno. */
export function virtioError(
  code: VirtioErrorCode,
  message: string,
  clauses: readonly string[] = [],
  errno: number = DEFAULT_ERRNO[code],
): VirtioError {
  return Object.freeze({ kind: 'virtio-error', code, errno, message, clauses: Object.freeze([...clauses]) });
}

/** Wraps a value as {@link VirtioOk}. */
export function ok<T>(value: T): VirtioOk<T> {
  return { kind: 'ok', value };
}

/** True when `r` is a {@link VirtioError}. */
export function isVirtioError(r: unknown): r is VirtioError {
  return typeof r === 'object' && r !== null && (r as { kind?: unknown }).kind === 'virtio-error';
}

/** Called (from the interrupt context, never re-entrantly) when a queue has used buffers. */
export type VirtqueueCallback<T = unknown> = (vq: DriverVirtqueue<T>) => void;

/**
 * One queue to set up (Linux `struct virtqueue_info` plus the size cap
 * virtio-net passes through `virtio_find_vqs_ctx_size`).
 */
export interface VirtqueueRequest<T = unknown> {
  /** Virtqueue index on the device (rx0 = 0, tx0 = 1, …, cvq last). */
  readonly index: number;
  /** Name, for diagnostics (`input.0`, `output.0`, `control`). */
  readonly name: string;
  /**
   * Upper bound on the ring size; the transport takes min(device max, this),
   * rounded down to a power of two. @default device maximum
   */
  readonly size?: number;
  /**
   * Used-buffer callback, or null for a polled queue (the control queue):
   * such a queue gets no MSI-X vector and asks the device for no
   * notifications (Linux vring_create_virtqueue with a NULL callback).
   */
  readonly callback: VirtqueueCallback<T> | null;
}

/** Ring features the core derives from the negotiated feature set (Linux `vring_create_virtqueue` arguments). */
export interface RingOptions {
  /** VIRTIO_F_RING_PACKED negotiated → `'packed'`. */
  readonly format: RingFormat;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_F_INDIRECT_DESC negotiated (the transport then allocates an indirect pool). */
  readonly indirect: boolean;
  /** VIRTIO_F_IN_ORDER negotiated (never in Linux 6.1, §1.2). */
  readonly inOrder: boolean;
  /** VIRTIO_F_NOTIFICATION_DATA negotiated: kicks carry the next available position. */
  readonly notificationData: boolean;
  /** Entries per indirect table (capped at the queue size). @default 32 */
  readonly indirectMaxEntries?: number;
}

/**
 * A driver-side virtqueue (Linux `struct virtqueue` and the `virtqueue_*`
 * API of virtio_ring.c). `T` is the caller's per-buffer token.
 *
 * Broken state (Linux BAD_RING, §4.1): once the device wrote a bad used
 * entry (or the device was broken), adds return `{ kind: 'broken' }`,
 * `getBuf` returns null, `kick` and `notify` return false and `poll`
 * returns false until the queue is reset. (Linux's `virtqueue_kick` still
 * returns true on a broken queue when no notification was due; here it
 * reports the broken state either way.)
 *
 * Callbacks run in the transport's interrupt context: after the register
 * access that raised the interrupt has returned, one at a time, never
 * re-entrantly; `config.synchronizeCbs()` waits for them.
 */
export interface DriverVirtqueue<T = unknown> {
  /** Virtqueue index on the device. */
  readonly index: number;
  /** Name given at setup. */
  readonly name: string;
  /** Ring size chosen at setup (Linux `virtqueue_get_vring_size`). */
  readonly size: number;
  /** Device maximum read at setup (Linux `num_max`). */
  readonly sizeMax: number;
  /** Ring format. */
  readonly format: RingFormat;
  /** Segments staged for the allocation-free {@link add}. */
  readonly stage: SegmentStage;
  /** Free descriptors (Linux `vq->num_free`). */
  readonly numFree: number;
  /** True once a device error broke the queue. */
  readonly isBroken: boolean;
  /** The error that broke the queue, or null. */
  readonly brokenBy: DriverRingError | null;
  /** MSI-X vector used for this queue, or −1 (no vector, INTx or MMIO). */
  readonly vector: number;

  /** Makes the staged segments available as one buffer (Linux `virtqueue_add_sgs`). */
  add(token: T): AddResult;
  /** Makes `out` (device-readable) then `in` (device-writable) segments available as one buffer. */
  addSgs(out: readonly Segment[], inn: readonly Segment[], token: T): AddResult;
  /** One device-readable segment (Linux `virtqueue_add_outbuf`). */
  addOutbuf(addr: number, len: number, token: T): AddResult;
  /** One device-writable segment (Linux `virtqueue_add_inbuf`). */
  addInbuf(addr: number, len: number, token: T): AddResult;
  /** Whether the device wants a notification for the buffers added since the last call (`virtqueue_kick_prepare`). */
  kickPrepare(): boolean;
  /** Notifies the device through the transport (`virtqueue_notify`); false on a broken queue. */
  notify(): Promise<boolean>;
  /** `kickPrepare` then `notify` when needed (`virtqueue_kick`); false on a broken queue. */
  kick(): Promise<boolean>;
  /**
   * Next used buffer (shared object, valid until the next call), null when
   * none or broken, or the `DriverRingError` that just broke the queue
   * (Linux `virtqueue_get_buf` returns NULL and logs it).
   */
  getBuf(): UsedBuffer<T> | DriverRingError | null;
  /** Asks the device for no used-buffer notifications (`virtqueue_disable_cb`). */
  disableCb(): void;
  /** Re-enables callbacks; returns the opaque value for {@link poll} (`virtqueue_enable_cb_prepare`). */
  enableCbPrepare(): number;
  /** True when used buffers arrived since `enableCbPrepare` returned `opaque`; false when broken. */
  poll(opaque: number): boolean;
  /** Re-enables callbacks; false when buffers are already pending (`virtqueue_enable_cb`). */
  enableCb(): boolean;
  /** Re-enables callbacks after ~3/4 of the outstanding buffers (`virtqueue_enable_cb_delayed`). */
  enableCbDelayed(): boolean;
  /** After a device or queue reset: one buffer the device never used, or null (`virtqueue_detach_unused_buf`). */
  detachUnusedBuf(): T | null;
  /**
   * Per-queue reset (VIRTIO_F_RING_RESET, Linux `virtqueue_reset`): stops the
   * queue on the device, hands every unused token to `recycle`, re-initialises
   * the ring and re-enables the queue.
   */
  reset(recycle?: (token: T) => void): Promise<VirtioResult<void>>;
  /**
   * A ring of `num` entries (RING_RESET, Linux `virtqueue_resize`): queue
   * reset, every unused token to `recycle` once, new ring, re-enable with the
   * new size (`vqreset.driver.3`). -E2BIG / -EINVAL / -ENOENT / -ENOMEM as Linux.
   */
  resize(num: number, recycle: (token: T) => void): Promise<VirtioResult<void>>;
}

/**
 * What a transport driver provides (Linux `struct virtio_config_ops`).
 * Implemented by `VirtioPciModernTransport` and `VirtioMmioTransport`.
 */
export interface VirtioConfigOps {
  /** Bus name for diagnostics: `'pci'` or `'mmio'` (Linux `bus_name`). */
  readonly busName: string;
  /** Virtio device type (1 = net), from the PCI device ID or MMIO DeviceID (Linux `vdev->id.device`). */
  readonly deviceId: number;
  /** Transport feature bits 28..40 this transport keeps besides the ring's own (Linux `vp_transport_features`). */
  readonly transportFeatures: FeatureSet;
  /** Reads the device status byte. */
  getStatus(): Promise<number>;
  /** Writes the device status byte (never 0: use {@link reset}). */
  setStatus(status: number): Promise<void>;
  /** Writes status 0 and waits until the device reads back 0 (`vp_reset` polls, `status.driver.1`). */
  reset(): Promise<VirtioResult<void>>;
  /** Reads the device feature bits, all windows. */
  getFeatures(): Promise<FeatureSet>;
  /**
   * Writes the driver features (already filtered by the core). Refuses a
   * modern transport without VERSION_1 (-EINVAL).
   */
  finalizeFeatures(features: FeatureSet): Promise<VirtioResult<void>>;
  /** Reads `width` bytes of device configuration at `offset` (little-endian). */
  get(offset: number, width: AccessWidth): Promise<number>;
  /** Writes `width` bytes of device configuration at `offset`; refusal is a typed error. */
  set(offset: number, width: AccessWidth, value: number): Promise<VirtioResult<void>>;
  /** Config generation counter (`config_generation` / ConfigGeneration). */
  generation(): Promise<number>;
  /**
   * Sets up the queues in order, allocating ring memory, vectors and notify
   * addresses. On failure the queues already set up are deleted.
   */
  findVqs<T = unknown>(
    requests: readonly VirtqueueRequest<T>[],
    ring: RingOptions,
  ): Promise<VirtioResult<readonly DriverVirtqueue<T>[]>>;
  /**
   * Subscribes to configuration-change interrupts (MSI-X config vector, ISR
   * bit 1, InterruptStatus bit 1). The core calls it once at construction.
   */
  onConfigChanged(listener: () => void): () => void;
  /** Tears every queue down (after a device reset). */
  delVqs(): Promise<void>;
  /** Waits until every interrupt already delivered has been handled (`vp_synchronize_vectors`). */
  synchronizeCbs(): Promise<void>;
  /** Stops one queue on the device and resets it (`disable_vq_and_reset`, RING_RESET). */
  resetQueue(vq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>>;
  /** Re-programs (a resized queue: its new ring) and re-enables a queue after {@link resetQueue} (`enable_vq_after_reset`). */
  enableQueue(vq: DriverVirtqueue<unknown>): Promise<VirtioResult<void>>;
  /** Stops interrupt delivery and drops the seam subscriptions (after {@link delVqs}). */
  close(): void;
}

/**
 * A device driver bound by the core (Linux `struct virtio_driver`):
 * virtio-net is one.
 */
export interface VirtioDriver {
  /** Driver name for diagnostics. */
  readonly name: string;
  /** Virtio device type the driver binds to (1 = net); the core refuses other devices. Omit to bind any. */
  readonly deviceId?: number;
  /** Feature bits the driver knows (Linux `feature_table`), device-independent ones included. */
  readonly featureTable: readonly number[];
  /**
   * Called after the first `finalizeFeatures` and before FEATURES_OK; may
   * clear bits with {@link VirtioDevice.clearFeature} (then the core writes
   * the features again) or refuse the device.
   */
  validate?(dev: VirtioDevice): Promise<VirtioError | null>;
  /** Called after FEATURES_OK; sets up queues and config. DRIVER_OK is set by the core if probe did not. */
  probe(dev: VirtioDevice): Promise<VirtioError | null>;
  /** Called on removal before the core resets the device. */
  remove?(dev: VirtioDevice): Promise<void>;
  /** Config change notification (after `virtio_config_enable`). */
  configChanged?(dev: VirtioDevice): void;
}

/**
 * The device as a driver sees it (Linux `struct virtio_device` plus the
 * virtio_config.h helpers). Implemented by `VirtioDriverDevice`.
 */
export interface VirtioDevice {
  /** Transport operations. */
  readonly config: VirtioConfigOps;
  /** Features the device offered (read at probe). */
  readonly deviceFeatures: FeatureSet;
  /** Negotiated features (Linux `vdev->features`). */
  readonly features: FeatureSet;
  /** True when `bit` is negotiated (Linux `virtio_has_feature`). */
  hasFeature(bit: number): boolean;
  /** Clears a negotiated bit; only from `validate` (Linux `__virtio_clear_bit`). */
  clearFeature(bit: number): void;
  /** Queues set up by {@link findVqs}, by device index. */
  readonly vqs: readonly DriverVirtqueue<unknown>[];
  /** Sets up queues with ring options derived from the negotiated features (Linux `virtio_find_vqs`). */
  findVqs<T = unknown>(requests: readonly VirtqueueRequest<T>[]): Promise<VirtioResult<readonly DriverVirtqueue<T>[]>>;
  /** Deletes all queues. */
  delVqs(): Promise<void>;
  /** Sets DRIVER_OK (Linux `virtio_device_ready`). */
  deviceReady(): Promise<void>;
  /** Resets the device and waits for status 0 (Linux `virtio_reset_device`). */
  resetDevice(): Promise<VirtioResult<void>>;
  /** Reads the status byte. */
  getStatus(): Promise<number>;
  /** Adds bits to the status (Linux `virtio_add_status`). */
  addStatus(bits: number): Promise<void>;
  /** Reads a 1-byte config field. */
  cread8(offset: number): Promise<number>;
  /** Reads a 2-byte little-endian config field. */
  cread16(offset: number): Promise<number>;
  /** Reads a 4-byte little-endian config field. */
  cread32(offset: number): Promise<number>;
  /** Reads an 8-byte field as `[lo, hi]` u32 halves, retried until the generation is stable. */
  cread64(offset: number): Promise<VirtioResult<readonly [number, number]>>;
  /** Reads `len` bytes, retried until the generation is stable (Linux `virtio_cread_bytes`). */
  creadBytes(offset: number, len: number): Promise<VirtioResult<Uint8Array>>;
  /** Writes a config field. */
  cwrite(offset: number, width: AccessWidth, value: number): Promise<VirtioResult<void>>;
  /** Holds config-change callbacks until {@link configEnable} (Linux `virtio_config_disable`). */
  configDisable(): void;
  /** Delivers config changes to the driver, including one that arrived while disabled. */
  configEnable(): void;
}
