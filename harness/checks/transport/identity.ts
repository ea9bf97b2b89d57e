/**
 * Device-side checks on how a device names itself to a driver that discovers it: the PCI vendor
 * and device IDs (virtio 1.4 4.1.2), and the virtio-mmio MagicValue and Version (4.2.2). A driver ignores a device that gets these wrong, so nothing else can be judged.
 *
 * @module
 */

import * as M from '../../../specs/transport/mmio.js';
import {
  VIRTIO_PCI_DEVICE_ID_NET,
  VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_NET,
  VIRTIO_PCI_VENDOR_ID,
} from '../../../specs/transport/pci.js';
import { PCI_DEVICE_ID, PCI_VENDOR_ID } from '../../../reference-impl/frontend/virtio/pci-capabilities.js';
import { judgeOnce, violation } from '../../scenarios/transport/property.js';
import type { Check } from '../check.js';
import type { DeviceCheckContext } from '../context.js';

const hex = (v: number, digits = 4): string => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;

/** `pci.disc.device.2`, `pci.disc.device.3`: vendor 0x1AF4, device 0x1041 (or the transitional 0x1000). */
export const pciIdentity: Check<DeviceCheckContext> = {
  id: 'transport.device.pci-identity',
  title: 'The PCI function has vendor ID 0x1AF4 and the virtio-net device ID',
  clauses: ['pci.disc.device.2', 'pci.disc.device.3'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['pci'] },
  async run(context) {
    const device = await context.device({});
    if (device.registers.transport !== 'pci') return { kind: 'not-applicable', reason: 'not a PCI device' };
    const access = device.registers.access;
    const vendor = await access.readConfig(PCI_VENDOR_ID, 2);
    const id = await access.readConfig(PCI_DEVICE_ID, 2);
    return judgeOnce(async () => {
      if (vendor !== VIRTIO_PCI_VENDOR_ID) violation('pci.disc.device.2', `vendor ID ${hex(vendor)}`, `vendor ID ${hex(VIRTIO_PCI_VENDOR_ID)}`);
      if (id !== VIRTIO_PCI_DEVICE_ID_NET && id !== VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_NET) {
        violation('pci.disc.device.3', `device ID ${hex(id)}`, `${hex(VIRTIO_PCI_DEVICE_ID_NET)} (0x1040 + 1) or the transitional ${hex(VIRTIO_PCI_TRANSITIONAL_DEVICE_ID_NET)}`);
      }
    });
  },
};

/** `mmio.reg.device.1`, `mmio.reg.device.2`: MagicValue "virt", Version 2. */
export const mmioIdentity: Check<DeviceCheckContext> = {
  id: 'transport.device.mmio-identity',
  title: 'The virtio-mmio window reads MagicValue 0x74726976 and Version 2',
  clauses: ['mmio.reg.device.1', 'mmio.reg.device.2'],
  role: 'device',
  level: 'MUST',
  area: 'transport',
  applies: { transports: ['mmio'] },
  async run(context) {
    const device = await context.device({});
    if (device.registers.transport !== 'mmio') return { kind: 'not-applicable', reason: 'not an MMIO device' };
    const access = device.registers.access;
    const magic = (await access.read(M.VIRTIO_MMIO_MAGIC_VALUE, 4)) >>> 0;
    const version = (await access.read(M.VIRTIO_MMIO_VERSION, 4)) >>> 0;
    return judgeOnce(async () => {
      if (magic !== M.VIRTIO_MMIO_MAGIC) violation('mmio.reg.device.1', `MagicValue ${hex(magic, 8)}`, `${hex(M.VIRTIO_MMIO_MAGIC, 8)} ("virt")`);
      if (version !== M.VIRTIO_MMIO_VERSION_MODERN) violation('mmio.reg.device.2', `Version ${version}`, 'Version 2 (a non-legacy device)');
    });
  },
};
