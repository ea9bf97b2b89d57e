import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { FEATURE_BIT_BY_NAME } from '../../../specs/features/feature-set.js';
import { deviceArgument, formatProperty, planDevice, QEMU_FEATURE_PROPERTIES, type QemuDevicePlan } from './device-properties.js';

function plan(request: Parameters<typeof planDevice>[0], options: Parameters<typeof planDevice>[1] = {}): QemuDevicePlan {
  const r = planDevice(request, options);
  if (r.kind !== 'plan') throw new Error(r.reason);
  return r.plan;
}

const props = (p: QemuDevicePlan): Record<string, unknown> => Object.fromEntries(p.properties);

describe('planDevice', () => {
  it('leaves QEMU defaults alone when the request names nothing', () => {
    expect(plan({})).toEqual({ properties: [], linkDown: false, notes: [] });
  });

  it('switches one property per added or withheld feature (qemu-qtest.md §2.2)', () => {
    const p = plan({
      addFeatures: ['VIRTIO_F_RING_PACKED', 'VIRTIO_NET_F_MQ', 'VIRTIO_NET_F_SPEED_DUPLEX'],
      withoutFeatures: ['VIRTIO_F_EVENT_IDX', 'VIRTIO_F_INDIRECT_DESC', 'VIRTIO_NET_F_CTRL_VQ'],
    });
    expect(props(p)).toEqual({ packed: true, mq: true, event_idx: false, indirect_desc: false, ctrl_vq: false, speed: 10000, duplex: 'full' });
  });

  it('accepts aliases (RING_EVENT_IDX, IOMMU_PLATFORM)', () => {
    expect(props(plan({ withoutFeatures: ['VIRTIO_F_RING_EVENT_IDX'], addFeatures: ['VIRTIO_F_IOMMU_PLATFORM'] }))).toEqual({ event_idx: false, iommu_platform: true });
  });

  it('gives an exact feature list a value for every switchable property', () => {
    const p = plan({ features: ['VIRTIO_F_VERSION_1', 'VIRTIO_NET_F_MAC', 'VIRTIO_NET_F_MRG_RXBUF'] });
    const values = props(p);
    expect(Object.keys(values)).toHaveLength(QEMU_FEATURE_PROPERTIES.length);
    expect(Object.entries(values).filter(([, v]) => v === true)).toEqual([['mrg_rxbuf', true]]);
  });

  it('refuses what QEMU cannot withhold or provide, with the reason', () => {
    expect(planDevice({ withoutFeatures: ['VIRTIO_NET_F_MAC'] })).toEqual({ kind: 'unsupported', reason: 'QEMU always offers VIRTIO_NET_F_MAC' });
    expect(planDevice({ features: ['VIRTIO_NET_F_MAC'] })).toEqual({ kind: 'unsupported', reason: 'QEMU always offers VIRTIO_F_VERSION_1' });
    expect(planDevice({ maxVirtqueuePairs: 2 })).toMatchObject({ kind: 'unsupported', reason: expect.stringContaining('one queue pair') });
    expect(planDevice({ addFeatures: ['VIRTIO_NET_F_BOGUS'] })).toEqual({ kind: 'unsupported', reason: 'unknown feature name(s): VIRTIO_NET_F_BOGUS' });
    expect(planDevice({ mac: '52:54:00:12:34' })).toMatchObject({ kind: 'unsupported' });
    expect(planDevice({ queueSize: 64 }, { strictQueueSize: true })).toMatchObject({ kind: 'unsupported', reason: expect.stringContaining('256..1024') });
  });

  it('maps MAC, MTU, link state and queue sizes', () => {
    const p = plan({ mac: '52:54:00:AB:CD:EF', mtu: 9000, linkUp: false, queueSize: 512, maxVirtqueuePairs: 1 });
    expect(props(p)).toEqual({ mac: '52:54:00:ab:cd:ef', host_mtu: 9000, rx_queue_size: 512, tx_queue_size: 512 });
    expect(p.linkDown).toBe(true);
    expect(p.notes).toEqual(['transmitq size stays 256 (QEMU honours tx_queue_size only with vhost-user/vdpa)']);
    expect(plan({ addFeatures: ['VIRTIO_NET_F_MTU'] }).properties).toEqual([['host_mtu', 1500]]);
    expect(plan({ queueSize: 32 }).notes).toEqual(['queue size 32 not reportable by QEMU; it reports 256 (the driver may choose 32)']);
  });

  it('notes offloads the stream backend hides instead of pretending to offer them', () => {
    expect(plan({ addFeatures: ['VIRTIO_NET_F_CSUM'] }).notes).toEqual(['VIRTIO_NET_F_CSUM is not offered: the stream backend has no vnet header']);
  });

  it('lets the adapter\'s extra properties win over the request', () => {
    expect(plan({ withoutFeatures: ['VIRTIO_F_EVENT_IDX'] }, { properties: { event_idx: true, x_txburst: 64 } }).properties).toEqual([
      ['event_idx', true],
      ['x_txburst', 64],
    ]);
  });

  test.prop([fc.subarray(QEMU_FEATURE_PROPERTIES.map((p) => p.bit)), fc.subarray(QEMU_FEATURE_PROPERTIES.map((p) => p.bit))])(
    'sets exactly the added properties on and the withheld ones off (withheld wins)',
    (added, withheld) => {
      const name = (bit: number): string => Object.entries(FEATURE_BIT_BY_NAME).find(([, b]) => b === bit)?.[0] as string;
      const values = props(plan({ addFeatures: added.map(name), withoutFeatures: withheld.map(name) }));
      for (const p of QEMU_FEATURE_PROPERTIES) {
        const expected = withheld.includes(p.bit) ? false : added.includes(p.bit) ? true : undefined;
        expect(values[p.property]).toBe(expected);
      }
    },
  );
});

describe('deviceArgument', () => {
  it('builds the modern-only PCI device of qemu-qtest.md §1.1 and the MMIO device of §1.3', () => {
    const p = plan({ mac: '52:54:00:12:34:56', withoutFeatures: ['VIRTIO_F_EVENT_IDX'] });
    expect(deviceArgument('q35', p, 'n0')).toBe(
      'virtio-net-pci,id=nic0,addr=01.0,romfile=,disable-legacy=on,ioeventfd=off,netdev=n0,event_idx=off,mac=52:54:00:12:34:56',
    );
    expect(deviceArgument('microvm', p, 'n0')).toBe('virtio-net-device,id=nic0,netdev=n0,event_idx=off,mac=52:54:00:12:34:56');
  });

  it('doubles commas so a value cannot add an option', () => {
    expect(formatProperty('failover_pair_id', 'a,netdev=evil')).toBe('failover_pair_id=a,,netdev=evil');
  });
});
