/**
 * Where the header and data-path mutants break the reference device and the reference front end.
 * The reference device builds its transmit and receive paths at DRIVER_OK, so device mutants hook
 * `VirtioNetDevice.activate` and patch the fresh paths; driver mutants patch the front end right
 * after its probe. The internals reached here are private to the reference implementation: only
 * mutants, which exist to differ from it in one rule, may touch them.
 *
 * @module
 */

import type { DeviceContext } from '../../../reference-impl/device/backend.js';
import type { DeviceQueue } from '../../../reference-impl/device/device-queue.js';
import type { VirtnetInfo } from '../../../reference-impl/frontend/virtio-net/virtnet-info.js';
import type { NetHdrFields } from '../../../reference-impl/net/net-header.js';
import type { NetNegotiation } from '../../../reference-impl/net/negotiation.js';
import type { NetPathEnv } from '../../../reference-impl/net/path-env.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import type { NetReceiver } from '../../../reference-impl/net/rx.js';
import type { NetTransmitter } from '../../../reference-impl/net/tx.js';
import type { DeviceChain } from '../../../reference-impl/virtqueue/device-chain.js';

/** The transmit path's private parts a mutant patches. */
export interface TxInternals {
  n: NetNegotiation;
  readonly env: NetPathEnv;
  handle(queue: DeviceQueue, queueIndex: number, chain: DeviceChain): void;
}

/** The receive path's private parts a mutant patches. */
export interface RxInternals {
  readonly n: NetNegotiation;
  readonly env: NetPathEnv;
  readonly hdr: NetHdrFields;
  writeHeader(chain: DeviceChain): void;
  placeSingle(queue: DeviceQueue, index: number, frame: Uint8Array): unknown;
  placeMergeable(queue: DeviceQueue, index: number, frame: Uint8Array): unknown;
}

/** The datapath of one activation. */
export interface ActivePaths {
  readonly tx: TxInternals;
  readonly rx: RxInternals;
  readonly negotiation: NetNegotiation;
}

/** Calls `patch` with the transmit and receive paths every time the device goes live. */
export function onActivate(device: ReferenceNetDevice<'pci' | 'mmio'>, patch: (paths: ActivePaths) => void): void {
  const net = device.net;
  const activate = net.activate.bind(net);
  net.activate = (context: DeviceContext) => {
    activate(context);
    const active = (net as unknown as { active: { tx: NetTransmitter; rx: NetReceiver; negotiation: NetNegotiation } | null }).active;
    if (active === null) return;
    patch({ tx: active.tx as unknown as TxInternals, rx: active.rx as unknown as RxInternals, negotiation: active.negotiation });
  };
}

/** Replaces the transmit path's chain handler; `original` is the reference's. */
export function patchTxHandle(
  device: ReferenceNetDevice<'pci' | 'mmio'>,
  handle: (tx: TxInternals, original: TxInternals['handle'], queue: DeviceQueue, queueIndex: number, chain: DeviceChain) => void,
): void {
  onActivate(device, ({ tx }) => {
    const original = tx.handle.bind(tx);
    tx.handle = (queue, queueIndex, chain) => handle(tx, original, queue, queueIndex, chain);
  });
}

/** Replaces the receive path's header writer; `original` is the reference's. */
export function patchRxHeader(
  device: ReferenceNetDevice<'pci' | 'mmio'>,
  write: (rx: RxInternals, original: RxInternals['writeHeader'], chain: DeviceChain) => void,
): void {
  onActivate(device, ({ rx }) => {
    const original = rx.writeHeader.bind(rx);
    rx.writeHeader = (chain) => write(rx, original, chain);
  });
}

/** The bytes of a chain's readable segments from segment `first` on. */
export function readableFrom(device: ReferenceNetDevice<'pci' | 'mmio'>, chain: DeviceChain, first: number): Uint8Array {
  let total = 0;
  for (let i = first; i < chain.readableCount; i++) total += chain.len[i] as number;
  const out = new Uint8Array(total);
  let at = 0;
  const u8 = device.core.context.memory.u8;
  for (let i = first; i < chain.readableCount; i++) {
    const addr = chain.addr[i] as number;
    const len = chain.len[i] as number;
    out.set(u8.subarray(addr, addr + len), at);
    at += len;
  }
  return out;
}

/** The front end's driver state, for driver mutants (present after a successful probe). */
export function vi(frontEnd: { readonly vi: VirtnetInfo }): VirtnetInfo {
  return frontEnd.vi;
}
