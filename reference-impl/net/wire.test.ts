import { describe, expect, it } from 'vitest';
import { emptyNetHdr } from './net-header.js';
import { NetWire, type RxOutcome } from './wire.js';

describe('NetWire', () => {
  it('drops injected frames while no device is connected', () => {
    const wire = new NetWire();
    expect(wire.inject(new Uint8Array(60))).toMatchObject({ kind: 'dropped', reason: 'not-live' });
  });

  it('records transmitted frames with their header and GSO request, and tells listeners', () => {
    const wire = new NetWire({ capacity: 2 });
    const seen: number[] = [];
    const stop = wire.onTransmit((r) => seen.push(r.seq));
    wire.transmit(1, Uint8Array.of(1), emptyNetHdr(), false);
    wire.transmit(1, Uint8Array.of(2), { ...emptyNetHdr(), gsoType: 1, gsoSize: 1448, hdrLen: 54 }, true);
    stop();
    wire.transmit(3, Uint8Array.of(3), emptyNetHdr(), false);
    expect(seen).toEqual([0, 1]);
    expect(wire.transmitted).toBe(3);
    expect(wire.sent.map((r) => [r.seq, r.queue, r.frame[0]])).toEqual([
      [1, 1, 2],
      [2, 3, 3],
    ]);
    expect(wire.sent[0]?.gso).toEqual({ type: 1, size: 1448, hdrLen: 54 });
    expect(wire.take()).toHaveLength(2);
    expect(wire.sent).toHaveLength(0);
  });

  it('hands injected frames to the connected device and reports outcomes to listeners', () => {
    const wire = new NetWire();
    const outcome: RxOutcome = { kind: 'delivered', queue: 0, buffers: 1, usedLengths: [72] };
    const disconnect = wire.connect({ receive: () => outcome });
    expect(() => wire.connect({ receive: () => outcome })).toThrow();
    const heard: RxOutcome[] = [];
    wire.onReceive((_f, o) => heard.push(o));
    expect(wire.inject(new Uint8Array(60))).toBe(outcome);
    disconnect();
    expect(wire.inject(new Uint8Array(60)).kind).toBe('dropped');
    expect(heard.map((o) => o.kind)).toEqual(['delivered', 'dropped']);
  });
});
