/**
 * net_device_ops with a scripted device: the MAC paths (§1.8), RX mode,
 * VLAN, set_features and XDP refusals, phys port name.
 */
import { describe, expect, test } from 'vitest';
import * as N from '../../../specs/features/net.js';
import { ok } from '../virtio/virtio-config-ops.js';
import { NETIF_F_GRO_HW, NETIF_F_RXHASH } from './features.js';
import { virtnetGetPhysPortName, virtnetNetdevOps as ops } from './net-device-ops.js';
import { unitRig } from './test-fixture.js';

const MAC = Uint8Array.of(0x02, 1, 2, 3, 4, 5);

describe('§1.8 set_mac_address', () => {
  test('STANDBY: -EOPNOTSUPP, nothing sent', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_MAC_ADDR, N.VIRTIO_NET_F_STANDBY] });
    expect(await ops.ndoSetMacAddress(rig.vi, MAC)).toBe(-95);
    expect(rig.vi.cvq?.history).toEqual([]);
    expect(virtnetGetPhysPortName(rig.vi)).toBe('sby');
  });

  test('CTRL_MAC_ADDR refused: -EINVAL, MAC unchanged, Linux warning', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_MAC_ADDR], answer: 'err' });
    const before = [...rig.vi.dev.devAddr];
    expect(await ops.ndoSetMacAddress(rig.vi, MAC)).toBe(-22);
    expect([...rig.vi.dev.devAddr]).toEqual(before);
    expect(rig.vi.log.at(-1)?.message).toBe('Failed to set mac address by vq command.');
    expect(rig.vi.cvq?.history.map((h) => [h.class, h.command, h.payloadLengths])).toEqual([[1, 1, [6]]]);
  });

  test('legacy device with F_MAC and no CTRL_MAC_ADDR: six one-byte config writes', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MAC] });
    const writes: [number, number, number][] = [];
    const vdev = rig.vi.vdev as { features: bigint; cwrite: unknown };
    Object.defineProperty(vdev, 'features', { value: 1n << BigInt(N.VIRTIO_NET_F_MAC) });
    vdev.cwrite = async (o: number, w: number, v: number) => {
      writes.push([o, w, v]);
      return ok(undefined);
    };
    expect(await ops.ndoSetMacAddress(rig.vi, MAC)).toBe(0);
    expect(writes).toEqual([...MAC].map((b, i) => [i, 1, b]));
  });

  test('modern without CTRL_MAC_ADDR: local change only; an invalid address is -EADDRNOTAVAIL', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MAC] });
    expect(await ops.ndoSetMacAddress(rig.vi, MAC)).toBe(0);
    expect([...rig.vi.dev.devAddr]).toEqual([...MAC]);
    expect(await ops.ndoSetMacAddress(rig.vi, Uint8Array.of(1, 0, 0, 0, 0, 0))).toBe(-99);
    rig.vi.dev.devAddr = new Uint8Array(6);
    expect(ops.ndoValidateAddr(rig.vi)).toBe(-99);
  });
});

describe('set_rx_mode, VLAN', () => {
  test('without CTRL_RX nothing is sent', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ] });
    expect(await ops.ndoSetRxMode(rig.vi)).toBe(0);
    expect(rig.vi.cvq?.history).toEqual([]);
  });

  test('refusals only warn, with Linux\'s texts; the table carries both lists', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX, N.VIRTIO_NET_F_CTRL_VLAN], answer: 'err' });
    rig.vi.dev.promisc = true;
    rig.vi.dev.uc = [MAC];
    rig.vi.dev.mc = [Uint8Array.of(1, 0, 0x5e, 0, 0, 1), Uint8Array.of(1, 0, 0x5e, 0, 0, 2)];
    expect(await ops.ndoSetRxMode(rig.vi)).toBe(3);
    expect(rig.vi.cvq?.history.map((h) => h.payloadLengths)).toEqual([[1], [1], [10, 16]]);
    expect(await ops.ndoVlanRxAddVid(rig.vi, 7)).toBe(0);
    expect(await ops.ndoVlanRxKillVid(rig.vi, 7)).toBe(0);
    expect(rig.vi.log.map((l) => l.message)).toEqual([
      'Failed to enable promisc mode.',
      'Failed to disable allmulti mode.',
      'Failed to set MAC filter table.',
      'Failed to add VLAN ID 7.',
      'Failed to kill VLAN ID 7.',
    ]);
  });

  test('a MAC table larger than the command area is skipped silently (Linux: kzalloc failed)', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX], control: { payloadArea: 64 } });
    rig.vi.dev.mc = new Array(20).fill(0).map((_, i) => Uint8Array.of(1, 0, 0x5e, 0, 0, i));
    expect(await ops.ndoSetRxMode(rig.vi)).toBe(2);
    expect(rig.vi.log).toEqual([]);
  });
});

describe('set_features', () => {
  test('GRO_HW off: GUEST_OFFLOADS_SET with TSO4/TSO6/ECN/UFO withdrawn, le64', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, N.VIRTIO_NET_F_GUEST_CSUM, N.VIRTIO_NET_F_GUEST_TSO4, N.VIRTIO_NET_F_GUEST_TSO6] });
    rig.vi.guestOffloads = rig.vi.guestOffloadsCapable = (1n << 1n) | (1n << 7n) | (1n << 8n);
    expect(await ops.ndoSetFeatures(rig.vi, rig.vi.dev.features & ~NETIF_F_GRO_HW)).toBe(0);
    expect(rig.vi.guestOffloads).toBe(1n << 1n);
    expect(rig.vi.cvq?.history.map((h) => [h.class, h.command, h.payloadLengths])).toEqual([[5, 0, [8]]]);
  });

  test('RXHASH refused: -EINVAL; GRO_HW while XDP is attached: -EBUSY', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_RSS, N.VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, N.VIRTIO_NET_F_GUEST_TSO4], answer: 'err' });
    expect(await ops.ndoSetFeatures(rig.vi, rig.vi.dev.features | NETIF_F_RXHASH)).toBe(-22);
    rig.vi.xdpEnabled = true;
    expect(await ops.ndoSetFeatures(rig.vi, rig.vi.dev.features & ~NETIF_F_GRO_HW)).toBe(-16);
  });
});

describe('XDP refusals (virtnet_xdp_set)', () => {
  test('guest offloads without CTRL_GUEST_OFFLOADS: -EOPNOTSUPP', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_GUEST_CSUM] });
    expect(await ops.ndoBpf(rig.vi, () => 'pass')).toBe(-95);
  });

  test('MTU above PAGE_SIZE − 32: -EINVAL', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    rig.vi.dev.mtu = 4065;
    expect(await ops.ndoBpf(rig.vi, () => 'pass')).toBe(-22);
    expect(rig.vi.log.at(-1)?.message).toBe('XDP requires MTU less than 4064');
  });

  test('no MQ: XDP_TX shares queue 0, no command; detach without a program is a no-op', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF] });
    expect(await ops.ndoBpf(rig.vi, null)).toBe(0);
    expect(await ops.ndoBpf(rig.vi, () => 'drop')).toBe(0);
    expect({ enabled: rig.vi.xdpEnabled, xdpQp: rig.vi.xdpQueuePairs }).toEqual({ enabled: true, xdpQp: 0 });
    expect(await ops.ndoXdpXmit(rig.vi, [new Uint8Array(60)], 1)).toBe(1);
    expect(rig.vi.sq[0]!.stats.xdp_tx).toBe(1);
  });
});
