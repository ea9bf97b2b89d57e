/**
 * QEMU 7.2's virtio-net as a device under test, over qtest and QMP with no guest OS
 * (/work/shared/design/qemu-qtest.md): the adapter, and the pieces it is built from.
 *
 * @module
 */

export { qemuDeviceAdapter, MSIX_SLOT_BASE, type QemuDeviceAdapterOptions, type QemuDeviceUnderTest, type QemuSetup } from './qemu-device-adapter.js';
export { findQemu, QEMU_MISSING_REASON, type QemuAvailability } from './qemu-binary.js';
export { planDevice, deviceArgument, formatProperty, QEMU_FEATURE_PROPERTIES, type QemuDevicePlan, type QemuMachine, type QemuPlanResult, type QemuPropertyValue } from './device-properties.js';
export { launchQemu, findOnPath, QEMU_BINARY, type QemuInstance, type QemuLaunchOptions, type QemuPaths } from './qemu-process.js';
export { registerQemu, liveQemuPids, killAllQemus } from './process-registry.js';
export { QtestClient, qtestHex, QTEST_BULK_CHUNK, type IrqListener, type QtestClientOptions } from './qtest-client.js';
export { QmpClient, type QmpReply, type QmpEvent, type QmpStatus } from './qmp-client.js';
export { QemuCrashedError, QemuTimeoutError, QemuStartError, QtestProtocolError, describeExit, type QemuExit } from './qemu-errors.js';
export { qtestMemoryPort, QEMU_ALLOCATION_BASE, type MemoryPortStats } from './memory-port.js';
export { StreamWire } from './stream-wire.js';
export { QemuPciFunction } from './pci-function.js';
export { QemuMmioDevice, findMmioDevices, MICROVM_MMIO_BASE } from './mmio-device.js';
export { scanBus0, assignBars, findMsix, findVirtioNotify, pciConfigRead, pciConfigWrite, pciConfigAddress } from './pci-host.js';
export { haltBios } from './halt-bios.js';
