import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MAC, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_MTU } from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import {
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
} from '../../../specs/status.js';
import { virtqAvailRingSize, virtqDescTableSize, virtqUsedRingSize } from '../../../specs/virtqueue/split.js';
import type { DriverVirtqueue, VirtioConfigOps } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import type { VirtqueueLayout } from '../../../reference-impl/virtqueue/index.js';
import type { PciInterrupt } from '../../../reference-impl/transport/register-access.js';
import { bindTransportDriver } from '../../drivers/transport-driver.js';
import { qemuDeviceAdapter, type QemuDeviceUnderTest } from './qemu-device-adapter.js';
import { findQemu, QEMU_MISSING_REASON } from './qemu-binary.js';
import { QemuCrashedError } from './qemu-errors.js';
import { liveQemuPids } from './process-registry.js';

const qemu = findQemu();
const missing = qemu.kind === 'missing';
/** Carries the reason into the report: skipIf alone records none. */
const skipNote = qemu.kind === 'missing' ? ` [skipped: ${qemu.reason}]` : '';
const MAC = '52:54:00:12:34:56';
const HDR = 12;

const open: QemuDeviceUnderTest[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});
afterAll(() => {
  // Every QEMU these tests started was reaped: none is left for the exit handler to kill.
  expect(liveQemuPids()).toEqual([]);
});

async function create(machine: 'q35' | 'microvm', request: Record<string, unknown> = {}): Promise<QemuDeviceUnderTest> {
  const adapter = qemuDeviceAdapter({ machine });
  const created = await adapter.create({ transport: machine === 'q35' ? 'pci' : 'mmio', mac: MAC, ...request });
  if (created.kind !== 'created') throw new Error(`not created: ${created.reason}`);
  const device = created.device as QemuDeviceUnderTest;
  open.push(device);
  return device;
}

function layoutOf(vq: DriverVirtqueue<number>): VirtqueueLayout {
  return (vq as unknown as { layout: VirtqueueLayout }).layout;
}

/** Pushes a split ring's three areas. */
async function pushRing(device: QemuDeviceUnderTest, vq: DriverVirtqueue<number>): Promise<void> {
  const l = layoutOf(vq);
  await device.memory.push(l.descAddr, virtqDescTableSize(l.size));
  await device.memory.push(l.driverAddr, virtqAvailRingSize(l.size));
}

/** Pulls the used ring until a buffer comes back (bounded). */
async function usedBuffer(device: QemuDeviceUnderTest, vq: DriverVirtqueue<number>): Promise<{ token: number; len: number } | null> {
  const l = layoutOf(vq);
  const deadline = performance.now() + 1000;
  while (performance.now() < deadline) {
    await device.memory.pull(l.deviceAddr, virtqUsedRingSize(l.size));
    const u = vq.getBuf();
    if (u !== null && u.kind === 'used') return { token: u.token, len: u.len };
    await new Promise((r) => setTimeout(r, 1));
  }
  return null;
}

/** Negotiates VERSION_1 (+ MAC, MRG_RXBUF when offered) and sets up receiveq1 and transmitq1, polled. */
async function open2(ops: VirtioConfigOps): Promise<{ offered: bigint; rx: DriverVirtqueue<number>; tx: DriverVirtqueue<number> }> {
  expect((await ops.reset()).kind).toBe('ok');
  await ops.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  const offered = await ops.getFeatures();
  const wanted = offered & featureMask(VIRTIO_F_VERSION_1, VIRTIO_NET_F_MAC, VIRTIO_NET_F_MRG_RXBUF);
  expect((await ops.finalizeFeatures(wanted)).kind).toBe('ok');
  await ops.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
  expect((await ops.getStatus()) & VIRTIO_CONFIG_S_FEATURES_OK).toBe(VIRTIO_CONFIG_S_FEATURES_OK);
  const found = await ops.findVqs<number>(
    [
      { index: 0, name: 'input.0', size: 16, callback: () => {} },
      { index: 1, name: 'output.0', size: 16, callback: () => {} },
    ],
    { format: 'split', eventIdx: false, indirect: false, inOrder: false, notificationData: false },
  );
  if (found.kind !== 'ok') throw new Error(found.message);
  await ops.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
  const [rx, tx] = found.value as [DriverVirtqueue<number>, DriverVirtqueue<number>];
  return { offered, rx, tx };
}

function frame(dest: readonly number[], length: number, seed: number): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dest, 0);
  f.set([0x02, 0, 0, 0, 0, 1, 0x08, 0x00], 6);
  for (let i = 14; i < length; i++) f[i] = (i * 7 + seed) & 0xff;
  return f;
}

async function bound(device: QemuDeviceUnderTest): Promise<VirtioConfigOps> {
  const b = await bindTransportDriver(device);
  if (b.kind !== 'bound') throw new Error(`${b.code}: ${b.message}`);
  return b.ops;
}

describe.each(['q35', 'microvm'] as const)(`QEMU %s virtio-net through the adapter contract${skipNote}`, (machine) => {
  it.skipIf(missing)('shows the virtio transport where the harness looks for it', async () => {
    const device = await create(machine);
    if (machine === 'q35') {
      expect(device.registers.transport).toBe('pci');
      if (device.registers.transport !== 'pci') return;
      const access = device.registers.access;
      expect(await access.readConfig(0, 4)).toBe(0x1041_1af4);
      // The first capability is MSI-X at 0x98, then the virtio vendor capabilities (qemu-qtest.md §2.1).
      expect(await access.readConfig(0x34, 1)).toBe(0x98);
      expect(await access.readConfig(0x98, 1)).toBe(0x11);
      const vendorCaps: number[] = [];
      for (let pos = await access.readConfig(0x98 + 1, 1); pos !== 0; pos = await access.readConfig(pos + 1, 1)) {
        if ((await access.readConfig(pos, 1)) === 0x09) vendorCaps.push(await access.readConfig(pos + 3, 1));
      }
      expect(vendorCaps).toEqual([5, 2, 4, 3, 1]);
      expect(device.setup.pci?.bars.filter((b) => b.size > 0).map((b) => [b.bar, b.size, b.is64])).toEqual([
        [1, 0x1000, false],
        [4, 0x4000, true],
      ]);
    } else {
      expect(device.registers.transport).toBe('mmio');
      if (device.registers.transport !== 'mmio') return;
      expect(device.setup.mmioBase).toBe(0xfeb0_2e00);
      expect(await device.registers.access.read(0x000, 4)).toBe(0x7472_6976);
      expect(await device.registers.access.read(0x004, 4)).toBe(2);
      expect(await device.registers.access.read(0x008, 4)).toBe(1);
    }
    expect(device.qemu.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.skipIf(missing)('negotiates through the harness transport driver and reads the config QEMU was given', async () => {
    const device = await create(machine, { mtu: 1400 });
    const ops = await bound(device);
    expect(ops.deviceId).toBe(1);
    const { offered } = await open2(ops);
    expect(hasFeature(offered, VIRTIO_F_VERSION_1)).toBe(true);
    expect(hasFeature(offered, VIRTIO_NET_F_MTU)).toBe(true);
    const mac = [];
    for (let i = 0; i < 6; i++) mac.push(await ops.get(i, 1));
    expect(mac).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(await ops.get(10, 2)).toBe(1400);
    expect(await ops.getStatus()).toBe(0x0f);
    // QEMU's own view agrees: the device status it keeps has DRIVER_OK.
    const status = await device.qemu.qmp.execute('x-query-virtio-status', { path: device.setup.virtioPath });
    expect(status).toMatchObject({ kind: 'return', value: { status: { statuses: expect.arrayContaining([expect.stringMatching(/^VIRTIO_CONFIG_S_DRIVER_OK/)]) } } });
  });

  it.skipIf(missing)('transmits a frame onto the wire and receives an injected frame into a posted buffer', async () => {
    const device = await create(machine);
    const ops = await bound(device);
    const { rx, tx } = await open2(ops);
    const mem = device.memory;

    const out = frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 60, 1);
    const txBuf = mem.allocator.alloc(HDR + out.length, 16);
    mem.view.fill(txBuf, HDR, 0);
    mem.view.writeBytes(txBuf + HDR, out);
    await mem.push(txBuf, HDR + out.length);
    expect(tx.addOutbuf(txBuf, HDR + out.length, 7).kind).toBe('added');
    await pushRing(device, tx);
    expect(await tx.notify()).toBe(true);
    expect(await usedBuffer(device, tx)).toEqual({ token: 7, len: 0 });
    await device.wire.waitFor(1, 1000);
    expect((await device.wire.drain()).map((f) => [...f.bytes])).toEqual([[...out]]);

    const rxBuf = mem.allocator.alloc(2048, 16);
    mem.view.fill(rxBuf, 2048, 0xa5);
    await mem.push(rxBuf, 2048);
    expect(rx.addInbuf(rxBuf, 2048, 9).kind).toBe('added');
    await pushRing(device, rx);
    expect(await rx.notify()).toBe(true);
    const into = frame([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 90, 2);
    await device.wire.inject(into);
    expect(await usedBuffer(device, rx)).toEqual({ token: 9, len: HDR + into.length });
    await mem.pull(rxBuf, HDR + into.length + 4);
    // num_buffers is 1 (MRG_RXBUF negotiated), the rest of the header 0, then the frame, then bytes untouched.
    expect([...mem.view.bytes(rxBuf, HDR)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect([...mem.view.bytes(rxBuf + HDR, into.length)]).toEqual([...into]);
    expect([...mem.view.bytes(rxBuf + HDR + into.length, 4)]).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
  });

  it.skipIf(missing)('reports a used-buffer interrupt for a transmitted frame', async () => {
    const device = await create(machine);
    const seen: string[] = [];
    const registers = device.registers;
    const off =
      registers.transport === 'pci'
        ? registers.access.onInterrupt((i: PciInterrupt) => seen.push(i.kind === 'msix' ? `msix ${i.vector} data ${i.data}` : `intx ${i.asserted}`))
        : registers.access.onInterrupt((i) => seen.push(`line ${i.asserted} status ${i.interruptStatus}`));
    const ops = await bound(device);
    const { tx } = await open2(ops);
    const out = frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 60, 3);
    const buf = device.memory.allocator.alloc(HDR + out.length, 16);
    device.memory.view.writeBytes(buf + HDR, out);
    await device.memory.push(buf, HDR + out.length);
    tx.addOutbuf(buf, HDR + out.length, 1);
    await pushRing(device, tx);
    await tx.notify();
    expect(await usedBuffer(device, tx)).not.toBeNull();
    const deadline = performance.now() + 500;
    while (seen.length === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    off();
    // PCI: the front end gives transmitq1 (device index 1) MSI-X vector 2, with data = vector.
    expect(seen[0]).toBe(machine === 'q35' ? 'msix 2 data 2' : 'line true status 1');
  });

  it.skipIf(missing)('rejects pending requests with QEMU\'s exit and stderr when QEMU dies mid-request', async () => {
    const device = await create(machine);
    const { qtest } = device.qemu;
    const before = Array.from({ length: 100 }, (_, i) => qtest.readl(0x10_0000 + 4 * i));
    // A qtest line without its address trips a g_assert in QEMU (qemu-qtest.md §6): QEMU aborts.
    const fatal = qtest.raw('readl');
    const after = Array.from({ length: 100 }, (_, i) => qtest.readl(0x10_0000 + 4 * i));
    expect((await Promise.allSettled(before)).every((r) => r.status === 'fulfilled')).toBe(true);
    const error = await fatal.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QemuCrashedError);
    const crash = error as QemuCrashedError;
    expect(crash.exit).toEqual({ code: null, signal: 'SIGABRT' });
    expect(crash.stderr).toMatch(/qtest\.c:\d+:qtest_process_command: assertion failed: \(words\[1\]\)/);
    expect(crash.message).toMatch(/^QEMU signal SIGABRT during a qtest request; stderr:\n.*assertion failed: \(words\[1\]\)/s);
    for (const r of await Promise.allSettled(after)) expect(r).toMatchObject({ status: 'rejected', reason: crash });
    const registers = device.registers;
    await expect(registers.transport === 'pci' ? registers.access.readConfig(0, 2) : registers.access.read(0, 4)).rejects.toBe(crash);
    await expect(device.wire.drain()).rejects.toBe(crash);
  });

  it.skipIf(missing)('kills a QEMU that stops answering and rejects with a time-out naming the request', async () => {
    const adapter = qemuDeviceAdapter({ machine, requestTimeoutMs: 150 });
    const created = await adapter.create({ transport: machine === 'q35' ? 'pci' : 'mmio' });
    if (created.kind !== 'created') throw new Error(created.reason);
    const device = created.device as QemuDeviceUnderTest;
    open.push(device);
    process.kill(device.qemu.pid, 'SIGSTOP');
    const started = performance.now();
    await expect(device.qemu.qtest.readl(0x10_0000)).rejects.toThrow(/^QEMU did not answer 'readl 0x100000' within 150 ms and was killed/);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await device.qemu.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

describe(`QEMU refusals${skipNote}`, () => {
  it.skipIf(missing)('answers a configuration QEMU refuses as unsupported, with QEMU\'s reason', async () => {
    const adapter = qemuDeviceAdapter({ machine: 'q35', properties: { rx_queue_size: 100 } });
    const created = await adapter.create({ transport: 'pci' });
    expect(created).toEqual({ kind: 'unsupported', reason: expect.stringMatching(/rx_queue_size/) });
  });

  it('says how to install QEMU when it is missing, and refuses devices with that reason', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      expect(findQemu()).toEqual({ kind: 'missing', reason: 'qemu-system-x86_64 not installed (apt-get install -y qemu-system-x86)' });
      expect(await qemuDeviceAdapter({ machine: 'q35' }).create({ transport: 'pci' })).toEqual({ kind: 'unsupported', reason: QEMU_MISSING_REASON });
    } finally {
      process.env['PATH'] = path;
    }
    expect(await qemuDeviceAdapter({ machine: 'microvm', binary: '/nonexistent/qemu' }).create({ transport: 'mmio' })).toEqual({
      kind: 'unsupported',
      reason: '/nonexistent/qemu not found or not executable',
    });
  });

  it('refuses a transport the machine does not have', async () => {
    const created = await qemuDeviceAdapter({ machine: 'microvm' }).create({ transport: 'pci' });
    expect(created).toEqual({ kind: 'unsupported', reason: 'QEMU microvm provides the mmio transport, not pci' });
  });
});
