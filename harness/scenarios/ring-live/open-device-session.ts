/**
 * Bringing a device under test up for the device-side ring checks: the
 * harness's own minimal virtio-net driver (the reference front end's
 * transport driver and virtio core with a tiny device driver) negotiates
 * the ring features a scenario asks for, sets up receiveq1 and transmitq1
 * with small rings, attaches the ring observers at queue enable and reports
 * used-buffer interrupts to them from the register seam.
 *
 * @module
 */

import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MRG_RXBUF } from '../../../specs/features/net.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_PACKED,
} from '../../../specs/features/reserved.js';
import { VIRTIO_ID_NET } from '../../../specs/transport/pci.js';
import { VirtqueueHandle } from '../../../reference-impl/frontend/virtio/driver-virtqueue.js';
import { type DriverVirtqueue, virtioError, type VirtioDriver } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import { VirtioDriverDevice } from '../../../reference-impl/frontend/virtio/virtio-driver-device.js';
import type { DeviceUnderTest } from '../../adapters/contract.js';
import { bindTransportDriver } from '../../drivers/transport-driver.js';
import { ByteMemoryReader } from '../../observers/index.js';
import { DeviceSession, type DeviceSessionOptions, RX_QUEUE, type SessionRefusal, TX_QUEUE } from './device-session.js';
import { QueueObservers } from './queue-observers.js';

/**
 * Probes `device` with the harness driver, negotiates what `options` asks
 * for among what it offers, sets up receiveq1 and transmitq1 and attaches an
 * observer to each at queue enable (before DRIVER_OK, so before the device
 * may touch the rings).
 */
export async function openDeviceSession(device: DeviceUnderTest, options: DeviceSessionOptions): Promise<DeviceSession | SessionRefusal> {
  const log = options.trace ?? (() => {});
  const bound = await bindTransportDriver(device);
  if (bound.kind !== 'bound') return { kind: 'failed', reason: `transport probe failed: ${bound.code}: ${bound.message}` };
  const vdev = new VirtioDriverDevice(bound.ops, { extraTransportFeatures: options.inOrder === true ? featureMask(VIRTIO_F_IN_ORDER) : 0n });
  const observers = new QueueObservers(new ByteMemoryReader(device.memory.view.u8), {
    onFinding: (f) => log(f.kind === 'violation' ? `finding ${f.rule} (${f.clause}) on queue ${f.queue}: ${f.observed}` : `observer gave up on queue ${f.queue}: ${f.reason}`),
  });
  let vqs: readonly VirtqueueHandle<number>[] = [];
  const size = options.queueSize ?? 8;
  const driver: VirtioDriver = {
    name: 'ring-harness',
    deviceId: VIRTIO_ID_NET,
    featureTable: options.mergeable === true ? [VIRTIO_NET_F_MRG_RXBUF] : [],
    async validate(dev) {
      const wantPacked = options.ring === 'packed';
      if (wantPacked && !dev.hasFeature(VIRTIO_F_RING_PACKED)) return virtioError('not-supported', 'the device does not offer VIRTIO_F_RING_PACKED');
      if (!wantPacked) dev.clearFeature(VIRTIO_F_RING_PACKED);
      if (!options.eventIdx) dev.clearFeature(VIRTIO_F_EVENT_IDX);
      if (!options.indirect) dev.clearFeature(VIRTIO_F_INDIRECT_DESC);
      return null;
    },
    async probe(dev) {
      const found = await dev.findVqs<number>([
        { index: RX_QUEUE, name: 'input.0', size, callback: () => {} },
        { index: TX_QUEUE, name: 'output.0', size, callback: () => {} },
      ]);
      if (found.kind !== 'ok') return found;
      vqs = found.value.map((vq) => asHandle(vq));
      for (const vq of vqs) observers.attach({ queue: vq.index, format: vq.format, ...vq.layout }, dev.features);
      log(`queues enabled: ${vqs.map((q) => `${q.name} size ${q.size} ${q.format}`).join(', ')}`);
      return null;
    },
  };
  let session: DeviceSession | null = null;
  const unsubscribe = subscribeInterrupts(device, (queues) => {
    session?.noteInterrupt();
    log(`used-buffer interrupt${queues === undefined ? '' : ` (queues ${queues.join(', ')})`}`);
    observers.usedNotification(queues);
  }, () => vqs);
  const probe = async (): Promise<readonly VirtqueueHandle<number>[] | SessionRefusal> => {
    const probed = await vdev.probe(driver);
    if (probed.kind === 'ok') return vqs;
    const reason = `${probed.code}: ${probed.message}`;
    return probed.code === 'not-supported' || probed.code === 'features-refused' ? { kind: 'not-applicable', reason } : { kind: 'failed', reason };
  };
  const first = await probe();
  if ('kind' in first) {
    unsubscribe();
    return first;
  }
  session = new DeviceSession(device, vdev, first, observers, probe, log);
  log(`device live with features 0x${vdev.features.toString(16)}`);
  return session;
}

function asHandle(vq: DriverVirtqueue<number>): VirtqueueHandle<number> {
  if (!(vq instanceof VirtqueueHandle)) throw new TypeError('the transport driver returned a queue without ring placement');
  return vq as VirtqueueHandle<number>;
}

/**
 * Reports used-buffer interrupts at the register seam: an MSI-X vector
 * names the queues mapped to it; INTx and the MMIO line name no queue.
 */
function subscribeInterrupts(
  device: DeviceUnderTest,
  onUsed: (queues: readonly number[] | undefined) => void,
  vqs: () => readonly VirtqueueHandle<number>[],
): () => void {
  const r = device.registers;
  if (r.transport === 'pci') {
    return r.access.onInterrupt((i) => {
      if (i.kind === 'msix') {
        const queues = vqs().filter((q) => q.vector === i.vector).map((q) => q.index);
        if (queues.length > 0) onUsed(queues);
      } else if (i.asserted) {
        onUsed(undefined);
      }
    });
  }
  return r.access.onInterrupt((i) => {
    if (i.asserted && (i.interruptStatus & 1) !== 0) onUsed(undefined);
  });
}
