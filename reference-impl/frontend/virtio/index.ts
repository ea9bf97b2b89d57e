/**
 * The driver-side virtio core of the reference front end: the core
 * (probe, feature negotiation, config access), the PCI modern and MMIO v2
 * transport drivers, and the virtqueue objects drivers use.
 *
 * @module
 */

export * from './virtio-config-ops.js';
export * from './virtio-driver-device.js';
export * from './driver-virtqueue.js';
export * from './ring-setup.js';
export * from './irq-dispatcher.js';
export * from './transport-core.js';
export * from './pci-capabilities.js';
export * from './pci-common-access.js';
export * from './pci-msix-setup.js';
export * from './virtio-pci-modern.js';
export * from './virtio-mmio.js';
