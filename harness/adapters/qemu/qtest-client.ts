/**
 * A client for QEMU's qtest protocol (docs/devel/qtest.rst; QEMU 7.2 `softmmu/qtest.c`): one text
 * line per request, one reply line per request in order, and asynchronous `IRQ raise N` /
 * `IRQ lower N` lines in between once `irq_intercept_in` is on.
 *
 * Requests are pipelined: every call queues its line at once and returns a promise of its reply,
 * and the lines queued in one synchronous stretch leave in one socket write. Replies are matched
 * to requests through a FIFO. qtest parses with `g_assert`, so a malformed line aborts QEMU: this
 * client formats every number itself (unsigned hex, `>>> 0`) and refuses sizes of 0 and ports
 * above 0xffff before anything is sent (qemu-qtest.md §6).
 *
 * A request that gets no reply within the time limit fails every pending request and calls the
 * owner's `onTimeout` (which kills QEMU); a closed socket fails them with the owner's `onClose`
 * error (which carries QEMU's exit status and stderr). Every returned promise is marked handled,
 * so pipelined requests nobody awaits do not become unhandled rejections; the next awaited one
 * reports the failure.
 *
 * @module
 */

import type { Socket } from 'node:net';
import { QemuCrashedError, QemuTimeoutError, QtestProtocolError } from './qemu-errors.js';

/** Called for each `IRQ raise N` (`raised` true) and `IRQ lower N` line. */
export type IrqListener = (line: number, raised: boolean) => void;

/** Options of {@link QtestClient}. */
export interface QtestClientOptions {
  /** Hard limit on the wait for one reply. @default 2000 */
  readonly requestTimeoutMs?: number;
  /** Called once when a request times out; returns the error every pending request rejects with. */
  readonly onTimeout?: (request: string, afterMs: number) => Error;
  /** Called once when the socket closes; resolves with the error pending and later requests reject with. */
  readonly onClose?: () => Promise<Error>;
}

/** What a reply is turned into. */
const Reply = { None: 0, Number: 1, Base64: 2, Hex: 3 } as const;
type Reply = (typeof Reply)[keyof typeof Reply];

interface Pending {
  readonly line: string;
  readonly reply: Reply;
  readonly deadline: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** Largest chunk of a bulk transfer in one request, so no single line grows without bound. */
export const QTEST_BULK_CHUNK = 256 * 1024;

const noop = (): void => {};

/** Unsigned hex of a non-negative safe integer, as qtest's `qemu_strtou64` parses it. */
export function qtestHex(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`qtest number ${value} is not a non-negative safe integer`);
  return `0x${value.toString(16)}`;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`I/O port ${port} outside 0..0xffff`);
}

function checkLength(len: number): void {
  if (!Number.isSafeInteger(len) || len <= 0) throw new RangeError(`qtest transfer length ${len} must be a positive integer`);
}

/** One qtest connection. */
export class QtestClient {
  readonly #socket: Socket;
  readonly #timeoutMs: number;
  readonly #onTimeout: ((request: string, afterMs: number) => Error) | undefined;
  readonly #onClose: (() => Promise<Error>) | undefined;
  readonly #pending: Pending[] = [];
  #head = 0;
  #outbox: string[] = [];
  #flushQueued = false;
  #partial: string[] = [];
  #timer: NodeJS.Timeout | null = null;
  #failure: Promise<Error> | null = null;
  readonly #irqListeners = new Set<IrqListener>();
  /** Requests sent so far (for timings and tests). */
  sent = 0;

  constructor(socket: Socket, options: QtestClientOptions = {}) {
    this.#socket = socket;
    this.#timeoutMs = options.requestTimeoutMs ?? 2000;
    this.#onTimeout = options.onTimeout;
    this.#onClose = options.onClose;
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.#receive(chunk));
    socket.on('error', noop);
    socket.on('close', () => this.#closed());
  }

  /** True once the connection failed (closed or timed out). */
  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.#pending.length - this.#head;
  }

  /** Subscribes to interrupt lines (after {@link irqInterceptIn}). */
  onIrq(listener: IrqListener): () => void {
    this.#irqListeners.add(listener);
    return () => this.#irqListeners.delete(listener);
  }

  /** Sends one raw line and resolves with the text after `OK` (trimmed). Rejects on FAIL/ERR. */
  raw(line: string): Promise<string> {
    return this.#request(line, Reply.None) as Promise<string>;
  }

  readb(addr: number): Promise<number> {
    return this.#request(`readb ${qtestHex(addr)}`, Reply.Number) as Promise<number>;
  }
  readw(addr: number): Promise<number> {
    return this.#request(`readw ${qtestHex(addr)}`, Reply.Number) as Promise<number>;
  }
  readl(addr: number): Promise<number> {
    return this.#request(`readl ${qtestHex(addr)}`, Reply.Number) as Promise<number>;
  }
  writeb(addr: number, value: number): Promise<void> {
    return this.#request(`writeb ${qtestHex(addr)} ${qtestHex(value & 0xff)}`, Reply.None) as Promise<void>;
  }
  writew(addr: number, value: number): Promise<void> {
    return this.#request(`writew ${qtestHex(addr)} ${qtestHex(value & 0xffff)}`, Reply.None) as Promise<void>;
  }
  writel(addr: number, value: number): Promise<void> {
    return this.#request(`writel ${qtestHex(addr)} ${qtestHex(value >>> 0)}`, Reply.None) as Promise<void>;
  }

  inb(port: number): Promise<number> {
    checkPort(port);
    return this.#request(`inb ${qtestHex(port)}`, Reply.Number) as Promise<number>;
  }
  inw(port: number): Promise<number> {
    checkPort(port);
    return this.#request(`inw ${qtestHex(port)}`, Reply.Number) as Promise<number>;
  }
  inl(port: number): Promise<number> {
    checkPort(port);
    return this.#request(`inl ${qtestHex(port)}`, Reply.Number) as Promise<number>;
  }
  outb(port: number, value: number): Promise<void> {
    checkPort(port);
    return this.#request(`outb ${qtestHex(port)} ${qtestHex(value & 0xff)}`, Reply.None) as Promise<void>;
  }
  outw(port: number, value: number): Promise<void> {
    checkPort(port);
    return this.#request(`outw ${qtestHex(port)} ${qtestHex(value & 0xffff)}`, Reply.None) as Promise<void>;
  }
  outl(port: number, value: number): Promise<void> {
    checkPort(port);
    return this.#request(`outl ${qtestHex(port)} ${qtestHex(value >>> 0)}`, Reply.None) as Promise<void>;
  }

  /** Reads `len` bytes of guest memory with `read` (hex encoded; slower than {@link b64read}). */
  async read(addr: number, len: number): Promise<Uint8Array> {
    return this.#bulkRead(addr, len, 'read', Reply.Hex);
  }

  /** Writes `bytes` to guest memory with `write` (hex encoded). */
  write(addr: number, bytes: Uint8Array): Promise<void> {
    return this.#bulkWrite(addr, bytes, 'write', (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
  }

  /** Reads `len` bytes of guest memory with `b64read`. */
  b64read(addr: number, len: number): Promise<Uint8Array> {
    return this.#bulkRead(addr, len, 'b64read', Reply.Base64);
  }

  /** Writes `bytes` to guest memory with `b64write`. */
  b64write(addr: number, bytes: Uint8Array): Promise<void> {
    return this.#bulkWrite(addr, bytes, 'b64write', (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));
  }

  /** Sets `len` bytes of guest memory to `byte`. */
  memset(addr: number, len: number, byte: number): Promise<void> {
    checkLength(len);
    return this.#request(`memset ${qtestHex(addr)} ${qtestHex(len)} ${qtestHex(byte & 0xff)}`, Reply.None) as Promise<void>;
  }

  /** Routes the input GPIO lines of the device at QOM path `path` (e.g. `ioapic`) to this connection as IRQ lines. */
  irqInterceptIn(path: string): Promise<void> {
    if (!/^[\w/[\].-]+$/.test(path)) throw new RangeError(`QOM path '${path}' has characters qtest cannot take`);
    return this.#request(`irq_intercept_in ${path}`, Reply.None) as Promise<void>;
  }

  /** Resolves once every request sent so far has its reply (a barrier for pipelined writes). */
  sync(): Promise<void> {
    return this.#request('readb 0x0', Reply.None) as Promise<void>;
  }

  /** Closes the connection; pending requests fail with the close error. */
  close(): void {
    this.#socket.destroy();
  }

  #bulkRead(addr: number, len: number, verb: string, reply: Reply): Promise<Uint8Array> {
    checkLength(len);
    qtestHex(addr + len);
    if (len <= QTEST_BULK_CHUNK) return this.#request(`${verb} ${qtestHex(addr)} ${qtestHex(len)}`, reply) as Promise<Uint8Array>;
    const parts: Promise<Uint8Array>[] = [];
    for (let at = 0; at < len; at += QTEST_BULK_CHUNK) {
      const take = Math.min(QTEST_BULK_CHUNK, len - at);
      parts.push(this.#request(`${verb} ${qtestHex(addr + at)} ${qtestHex(take)}`, reply) as Promise<Uint8Array>);
    }
    return handled(
      Promise.all(parts).then((chunks) => {
        const out = new Uint8Array(len);
        let at = 0;
        for (const c of chunks) {
          out.set(c, at);
          at += c.length;
        }
        return out;
      }),
    );
  }

  #bulkWrite(addr: number, bytes: Uint8Array, verb: string, encode: (b: Uint8Array) => string): Promise<void> {
    if (bytes.length === 0) return Promise.resolve();
    qtestHex(addr + bytes.length);
    let last: Promise<unknown> = Promise.resolve();
    for (let at = 0; at < bytes.length; at += QTEST_BULK_CHUNK) {
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + QTEST_BULK_CHUNK));
      // qtest answers "ERR invalid argument size" to data shorter than 3 characters; one byte is 2 hex digits.
      if (verb === 'write' && chunk.length === 1) {
        last = this.writeb(addr + at, chunk[0] as number);
        continue;
      }
      last = this.#request(`${verb} ${qtestHex(addr + at)} ${qtestHex(chunk.length)} ${verb === 'write' ? '0x' : ''}${encode(chunk)}`, Reply.None);
    }
    // Replies come in order, so the last one settles after all earlier chunks.
    return last as Promise<void>;
  }

  #request(line: string, reply: Reply): Promise<unknown> {
    if (this.#failure !== null) return handled(this.#failure.then((error) => Promise.reject(error)));
    const promise = new Promise<unknown>((resolve, reject) => {
      this.#pending.push({ line, reply, deadline: performance.now() + this.#timeoutMs, resolve, reject });
    });
    this.#outbox.push(line, '\n');
    this.sent++;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
    if (this.#timer === null) this.#arm(this.#timeoutMs);
    return handled(promise);
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#outbox.length === 0 || this.#failure !== null) return;
    const text = this.#outbox.join('');
    this.#outbox = [];
    this.#socket.write(text, 'latin1');
  }

  #receive(chunk: string): void {
    // Look for line ends in the new chunk only: a b64read reply can be hundreds of KiB long.
    let nl = chunk.indexOf('\n');
    if (nl < 0) {
      this.#partial.push(chunk);
      return;
    }
    let start = 0;
    if (this.#partial.length > 0) {
      this.#partial.push(chunk.slice(0, nl));
      this.#line(this.#partial.join(''));
      this.#partial = [];
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    while (nl >= 0) {
      this.#line(chunk.slice(start, nl));
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.#partial.push(chunk.slice(start));
  }

  #line(line: string): void {
    if (line.startsWith('IRQ ')) {
      const m = /^IRQ (raise|lower) (\d+)/.exec(line);
      if (m !== null) for (const l of this.#irqListeners) l(Number(m[2]), m[1] === 'raise');
      return;
    }
    const p = this.#pending[this.#head];
    if (p === undefined) return;
    this.#pending[this.#head++] = undefined as unknown as Pending;
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending.splice(0, this.#head);
      this.#head = 0;
    }
    if (!line.startsWith('OK')) {
      p.reject(new QtestProtocolError(p.line, line));
      return;
    }
    const rest = line.length > 3 ? line.slice(3).trim() : '';
    switch (p.reply) {
      case Reply.Number:
        p.resolve(Number.parseInt(rest, 16));
        break;
      case Reply.Base64:
        p.resolve(new Uint8Array(Buffer.from(rest, 'base64')));
        break;
      case Reply.Hex:
        p.resolve(new Uint8Array(Buffer.from(rest.startsWith('0x') ? rest.slice(2) : rest, 'hex')));
        break;
      default:
        p.resolve(rest === '' ? undefined : rest);
    }
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#checkDeadline(), Math.max(1, ms));
    this.#timer.unref();
  }

  #checkDeadline(): void {
    this.#timer = null;
    const head = this.#pending[this.#head];
    if (head === undefined || this.#failure !== null) return;
    const now = performance.now();
    if (now < head.deadline) {
      this.#arm(head.deadline - now);
      return;
    }
    const error = this.#onTimeout?.(head.line, this.#timeoutMs) ?? new QemuTimeoutError(head.line, this.#timeoutMs, '');
    this.#fail(Promise.resolve(error));
    this.#socket.destroy();
  }

  #closed(): void {
    if (this.#failure !== null) return;
    this.#fail(this.#onClose?.() ?? Promise.resolve(new QemuCrashedError(null, '', 'a qtest request')));
  }

  #fail(error: Promise<Error>): void {
    this.#failure = error;
    this.#outbox = [];
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const pending = this.#pending.splice(this.#head);
    this.#pending.length = 0;
    this.#head = 0;
    void error.then((e) => {
      for (const p of pending) p.reject(e);
    });
  }
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}
