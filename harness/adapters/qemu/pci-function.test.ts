import { afterEach, describe, expect, it } from 'vitest';
import { QemuPciFunction } from './pci-function.js';
import { assignBars, findMsix, findVirtioNotify, pciConfigAddress, pciConfigRead, scanBus0 } from './pci-host.js';
import { findQemu } from './qemu-binary.js';
import { launchQemu, type QemuInstance } from './qemu-process.js';

const qemu = findQemu();
const missing = qemu.kind === 'missing';
/** Carries the reason into the report: skipIf alone records none. */
const skipNote = qemu.kind === 'missing' ? ` [skipped: ${qemu.reason}]` : '';
const running: QemuInstance[] = [];
afterEach(async () => {
  for (const q of running.splice(0)) await q.close();
});

async function q35(): Promise<QemuInstance> {
  const q = await launchQemu({
    machine: 'q35',
    args: () => ['-netdev', 'hubport,id=n0,hubid=0', '-device', 'virtio-net-pci,id=nic0,addr=01.0,romfile=,disable-legacy=on,netdev=n0'],
  });
  running.push(q);
  return q;
}

const NET = { bus: 0, device: 1, fn: 0 };

describe('configuration mechanism #1', () => {
  it('encodes enable bit, bus, device, function and the dword-aligned register', () => {
    expect(pciConfigAddress({ bus: 0, device: 1, fn: 0 }, 0x14)).toBe(0x8000_0814);
    expect(pciConfigAddress({ bus: 2, device: 31, fn: 7 }, 0xff)).toBe(0x8002_fffc);
  });
});

describe(`PCI on a q35 QEMU${skipNote}`, () => {
  it.skipIf(missing)('finds the functions of qemu-qtest.md §2.1 and assigns the virtio BARs', async () => {
    const q = await q35();
    const found = (await scanBus0(q.qtest)).map((f) => `${f.device.toString(16)}.${f.fn} ${f.vendorId.toString(16)}:${f.deviceId.toString(16)}`);
    expect(found).toEqual(['0.0 8086:29c0', '1.0 1af4:1041', '1f.0 8086:2918', '1f.2 8086:2922', '1f.3 8086:2930']);
    const bars = await assignBars(q.qtest, NET);
    expect(bars).toEqual([
      { bar: 1, base: 0xe000_0000, size: 0x1000, io: false, is64: false, prefetchable: false },
      { bar: 4, base: 0xe000_4000, size: 0x4000, io: false, is64: true, prefetchable: true },
    ]);
    expect(await pciConfigRead(q.qtest, NET, 0x20, 4)).toBe(0xe000_400c);
    expect(await findMsix(q.qtest, NET)).toEqual({ cap: 0x98, tableSize: 4, tableBar: 1, tableOffset: 0 });
    expect(await findVirtioNotify(q.qtest, NET)).toEqual({ bar: 4, offset: 0x3000, length: 0x1000 });
  });

  it.skipIf(missing)('reads configuration space at any width and alignment, as bytes compose', async () => {
    const q = await q35();
    const fn = new QemuPciFunction(q.qtest, NET, { msix: null, msixSlots: 0x1000 });
    const bytes = await Promise.all(Array.from({ length: 8 }, (_, i) => fn.readConfig(i, 1)));
    expect(bytes).toEqual([0xf4, 0x1a, 0x41, 0x10, 0x00, 0x00, 0x10, 0x00]);
    expect(await fn.readConfig(1, 2)).toBe(0x411a);
    expect(await fn.readConfig(3, 2)).toBe(0x0010);
    expect(await fn.readConfig(2, 4)).toBe(0x0000_1041);
    expect(await fn.readConfig(0, 4)).toBe(0x1041_1af4);
    fn.close();
  });

  it.skipIf(missing)('follows a BAR the driver moves', async () => {
    const q = await q35();
    await assignBars(q.qtest, NET);
    const fn = new QemuPciFunction(q.qtest, NET, { msix: null, msixSlots: 0x1000 });
    await fn.writeConfig(0x04, 2, 0x6);
    // num_queues (common cfg 0x12) is 3 with one queue pair and a control queue.
    expect(await fn.readBar(4, 0x12, 2)).toBe(3);
    await fn.writeConfig(0x20, 4, 0xe800_0000);
    expect(await q.qtest.readw(0xe800_0012)).toBe(3);
    expect(await fn.readBar(4, 0x12, 2)).toBe(3);
    expect(await q.qtest.readw(0xe000_4012)).not.toBe(3);
    fn.close();
  });

  it.skipIf(missing)('keeps the driver\'s MSI-X address and data, and points QEMU\'s entry at a RAM slot', async () => {
    const q = await q35();
    await assignBars(q.qtest, NET);
    const msix = await findMsix(q.qtest, NET);
    const fn = new QemuPciFunction(q.qtest, NET, { msix, msixSlots: 0x2000 });
    await fn.writeConfig(0x04, 2, 0x6);
    await fn.writeBar(1, 0x10 + 0, 4, 0xfee0_0000);
    await fn.writeBar(1, 0x10 + 4, 4, 0);
    await fn.writeBar(1, 0x10 + 8, 4, 0x41);
    await fn.writeBar(1, 0x10 + 12, 4, 0);
    expect(await Promise.all([0, 4, 8, 12].map((o) => fn.readBar(1, 0x10 + o, 4)))).toEqual([0xfee0_0000, 0, 0x41, 0]);
    expect(await fn.readBar(1, 0x10 + 1, 2)).toBe(0xe000);
    // QEMU's own table: vector 1's message goes to slot 1 with data 2; Vector Control is QEMU's.
    expect(await Promise.all([0, 4, 8, 12].map((o) => q.qtest.readl(0xe000_0000 + 0x10 + o)))).toEqual([0x2004, 0, 2, 0]);
    fn.close();
  });
});
