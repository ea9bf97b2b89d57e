import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QemuCrashedError } from './qemu-errors.js';
import { QmpClient } from './qmp-client.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A QMP server stand-in: sends the greeting, then answers each command through `answer`. */
async function fakeQmp(answer: (cmd: { execute: string; arguments?: unknown; id: number }) => object | null, options: ConstructorParameters<typeof QmpClient>[1] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'vnc-qmp-fake-'));
  const path = join(dir, 's');
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(path, r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = new QmpClient(createConnection(path), options);
  const server = await accepted;
  const received: unknown[] = [];
  let partial = '';
  server.setEncoding('utf8');
  server.on('data', (chunk: string) => {
    partial += chunk;
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const cmd = JSON.parse(partial.slice(0, nl)) as { execute: string; id: number };
      partial = partial.slice(nl + 1);
      received.push(cmd);
      const reply = answer(cmd);
      if (reply !== null) server.write(`${JSON.stringify({ ...reply, id: cmd.id })}\r\n`);
    }
  });
  server.on('error', () => {});
  server.write(`${JSON.stringify({ QMP: { version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' }, capabilities: ['oob'] } })}\r\n`);
  cleanups.push(() => {
    server.destroy();
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { client, server, received };
}

describe('QmpClient', () => {
  it('reads the greeting, leaves negotiation mode and reports the version', async () => {
    const f = await fakeQmp(() => ({ return: {} }));
    expect(await f.client.handshake()).toEqual({ major: 7, minor: 2, micro: 22, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' });
    expect(f.received).toEqual([{ execute: 'qmp_capabilities', id: 1 }]);
  });

  it('matches answers to commands by id, keeps events aside and returns QMP errors as values', async () => {
    const f = await fakeQmp((cmd) => {
      if (cmd.execute === 'query-status') {
        f.server.write(`${JSON.stringify({ event: 'NIC_RX_FILTER_CHANGED', data: { name: 'nic0' }, timestamp: {} })}\n`);
        return { return: { running: true, status: 'running' } };
      }
      if (cmd.execute === 'set_link') return { error: { class: 'DeviceNotFound', desc: "Device 'nic9' not found" } };
      return { return: {} };
    });
    await f.client.handshake();
    const [status, link] = await Promise.all([f.client.queryStatus(), f.client.execute('set_link', { name: 'nic9', up: false })]);
    expect(status).toEqual({ running: true, status: 'running' });
    expect(link).toEqual({ kind: 'error', errorClass: 'DeviceNotFound', desc: "Device 'nic9' not found" });
    expect(f.received.at(-1)).toEqual({ execute: 'set_link', arguments: { name: 'nic9', up: false }, id: 3 });
    expect(f.client.events).toEqual([{ event: 'NIC_RX_FILTER_CHANGED', data: { name: 'nic0' } }]);
  });

  it('rejects pending and later commands with the owner\'s error when the socket closes', async () => {
    const owner = new QemuCrashedError({ code: 1, signal: null }, 'qemu: boom', 'a QMP command');
    const f = await fakeQmp((cmd) => (cmd.execute === 'qmp_capabilities' ? { return: {} } : null), { onClose: async () => owner });
    await f.client.handshake();
    const pending = f.client.cont();
    await new Promise((r) => setTimeout(r, 5));
    f.server.destroy();
    await expect(pending).rejects.toBe(owner);
    await expect(f.client.quit()).rejects.toBe(owner);
  });
});
