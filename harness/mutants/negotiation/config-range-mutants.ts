/**
 * Device mutants that put out-of-range values in net config fields, each by answering the
 * transport's config reads of one field with a value the spec forbids.
 *
 * @module
 */

import type { AccessWidth } from '../../../reference-impl/device/backend.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import { virtio_net_config, type VirtioNetConfigField } from '../../../specs/net/config.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { DeviceMutant } from '../mutant.js';

type Device = ReferenceNetDevice<'pci' | 'mmio'>;

/** Makes every read that starts at `field`'s offset with its natural width return `value`. */
function forceField(device: Device, field: VirtioNetConfigField, value: number): void {
  const { offset, size } = virtio_net_config.fields[field];
  const read = device.net.readConfig.bind(device.net);
  device.net.readConfig = (at: number, width: AccessWidth) => (at === offset && width === size ? value : read(at, width));
}

function mutant(id: string, title: string, killedBy: DeviceMutant['killedBy'], field: VirtioNetConfigField, value: number, imitates?: string): DeviceMutant {
  return {
    id,
    title,
    role: 'device',
    killedBy,
    ...(imitates === undefined ? {} : { imitates }),
    adapter: referenceDeviceAdapter({ name: id, tamper: (d) => forceField(d, field, value) }),
  };
}

/** A device that offers MQ but leaves max_virtqueue_pairs 0 (an unconfigured backend: `net.cfg.device.1`). */
export const zeroQueuePairs = mutant(
  'device.negotiation.max-virtqueue-pairs-zero',
  'offers MQ with max_virtqueue_pairs 0',
  ['negotiation.device.max-virtqueue-pairs-range'],
  'max_virtqueue_pairs',
  0,
  'a backend that offers MQ before it knows its queue count',
);

/** A device that reports one pair more than VIRTQUEUE_PAIRS_MAX (0x8001, `net.cfg.device.1`). */
export const tooManyQueuePairs = mutant(
  'device.negotiation.max-virtqueue-pairs-0x8001',
  'offers MQ with max_virtqueue_pairs 0x8001',
  ['negotiation.device.max-virtqueue-pairs-range'],
  'max_virtqueue_pairs',
  0x8001,
);

/** A device that reports a speed with bit 31 set (a negative ethtool speed, `net.cfg.device.10`). */
export const negativeSpeed = mutant(
  'device.negotiation.speed-negative',
  'reports speed 0x80000000',
  ['negotiation.device.speed-range'],
  'speed',
  0x8000_0000,
  'a host passing a signed -1-like sentinel other than SPEED_UNKNOWN',
);

/** A device that reports duplex 2 (neither full, half nor unknown, `net.cfg.device.11`). */
export const badDuplex = mutant('device.negotiation.duplex-2', 'reports duplex 0x02', ['negotiation.device.duplex-range'], 'duplex', 2);

/** The mutants of this module. */
export const configRangeMutants: readonly DeviceMutant[] = [zeroQueuePairs, tooManyQueuePairs, negativeSpeed, badDuplex];
