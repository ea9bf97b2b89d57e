/**
 * Device mutants of the negotiation area: the reference device with one rule of status, reset,
 * feature negotiation or config broken, each through the adapter's `tamper` hook.
 *
 * @module
 */

import { type FeatureSet, featureMask, setFeatureWord } from '../../../specs/features/feature-set.js';
import {
  VIRTIO_NET_F_CTRL_VQ,
  VIRTIO_NET_F_GUEST_CSUM,
  VIRTIO_NET_F_MRG_RXBUF,
} from '../../../specs/features/net.js';
import { VIRTIO_F_VERSION_1 } from '../../../specs/features/reserved.js';
import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK } from '../../../specs/status.js';
import { STRICT_FEATURE_ACCEPTANCE } from '../../../reference-impl/device/feature-acceptance.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { DeviceMutant } from '../mutant.js';

type Device = ReferenceNetDevice<'pci' | 'mmio'>;

/** Replaces what the device offers (the feature window reads the backend's offer on every access). */
function offer(device: Device, change: (offered: FeatureSet) => FeatureSet): void {
  const changed = change(device.net.offeredFeatures);
  Object.defineProperty(device.net, 'offeredFeatures', { value: changed, configurable: true });
}

/** The core's private status byte, for mutants that must set it behind the status machine's back. */
function statusField(device: Device): { statusValue: number } {
  return device.core as unknown as { statusValue: number };
}

function mutant(id: string, title: string, killedBy: DeviceMutant['killedBy'], tamper: (device: Device) => void, extra: Partial<DeviceMutant> = {}): DeviceMutant {
  return { id, title, role: 'device', killedBy, adapter: referenceDeviceAdapter({ name: id, tamper }), ...extra };
}

/** A modern device that leaves VIRTIO_F_VERSION_1 out of its offer (`rfb.device.1`), as a legacy-only device shows itself. */
export const noVersion1 = mutant('device.negotiation.no-version-1', 'offers no VIRTIO_F_VERSION_1 on the modern interface', ['negotiation.device.offers-version-1'], (d) =>
  offer(d, (o) => o & ~featureMask(VIRTIO_F_VERSION_1)),
);

/** GUEST_TSO4/6 and GUEST_ECN offered without GUEST_CSUM (`net.featdep.guest-tso4.device`). */
export const tsoWithoutCsum = mutant(
  'device.negotiation.tso-without-csum',
  'offers GUEST_TSO4/TSO6/ECN without GUEST_CSUM',
  ['negotiation.device.offer-dependencies'],
  (d) => offer(d, (o) => o & ~featureMask(VIRTIO_NET_F_GUEST_CSUM)),
  { imitates: 'a backend that drops receive checksum offload but keeps the GSO bits it implies' },
);

/**
 * QEMU 7.2 with `ctrl_vq=off` (qemu-qtest.md §2.2, offer 0x10130bd8024): CTRL_VQ goes, CTRL_RX,
 * CTRL_VLAN, CTRL_RX_EXTRA, GUEST_ANNOUNCE and CTRL_MAC_ADDR stay.
 */
export const qemuCtrlVqOff = mutant(
  'device.negotiation.qemu-ctrl-vq-off',
  'withdraws CTRL_VQ but keeps the control features that need it',
  ['negotiation.device.offer-dependencies', 'negotiation.device.offer-soft-dependencies'],
  (d) => offer(d, (o) => o & ~featureMask(VIRTIO_NET_F_CTRL_VQ)),
  { imitates: 'QEMU 7.2 virtio-net-pci ctrl_vq=off (qemu-qtest.md §2.2)' },
);

/** Bit 45 (reserved for future use in every revision) offered (`features.device.4`). */
export const offersReservedBit = mutant('device.negotiation.offers-reserved-bit', 'offers reserved feature bit 45', ['negotiation.device.offers-defined-bits'], (d) =>
  offer(d, (o) => o | (1n << 45n)),
);

/**
 * Refuses a subset internally but leaves FEATURES_OK set, so the driver goes on and the device
 * fails at DRIVER_OK (`features.device.3`).
 */
export const silentRefusal = mutant(
  'device.negotiation.silent-refusal',
  'keeps FEATURES_OK set when it refuses the subset',
  ['negotiation.device.features-ok-readback'],
  (d) => {
    const write = d.core.writeStatus.bind(d.core);
    d.core.writeStatus = (value) => {
      write(value);
      if ((value & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && !d.core.featureWindow.featuresOk) statusField(d).statusValue |= VIRTIO_CONFIG_S_FEATURES_OK;
    };
  },
);

/** Refuses every subset without MRG_RXBUF, however valid (`features.device.2`). */
export const demandsMrgRxbuf: DeviceMutant = {
  id: 'device.negotiation.demands-mrg-rxbuf',
  title: 'refuses any subset that leaves out MRG_RXBUF',
  role: 'device',
  killedBy: ['negotiation.device.accepts-valid-subset'],
  imitates: 'hardware vDPA parents that refuse to run without a feature their datapath assumes',
  adapter: referenceDeviceAdapter({
    name: 'device.negotiation.demands-mrg-rxbuf',
    config: {
      featureAcceptance: {
        ...STRICT_FEATURE_ACCEPTANCE,
        refuse: (f) => ((f >> BigInt(VIRTIO_NET_F_MRG_RXBUF)) & 1n ? null : 'this device needs MRG_RXBUF'),
      },
    },
  }),
};

/**
 * A reset that never completes: status keeps reading its old value until the driver writes a
 * non-zero status (`reset.device.1`). Linux `vp_reset` polls forever on such a device.
 */
export const resetNeverCompletes = mutant('device.negotiation.reset-never-completes', 'status never reads 0 after a reset', ['negotiation.device.status-machine'], (d) => {
  const read = d.core.readStatus.bind(d.core);
  const write = d.core.writeStatus.bind(d.core);
  let stale = 0;
  d.core.writeStatus = (value) => {
    stale = value === 0 ? d.core.status || stale : 0;
    write(value);
  };
  d.core.readStatus = () => read() || stale;
});

/** Clears FEATURES_OK when the driver sets DRIVER_OK (`features.device.3`). */
export const featuresOkRevoked = mutant(
  'device.negotiation.features-ok-revoked',
  'withdraws FEATURES_OK once DRIVER_OK is written',
  ['negotiation.device.status-machine', 'negotiation.device.features-ok-readback'],
  (d) => {
    const write = d.core.writeStatus.bind(d.core);
    d.core.writeStatus = (value) => {
      write(value);
      if ((value & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) statusField(d).statusValue &= ~VIRTIO_CONFIG_S_FEATURES_OK;
    };
  },
);

/** A reset that leaves every queue enabled (`pci.common.device.8`, `mmio.reg.device.5`). */
export const resetKeepsQueueEnable = mutant('device.negotiation.reset-keeps-queue-enable', 'queues still read enabled after a reset', ['negotiation.device.reset-quiesces'], (d) => {
  const queues = d.core.queueRegisters;
  const reset = queues.reset.bind(queues);
  queues.reset = () => {
    const enabled: number[] = [];
    for (let i = 0; queues.at(i) !== undefined; i++) if (queues.at(i)?.enabled === true) enabled.push(i);
    reset();
    for (const i of enabled) (queues.at(i) as { enabled: boolean }).enabled = true;
  };
});

/**
 * A reset that clears the status but keeps the datapath: the receive queue stays bound to the
 * old ring and frames from the wire land in buffers the driver gave before the reset
 * (`reset.device.2`).
 */
export const resetKeepsDatapath = mutant(
  'device.negotiation.reset-keeps-datapath',
  'keeps receiving into the old rings after a reset',
  ['negotiation.device.reset-quiesces'],
  (d) => {
    const queues = d.core.queueRegisters;
    const reset = queues.reset.bind(queues);
    queues.reset = () => {
      const engines: unknown[] = [];
      for (let i = 0; queues.at(i) !== undefined; i++) engines.push(queues.at(i)?.engine);
      reset();
      engines.forEach((engine, i) => Object.assign(queues.at(i) as object, { engine }));
    };
    d.net.reset = () => {};
    let wasLive = false;
    d.events.subscribe((e) => {
      if (e.kind === 'activated') wasLive = true;
    });
    Object.defineProperty(d.core, 'live', { get: () => wasLive, configurable: true });
  },
  { imitates: 'rust-vmm virtio-queue d951283: a device that keeps processing a queue that is no longer ready (bug D25)' },
);

/**
 * Applies feature words written after FEATURES_OK to the negotiated set, so the datapath built at
 * DRIVER_OK follows the late write.
 */
export const lateFeaturesApplied = mutant(
  'device.negotiation.late-features-applied',
  'renegotiates on a driver_feature write after FEATURES_OK',
  ['negotiation.device.late-feature-write-ignored'],
  (d) => {
    const window = d.core.featureWindow;
    const write = window.writeDriverFeatures.bind(window);
    window.writeDriverFeatures = (value) => {
      if (!window.featuresOk) return write(value);
      const state = window as unknown as { kept: FeatureSet };
      state.kept = setFeatureWord(state.kept, window.driverFeatureSelect, value);
    };
  },
  { imitates: 'QEMU 6071d13c6a37: device state following the feature-write sequence rather than the accepted set (bug D10)' },
);

function frozenGeneration(d: Device): void {
  Object.defineProperty(d.core, 'configGeneration', { get: () => 0, configurable: true });
}

/** config_generation never moves, although MAC_ADDR_SET changes mac (`pci.common.device.6`). */
export const generationFrozenPci = mutant('device.negotiation.generation-frozen-pci', 'config_generation stays 0 across config changes', ['negotiation.device.config-generation-pci'], frozenGeneration, {
  transport: 'pci',
});

/** ConfigGeneration never moves (`mmio.reg.device.6`). */
export const generationFrozenMmio = mutant('device.negotiation.generation-frozen-mmio', 'ConfigGeneration stays 0 across config changes', ['negotiation.device.config-generation-mmio'], frozenGeneration, {
  transport: 'mmio',
});

/**
 * Device config reads answer all-ones until FEATURES_OK (`config.device.1`): the shape of bug R5,
 * where a transitional device served config in the wrong format before the features were acked.
 */
export const configNeedsFeaturesOk = mutant(
  'device.negotiation.config-needs-features-ok',
  'device-specific config reads all-ones before FEATURES_OK',
  ['negotiation.device.config-before-features-ok'],
  (d) => {
    const read = d.core.readConfig.bind(d.core);
    d.core.readConfig = (offset, width) => (d.core.featureWindow.featuresOk ? read(offset, width) : width === 4 ? 0xffff_ffff : (1 << (8 * width)) - 1);
  },
  { imitates: 'R5: config read before the features were acknowledged (2f9a174f918e, 4fa59ede9519)' },
);

/** Every device mutant of this area. */
export const deviceMutants: readonly DeviceMutant[] = [
  noVersion1,
  tsoWithoutCsum,
  qemuCtrlVqOff,
  offersReservedBit,
  silentRefusal,
  demandsMrgRxbuf,
  resetNeverCompletes,
  featuresOkRevoked,
  resetKeepsQueueEnable,
  resetKeepsDatapath,
  lateFeaturesApplied,
  generationFrozenPci,
  generationFrozenMmio,
  configNeedsFeaturesOk,
];
