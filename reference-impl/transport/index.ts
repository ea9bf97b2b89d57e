/**
 * Register-level transport models over the device core: virtio-pci modern
 * and virtio-mmio version 2, and the register-access interfaces a driver
 * (front end) uses to reach either.
 *
 * @module
 */

export * from './register-access.js';
export * from './pci-layout.js';
export * from './pci-config-space.js';
export * from './pci-common-cfg.js';
export * from './msix.js';
export * from './pci-modern.js';
export * from './mmio.js';
