import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { haltBios, HALT_BIOS_RESET_VECTOR, HALT_BIOS_SIZE } from './halt-bios.js';
import { STREAM_WIRE_MAX_FRAME, StreamWire } from './stream-wire.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A StreamWire on one end of a unix socket; `qemu` is the other end, as QEMU's `-netdev stream` would hold it. */
async function pair(settle?: () => Promise<void>): Promise<{ wire: StreamWire; qemu: Socket; fromWire: Buffer[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'vnc-wire-'));
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(join(dir, 'w'), r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const qemu = createConnection(join(dir, 'w'));
  const wire = new StreamWire(await accepted, settle);
  const fromWire: Buffer[] = [];
  qemu.on('data', (b: Buffer) => fromWire.push(b));
  cleanups.push(() => {
    qemu.destroy();
    wire.close();
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { wire, qemu, fromWire };
}

function framed(...frames: Uint8Array[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => [Buffer.from([f.length >>> 24, (f.length >>> 16) & 0xff, (f.length >>> 8) & 0xff, f.length & 0xff]), Buffer.from(f)]));
}

describe('StreamWire', () => {
  it('injects a frame as a 4-byte big-endian length and the frame, then settles', async () => {
    let settled = 0;
    const { wire, fromWire } = await pair(async () => {
      settled++;
    });
    await wire.inject(Uint8Array.of(1, 2, 3));
    await new Promise((r) => setTimeout(r, 10));
    expect([...Buffer.concat(fromWire)]).toEqual([0, 0, 0, 3, 1, 2, 3]);
    expect(settled).toBe(1);
  });

  it('reassembles frames cut anywhere across chunks and hands each out once', async () => {
    const { wire, qemu } = await pair();
    const a = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const b = Uint8Array.of(9, 8, 7);
    const bytes = framed(a, b, a);
    // Cuts inside a length, between length and frame, inside a frame and between frames.
    const cuts = [0, 1, 3, 5, 200, 304, 305, bytes.length];
    for (let i = 1; i < cuts.length; i++) {
      qemu.write(bytes.subarray(cuts[i - 1], cuts[i]));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await wire.waitFor(3, 1000)).toBe(3);
    expect((await wire.drain()).map((f) => f.bytes.length)).toEqual([300, 3, 300]);
    expect((await wire.drain()).length).toBe(0);
    expect(wire.received).toBe(3);
  });

  it('stops at a length no Ethernet frame has instead of waiting forever', async () => {
    const { wire, qemu } = await pair();
    qemu.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]));
    await new Promise((r) => setTimeout(r, 10));
    expect(wire.desynchronized).toBe(true);
    expect(STREAM_WIRE_MAX_FRAME).toBeLessThan(0xffff_ffff);
  });
});

describe('haltBios', () => {
  it('is 64 KiB of hlt with cli; hlt; jmp $-1 at the reset vector', () => {
    const image = haltBios();
    expect(image.length).toBe(HALT_BIOS_SIZE);
    expect([...image.subarray(HALT_BIOS_RESET_VECTOR, HALT_BIOS_RESET_VECTOR + 4)]).toEqual([0xfa, 0xf4, 0xeb, 0xfd]);
    expect(image.filter((b) => b !== 0xf4).length).toBe(3);
  });
});
