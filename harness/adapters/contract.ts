/**
 * The adapter contract: how the harness reaches a device or a driver under test. The seam is the
 * one a real device has — transport registers, guest memory, interrupts and the wire — so the same
 * checks judge the reference, a user's module (`--device ./my-device.js`, `--driver ./my-driver.js`)
 * and QEMU over qtest, and nothing in a check knows which one it is judging.
 *
 * Every method may return a promise: an external device answers over a socket. The harness bounds
 * every call with a time-out and turns a throw into a `crashed` verdict.
 *
 * @module
 */

import type { GuestAllocator, GuestMemory } from '../../reference-impl/memory/guest-memory.js';
import type { MmioRegisterAccess, PciRegisterAccess } from '../../reference-impl/transport/register-access.js';
import type { TransportKind } from '../checks/check.js';

/** The contract version. Bumped when the meaning of a method changes; adapters declare theirs. */
export const ADAPTER_CONTRACT_VERSION = 1;

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** The register window of a device, by transport. Interrupts arrive through `onInterrupt`. */
export type DeviceRegisters =
  | { readonly transport: 'pci'; readonly access: PciRegisterAccess }
  | { readonly transport: 'mmio'; readonly access: MmioRegisterAccess };

/**
 * Guest memory as the harness sees it. In process, `view` is the very memory the device reads and
 * writes and both sync calls do nothing. Across a process boundary (QEMU), `view` is a mirror:
 * `push` copies the harness's writes to the device's memory before a notification, `pull` copies
 * the device's writes back after an interrupt or while polling.
 */
export interface GuestMemoryPort {
  /** The harness-side memory. */
  readonly view: GuestMemory;
  /** Where the harness may place rings and buffers. */
  readonly allocator: GuestAllocator;
  /** Makes `[addr, addr + len)` as written by the harness visible to the device. */
  push(addr: number, len: number): MaybePromise<void>;
  /** Makes `[addr, addr + len)` as written by the device visible to the harness. */
  pull(addr: number, len: number): MaybePromise<void>;
}

/** A frame the device sent, with the header fields it came with where the wire carries them. */
export interface WireFrame {
  readonly bytes: Uint8Array;
}

/** The device's network side, owned by the harness. */
export interface WirePort {
  /** Hands a frame to the device to receive. */
  inject(frame: Uint8Array): MaybePromise<void>;
  /** Frames the device transmitted since the last call, oldest first. */
  drain(): MaybePromise<readonly WireFrame[]>;
}

/** What the harness asks a device adapter for. Fields left out take the adapter's defaults. */
export interface DeviceRequest {
  readonly transport: TransportKind;
  /** Features to offer, by spec name; the adapter may offer fewer (checks read the real offer). */
  readonly features?: readonly string[];
  /** Features to offer on top of the adapter's default offer, by spec name. */
  readonly addFeatures?: readonly string[];
  /** Features to withhold, by spec name. */
  readonly withoutFeatures?: readonly string[];
  /** Config values: MAC (`aa:bb:cc:dd:ee:ff`), MTU, max_virtqueue_pairs, link state. */
  readonly mac?: string;
  readonly mtu?: number;
  readonly maxVirtqueuePairs?: number;
  readonly linkUp?: boolean;
  /** Maximum queue size the device should report. */
  readonly queueSize?: number;
}

/** A live device under test. */
export interface DeviceUnderTest {
  readonly registers: DeviceRegisters;
  readonly memory: GuestMemoryPort;
  readonly wire: WirePort;
  /** Releases the device (stops a child process, closes sockets). Always called, also after a failure. */
  close(): MaybePromise<void>;
}

/** The outcome of asking an adapter for a device. */
export type DeviceCreateResult =
  | { readonly kind: 'created'; readonly device: DeviceUnderTest }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** What a `--device` module exports (as `default` or `deviceAdapter`). */
export interface DeviceAdapter {
  readonly kind: 'device';
  readonly name: string;
  readonly contractVersion: number;
  /** Transports the adapter can provide. */
  readonly transports: readonly TransportKind[];
  create(request: DeviceRequest): MaybePromise<DeviceCreateResult>;
}

/** The outcome of a driver operation, in Linux's terms: 0 or a negative errno. */
export type DriverOpResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly errno: number; readonly message: string }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** Receive-mode request, as the stack hands it to `ndo_set_rx_mode`. */
export interface RxModeRequest {
  readonly promisc: boolean;
  readonly allmulti: boolean;
  readonly unicast: readonly Uint8Array[];
  readonly multicast: readonly Uint8Array[];
}

/** Transmit offload request for one frame. */
export interface TxRequest {
  readonly frame: Uint8Array;
  /** Ask for a partial checksum: the checksum starts at `start` and is stored at `start + offset`. */
  readonly checksum?: { readonly start: number; readonly offset: number };
  /** Ask for segmentation. */
  readonly gso?: { readonly type: 'tcpv4' | 'tcpv6' | 'udp' | 'udp_l4'; readonly size: number; readonly ecn?: boolean };
}

/** The device as a driver sees it: registers, guest memory (with an allocator), nothing else. */
export interface DriverBus {
  readonly registers: DeviceRegisters;
  readonly memory: GuestMemory;
  readonly allocator: GuestAllocator;
}

/**
 * A driver under test, driven the way an operating system drives a net driver: probe, open,
 * transmit, receive, the net_device_ops and ethtool operations, stop, remove.
 */
export interface DriverUnderTest {
  probe(): MaybePromise<DriverOpResult>;
  open(): MaybePromise<DriverOpResult>;
  transmit(request: TxRequest): MaybePromise<DriverOpResult>;
  /** Lets the driver handle pending interrupts (NAPI poll, config work); returns frames it received. */
  poll(): MaybePromise<readonly Uint8Array[]>;
  setRxMode(request: RxModeRequest): MaybePromise<DriverOpResult>;
  setMacAddress(mac: Uint8Array): MaybePromise<DriverOpResult>;
  addVlan(vid: number): MaybePromise<DriverOpResult>;
  killVlan(vid: number): MaybePromise<DriverOpResult>;
  setQueuePairs(pairs: number): MaybePromise<DriverOpResult>;
  stop(): MaybePromise<DriverOpResult>;
  remove(): MaybePromise<DriverOpResult>;
}

/** What a `--driver` module exports (as `default` or `driverAdapter`). */
export interface DriverAdapter {
  readonly kind: 'driver';
  readonly name: string;
  readonly contractVersion: number;
  readonly transports: readonly TransportKind[];
  bind(bus: DriverBus): MaybePromise<DriverUnderTest>;
}
