import { describe, expect, test } from 'vitest';
import type { DeviceQueueOptions } from '../../../reference-impl/virtqueue/index.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { DeviceSession, openDeviceSession, RX_QUEUE, testFrame, TX_QUEUE } from '../../scenarios/ring-live/index.js';
import { DeviceQueueWrapper } from '../virtqueue/index.js';
import { wrapDeviceQueues } from './device-queue-seam.js';

class Counting extends DeviceQueueWrapper {
  pops = 0;
  override pop(): ReturnType<DeviceQueueWrapper['pop']> {
    this.pops++;
    return super.pop();
  }
}

describe('wrapDeviceQueues', () => {
  test('the datapath reaches each live queue through one wrapper built with the programmed layout', async () => {
    const built: { queue: number; options: DeviceQueueOptions; wrapper: Counting }[] = [];
    const adapter = referenceDeviceAdapter({
      tamper: (device) =>
        wrapDeviceQueues(device, (inner, mem, options, queue) => {
          const wrapper = new Counting(inner, mem, options);
          built.push({ queue, options, wrapper });
          return wrapper;
        }),
    });
    const created = adapter.create({ transport: 'mmio' });
    if ('then' in created || created.kind !== 'created') throw new Error('refused');
    const s = await openDeviceSession(created.device, { ring: 'split', eventIdx: true, indirect: false });
    if (!(s instanceof DeviceSession)) throw new Error(JSON.stringify(s));
    for (let k = 0; k < 3; k++) {
      await s.addTx(testFrame(80, k), 1);
      await s.kick(TX_QUEUE);
    }
    s.addRx(1);
    await s.inject(testFrame(90, 1));
    expect(built.map((b) => b.queue).sort()).toEqual([RX_QUEUE, TX_QUEUE]);
    const tx = built.find((b) => b.queue === TX_QUEUE);
    expect(tx?.options).toMatchObject({ ...s.tx.layout, eventIdx: true, indirect: false, inOrder: false });
    // Each kick drains the transmitq: pops until empty, again after re-enabling notifications.
    expect(tx?.wrapper.pops).toBeGreaterThanOrEqual(6);
    expect((await s.device.wire.drain()).length).toBe(3);
    expect(s.findings).toEqual([]);
  });

  test('a wrap that returns null leaves the reference queue in place', async () => {
    let asked = 0;
    const adapter = referenceDeviceAdapter({ tamper: (device) => wrapDeviceQueues(device, () => (asked++, null)) });
    const created = adapter.create({ transport: 'pci' });
    if ('then' in created || created.kind !== 'created') throw new Error('refused');
    const s = await openDeviceSession(created.device, { ring: 'split', eventIdx: false, indirect: false });
    if (!(s instanceof DeviceSession)) throw new Error(JSON.stringify(s));
    await s.addTx(testFrame(80, 0), 1);
    await s.kick(TX_QUEUE);
    expect(asked).toBe(1);
    expect((await s.device.wire.drain()).length).toBe(1);
  });
});
