/**
 * Test support for this folder: rings whose driver side is the front end's
 * virtqueue object and whose device side is the ring engine, driven by the
 * test as a scripted device; a stub core; and a `virtnet_info` built the
 * way probe builds it, without a transport. Not part of the API.
 *
 * @module
 */

import { type FeatureSet, featureMask, hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { GuestAllocator, GuestMemory } from '../../memory/guest-memory.js';
import {
  allocateIndirectArea,
  allocatePackedRing,
  allocateSplitRing,
  type DeviceChain,
  PackedDeviceQueue,
  PackedDriverQueue,
  type RingFormat,
  SplitDeviceQueue,
  SplitDriverQueue,
  type VirtqueueLayout,
} from '../../virtqueue/index.js';
import { type PlacedRing, queueResetUnsupported, VirtqueueHandle, type VirtqueueTransport } from '../virtio/driver-virtqueue.js';
import { ok, type VirtioConfigOps, type VirtioDevice, type VirtioResult } from '../virtio/virtio-config-ops.js';
import { ControlQueue, type ControlQueueOptions } from './control-queue.js';
import { NAPI_POLL_WEIGHT } from './constants.js';
import { netdevFeatures } from './features.js';
import { Napi } from './napi.js';
import * as D from './probe-decisions.js';
import { RxBufferPool } from './rx-buffers.js';
import { newRqStats, newSqStats } from './stats.js';
import { TxArena, txTokens } from './tx.js';
import type { ReceiveQueue, SendQueue, VirtnetInfo } from './virtnet-info.js';
import { newNetDevice, newVirtnetInfo } from './virtio-driver/probe.js';

/** Either device-side ring engine. */
export type DeviceRing = SplitDeviceQueue | PackedDeviceQueue;

/** One queue: the driver's virtqueue object over the device's ring engine. */
export interface RingRig {
  readonly vq: VirtqueueHandle<number>;
  /** The device side; a new one after a resize (the scripted device follows the new ring). */
  readonly device: DeviceRing;
  /** Notifications the driver sent. */
  readonly notifies: { count: number };
}

/** Options of {@link ringRig}. */
export interface RingRigOptions {
  readonly format?: RingFormat;
  readonly size?: number;
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
  readonly callback?: boolean;
  readonly index?: number;
  /** VIRTIO_F_RING_RESET negotiated: without it the scripted transport refuses queue resets (-ENOENT). @default true */
  readonly ringReset?: boolean;
}

interface PlacedPair {
  readonly ring: SplitDriverQueue<number> | PackedDriverQueue<number>;
  readonly device: DeviceRing;
  readonly layout: VirtqueueLayout;
}

function placePair(mem: GuestMemory, alloc: GuestAllocator, o: RingRigOptions, size: number): PlacedPair {
  const format = o.format ?? 'split';
  const layout = format === 'split' ? allocateSplitRing(alloc, size) : allocatePackedRing(alloc, size);
  const indirectArea = o.indirect === true ? allocateIndirectArea(alloc, size, Math.min(size, 32)) : undefined;
  const opts = {
    ...layout,
    eventIdx: o.eventIdx ?? false,
    indirect: o.indirect ?? false,
    callback: o.callback ?? true,
    ...(indirectArea === undefined ? {} : { indirectArea, indirectMaxEntries: Math.min(size, 32) }),
  };
  const ring = format === 'split' ? new SplitDriverQueue<number>(mem, opts) : new PackedDriverQueue<number>(mem, opts);
  const device = format === 'split' ? SplitDeviceQueue.create(mem, opts) : PackedDeviceQueue.create(mem, opts);
  if ('kind' in device) throw new Error(device.message);
  return { ring, device, layout };
}

/** Builds a queue rig in `mem`. @throws Error when the device side refuses the layout (a test bug). */
export function ringRig(mem: GuestMemory, alloc: GuestAllocator, o: RingRigOptions = {}): RingRig {
  const size = o.size ?? 64;
  const index = o.index ?? 0;
  const first = placePair(mem, alloc, o, size);
  const notifies = { count: 0 };
  const rig = { vq: undefined as unknown as VirtqueueHandle<number>, device: first.device, notifies };
  const transport: VirtqueueTransport = {
    notify: async () => {
      notifies.count++;
      return true;
    },
    resetQueue: async () => (o.ringReset === false ? queueResetUnsupported(index) : ok(undefined)),
    enableQueue: async () => ok(undefined),
    allocateRing: <T>(_vq: VirtqueueHandle<T>, n: number): VirtioResult<PlacedRing<T>> => {
      const next = placePair(mem, alloc, o, n);
      rig.device = next.device;
      return ok({ ring: next.ring as unknown as PlacedRing<T>['ring'], layout: next.layout });
    },
  };
  rig.vq = new VirtqueueHandle<number>(first.ring, { index, name: `q${index}`, sizeMax: size, callback: null, notificationData: false, layout: first.layout }, transport);
  return rig;
}

/** Device side: writes `bytes` across the chain's writable segments; returns the bytes written. */
export function deviceWrite(mem: GuestMemory, chain: DeviceChain, bytes: Uint8Array): number {
  let at = 0;
  for (let i = chain.readableCount; i < chain.count && at < bytes.length; i++) {
    const n = Math.min(chain.len[i] as number, bytes.length - at);
    mem.writeBytes(chain.addr[i] as number, bytes.subarray(at, at + n));
    at += n;
  }
  return at;
}

/** Device side: the chain's readable bytes, concatenated. */
export function deviceRead(mem: GuestMemory, chain: DeviceChain): Uint8Array {
  const out = new Uint8Array(chain.readableBytes);
  let at = 0;
  for (let i = 0; i < chain.readableCount; i++) {
    out.set(mem.bytes(chain.addr[i] as number, chain.len[i] as number), at);
    at += chain.len[i] as number;
  }
  return out;
}

/** Device side: lengths of the chain's segments, readable ones negative-free, writable ones marked `w`. */
export function chainShape(chain: DeviceChain): string[] {
  const out: string[] = [];
  for (let i = 0; i < chain.count; i++) out.push(`${i < chain.readableCount ? 'r' : 'w'}${chain.len[i]}`);
  return out;
}

/** Pops one chain. @throws Error when none or a ring error (a test bug). */
export function popChain(device: DeviceRing): DeviceChain {
  const c = device.pop();
  if (c === null) throw new Error('no chain available');
  if (c.kind === 'ring-error') throw new Error(c.message);
  return c;
}

/** A core stub: negotiated `features`, no transport behind it. */
export function stubVdev(features: FeatureSet): VirtioDevice {
  let f = features;
  const none = (): never => {
    throw new Error('stub core: no transport');
  };
  return {
    config: { busName: 'stub' } as unknown as VirtioConfigOps,
    deviceFeatures: features,
    get features() {
      return f;
    },
    hasFeature: (bit: number) => hasFeature(f, bit),
    clearFeature: (bit: number) => {
      f &= ~(1n << BigInt(bit));
    },
    vqs: [],
    findVqs: none,
    delVqs: none,
    deviceReady: none,
    resetDevice: none,
    getStatus: none,
    addStatus: none,
    cread8: none,
    cread16: none,
    cread32: none,
    cread64: none,
    creadBytes: none,
    cwrite: none,
    configDisable: () => {},
    configEnable: () => {},
  };
}

/** Options of {@link unitVi}. */
export interface UnitViOptions {
  /** Negotiated feature bits; VERSION_1 is added. */
  readonly features: readonly number[];
  /** Device MTU with F_MTU. @default 0 */
  readonly mtu?: number;
  readonly pairs?: number;
  readonly format?: RingFormat;
  readonly size?: number;
  readonly eventIdx?: boolean;
  readonly indirect?: boolean;
  readonly control?: ControlQueueOptions;
  readonly memorySize?: number;
  /** How the scripted device answers control commands. @default 'ok' */
  readonly answer?: 'ok' | 'err' | 'none';
}

/** A `virtnet_info` with real rings, the device side left to the test. */
export interface UnitRig {
  readonly vi: VirtnetInfo;
  readonly mem: GuestMemory;
  readonly alloc: GuestAllocator;
  readonly rx: RingRig[];
  readonly tx: RingRig[];
  readonly ctrl: RingRig | null;
}

/** Builds a probed-looking `virtnet_info` over scripted rings. */
export function unitRig(o: UnitViOptions): UnitRig {
  const mem = new GuestMemory(o.memorySize ?? 16 << 20);
  const alloc = new GuestAllocator(mem, 0x1000);
  const features = featureMask(VIRTIO_F_VERSION_1, ...o.features);
  const pairs = o.pairs ?? 1;
  const dev = newNetDevice('eth0');
  const nf = netdevFeatures(features);
  dev.features = nf.features;
  dev.hwFeatures = nf.hwFeatures;
  dev.devAddr = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
  const vi = newVirtnetInfo(stubVdev(features), dev, { memory: mem, allocator: alloc }, { csum: true, gso: true, napiTx: true }, pairs);
  const big = D.bigPackets(features, o.mtu ?? 0);
  vi.bigPackets = big.bigPackets;
  vi.bigPacketsNumSkbfrags = big.numSkbfrags;
  vi.rxMode = D.rxMode(features, big.bigPackets);
  dev.neededHeadroom = vi.hdrLen;
  if ((o.mtu ?? 0) > 0) dev.mtu = dev.maxMtu = o.mtu as number;
  const ringOpts = {
    format: o.format ?? 'split',
    size: o.size ?? 64,
    eventIdx: o.eventIdx ?? false,
    indirect: o.indirect ?? false,
    ringReset: hasFeature(features, VIRTIO_F_RING_RESET),
  } as const;
  const rx: RingRig[] = [];
  const tx: RingRig[] = [];
  for (let i = 0; i < pairs; i++) {
    const r = ringRig(mem, alloc, { ...ringOpts, index: 2 * i });
    const t = ringRig(mem, alloc, { ...ringOpts, index: 2 * i + 1 });
    rx.push(r);
    tx.push(t);
    const rq: ReceiveQueue = {
      index: i,
      vq: r.vq,
      pool: new RxBufferPool(alloc, vi.rxMode, vi.hdrLen, vi.bigPacketsNumSkbfrags),
      stats: newRqStats(),
      napi: new Napi(`rx${i}`, NAPI_POLL_WEIGHT, vi.softirq, async () => 0),
      mrgAvgPktLen: 0,
      minBufLen: D.mergeableMinBufLen(vi.hdrLen, r.vq.size, vi.bigPackets, dev.maxMtu),
      xdpProg: null,
    };
    const sq: SendQueue = {
      index: i,
      vq: t.vq,
      arena: new TxArena(alloc, 1 << 20),
      inflight: [],
      freeTokens: txTokens(t.vq.sizeMax),
      stats: newSqStats(),
      napi: new Napi(`tx${i}`, NAPI_POLL_WEIGHT, vi.softirq, async () => 0),
    };
    vi.rq.push(rq);
    vi.sq.push(sq);
  }
  dev.txStopped = new Array<boolean>(pairs).fill(false);
  dev.txTransStart = new Array<number>(pairs).fill(0);
  dev.realNumTxQueues = dev.realNumRxQueues = vi.currQueuePairs;
  let ctrl: RingRig | null = null;
  if (vi.hasCvq) {
    const c = ringRig(mem, alloc, { ...ringOpts, index: 2 * pairs, callback: false });
    ctrl = c;
    const answer = o.answer ?? 'ok';
    const yieldFn = async (): Promise<void> => {
      if (answer === 'none') return;
      for (let chain = c.device.pop(); chain !== null && chain.kind !== 'ring-error'; chain = c.device.pop()) {
        deviceWrite(mem, chain, Uint8Array.of(answer === 'ok' ? 0 : 1));
        c.device.push(chain, 1);
      }
    };
    vi.cvq = new ControlQueue(c.vq, mem, alloc, { pollLimit: 4, yieldFn, ...o.control });
  }
  dev.up = true;
  dev.carrier = true;
  return { vi, mem, alloc, rx, tx, ctrl };
}
