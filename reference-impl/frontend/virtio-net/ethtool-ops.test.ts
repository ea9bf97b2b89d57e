/**
 * ethtool operations with a scripted device (the end-to-end runs are in
 * virtio-net-frontend.test.ts): ring resize through per-queue reset,
 * coalescing rules without NOTF_COAL, RSS refusals, channels with XDP.
 */
import { describe, expect, test } from 'vitest';
import * as N from '../../../specs/features/net.js';
import * as R from '../../../specs/features/reserved.js';
import { virtnetGetCoalesce, virtnetSetChannels, virtnetSetCoalesce } from './ethtool/channels-coalesce.js';
import { virtnetGetRingparam, virtnetSetRingparam } from './ethtool/ringparam.js';
import { RXH_IP_DST, RXH_IP_SRC, RXH_L4_B_0_1, RXH_L4_B_2_3, virtnetGetHashflow, virtnetSetHashflow, virtnetSetRxfh } from './ethtool/rxfh.js';
import { tryFillRecv } from './poll.js';
import { unitRig } from './test-fixture.js';

describe('ringparam (virtnet_set_ringparam, virtqueue_resize §4.4)', () => {
  test('each pair: TX then RX resized through the queue, unused buffers recycled, RX refilled into the new ring', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF, R.VIRTIO_F_RING_RESET], size: 16 });
    const rq = rig.vi.rq[0]!;
    await tryFillRecv(rig.vi, rq);
    expect(rq.pool.inFlight).toBe(16);
    const calls: string[] = [];
    for (const vq of [rig.vi.sq[0]!.vq, rq.vq]) {
      const resize = vq.resize.bind(vq);
      vq.resize = (n, recycle) => {
        calls.push(`${vq.name}:${n}`);
        return resize(n, recycle);
      };
    }
    expect(await virtnetSetRingparam(rig.vi, { rxMaxPending: 16, txMaxPending: 16, rxPending: 8, txPending: 4 })).toBe(0);
    expect(calls).toEqual(['q1:4', 'q0:8']);
    expect(virtnetGetRingparam(rig.vi)).toEqual({ rxMaxPending: 16, txMaxPending: 16, rxPending: 8, txPending: 4 });
    // All 16 were detached and recycled, then the new ring was filled: the scripted device sees 8 buffers.
    expect(rq.pool.inFlight).toBe(8);
    let posted = 0;
    for (let c = rig.rx[0]!.device.pop(); c !== null; c = rig.rx[0]!.device.pop()) posted++;
    expect(posted).toBe(8);
  });

  test('without VIRTIO_F_RING_RESET: -ENOENT from the queue reset, as Linux 6.1 (not -EOPNOTSUPP)', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_MRG_RXBUF], size: 16 });
    expect(virtnetGetRingparam(rig.vi)).toEqual({ rxMaxPending: 16, txMaxPending: 16, rxPending: 16, txPending: 16 });
    expect(await virtnetSetRingparam(rig.vi, { rxMaxPending: 0, txMaxPending: 0, rxPending: 8, txPending: 16 })).toBe(-2);
    expect(rig.vi.log.at(-1)?.message).toBe('resize rx fail: rx queue index: 0 err: -2');
    expect(virtnetGetRingparam(rig.vi).rxPending).toBe(16);
  });

  test('mini/jumbo rings, sizes above the maximum and 0 are -EINVAL; no change is 0', async () => {
    const rig = unitRig({ features: [R.VIRTIO_F_RING_RESET], size: 16 });
    const cur = virtnetGetRingparam(rig.vi);
    expect(await virtnetSetRingparam(rig.vi, { ...cur, rxMiniPending: 1 })).toBe(-22);
    expect(await virtnetSetRingparam(rig.vi, { ...cur, txPending: 17 })).toBe(-22);
    expect(await virtnetSetRingparam(rig.vi, { ...cur, txPending: 0 })).toBe(-22);
    expect(rig.vi.log.at(-1)?.message).toBe('resize tx fail: tx queue index: 0 err: -22');
    expect(await virtnetSetRingparam(rig.vi, cur)).toBe(0);
    expect(virtnetGetRingparam(rig.vi)).toEqual(cur);
  });
});

describe('coalesce (virtnet_set_coalesce :2848-2880)', () => {
  test('without NOTF_COAL: usecs -EOPNOTSUPP, rx-frames other than 1 -EINVAL; tx-frames 0 turns TX NAPI off only while down', async () => {
    const rig = unitRig({ features: [] });
    const base = { rxCoalesceUsecs: 0, txCoalesceUsecs: 0, rxMaxCoalescedFrames: 1, txMaxCoalescedFrames: 1 };
    expect(virtnetGetCoalesce(rig.vi)).toEqual(base);
    expect(await virtnetSetCoalesce(rig.vi, { ...base, rxCoalesceUsecs: 5 })).toBe(-95);
    expect(await virtnetSetCoalesce(rig.vi, { ...base, rxMaxCoalescedFrames: 2 })).toBe(-22);
    expect(await virtnetSetCoalesce(rig.vi, { ...base, txMaxCoalescedFrames: 0 })).toBe(-16);
    rig.vi.dev.up = false;
    expect(await virtnetSetCoalesce(rig.vi, { ...base, txMaxCoalescedFrames: 0 })).toBe(0);
    expect(rig.vi.sq[0]!.napi.weight).toBe(0);
    expect(virtnetGetCoalesce(rig.vi).txMaxCoalescedFrames).toBe(0);
  });

  test('with NOTF_COAL: TX_SET then RX_SET; a TX refusal skips RX and saves nothing', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_NOTF_COAL], answer: 'err' });
    const ec = { rxCoalesceUsecs: 1, txCoalesceUsecs: 2, rxMaxCoalescedFrames: 3, txMaxCoalescedFrames: 4 };
    expect(await virtnetSetCoalesce(rig.vi, ec)).toBe(-22);
    expect(rig.vi.cvq?.history.map((h) => [h.class, h.command])).toEqual([[6, 0]]);
    expect(virtnetGetCoalesce(rig.vi)).toEqual({ rxCoalesceUsecs: 0, txCoalesceUsecs: 0, rxMaxCoalescedFrames: 0, txMaxCoalescedFrames: 0 });
  });
});

describe('RSS through ethtool', () => {
  test('set_rxfh: a table without RSS and a key without RSS or HASH_REPORT are -EOPNOTSUPP; XOR too', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ] });
    expect(await virtnetSetRxfh(rig.vi, [0, 1], null, 1)).toBe(-95);
    expect(await virtnetSetRxfh(rig.vi, null, new Uint8Array(40), 0)).toBe(-95);
    expect(await virtnetSetRxfh(rig.vi, null, null, 2)).toBe(-95);
    expect(rig.vi.cvq?.history).toEqual([]);
  });

  test('set_rxfh with HASH_REPORT only: the key goes out in HASH_CONFIG; its refusal is ignored (0)', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_HASH_REPORT], answer: 'err' });
    rig.vi.rssKeySize = 40;
    expect(await virtnetSetRxfh(rig.vi, null, new Uint8Array(40).fill(9), 1)).toBe(0);
    expect(rig.vi.cvq?.history.map((h) => [h.command, h.payloadLengths])).toEqual([[C_HASH, [8, 2, 3, 40]]]);
    expect(rig.vi.log.at(-1)?.message).toBe('VIRTIONET issue with committing RSS sgs');
  });

  test('rx-flow-hash: sd / sdfn per flow type, refused when unsupported, committed only with RXHASH on', async () => {
    const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_RSS] });
    rig.vi.rssHashTypesSupported = rig.vi.rssHashTypesSaved = 0x3f;
    const sd = RXH_IP_SRC | RXH_IP_DST;
    expect(virtnetGetHashflow(rig.vi, 'tcp4')).toBe(sd | RXH_L4_B_0_1 | RXH_L4_B_2_3);
    expect(await virtnetSetHashflow(rig.vi, 'tcp4', sd)).toBe(0);
    expect(virtnetGetHashflow(rig.vi, 'tcp4')).toBe(sd);
    expect(rig.vi.rssHashTypesSaved).toBe(0x3f & ~0x2);
    expect(rig.vi.cvq?.history).toEqual([]);
    expect(await virtnetSetHashflow(rig.vi, 'tcp4', RXH_L4_B_0_1)).toBe(-22);
    rig.vi.rssHashTypesSupported = 0x1;
    expect(await virtnetSetHashflow(rig.vi, 'udp6', sd | RXH_L4_B_0_1 | RXH_L4_B_2_3)).toBe(-22);
  });
});

test('set_channels: refused while XDP is attached, and for 0 or more than max', async () => {
  const rig = unitRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_MQ], pairs: 2 });
  expect(await virtnetSetChannels(rig.vi, { combinedCount: 0 })).toBe(-22);
  expect(await virtnetSetChannels(rig.vi, { combinedCount: 3 })).toBe(-22);
  expect(await virtnetSetChannels(rig.vi, { combinedCount: 1, rxCount: 1 })).toBe(-22);
  rig.vi.rq[0]!.xdpProg = () => 'pass';
  expect(await virtnetSetChannels(rig.vi, { combinedCount: 2 })).toBe(-22);
  rig.vi.rq[0]!.xdpProg = null;
  expect(await virtnetSetChannels(rig.vi, { combinedCount: 2 })).toBe(0);
  expect(rig.vi.cvq?.history.map((h) => [h.class, h.command, h.outcome.kind])).toEqual([[4, 0, 'ok']]);
});

const C_HASH = 2;
