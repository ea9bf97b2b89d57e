import { describe, expect, it } from 'vitest';
import { DeviceEventLog, type DeviceEvent, newDeviceCounters } from './events.js';

describe('DeviceEventLog', () => {
  it('records in order, filters by kind, and tells listeners until they unsubscribe', () => {
    const log = new DeviceEventLog();
    const heard: DeviceEvent[] = [];
    const stop = log.subscribe((e) => heard.push(e));
    log.emit({ kind: 'reset' });
    log.emit({ kind: 'config-change', generation: 1 });
    stop();
    log.emit({ kind: 'config-change', generation: 2 });
    expect(log.events.map((e) => e.kind)).toEqual(['reset', 'config-change', 'config-change']);
    expect(log.ofKind('config-change').map((e) => e.generation)).toEqual([1, 2]);
    expect(heard).toHaveLength(2);
  });

  it('stops storing at capacity and counts what it dropped; record: false stores nothing', () => {
    const log = new DeviceEventLog({ capacity: 2 });
    for (let i = 0; i < 5; i++) log.emit({ kind: 'config-change', generation: i });
    expect([log.events.length, log.dropped]).toEqual([2, 3]);
    log.clear();
    expect([log.events.length, log.dropped]).toEqual([0, 0]);
    const quiet = new DeviceEventLog({ record: false });
    let n = 0;
    quiet.subscribe(() => n++);
    quiet.emit({ kind: 'reset' });
    expect([quiet.events.length, n]).toEqual([0, 1]);
  });

  it('starts counters at zero', () => {
    expect(Object.values(newDeviceCounters()).every((v) => v === 0)).toBe(true);
  });
});
