/**
 * Driver mutants that break a rule of the initialisation sequence: the reference front end with a
 * shim between it and the device's registers that rewrites the few accesses the bug is about
 * (device status, driver feature words, notifications). To the device the pair is simply a driver that takes the
 * wrong step; the front end itself is left untouched.
 *
 * @module
 */

import type { FeatureSet } from '../../../specs/features/feature-set.js';
import { virtio_pci_common_cfg } from '../../../specs/transport/pci.js';
import * as M from '../../../specs/transport/mmio.js';
import { findVirtioPciCapabilities } from '../../../reference-impl/frontend/virtio/pci-capabilities.js';
import type { AccessWidth, MmioRegisterAccess, PciRegisterAccess } from '../../../reference-impl/transport/register-access.js';
import { ADAPTER_CONTRACT_VERSION, type DeviceRegisters, type DriverAdapter, type DriverBus } from '../../adapters/contract.js';
import { referenceDriverAdapter, type ReferenceDriverAdapterOptions } from '../../adapters/reference-driver.js';

/** Direct access to the device for a shim, bypassing its own hooks. */
export interface ShimIo {
  writeStatus(value: number): Promise<void>;
  readStatus(): Promise<number>;
  /** Writes one driver feature word (select, then value). */
  writeDriverFeatureWord(select: number, value: number): Promise<void>;
  /** The offered features, words 0..2. */
  readDeviceFeatures(): Promise<FeatureSet>;
  /** Device-specific config. */
  readConfig(offset: number, width: AccessWidth): Promise<number>;
}

/** What a shim does instead of the front end's access; each hook left out passes the access through. */
export interface RegisterHooks {
  /** The front end writes device status `value`. */
  statusWrite?(value: number, io: ShimIo): Promise<void>;
  /** The device answered a status read with `value`; returns what the front end sees. */
  statusRead?(value: number, io: ShimIo): Promise<number> | number;
  /** The front end writes driver feature word `select`. */
  driverFeatureWrite?(select: number, value: number, io: ShimIo): Promise<void>;
  /** The front end notifies a queue; `send` forwards the notification. */
  notify?(send: () => Promise<void>, io: ShimIo): Promise<void>;
}

const COMMON = virtio_pci_common_cfg.fields;

async function shimPci(access: PciRegisterAccess, hooks: RegisterHooks): Promise<PciRegisterAccess> {
  const caps = await findVirtioPciCapabilities(access);
  if (caps.kind !== 'ok') return access;
  const common = caps.value.common;
  const device = caps.value.device;
  const notify = caps.value.notify;
  const at = (field: keyof typeof COMMON): number => common.offset + COMMON[field].offset;
  let select = 0;
  const io: ShimIo = {
    writeStatus: async (v) => {
      await access.writeBar(common.bar, at('device_status'), 1, v & 0xff);
    },
    readStatus: async () => access.readBar(common.bar, at('device_status'), 1),
    async writeDriverFeatureWord(s, v) {
      await access.writeBar(common.bar, at('driver_feature_select'), 4, s);
      await access.writeBar(common.bar, at('driver_feature'), 4, v >>> 0);
      await access.writeBar(common.bar, at('driver_feature_select'), 4, select);
    },
    async readDeviceFeatures() {
      let set = 0n;
      for (let s = 0; s < 3; s++) {
        await access.writeBar(common.bar, at('device_feature_select'), 4, s);
        set |= BigInt(await access.readBar(common.bar, at('device_feature'), 4)) << BigInt(32 * s);
      }
      return set;
    },
    readConfig: async (offset, width) => (device === null ? 0 : access.readBar(device.bar, device.offset + offset, width)),
  };
  const inCommon = (bar: number, offset: number, field: keyof typeof COMMON): boolean => bar === common.bar && offset === at(field);
  const inNotify = (bar: number, offset: number): boolean => bar === notify.bar && offset >= notify.offset && offset < notify.offset + notify.length;
  return {
    readConfig: (o, w) => access.readConfig(o, w),
    writeConfig: (o, w, v) => access.writeConfig(o, w, v),
    onInterrupt: (l) => access.onInterrupt(l),
    async readBar(bar, offset, width) {
      const value = await access.readBar(bar, offset, width);
      return hooks.statusRead !== undefined && inCommon(bar, offset, 'device_status') ? hooks.statusRead(value, io) : value;
    },
    async writeBar(bar, offset, width, value) {
      if (inCommon(bar, offset, 'driver_feature_select')) select = value;
      if (hooks.statusWrite !== undefined && inCommon(bar, offset, 'device_status')) return hooks.statusWrite(value, io);
      if (hooks.driverFeatureWrite !== undefined && inCommon(bar, offset, 'driver_feature')) return hooks.driverFeatureWrite(select, value, io);
      if (hooks.notify !== undefined && inNotify(bar, offset)) return hooks.notify(async () => access.writeBar(bar, offset, width, value), io);
      return access.writeBar(bar, offset, width, value);
    },
  };
}

function shimMmio(access: MmioRegisterAccess, hooks: RegisterHooks): MmioRegisterAccess {
  let select = 0;
  const io: ShimIo = {
    writeStatus: async (v) => {
      await access.write(M.VIRTIO_MMIO_STATUS, 4, v & 0xff);
    },
    readStatus: async () => access.read(M.VIRTIO_MMIO_STATUS, 4),
    async writeDriverFeatureWord(s, v) {
      await access.write(M.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, s);
      await access.write(M.VIRTIO_MMIO_DRIVER_FEATURES, 4, v >>> 0);
      await access.write(M.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, select);
    },
    async readDeviceFeatures() {
      let set = 0n;
      for (let s = 0; s < 3; s++) {
        await access.write(M.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, s);
        set |= BigInt(await access.read(M.VIRTIO_MMIO_DEVICE_FEATURES, 4)) << BigInt(32 * s);
      }
      return set;
    },
    readConfig: async (offset, width) => access.read(M.VIRTIO_MMIO_CONFIG + offset, width),
  };
  return {
    onInterrupt: (l) => access.onInterrupt(l),
    async read(offset, width) {
      const value = await access.read(offset, width);
      return hooks.statusRead !== undefined && offset === M.VIRTIO_MMIO_STATUS ? hooks.statusRead(value, io) : value;
    },
    async write(offset, width, value) {
      if (offset === M.VIRTIO_MMIO_DRIVER_FEATURES_SEL) select = value;
      if (hooks.statusWrite !== undefined && offset === M.VIRTIO_MMIO_STATUS) return hooks.statusWrite(value, io);
      if (hooks.driverFeatureWrite !== undefined && offset === M.VIRTIO_MMIO_DRIVER_FEATURES) return hooks.driverFeatureWrite(select, value, io);
      if (hooks.notify !== undefined && offset === M.VIRTIO_MMIO_QUEUE_NOTIFY) return hooks.notify(async () => access.write(offset, width, value), io);
      return access.write(offset, width, value);
    },
  };
}

/** `registers` with `hooks` in front of the status and feature registers. */
export async function shimRegisters(registers: DeviceRegisters, hooks: RegisterHooks): Promise<DeviceRegisters> {
  return registers.transport === 'pci'
    ? { transport: 'pci', access: await shimPci(registers.access, hooks) }
    : { transport: 'mmio', access: shimMmio(registers.access, hooks) };
}

/**
 * A driver adapter: the reference front end (with `options`) behind a register shim; `hooks` is
 * called once per bound device, so a shim may keep per-device state.
 */
export function shimmedDriverAdapter(name: string, hooks: () => RegisterHooks, options: ReferenceDriverAdapterOptions = {}): DriverAdapter {
  const base = referenceDriverAdapter({ ...options, name });
  return {
    kind: 'driver',
    name,
    contractVersion: ADAPTER_CONTRACT_VERSION,
    transports: base.transports,
    async bind(bus: DriverBus) {
      return base.bind({ ...bus, registers: await shimRegisters(bus.registers, hooks()) });
    },
  };
}
