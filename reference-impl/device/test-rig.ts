/**
 * Test rig for the core's own tests: a {@link FakeBackend} behind a
 * {@link VirtioDevice}, a transport stand-in that records what the core
 * asks of it, and the register steps a driver takes (features, FEATURES_OK,
 * queue setup) as plain calls on the core. Used by the tests of this folder
 * only; the transports' tests drive the core through their registers.
 *
 * @module
 */

import { featureMask, featureWord } from '../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../specs/features/reserved.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE as ACK,
  VIRTIO_CONFIG_S_DRIVER as DRIVER,
  VIRTIO_CONFIG_S_FEATURES_OK as FEATURES_OK,
} from '../../specs/status.js';
import { type GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import { allocateSplitRing } from '../virtqueue/queue-config.js';
import { SplitDriverQueue } from '../virtqueue/split-driver.js';
import type { InterruptDelivery } from './events.js';
import { FakeBackend } from './fake-backend.js';
import type { TransportBinding } from './transport-binding.js';
import { VirtioDevice, type VirtioDeviceOptions } from './virtio-device.js';

/** A transport stand-in that records what the core asks of it in {@link log}. */
export class RecordingBinding implements TransportBinding {
  readonly transport = 'pci' as const;
  readonly unsupportedFeatures = 0n;
  /** `used <queue>`, `config`, `reset`, `queue-reset <queue>` in call order. */
  readonly log: string[] = [];
  /** Logs `used <queue>`. */
  deliverUsedBuffer(queue: number): InterruptDelivery {
    this.log.push(`used ${queue}`);
    return { kind: 'intx' };
  }
  /** Logs `config`. */
  deliverConfigChange(): InterruptDelivery {
    this.log.push('config');
    return { kind: 'intx' };
  }
  /** Logs `reset`. */
  deviceReset(): void {
    this.log.push('reset');
  }
  /** Logs `queue-reset <queue>`. */
  queueReset(queue: number): void {
    this.log.push(`queue-reset ${queue}`);
  }
}

/** Just VIRTIO_F_VERSION_1. */
export const V1 = featureMask(VIRTIO_F_VERSION_1);

/** A core over `backend` with a {@link RecordingBinding} attached, in 1 MiB of guest memory. */
export function setup(options: VirtioDeviceOptions = {}, backend = new FakeBackend()) {
  const mem = new GuestMemory(1 << 20);
  const device = new VirtioDevice(backend, mem, options);
  const binding = new RecordingBinding();
  device.attachTransport(binding);
  return { mem, device, backend, binding };
}

/** Writes `set` through driver_feature select windows 0..2. */
export function writeFeatures(device: VirtioDevice, set: bigint): void {
  for (let sel = 0; sel < 3; sel++) {
    device.driverFeatureSelect = sel;
    device.writeDriverFeatures(featureWord(set, sel));
  }
}

/** Reset, ACK, DRIVER, features, FEATURES_OK; returns the status read back. */
export function negotiate(device: VirtioDevice, set: bigint): number {
  device.writeStatus(0);
  device.writeStatus(ACK);
  device.writeStatus(ACK | DRIVER);
  writeFeatures(device, set);
  device.writeStatus(ACK | DRIVER | FEATURES_OK);
  return device.readStatus();
}

/** Programs queue `index` with a split ring at fresh memory and enables it; returns the driver side. */
export function enableSplitQueue(device: VirtioDevice, mem: GuestMemory, alloc: GuestAllocator, index: number, size: number) {
  const layout = allocateSplitRing(alloc, size);
  device.queueRegisters.select = index;
  device.queueRegisters.writeSize(size);
  for (const [area, addr] of [['desc', layout.descAddr], ['driver', layout.driverAddr], ['device', layout.deviceAddr]] as const) {
    device.queueRegisters.writeAddress(area, 0, addr);
    device.queueRegisters.writeAddress(area, 1, 0);
  }
  device.queueRegisters.enable();
  return new SplitDriverQueue<number>(mem, { ...layout });
}
