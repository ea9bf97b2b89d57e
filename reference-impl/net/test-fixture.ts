/**
 * Test rig for the net datapath modules: guest memory, driver-side and
 * device-side split queues over the same rings, a recording device
 * context, and the shared environment of the paths. Used by the tests of
 * this folder only; the end-to-end test drives a whole device through its
 * transport registers instead.
 *
 * @module
 */

import { type FeatureSet, featureMask } from '../../specs/features/feature-set.js';
import { VIRTIO_F_VERSION_1 } from '../../specs/features/reserved.js';
import type { DeviceContext } from '../device/backend.js';
import type { DeviceQueue } from '../device/device-queue.js';
import { type NeedsResetReason, newDeviceCounters } from '../device/events.js';
import { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import { allocateSplitRing } from '../virtqueue/queue-config.js';
import { SplitDeviceQueue } from '../virtqueue/split-device.js';
import { SplitDriverQueue } from '../virtqueue/split-driver.js';
import { NetConfigSpace } from './config-space.js';
import { newNetCounters, type NetCounters } from './counters.js';
import { type NetDeviceConfig, type NetDeviceConfigInput, parseNetDeviceConfig } from './device-config.js';
import { NetEventLog } from './net-events.js';
import { type NetNegotiation, netNegotiation } from './negotiation.js';
import type { NetPathEnv } from './path-env.js';
import { NetWire } from './wire.js';

/** A rig for one path test. */
export interface PathRig {
  readonly mem: GuestMemory;
  readonly alloc: GuestAllocator;
  readonly config: NetDeviceConfig;
  readonly configSpace: NetConfigSpace;
  readonly n: NetNegotiation;
  readonly env: NetPathEnv;
  readonly counters: NetCounters;
  readonly events: NetEventLog;
  readonly wire: NetWire;
  readonly context: DeviceContext;
  /** Queues raised a used-buffer notification for, in order. */
  readonly interrupts: number[];
  /** Reasons passed to `context.fail`. */
  readonly failures: NeedsResetReason[];
  /** Violations reported through `context.violation`. */
  readonly violations: { clause: string | null; message: string }[];
  /** Driver side of each virtqueue. */
  readonly drivers: SplitDriverQueue<number>[];
  /** Device side of each virtqueue (set an entry to undefined to model a queue in reset). */
  readonly devices: (DeviceQueue | undefined)[];
  /** A fresh zeroed guest buffer of `len` bytes. */
  buffer(len: number): number;
}

/** Options of {@link pathRig}. */
export interface PathRigOptions {
  /** Negotiated features; VERSION_1 is always added. */
  readonly features: readonly number[];
  /** Number of virtqueues. @default 3 */
  readonly queues?: number;
  /** Queue size. @default 64 */
  readonly size?: number;
  /** Device config input. @default {} */
  readonly config?: NetDeviceConfigInput;
  /** Max virtqueue pairs the negotiation sees. @default 1 */
  readonly pairs?: number;
}

/** Builds a {@link PathRig}. @throws Error when the config is refused (a test bug). */
export function pathRig(options: PathRigOptions): PathRig {
  const mem = new GuestMemory(4 << 20);
  const alloc = new GuestAllocator(mem, 0x1000);
  const parsed = parseNetDeviceConfig(options.config ?? {});
  if (parsed.kind === 'refused') throw new Error(parsed.issues.map((i) => i.message).join('; '));
  const config = parsed.config;
  const features: FeatureSet = featureMask(VIRTIO_F_VERSION_1, ...options.features);
  const n = netNegotiation(features, options.pairs ?? 1);
  const size = options.size ?? 64;
  const drivers: SplitDriverQueue<number>[] = [];
  const devices: (DeviceQueue | undefined)[] = [];
  for (let i = 0; i < (options.queues ?? 3); i++) {
    const layout = allocateSplitRing(alloc, size);
    drivers.push(new SplitDriverQueue<number>(mem, layout));
    const device = SplitDeviceQueue.create(mem, layout);
    if ('kind' in device) throw new Error(device.message);
    devices.push(device);
  }
  const interrupts: number[] = [];
  const failures: NeedsResetReason[] = [];
  const violations: { clause: string | null; message: string }[] = [];
  let generation = 0;
  const context: DeviceContext = {
    memory: mem,
    features,
    live: true,
    queue: (i) => devices[i],
    raiseUsedBufferNotification: (i) => {
      interrupts.push(i);
    },
    configChanged: () => {
      generation++;
    },
    fail: (reason) => {
      failures.push(reason);
    },
    violation: (clause, message) => {
      violations.push({ clause, message });
    },
    counters: newDeviceCounters(),
  };
  const configSpace = new NetConfigSpace(config, config.features);
  configSpace.connect({ changed: () => context.configChanged() });
  const counters = newNetCounters(options.queues ?? 3);
  const events = new NetEventLog();
  const wire = new NetWire();
  const env: NetPathEnv = {
    context,
    config: configSpace,
    wire,
    counters,
    events,
  };
  return {
    mem,
    alloc,
    config,
    configSpace,
    n,
    env,
    counters,
    events,
    wire,
    context,
    interrupts,
    failures,
    violations,
    drivers,
    devices,
    buffer: (len) => alloc.alloc(Math.max(len, 1), 16),
  };
}

/** Collects every used buffer of a driver queue as `[token, len]` pairs. @throws Error on a ring error or a missing queue. */
export function drainUsed(driver: SplitDriverQueue<number> | undefined): [number, number][] {
  if (driver === undefined) throw new Error('no such driver queue');
  const out: [number, number][] = [];
  for (let u = driver.getUsed(); u !== null; u = driver.getUsed()) {
    if (u.kind === 'ring-error') throw new Error(u.message);
    out.push([u.token, u.len]);
  }
  return out;
}

/** A frame of `length` bytes: broadcast destination, then a counting pattern seeded by `seed`. */
export function testFrame(length: number, seed = 0): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = i < 6 ? 0xff : (i * 7 + seed) & 0xff;
  return f;
}
