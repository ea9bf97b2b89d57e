import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VIRTIO_CONFIG_S_DRIVER_OK, VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_CONFIG_S_NEEDS_RESET } from '../../../specs/status.js';
import type { DeviceSession } from './device-session.js';
import { Finding } from './property.js';
import { checkedReset, resetModel, statusCommands } from './status-model.js';

/** A status register standing in for a device: `decide` answers each FEATURES_OK write. */
function fakeDevice(decide: (nth: number) => boolean, options: { revokeAtDriverOk?: boolean; staleReset?: boolean; needsResetOnEarlyDriverOk?: boolean } = {}): DeviceSession {
  let status = 0;
  let answers = 0;
  const raw = {
    readStatus: async () => status,
    async writeStatus(value: number) {
      if (value === 0) {
        if (!options.staleReset) status = 0;
        return;
      }
      let next = value;
      if ((value & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 && (status & VIRTIO_CONFIG_S_FEATURES_OK) === 0 && !decide(answers++)) next &= ~VIRTIO_CONFIG_S_FEATURES_OK;
      if ((value & VIRTIO_CONFIG_S_DRIVER_OK) !== 0) {
        if (options.revokeAtDriverOk) next &= ~VIRTIO_CONFIG_S_FEATURES_OK;
        if (options.needsResetOnEarlyDriverOk && (next & VIRTIO_CONFIG_S_FEATURES_OK) === 0) next |= VIRTIO_CONFIG_S_NEEDS_RESET;
      }
      status = next;
    },
    writeDriverFeatures: async () => {},
  };
  return { raw } as unknown as DeviceSession;
}

async function judge(session: DeviceSession, seed = 3): Promise<{ failed: boolean; errorInstance: unknown }> {
  return fc.check(
    fc.asyncProperty(statusCommands(fc.constant(1n << 32n), fc.constant(1n << 32n)), async (cmds) => {
      await checkedReset(session);
      await fc.asyncModelRun(() => ({ model: resetModel(), real: session }), cmds);
    }),
    { seed, numRuns: 200 },
  );
}

describe('the status model accepts every outcome the spec allows', () => {
  it.each([
    ['accepts every subset', () => true],
    ['refuses every subset', () => false],
    ['accepts every other subset', (n: number) => n % 2 === 0],
  ] as const)('a device that %s', async (_name, decide) => {
    expect((await judge(fakeDevice(decide))).failed).toBe(false);
  });

  it('a device that fails a DRIVER_OK written without FEATURES_OK', async () => {
    expect((await judge(fakeDevice(() => true, { needsResetOnEarlyDriverOk: true }))).failed).toBe(false);
  });
});

describe('the status model rejects what the spec forbids', () => {
  it('a device that withdraws a kept FEATURES_OK', async () => {
    const details = await judge(fakeDevice(() => true, { revokeAtDriverOk: true }));
    expect(details.failed).toBe(true);
    expect(details.errorInstance).toBeInstanceOf(Finding);
    expect((details.errorInstance as Finding).evidence.clause).toBe('features.device.3');
  });

  it('a device whose reset never reads back 0', async () => {
    const details = await judge(fakeDevice(() => true, { staleReset: true }));
    expect(details.failed).toBe(true);
    expect((details.errorInstance as Finding).evidence.clause).toBe('reset.device.1');
  });
});
