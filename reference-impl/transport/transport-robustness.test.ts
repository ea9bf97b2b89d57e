/**
 * Properties over arbitrary driver behaviour: whatever a driver writes, the
 * transport models never throw (bad input from the other side is reported,
 * not thrown), and a reset always brings the registers back to their reset
 * values (`reset.device.1`, `pci.common.device.7`, `.8`, `pci.msix.device.7`,
 * `pci.isr.device.5`, `mmio.reg.device.5`).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { virtio_mmio_registers } from '../../specs/transport/mmio.js';
import { virtio_pci_common_cfg, VIRTIO_MSI_NO_VECTOR } from '../../specs/transport/pci.js';
import { FakeBackend } from '../device/fake-backend.js';
import { VirtioDevice } from '../device/virtio-device.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { VirtioMmio } from './mmio.js';
import { VirtioPciModern } from './pci-modern.js';

const width = fc.constantFrom<1 | 2 | 4>(1, 2, 4);
const value = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }), fc.nat({ max: 0xffff_ffff }));

/** Offsets biased towards the interesting parts of each space. */
const pciOp = fc.record({
  target: fc.constantFrom('config', 'bar4', 'bar4', 'bar4', 'bar1'),
  offset: fc.oneof(
    fc.constantFrom(...Object.values(virtio_pci_common_cfg.fields).map((f) => f.offset)),
    fc.integer({ min: 0, max: 0x3fff }),
    fc.constantFrom(0x3000, 0x3004, 0x1000, 0x2000, 0x2004),
  ),
  width,
  value,
  write: fc.boolean(),
});

const mmioOp = fc.record({
  offset: fc.oneof(
    fc.constantFrom(...Object.values(virtio_mmio_registers.fields).map((f) => f.offset), 0x100, 0x104),
    fc.constantFrom(0x050, 0x060, 0x064), // notify and interrupt handling, the live paths
    fc.integer({ min: 0, max: 0x110 }),
  ),
  width,
  value,
  write: fc.boolean(),
});

const deviceEvent = fc.constantFrom('config-change', 'used', 'used', 'fail', 'none', 'none');

/** Brings a device to DRIVER_OK with both queues on valid split rings at 0x1000 / 0x4000, through `write(status, features…)`. */
function initSequence(write: (what: 'status' | 'features' | 'queue', a: number, b?: number) => void): void {
  write('status', 0);
  write('status', 1);
  write('status', 3);
  write('features', 1, 1); // VERSION_1 in word 1
  write('status', 0x0b);
  write('queue', 0, 0x1000);
  write('queue', 1, 0x4000);
  write('status', 0x0f);
}

test.prop([fc.boolean(), fc.array(pciOp, { minLength: 20, maxLength: 120 }), fc.array(deviceEvent, { maxLength: 7 })])(
  'PCI: arbitrary accesses never throw, and a reset restores the reset values',
  (init, ops, deviceEvents) => {
    const backend = new FakeBackend();
    const device = new VirtioDevice(backend, new GuestMemory(1 << 16));
    const pci = new VirtioPciModern(device);
    const seen: boolean[] = [];
    pci.onInterrupt((i) => {
      if (i.kind === 'intx') seen.push(i.asserted);
    });
    pci.writeConfig(0x04, 2, 0x2);
    const f = virtio_pci_common_cfg.fields;
    if (init) {
      initSequence((what, a, b = 0) => {
        if (what === 'status') pci.writeBar(4, f.device_status.offset, 1, a);
        if (what === 'features') {
          pci.writeBar(4, f.driver_feature_select.offset, 4, a);
          pci.writeBar(4, f.driver_feature.offset, 4, b);
        }
        if (what === 'queue') {
          pci.writeBar(4, f.queue_select.offset, 2, a);
          pci.writeBar(4, f.queue_size.offset, 2, 16);
          pci.writeBar(4, f.queue_desc.offset, 4, b);
          pci.writeBar(4, f.queue_driver.offset, 4, b + 0x100);
          pci.writeBar(4, f.queue_device.offset, 4, b + 0x200);
          pci.writeBar(4, f.queue_enable.offset, 2, 1);
        }
      });
      expect(device.live).toBe(true);
    }
    for (const [n, op] of ops.entries()) {
      const bar = op.target === 'bar1' ? 1 : 4;
      if (op.target === 'config') {
        if (op.write) pci.writeConfig(op.offset & 0xff, op.width, op.value);
        else pci.readConfig(op.offset & 0xff, op.width);
      } else if (op.write) {
        pci.writeBar(bar, op.offset, op.width, op.value);
      } else {
        pci.readBar(bar, op.offset, op.width);
      }
      const ev = deviceEvents[n % 7];
      if (ev === 'config-change') backend.setCounter(n);
      else if (ev === 'used') device.raiseUsedBufferNotification(n % 2);
      else if (ev === 'fail') device.fail({ kind: 'device-error', message: 'injected' });
    }
    pci.writeConfig(0x04, 2, 0x2);
    const common = (field: keyof typeof virtio_pci_common_cfg.fields, w: 1 | 2 | 4): number =>
      pci.readBar(4, virtio_pci_common_cfg.fields[field].offset, w);
    pci.writeBar(4, virtio_pci_common_cfg.fields.device_status.offset, 1, 0);
    expect(common('device_status', 1)).toBe(0);
    expect(common('config_msix_vector', 2)).toBe(VIRTIO_MSI_NO_VECTOR);
    for (let q = 0; q < device.numQueues; q++) {
      pci.writeBar(4, virtio_pci_common_cfg.fields.queue_select.offset, 2, q);
      expect([common('queue_enable', 2), common('queue_msix_vector', 2), common('queue_reset', 2)]).toEqual([0, VIRTIO_MSI_NO_VECTOR, 0]);
      expect(common('queue_size', 2)).toBe(backend.queueMaxSizes[q]);
    }
    expect(pci.readBar(4, 0x1000, 1)).toBe(0);
    expect(pci.intxAsserted).toBe(false);
    expect(device.negotiatedFeatures).toBe(0n);
    // INTx edges alternate: never two asserts or two deasserts in a row
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  },
);

test.prop([fc.boolean(), fc.array(mmioOp, { minLength: 20, maxLength: 120 }), fc.array(deviceEvent, { maxLength: 7 })])(
  'MMIO: arbitrary accesses never throw, and a reset restores the reset values',
  (init, ops, deviceEvents) => {
    const backend = new FakeBackend();
    const device = new VirtioDevice(backend, new GuestMemory(1 << 16));
    const mmio = new VirtioMmio(device);
    if (init) {
      initSequence((what, a, b = 0) => {
        if (what === 'status') mmio.write(0x070, 4, a);
        if (what === 'features') {
          mmio.write(0x024, 4, a);
          mmio.write(0x020, 4, b);
        }
        if (what === 'queue') {
          mmio.write(0x030, 4, a);
          mmio.write(0x038, 4, 16);
          mmio.write(0x080, 4, b);
          mmio.write(0x090, 4, b + 0x100);
          mmio.write(0x0a0, 4, b + 0x200);
          mmio.write(0x044, 4, 1);
        }
      });
      expect(device.live).toBe(true);
    }
    for (const [n, op] of ops.entries()) {
      if (op.write) mmio.write(op.offset, op.width, op.value);
      else mmio.read(op.offset, op.width);
      const ev = deviceEvents[n % 7];
      if (ev === 'config-change') backend.setCounter(n);
      else if (ev === 'used') device.raiseUsedBufferNotification(n % 2);
      else if (ev === 'fail') device.fail({ kind: 'device-error', message: 'injected' });
    }
    const generation = mmio.read(0x0fc, 4);
    mmio.write(0x070, 4, 0);
    expect(mmio.read(0x070, 4)).toBe(0);
    expect(mmio.read(0x060, 4)).toBe(0);
    expect(mmio.lineAsserted).toBe(false);
    for (let q = 0; q < device.numQueues; q++) {
      mmio.write(0x030, 4, q);
      expect([mmio.read(0x044, 4), mmio.read(0x0c0, 4), mmio.read(0x034, 4)]).toEqual([0, 0, backend.queueMaxSizes[q]]);
    }
    expect(mmio.read(0x0fc, 4)).toBe(generation);
    expect(mmio.read(0x000, 4)).toBe(0x74726976);
  },
);
