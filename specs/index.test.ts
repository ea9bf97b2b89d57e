import { describe, expect, it } from 'vitest';
import * as specs from './index.js';

describe('specs barrel', () => {
  it('re-exports each module', () => {
    expect(specs.VIRTIO_CONFIG_S_DRIVER_OK).toBe(4);
    expect(specs.VIRTIO_F_VERSION_1).toBe(32);
    expect(specs.VIRTIO_NET_F_IPSEC).toBe(70);
    expect(specs.virtioNetHdrLength(specs.featureMask(specs.VIRTIO_F_VERSION_1))).toBe(12);
    expect(specs.unmetDependencies(0n, 'device')).toEqual([]);
    expect(specs.virtio_net_config.size).toBe(28);
    expect(specs.VIRTIO_NET_CTRL_MQ_RSS_CONFIG).toBe(1);
    expect(specs.VIRTIO_NET_STATS_TYPE_CVQ).toBe(1n << 32n);
    expect(specs.VIRTIO_NET_OFFLOAD_GUEST_UDP_TUNNEL_GSO).toBe(46);
    expect(specs.VIRTIO_NET_HASH_REPORT_TCPv4).toBe(2);
    expect(specs.controlq(1)).toBe(2);
    expect(specs.VIRTIO_MSI_NO_VECTOR).toBe(0xffff);
    expect(specs.VIRTIO_MMIO_MAGIC).toBe(0x74726976);
    expect(specs.defineStruct({ a: 2 }).size).toBe(2);
  });
});
