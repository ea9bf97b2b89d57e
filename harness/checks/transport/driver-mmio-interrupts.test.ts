import { describe, expect, it } from 'vitest';
import type { InstrumentWatch, WatchEntry } from '../../scenarios/transport/instrument-watch.js';
import { interruptHandlingProblem } from './driver-mmio-interrupts.js';

const watch = (log: WatchEntry[]): InstrumentWatch => ({ log }) as unknown as InstrumentWatch;
const irq = (asserted: boolean): WatchEntry => ({ kind: 'irq', what: 'line', asserted });
const mmio = (dir: 'read' | 'write', offset: number, value: number): WatchEntry => ({ kind: 'mmio', dir, offset, width: 4, value });
const STATUS = 0x60;
const ACK = 0x64;

describe('interruptHandlingProblem', () => {
  it('accepts read, acknowledge of what was read, line down', () => {
    expect(interruptHandlingProblem(watch([irq(true), mmio('read', STATUS, 1), mmio('write', ACK, 1), irq(false)]))).toBeNull();
  });

  it('accepts an acknowledgement split over two reads, and a teardown edge followed by a reset', () => {
    const log = [irq(true), mmio('read', STATUS, 1), mmio('read', STATUS, 3), mmio('write', ACK, 3), irq(false), irq(true), mmio('write', 0x70, 0)];
    expect(interruptHandlingProblem(watch(log))).toBeNull();
  });

  it.each([
    ['an edge never followed by a read', [irq(true)], 'mmio.notif.driver.1'],
    ['an undefined bit in the acknowledgement', [irq(true), mmio('read', STATUS, 1), mmio('write', ACK, 5)], 'mmio.reg.driver.20'],
    ['an acknowledgement of an event not read', [irq(true), mmio('read', STATUS, 1), mmio('write', ACK, 3)], 'mmio.reg.driver.19'],
    ['a read event never acknowledged', [irq(true), mmio('read', STATUS, 2)], 'mmio.notif.driver.3'],
    ['a reset over an unacknowledged event', [irq(true), mmio('read', STATUS, 1), mmio('write', 0x70, 0)], 'mmio.notif.driver.3'],
  ] as const)('rejects %s', (_what, log, clause) => {
    expect(interruptHandlingProblem(watch([...log]))?.clause).toBe(clause);
  });
});
