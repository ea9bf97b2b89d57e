import { describe, expect, it } from 'vitest';
import { driverContext } from '../checks/driver-context.js';
import { deviceContext } from '../checks/device-context.js';
import type { RunConfig } from '../checks/context.js';
import { Trace } from '../checks/trace.js';
import { bindTransportDriver } from '../drivers/transport-driver.js';
import { referenceDeviceAdapter } from './reference-device.js';
import { referenceDriverAdapter } from './reference-driver.js';

const CONFIGS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));

function config(transport: 'pci' | 'mmio', ring: 'split' | 'packed'): RunConfig {
  return { transport, ring, seed: 1, numRuns: 10, timeoutMs: 5000 };
}

const MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

function frameTo(dest: Uint8Array, length = 60): Uint8Array {
  const frame = new Uint8Array(length);
  frame.set(dest, 0);
  frame.set([0x02, 0, 0, 0, 0, 1], 6);
  frame[12] = 0x08;
  for (let i = 14; i < length; i++) frame[i] = i & 0xff;
  return frame;
}

describe('the reference adapters', () => {
  it.each(CONFIGS)('carry traffic both ways through the contract ($transport, $ring)', async ({ transport, ring }) => {
    const lease = driverContext(referenceDriverAdapter(), config(transport, ring))(new Trace());
    try {
      const { driver, device } = await lease.context.rig();
      expect(await driver.probe()).toEqual({ kind: 'ok' });
      expect(await driver.open()).toEqual({ kind: 'ok' });
      const negotiated = device.reference.core.negotiatedFeatures;
      expect((negotiated >> 34n) & 1n).toBe(ring === 'packed' ? 1n : 0n);

      const out = frameTo(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 100);
      expect(await driver.transmit({ frame: out })).toEqual({ kind: 'ok' });
      const sent = await device.wire.drain();
      expect(sent.map((f) => [...f.bytes])).toEqual([[...out]]);

      const into = frameTo(MAC, 80);
      await device.wire.inject(into);
      const received = await driver.poll();
      expect(received.map((f) => [...f])).toEqual([[...into]]);

      expect(device.reference.events.ofKind('driver-violation')).toEqual([]);
      expect(await driver.stop()).toEqual({ kind: 'ok' });
      expect(await driver.remove()).toEqual({ kind: 'ok' });
    } finally {
      await lease.release();
    }
  });

  it.each(CONFIGS)('give device-side checks a device the harness transport driver can bind ($transport)', async ({ transport, ring }) => {
    const trace = new Trace();
    const lease = deviceContext(referenceDeviceAdapter(), config(transport, ring))(trace);
    try {
      const device = await lease.context.device();
      const bound = await bindTransportDriver(device);
      expect(bound.kind).toBe('bound');
      if (bound.kind !== 'bound') return;
      expect(bound.ops.deviceId).toBe(1);
      expect(trace.lines().length).toBeGreaterThan(3);
    } finally {
      await lease.release();
    }
  });

  it('reports an offer the reference refuses as not applicable, naming the clause', async () => {
    const lease = deviceContext(referenceDeviceAdapter(), config('pci', 'split'))(new Trace());
    await expect(lease.context.device({ features: ['VIRTIO_F_VERSION_1', 'VIRTIO_NET_F_GUEST_TSO4'] })).rejects.toThrow(/net\.featdep\.guest-tso4\.device/);
    await lease.release();
  });
});
