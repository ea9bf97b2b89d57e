import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ctrlCommand } from '../../../specs/net/ctrl.js';
import { framedCase, malformedCase, undefinedCase } from './command-cases.js';

const dataLength = (data: readonly Uint8Array[] | undefined): number => (data ?? []).reduce((n, d) => n + d.length, 0);

describe('command cases', () => {
  test.prop([framedCase])('framed commands are defined and fixed-size ones have their structure size', (c) => {
    const info = ctrlCommand(c.request.klass, c.request.command);
    expect(info?.name).toBe(c.name);
    if (typeof info?.dataSize === 'number') expect(dataLength(c.request.data)).toBe(info.dataSize);
    if (info?.name === 'VIRTIO_NET_CTRL_MAC_TABLE_SET') {
      const [uc, mc] = c.request.data as Uint8Array[];
      expect(uc!.length).toBe(4 + 6 * new DataView(uc!.buffer, uc!.byteOffset).getUint32(0, true));
      expect(mc!.length).toBe(4 + 6 * new DataView(mc!.buffer, mc!.byteOffset).getUint32(0, true));
    }
  });

  test.prop([undefinedCase])('undefined commands are defined by no revision', (c) => {
    expect(ctrlCommand(c.request.klass, c.request.command)).toBeUndefined();
  });

  test.prop([malformedCase])('malformed commands do not frame their structure', (c) => {
    const info = ctrlCommand(c.request.klass, c.request.command);
    expect(info).toBeDefined();
    if (typeof info!.dataSize === 'number') expect(dataLength(c.request.data)).not.toBe(info!.dataSize);
    else {
      const table = (c.request.data as Uint8Array[])[0]!;
      expect(table.length).toBeLessThan(4 + 6 * new DataView(table.buffer, table.byteOffset).getUint32(0, true));
    }
  });

  test.prop([fc.array(framedCase, { minLength: 50, maxLength: 50 })], { numRuns: 5 })('framed cases cover many classes', (cases) => {
    expect(new Set(cases.map((c) => c.request.klass)).size).toBeGreaterThan(3);
  });
});
