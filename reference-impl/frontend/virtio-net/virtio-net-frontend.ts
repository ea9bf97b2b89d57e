/**
 * The reference front end, assembled: a transport driver (virtio-pci modern
 * or virtio-mmio v2) over the device's register window, the virtio core,
 * the virtio-net driver and the netdev layer. It reaches the device only
 * through transport registers, guest memory, interrupts (and, for a test,
 * the far side of the wire) — never through the device's objects.
 *
 * @module
 */

import type { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import type { MmioRegisterAccess, PciRegisterAccess } from '../../transport/register-access.js';
import type { VirtioError } from '../virtio/virtio-config-ops.js';
import { VirtioDriverDevice, type VirtioDriverDeviceOptions } from '../virtio/virtio-driver-device.js';
import { VirtioMmioTransport } from '../virtio/virtio-mmio.js';
import { type PciInterruptMode, VirtioPciModernTransport } from '../virtio/virtio-pci-modern.js';
import { type EthtoolOps, virtnetEthtoolOps } from './ethtool-ops.js';
import { NetdevCore, type NetdevCoreOptions } from './netdev-core.js';
import type { VirtnetInfo } from './virtnet-info.js';
import { VirtnetDriver, type VirtnetDriverOptions } from './virtio-driver.js';

/** Where the device is. */
export type FrontEndTarget =
  | { readonly transport: 'pci'; readonly registers: PciRegisterAccess }
  | { readonly transport: 'mmio'; readonly registers: MmioRegisterAccess };

/** Options of {@link attachVirtioNet}. */
export interface FrontEndOptions extends Omit<VirtnetDriverOptions, 'memory' | 'allocator'>, NetdevCoreOptions {
  /** Virtio core options (extra transport bits, config retry limit, indirect table size). */
  readonly core?: VirtioDriverDeviceOptions;
  /** Status reads after a reset before giving up. @default 1000 */
  readonly resetPollLimit?: number;
  /** PCI interrupt modes to try. @default Linux's order */
  readonly interruptModes?: readonly PciInterruptMode[];
}

/** Outcome of {@link attachVirtioNet}. */
export type AttachResult =
  | { readonly kind: 'attached'; readonly frontEnd: VirtioNetFrontEnd }
  /** The transport driver refused the function (IDs, capabilities, magic, version). */
  | { readonly kind: 'transport-failed'; readonly error: VirtioError }
  /** The core or the virtio-net driver refused the device; `status` is the device status left behind. */
  | { readonly kind: 'probe-failed'; readonly error: VirtioError; readonly status: number; readonly driver: VirtnetDriver };

/** ethtool operations bound to one device. */
export type BoundEthtool = {
  readonly [K in keyof EthtoolOps]: EthtoolOps[K] extends (vi: VirtnetInfo, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/** A probed virtio-net front end. */
export class VirtioNetFrontEnd {
  /** ethtool, bound to this device. */
  readonly ethtool: BoundEthtool;

  constructor(
    /** The virtio core the driver is bound through. */
    readonly vdev: VirtioDriverDevice,
    /** The virtio-net driver. */
    readonly driver: VirtnetDriver,
    /** The netdev layer. */
    readonly netdev: NetdevCore,
  ) {
    const vi = netdev.vi;
    const bound: Record<string, unknown> = {};
    for (const [k, fn] of Object.entries(virtnetEthtoolOps)) bound[k] = (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(vi, ...args);
    this.ethtool = bound as BoundEthtool;
  }

  /** The driver state. */
  get vi(): VirtnetInfo {
    return this.netdev.vi;
  }

  /**
   * Waits until every interrupt delivered so far has been handled and every
   * NAPI poll and deferred work item it caused has run, repeating while
   * that handling causes more (a poll's kick completing more buffers).
   */
  async settle(maxRounds = 1000): Promise<void> {
    const s = this.vi.softirq;
    for (let i = 0; i < maxRounds; i++) {
      const before = s.polls + s.works;
      await this.vdev.config.synchronizeCbs();
      await s.drain();
      await this.vdev.config.synchronizeCbs();
      if (!s.busy && s.polls + s.works === before) return;
    }
  }

  /** Driver removal (`virtio_dev_remove`): close, reset, free; the transport stops listening. */
  async remove(): Promise<void> {
    await this.vdev.remove();
    this.vdev.config.close();
  }

  /** Suspend (`virtio_device_freeze`). */
  freeze(): Promise<void> {
    return this.driver.freeze();
  }

  /** Resume (`virtio_device_restore`). */
  restore(): Promise<VirtioError | null> {
    return this.driver.restore();
  }
}

/**
 * Probes the transport, binds the virtio-net driver through the core, and
 * wraps the result. Everything the device refuses, or the driver refuses
 * about the device, comes back as data.
 */
export async function attachVirtioNet(target: FrontEndTarget, memory: GuestMemory, allocator: GuestAllocator, options: FrontEndOptions = {}): Promise<AttachResult> {
  const transportOptions = {
    memory,
    allocator,
    ...(options.resetPollLimit === undefined ? {} : { resetPollLimit: options.resetPollLimit }),
  };
  const transport =
    target.transport === 'pci'
      ? await VirtioPciModernTransport.probe(target.registers, {
          ...transportOptions,
          ...(options.interruptModes === undefined ? {} : { interruptModes: options.interruptModes }),
        })
      : await VirtioMmioTransport.probe(target.registers, transportOptions);
  if (transport.kind !== 'ok') return { kind: 'transport-failed', error: transport };
  const vdev = new VirtioDriverDevice(transport.value, options.core);
  const driver = new VirtnetDriver({ ...options, memory, allocator });
  const probed = await vdev.probe(driver);
  if (probed.kind !== 'ok' || driver.vi === null) {
    const status = await transport.value.getStatus();
    transport.value.close();
    const error = probed.kind !== 'ok' ? probed : (driver.lastError ?? { kind: 'virtio-error', code: 'driver-refused', errno: -22, message: 'probe failed', clauses: [] });
    return { kind: 'probe-failed', error, status, driver };
  }
  const netdev = new NetdevCore(driver.vi, options);
  return { kind: 'attached', frontEnd: new VirtioNetFrontEnd(vdev, driver, netdev) };
}
