/**
 * The built-in driver adapter: the reference front end (the Linux 6.1 virtio_net driver in
 * TypeScript) behind the driver contract. Mutant drivers are built from the same adapter with a
 * `tamper` hook, so a mutant differs from the reference in exactly the rule it breaks.
 *
 * @module
 */

import { makeSkb } from '../../reference-impl/frontend/virtio-net/skb.js';
import {
  attachVirtioNet,
  type FrontEndOptions,
  type VirtioNetFrontEnd,
} from '../../reference-impl/frontend/virtio-net/virtio-net-frontend.js';
import {
  ADAPTER_CONTRACT_VERSION,
  type DriverAdapter,
  type DriverBus,
  type DriverOpResult,
  type DriverUnderTest,
  type RxModeRequest,
  type TxRequest,
} from './contract.js';

/** Options of {@link referenceDriverAdapter}. */
export interface ReferenceDriverAdapterOptions {
  /** Adapter name in reports. @default 'reference' */
  readonly name?: string;
  /** Front-end options (module parameters, CPUs, interrupt modes, …). */
  readonly frontEnd?: FrontEndOptions;
  /** Called right after a successful probe: where a mutant breaks a rule. */
  readonly tamper?: (frontEnd: VirtioNetFrontEnd) => void;
  /**
   * Called before the probe with the options about to be used, so a mutant can change them (e.g.
   * a broken feature table).
   */
  readonly tamperOptions?: (options: FrontEndOptions) => FrontEndOptions;
}

const OK: DriverOpResult = Object.freeze({ kind: 'ok' });

function fromErrno(errno: number, what: string): DriverOpResult {
  return errno === 0 ? OK : { kind: 'error', errno, message: `${what} returned ${errno}` };
}

/** A driver under test backed by the reference front end; `frontEnd` is visible to harness tests. */
export interface ReferenceDriverUnderTest extends DriverUnderTest {
  readonly frontEnd: VirtioNetFrontEnd | null;
}

class ReferenceDriver implements ReferenceDriverUnderTest {
  frontEnd: VirtioNetFrontEnd | null = null;
  #delivered = 0;

  constructor(
    private readonly bus: DriverBus,
    private readonly options: ReferenceDriverAdapterOptions,
  ) {}

  #need(): VirtioNetFrontEnd {
    if (this.frontEnd === null) throw new Error('the driver is not probed');
    return this.frontEnd;
  }

  async probe(): Promise<DriverOpResult> {
    const base = this.options.frontEnd ?? {};
    const options = this.options.tamperOptions?.(base) ?? base;
    const target =
      this.bus.registers.transport === 'pci'
        ? ({ transport: 'pci', registers: this.bus.registers.access } as const)
        : ({ transport: 'mmio', registers: this.bus.registers.access } as const);
    const result = await attachVirtioNet(target, this.bus.memory, this.bus.allocator, options);
    if (result.kind !== 'attached') return { kind: 'error', errno: result.error.errno, message: `${result.kind}: ${result.error.message}` };
    this.frontEnd = result.frontEnd;
    this.options.tamper?.(result.frontEnd);
    return OK;
  }

  async open(): Promise<DriverOpResult> {
    const fe = this.#need();
    const errno = await fe.netdev.open();
    await fe.settle();
    return fromErrno(errno, 'ndo_open');
  }

  async transmit(request: TxRequest): Promise<DriverOpResult> {
    const fe = this.#need();
    const skb = makeSkb(request.frame, {
      ...(request.checksum === undefined ? {} : { ipSummed: 'partial' as const, csumStart: request.checksum.start, csumOffset: request.checksum.offset }),
      ...(request.gso === undefined ? {} : { gso: { type: request.gso.type, size: request.gso.size, ecn: request.gso.ecn ?? false } }),
    });
    const result = await fe.netdev.xmit(skb);
    await fe.settle();
    switch (result.kind) {
      case 'queued':
      case 'backlogged':
        return OK;
      case 'dropped':
        return { kind: 'error', errno: result.errno, message: 'the driver dropped the frame' };
      case 'refused':
        return { kind: 'error', errno: -100, message: `the stack refused the frame: ${result.reason}` };
    }
  }

  async poll(): Promise<readonly Uint8Array[]> {
    const fe = this.#need();
    await fe.settle();
    const delivered = fe.vi.delivered;
    const fresh = delivered.slice(this.#delivered).map((skb) => skb.data.slice());
    this.#delivered = delivered.length;
    return fresh;
  }

  async setRxMode(request: RxModeRequest): Promise<DriverOpResult> {
    const fe = this.#need();
    await fe.netdev.setAddressLists(request.unicast, request.multicast);
    await fe.netdev.setAllmulti(request.allmulti);
    await fe.netdev.setPromisc(request.promisc);
    await fe.settle();
    return OK;
  }

  async setMacAddress(mac: Uint8Array): Promise<DriverOpResult> {
    const fe = this.#need();
    const errno = await fe.netdev.setMacAddress(mac);
    await fe.settle();
    return fromErrno(errno, 'ndo_set_mac_address');
  }

  async addVlan(vid: number): Promise<DriverOpResult> {
    const fe = this.#need();
    const errno = await fe.netdev.vlanVidAdd(vid);
    return fromErrno(errno, 'ndo_vlan_rx_add_vid');
  }

  async killVlan(vid: number): Promise<DriverOpResult> {
    const fe = this.#need();
    const errno = await fe.netdev.vlanVidDel(vid);
    return fromErrno(errno, 'ndo_vlan_rx_kill_vid');
  }

  async setQueuePairs(pairs: number): Promise<DriverOpResult> {
    const fe = this.#need();
    const errno = await fe.ethtool.setChannels({ combinedCount: pairs });
    await fe.settle();
    return fromErrno(errno, 'ethtool set_channels');
  }

  async stop(): Promise<DriverOpResult> {
    const fe = this.#need();
    const errno = await fe.netdev.close();
    await fe.settle();
    return fromErrno(errno, 'ndo_stop');
  }

  async remove(): Promise<DriverOpResult> {
    if (this.frontEnd === null) return OK;
    await this.frontEnd.remove();
    this.frontEnd = null;
    return OK;
  }
}

/** Builds the reference driver adapter (or, with `tamper`, a mutant of it). */
export function referenceDriverAdapter(options: ReferenceDriverAdapterOptions = {}): DriverAdapter {
  return {
    kind: 'driver',
    name: options.name ?? 'reference',
    contractVersion: ADAPTER_CONTRACT_VERSION,
    transports: ['pci', 'mmio'],
    bind(bus: DriverBus): ReferenceDriverUnderTest {
      return new ReferenceDriver(bus, options);
    },
  };
}
