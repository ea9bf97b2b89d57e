import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { hasFeature } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import { parseNetDeviceConfig } from '../../../reference-impl/net/device-config.js';
import { referenceDriverAdapter } from '../../adapters/reference-driver.js';
import type { RunConfig } from '../../checks/context.js';
import { driverContext } from '../../checks/driver-context.js';
import { Trace } from '../../checks/trace.js';
import { BROADCAST, ethernetFrame } from './frames.js';
import { driverOffer, offerRequest, openDriver, transmitThrough } from './driver-rig.js';

describe('driver offers', () => {
  test.prop([driverOffer()])('every offer is one the reference device accepts, with what it says', (offer) => {
    const request = offerRequest(offer);
    const parsed = parseNetDeviceConfig({ addFeatures: request.addFeatures, removeFeatures: request.withoutFeatures });
    expect(parsed.kind).toBe('ok');
    if (parsed.kind !== 'ok') return;
    const f = parsed.config.features;
    expect(hasFeature(f, N.VIRTIO_NET_F_MRG_RXBUF)).toBe(offer.mrgRxbuf);
    expect(hasFeature(f, N.VIRTIO_NET_F_HASH_REPORT)).toBe(offer.hashReport);
    expect(hasFeature(f, N.VIRTIO_NET_F_CSUM)).toBe(offer.csum);
    expect(hasFeature(f, N.VIRTIO_NET_F_HOST_TSO4)).toBe(offer.csum && offer.hostTso);
    expect(hasFeature(f, N.VIRTIO_NET_F_GUEST_TSO4)).toBe(offer.guestCsum && offer.guestTso);
    expect(hasFeature(f, N.VIRTIO_NET_F_CTRL_RX)).toBe(false);
  });
});

describe('openDriver and transmitThrough', () => {
  it('shows the header fields the reference driver wrote', async () => {
    const config: RunConfig = { transport: 'pci', ring: 'split', seed: 1, numRuns: 10, timeoutMs: 5000 };
    const { context, release } = driverContext(referenceDriverAdapter(), config)(new Trace());
    try {
      const opened = await openDriver(context, { mrgRxbuf: true, hashReport: true, csum: true, hostTso: true, guestCsum: false, guestTso: false });
      if (opened.kind !== 'open') throw new Error(opened.reason);
      expect(opened.rig.hdrLength).toBe(20);
      const frame = ethernetFrame(BROADCAST, 100);
      const seen = await transmitThrough(opened.rig, { frame, checksum: { start: 34, offset: 16 } });
      expect(seen.accepted).toBe(true);
      expect(seen.refusals).toEqual([]);
      expect(seen.records.map((r) => [r.header.flags, r.header.csumStart, r.header.csumOffset, r.header.numBuffers])).toEqual([[1, 34, 16, 0]]);
    } finally {
      await release();
    }
  });
});
