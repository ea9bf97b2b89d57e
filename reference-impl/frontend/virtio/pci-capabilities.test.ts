import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../../device/fake-backend.js';
import { VirtioDevice as DeviceModel } from '../../device/virtio-device.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import { VirtioPciModern } from '../../transport/pci-modern.js';
import { findVirtioPciCapabilities, pciCapabilityOffsets, sizePciBars } from './pci-capabilities.js';
import { patchedPciAccess as patched } from './test-fixture.js';
import { VirtioPciModernTransport } from './virtio-pci-modern.js';

describe('virtio-pci modern transport driver: refused devices', () => {
  const setup = () => {
    const memory = new GuestMemory(1 << 20);
    const bus = new VirtioPciModern(new DeviceModel(new FakeBackend(), memory));
    return { bus, opts: { memory, allocator: new GuestAllocator(memory, 0x1000) } };
  };

  it('refuses a non-virtio vendor ID (`pci.disc.driver.1`)', async () => {
    const { bus, opts } = setup();
    const r = await VirtioPciModernTransport.probe(patched(bus, (o, w, v) => (o === 0 && w === 2 ? 0x8086 : v)), opts);
    expect(r).toMatchObject({ code: 'bad-ids', errno: -19 });
  });

  it('refuses a device without common configuration', async () => {
    const { bus, opts } = setup();
    const at = bus.layout.caps.common;
    const r = await VirtioPciModernTransport.probe(patched(bus, (o, w, v) => (o === at + 3 && w === 1 ? 7 : v)), opts);
    expect(r).toMatchObject({ code: 'capability-missing', clauses: ['pci.common.device.2'] });
  });

  it('ignores a capability naming a BAR above 5 (`pci.cap.driver.4`)', async () => {
    const { bus, opts } = setup();
    const at = bus.layout.caps.isr;
    const r = await VirtioPciModernTransport.probe(patched(bus, (o, w, v) => (o === at + 4 && w === 1 ? 6 : v)), opts);
    expect(r).toMatchObject({ code: 'capability-invalid', clauses: ['pci.isr.device.1'] });
  });

  it('refuses a misaligned notify structure and a bad multiplier (`pci.notify.device.2`, `.3`)', async () => {
    const a = setup();
    const notify = a.bus.layout.caps.notify;
    const odd = await VirtioPciModernTransport.probe(patched(a.bus, (o, w, v) => (o === notify + 8 && w === 4 ? v + 1 : v)), a.opts);
    expect(odd).toMatchObject({ code: 'capability-invalid' });
    expect(odd.kind === 'virtio-error' && odd.message).toContain('not aligned');
    const b = setup();
    const mult = await VirtioPciModernTransport.probe(patched(b.bus, (o, w, v) => (o === notify + 16 && w === 4 ? 3 : v)), b.opts);
    expect(mult).toMatchObject({ code: 'capability-invalid', clauses: ['pci.notify.device.3'] });
  });

  it('refuses a common configuration that runs past its BAR', async () => {
    const { bus, opts } = setup();
    const at = bus.layout.caps.common;
    const r = await VirtioPciModernTransport.probe(patched(bus, (o, w, v) => (o === at + 8 && w === 4 ? bus.layout.virtioBarSize - 16 : v)), opts);
    expect(r).toMatchObject({ code: 'capability-invalid' });
  });

  it('stops a looping capability list after 48 entries', async () => {
    const { bus, opts } = setup();
    const at = bus.layout.caps.common;
    // The common capability points at itself.
    const r = await VirtioPciModernTransport.probe(patched(bus, (o, w, v) => (o === at + 1 && w === 1 ? at : v)), opts);
    expect(r).toMatchObject({ code: 'capability-invalid' });
  });
});

describe('BAR sizing and the capability list', () => {
  it('sizes the memory BARs and restores them', async () => {
    const memory = new GuestMemory(1 << 16);
    const bus = new VirtioPciModern(new DeviceModel(new FakeBackend(), memory));
    const before = [0x10, 0x14, 0x20, 0x24].map((o) => bus.readConfig(o, 4));
    const sizes = await sizePciBars(bus);
    expect(sizes).toEqual([0, bus.layout.msixBarSize, 0, 0, bus.layout.virtioBarSize, 0]);
    expect([0x10, 0x14, 0x20, 0x24].map((o) => bus.readConfig(o, 4))).toEqual(before);
  });

  it('walks the list in order: common, notify, ISR, device, PCI_CFG, MSI-X', async () => {
    const memory = new GuestMemory(1 << 16);
    const bus = new VirtioPciModern(new DeviceModel(new FakeBackend(), memory));
    const c = bus.layout.caps;
    expect(await pciCapabilityOffsets(bus)).toEqual([c.common, c.notify, c.isr, c.device, c.pciCfg, c.msix]);
    const found = await findVirtioPciCapabilities(bus);
    expect(found).toMatchObject({ kind: 'ok', value: { pciCfg: c.pciCfg, msix: { cap: c.msix, tableBar: 1 } } });
  });
});
