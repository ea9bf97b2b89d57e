/**
 * Where the ctrl device mutants break the reference device: its control state (the
 * `NetControlFactory` seam the reference adapter takes) and its controlq ring object (the device
 * context's `queue(i)`, through which the control path reaches the controlq). Each mutant changes
 * one thing and forwards everything else, so it differs from the reference only in the rule it
 * breaks.
 *
 * @module
 */

import type { DeviceQueue } from '../../../reference-impl/device/device-queue.js';
import { type CtrlOutcome, type NetControlFactory, type NetControlPort, type NetSteering, referenceControl } from '../../../reference-impl/net/control-port.js';
import type { NetDeviceConfig, NetDeviceConfigInput } from '../../../reference-impl/net/device-config.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import type { DeviceChain } from '../../../reference-impl/virtqueue/index.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { DeviceAdapter } from '../../adapters/contract.js';
import type { FeatureSet } from '../../../specs/features/feature-set.js';

/** A reference net device as a tamper hook receives it. */
export type ReferenceDevice = ReferenceNetDevice<'pci' | 'mmio'>;

/** Replaces one command's handling; `next` is the reference handling (of `payload`, or of a replacement). */
export type CommandPatch = (klass: number, command: number, payload: Uint8Array, next: (payload?: Uint8Array) => CtrlOutcome, port: NetControlPort) => CtrlOutcome;

/** Options of a ctrl device mutant's adapter. */
export interface CtrlMutantAdapterOptions {
  readonly name: string;
  /** Patches every command the control state handles. */
  readonly command?: CommandPatch;
  /** Wraps the control state the reference builds at DRIVER_OK (receive filter, steering). */
  readonly port?: (port: NetControlPort, features: FeatureSet, config: NetDeviceConfig) => NetControlPort;
  /** Replaces the controlq's used-buffer publication: `push(chain, len)` of the ring object. */
  readonly controlqPush?: (inner: DeviceQueue, chain: DeviceChain, len: number) => void;
  /** Extra device configuration. */
  readonly config?: NetDeviceConfigInput;
  /** Any other change to the device, before a driver touches it. */
  readonly tamper?: (device: ReferenceDevice) => void;
}

function controlFactory(options: CtrlMutantAdapterOptions): NetControlFactory | undefined {
  if (options.command === undefined && options.port === undefined) return undefined;
  const base = referenceControl();
  return (features, config, env) => {
    let port = base(features, config, env);
    const patch = options.command;
    if (patch !== undefined) {
      const inner = port;
      const handle = inner.handleCommand.bind(inner);
      inner.handleCommand = (klass, command, payload, room) => patch(klass, command, payload, (p = payload) => handle(klass, command, p, room), inner);
    }
    if (options.port !== undefined) port = options.port(port, features, config);
    return port;
  };
}

/** Makes the control path of `device` see a controlq object whose `push` is `push`. */
export function patchControlqPush(device: ReferenceDevice, push: (inner: DeviceQueue, chain: DeviceChain, len: number) => void): void {
  const context = device.core.context;
  const original = context.queue;
  const wrapped = new WeakMap<DeviceQueue, DeviceQueue>();
  context.queue = (index: number): DeviceQueue | undefined => {
    const inner = original(index);
    if (inner === undefined || index !== device.net.negotiation?.controlq) return inner;
    let w = wrapped.get(inner);
    if (w === undefined) {
      w = new Proxy(inner, {
        get(target, key) {
          if (key === 'push') return (chain: DeviceChain, len: number) => push(target, chain, len);
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      wrapped.set(inner, w);
    }
    return w;
  };
}

/** A reference device adapter with the changes of `options`. */
export function ctrlMutantAdapter(options: CtrlMutantAdapterOptions): DeviceAdapter {
  const control = controlFactory(options);
  const push = options.controlqPush;
  return referenceDeviceAdapter({
    name: options.name,
    ...(control === undefined ? {} : { control }),
    ...(options.config === undefined ? {} : { config: options.config }),
    tamper: (device) => {
      if (push !== undefined) patchControlqPush(device, push);
      options.tamper?.(device);
    },
  });
}

/** What a steering mutant replaces in the reference control state. */
export interface PortOverrides {
  /** Replaces the `activePairs` getter. */
  readonly activePairs?: () => number;
  /** Replaces `steer`. */
  readonly steer?: (frame: Uint8Array) => NetSteering;
}

/** A proxy of `port` with `overrides` in place of the reference's members; the rest forwards, bound to `port`. */
export function overridePort(port: NetControlPort, overrides: PortOverrides): NetControlPort {
  return new Proxy(port, {
    get(target, key) {
      if (key === 'activePairs' && overrides.activePairs !== undefined) return overrides.activePairs();
      if (key === 'steer' && overrides.steer !== undefined) return overrides.steer;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A 32-bit FNV-1a digest of a frame, a stand-in for a device's own flow hash. */
export function frameDigest(frame: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < frame.length; i++) h = Math.imul(h ^ (frame[i] as number), 0x01000193);
  return h >>> 0;
}
