import { fc, test } from '@fast-check/vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QemuCrashedError, QemuTimeoutError, QtestProtocolError } from './qemu-errors.js';
import { QTEST_BULK_CHUNK, QtestClient, qtestHex } from './qtest-client.js';

/**
 * A stand-in for QEMU's qtest server: records every line, and answers through `answer` (which may
 * return null to stay silent). Lines arrive as the client wrote them, so batching is visible.
 */
interface FakeQtest {
  readonly client: QtestClient;
  readonly lines: string[];
  readonly chunks: string[];
  readonly server: Socket;
  close(): void;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function fake(answer: (line: string) => string | null, options: ConstructorParameters<typeof QtestClient>[1] = {}): Promise<FakeQtest> {
  const dir = mkdtempSync(join(tmpdir(), 'vnc-qtest-fake-'));
  const path = join(dir, 's');
  const listener: Server = createServer();
  await new Promise<void>((r) => listener.listen(path, r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const socket = createConnection(path);
  const server = await accepted;
  const lines: string[] = [];
  const chunks: string[] = [];
  let partial: string[] = [];
  server.setEncoding('latin1');
  server.on('data', (chunk: string) => {
    chunks.push(chunk);
    const pieces = chunk.split('\n');
    const last = pieces.pop() as string;
    for (const piece of pieces) {
      const line = partial.join('') + piece;
      partial = [];
      lines.push(line);
      const reply = answer(line);
      if (reply !== null) server.write(`${reply}\n`);
    }
    partial.push(last);
  });
  server.on('error', () => {});
  const client = new QtestClient(socket, options);
  const close = (): void => {
    server.destroy();
    socket.destroy();
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(close);
  return { client, lines, chunks, server, close };
}

/** A qtest server over a byte array, written from the protocol description (docs/devel/qtest.rst). */
function memoryModel(size: number): (line: string) => string {
  const mem = new Uint8Array(size);
  const num = (s: string): number => Number.parseInt(s, 16);
  return (line) => {
    const [cmd, a = '0', b = '0', c = ''] = line.split(' ');
    const addr = num(a);
    const widths: Record<string, number> = { readb: 1, readw: 2, readl: 4, writeb: 1, writew: 2, writel: 4 };
    const w = widths[cmd ?? ''];
    if (w !== undefined && cmd?.startsWith('read')) {
      let v = 0;
      for (let i = w - 1; i >= 0; i--) v = v * 256 + (mem[addr + i] as number);
      return `OK 0x${v.toString(16).padStart(16, '0')}`;
    }
    if (w !== undefined) {
      let v = num(b);
      for (let i = 0; i < w; i++) {
        mem[addr + i] = v % 256;
        v = Math.floor(v / 256);
      }
      return 'OK';
    }
    if (cmd === 'b64write') {
      mem.set(Buffer.from(c, 'base64'), addr);
      return 'OK';
    }
    if (cmd === 'b64read') return `OK ${Buffer.from(mem.subarray(addr, addr + num(b))).toString('base64')}`;
    if (cmd === 'write') {
      mem.set(Buffer.from(c.slice(2), 'hex'), addr);
      return 'OK';
    }
    if (cmd === 'read') return `OK 0x${Buffer.from(mem.subarray(addr, addr + num(b))).toString('hex')}`;
    return `FAIL Unknown command '${cmd}'`;
  };
}

describe('QtestClient', () => {
  it('sends requests issued together in one write and resolves them in order', async () => {
    const f = await fake(memoryModel(64));
    const a = f.client.writel(0x10, 0x8000_0000 | 5);
    const b = f.client.readl(0x10);
    const c = f.client.readb(0x13);
    expect(await Promise.all([a, b, c])).toEqual([undefined, 0x8000_0005, 0x80]);
    expect(f.lines).toEqual(['writel 0x10 0x80000005', 'readl 0x10', 'readb 0x13']);
    expect(f.chunks).toHaveLength(1);
  });

  it('formats every number as unsigned hex, so QEMU never sees 0x-80000000', async () => {
    const f = await fake(() => 'OK');
    await Promise.all([f.client.outl(0xcf8, 0x8000_0814 | 0), f.client.writew(0x20, -1), f.client.writeb(0x21, 0x1ff)]);
    expect(f.lines).toEqual(['outl 0xcf8 0x80000814', 'writew 0x20 0xffff', 'writeb 0x21 0xff']);
  });

  it('refuses lines that would abort QEMU before sending anything', async () => {
    const f = await fake(() => 'OK');
    expect(() => f.client.outl(0x10000, 1)).toThrow(RangeError);
    expect(() => f.client.b64read(0, 0)).toThrow(RangeError);
    expect(() => f.client.memset(0, 0, 1)).toThrow(RangeError);
    expect(() => f.client.readl(-4)).toThrow(RangeError);
    expect(() => f.client.irqInterceptIn('io apic')).toThrow(RangeError);
    await f.client.sync();
    expect(f.lines).toEqual(['readb 0x0']);
  });

  it('routes IRQ lines to listeners without taking them as replies', async () => {
    const f = await fake((line) => (line.startsWith('readl') ? 'IRQ raise 21\nOK 0x0000000000000007\nIRQ lower 21' : 'OK'));
    const irqs: string[] = [];
    f.client.onIrq((line, raised) => irqs.push(`${raised ? 'raise' : 'lower'} ${line}`));
    expect(await f.client.readl(0)).toBe(7);
    expect(await f.client.readl(4)).toBe(7);
    expect(irqs).toEqual(['raise 21', 'lower 21', 'raise 21', 'lower 21']);
  });

  it('rejects a FAIL or ERR answer with the request and the answer', async () => {
    const f = await fake((line) => (line.startsWith('b64write') ? 'ERR invalid argument size' : "FAIL Unknown command 'clock_step'"));
    await expect(f.client.raw('clock_step')).rejects.toEqual(new QtestProtocolError('clock_step', "FAIL Unknown command 'clock_step'"));
    await expect(f.client.b64write(0, Uint8Array.of(1))).rejects.toBeInstanceOf(QtestProtocolError);
  });

  it('rejects every pending and later request with the owner\'s error when the socket closes', async () => {
    const owner = new QemuCrashedError({ code: null, signal: 'SIGABRT' }, 'qtest.c:123: assertion failed', 'a qtest request');
    const f = await fake(() => null, { onClose: async () => owner });
    const pending = [f.client.readl(0), f.client.writel(4, 1), f.client.b64read(0, 8)];
    await new Promise((r) => setTimeout(r, 5));
    expect(f.client.inFlight).toBe(3);
    f.server.destroy();
    for (const p of pending) await expect(p).rejects.toBe(owner);
    await expect(f.client.readb(0)).rejects.toBe(owner);
    expect(f.client.failed).toBe(true);
    expect(owner.message).toContain('signal SIGABRT');
    expect(owner.message).toContain('assertion failed');
  });

  it('fails everything when one request passes its time limit, and tells the owner once', async () => {
    const calls: string[] = [];
    let hung = false;
    const f = await fake((line) => {
      hung ||= line === 'readl 0x4';
      return hung ? null : 'OK 0x1';
    }, {
      requestTimeoutMs: 40,
      onTimeout: (request, ms) => {
        calls.push(request);
        return new QemuTimeoutError(request, ms, 'hung');
      },
    });
    expect(await f.client.readl(0)).toBe(1);
    const started = performance.now();
    const stuck = f.client.readl(4);
    const behind = f.client.readl(0);
    await expect(stuck).rejects.toBeInstanceOf(QemuTimeoutError);
    await expect(behind).rejects.toThrow(/did not answer 'readl 0x4' within 40 ms/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(calls).toEqual(['readl 0x4']);
  });

  it('splits bulk transfers into bounded lines and reassembles reads', async () => {
    const size = 2 * QTEST_BULK_CHUNK + 100;
    const f = await fake(memoryModel(size + 16));
    const data = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff);
    await f.client.b64write(8, data);
    expect(f.lines.filter((l) => l.startsWith('b64write'))).toHaveLength(3);
    const back = await f.client.b64read(8, size);
    // Buffer.equals: a deep toEqual over half a megabyte takes seconds.
    expect(back.length).toBe(size);
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true);
    expect(await f.client.read(8, 5)).toEqual(data.subarray(0, 5));
    await f.client.write(1, Uint8Array.of(0xee));
    expect(f.lines.at(-1)).toBe('writeb 0x1 0xee');
  });

  test.prop([
    fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('w' as const), width: fc.constantFrom(1, 2, 4), addr: fc.nat({ max: 60 }), value: fc.nat({ max: 0xffff_ffff }) }),
        fc.record({ op: fc.constant('r' as const), width: fc.constantFrom(1, 2, 4), addr: fc.nat({ max: 60 }) }),
        fc.record({ op: fc.constant('bw' as const), addr: fc.nat({ max: 48 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
        fc.record({ op: fc.constant('br' as const), addr: fc.nat({ max: 48 }), len: fc.integer({ min: 1, max: 16 }) }),
      ),
      { maxLength: 40 },
    ),
  ], { numRuns: 30 })('pipelined requests behave like the same requests one at a time', async (ops) => {
    // Expected answers: a little-endian byte array updated in request order.
    const mem = new Uint8Array(64);
    const expected: unknown[] = [];
    for (const o of ops) {
      if (o.op === 'w') {
        for (let i = 0; i < o.width; i++) mem[o.addr + i] = Math.floor(o.value / 2 ** (8 * i)) & 0xff;
        expected.push(undefined);
      } else if (o.op === 'r') {
        let v = 0;
        for (let i = o.width - 1; i >= 0; i--) v = v * 256 + (mem[o.addr + i] as number);
        expected.push(v);
      } else if (o.op === 'bw') {
        mem.set(o.bytes, o.addr);
        expected.push(undefined);
      } else {
        expected.push(mem.slice(o.addr, o.addr + o.len));
      }
    }
    const f = await fake(memoryModel(64));
    const c = f.client;
    const results = ops.map((o) => {
      if (o.op === 'w') return o.width === 1 ? c.writeb(o.addr, o.value) : o.width === 2 ? c.writew(o.addr, o.value) : c.writel(o.addr, o.value);
      if (o.op === 'r') return o.width === 1 ? c.readb(o.addr) : o.width === 2 ? c.readw(o.addr) : c.readl(o.addr);
      if (o.op === 'bw') return c.b64write(o.addr, o.bytes);
      return c.b64read(o.addr, o.len);
    });
    expect(await Promise.all(results)).toEqual(expected);
    f.close();
  });
});

describe('qtestHex', () => {
  it('gives unsigned hex and refuses what qtest cannot parse', () => {
    expect(qtestHex(0)).toBe('0x0');
    expect(qtestHex(0xfeb0_2e00)).toBe('0xfeb02e00');
    expect(qtestHex(2 ** 40)).toBe('0x10000000000');
    expect(() => qtestHex(-1)).toThrow(RangeError);
    expect(() => qtestHex(1.5)).toThrow(RangeError);
    expect(() => qtestHex(2 ** 64)).toThrow(RangeError);
  });
});
