import { describe, expect, it } from 'vitest';
import { featureMask, featureWord } from '../../specs/features/feature-set.js';
import {
  VIRTIO_F_NOTIF_CONFIG_DATA,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
} from '../../specs/features/reserved.js';
import { virtio_pci_common_cfg, VIRTIO_MSI_NO_VECTOR } from '../../specs/transport/pci.js';
import { FAKE_DEVICE_ID, FAKE_OFFERED_FEATURES } from '../device/fake-backend.js';
import { SplitDriverQueue } from '../virtqueue/split-driver.js';
import { setup } from './pci-probe.js';

const V1 = featureMask(VIRTIO_F_VERSION_1);

describe('PCI configuration space', () => {
  it('carries the virtio IDs (`pci.disc.device.2`, `.3`, `.6`, `.7`)', () => {
    const { pci } = setup();
    expect(pci.readConfig(0x00, 2)).toBe(0x1af4);
    expect(pci.readConfig(0x02, 2)).toBe(0x1040 + FAKE_DEVICE_ID);
    expect(pci.readConfig(0x08, 1)).toBeGreaterThanOrEqual(1);
    expect(pci.readConfig(0x2c, 2)).toBe(0x1af4);
    expect(pci.readConfig(0x2e, 2)).toBeGreaterThanOrEqual(0x40);
    expect(pci.readConfig(0x06, 2) & 0x10).toBe(0x10);
    expect(pci.readConfig(0x0b, 1)).toBe(0xff);
  });

  it('lists common, notify, ISR, device and PCI_CFG capabilities with valid placement (`pci.common.device.1`, `pci.notify.device.*`)', () => {
    const { probe, device } = setup();
    expect([...probe.caps.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(probe.cap(1)).toMatchObject({ bar: 4, length: 64, len: 16 });
    expect(probe.cap(1).offset % 4).toBe(0);
    expect(probe.cap(4)).toMatchObject({ length: 8 });
    expect(probe.cap(4).offset % 4).toBe(0);
    expect(probe.cap(2).len).toBe(20);
    expect(probe.notifyMult).toBe(4);
    expect(probe.cap(2).length).toBeGreaterThanOrEqual((device.numQueues - 1) * probe.notifyMult + 4);
    expect(probe.cap(5).len).toBe(20);
    expect(probe.msixCap).toBeGreaterThan(0);
    expect((probe.pci.readConfig(probe.msixCap + 2, 2) & 0x7ff) + 1).toBe(3);
  });

  it('sizes BARs the standard way', () => {
    const { pci } = setup();
    pci.writeConfig(0x20, 4, 0xffff_ffff);
    pci.writeConfig(0x24, 4, 0xffff_ffff);
    expect(pci.readConfig(0x20, 4)).toBe(((~(pci.layout.virtioBarSize - 1) & ~0xf) | 0xc) >>> 0);
    expect(pci.readConfig(0x24, 4)).toBe(0xffff_ffff);
    pci.writeConfig(0x14, 4, 0xffff_ffff);
    expect(pci.readConfig(0x14, 4)).toBe(0xffff_f000);
    pci.writeConfig(0x10, 4, 0xffff_ffff);
    expect(pci.readConfig(0x10, 4)).toBe(0);
  });

  it('BAR accesses with memory space disabled read all-ones and are counted', () => {
    const { pci, device } = setup();
    pci.writeConfig(0x04, 2, 0);
    expect(pci.readBar(4, 0x12, 2)).toBe(0xffff);
    expect(device.counters.registerErrors).toBe(1);
  });

  it('reports writes to read-only virtio capability bytes (`pci.cap.driver.8`)', () => {
    const { pci, probe, device } = setup();
    pci.writeConfig(probe.cap(1).at + 8, 4, 0x1234);
    expect(pci.readConfig(probe.cap(1).at + 8, 4)).toBe(probe.cap(1).offset);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['pci.cap.driver.8']);
  });

  it('the PCI_CFG window reads and writes the BAR (`pci.cfgacc.device.2`, `.3`)', () => {
    const { pci, probe, device } = setup();
    const at = probe.cap(5).at;
    pci.writeConfig(at + 4, 1, 4);
    pci.writeConfig(at + 8, 4, probe.cap(1).offset + virtio_pci_common_cfg.fields.num_queues.offset);
    pci.writeConfig(at + 12, 4, 2);
    expect(pci.readConfig(at + 16, 4)).toBe(2);
    pci.writeConfig(at + 8, 4, probe.cap(1).offset + virtio_pci_common_cfg.fields.device_status.offset);
    pci.writeConfig(at + 12, 4, 1);
    pci.writeConfig(at + 16, 4, 1);
    expect(device.status).toBe(1);
    pci.writeConfig(at + 8, 4, 0x3ff0); // outside every structure
    pci.writeConfig(at + 12, 4, 4);
    expect(pci.readConfig(at + 16, 4)).toBe(0);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['pci.cfgacc.driver.2']);
  });
});

describe('common configuration', () => {
  it('full init sequence over INTx: features, FEATURES_OK, queues, DRIVER_OK, kick, ISR', () => {
    const { probe, mem, alloc, backend, pci } = setup({ msixVectors: 0 });
    expect(probe.msixCap).toBe(-1);
    const words = [0, 1, 2].map((sel) => {
      probe.write('device_feature_select', sel);
      return probe.read('device_feature');
    });
    expect(words).toEqual([featureWord(FAKE_OFFERED_FEATURES, 0), featureWord(FAKE_OFFERED_FEATURES, 1), 0]);
    expect(probe.read('num_queues')).toBe(2);
    expect(probe.negotiate(V1)).toBe(0x0b);
    probe.write('queue_select', 0);
    expect(probe.read('queue_size')).toBe(256);
    expect(probe.read('queue_notify_off')).toBe(0);
    const layout = probe.setupQueue(mem, alloc, 0, 16);
    expect(probe.read('queue_enable')).toBe(1);
    expect(probe.read('queue_desc')).toBe(layout.descAddr);
    probe.setupQueue(mem, alloc, 1, 8);
    expect(probe.read('queue_notify_off')).toBe(1);
    probe.write('device_status', 0x0f);
    expect(probe.read('device_status')).toBe(0x0f);
    const driver = new SplitDriverQueue<number>(mem, layout);
    driver.addSgs([{ addr: alloc.alloc(32), len: 32 }], [], 1);
    probe.kick(0);
    expect(backend.calls).toContain('notify 0 0x0');
    expect(probe.interrupts).toEqual([{ kind: 'intx', asserted: true }]);
    expect(pci.readConfig(0x06, 2) & 0x8).toBe(0x8);
    expect(probe.isr()).toBe(1);
    expect(probe.isr()).toBe(0);
    expect(probe.interrupts.at(-1)).toEqual({ kind: 'intx', asserted: false });
    expect(pci.readConfig(0x06, 2) & 0x8).toBe(0);
    const used = driver.getUsed();
    expect(used !== null && used.kind === 'used' ? used.token : used).toBe(1);
  });

  it('refuses accesses that match no field or write a read-only one', () => {
    const { probe, pci, device } = setup();
    expect(pci.readBar(4, 0x14, 4)).toBe(0); // device_status is 1 byte
    probe.write('num_queues', 9);
    expect(probe.read('num_queues')).toBe(2);
    expect(device.counters.registerErrors).toBe(2);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['pci.layout.driver.1', 'pci.common.driver.1']);
  });

  it('FEATURES_OK refused for an unoffered bit reads back clear', () => {
    const { probe } = setup({}, {}, { offeredFeatures: V1 });
    expect(probe.negotiate(V1 | featureMask(VIRTIO_F_RING_RESET))).toBe(0x03);
  });

  it('queue_enable = 0 is ignored and reported (`pci.common.driver.6`)', () => {
    const { probe, mem, alloc, device } = setup();
    probe.negotiate(V1);
    probe.setupQueue(mem, alloc, 0, 16);
    probe.write('queue_enable', 0);
    expect(probe.read('queue_enable')).toBe(1);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['pci.common.driver.6']);
  });

  it('the two halves of a 64-bit field are independent (`pci.layout.device.1`)', () => {
    const { probe } = setup();
    probe.write('queue_driver', 0x1234_5678, 1);
    probe.write('queue_driver', 0x9abc_def0, 0);
    expect([probe.read('queue_driver', 0), probe.read('queue_driver', 1)]).toEqual([0x9abc_def0, 0x1234_5678]);
  });

  it('config_generation changes on a config change and ISR bit 1 is set before the interrupt', () => {
    const { probe, backend, mem, alloc } = setup({ msixVectors: 0 });
    probe.negotiate(V1);
    probe.setupQueue(mem, alloc, 0, 16);
    probe.write('device_status', 0x0f);
    const before = probe.read('config_generation');
    backend.setCounter(9);
    expect(probe.read('config_generation')).toBe((before + 1) & 0xff);
    const c = probe.cap(4);
    expect(probe.pci.readBar(c.bar, c.offset, 4)).toBe(9);
    expect(probe.isr()).toBe(2);
  });
});

describe('MSI-X', () => {
  it('vectors read back, beyond the table read NO_VECTOR, and reset clears them all (`pci.msix.device.6`, `.7`, `.9`)', () => {
    const { probe } = setup();
    probe.write('config_msix_vector', 0);
    probe.write('queue_select', 1);
    probe.write('queue_msix_vector', 2);
    expect(probe.read('config_msix_vector')).toBe(0);
    expect(probe.read('queue_msix_vector')).toBe(2);
    probe.write('queue_msix_vector', 3);
    expect(probe.read('queue_msix_vector')).toBe(VIRTIO_MSI_NO_VECTOR);
    probe.write('queue_msix_vector', 2);
    probe.write('device_status', 0);
    probe.write('queue_select', 1);
    expect([probe.read('config_msix_vector'), probe.read('queue_msix_vector'), probe.read('device_status')]).toEqual([
      VIRTIO_MSI_NO_VECTOR,
      VIRTIO_MSI_NO_VECTOR,
      0,
    ]);
  });

  it('the default table has a vector per queue plus one for config, at most 0x800 (vectors 0..0x7FF, facts.md §11.2)', () => {
    const many = (queues: number) => ({ queueMaxSizes: Array.from({ length: queues }, () => 64) });
    // 2201 queues: 1100 queue pairs and a control queue.
    for (const [queues, vectors] of [[2, 3], [2047, 2048], [2048, 2048], [2201, 2048]] as const) {
      const { pci, probe } = setup({}, {}, many(queues));
      expect([probe.read('num_queues'), pci.layout.msixVectors]).toEqual([queues, vectors]);
      expect((pci.readConfig(probe.msixCap + 2, 2) & 0x7ff) + 1).toBe(vectors); // Table Size is N − 1
    }
    const { probe } = setup({}, {}, many(2201));
    probe.write('queue_select', 2200);
    probe.write('queue_msix_vector', 0x7ff);
    expect(probe.read('queue_msix_vector')).toBe(0x7ff);
    probe.write('queue_msix_vector', 0x800);
    expect(probe.read('queue_msix_vector')).toBe(VIRTIO_MSI_NO_VECTOR);
  });

  it('delivers queue interrupts to their vector, none for NO_VECTOR, and never sets ISR bit 0', () => {
    const { probe, mem, alloc, device } = setup();
    probe.enableMsix(3);
    probe.negotiate(V1);
    probe.write('config_msix_vector', 0);
    const l0 = probe.setupQueue(mem, alloc, 0, 16, 1);
    const l1 = probe.setupQueue(mem, alloc, 1, 16, VIRTIO_MSI_NO_VECTOR);
    probe.write('device_status', 0x0f);
    for (const [q, layout] of [[0, l0], [1, l1]] as const) {
      new SplitDriverQueue<number>(mem, layout).addSgs([{ addr: alloc.alloc(16), len: 16 }], [], 1);
      probe.kick(q);
    }
    expect(probe.interrupts).toEqual([{ kind: 'msix', vector: 1, addressLo: 0xfee0_0004, addressHi: 0, data: 0x1001 }]);
    expect(device.events.ofKind('interrupt').map((e) => e.delivery)).toEqual([
      { kind: 'msix', vector: 1 },
      { kind: 'none', reason: 'no-vector' },
    ]);
    expect(probe.isr()).toBe(0);
  });

  it('a masked vector leaves its pending bit set and fires on unmask', () => {
    const { probe, pci, backend, mem, alloc } = setup();
    probe.enableMsix(3);
    probe.negotiate(V1);
    probe.write('config_msix_vector', 2);
    probe.setupQueue(mem, alloc, 0, 16);
    probe.write('device_status', 0x0f);
    pci.writeBar(1, 2 * 16 + 12, 4, 1); // mask vector 2
    backend.setCounter(1);
    expect(probe.interrupts).toEqual([]);
    expect(pci.readBar(1, pci.layout.msixPbaOffset, 4)).toBe(0b100);
    pci.writeBar(1, 2 * 16 + 12, 4, 0);
    expect(probe.interrupts).toEqual([{ kind: 'msix', vector: 2, addressLo: 0xfee0_0008, addressHi: 0, data: 0x1002 }]);
    expect(pci.readBar(1, pci.layout.msixPbaOffset, 4)).toBe(0);
    expect(probe.isr()).toBe(2);
  });

  it('a ring error after DRIVER_OK sets DEVICE_NEEDS_RESET and raises the config vector', () => {
    const { probe, mem, alloc } = setup();
    probe.enableMsix(3);
    probe.negotiate(V1);
    probe.write('config_msix_vector', 0);
    const layout = probe.setupQueue(mem, alloc, 0, 16, 1);
    probe.write('device_status', 0x0f);
    mem.write16(layout.driverAddr + 2, 40); // avail idx jumps past the queue size
    probe.kick(0);
    expect(probe.read('device_status')).toBe(0x4f);
    expect(probe.interrupts).toEqual([{ kind: 'msix', vector: 0, addressLo: 0xfee0_0000, addressHi: 0, data: 0x1000 }]);
  });
});

describe('notifications and queue reset', () => {
  it('with NOTIFICATION_DATA the notify write is 32 bits; wrong width or value is reported', () => {
    const { probe, mem, alloc, backend, device } = setup();
    probe.negotiate(V1 | featureMask(VIRTIO_F_NOTIFICATION_DATA));
    const layout = probe.setupQueue(mem, alloc, 1, 16);
    probe.write('device_status', 0x0f);
    const driver = new SplitDriverQueue<number>(mem, layout);
    driver.addSgs([{ addr: alloc.alloc(16), len: 16 }], [], 1);
    probe.kick(1, driver.notificationData(1), 4);
    expect(backend.calls).toContain('notify 1 0x10001');
    probe.kick(1, 1, 2);
    probe.kick(1, 0, 4);
    expect(device.events.ofKind('driver-violation').map((e) => e.clause)).toEqual(['pci.availnotif.driver.2', 'pci.availnotif.driver.4']);
  });

  it('with notify_off_multiplier 0 every queue shares one address and the value picks the queue', () => {
    const { probe, mem, alloc, backend } = setup({ notifyOffMultiplier: 0 });
    expect(probe.notifyMult).toBe(0);
    probe.negotiate(V1);
    probe.setupQueue(mem, alloc, 0, 16);
    probe.setupQueue(mem, alloc, 1, 16);
    probe.write('device_status', 0x0f);
    const c = probe.cap(2);
    probe.pci.writeBar(c.bar, c.offset, 2, 1);
    expect(backend.calls.filter((x) => x.startsWith('notify'))).toEqual(['notify 1 0x1']);
  });

  it('with NOTIF_CONFIG_DATA the driver writes queue_notif_config_data', () => {
    const offered = FAKE_OFFERED_FEATURES | featureMask(VIRTIO_F_NOTIF_CONFIG_DATA);
    const { probe, mem, alloc, backend, device } = setup({}, {}, { offeredFeatures: offered });
    probe.negotiate(V1 | featureMask(VIRTIO_F_NOTIF_CONFIG_DATA));
    probe.setupQueue(mem, alloc, 1, 16);
    probe.write('device_status', 0x0f);
    probe.write('queue_select', 1);
    const data = probe.read('queue_notif_config_data');
    expect(data).toBe(0x4001);
    probe.kick(1, data);
    expect(backend.calls).toContain('notify 1 0x4001');
    expect(device.counters.driverViolations).toBe(0);
  });

  it('queue_reset resets one queue and its vector; re-enable takes a new size', () => {
    const { probe, mem, alloc, device, backend } = setup({}, { queueResetDelayReads: 1 });
    probe.enableMsix(3);
    probe.negotiate(V1 | featureMask(VIRTIO_F_RING_RESET));
    probe.setupQueue(mem, alloc, 0, 16, 1);
    probe.write('device_status', 0x0f);
    probe.write('queue_select', 0);
    probe.write('queue_reset', 1);
    expect(probe.read('queue_reset')).toBe(1);
    expect(probe.read('queue_reset')).toBe(0);
    expect([probe.read('queue_enable'), probe.read('queue_msix_vector'), probe.read('queue_size')]).toEqual([0, VIRTIO_MSI_NO_VECTOR, 256]);
    probe.setupQueue(mem, alloc, 0, 32, 1);
    expect(probe.read('queue_reset')).toBe(0);
    expect(device.context.queue(0)?.size).toBe(32);
    expect(backend.calls.slice(-2)).toEqual(['resetQueue 0', 'queueEnabled 0']);
  });
});
