/**
 * `virtio_net_driver`, the `struct virtio_driver` of virtio-net (seed
 * §virtio_net_driver): feature table, validate, probe, remove,
 * config_changed, freeze and restore. Bound to a device by the front-end
 * core (`VirtioDriverDevice.probe`), which runs the status sequence around
 * validate and probe (linux-driver-facts §1.1).
 *
 * @module
 */

import { VIRTIO_ID_NET } from '../../../specs/transport/pci.js';
import type { VirtioDevice, VirtioDriver, VirtioError } from '../virtio/virtio-config-ops.js';
import { VIRTNET_FEATURES } from './features.js';
import { virtnetClose } from './net-device-ops/open-stop.js';
import type { VirtnetInfo } from './virtnet-info.js';
import { virtnetConfigChanged } from './virtio-driver/config-changed.js';
import { virtnetFreeze, virtnetRestore } from './virtio-driver/freeze-restore.js';
import { removeVqCommon } from './virtio-driver/init-vqs.js';
import { type VirtnetDriverOptions, virtnetProbe, virtnetValidate } from './virtio-driver/probe.js';

export { virtnetConfigChanged, virtnetConfigChangedWork, virtnetUpdateSettings } from './virtio-driver/config-changed.js';
export { virtnetFreeze, virtnetRestore } from './virtio-driver/freeze-restore.js';
export { initVqs, removeVqCommon, virtnetQueueRequests } from './virtio-driver/init-vqs.js';
export { CFG, type ProbeResult, type VirtnetDriverOptions, virtnetProbe, virtnetValidate } from './virtio-driver/probe.js';

/** The virtio-net driver: one instance per device it binds. */
export class VirtnetDriver implements VirtioDriver {
  readonly name = 'virtio_net';
  readonly deviceId = VIRTIO_ID_NET;
  /** `features[]`: VIRTNET_FEATURES; the core adds the transport bits 28..40 it keeps. */
  readonly featureTable: readonly number[] = VIRTNET_FEATURES;
  /** The driver state after a successful probe, else null. */
  vi: VirtnetInfo | null = null;
  /** The last probe refusal, for diagnostics. */
  lastError: VirtioError | null = null;
  private frozenFailed = false;

  constructor(readonly options: VirtnetDriverOptions) {}

  /** `virtnet_validate`. */
  validate(dev: VirtioDevice): Promise<VirtioError | null> {
    return virtnetValidate(dev);
  }

  /** `virtnet_probe`. */
  async probe(dev: VirtioDevice): Promise<VirtioError | null> {
    const r = await virtnetProbe(dev, this.options);
    if (r.kind !== 'probed') {
      this.lastError = r;
      return r;
    }
    this.vi = r.vi;
    return null;
  }

  /**
   * `virtnet_remove`: flush the config work, unregister (closing the
   * interface when up), then reset the device and free every buffer.
   */
  async remove(): Promise<void> {
    const vi = this.vi;
    if (vi === null) return;
    await vi.softirq.drain();
    if (vi.dev.up) {
      await virtnetClose(vi);
      vi.dev.up = false;
    }
    vi.dev.registered = false;
    vi.dev.uc = [];
    vi.dev.mc = [];
    await removeVqCommon(vi);
    await vi.softirq.drain();
    this.vi = null;
  }

  /** `virtnet_config_changed`: schedules the config work. */
  configChanged(): void {
    if (this.vi !== null) virtnetConfigChanged(this.vi);
  }

  /** `virtio_device_freeze` + `virtnet_freeze`. */
  async freeze(): Promise<void> {
    if (this.vi !== null) this.frozenFailed = await virtnetFreeze(this.vi);
  }

  /** `virtio_device_restore` + `virtnet_restore`. */
  async restore(): Promise<VirtioError | null> {
    if (this.vi === null) return null;
    return virtnetRestore(this.vi, this.frozenFailed, this.options);
  }
}
