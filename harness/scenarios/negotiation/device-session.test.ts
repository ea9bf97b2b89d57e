import { describe, expect, it } from 'vitest';
import { featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_NET_F_MRG_RXBUF } from '../../../specs/features/net.js';
import { VIRTIO_F_RING_PACKED, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import { CONFIGURATIONS, runConfig } from '../../checks/negotiation/area-runs.js';
import { deviceContext } from '../../checks/device-context.js';
import { Trace } from '../../checks/trace.js';
import { baseFeatures, openSession } from './device-session.js';
import { broadcastFrame, numBuffersAt } from './frames.js';

describe('DeviceSession on the reference device', () => {
  it.each(CONFIGURATIONS)('negotiates, goes live and receives a frame ($transport, $ring)', async ({ transport, ring }) => {
    const lease = deviceContext(referenceDeviceAdapter(), runConfig(transport, ring))(new Trace());
    try {
      const opened = await openSession(lease.context);
      if (opened.kind !== 'open') throw new Error(opened.reason);
      const s = opened.session;
      const offered = await s.begin();
      expect(offered).not.toBeNull();
      if (offered === null) return;
      expect(hasFeature(offered, VIRTIO_F_RING_PACKED)).toBe(ring === 'packed');
      const features = baseFeatures(offered, ring);
      expect(hasFeature(features, VIRTIO_F_VERSION_1)).toBe(true);
      const { accepted, status } = await s.negotiate(features);
      expect(accepted).toBe(true);
      expect(status & VIRTIO_CONFIG_S_FEATURES_OK).toBe(VIRTIO_CONFIG_S_FEATURES_OK);
      if (s.raw.readDriverFeatures === null) expect(transport).toBe('mmio');
      else expect(await s.raw.readDriverFeatures()).toBe(features);
      expect(await s.startQueues(features, [0, 1])).toBeNull();
      expect((await s.driverOk()) & VIRTIO_CONFIG_S_DRIVER_OK).toBe(VIRTIO_CONFIG_S_DRIVER_OK);
      expect(await s.raw.queueEnabled(0)).toBe(1);
      const rx = s.queue(0);
      const addr = s.alloc(256);
      rx.addInbuf(addr, 256, 9);
      await s.kick(rx);
      const frame = broadcastFrame(80, 2);
      await s.device.wire.inject(frame);
      expect(await s.awaitUsed(rx, 1)).toEqual([{ token: 9, len: 12 + 80 }]);
      const memory = s.device.memory.view;
      expect(numBuffersAt(memory.bytes(addr, 12))).toBe(1);
      expect([...memory.bytes(addr + 12, 80)]).toEqual([...frame]);
      expect(await s.reset()).toBe(true);
      expect(await s.raw.queueEnabled(0)).toBe(0);
    } finally {
      await lease.release();
    }
  });

  it('writes every word of a feature set above bit 63', async () => {
    const lease = deviceContext(referenceDeviceAdapter(), runConfig('pci', 'split'))(new Trace());
    try {
      const opened = await openSession(lease.context);
      if (opened.kind !== 'open') throw new Error(opened.reason);
      await opened.session.begin();
      const set = featureMask(VIRTIO_F_VERSION_1, VIRTIO_NET_F_MRG_RXBUF, 66);
      await opened.session.raw.writeDriverFeatures(set);
      expect(await opened.session.raw.readDriverFeatures?.()).toBe(set);
    } finally {
      await lease.release();
    }
  });
});

describe('frames', () => {
  it('builds broadcast frames of the exact length with a recognisable payload', () => {
    const f = broadcastFrame(64, 1);
    expect(f.length).toBe(64);
    expect([...f.slice(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    expect(f[14]).toBe(15);
    expect(() => broadcastFrame(10)).toThrow(RangeError);
  });
});
