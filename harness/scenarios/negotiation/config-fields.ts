/**
 * Reads of the net device-specific config space at each field's natural width, and the control
 * command a device-side check uses to make the device change its own config (`MAC_ADDR_SET`).
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { isConfigFieldValid, virtio_net_config, type VirtioNetConfigField } from '../../../specs/net/config.js';
import type { DriverVirtqueue } from '../../../reference-impl/frontend/virtio/virtio-config-ops.js';
import type { DeviceSession } from './device-session.js';

/** One field as read: the bytes, little-endian, and the access widths used. */
export type ConfigSnapshot = Readonly<Partial<Record<VirtioNetConfigField, readonly number[]>>>;

/** The fields whose feature is in `offered` (`net.cfg.status.any.1`), in layout order. */
export function validFields(offered: FeatureSet): readonly VirtioNetConfigField[] {
  return (Object.keys(virtio_net_config.fields) as VirtioNetConfigField[]).filter((f) => isConfigFieldValid(f, offered));
}

/** Reads `fields` at their natural width (mac byte by byte, 64-bit never occurs); values as byte arrays. */
export async function readFields(session: DeviceSession, fields: readonly VirtioNetConfigField[]): Promise<ConfigSnapshot> {
  const out: Partial<Record<VirtioNetConfigField, readonly number[]>> = {};
  for (const field of fields) {
    const { offset, size } = virtio_net_config.fields[field];
    const bytes: number[] = [];
    if (size === 1 || size === 2 || size === 4) {
      const v = await session.raw.readConfig(offset, size);
      for (let i = 0; i < size; i++) bytes.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
    } else {
      for (let i = 0; i < size; i++) bytes.push(await session.raw.readConfig(offset + i, 1));
    }
    out[field] = bytes;
  }
  return out;
}

/** The fields whose bytes differ between two snapshots. */
export function changedFields(a: ConfigSnapshot, b: ConfigSnapshot): readonly VirtioNetConfigField[] {
  return (Object.keys(a) as VirtioNetConfigField[]).filter((f) => (a[f] ?? []).join(',') !== (b[f] ?? []).join(','));
}

/** A snapshot in words, for evidence. */
export function describeSnapshot(s: ConfigSnapshot): string {
  return (Object.keys(s) as VirtioNetConfigField[])
    .map((f) => `${f}=${(s[f] ?? []).map((b) => b.toString(16).padStart(2, '0')).join('')}`)
    .join(' ');
}

/** Polls of the control queue before a command counts as unanswered. */
const CONTROL_POLLS = 16;

/**
 * Sends one control command (`class`, `command`, payload) on `vq` and returns the ack byte, or
 * null when the device did not answer within a few polls.
 */
export async function sendControl(session: DeviceSession, vq: DriverVirtqueue<number>, klass: number, command: number, payload: Uint8Array): Promise<number | null> {
  const memory = session.device.memory.view;
  const header = session.alloc(2);
  const data = session.alloc(Math.max(1, payload.length));
  const ack = session.alloc(1);
  memory.write8(header, klass);
  memory.write8(header + 1, command);
  memory.writeBytes(data, payload);
  memory.write8(ack, 0xff);
  const out = payload.length > 0 ? [{ addr: header, len: 2 }, { addr: data, len: payload.length }] : [{ addr: header, len: 2 }];
  const added = vq.addSgs(out, [{ addr: ack, len: 1 }], ack);
  if (added.kind !== 'added') return null;
  await session.kick(vq);
  for (let i = 0; i < CONTROL_POLLS; i++) {
    const used = await session.drainUsed(vq);
    if (used.some((u) => u.token === ack)) return memory.read8(ack);
  }
  return null;
}
