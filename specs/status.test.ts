import { describe, expect, it } from 'vitest';
import {
  describeStatus,
  STATUS_DEFINED_MASK,
  statusBitNames,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DEVICE_NEEDS_RESET,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_CONFIG_S_NEEDS_RESET,
  VIRTIO_CONFIG_S_SUSPEND,
} from './status.js';

describe('device status bits', () => {
  it('have the values of virtio 2.1', () => {
    expect([
      VIRTIO_CONFIG_S_ACKNOWLEDGE,
      VIRTIO_CONFIG_S_DRIVER,
      VIRTIO_CONFIG_S_DRIVER_OK,
      VIRTIO_CONFIG_S_FEATURES_OK,
      VIRTIO_CONFIG_S_SUSPEND,
      VIRTIO_CONFIG_S_NEEDS_RESET,
      VIRTIO_CONFIG_S_FAILED,
    ]).toEqual([1, 2, 4, 8, 16, 64, 128]);
    expect(VIRTIO_CONFIG_S_DEVICE_NEEDS_RESET).toBe(VIRTIO_CONFIG_S_NEEDS_RESET);
    expect(STATUS_DEFINED_MASK).toBe(0xdf);
  });

  it.each([
    [0, '0x00 RESET'],
    [0x0f, '0x0f ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK'],
    [0x13, '0x13 ACKNOWLEDGE|DRIVER|SUSPEND'],
    [0xc3, '0xc3 ACKNOWLEDGE|DRIVER|DEVICE_NEEDS_RESET|FAILED'],
    [0x20, '0x20 bit5'],
    [0x1ff, '0xff ACKNOWLEDGE|DRIVER|DRIVER_OK|FEATURES_OK|SUSPEND|bit5|DEVICE_NEEDS_RESET|FAILED'],
  ])('describeStatus(%i) = %s', (value, text) => {
    expect(describeStatus(value)).toBe(text);
  });

  it('statusBitNames lists set bits only', () => {
    expect(statusBitNames(VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED)).toEqual(['DRIVER_OK', 'FAILED']);
    expect(statusBitNames(0)).toEqual([]);
  });
});
