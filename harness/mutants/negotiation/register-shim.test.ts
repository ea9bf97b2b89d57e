import { describe, expect, it } from 'vitest';
import { CONFIGURATIONS, runConfig } from '../../checks/negotiation/area-runs.js';
import { driverInitSequence } from '../../checks/negotiation/driver-init.js';
import { driverContext } from '../../checks/driver-context.js';
import { runCheck } from '../../checks/runner.js';
import { Trace } from '../../checks/trace.js';
import { shimmedDriverAdapter } from './register-shim.js';

describe('the register shim', () => {
  it.each(CONFIGURATIONS)('without hooks is invisible: the reference driver still passes the init-sequence check ($transport, $ring)', async ({ transport, ring }) => {
    const config = runConfig(transport, ring);
    const result = await runCheck(driverInitSequence, 'shim', config, driverContext(shimmedDriverAdapter('shim', () => ({})), config));
    expect(result.verdict).toEqual({ kind: 'pass' });
  });

  it.each(['pci', 'mmio'] as const)('hands every status access and feature word to its hooks (%s)', async (transport) => {
    const seen = { reads: 0, writes: [] as number[], words: [] as number[] };
    const adapter = shimmedDriverAdapter('spy', () => ({
      statusRead: (v) => {
        seen.reads++;
        return v;
      },
      async statusWrite(v, io) {
        seen.writes.push(v);
        await io.writeStatus(v);
      },
      async driverFeatureWrite(select, v, io) {
        seen.words.push(select);
        await io.writeDriverFeatureWord(select, v);
      },
    }));
    const lease = driverContext(adapter, runConfig(transport, 'split'))(new Trace());
    try {
      const { driver, device } = await lease.context.rig();
      expect(await driver.probe()).toEqual({ kind: 'ok' });
      expect(seen.writes.slice(0, 3)).toEqual([0, 1, 3]);
      expect(seen.writes).toContain(0xf);
      expect(seen.reads).toBeGreaterThan(3);
      expect(seen.words.slice(0, 2)).toEqual([0, 1]);
      expect(device.reference.core.status).toBe(0xf);
    } finally {
      await lease.release();
    }
  });
});
