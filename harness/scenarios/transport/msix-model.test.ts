import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VIRTIO_MSI_NO_VECTOR } from '../../../specs/transport/pci.js';
import { vectorCommands, vectorModel, type VectorReal } from './msix-model.js';
import { Finding } from './property.js';
import type { PciWindow } from './register-window.js';

const TABLE = 4;
const QUEUES = [0, 1, 2];

/** A hand-written vector register file; `flaw` breaks one rule. */
function fakeReal(flaw: 'none' | 'keeps-past-table' | 'survives-reset' | 'echoes-garbage'): VectorReal {
  let select = 0;
  let config = VIRTIO_MSI_NO_VECTOR;
  const queues = new Map<number, number>();
  // Vector 3 cannot be mapped for queues: a failure reported as NO_VECTOR, which is allowed.
  const map = (v: number, forQueue: boolean): number => {
    if (v === VIRTIO_MSI_NO_VECTOR) return v;
    if (v >= TABLE) return flaw === 'keeps-past-table' ? v : VIRTIO_MSI_NO_VECTOR;
    if (forQueue && v === 3) return VIRTIO_MSI_NO_VECTOR;
    return flaw === 'echoes-garbage' && v === 2 ? 1 : v;
  };
  const window = {
    writeConfigVector: async (v: number) => void (config = map(v, false)),
    readConfigVector: async () => config,
    selectQueue: async (q: number) => void (select = q),
    writeQueueVector: async (v: number) => void queues.set(select, map(v, true)),
    readQueueVector: async () => queues.get(select) ?? VIRTIO_MSI_NO_VECTOR,
    readQueueMax: async () => (QUEUES.includes(select) ? 256 : 0),
  } as unknown as PciWindow;
  return {
    window,
    tableSize: TABLE,
    queues: QUEUES,
    missing: [3, 0x7fff],
    async reset() {
      if (flaw !== 'survives-reset') {
        config = VIRTIO_MSI_NO_VECTOR;
        queues.clear();
      }
      return true;
    },
    async reinit() {},
  };
}

async function check(flaw: Parameters<typeof fakeReal>[0]): Promise<{ failed: boolean; errorInstance: unknown }> {
  return fc.check(
    fc.asyncProperty(vectorCommands(TABLE), async (cmds) => {
      const real = fakeReal(flaw);
      await fc.asyncModelRun(() => ({ model: vectorModel(QUEUES.length), real }), cmds);
    }),
    { seed: 7, numRuns: 200 },
  );
}

describe('the MSI-X vector model', () => {
  it('accepts a register file that maps, unmaps, fails valid mappings with NO_VECTOR and clears on reset', async () => {
    const details = await check('none');
    expect(details.failed, String(details.errorInstance)).toBe(false);
  });

  it.each([
    ['keeps-past-table', 'pci.msix.device.9'],
    ['survives-reset', 'pci.msix.device.7'],
    ['echoes-garbage', 'pci.msix.device.6'],
  ] as const)('rejects a register file that %s, on %s', async (flaw, clause) => {
    const details = await check(flaw);
    expect(details.failed).toBe(true);
    expect(details.errorInstance).toBeInstanceOf(Finding);
    expect((details.errorInstance as Finding).evidence.clause).toBe(clause);
  });
});
