/**
 * The in-scope MUST / MUST NOT clauses no check can decide from outside an implementation, each
 * with the reason for that clause. The seam the harness judges through is the one a real device
 * has: transport registers, guest memory, interrupts and the wire (plus, for a driver, the
 * operations its OS calls: probe, open, transmit, poll, ...). A clause belongs here only when no
 * black-box observation through that seam can show it violated; a clause that is observable only
 * in part (a check can catch some violations but not all) needs a check and is not listed.
 *
 * The list is written for the default scope (virtio 1.3, no legacy interface, areas a..g). A
 * clause leaves this list the moment a registered check cites it: `spec-coverage.test.ts` fails,
 * naming the clause, while it is both checked and listed here.
 *
 * @module
 */

/**
 * Why a clause cannot be decided from outside.
 *
 * - `memory-ordering`: the clause asks for a barrier whose only effect is on a race between the
 *   two sides; a driver under test runs against the in-process reference device in alternating
 *   steps, so the race never happens, and a barrier leaves no trace in memory, registers or
 *   interrupts. Where a barrier protects an order of writes, that order is judged by the ring
 *   observers under other clauses.
 * - `every-outcome-allowed`: another clause of the spec (a MAY, or a SHOULD that carries the only
 *   consequence) makes every outcome an observer could see compliant, so no observation can show
 *   this MUST violated.
 * - `outside-seam`: the clause is decided only through an interface the adapter contract does not
 *   carry (an IOMMU, SR-IOV virtual functions, what a driver reports to its OS, offload metadata a
 *   device hands its backend). Observable in principle: `wouldNeed` names the contract extension
 *   that would make it checkable.
 */
export const UNOBSERVABLE_CATEGORIES = ['memory-ordering', 'every-outcome-allowed', 'outside-seam'] as const;

/** A reason category, see {@link UNOBSERVABLE_CATEGORIES}. */
export type UnobservableCategory = (typeof UNOBSERVABLE_CATEGORIES)[number];

/** One clause no check can decide, and why. */
export type UnobservableClause =
  | {
      /** Catalog clause ID. */
      readonly clause: string;
      readonly category: 'memory-ordering' | 'every-outcome-allowed';
      /** Why, for this clause: what a violation would change and why nothing outside sees it. */
      readonly reason: string;
    }
  | {
      readonly clause: string;
      readonly category: 'outside-seam';
      readonly reason: string;
      /** The contract extension or platform model that would make the clause checkable. */
      readonly wouldNeed: string;
    };

/** Every in-scope MUST / MUST NOT clause of the default scope that no check can decide. */
export const UNOBSERVABLE_CLAUSES: readonly UnobservableClause[] = Object.freeze([
  // ---- memory ordering ----
  {
    clause: 'split.op.driver.5',
    category: 'memory-ordering',
    reason:
      'The full barrier orders the store to avail->idx before the load of used->flags / avail_event. Without it, ' +
      'a notification is missed only if the device changes used->flags or avail_event between that store and that ' +
      'load. The driver under test runs against the in-process reference device in alternating steps, so the ' +
      'device never writes inside that window; and the driver\'s loads from guest memory are not traced, so a ' +
      'load issued after the store looks the same with and without a barrier. A missed notification that does show ' +
      'is judged under the notification clauses (split.asupp.driver.4 / .6), not under this one.',
  },
  {
    clause: 'packed.op.driver.3',
    category: 'memory-ordering',
    reason:
      'The full barrier orders the store of the head descriptor flags before the load of the device event ' +
      'suppression area. Without it, a notification is missed only if the device changes its event flags or ' +
      'descriptor event offset between that store and that load; in the stepped harness the device never writes ' +
      'inside that window, and driver loads from guest memory are not traced, so the barrier leaves no trace. A ' +
      'missed notification is judged under packed.evsupp.any.1.driver / .2.driver.',
  },
  {
    clause: 'rfb.driver.8',
    category: 'memory-ordering',
    reason:
      'VIRTIO_F_ORDER_PLATFORM asks for the platform\'s DMA-strength barriers (e.g. dma_wmb instead of smp_wmb) ' +
      'because the device is hardware behind a weakly ordered bus. Which barrier instruction a driver issues is not ' +
      'visible in guest memory, registers or interrupts, and the reference device a driver under test runs against ' +
      'sees every store in program order (same process), so a driver with SMP-strength barriers behaves identically. The ' +
      'program order of publication is judged by the ring observers (split.op.driver.4, packed.op.driver.2).',
  },
  // ---- every outcome allowed ----
  {
    clause: 'net.ctrl.mac.device.1',
    category: 'every-outcome-allowed',
    reason:
      'A MAC filter table that is not empty after reset differs from an empty one only in frames the device may ' +
      'still deliver (those addressed to stale entries). Dropping frames that match no entry is only a SHOULD ' +
      '(net.ctrl.mac.device.4) and filtering is best effort, and no command reads the table back, so a device with ' +
      'stale entries cannot be told from a device with an empty table that filters leniently. That MAC_TABLE_SET ' +
      'takes effect is checkable under net.ctrl.mac.device.2.',
  },
  {
    clause: 'net.ctrl.vlan.device.0',
    category: 'every-outcome-allowed',
    reason:
      'A VID left in the VLAN table only makes the device accept frames tagged with it; dropping tagged frames whose ' +
      'VID is not in the table is only a SHOULD (net.ctrl.vlan.device.3) and no command reads the table back, so a ' +
      'table that does not start empty cannot be told from lenient filtering. The command encodings the clause also ' +
      'states (VLAN_ADD = class 2 cmd 0, le16 VID) are exercised by net.ctrl.vlan.device.2: an added VID is accepted.',
  },
  {
    clause: 'net.ctrl.coal.any.3',
    category: 'every-outcome-allowed',
    reason:
      'The coalescing rule (max_packets / max_usecs, 0 meaning per packet) says when used-buffer notifications are ' +
      'due, but coalescing is best effort: the device MAY send more or fewer notifications than configured ' +
      '(net.ctrl.coal.device.7), so no count or timing of notifications violates it. The hard notification duties ' +
      'are the ring-level clauses (split.usupp.device.3 / .5, packed.evsupp.any.1.device), and the effective ' +
      'parameters are checkable through VQ_GET (net.ctrl.coal.any.2).',
  },
  // ---- outside the seam ----
  {
    clause: 'rfb.driver.4',
    category: 'outside-seam',
    reason:
      'Programming (or disabling) the IOMMU is done through the platform\'s IOMMU, not through the virtio device. ' +
      'The seam gives the driver flat guest-physical memory and the device uses the addresses the driver writes as ' +
      'they are, so with no IOMMU between them a driver that accepts ACCESS_PLATFORM and programs nothing behaves ' +
      'exactly like one that programs the translation.',
    wouldNeed:
      'an IOMMU model on the DriverBus (a translation the driver programs, applied to the device\'s DMA) and a ' +
      'device offer that includes VIRTIO_F_ACCESS_PLATFORM',
  },
  {
    clause: 'rfb.driver.11',
    category: 'outside-seam',
    reason:
      'Virtual functions are enabled by writing VF Enable in the PCI SR-IOV extended capability when the OS asks for ' +
      'VFs, after probe. The reference PCI function has no SR-IOV capability (it does not offer SR_IOV, ' +
      'rfb.device.10) and the DriverUnderTest contract has no operation that asks for VFs, so the order of the ' +
      'FEATURES_OK check and VF enabling never shows.',
    wouldNeed:
      'an SR-IOV extended capability on the reference PCI function with SR_IOV offered, and a DriverUnderTest ' +
      'operation that asks the driver to enable VFs',
  },
  {
    clause: 'net.tx.device.12',
    category: 'outside-seam',
    reason:
      'Without NEEDS_CSUM the device sends the frame\'s bytes as the driver wrote them whether or not it assumes the ' +
      'checksum correct; the assumption would show only in metadata the device hands its backend or a local ' +
      'receiver (e.g. marking the frame checksum-verified to a tap or on a loop-back). The wire port carries frame ' +
      'bytes only, so both devices put identical frames on the wire.',
    wouldNeed: 'WireFrame metadata carrying the checksum state the device reports with each transmitted frame',
  },
  {
    clause: 'net.rx.driver.7',
    category: 'outside-seam',
    reason:
      'Not trusting the checksum means handing the frame to the OS as unverified (Linux: CHECKSUM_NONE rather than ' +
      'CHECKSUM_UNNECESSARY). The frame bytes are the same either way and DriverUnderTest.poll() returns bytes only, ' +
      'so what the driver tells its OS about the checksum is not visible.',
    wouldNeed: 'poll() returning, per frame, the checksum state the driver reports to its OS (none / partial with start and offset / verified)',
  },
  {
    clause: 'net.cfg.driver.11',
    category: 'outside-seam',
    reason:
      'The clause governs how the driver interprets speed and duplex when it reports link settings to its OS ' +
      '(ethtool). Nothing the driver does on the device seam depends on those values, and the contract has no ' +
      'operation that returns the link settings the driver reports.',
    wouldNeed: 'a DriverUnderTest operation returning the link settings the driver reports ({ speed, duplex } or unknown)',
  },
  {
    clause: 'net.ctrl.coal.driver.4',
    category: 'outside-seam',
    reason:
      'A VQ_GET result is reported to the OS (ethtool -c); ignoring it after ERR changes what the driver reports, ' +
      'and could only reach the device through a later VQ_SET that merges it with new values. The contract has no ' +
      'coalescing operation, so the harness can neither make the driver issue VQ_GET nor read what it reports.',
    wouldNeed: 'DriverUnderTest operations to read and to change a queue\'s coalescing parameters',
  },
] satisfies readonly UnobservableClause[]);

const BY_CLAUSE: ReadonlyMap<string, UnobservableClause> = new Map(UNOBSERVABLE_CLAUSES.map((entry) => [entry.clause, entry]));

/** The entry for this clause ID, or undefined when the clause is observable (or out of the list's scope). */
export function unobservableEntry(clause: string): UnobservableClause | undefined {
  return BY_CLAUSE.get(clause);
}
