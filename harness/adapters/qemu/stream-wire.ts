/**
 * The device's network side over QEMU's `-netdev stream` on a unix socket the harness listens on
 * (qemu-qtest.md §1.2): each frame is a 4-byte big-endian length and the frame, with no
 * virtio_net_hdr (the backend has none). Chosen over `dgram` because a unix path has no port to
 * pick and no race.
 *
 * @module
 */

import type { Socket } from 'node:net';
import type { WireFrame, WirePort } from '../contract.js';

/** Largest frame accepted from QEMU; a longer length means the stream lost its framing. */
export const STREAM_WIRE_MAX_FRAME = 256 * 1024;

/** A harness-owned wire: frames in with {@link StreamWire.inject}, frames out with {@link StreamWire.drain}. */
export class StreamWire implements WirePort {
  readonly #socket: Socket;
  #frames: WireFrame[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #waiter: (() => void) | null = null;
  /** Frames received from the device so far. */
  received = 0;
  /** Frames injected so far. */
  injected = 0;
  /** Set when the stream carried a length above {@link STREAM_WIRE_MAX_FRAME}. */
  desynchronized = false;

  constructor(socket: Socket, private readonly settle?: () => Promise<void>) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => {});
  }

  /**
   * Sends `frame` to the device. Resolves once the bytes were handed to the kernel and the settle
   * hook (a qtest round trip) ran, which in practice gives QEMU's main loop the turn in which it
   * reads the frame and, when it has buffers, writes it into the receive queue.
   */
  async inject(frame: Uint8Array): Promise<void> {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(frame.length, 0);
    this.injected++;
    await new Promise<void>((resolve, reject) => {
      this.#socket.write(Buffer.concat([header, frame]), (error) => (error ? reject(error) : resolve()));
    });
    if (this.settle !== undefined) await this.settle();
  }

  /**
   * Frames the device sent since the last call. Runs the settle hook first (a qtest round trip),
   * so frames QEMU sent before it answered are in.
   */
  async drain(): Promise<readonly WireFrame[]> {
    if (this.settle !== undefined) await this.settle();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const out = this.#frames;
    this.#frames = [];
    return out;
  }

  /** Resolves with the number of frames waiting once there are at least `count`, or after `timeoutMs`; takes none. */
  async waitFor(count: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.#frames.length < count) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, left);
        function wake(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#waiter = wake;
      });
      this.#waiter = null;
    }
    return this.#frames.length;
  }

  /** Closes the socket. */
  close(): void {
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const len = this.#buffer.readUInt32BE(0);
      if (len > STREAM_WIRE_MAX_FRAME) {
        this.desynchronized = true;
        this.#buffer = Buffer.alloc(0);
        return;
      }
      if (this.#buffer.length < 4 + len) break;
      this.#frames.push({ bytes: new Uint8Array(this.#buffer.subarray(4, 4 + len)) });
      this.received++;
      this.#buffer = this.#buffer.subarray(4 + len);
    }
    this.#waiter?.();
  }
}
