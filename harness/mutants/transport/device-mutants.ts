/**
 * Device mutants of the transport area: the reference device with one register rule broken —
 * identification, capabilities, the notify structure, the feature window, the ring address
 * halves, MSI-X mapping and delivery, the ISR, MMIO InterruptStatus, what a reset clears, and
 * the per-queue reset.
 *
 * @module
 */

import { featureWord } from '../../../specs/features/feature-set.js';
import { VIRTIO_MMIO_INTERRUPT_STATUS, VIRTIO_MMIO_INT_CONFIG, VIRTIO_MMIO_VERSION } from '../../../specs/transport/mmio.js';
import { VIRTIO_MSI_NO_VECTOR, VIRTIO_PCI_ISR_QUEUE } from '../../../specs/transport/pci.js';
import type { ReferenceNetDevice } from '../../../reference-impl/net/reference-net-device.js';
import { referenceDeviceAdapter } from '../../adapters/reference-device.js';
import type { TransportKind } from '../../checks/check.js';
import type { DeviceMutant } from '../mutant.js';
import { bindingOf, mmioOf, pciOf, showConfigByte, showConfigDword } from './device-seams.js';

type Tamper = (device: ReferenceNetDevice<'pci' | 'mmio'>) => void;

function deviceMutant(
  id: string,
  title: string,
  imitates: string,
  killedBy: readonly [string, ...string[]],
  transport: TransportKind,
  tamper: Tamper,
): DeviceMutant {
  return { id, title, imitates, killedBy, transport, role: 'device', adapter: referenceDeviceAdapter({ name: id, tamper }) };
}

/** PCI vendor ID of Red Hat's non-virtio QEMU devices: a device that is not a virtio device at all. */
const FOREIGN_VENDOR = 0x1b36;
/** A cfg_type no revision defines. */
const UNKNOWN_CFG_TYPE = 0x0a;

/** The device's reference transport mutants. */
export const deviceMutants: readonly DeviceMutant[] = [
  deviceMutant(
    'device.transport.pci-foreign-vendor',
    'The PCI function shows vendor ID 0x1B36 instead of 0x1AF4',
    'an emulator that reuses its own vendor ID for a virtio function; no virtio driver binds to it',
    ['transport.device.pci-identity'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      showConfigByte(pci, 0, FOREIGN_VENDOR & 0xff);
      showConfigByte(pci, 1, FOREIGN_VENDOR >>> 8);
    },
  ),
  deviceMutant(
    'device.transport.mmio-legacy-version',
    'The virtio-mmio Version register reads 1 (legacy) on a modern device',
    'a device model that kept the legacy Version after gaining the modern registers',
    ['transport.device.mmio-identity'],
    'mmio',
    (d) => {
      const mmio = mmioOf(d);
      const read = mmio.read.bind(mmio);
      mmio.read = (offset, width) => (offset === VIRTIO_MMIO_VERSION ? 1 : read(offset, width));
    },
  ),
  deviceMutant(
    'device.transport.pci-isr-capability-missing',
    'The ISR capability carries an undefined cfg_type, so the function has no usable ISR capability',
    'a capability list built from a table with a wrong type constant',
    ['transport.device.pci-capabilities'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      showConfigByte(pci, pci.layout.caps.isr + 3, UNKNOWN_CFG_TYPE);
    },
  ),
  deviceMutant(
    'device.transport.msix-table-size-inflated',
    'The MSI-X capability announces twice the vectors its table holds',
    'a Table Size field filled from the vectors the device could support rather than the table it built',
    ['transport.device.pci-capabilities'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      showConfigByte(pci, pci.layout.caps.msix + 2, (2 * pci.layout.msixVectors - 1) & 0xff);
    },
  ),
  deviceMutant(
    'device.transport.pci-notify-length-2',
    'The notify capability states a length of 2 bytes whatever the number of queues',
    'a notify structure sized for one shared address while queue_notify_off still spreads the queues (multiplier 4)',
    ['transport.device.pci-notify-layout', 'transport.device.pci-notify-layout-data'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      showConfigDword(pci, pci.layout.caps.notify + 12, 2);
    },
  ),
  deviceMutant(
    'device.transport.pci-notify-length-16-bit',
    'The notify structure covers a 16-bit write for the last queue, not the 32-bit write NOTIFICATION_DATA needs',
    'a device that added NOTIFICATION_DATA without growing the notify structure (cap.length = queue_notify_off × multiplier + 2)',
    ['transport.device.pci-notify-layout-data'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      showConfigDword(pci, pci.layout.caps.notify + 12, (d.core.numQueues - 1) * pci.layout.notifyOffMultiplier + 2);
    },
  ),
  deviceMutant(
    'device.transport.feature-select-truncated',
    'device_feature decodes only the low 8 bits of device_feature_select',
    'D17: a transport index truncated to a narrower type (DPDK vhost-user CVE-2020-10723)',
    ['transport.device.pci-feature-window'],
    'pci',
    (d) => {
      const window = d.core.featureWindow;
      window.readDeviceFeatures = () => featureWord(window.offered, window.deviceFeatureSelect & 0xff);
    },
  ),
  deviceMutant(
    'device.transport.address-high-clears-low',
    'Writing the high half of a ring address register clears its low half',
    'a device that assembles the 64-bit address when the high half is written (address = high << 32)',
    ['transport.device.pci-queue-registers'],
    'pci',
    (d) => {
      const regs = d.core.queueRegisters;
      const write = regs.writeAddress.bind(regs);
      regs.writeAddress = (area, half, value) => {
        write(area, half, value);
        if (half === 1) write(area, 0, 0);
      };
    },
  ),
  deviceMutant(
    'device.transport.msix-vector-past-table-kept',
    'A vector past the MSI-X table is kept and read back instead of NO_VECTOR',
    'D17: a vector index used without a bound check (cloud-hypervisor queue_msix_vector, 082fdc4d0)',
    ['transport.device.msix-vectors'],
    'pci',
    (d) => {
      pciOf(d).mapVector = (vector) => vector;
    },
  ),
  deviceMutant(
    'device.transport.msix-vectors-survive-reset',
    'A device reset leaves config_msix_vector and every queue_msix_vector mapped',
    'a reset path that clears the core state but forgets the transport\'s vector table',
    ['transport.device.msix-vectors', 'transport.device.pci-reset-registers'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      const binding = bindingOf(d);
      const reset = binding.deviceReset.bind(binding);
      (binding as { deviceReset: () => void }).deviceReset = () => {
        const config = pci.configVectorValue;
        const queues = pci.queueVectors.slice();
        reset();
        pci.configVectorValue = config;
        pci.queueVectors.set(queues);
      };
    },
  ),
  deviceMutant(
    'device.transport.msix-no-vector-signals-0',
    'An event mapped to NO_VECTOR is signalled on vector 0',
    'NO_VECTOR (0xffff) truncated into the table index, so "unmapped" lands on entry 0',
    ['transport.device.msix-delivery'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      const signal = pci.signalVector.bind(pci);
      pci.signalVector = (vector) => signal(vector === VIRTIO_MSI_NO_VECTOR ? 0 : vector);
    },
  ),
  deviceMutant(
    'device.transport.msix-wrong-vector',
    'Events are signalled on the vector after the one they are mapped to',
    'an off-by-one between the vector number and the MSI-X table entry',
    ['transport.device.msix-delivery'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      const signal = pci.signalVector.bind(pci);
      const size = pci.layout.msixVectors;
      pci.signalVector = (vector) => signal(vector === VIRTIO_MSI_NO_VECTOR ? vector : (vector + 1) % size);
    },
  ),
  deviceMutant(
    'device.transport.isr-not-cleared-on-read',
    'Reading the ISR returns it but does not clear it or deassert INTx',
    'an ISR modelled as a plain status register instead of read-to-clear',
    ['transport.device.pci-isr'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      pci.readIsr = () => pci.isrValue;
    },
  ),
  deviceMutant(
    'device.transport.isr-config-as-queue',
    'A configuration change interrupt sets ISR bit 0 instead of bit 1',
    'a config-change path that reuses the used-buffer interrupt routine',
    ['transport.device.pci-isr'],
    'pci',
    (d) => {
      const pci = pciOf(d);
      const binding = bindingOf(d);
      const deliver = binding.deliverConfigChange.bind(binding);
      (binding as { deliverConfigChange: () => unknown }).deliverConfigChange = () => {
        const delivery = deliver();
        if (delivery.kind === 'intx') {
          pci.isrValue = VIRTIO_PCI_ISR_QUEUE;
          return pci.updateIntx();
        }
        return delivery;
      };
    },
  ),
  deviceMutant(
    'device.transport.mmio-status-read-to-clear',
    'Reading InterruptStatus clears it, as the PCI ISR does',
    'an MMIO transport written after the PCI ISR; the driver then never sees the event it has not acknowledged',
    ['transport.device.mmio-interrupt-status'],
    'mmio',
    (d) => {
      const mmio = mmioOf(d);
      const read = mmio.read.bind(mmio);
      mmio.read = (offset, width) => {
        const value = read(offset, width);
        if (offset === VIRTIO_MMIO_INTERRUPT_STATUS) {
          mmio.interruptStatusValue = 0;
          mmio.updateLine();
        }
        return value;
      };
    },
  ),
  deviceMutant(
    'device.transport.mmio-stale-config-bit',
    'InterruptStatus always shows the configuration change bit',
    'a config-change bit set at start-up and never cleared',
    ['transport.device.mmio-interrupt-status'],
    'mmio',
    (d) => {
      const mmio = mmioOf(d);
      const read = mmio.read.bind(mmio);
      mmio.read = (offset, width) => (offset === VIRTIO_MMIO_INTERRUPT_STATUS ? (read(offset, width) | VIRTIO_MMIO_INT_CONFIG) >>> 0 : read(offset, width));
    },
  ),
  deviceMutant(
    'device.transport.mmio-status-survives-reset',
    'A device reset leaves InterruptStatus as it was',
    'a reset path that clears the queues but not the interrupt state',
    ['transport.device.mmio-reset-registers'],
    'mmio',
    (d) => {
      const mmio = mmioOf(d);
      const binding = bindingOf(d);
      const reset = binding.deviceReset.bind(binding);
      (binding as { deviceReset: () => void }).deviceReset = () => {
        const kept = mmio.interruptStatusValue;
        reset();
        mmio.interruptStatusValue = kept;
        mmio.updateLine();
      };
    },
  ),
  deviceMutant(
    'device.transport.pci-queue-reset-ignored',
    'A write of 1 to queue_reset is ignored: the queue stays enabled and keeps running',
    'a device that offers VIRTIO_F_RING_RESET without implementing the per-queue reset',
    ['transport.device.pci-queue-reset'],
    'pci',
    (d) => {
      d.core.queueRegisters.writeReset = () => {};
    },
  ),
  deviceMutant(
    'device.transport.mmio-queue-reset-never-completes',
    'QueueReset reads 1 forever once written',
    'a per-queue reset that waits for an event that never comes, so the driver polls without end',
    ['transport.device.mmio-queue-reset'],
    'mmio',
    (d) => {
      const regs = d.core.queueRegisters;
      const write = regs.writeReset.bind(regs);
      let stuck = false;
      regs.writeReset = (value) => {
        write(value);
        stuck = true;
      };
      const read = regs.readReset.bind(regs);
      regs.readReset = () => (stuck ? 1 : read());
    },
  ),
];
