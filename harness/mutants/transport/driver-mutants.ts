/**
 * Driver mutants of the transport area: the reference front end behind a register shim that
 * breaks one rule — access widths, read-only and queue_enable writes, MSI-X read-back and
 * vector range, MMIO InterruptStatus reads and InterruptACK values.
 *
 * @module
 */

import {
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_QUEUE_SEL,
} from '../../../specs/transport/mmio.js';
import { VIRTIO_MSI_MAX_VECTOR, VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import type { DriverMutant } from '../mutant.js';
import { commonOffset, type MmioShim, type PciShim, shimmedDriver } from './driver-shim.js';
import type { TransportKind } from '../../checks/check.js';
import { featureMask } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_NOTIFICATION_DATA } from '../../../specs/features/reserved.js';
import type { FrontEndOptions } from '../../../reference-impl/frontend/virtio-net/virtio-net-frontend.js';

/** The mac bytes (device config 0..5) read with one 32-bit and one 16-bit access, the byte picked out. */
async function wideByte(offset: number, read: (at: number, width: 2 | 4) => Promise<number> | number): Promise<number> {
  const base = offset < 4 ? 0 : 4;
  const value = await read(base, base === 0 ? 4 : 2);
  return (value >>> (8 * (offset - base))) & 0xff;
}

function driverMutant(
  id: string,
  title: string,
  imitates: string,
  killedBy: readonly [string, ...string[]],
  transport: TransportKind,
  shims: Parameters<typeof shimmedDriver>[1],
  frontEnd?: FrontEndOptions,
): DriverMutant {
  return { id, title, imitates, killedBy, transport, role: 'driver', adapter: shimmedDriver(id, shims, frontEnd) };
}

const pciMacWide = (): PciShim => ({
  async readBar(hit, bar, offset, width, next) {
    if (hit.deviceOffset < 0 || hit.deviceOffset > 5 || width !== 1) return next.readBar(bar, offset, width);
    const start = offset - hit.deviceOffset;
    return wideByte(hit.deviceOffset, (at, w) => next.readBar(bar, start + at, w));
  },
});

const mmioMacWide = (): MmioShim => ({
  async read(offset, width, next) {
    const at = offset - VIRTIO_MMIO_CONFIG;
    if (at < 0 || at > 5 || width !== 1) return next.read(offset, width);
    return wideByte(at, (o, w) => next.read(VIRTIO_MMIO_CONFIG + o, w));
  },
});

/** Answers vector read-backs from what it wrote, without asking the device. */
const msixNoReadback = (): PciShim => {
  let config = VIRTIO_MSI_NO_VECTOR;
  const queues = new Map<number, number>();
  let select = 0;
  return {
    readBar(hit, bar, offset, width, next) {
      if (hit.field === 'config_msix_vector') return config;
      if (hit.field === 'queue_msix_vector') return queues.get(select) ?? VIRTIO_MSI_NO_VECTOR;
      return next.readBar(bar, offset, width);
    },
    writeBar(hit, bar, offset, width, value, next) {
      if (hit.field === 'queue_select') select = value;
      if (hit.field === 'config_msix_vector') config = value;
      if (hit.field === 'queue_msix_vector') queues.set(select, value);
      return next.writeBar(bar, offset, width, value);
    },
  };
};

/** Remembers the raw InterruptStatus it read and acknowledges exactly that. */
const mmioAckRaw = (): MmioShim => {
  let raw = 0;
  return {
    async read(offset, width, next) {
      const value = await next.read(offset, width);
      if (offset === VIRTIO_MMIO_INTERRUPT_STATUS) raw = value;
      return value;
    },
    write: (offset, width, value, next) => next.write(offset, width, offset === VIRTIO_MMIO_INTERRUPT_ACK ? raw : value),
  };
};

/** The driver mutants of this area. */
export const driverMutants: readonly DriverMutant[] = [
  driverMutant(
    'driver.transport.pci-mac-read-wide',
    'Reads the mac config field (u8[6]) with a 32-bit and a 16-bit access',
    'a driver reading the MAC with ioread32 / ioread16 as on legacy virtio-pci',
    ['transport.driver.pci-register-access'],
    'pci',
    { pci: pciMacWide },
  ),
  driverMutant(
    'driver.transport.mmio-mac-read-wide',
    'Reads the mac config field (u8[6]) with a 32-bit and a 16-bit access at 0x100',
    'a driver reading the MAC with readl / readw',
    ['transport.driver.mmio-register-access'],
    'mmio',
    { mmio: mmioMacWide },
  ),
  driverMutant(
    'driver.transport.pci-writes-num-queues',
    'Writes num_queues (read-only) with the queue index before each queue_select write',
    'a driver that writes back a whole register block it read, read-only fields included',
    ['transport.driver.pci-register-access'],
    'pci',
    {
      pci: () => ({
        async writeBar(hit, bar, offset, width, value, next) {
          if (hit.field === 'queue_select' && hit.caps !== null) await next.writeBar(bar, commonOffset(hit.caps, 'num_queues'), 2, value);
          return next.writeBar(bar, offset, width, value);
        },
      }),
    },
  ),
  driverMutant(
    'driver.transport.pci-queue-enable-zero',
    'Writes queue_enable = 0 to the selected queue before every device reset',
    'a driver that stops PCI queues the MMIO way (QueueReady = 0), which PCI forbids',
    ['transport.driver.pci-register-access'],
    'pci',
    {
      pci: () => ({
        async writeBar(hit, bar, offset, width, value, next) {
          if (hit.field === 'device_status' && value === 0 && hit.caps !== null) await next.writeBar(bar, commonOffset(hit.caps, 'queue_enable'), 2, 0);
          return next.writeBar(bar, offset, width, value);
        },
      }),
    },
  ),
  driverMutant(
    'driver.transport.mmio-16-bit-queue-select',
    'Writes QueueSel as two 16-bit halves',
    'a driver that treats QueueSel as the 16-bit queue_select of PCI',
    ['transport.driver.mmio-register-access'],
    'mmio',
    {
      mmio: () => ({
        async write(offset, width, value, next) {
          if (offset !== VIRTIO_MMIO_QUEUE_SEL) return next.write(offset, width, value);
          await next.write(offset, 2, value & 0xffff);
          await next.write(offset + 2, 2, value >>> 16);
        },
      }),
    },
  ),
  driverMutant(
    'driver.transport.msix-no-readback',
    'Never reads a vector register back: assumes every mapping it wrote took',
    'a driver that programs vectors without checking the read-back, so a device short of vectors leaves it without interrupts',
    ['transport.driver.msix-vectors'],
    'pci',
    { pci: msixNoReadback },
  ),
  driverMutant(
    'driver.transport.msix-vector-past-table',
    'Maps queues to vectors past the MSI-X Table Size',
    'a driver that numbers vectors from the queue index instead of the vectors it allocated',
    ['transport.driver.msix-vectors'],
    'pci',
    {
      pci: () => ({
        writeBar(hit, bar, offset, width, value, next) {
          const past = hit.field === 'queue_msix_vector' && value !== VIRTIO_MSI_NO_VECTOR ? value + VIRTIO_MSI_MAX_VECTOR + 1 : value;
          return next.writeBar(bar, offset, width, past);
        },
      }),
    },
  ),
  driverMutant(
    'driver.transport.pci-notify-32-bit',
    'Writes queue notifications as 32-bit words without VIRTIO_F_NOTIFICATION_DATA',
    'a driver that always uses the NOTIFICATION_DATA write form (iowrite32) whatever was negotiated',
    ['transport.driver.pci-notify-writes'],
    'pci',
    {
      pci: () => ({
        writeBar: (hit, bar, offset, width, value, next) => next.writeBar(bar, offset, hit.notifyOffset >= 0 && width === 2 ? 4 : width, value),
      }),
    },
  ),
  driverMutant(
    'driver.transport.notification-data-16-bit',
    'Negotiates VIRTIO_F_NOTIFICATION_DATA but writes 16-bit notifications with the queue index only',
    'a driver that takes NOTIFICATION_DATA from the device offer without changing its notify path',
    ['transport.driver.pci-notify-writes'],
    'pci',
    {
      pci: () => ({
        writeBar: (hit, bar, offset, width, value, next) =>
          hit.notifyOffset >= 0 && width === 4 ? next.writeBar(bar, offset, 2, value & 0xffff) : next.writeBar(bar, offset, width, value),
      }),
    },
    { core: { extraTransportFeatures: featureMask(VIRTIO_F_NOTIFICATION_DATA) } },
  ),
  driverMutant(
    'driver.transport.msix-per-vq-only',
    'Insists on one MSI-X vector per queue plus one for config, with no fallback to shared vectors or INTx',
    'a driver that sizes its vectors from the queues and fails the probe when the table is smaller',
    ['transport.driver.msix-table-sizes'],
    'pci',
    {},
    { interruptModes: ['msix-per-vq'] },
  ),
  driverMutant(
    'driver.transport.isr-else-if',
    'Handles only the queue bit when an ISR read shows both the queue and the config bit',
    'an ISR handler written as if / else if, so a combined interrupt loses its config change',
    ['transport.driver.pci-combined-interrupt'],
    'pci',
    {
      pci: () => ({
        async readBar(hit, bar, offset, width, next) {
          const value = await next.readBar(bar, offset, width);
          const isr = hit.caps?.isr;
          return isr !== undefined && bar === isr.bar && offset === isr.offset && (value & 1) !== 0 ? 1 : value;
        },
      }),
    },
  ),
  driverMutant(
    'driver.transport.mmio-ack-undefined-bits',
    'Sets bit 2 in every InterruptACK',
    'a driver acknowledging with a mask wider than the defined events',
    ['transport.driver.mmio-interrupts'],
    'mmio',
    { mmio: () => ({ write: (offset, width, value, next) => next.write(offset, width, offset === VIRTIO_MMIO_INTERRUPT_ACK ? value | 0x4 : value) }) },
  ),
  driverMutant(
    'driver.transport.mmio-ack-all',
    'Acknowledges both defined events on every interrupt, whatever InterruptStatus showed',
    'a driver that writes a constant 0x3 to InterruptACK and can lose an event that arrives between read and acknowledgement',
    ['transport.driver.mmio-interrupts'],
    'mmio',
    {
      mmio: () => ({
        write: (offset, width, value, next) => next.write(offset, width, offset === VIRTIO_MMIO_INTERRUPT_ACK ? VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG : value),
      }),
    },
  ),
  driverMutant(
    'driver.transport.mmio-status-unread',
    'Never reads InterruptStatus: assumes every interrupt carries both events',
    'a driver that handles every interrupt as "check all queues and the config" without asking the device',
    ['transport.driver.mmio-interrupts'],
    'mmio',
    {
      mmio: () => ({
        read: (offset, width, next) => (offset === VIRTIO_MMIO_INTERRUPT_STATUS ? VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG : next.read(offset, width)),
      }),
    },
  ),
  driverMutant(
    'driver.transport.mmio-ack-as-read',
    'Acknowledges the raw InterruptStatus value, undefined bits included',
    'Linux 6.1 vm_interrupt, which writes the InterruptStatus it read straight back to InterruptACK',
    ['transport.driver.mmio-interrupts'],
    'mmio',
    { mmio: mmioAckRaw },
  ),
];
