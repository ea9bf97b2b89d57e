/**
 * Driver-side checks on how a driver reaches the transport registers: access widths and
 * alignment (common config fields at their width, 64-bit fields as two halves, device config at
 * each field's width; MMIO control registers as aligned 32-bit words), no writes to read-only
 * registers, no reads of write-only ones, queue registers programmed before enable and left alone
 * while enabled, and no queue_enable = 0 on PCI.
 *
 * The instrument judges each access as it arrives and logs what it refuses with the clause; the
 * check adds the device-config width rule, which needs the field layout of `virtio_net_config`.
 *
 * @module
 */

import { VIRTIO_MMIO_CONFIG } from '../../../specs/transport/mmio.js';
import { configAccessProblem, driveLife, type LifeResult } from '../../scenarios/transport/driver-life.js';
import { InstrumentWatch } from '../../scenarios/transport/instrument-watch.js';
import type { Check, CheckOutcome, TransportKind } from '../check.js';
import type { DriverCheckContext } from '../context.js';

const PCI_CLAUSES = ['pci.layout.driver.1', 'pci.common.driver.1', 'pci.common.driver.4', 'pci.common.driver.6', 'pci.common.driver.3', 'pci.common.driver.2'] as const;
const MMIO_CLAUSES = [
  'mmio.reg.driver.5',
  'mmio.reg.driver.4',
  'mmio.reg.driver.1',
  'mmio.reg.driver.2',
  'mmio.reg.driver.3',
  'mmio.reg.driver.14',
  'mmio.reg.driver.15',
] as const;

const EXPECTED: Readonly<Record<string, string>> = {
  'pci.layout.driver.1': 'every common and device config access has the field\'s own width and alignment; 64-bit fields as two 32-bit halves',
  'pci.common.driver.1': 'read-only common config fields are never written',
  'pci.common.driver.4': 'queue size, addresses and vector are programmed before queue_enable = 1 and not touched while enabled',
  'pci.common.driver.6': 'queue_enable is never written with 0',
  'pci.common.driver.3': 'without RING_PACKED only powers of 2 are written to queue_size',
  'pci.common.driver.2': 'with RING_PACKED, 0 is never written to queue_size',
  'mmio.reg.driver.5': 'device config (0x100 on) is accessed at each field\'s width',
  'mmio.reg.driver.4': 'control registers are accessed only with aligned 32-bit accesses',
  'mmio.reg.driver.1': 'only documented registers are touched',
  'mmio.reg.driver.2': 'read-only registers are never written',
  'mmio.reg.driver.3': 'write-only registers are never read',
  'mmio.reg.driver.14': 'QueueSize is at most QueueSizeMax',
  'mmio.reg.driver.15': 'QueueSize and the queue address registers are left alone while QueueReady is 1',
};

/** The first device-config access that breaks the field-width rule, in words, or null. */
function configWidthProblem(watch: InstrumentWatch): string | null {
  for (const e of watch.log) {
    const at = e.kind === 'pci-bar' && e.target.region === 'device' ? e.target.at : e.kind === 'mmio' && e.offset >= VIRTIO_MMIO_CONFIG ? e.offset - VIRTIO_MMIO_CONFIG : -1;
    if (at < 0 || e.kind === 'irq' || e.kind === 'pci-config') continue;
    const problem = configAccessProblem(at, e.width);
    if (problem !== null) return `device config ${e.dir}: ${problem}`;
  }
  return null;
}

function judge(watch: InstrumentWatch, clauses: readonly string[], configClause: string, life: LifeResult): CheckOutcome {
  const logged = watch.violations(clauses);
  const first = logged[0];
  if (first !== undefined) {
    const more = logged.length > 1 ? ` (and ${logged.length - 1} more)` : '';
    return { kind: 'violated', clause: first.clause, observed: `the instrument refused: ${first.message}${more}`, expected: EXPECTED[first.clause] ?? '' };
  }
  const width = configWidthProblem(watch);
  if (width !== null) return { kind: 'violated', clause: configClause, observed: width, expected: EXPECTED[configClause] ?? '' };
  if (!life.probed) return { kind: 'inconclusive', reason: 'the driver did not probe the instrument, so most of its register use was never seen' };
  return { kind: 'met' };
}

function registerAccessCheck(transport: TransportKind): Check<DriverCheckContext> {
  const clauses = transport === 'pci' ? PCI_CLAUSES : MMIO_CLAUSES;
  return {
    id: `transport.driver.${transport}-register-access`,
    title:
      transport === 'pci'
        ? 'The driver accesses common and device config at each field\'s width, writes no read-only field, never writes queue_enable = 0'
        : 'The driver accesses MMIO control registers as aligned 32-bit words, device config at each field\'s width, and only as documented',
    clauses: [...clauses],
    role: 'driver',
    level: 'MUST',
    area: 'transport',
    applies: { transports: [transport] },
    decision:
      'mac (u8[6]) is read byte by byte; every other net config field at its own width and offset. An access that touches ' +
      'no field this revision defines (past the end) is not judged here.',
    async run(context) {
      const { driver, device } = await context.rig();
      const watch = new InstrumentWatch(device);
      const life = await driveLife(driver, device);
      context.trace.record(`life: ${JSON.stringify(life)}; ${watch.log.length} register accesses and interrupts`);
      return judge(watch, clauses, clauses[0], life);
    },
  };
}

/** `pci.layout.driver.1`, `pci.common.driver.1..4`, `.6`: register access over a driver's whole life (PCI). */
export const driverPciRegisterAccess = registerAccessCheck('pci');
/** `mmio.reg.driver.1..5`, `.14`, `.15`: register access over a driver's whole life (MMIO). */
export const driverMmioRegisterAccess = registerAccessCheck('mmio');
