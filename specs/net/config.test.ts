import { describe, expect, it } from 'vitest';
import { featureMask } from '../features/feature-set.js';
import { VIRTIO_NET_F_HASH_REPORT, VIRTIO_NET_F_MAC, VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS } from '../features/net.js';
import { checkLayout } from '../layout.js';
import {
  decodeDuplex,
  decodeSpeed,
  isConfigFieldValid,
  VIRTIO_NET_CONFIG_FIELDS,
  virtio_net_config,
  virtioNetConfigSize,
  VIRTIO_NET_DUPLEX_FULL,
  VIRTIO_NET_DUPLEX_HALF,
  VIRTIO_NET_DUPLEX_UNKNOWN,
  type VirtioNetConfigField,
} from './config.js';

describe('virtio_net_config', () => {
  it('has the offsets and sizes of facts.md §4', () => {
    const expected: Record<VirtioNetConfigField, [number, number]> = {
      mac: [0, 6],
      status: [6, 2],
      max_virtqueue_pairs: [8, 2],
      mtu: [10, 2],
      speed: [12, 4],
      duplex: [16, 1],
      rss_max_key_size: [17, 1],
      rss_max_indirection_table_length: [18, 2],
      supported_hash_types: [20, 4],
      supported_tunnel_types: [24, 4],
    };
    for (const [name, [offset, size]] of Object.entries(expected)) {
      expect(virtio_net_config.fields[name as VirtioNetConfigField], name).toEqual({ offset, size });
    }
    expect(virtio_net_config.size).toBe(28);
    expect(checkLayout(virtio_net_config).kind).toBe('layout-ok');
  });

  it('is 24 bytes in 1.2 and 28 in 1.3 and 1.4; only supported_tunnel_types is new', () => {
    expect([virtioNetConfigSize('1.2'), virtioNetConfigSize('1.3'), virtioNetConfigSize('1.4')]).toEqual([24, 28, 28]);
    const newer = Object.values(VIRTIO_NET_CONFIG_FIELDS).filter((f) => f.since !== '1.2');
    expect(newer.map((f) => f.field)).toEqual(['supported_tunnel_types']);
    expect(virtio_net_config.fields.supported_tunnel_types.offset).toBe(virtioNetConfigSize('1.2'));
  });

  it('field validity follows net.cfg.status.any.1', () => {
    expect(isConfigFieldValid('mac', 0n)).toBe(false);
    expect(isConfigFieldValid('mac', featureMask(VIRTIO_NET_F_MAC))).toBe(true);
    expect(isConfigFieldValid('max_virtqueue_pairs', featureMask(VIRTIO_NET_F_MQ))).toBe(true);
    expect(isConfigFieldValid('max_virtqueue_pairs', featureMask(VIRTIO_NET_F_RSS))).toBe(true);
    expect(isConfigFieldValid('rss_max_key_size', featureMask(VIRTIO_NET_F_HASH_REPORT))).toBe(true);
    expect(isConfigFieldValid('rss_max_indirection_table_length', featureMask(VIRTIO_NET_F_HASH_REPORT))).toBe(false);
  });
});

describe('speed and duplex', () => {
  it('duplex follows the field description and Linux (defect 1 decision)', () => {
    expect([VIRTIO_NET_DUPLEX_FULL, VIRTIO_NET_DUPLEX_HALF, VIRTIO_NET_DUPLEX_UNKNOWN]).toEqual([1, 0, 0xff]);
    expect([decodeDuplex(1), decodeDuplex(0), decodeDuplex(0xff), decodeDuplex(2)]).toEqual(['full', 'half', 'unknown', 'unknown']);
  });

  it('speed above 0x7fffffff is unknown (net.cfg.driver.11)', () => {
    expect(decodeSpeed(10_000)).toEqual({ kind: 'known', mbps: 10_000 });
    expect(decodeSpeed(0x7fff_ffff)).toEqual({ kind: 'known', mbps: 0x7fff_ffff });
    expect(decodeSpeed(0x8000_0000)).toEqual({ kind: 'unknown' });
    expect(decodeSpeed(-1)).toEqual({ kind: 'unknown' });
  });
});
