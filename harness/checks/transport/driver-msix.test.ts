import { describe, expect, it } from 'vitest';
import type { InstrumentWatch, WatchEntry } from '../../scenarios/transport/instrument-watch.js';
import { unreadVectorWrite } from './driver-msix.js';

const watch = (log: WatchEntry[]): InstrumentWatch => ({ log }) as unknown as InstrumentWatch;
const common = (dir: 'read' | 'write', field: 'config_msix_vector' | 'queue_msix_vector' | 'queue_enable' | 'device_status', value: number, queue = 0): WatchEntry => ({
  kind: 'pci-bar',
  dir,
  bar: 4,
  offset: 0,
  width: field === 'device_status' ? 1 : 2,
  value,
  target: { region: 'common', field, fieldOffset: 0 },
  queue,
});

describe('unreadVectorWrite', () => {
  it('accepts write then read-back, and unmapping without read-back', () => {
    const log = [common('write', 'config_msix_vector', 0), common('read', 'config_msix_vector', 0), common('write', 'queue_msix_vector', 1, 2), common('read', 'queue_msix_vector', 1, 2), common('write', 'queue_enable', 1, 2), common('write', 'queue_msix_vector', 0xffff, 2)];
    expect(unreadVectorWrite(watch(log))).toBeNull();
  });

  it.each([
    ['enabled before the read-back', [common('write', 'queue_msix_vector', 1, 0), common('write', 'queue_enable', 1, 0)], 'enabled'],
    ['read back for another queue only', [common('write', 'queue_msix_vector', 1, 0), common('read', 'queue_msix_vector', 1, 1)], 'never read back'],
    ['DRIVER_OK before the read-back', [common('write', 'config_msix_vector', 0), common('write', 'device_status', 0xf)], 'DRIVER_OK'],
    ['written twice', [common('write', 'config_msix_vector', 0), common('write', 'config_msix_vector', 1)], 'again'],
  ] as const)('rejects a vector %s', (_what, log, word) => {
    expect(unreadVectorWrite(watch([...log]))).toContain(word);
  });
});
