/**
 * The control virtqueue's ring side (virtio 1.4 section 5.1.9.5): take a
 * command chain, split it into `class`, `command` and the device-readable
 * data, let the control state execute it, then write the ack byte (and any
 * result) and return the chain with used len = bytes written (1 for a
 * plain ack, bug D13). What a command means is the control state's
 * business (`NetControlPort.handleCommand`); this module only frames it.
 *
 * Every command is answered, malformed ones with VIRTIO_NET_ERR, because a
 * driver waits for the answer without a timeout (bug R4). A chain with no
 * writable byte cannot carry an ack at all: it is returned with used len 0
 * and the device sets DEVICE_NEEDS_RESET, so the driver learns of it.
 *
 * @module
 */

import { CTRL_ACK_SIZE, CTRL_HEADER_SIZE, VIRTIO_NET_ERR, VIRTIO_NET_OK } from '../../specs/net/ctrl.js';
import type { DeviceQueue } from '../device/device-queue.js';
import { type DeviceChain, readChain, writeChain } from '../virtqueue/device-chain.js';
import type { NetControlPort } from './control-port.js';
import type { NetPathEnv } from './path-env.js';

/** The controlq ring handling of one activation. */
export class NetControlQueue {
  private readonly head = new Uint8Array(CTRL_HEADER_SIZE);
  private readonly ack = new Uint8Array(CTRL_ACK_SIZE);

  constructor(
    private readonly env: NetPathEnv,
    private readonly control: NetControlPort,
  ) {}

  /**
   * Handles an available-buffer notification for the controlq: answers
   * every command chain (`net.ctrl.any.1`), then raises a used-buffer
   * notification if one is due (Linux polls instead; its controlq asks for
   * none).
   */
  process(queueIndex: number): void {
    const ctx = this.env.context;
    const queue = ctx.queue(queueIndex);
    if (queue === undefined) return;
    // As on the transmitq: drain with notifications suppressed, then re-arm them (with EVENT_IDX
    // this writes avail_event) and re-check, so the driver's next command is announced to us.
    queue.disableNotifications();
    for (;;) {
      for (let chain = queue.pop(); chain !== null; chain = queue.pop()) {
        if (chain.kind === 'ring-error') {
          ctx.fail({ kind: 'ring-error', queue: queueIndex, error: chain });
          return;
        }
        if (!this.answer(queue, queueIndex, chain)) return;
      }
      if (!queue.enableNotifications()) break;
      queue.disableNotifications();
    }
    if (queue.needsNotify()) {
      const qc = this.env.counters.queues[queueIndex];
      if (qc !== undefined) qc.interrupts++;
      ctx.raiseUsedBufferNotification(queueIndex);
    }
  }

  /** Answers one chain; false when the device had to give up (DEVICE_NEEDS_RESET). */
  private answer(queue: DeviceQueue, queueIndex: number, chain: DeviceChain): boolean {
    const env = this.env;
    const mem = env.context.memory;
    const counters = env.counters;
    const qc = counters.queues[queueIndex];
    if (chain.writableBytes < CTRL_ACK_SIZE) {
      counters.ctrlNoAck++;
      return this.giveUp(queue, chain, 'net.ctrl.any.1', 'control command without a device-writable ack byte');
    }
    if (chain.readableBytes < CTRL_HEADER_SIZE) {
      counters.ctrlMalformed++;
      const message = `control command of ${chain.readableBytes} readable bytes has no class and command`;
      env.events.emit({ kind: 'driver-violation', clause: 'net.ctrl.any.1', message });
      env.context.violation('net.ctrl.any.1', message);
      this.complete(queue, chain, -1, -1, VIRTIO_NET_ERR, undefined);
      return true;
    }
    readChain(mem, chain, this.head);
    const klass = this.head[0] as number;
    const command = this.head[1] as number;
    const payload = new Uint8Array(chain.readableBytes - CTRL_HEADER_SIZE);
    readChain(mem, chain, payload, CTRL_HEADER_SIZE);
    const outcome = this.control.handleCommand(klass, command, payload, chain.writableBytes - CTRL_ACK_SIZE);
    if (qc !== undefined) qc.packets++;
    if (outcome.kind === 'needs-reset') return this.giveUp(queue, chain, null, outcome.reason);
    // The config side of a command shows before the chain is used (`net.ctrl.mac.device.3`, `net.ctrl.announce.device.1`).
    if (outcome.configEffect === 'mac') env.config.setMac(this.control.mac);
    else if (outcome.configEffect === 'announce') env.config.setAnnounce(false);
    this.complete(queue, chain, klass, command, outcome.ack, outcome.result);
    return true;
  }

  /**
   * The command cannot be answered: the chain goes back with used len 0 (so
   * a driver polling for it stops waiting) and the device sets
   * DEVICE_NEEDS_RESET (`status.device.2`).
   */
  private giveUp(queue: DeviceQueue, chain: DeviceChain, clause: string | null, message: string): false {
    const env = this.env;
    queue.push(chain, 0);
    env.events.emit({ kind: 'driver-violation', clause, message });
    env.context.violation(clause, message);
    env.context.fail({ kind: 'driver-error', clause, message });
    return false;
  }

  private complete(queue: DeviceQueue, chain: DeviceChain, klass: number, command: number, ack: number, result: Uint8Array | undefined): void {
    const env = this.env;
    const mem = env.context.memory;
    this.ack[0] = ack;
    writeChain(mem, chain, this.ack);
    const resultLength = result === undefined ? 0 : writeChain(mem, chain, result, CTRL_ACK_SIZE);
    queue.push(chain, CTRL_ACK_SIZE + resultLength);
    const c = env.counters;
    c.ctrlCommands++;
    if (ack === VIRTIO_NET_OK) c.ctrlOk++;
    else c.ctrlErr++;
    env.events.emit({ kind: 'ctrl-command', klass, command, ack, resultLength });
  }
}
