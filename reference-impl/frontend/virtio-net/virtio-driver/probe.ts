/**
 * `virtnet_validate` (virtio_net.c:3788-3808) and `virtnet_probe`
 * (:3832-4120), in Linux's order (linux-driver-facts §1.3-§1.12): config
 * reads only for negotiated features (`net.cfg.driver.*`), queue pairs,
 * netdev features, MAC, header length, MTU re-read, RX mode, queues,
 * registration and DRIVER_OK (`init.driver.4b`), then VQ_PAIRS_SET and the
 * random-MAC MAC_ADDR_SET, link state and guest offloads.
 *
 * @module
 */

import { hasFeature } from '../../../../specs/features/feature-set.js';
import * as N from '../../../../specs/features/net.js';
import { VIRTIO_NET_S_LINK_UP, virtio_net_config } from '../../../../specs/net/config.js';
import type { GuestAllocator, GuestMemory } from '../../../memory/guest-memory.js';
import { type VirtioDevice, type VirtioError, virtioError } from '../../virtio/virtio-config-ops.js';
import { DUPLEX_UNKNOWN, MAX_MTU, MIN_MTU, SPEED_UNKNOWN, ETH_DATA_LEN, VIRTIO_NET_RSS_MAX_KEY_SIZE, errno } from '../constants.js';
import { ctrlOk } from '../control-queue.js';
import { virtnetMacAddrSet, virtnetSetQueues } from '../ctrl-commands.js';
import { guestOffloadsOf, netdevFeatures, type VirtnetModuleParams } from '../features.js';
import { Softirq } from '../napi.js';
import * as D from '../probe-decisions.js';
import { klog, type NetDevice, type VirtnetInfo } from '../virtnet-info.js';
import { initVqs, type QueueMemoryOptions, removeVqCommon } from './init-vqs.js';
import { virtnetConfigChangedWork, virtnetUpdateSettings } from './config-changed.js';

/** Config offsets of `struct virtio_net_config`. */
export const CFG = virtio_net_config.fields;

/** Options of the virtio-net driver. */
export interface VirtnetDriverOptions extends QueueMemoryOptions {
  /** Guest memory (the same the transport uses). */
  readonly memory: GuestMemory;
  /** Allocator for packet buffers (share it with the transport). */
  readonly allocator: GuestAllocator;
  /** `num_online_cpus()`. @default 1 */
  readonly onlineCpus?: number;
  /** Module parameters. @default csum, gso, napi_tx on */
  readonly params?: VirtnetModuleParams;
  /** Random source for the random MAC and the RSS key. @default Math.random */
  readonly random?: () => number;
  /** Interface name. @default 'eth0' */
  readonly name?: string;
}

function refuse(message: string, errnoValue: number = errno.EINVAL, clauses: readonly string[] = []): VirtioError {
  return virtioError('driver-refused', message, clauses, errnoValue);
}

/**
 * `virtnet_validate`: refuses without config access (never the case here)
 * or on a CTRL_VQ dependency (§1.3); clears F_MTU when `mtu < 68` (§1.4),
 * which makes the core write the features again.
 */
export async function virtnetValidate(vdev: VirtioDevice): Promise<VirtioError | null> {
  const bad = D.validateFeatures(vdev.features);
  if (bad !== null) return refuse(bad.message);
  if (vdev.hasFeature(N.VIRTIO_NET_F_MTU)) {
    const mtu = await vdev.cread16(CFG.mtu.offset);
    if (D.mtuClearsFeature(mtu)) vdev.clearFeature(N.VIRTIO_NET_F_MTU);
  }
  return null;
}

/** A fresh net_device before probe fills it (exported for test rigs). */
export function newNetDevice(name: string): NetDevice {
  return {
    name,
    mtu: ETH_DATA_LEN,
    minMtu: MIN_MTU,
    maxMtu: MAX_MTU,
    devAddr: new Uint8Array(6),
    addrAssignType: 'perm',
    up: false,
    promisc: false,
    allmulti: false,
    uc: [],
    mc: [],
    features: 0,
    hwFeatures: 0,
    vlanFeatures: 0,
    neededHeadroom: 0,
    carrier: false,
    realNumTxQueues: 1,
    realNumRxQueues: 1,
    txStopped: [],
    txTransStart: [],
    present: true,
    peerNotifications: 0,
    vlans: new Set(),
    stats: { tx_dropped: 0, tx_fifo_errors: 0, rx_length_errors: 0, rx_frame_errors: 0 },
    registered: false,
  };
}

/** Result of {@link virtnetProbe}. */
export type ProbeResult = { readonly kind: 'probed'; readonly vi: VirtnetInfo } | VirtioError;

/** `virtnet_probe`. On failure the device is reset only where Linux resets it (after the queues exist). */
export async function virtnetProbe(vdev: VirtioDevice, opts: VirtnetDriverOptions): Promise<ProbeResult> {
  const f = vdev.features;
  const has = (bit: number): boolean => hasFeature(f, bit);
  const random = opts.random ?? Math.random;
  const cfgPairs = D.readsMaxVirtqueuePairs(f) ? await vdev.cread16(CFG.max_virtqueue_pairs.offset) : 1;
  const maxQueuePairs = D.maxQueuePairs(f, cfgPairs);
  const dev = newNetDevice(opts.name ?? 'eth0');
  const params = { csum: opts.params?.csum ?? true, gso: opts.params?.gso ?? true, napiTx: opts.params?.napiTx ?? true };
  const nf = netdevFeatures(f, params);
  dev.features = nf.features;
  dev.hwFeatures = nf.hwFeatures;
  dev.vlanFeatures = nf.vlanFeatures;
  if (has(N.VIRTIO_NET_F_MAC)) {
    const mac = await vdev.creadBytes(CFG.mac.offset, 6);
    if (mac.kind !== 'ok') return mac;
    dev.devAddr = mac.value;
  } else {
    dev.devAddr = D.randomEtherAddr(random);
    dev.addrAssignType = 'random';
  }
  const vi = newVirtnetInfo(vdev, dev, opts, params, maxQueuePairs);
  if (vi.hasRss) vi.rssIndirTableSize = await vdev.cread16(CFG.rss_max_indirection_table_length.offset);
  if (vi.hasRss || vi.hasRssHashReport) {
    vi.rssKeySize = await vdev.cread8(CFG.rss_max_key_size.offset);
    if (vi.rssKeySize > VIRTIO_NET_RSS_MAX_KEY_SIZE) {
      return refuse(`rss_max_key_size=${vi.rssKeySize} exceeds the limit ${VIRTIO_NET_RSS_MAX_KEY_SIZE}.`);
    }
    const rss = D.rssProbe(f, { indirTableSize: vi.rssIndirTableSize, keySize: vi.rssKeySize, hashTypes: await vdev.cread32(CFG.supported_hash_types.offset) });
    if (rss.kind === 'rss') vi.rssHashTypesSupported = rss.hashTypesSupported;
  }
  let mtu = 0;
  if (has(N.VIRTIO_NET_F_MTU)) {
    mtu = await vdev.cread16(CFG.mtu.offset);
    const m = D.probeMtu(mtu);
    if (m.kind === 'changed') {
      klog(vi, 'err', m.message);
      return refuse(m.message, errno.EINVAL, ['net.cfg.device.2']);
    }
    dev.mtu = m.mtu;
    dev.maxMtu = m.maxMtu;
  }
  const big = D.bigPackets(f, mtu);
  vi.bigPackets = big.bigPackets;
  vi.bigPacketsNumSkbfrags = big.numSkbfrags;
  vi.rxMode = D.rxMode(f, big.bigPackets);
  if (vi.anyHeaderSg) dev.neededHeadroom = vi.hdrLen;
  const vqErr = await initVqs(vi, opts);
  if (vqErr !== null) return vqErr;
  dev.realNumTxQueues = vi.currQueuePairs;
  dev.realNumRxQueues = vi.currQueuePairs;
  dev.txStopped = new Array<boolean>(maxQueuePairs).fill(false);
  dev.txTransStart = new Array<number>(maxQueuePairs).fill(0);
  if (vi.hasRss || vi.hasRssHashReport) initDefaultRss(vi, random);
  dev.registered = true;
  await vdev.deviceReady();
  // Probe ignores the VQ_PAIRS_SET answer: curr_queue_pairs is already in use (§1.5).
  await virtnetSetQueues(vi, vi.currQueuePairs);
  if (!has(N.VIRTIO_NET_F_MAC) && has(N.VIRTIO_NET_F_CTRL_MAC_ADDR)) {
    if (!ctrlOk(await virtnetMacAddrSet(vi, dev.devAddr))) {
      klog(vi, 'debug', 'virtio_net: setting MAC address failed');
      dev.registered = false;
      await removeVqCommon(vi);
      return refuse('setting MAC address failed');
    }
  }
  dev.carrier = false;
  if (has(N.VIRTIO_NET_F_STATUS)) {
    vi.configWorkPending = true;
    vi.softirq.defer(() => virtnetConfigChangedWork(vi));
  } else {
    vi.status = VIRTIO_NET_S_LINK_UP;
    await virtnetUpdateSettings(vi);
    dev.carrier = true;
  }
  vi.guestOffloads = guestOffloadsOf(f);
  vi.guestOffloadsCapable = vi.guestOffloads;
  return { kind: 'probed', vi };
}

/** A fresh `virtnet_info` for `vdev` before any config read (exported for test rigs). */
export function newVirtnetInfo(vdev: VirtioDevice, dev: NetDevice, opts: VirtnetDriverOptions, params: Required<VirtnetModuleParams>, maxQueuePairs: number): VirtnetInfo {
  const f = vdev.features;
  const cpus = opts.onlineCpus ?? 1;
  return {
    vdev,
    dev,
    memory: opts.memory,
    allocator: opts.allocator,
    softirq: new Softirq(),
    params,
    onlineCpus: cpus,
    log: [],
    oops: [],
    delivered: [],
    rxHandler: null,
    txWake: null,
    sq: [],
    rq: [],
    cvq: null,
    maxQueuePairs,
    currQueuePairs: D.currQueuePairs(cpus, maxQueuePairs),
    xdpQueuePairs: 0,
    xdpEnabled: false,
    hdrLen: D.hdrLen(f),
    anyHeaderSg: D.anyHeaderSg(f),
    rxMode: 'small',
    mergeableRxBufs: hasFeature(f, N.VIRTIO_NET_F_MRG_RXBUF),
    bigPackets: false,
    bigPacketsNumSkbfrags: 0,
    hasCvq: hasFeature(f, N.VIRTIO_NET_F_CTRL_VQ),
    hasRss: hasFeature(f, N.VIRTIO_NET_F_RSS),
    hasRssHashReport: hasFeature(f, N.VIRTIO_NET_F_HASH_REPORT),
    rssKeySize: 0,
    rssIndirTableSize: 0,
    rssHashTypesSupported: 0,
    rssHashTypesSaved: 0,
    rss: { hashTypes: 0, indirectionTableMask: 0, unclassifiedQueue: 0, indirectionTable: new Uint16Array(0), maxTxVq: 0, hashKeyLength: 0, key: new Uint8Array(VIRTIO_NET_RSS_MAX_KEY_SIZE) },
    guestOffloads: 0n,
    guestOffloadsCapable: 0n,
    status: 0,
    speed: SPEED_UNKNOWN,
    duplex: DUPLEX_UNKNOWN,
    rxUsecs: 0,
    txUsecs: 0,
    rxMaxPackets: 0,
    txMaxPackets: 0,
    refillEnabled: false,
    refillPending: new Set(),
    configWorkPending: false,
  };
}

/** `virtnet_init_default_rss` (:2552-2572): fills the in-memory command only; nothing is sent. */
function initDefaultRss(vi: VirtnetInfo, random: () => number): void {
  const size = vi.rssIndirTableSize;
  vi.rss.hashTypes = vi.rssHashTypesSupported;
  vi.rssHashTypesSaved = vi.rssHashTypesSupported;
  vi.rss.indirectionTableMask = size > 0 ? size - 1 : 0;
  vi.rss.unclassifiedQueue = 0;
  vi.rss.indirectionTable = D.defaultIndirectionTable(size, vi.currQueuePairs);
  vi.rss.maxTxVq = vi.hasRss ? vi.currQueuePairs : 0;
  vi.rss.hashKeyLength = vi.rssKeySize;
  for (let i = 0; i < vi.rss.key.length; i++) vi.rss.key[i] = Math.floor(random() * 256) & 0xff;
}
