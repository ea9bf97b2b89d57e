/**
 * The bytes of `struct virtio_net_config` (virtio 1.4 section 5.1.4) as the
 * reference device shows them, laid out by the specs/ layout, little-endian.
 *
 * Every field holds a value; a field whose feature is not offered is
 * undefined for the driver (`net.cfg.status.any.1`) and a read of it is
 * counted (`config.driver.3`). The space is read-only for the driver
 * (`net.cfg.driver.1`): writes are ignored and reported. The device changes
 * it through the setters, each of which bumps config_generation through the
 * core when a byte changes (`pci.common.device.6`, `mmio.reg.device.6`).
 *
 * @module
 */

import type { FeatureSet } from '../../specs/features/feature-set.js';
import { VIRTIO_NET_F_SPEED_DUPLEX, VIRTIO_NET_F_STATUS } from '../../specs/features/net.js';
import { hasFeature } from '../../specs/features/feature-set.js';
import {
  isConfigFieldValid,
  VIRTIO_NET_S_ANNOUNCE,
  VIRTIO_NET_S_LINK_UP,
  virtio_net_config,
  type VirtioNetConfigField,
} from '../../specs/net/config.js';
import type { AccessWidth } from '../device/backend.js';
import type { NetDeviceConfig } from './device-config.js';

/** What the config space tells its owner. */
export interface NetConfigHooks {
  /** A byte changed: bump config_generation and notify (`DeviceContext.configChanged`). */
  changed(): void;
  /** The driver read a field whose feature is not offered (`config.driver.3`). */
  undefinedRead?(field: VirtioNetConfigField, offset: number, width: AccessWidth): void;
  /** The driver wrote the read-only space (`net.cfg.driver.1`); the write was ignored. */
  ignoredWrite?(offset: number, width: AccessWidth, value: number): void;
}

/** Outcome of a config setter. */
export type ConfigUpdate =
  | { readonly kind: 'changed' }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'refused'; readonly clause: string | null; readonly message: string };

const CHANGED: ConfigUpdate = Object.freeze({ kind: 'changed' });
const UNCHANGED: ConfigUpdate = Object.freeze({ kind: 'unchanged' });
const F = virtio_net_config.fields;
const FIELD_AT: readonly VirtioNetConfigField[] = (() => {
  const at: VirtioNetConfigField[] = [];
  for (const name of Object.keys(F) as VirtioNetConfigField[]) {
    for (let i = 0; i < F[name].size; i++) at[F[name].offset + i] = name;
  }
  return at;
})();

/** The device's `virtio_net_config`. */
export class NetConfigSpace {
  /** Size in bytes (24 for a 1.2 device, 28 from 1.3). */
  readonly size: number;
  private readonly bytes: Uint8Array;
  private hooks: NetConfigHooks = { changed: () => {} };

  constructor(
    private readonly config: NetDeviceConfig,
    /** The offered features, which decide which fields are defined. */
    private readonly offered: FeatureSet,
  ) {
    this.size = config.configSize;
    this.bytes = new Uint8Array(Math.max(this.size, virtio_net_config.size));
    this.reset();
    this.put(F.status.offset, 2, config.linkUp ? VIRTIO_NET_S_LINK_UP : 0);
    this.put(F.speed.offset, 4, config.speed);
    this.put(F.duplex.offset, 1, config.duplex);
  }

  /** Connects the space to its owner (the net device, once the core handed it a context). */
  connect(hooks: NetConfigHooks): void {
    this.hooks = hooks;
  }

  /**
   * Device reset: `mac` returns to the configured address and ANNOUNCE
   * clears. Link state and speed are properties of the link, not of the
   * device's negotiation, and stay. No config change is signalled.
   */
  reset(): void {
    const c = this.config;
    this.bytes.set(c.mac, F.mac.offset);
    this.put(F.status.offset, 2, this.get(F.status.offset, 2) & VIRTIO_NET_S_LINK_UP);
    this.put(F.max_virtqueue_pairs.offset, 2, c.maxVirtqueuePairs);
    this.put(F.mtu.offset, 2, c.mtu);
    this.put(F.rss_max_key_size.offset, 1, c.rss.maxKeySize);
    this.put(F.rss_max_indirection_table_length.offset, 2, c.rss.maxIndirectionTableLength);
    this.put(F.supported_hash_types.offset, 4, c.rss.supportedHashTypes);
    this.put(F.supported_tunnel_types.offset, 4, c.rss.supportedTunnelTypes);
  }

  /** Driver read of `width` bytes at `offset` (inside {@link size}); no device state changes. */
  read(offset: number, width: AccessWidth): number {
    for (let i = 0; i < width; i++) {
      const field = FIELD_AT[offset + i];
      if (field !== undefined && !isConfigFieldValid(field, this.offered)) {
        this.hooks.undefinedRead?.(field, offset, width);
        break;
      }
    }
    return this.get(offset, width);
  }

  /** Driver write: ignored, the space is read-only for a non-legacy driver (`net.cfg.driver.1`, bug D26). */
  write(offset: number, width: AccessWidth, value: number): void {
    this.hooks.ignoredWrite?.(offset, width, value);
  }

  /** A copy of the whole space, for tests and observers. */
  snapshot(): Uint8Array {
    return this.bytes.slice(0, this.size);
  }

  /** The current `mac`. */
  get mac(): Uint8Array {
    return this.bytes.slice(F.mac.offset, F.mac.offset + 6);
  }

  /** `status` bit VIRTIO_NET_S_LINK_UP. */
  get linkUp(): boolean {
    return (this.get(F.status.offset, 2) & VIRTIO_NET_S_LINK_UP) !== 0;
  }

  /** `status` bit VIRTIO_NET_S_ANNOUNCE. */
  get announce(): boolean {
    return (this.get(F.status.offset, 2) & VIRTIO_NET_S_ANNOUNCE) !== 0;
  }

  /** `speed` as stored. */
  get speed(): number {
    return this.get(F.speed.offset, 4);
  }

  /** `duplex` as stored. */
  get duplex(): number {
    return this.get(F.duplex.offset, 1);
  }

  /**
   * Sets `mac`: the control queue's MAC_ADDR_SET updates it before the
   * command completes (`net.ctrl.mac.device.3`).
   * @throws RangeError when `mac` is not 6 bytes (a caller bug).
   */
  setMac(mac: ArrayLike<number>): ConfigUpdate {
    if (mac.length !== 6) throw new RangeError('a MAC address has 6 bytes');
    let same = true;
    for (let i = 0; i < 6; i++) same &&= this.bytes[F.mac.offset + i] === ((mac[i] as number) & 0xff);
    if (same) return UNCHANGED;
    for (let i = 0; i < 6; i++) this.bytes[F.mac.offset + i] = (mac[i] as number) & 0xff;
    return this.changed();
  }

  /** Sets VIRTIO_NET_S_LINK_UP (the cable). */
  setLinkUp(up: boolean): ConfigUpdate {
    return this.setStatusBit(VIRTIO_NET_S_LINK_UP, up);
  }

  /**
   * Sets or clears VIRTIO_NET_S_ANNOUNCE. The net device sets it only with
   * GUEST_ANNOUNCE negotiated (bug D19) and clears it on ANNOUNCE_ACK before
   * the command completes (`net.ctrl.announce.device.1`).
   */
  setAnnounce(on: boolean): ConfigUpdate {
    return this.setStatusBit(VIRTIO_NET_S_ANNOUNCE, on);
  }

  /**
   * Sets `speed` (Mbit/s, or 0xffffffff for unknown) and `duplex`. Refused
   * while the link is up when STATUS and SPEED_DUPLEX are offered
   * (`net.cfg.device.12`), unless `force` (to model a device that breaks it).
   */
  setSpeedDuplex(speed: number, duplex: number, force = false): ConfigUpdate {
    if (!force && this.linkUp && hasFeature(this.offered, VIRTIO_NET_F_STATUS) && hasFeature(this.offered, VIRTIO_NET_F_SPEED_DUPLEX)) {
      return { kind: 'refused', clause: 'net.cfg.device.12', message: 'speed and duplex should not change while the link is up' };
    }
    if (this.speed === speed >>> 0 && this.duplex === (duplex & 0xff)) return UNCHANGED;
    this.put(F.speed.offset, 4, speed);
    this.put(F.duplex.offset, 1, duplex);
    return this.changed();
  }

  private setStatusBit(bit: number, on: boolean): ConfigUpdate {
    const before = this.get(F.status.offset, 2);
    const after = on ? before | bit : before & ~bit;
    if (after === before) return UNCHANGED;
    this.put(F.status.offset, 2, after);
    return this.changed();
  }

  private changed(): ConfigUpdate {
    this.hooks.changed();
    return CHANGED;
  }

  private get(offset: number, width: number): number {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + (this.bytes[offset + i] as number);
    return v;
  }

  private put(offset: number, width: number, value: number): void {
    let v = value >>> 0;
    for (let i = 0; i < width; i++) {
      this.bytes[offset + i] = v & 0xff;
      v >>>= 8;
    }
  }
}
