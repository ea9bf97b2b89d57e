import { describe, expect, test } from 'vitest';
import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import * as F from './features.js';

const f = (...bits: number[]) => featureMask(VIRTIO_F_VERSION_1, ...bits);

describe('§1.2 feature table (virtio_net.c:4191-4213)', () => {
  test.each([
    ['CTRL_RX_EXTRA', N.VIRTIO_NET_F_CTRL_RX_EXTRA],
    ['RSC_EXT', N.VIRTIO_NET_F_RSC_EXT],
    ['GUEST_USO4', N.VIRTIO_NET_F_GUEST_USO4],
    ['HOST_USO', N.VIRTIO_NET_F_HOST_USO],
    ['VQ_NOTF_COAL', N.VIRTIO_NET_F_VQ_NOTF_COAL],
    ['GUEST_HDRLEN', N.VIRTIO_NET_F_GUEST_HDRLEN],
    ['GSO (legacy table only)', N.VIRTIO_NET_F_GSO],
  ])('§1.2 %s is never acked on a modern device', (_n, bit) => {
    expect(F.VIRTNET_FEATURES).not.toContain(bit);
  });
  test('§1.2 the modern table has the 26 VIRTNET_FEATURES; legacy adds GSO and ANY_LAYOUT', () => {
    expect(F.VIRTNET_FEATURES.length).toBe(26);
    expect(F.VIRTNET_FEATURES_LEGACY.length).toBe(28);
  });
});

describe('§1.9 netdev features (virtnet_probe :3857-3907)', () => {
  const rows: [string, number[], number, number][] = [
    ['§1.9 always HIGHDMA and RXCSUM (RXCSUM even without GUEST_CSUM, :3899)', [], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM, 0],
    [
      '§1.9 CSUM + HOST_TSO4/6/ECN: checksum, SG, GSO_ROBUST and all TSO on',
      [N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_TSO4, N.VIRTIO_NET_F_HOST_TSO6, N.VIRTIO_NET_F_HOST_ECN],
      F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM | F.NETIF_F_HW_CSUM | F.NETIF_F_SG | F.NETIF_F_GSO_ROBUST | F.NETIF_F_ALL_TSO,
      F.NETIF_F_HW_CSUM | F.NETIF_F_SG | F.NETIF_F_ALL_TSO,
    ],
    ['§1.9 HOST_TSO4 without CSUM gives nothing', [N.VIRTIO_NET_F_HOST_TSO4], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM, 0],
    ['§1.9 HOST_UFO gives no flag', [N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_UFO], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM | F.NETIF_F_HW_CSUM | F.NETIF_F_SG | F.NETIF_F_GSO_ROBUST, F.NETIF_F_HW_CSUM | F.NETIF_F_SG],
    ['§1.9 GUEST_TSO4 turns GRO_HW on', [N.VIRTIO_NET_F_GUEST_TSO4], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM | F.NETIF_F_GRO_HW, 0],
    ['§1.9 CTRL_GUEST_OFFLOADS makes GRO_HW toggleable', [N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM, F.NETIF_F_GRO_HW],
    ['§1.9 RSS makes RXHASH toggleable, off by default', [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_RSS], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM, F.NETIF_F_RXHASH],
    ['§1.9 CTRL_VQ + CTRL_VLAN: VLAN filter', [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_VLAN], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM | F.NETIF_F_HW_VLAN_CTAG_FILTER, 0],
    ['§1.9 CTRL_VLAN without CTRL_VQ: no filter', [N.VIRTIO_NET_F_CTRL_VLAN], F.NETIF_F_HIGHDMA | F.NETIF_F_RXCSUM, 0],
  ];
  test.each(rows)('%s', (_s, bits, features, hw) => {
    const r = F.netdevFeatures(f(...bits));
    expect(F.netifFeatureNames(r.features)).toEqual(F.netifFeatureNames(features));
    expect(F.netifFeatureNames(r.hwFeatures)).toEqual(F.netifFeatureNames(hw));
  });
  test('§1.9 csum=0: TSO is dropped by netdev_fix_features though hw_features keep it', () => {
    const r = F.netdevFeatures(f(N.VIRTIO_NET_F_CSUM, N.VIRTIO_NET_F_HOST_TSO4), { csum: false });
    expect(r.features & F.NETIF_F_ALL_TSO).toBe(0);
    expect(r.hwFeatures & F.NETIF_F_TSO).toBe(F.NETIF_F_TSO);
  });
  test('§1.9 guest_offloads keeps negotiated TSO4/TSO6/ECN/UFO/CSUM at their bit positions', () => {
    const m = F.guestOffloadsOf(f(N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_GUEST_TSO6, N.VIRTIO_NET_F_GUEST_USO4));
    expect(m).toBe((1n << 1n) | (1n << 8n));
    expect(hasFeature(m, N.VIRTIO_NET_F_GUEST_USO4)).toBe(false);
  });
});
