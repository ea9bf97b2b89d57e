/**
 * Test driver for the PCI model's tests: it finds the virtio structures and
 * the MSI-X capability by walking the capability list, as a real driver
 * does, and offers the register steps (features, queue setup, MSI-X
 * programming, kicks) the tests need. Test use only.
 *
 * @module
 */

import { featureWord } from '../../specs/features/feature-set.js';
import { type CommonCfgField, virtio_pci_common_cfg, VIRTIO_MSI_NO_VECTOR } from '../../specs/transport/pci.js';
import { FakeBackend, type FakeBackendOptions } from '../device/fake-backend.js';
import { VirtioDevice, type VirtioDeviceOptions } from '../device/virtio-device.js';
import { GuestAllocator, GuestMemory } from '../memory/guest-memory.js';
import { allocateSplitRing, type VirtqueueLayout } from '../virtqueue/queue-config.js';
import { VirtioPciModern, type VirtioPciModernOptions } from './pci-modern.js';
import type { AccessWidth, PciInterrupt } from './register-access.js';

/** A virtio vendor capability as the probe read it. */
export interface Cap {
  readonly at: number;
  readonly type: number;
  readonly bar: number;
  readonly offset: number;
  readonly length: number;
  readonly len: number;
}

/** A test driver that finds everything through the capability list, as a real one would. */
export class PciProbe {
  /** Virtio capabilities by cfg_type (the first of each type, as the spec tells drivers to use). */
  readonly caps = new Map<number, Cap>();
  /** Config-space offset of the MSI-X capability, −1 without one. */
  msixCap = -1;
  /** notify_off_multiplier from the notify capability. */
  notifyMult = -1;
  /** Every interrupt the function sent, in order. */
  readonly interrupts: PciInterrupt[] = [];

  constructor(readonly pci: VirtioPciModern) {
    pci.onInterrupt((i) => this.interrupts.push(i));
    pci.writeConfig(0x04, 2, 0x6); // memory space + bus master
    for (let at = pci.readConfig(0x34, 1), guard = 0; at !== 0 && guard < 48; at = pci.readConfig(at + 1, 1), guard++) {
      const id = pci.readConfig(at, 1);
      if (id === 0x11) this.msixCap = at;
      if (id !== 0x09) continue;
      const cap: Cap = {
        at,
        len: pci.readConfig(at + 2, 1),
        type: pci.readConfig(at + 3, 1),
        bar: pci.readConfig(at + 4, 1),
        offset: pci.readConfig(at + 8, 4),
        length: pci.readConfig(at + 12, 4),
      };
      if (!this.caps.has(cap.type)) this.caps.set(cap.type, cap);
      if (cap.type === 2) this.notifyMult = pci.readConfig(at + 16, 4);
    }
  }

  /** The first virtio capability of `type`. @throws Error when there is none (a test bug). */
  cap(type: number): Cap {
    const c = this.caps.get(type);
    if (c === undefined) throw new Error(`no capability of type ${type}`);
    return c;
  }

  /** Reads a common config field (one 32-bit half of a 64-bit one). */
  read(field: CommonCfgField, half = 0): number {
    const f = virtio_pci_common_cfg.fields[field];
    const c = this.cap(1);
    return this.pci.readBar(c.bar, c.offset + f.offset + 4 * half, (f.size === 8 ? 4 : f.size) as AccessWidth);
  }

  /** Writes a common config field (one 32-bit half of a 64-bit one). */
  write(field: CommonCfgField, value: number, half = 0): void {
    const f = virtio_pci_common_cfg.fields[field];
    const c = this.cap(1);
    this.pci.writeBar(c.bar, c.offset + f.offset + 4 * half, (f.size === 8 ? 4 : f.size) as AccessWidth, value);
  }

  /** Reads (and so clears) the ISR status byte. */
  isr(): number {
    const c = this.cap(3);
    return this.pci.readBar(c.bar, c.offset, 1);
  }

  /** Notifies `queue` at its notify address with `value` of `width` bytes. */
  kick(queue: number, value = queue, width: AccessWidth = 2): void {
    const c = this.cap(2);
    this.write('queue_select', queue);
    this.pci.writeBar(c.bar, c.offset + this.read('queue_notify_off') * this.notifyMult, width, value);
  }

  /** Reset, ACK, DRIVER, features, FEATURES_OK; returns the status read back. */
  negotiate(features: bigint): number {
    this.write('device_status', 0);
    this.write('device_status', 1);
    this.write('device_status', 3);
    for (let sel = 0; sel < 3; sel++) {
      this.write('driver_feature_select', sel);
      this.write('driver_feature', featureWord(features, sel));
    }
    this.write('device_status', 0x0b);
    return this.read('device_status');
  }

  /** Programs queue `index` with a split ring of `size` and MSI-X `vector`, then enables it. */
  setupQueue(mem: GuestMemory, alloc: GuestAllocator, index: number, size: number, vector = VIRTIO_MSI_NO_VECTOR): VirtqueueLayout {
    const layout = allocateSplitRing(alloc, size);
    this.write('queue_select', index);
    this.write('queue_size', size);
    this.write('queue_msix_vector', vector);
    for (const [field, addr] of [['queue_desc', layout.descAddr], ['queue_driver', layout.driverAddr], ['queue_device', layout.deviceAddr]] as const) {
      this.write(field, addr, 0);
      this.write(field, 0, 1);
    }
    this.write('queue_enable', 1);
    void mem;
    return layout;
  }

  /** Programs and unmasks the first `vectors` MSI-X entries and sets MSI-X Enable. */
  enableMsix(vectors: number): void {
    for (let v = 0; v < vectors; v++) {
      this.pci.writeBar(1, v * 16, 4, 0xfee0_0000 + 4 * v);
      this.pci.writeBar(1, v * 16 + 4, 4, 0);
      this.pci.writeBar(1, v * 16 + 8, 4, 0x1000 + v);
      this.pci.writeBar(1, v * 16 + 12, 4, 0); // unmask
    }
    this.pci.writeConfig(this.msixCap + 2, 2, 0x8000 | this.pci.readConfig(this.msixCap + 2, 2));
  }
}

/** A fake device behind a PCI function, with a probe that has walked its capabilities. */
export function setup(pciOptions: VirtioPciModernOptions = {}, deviceOptions: VirtioDeviceOptions = {}, backendOptions: FakeBackendOptions = {}) {
  const mem = new GuestMemory(1 << 20);
  const backend = new FakeBackend(backendOptions);
  const device = new VirtioDevice(backend, mem, deviceOptions);
  const pci = new VirtioPciModern(device, pciOptions);
  const probe = new PciProbe(pci);
  return { mem, alloc: new GuestAllocator(mem, 0x1000), backend, device, pci, probe };
}
