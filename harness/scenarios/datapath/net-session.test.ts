import { describe, expect, it } from 'vitest';
import { featureMask } from '../../../specs/features/feature-set.js';
import * as N from '../../../specs/features/net.js';
import type { DeviceAdapter } from '../../adapters/contract.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { RunConfig } from '../../checks/context.js';
import { NotApplicable } from '../../checks/context.js';
import { deviceContext } from '../../checks/device-context.js';
import { Trace } from '../../checks/trace.js';
import { BROADCAST, ethernetFrame, firstDifference, formatMac, sameMac } from './frames.js';
import { dependencyClosed, NetRig, openNetSession } from './net-rig.js';
import { postReceive, readPacket, transmitCut, withHeader } from './traffic.js';

const CONFIGS = (['pci', 'mmio'] as const).flatMap((transport) => (['split', 'packed'] as const).map((ring) => ({ transport, ring })));

function lease(transport: 'pci' | 'mmio', ring: 'split' | 'packed') {
  const config: RunConfig = { transport, ring, seed: 1, numRuns: 10, timeoutMs: 5000 };
  return deviceContext(referenceDeviceAdapter(), config)(new Trace());
}

describe('NetSession on the reference device', () => {
  it.each(CONFIGS)('sends a frame behind a split header, used len 0 ($transport, $ring)', async ({ transport, ring }) => {
    const { context, release } = lease(transport, ring);
    try {
      const opened = await openNetSession(context, { want: featureMask(N.VIRTIO_NET_F_MAC) });
      expect(opened.kind).toBe('open');
      if (opened.kind !== 'open') return;
      const s = opened.session;
      expect(s.hdrLength).toBe(12);
      expect(s.format).toBe(ring);
      const frame = ethernetFrame(BROADCAST, 80, Uint8Array.of(1, 2, 3));
      const sent = await transmitCut(s, withHeader(new Uint8Array(12), frame), [5, 20]);
      expect(sent).toMatchObject({ kind: 'sent', lengths: [5, 15, 72], used: { error: null } });
      if (sent.kind !== 'sent') return;
      expect(sent.used.used.map((u) => u.len)).toEqual([0]);
      expect(sent.wire.map((f) => [...f])).toEqual([[...frame]]);
    } finally {
      await release();
    }
  });

  it.each(CONFIGS)('spreads a 200-byte frame over 64-byte mergeable buffers as QEMU does ($transport, $ring)', async ({ transport, ring }) => {
    const { context, release } = lease(transport, ring);
    try {
      const opened = await openNetSession(context, { want: featureMask(N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_MRG_RXBUF) });
      if (opened.kind !== 'open') throw new Error('not open');
      const s = opened.session;
      const mac = await s.mac();
      expect(mac === null ? null : formatMac(mac)).toBe('52:54:00:12:34:56');
      for (let i = 0; i < 5; i++) await postReceive(s, 64);
      await s.kick(s.rx);
      const frame = ethernetFrame(mac ?? BROADCAST, 200, Uint8Array.of(9));
      await s.inject(frame);
      const got = await s.collect(s.rx, 1);
      expect(got.error).toBeNull();
      expect(got.used.map((u) => u.len)).toEqual([64, 64, 64, 20]);
      const packet = await readPacket(s, got.used);
      expect(packet?.header.numBuffers).toBe(4);
      expect(packet === null ? 'none' : firstDifference(packet.frame, frame)).toBeNull();
      expect(await s.needsReset()).toBe(false);
    } finally {
      await release();
    }
  });

  it('renegotiates the same device run after run', async () => {
    const { context, release } = lease('pci', 'split');
    try {
      const rig = await NetRig.create(context, { addFeatures: ['VIRTIO_NET_F_HASH_REPORT'] });
      if (!(rig instanceof NetRig)) throw new Error('no rig');
      const lengths: number[] = [];
      for (const want of [0n, featureMask(N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_CTRL_VQ), 0n]) {
        const opened = await rig.open({ want });
        if (opened.kind !== 'open') throw new Error('not open');
        lengths.push(opened.session.hdrLength);
        const frame = ethernetFrame(BROADCAST, 60);
        const sent = await transmitCut(opened.session, withHeader(new Uint8Array(opened.session.hdrLength), frame), []);
        expect(sent.kind === 'sent' && sent.wire.length).toBe(1);
      }
      expect(lengths).toEqual([12, 20, 12]);
    } finally {
      await release();
    }
  });

  it('falls back to the adapter offer when it cannot add the extra features', async () => {
    const reference = referenceDeviceAdapter();
    const adapter: DeviceAdapter = {
      ...reference,
      create: (request) => (request.addFeatures?.includes('VIRTIO_NET_F_HASH_REPORT') === true ? { kind: 'unsupported', reason: 'no hash' } : reference.create(request)),
    };
    const config: RunConfig = { transport: 'pci', ring: 'packed', seed: 1, numRuns: 10, timeoutMs: 5000 };
    const { context, release } = deviceContext(adapter, config)(new Trace());
    try {
      const rig = await NetRig.create(context, { addFeatures: ['VIRTIO_NET_F_HASH_REPORT'] });
      if (!(rig instanceof NetRig)) throw new Error('no rig');
      const opened = await rig.open({ want: featureMask(N.VIRTIO_NET_F_HASH_REPORT, N.VIRTIO_NET_F_CTRL_VQ) });
      expect(opened.kind === 'open' && [opened.session.hdrLength, opened.session.format]).toEqual([12, 'packed']);
    } finally {
      await release();
    }
  });

  it('is not applicable when a needed feature is not offered', async () => {
    const { context, release } = lease('mmio', 'split');
    try {
      await expect(openNetSession(context, { want: 0n, need: featureMask(N.VIRTIO_NET_F_HOST_UFO) })).rejects.toBeInstanceOf(NotApplicable);
    } finally {
      await release();
    }
  });
});

describe('dependencyClosed', () => {
  it('drops what lacks a dependency and keeps what has it', () => {
    expect(dependencyClosed(featureMask(N.VIRTIO_NET_F_HOST_TSO4))).toBe(0n);
    expect(dependencyClosed(featureMask(N.VIRTIO_NET_F_HOST_TSO4, N.VIRTIO_NET_F_CSUM))).toBe(featureMask(N.VIRTIO_NET_F_HOST_TSO4, N.VIRTIO_NET_F_CSUM));
    expect(dependencyClosed(featureMask(N.VIRTIO_NET_F_HOST_ECN, N.VIRTIO_NET_F_HOST_TSO4))).toBe(0n);
  });
});

describe('frames', () => {
  it('lays out destination, source, EtherType and payload', () => {
    const frame = ethernetFrame(BROADCAST, 20, Uint8Array.of(7, 8));
    expect([...frame]).toEqual([255, 255, 255, 255, 255, 255, 2, 0, 0x5e, 0x10, 0, 1, 0x88, 0xb5, 7, 8, 7, 8, 7, 8]);
    expect(sameMac(frame, BROADCAST)).toBe(true);
    expect(firstDifference(frame, frame.slice(0, 19))).toBe('20 bytes instead of 19');
    expect(firstDifference(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe('byte 1 is 0x2, not 0x3');
  });
});
