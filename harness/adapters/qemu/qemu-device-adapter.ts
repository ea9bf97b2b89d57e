/**
 * QEMU 7.2's real virtio-net behind the harness's device adapter contract, with no guest OS
 * (qemu-qtest.md): `q35` + `virtio-net-pci` (modern only) for the PCI transport, `microvm` +
 * `virtio-net-device` (virtio-mmio version 2) for MMIO. Each `create` starts a fresh QEMU, does
 * the firmware's part (PCI scan and BAR assignment, or finding the MMIO transport), and hands the
 * harness the registers over qtest, a mirrored guest memory, and a wire the harness owns (a unix
 * stream socket). `close` kills it.
 *
 * The device runs in another process, so the memory contract matters here: whoever writes rings
 * or buffers calls `memory.push` before notifying, and `memory.pull` before reading what the
 * device wrote. To keep the device's reaction as prompt as an in-process device's, a
 * notification (a write to the notify structure or QueueNotify) and `wire.inject` resolve only
 * after a qtest round trip has let QEMU run the queue handler, and after the interrupts it sent
 * have been reported; `wire.drain` does the same round trip first.
 *
 * @module
 */

import {
  ADAPTER_CONTRACT_VERSION,
  type DeviceAdapter,
  type DeviceCreateResult,
  type DeviceRequest,
  type DeviceUnderTest,
  type GuestMemoryPort,
} from '../contract.js';
import { deviceArgument, planDevice, type QemuDevicePlan, type QemuMachine, type QemuPropertyValue } from './device-properties.js';
import { qtestMemoryPort, type MemoryPortStats } from './memory-port.js';
import { findMmioDevices, QemuMmioDevice } from './mmio-device.js';
import { QemuPciFunction } from './pci-function.js';
import { assignBars, findMsix, findVirtioNotify, type PciBarAssignment, type PciBdf, type PciMsixLocation, scanBus0 } from './pci-host.js';
import { findQemu } from './qemu-binary.js';
import { QemuStartError } from './qemu-errors.js';
import { launchQemu, type QemuInstance } from './qemu-process.js';
import { StreamWire } from './stream-wire.js';

/** Options of {@link qemuDeviceAdapter}. */
export interface QemuDeviceAdapterOptions {
  readonly machine: QemuMachine;
  /** Extra `-device` properties, applied over what each request maps to. */
  readonly properties?: Readonly<Record<string, QemuPropertyValue>>;
  /** Adapter name in reports. @default `qemu-<machine>` */
  readonly name?: string;
  /** @default 'qemu-system-x86_64' */
  readonly binary?: string;
  /** Size of the mirrored guest-memory window. @default 4 MiB */
  readonly memorySize?: number;
  /** Bound on each qtest request. @default 2000 */
  readonly requestTimeoutMs?: number;
  /** Bound on start-up. @default 5000 */
  readonly startTimeoutMs?: number;
  /** Refuse queue sizes QEMU cannot report instead of noting them. @default false */
  readonly strictQueueSize?: boolean;
  /** MSI-X poll interval (notifications and injected frames also poll at once). @default 2 */
  readonly msixPollIntervalMs?: number;
  /** File qtest logs every request to (a replayable transcript). @default none */
  readonly qtestLog?: string;
}

/** Guest-physical address of the MSI-X message slots: low RAM, below what the harness allocates. */
export const MSIX_SLOT_BASE = 0x1000;

/** Largest mirror: guest RAM is QEMU's default 128 MiB, and the mirror stays well inside it. */
const MAX_MEMORY_SIZE = 64 << 20;

/** What the adapter set up, for tests, reports and timings. */
export interface QemuSetup {
  readonly machine: QemuMachine;
  readonly plan: QemuDevicePlan;
  /** PCI: the function, its BARs and MSI-X; null on microvm. */
  readonly pci: { readonly bdf: PciBdf; readonly bars: readonly PciBarAssignment[]; readonly msix: PciMsixLocation | null } | null;
  /** MMIO: the register window's base; null on q35. */
  readonly mmioBase: number | null;
  /** Spawn to QMP ready, ms. */
  readonly startupMs: number;
  /** Firmware work (scan, BARs, capabilities), ms. */
  readonly setupMs: number;
  /** QOM path of the VirtIODevice, for QMP `x-query-virtio-status` / `x-query-virtio-queue-status`. */
  readonly virtioPath: string;
}

/** A device under test backed by a QEMU. `qemu` and `setup` are for harness-side tests, never checks. */
export interface QemuDeviceUnderTest extends DeviceUnderTest {
  readonly qemu: QemuInstance;
  readonly setup: QemuSetup;
  readonly wire: StreamWire;
  readonly memory: GuestMemoryPort & { readonly stats: MemoryPortStats };
}

const VIRTIO_VENDOR = 0x1af4;
const VIRTIO_NET_MODERN_DEVICE = 0x1041;
const VIRTIO_ID_NET = 1;

/** Builds the adapter for `machine`. */
export function qemuDeviceAdapter(options: QemuDeviceAdapterOptions): DeviceAdapter & { create(request: DeviceRequest): Promise<DeviceCreateResult> } {
  const machine = options.machine;
  const transport = machine === 'q35' ? 'pci' : 'mmio';
  const memorySize = options.memorySize ?? 4 << 20;
  if (memorySize > MAX_MEMORY_SIZE) throw new RangeError(`memorySize ${memorySize} above ${MAX_MEMORY_SIZE}`);
  return {
    kind: 'device',
    name: options.name ?? `qemu-${machine}`,
    contractVersion: ADAPTER_CONTRACT_VERSION,
    transports: [transport],
    async create(request: DeviceRequest): Promise<DeviceCreateResult> {
      if (request.transport !== transport) return { kind: 'unsupported', reason: `QEMU ${machine} provides the ${transport} transport, not ${request.transport}` };
      const found = findQemu(options.binary);
      if (found.kind === 'missing') return { kind: 'unsupported', reason: found.reason };
      const planned = planDevice(request, {
        ...(options.properties === undefined ? {} : { properties: options.properties }),
        ...(options.strictQueueSize === undefined ? {} : { strictQueueSize: options.strictQueueSize }),
      });
      if (planned.kind !== 'plan') return planned;
      const plan = planned.plan;
      let qemu: QemuInstance;
      try {
        qemu = await launchQemu({
          binary: found.path,
          machine,
          listeners: ['wire'],
          args: (paths) => [
            ...(machine === 'microvm' ? ['-global', 'virtio-mmio.force-legacy=false', '-global', 'virtio-mmio.ioeventfd=off'] : []),
            '-netdev', `stream,id=n0,server=off,addr.type=unix,addr.path=${paths.socket('wire')}`,
            '-device', deviceArgument(machine, plan, 'n0'),
          ],
          ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
          ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
          ...(options.qtestLog === undefined ? {} : { qtestLog: options.qtestLog }),
        });
      } catch (error) {
        // QEMU exiting with status 1 at start-up is QEMU refusing the configuration (e.g. a queue size).
        if (error instanceof QemuStartError && error.reason === 'exited' && error.exit?.code === 1) {
          return { kind: 'unsupported', reason: `QEMU refused the device: ${error.stderr.trim().split('\n').at(-1) ?? ''}` };
        }
        throw error;
      }
      try {
        return { kind: 'created', device: await setUp(qemu, plan) };
      } catch (error) {
        await qemu.close();
        throw error;
      }
    },
  };

  async function setUp(qemu: QemuInstance, plan: QemuDevicePlan): Promise<QemuDeviceUnderTest> {
    const started = performance.now();
    const { qtest } = qemu;
    // qtest intercepts one interrupt controller per connection: on microvm the virtio-mmio
    // transports are wired to the secondary IOAPIC (pin n for transport n), on q35 INTx to the first.
    const secondary = machine === 'microvm' ? await secondaryIoapic(qemu) : null;
    await qtest.irqInterceptIn(secondary ?? 'ioapic');
    let registers: DeviceUnderTest['registers'];
    let pci: QemuSetup['pci'] = null;
    let mmioBase: number | null = null;
    let release: () => void;
    let settle: () => Promise<void>;
    if (machine === 'q35') {
      const fn = (await scanBus0(qtest)).find((f) => f.vendorId === VIRTIO_VENDOR && f.deviceId === VIRTIO_NET_MODERN_DEVICE);
      if (fn === undefined) throw new Error('no virtio-net-pci (1af4:1041) function on bus 0');
      const bdf = { bus: fn.bus, device: fn.device, fn: fn.fn };
      const bars = await assignBars(qtest, bdf);
      const msix = await findMsix(qtest, bdf);
      const notify = await findVirtioNotify(qtest, bdf);
      const access = new QemuPciFunction(qtest, bdf, {
        msix,
        msixSlots: MSIX_SLOT_BASE,
        notify,
        ...(options.msixPollIntervalMs === undefined ? {} : { pollIntervalMs: options.msixPollIntervalMs }),
      });
      registers = { transport: 'pci', access };
      pci = { bdf, bars, msix };
      settle = () => access.settle();
      release = () => access.close();
    } else {
      const transport = (await findMmioDevices(qtest)).find((t) => t.deviceId === VIRTIO_ID_NET);
      if (transport === undefined) throw new Error('no virtio-mmio transport with a net device');
      // Without a secondary IOAPIC (ioapic2=off) the transports sit on the first one: any line but the legacy ISA ones.
      const lines = secondary !== null ? [transport.index] : Array.from({ length: 19 }, (_, i) => 5 + i);
      const access = new QemuMmioDevice(qtest, transport.base, { lines });
      registers = { transport: 'mmio', access };
      mmioBase = transport.base;
      settle = () => access.settle();
      release = () => access.close();
    }
    if (plan.linkDown) {
      const reply = await qemu.qmp.execute('set_link', { name: 'nic0', up: false });
      if (reply.kind !== 'return') throw new Error(`set_link nic0 off failed: ${reply.desc}`);
    }
    const wireSocket = qemu.sockets.get('wire');
    if (wireSocket === undefined) throw new Error('QEMU did not connect the wire');
    const wire = new StreamWire(wireSocket, () => settle());
    const memory = qtestMemoryPort(qtest, { size: memorySize });
    const setup: QemuSetup = {
      machine,
      plan,
      pci,
      mmioBase,
      startupMs: qemu.startupMs,
      setupMs: performance.now() - started,
      virtioPath: machine === 'q35' ? '/machine/peripheral/nic0/virtio-backend' : '/machine/peripheral/nic0',
    };
    let closed: Promise<void> | null = null;
    return {
      qemu,
      setup,
      registers,
      memory,
      wire,
      close() {
        closed ??= (async () => {
          release();
          wire.close();
          await qemu.close();
        })();
        return closed;
      },
    };
  }
}

/** QOM path of microvm's secondary IOAPIC (an unnamed child of /machine/unattached), or null. */
async function secondaryIoapic(qemu: QemuInstance): Promise<string | null> {
  const reply = await qemu.qmp.execute('qom-list', { path: '/machine/unattached' });
  if (reply.kind !== 'return' || !Array.isArray(reply.value)) return null;
  const entry = (reply.value as { name?: string; type?: string }[]).find((p) => p.type === 'child<ioapic>');
  return entry?.name === undefined ? null : `/machine/unattached/${entry.name}`;
}
