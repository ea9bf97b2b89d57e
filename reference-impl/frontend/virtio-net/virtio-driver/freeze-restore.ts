/**
 * Suspend and resume: `virtnet_freeze` / `virtnet_restore` (Linux 6.1) with
 * the core's part, `virtio_device_freeze` / `virtio_device_restore`
 * (drivers/virtio/virtio.c), which the front-end core does not provide:
 * restore resets the device, goes through ACKNOWLEDGE, DRIVER, the same
 * feature write and FEATURES_OK read-back (`init.driver.1`), sets the
 * queues up again, DRIVER_OK, then VQ_PAIRS_SET. Like 6.1, restore does not
 * re-run validate and does not send the RX mode, MAC table, VLANs or RSS
 * again: the device comes back with its reset defaults for those.
 *
 * @module
 */

import { VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER, VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FAILED, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../../specs/status.js';
import { type VirtioDevice, type VirtioError, virtioError } from '../../virtio/virtio-config-ops.js';
import { virtnetSetQueues } from '../ctrl-commands.js';
import { virtnetClose, virtnetOpen } from '../net-device-ops/open-stop.js';
import { netifTxStopAllQueues, netifTxWakeAllQueues, type VirtnetInfo } from '../virtnet-info.js';
import { initVqs, type QueueMemoryOptions, removeVqCommon } from './init-vqs.js';

/** `virtnet_freeze_down`: detach the netdev and close it when running. */
async function virtnetFreezeDown(vi: VirtnetInfo): Promise<void> {
  await vi.softirq.drain();
  vi.dev.present = false;
  netifTxStopAllQueues(vi);
  if (vi.dev.up) await virtnetClose(vi);
}

/** `virtio_device_freeze` + `virtnet_freeze`. Returns whether FAILED was set (remembered for restore). */
export async function virtnetFreeze(vi: VirtnetInfo): Promise<boolean> {
  vi.vdev.configDisable();
  const failed = ((await vi.vdev.getStatus()) & VIRTIO_CONFIG_S_FAILED) !== 0;
  await virtnetFreezeDown(vi);
  await removeVqCommon(vi);
  return failed;
}

/**
 * `virtio_device_restore` + `virtnet_restore`. On failure FAILED is set, as
 * Linux does.
 */
export async function virtnetRestore(vi: VirtnetInfo, failedBefore: boolean, mem: QueueMemoryOptions): Promise<VirtioError | null> {
  const vdev: VirtioDevice = vi.vdev;
  const reset = await vdev.resetDevice();
  if (reset.kind !== 'ok') return reset;
  await vdev.addStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
  if (failedBefore) await vdev.addStatus(VIRTIO_CONFIG_S_FAILED);
  await vdev.addStatus(VIRTIO_CONFIG_S_DRIVER);
  const fail = async (e: VirtioError): Promise<VirtioError> => {
    await vdev.addStatus(VIRTIO_CONFIG_S_FAILED);
    return e;
  };
  const written = await vdev.config.finalizeFeatures(vdev.features);
  if (written.kind !== 'ok') return fail(written);
  await vdev.addStatus(VIRTIO_CONFIG_S_FEATURES_OK);
  if (((await vdev.getStatus()) & VIRTIO_CONFIG_S_FEATURES_OK) === 0) {
    return fail(virtioError('features-refused', `virtio: device refuses features: ${vdev.features.toString(16)}`));
  }
  const vqErr = await initVqs(vi, mem);
  if (vqErr !== null) return fail(vqErr);
  await vdev.deviceReady();
  vi.refillEnabled = true;
  if (vi.dev.up) await virtnetOpen(vi);
  vi.dev.present = true;
  if (vi.dev.up) netifTxWakeAllQueues(vi);
  await virtnetSetQueues(vi, vi.currQueuePairs);
  if (((await vdev.getStatus()) & VIRTIO_CONFIG_S_DRIVER_OK) === 0) await vdev.deviceReady();
  vdev.configEnable();
  return null;
}
