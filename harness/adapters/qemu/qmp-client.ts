/**
 * A client for the QEMU Machine Protocol (docs/interop/qmp-spec.txt): one JSON object per line,
 * a greeting, `qmp_capabilities` to leave negotiation mode, then commands answered by `return` or
 * `error` objects carrying the command's `id`, with asynchronous `event` objects in between.
 *
 * A QMP `error` answer is data from the other side and comes back as a value
 * ({@link QmpReply}); a closed socket rejects every pending command with the owner's error.
 *
 * @module
 */

import type { Socket } from 'node:net';
import { QemuCrashedError } from './qemu-errors.js';

/** The answer to one QMP command. */
export type QmpReply =
  | { readonly kind: 'return'; readonly value: unknown }
  | { readonly kind: 'error'; readonly errorClass: string; readonly desc: string };

/** An asynchronous QMP event. */
export interface QmpEvent {
  readonly event: string;
  readonly data: unknown;
}

/** The runstate `query-status` reports. */
export interface QmpStatus {
  readonly running: boolean;
  readonly status: string;
}

/** Options of {@link QmpClient}. */
export interface QmpClientOptions {
  /** Called once when the socket closes; resolves with the error pending and later commands reject with. */
  readonly onClose?: () => Promise<Error>;
  /** Events kept for {@link QmpClient.events}, oldest dropped first. @default 256 */
  readonly eventLimit?: number;
}

interface Pending {
  readonly resolve: (reply: QmpReply) => void;
  readonly reject: (error: Error) => void;
}

const noop = (): void => {};

/** One QMP connection. Call {@link QmpClient.handshake} first. */
export class QmpClient {
  readonly #socket: Socket;
  readonly #onClose: (() => Promise<Error>) | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #eventLimit: number;
  #nextId = 1;
  #partial = '';
  #failure: Promise<Error> | null = null;
  #greeting: ((value: unknown) => void) | null = null;
  #greeted: unknown = undefined;
  /** Events received so far (bounded). */
  readonly events: QmpEvent[] = [];

  constructor(socket: Socket, options: QmpClientOptions = {}) {
    this.#socket = socket;
    this.#onClose = options.onClose;
    this.#eventLimit = options.eventLimit ?? 256;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#receive(chunk));
    socket.on('error', noop);
    socket.on('close', () => this.#closed());
  }

  /** Waits for the greeting and leaves capabilities negotiation; resolves with QEMU's version object. */
  async handshake(): Promise<{ readonly major: number; readonly minor: number; readonly micro: number; readonly package: string }> {
    const greeting = (this.#greeted ??
      (await new Promise<unknown>((resolve, reject) => {
        this.#greeting = resolve;
        if (this.#failure !== null) void this.#failure.then(reject);
      }))) as { QMP?: { version?: { qemu?: { major: number; minor: number; micro: number }; package?: string } } };
    const reply = await this.execute('qmp_capabilities');
    if (reply.kind !== 'return') throw new Error(`qmp_capabilities refused: ${reply.desc}`);
    const v = greeting.QMP?.version;
    return { major: v?.qemu?.major ?? 0, minor: v?.qemu?.minor ?? 0, micro: v?.qemu?.micro ?? 0, package: (v?.package ?? '').trim() };
  }

  /** Runs `command` with `args`. */
  execute(command: string, args?: Readonly<Record<string, unknown>>): Promise<QmpReply> {
    if (this.#failure !== null) return handled(this.#failure.then((error) => Promise.reject(error)));
    const id = this.#nextId++;
    const promise = new Promise<QmpReply>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#socket.write(`${JSON.stringify(args === undefined ? { execute: command, id } : { execute: command, arguments: args, id })}\n`);
    return handled(promise);
  }

  /** `query-status`. */
  async queryStatus(): Promise<QmpStatus> {
    const reply = await this.execute('query-status');
    if (reply.kind !== 'return') throw new Error(`query-status failed: ${reply.desc}`);
    const value = reply.value as { running?: boolean; status?: string };
    return { running: value.running === true, status: value.status ?? 'unknown' };
  }

  /** `cont`: resumes a paused VM. */
  cont(): Promise<QmpReply> {
    return this.execute('cont');
  }

  /** `quit`: QEMU exits; the socket closes right after the answer. */
  quit(): Promise<QmpReply> {
    return this.execute('quit');
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.destroy();
  }

  #receive(chunk: string): void {
    let text = this.#partial + chunk;
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      const line = text.slice(0, nl).trim();
      text = text.slice(nl + 1);
      if (line !== '') this.#message(line);
      nl = text.indexOf('\n');
    }
    this.#partial = text;
  }

  #message(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('QMP' in msg) {
      this.#greeted = msg;
      this.#greeting?.(msg);
      this.#greeting = null;
      return;
    }
    if (typeof msg['event'] === 'string') {
      this.events.push({ event: msg['event'], data: msg['data'] });
      if (this.events.length > this.#eventLimit) this.events.shift();
      return;
    }
    const id = msg['id'];
    if (typeof id !== 'number') return;
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    if ('error' in msg) {
      const e = msg['error'] as { class?: string; desc?: string };
      p.resolve({ kind: 'error', errorClass: e.class ?? 'GenericError', desc: e.desc ?? '' });
    } else {
      p.resolve({ kind: 'return', value: msg['return'] });
    }
  }

  #closed(): void {
    if (this.#failure !== null) return;
    const failure = this.#onClose?.() ?? Promise.resolve(new QemuCrashedError(null, '', 'a QMP command'));
    this.#failure = failure;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    void failure.then((e) => {
      for (const p of pending) p.reject(e);
    });
  }
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(noop);
  return promise;
}
