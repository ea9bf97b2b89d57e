/**
 * Test support: a reference device model behind a transport model, reached
 * by the front end's transport driver and core, all over one guest memory.
 * Used by this folder's tests and by front-end driver tests (virtio-net)
 * with their own device backend. Not part of the front end's API.
 *
 * @module
 */

import type { VirtioDeviceBackend } from '../../device/backend.js';
import { VirtioDevice as DeviceModel, type VirtioDeviceOptions } from '../../device/virtio-device.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { VirtioMmio, type VirtioMmioOptions } from '../../transport/mmio.js';
import { VirtioPciModern, type VirtioPciModernOptions } from '../../transport/pci-modern.js';
import type { PciRegisterAccess } from '../../transport/register-access.js';
import type { DriverVirtqueue, VirtioDriver, VirtioResult } from './virtio-config-ops.js';
import { VirtioDriverDevice, type VirtioDriverDeviceOptions } from './virtio-driver-device.js';
import { VirtioMmioTransport } from './virtio-mmio.js';
import { type PciInterruptMode, VirtioPciModernTransport } from './virtio-pci-modern.js';

/** Options of {@link pciFixture} and {@link mmioFixture}. */
export interface FrontendFixtureOptions {
  /** Guest memory size. @default 4 MiB */
  readonly memorySize?: number;
  /** Device core options (feature acceptance policy, reset delays, …). */
  readonly device?: VirtioDeviceOptions;
  /** Front-end core options. */
  readonly core?: VirtioDriverDeviceOptions;
  /** Status reads before a reset is given up. */
  readonly resetPollLimit?: number;
}

/** Everything a front-end test touches. */
export interface FrontendFixture<M, T> {
  readonly memory: GuestMemory;
  /** Allocator for rings and driver buffers (from 0x1000, so that address 0 stays unused). */
  readonly allocator: GuestAllocator;
  /** The reference device core. */
  readonly model: DeviceModel;
  /** The transport model (register seam). */
  readonly bus: M;
  /** The front end's transport driver. */
  readonly transport: T;
  /** The front end's core. */
  readonly vdev: VirtioDriverDevice;
}

function memoryFor(options: FrontendFixtureOptions): { memory: GuestMemory; allocator: GuestAllocator } {
  const memory = new GuestMemory(options.memorySize ?? 4 << 20);
  return { memory, allocator: new GuestAllocator(memory, 0x1000) };
}

function unwrap<T>(r: VirtioResult<T>): T {
  if (r.kind !== 'ok') throw new Error(`fixture probe failed: ${r.code}: ${r.message}`);
  return r.value;
}

/** A PCI fixture: model, PCI function, probed transport driver, core. @throws Error when the transport probe fails. */
export async function pciFixture(
  backend: VirtioDeviceBackend,
  options: FrontendFixtureOptions & { readonly pci?: VirtioPciModernOptions; readonly interruptModes?: readonly PciInterruptMode[] } = {},
): Promise<FrontendFixture<VirtioPciModern, VirtioPciModernTransport>> {
  const { memory, allocator } = memoryFor(options);
  const model = new DeviceModel(backend, memory, options.device);
  const bus = new VirtioPciModern(model, options.pci);
  const transport = unwrap(
    await VirtioPciModernTransport.probe(bus, {
      memory,
      allocator,
      ...(options.interruptModes === undefined ? {} : { interruptModes: options.interruptModes }),
      ...(options.resetPollLimit === undefined ? {} : { resetPollLimit: options.resetPollLimit }),
    }),
  );
  return { memory, allocator, model, bus, transport, vdev: new VirtioDriverDevice(transport, options.core) };
}

/** An MMIO fixture: model, MMIO window, probed transport driver, core. @throws Error when the transport probe fails. */
export async function mmioFixture(
  backend: VirtioDeviceBackend,
  options: FrontendFixtureOptions & { readonly mmio?: VirtioMmioOptions } = {},
): Promise<FrontendFixture<VirtioMmio, VirtioMmioTransport>> {
  const { memory, allocator } = memoryFor(options);
  const model = new DeviceModel(backend, memory, options.device);
  const bus = new VirtioMmio(model, options.mmio);
  const transport = unwrap(
    await VirtioMmioTransport.probe(bus, {
      memory,
      allocator,
      ...(options.resetPollLimit === undefined ? {} : { resetPollLimit: options.resetPollLimit }),
    }),
  );
  return { memory, allocator, model, bus, transport, vdev: new VirtioDriverDevice(transport, options.core) };
}

/** What {@link testDriver} records. */
export interface TestDriverState {
  vqs: readonly DriverVirtqueue<string>[];
  /** Callback count per queue index. */
  readonly callbacks: Map<number, number>;
  configChanged: number;
  probed: number;
  removed: number;
}

/** Options of {@link testDriver}. */
export interface TestDriverOptions {
  /** @default [0, 1] (the fake device's FAKE_F_A, FAKE_F_B) */
  readonly featureTable?: readonly number[];
  /** Queues to set up. @default queue 0 with a callback, queue 1 without */
  readonly queues?: readonly { readonly index: number; readonly size?: number; readonly callback: boolean }[];
  readonly validate?: VirtioDriver['validate'];
  /** Reset the device and delete the queues in `remove`. @default true */
  readonly resetOnRemove?: boolean;
  /** Device type to bind. @default any */
  readonly deviceId?: number;
}

/** A minimal device driver for the fake device: sets up queues, counts callbacks and config changes. */
export function testDriver(options: TestDriverOptions = {}): { readonly driver: VirtioDriver; readonly state: TestDriverState } {
  const state: TestDriverState = { vqs: [], callbacks: new Map(), configChanged: 0, probed: 0, removed: 0 };
  const queues = options.queues ?? [
    { index: 0, callback: true },
    { index: 1, callback: false },
  ];
  const driver: VirtioDriver = {
    name: 'test',
    ...(options.deviceId === undefined ? {} : { deviceId: options.deviceId }),
    featureTable: options.featureTable ?? [0, 1],
    ...(options.validate === undefined ? {} : { validate: options.validate }),
    async probe(dev) {
      state.probed++;
      const found = await dev.findVqs<string>(
        queues.map((q) => ({
          index: q.index,
          name: `q${q.index}`,
          ...(q.size === undefined ? {} : { size: q.size }),
          callback: q.callback ? (vq) => void state.callbacks.set(vq.index, (state.callbacks.get(vq.index) ?? 0) + 1) : null,
        })),
      );
      if (found.kind !== 'ok') return found;
      state.vqs = found.value;
      return null;
    },
    async remove(dev) {
      state.removed++;
      if (options.resetOnRemove === false) return;
      await dev.resetDevice();
      await dev.delVqs();
    },
    configChanged() {
      state.configChanged++;
    },
  };
  return { driver, state };
}

/** A PCI seam whose configuration (and BAR) reads pass through `patch` (and `barPatch`). */
export function patchedPciAccess(
  bus: VirtioPciModern,
  patch: (offset: number, width: number, value: number) => number,
  barPatch: (bar: number, offset: number, value: number) => number = (_b, _o, v) => v,
): PciRegisterAccess {
  return {
    readConfig: (offset, width) => patch(offset, width, bus.readConfig(offset, width)),
    writeConfig: (offset, width, value) => bus.writeConfig(offset, width, value),
    readBar: (bar, offset, width) => barPatch(bar, offset, bus.readBar(bar, offset, width)),
    writeBar: (bar, offset, width, value) => bus.writeBar(bar, offset, width, value),
    onInterrupt: (listener) => bus.onInterrupt(listener),
  };
}
