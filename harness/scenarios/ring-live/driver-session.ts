/**
 * A driver under test bound to the reference device (the harness's
 * instrument) with every queue it enables watched by the ring observers:
 * the subject of the driver-side ring checks.
 *
 * The seams are the instrument's own, so the driver's register window is
 * left exactly as the rig hands it over:
 * - the event log's `queue-enabled` attaches an observer with the addresses
 *   the driver programmed (`reset`, `queue-reset`, `queue-stopped` drop it);
 * - `notification` is emitted before the device acts on a kick, so it is the
 *   observers' `onDriverNotify` (with the NOTIFICATION_DATA word when
 *   negotiated);
 * - `interrupt` (used-buffer) is the observers' `onUsedBufferNotification`;
 * - the device's handling of a notification ends when its `notify` returns,
 *   which is `afterDeviceStep` for that queue (the instrument's transmit and
 *   control paths touch no other ring);
 * - a frame injected on the wire is handled synchronously by the instrument,
 *   so `afterDeviceStep` follows it before any driver code can run;
 * - each driver operation (probe, open, transmit, poll, …) settles the
 *   driver, so its end is `afterDriverStep`.
 *
 * @module
 */

import { hasFeature } from '../../../specs/features/feature-set.js';
import { VIRTIO_F_NOTIFICATION_DATA } from '../../../specs/features/reserved.js';
import type { DriverOpResult, DriverUnderTest } from '../../adapters/contract.js';
import type { ReferenceDeviceUnderTest } from '../../adapters/reference-device.js';
import { ByteMemoryReader, type RingFinding } from '../../observers/index.js';
import type { SessionRefusal } from './device-session.js';
import { QueueObservers } from './queue-observers.js';

/** The driver bound to the instrument, as a driver-side check gets it. */
export interface DriverRigLike {
  readonly driver: DriverUnderTest;
  readonly device: ReferenceDeviceUnderTest;
}

/** A probed and opened driver with its queues watched. */
export class DriverSession {
  readonly observers: QueueObservers;
  /** Frames the driver handed to the stack. */
  received = 0;

  constructor(
    readonly driver: DriverUnderTest,
    readonly device: ReferenceDeviceUnderTest,
    observers: QueueObservers,
    private readonly log: (line: string) => void,
  ) {
    this.observers = observers;
  }

  /** Runs one driver operation and ends the driver's step. */
  async step(what: string, op: () => Promise<DriverOpResult> | DriverOpResult): Promise<DriverOpResult> {
    const result = await op();
    this.observers.afterDriverStep();
    this.log(`${what}: ${result.kind === 'ok' ? 'ok' : result.kind === 'error' ? `error ${result.errno} (${result.message})` : `unsupported (${result.reason})`}`);
    return result;
  }

  /** Hands `frame` to the driver to transmit. */
  transmit(frame: Uint8Array): Promise<DriverOpResult> {
    return this.step(`transmit ${frame.length}-byte frame`, () => this.driver.transmit({ frame }));
  }

  /**
   * Delivers `frame` to the instrument's wire. The instrument handles it at
   * once; the device step ends before any driver code runs.
   */
  async inject(frame: Uint8Array): Promise<void> {
    this.observers.checkpoint('driver');
    const pending = this.device.wire.inject(frame);
    this.observers.afterDeviceStep();
    this.log(`inject ${frame.length}-byte frame`);
    await pending;
  }

  /** Lets the driver handle what is pending; returns the frames it received. */
  async poll(): Promise<number> {
    const frames = await this.driver.poll();
    this.observers.afterDriverStep();
    this.received += frames.length;
    this.log(`poll: ${frames.length} frame(s) received`);
    return frames.length;
  }

  /** Changes the receive mode (control-queue traffic with CTRL_RX). */
  setRxMode(promisc: boolean, allmulti: boolean): Promise<DriverOpResult> {
    return this.step(`rx mode promisc ${promisc} allmulti ${allmulti}`, () => this.driver.setRxMode({ promisc, allmulti, unicast: [], multicast: [] }));
  }

  /** Findings so far. */
  get findings(): readonly RingFinding[] {
    return this.observers.findings;
  }
}

/**
 * Wires the observers to the instrument of `rig` (before the driver touches
 * it), then probes and opens the driver.
 */
export async function openDriverSession(rig: DriverRigLike, log: (line: string) => void = () => {}): Promise<DriverSession | SessionRefusal> {
  const { driver, device } = rig;
  const reference = device.reference;
  const core = reference.core;
  const observers = new QueueObservers(new ByteMemoryReader(device.memory.view.u8), {
    // The instrument is the reference device: its writes to readable buffers are not what a driver check judges.
    checkReadOnlyBuffers: false,
    onFinding: (f) => log(f.kind === 'violation' ? `finding ${f.rule} (${f.clause}) on queue ${f.queue}: ${f.observed}` : `observer gave up on queue ${f.queue}: ${f.reason}`),
  });
  reference.events.subscribe((event) => {
    switch (event.kind) {
      case 'queue-enabled': {
        const regs = core.queueRegisters.at(event.queue);
        if (regs === undefined) return;
        const features = core.featureWindow.current;
        try {
          observers.attach(
            { queue: event.queue, format: event.format, size: event.size, descAddr: regs.areaAddress('desc'), driverAddr: regs.areaAddress('driver'), deviceAddr: regs.areaAddress('device') },
            features,
          );
          log(`queue ${event.queue} enabled: ${event.format}, size ${event.size}`);
        } catch (error) {
          // A ring the observers cannot place (outside guest memory): the instrument refuses it too.
          log(`queue ${event.queue} enabled but not watched: ${error instanceof Error ? error.message : String(error)}`);
        }
        return;
      }
      case 'notification':
        if (event.forwarded) observers.driverNotify(event.queue, hasFeature(core.negotiatedFeatures, VIRTIO_F_NOTIFICATION_DATA) ? event.data : undefined);
        return;
      case 'interrupt':
        if (event.cause === 'used-buffer') observers.usedNotification([event.queue]);
        return;
      case 'reset':
        observers.detachAll();
        return;
      case 'queue-reset':
        if (!event.complete) observers.detach(event.queue);
        return;
      case 'queue-stopped':
        observers.detach(event.queue);
        return;
      default:
        return;
    }
  });
  const net = reference.net;
  const notify = net.notify.bind(net);
  net.notify = (queue: number, data: number): void => {
    notify(queue, data);
    // The instrument's work on a notification touches that queue's ring only.
    observers.afterDeviceStep(queue);
  };
  const session = new DriverSession(driver, device, observers, log);
  const probed = await session.step('probe', () => driver.probe());
  if (probed.kind === 'unsupported') return { kind: 'not-applicable', reason: probed.reason };
  if (probed.kind === 'error') return { kind: 'failed', reason: `probe failed: ${probed.message}` };
  const opened = await session.step('open', () => driver.open());
  if (opened.kind === 'unsupported') return { kind: 'not-applicable', reason: opened.reason };
  if (opened.kind === 'error') return { kind: 'failed', reason: `open failed: ${opened.message}` };
  return session;
}
