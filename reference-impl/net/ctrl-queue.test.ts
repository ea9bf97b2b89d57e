import { describe, expect, it } from 'vitest';
import * as N from '../../specs/features/net.js';
import {
  VIRTIO_NET_CTRL_ANNOUNCE,
  VIRTIO_NET_CTRL_ANNOUNCE_ACK,
  VIRTIO_NET_CTRL_MAC,
  VIRTIO_NET_CTRL_MAC_ADDR_SET,
  VIRTIO_NET_CTRL_RX,
  VIRTIO_NET_CTRL_RX_PROMISC,
  VIRTIO_NET_ERR,
  VIRTIO_NET_OK,
} from '../../specs/net/ctrl.js';
import { type CtrlOutcome, type NetControlPort, referenceControl } from './control-port.js';
import { NetControlQueue } from './ctrl-queue.js';
import { drainUsed, pathRig, type PathRig } from './test-fixture.js';

const CVQ = 2;

/** Posts a command: readable `[class, command]`, then `payload` in its own descriptor, then `ackRoom` writable bytes. */
function command(rig: PathRig, klass: number, cmd: number, payload: readonly number[], ackRoom = 1, token = 0): number {
  const head = rig.buffer(2);
  rig.mem.writeBytes(head, Uint8Array.of(klass, cmd));
  const out = [{ addr: head, len: 2 }];
  if (payload.length > 0) {
    const data = rig.buffer(payload.length);
    rig.mem.writeBytes(data, Uint8Array.from(payload));
    out.push({ addr: data, len: payload.length });
  }
  const ack = rig.buffer(Math.max(ackRoom, 1));
  rig.mem.fill(ack, Math.max(ackRoom, 1), 0xff);
  const inn = ackRoom > 0 ? [{ addr: ack, len: ackRoom }] : [];
  expect(rig.drivers[CVQ]?.addSgs(out, inn, token).kind).toBe('added');
  return ack;
}

function ctrlRig(extra: number[] = []): PathRig {
  return pathRig({ features: [N.VIRTIO_NET_F_CTRL_VQ, N.VIRTIO_NET_F_CTRL_RX, ...extra] });
}

function real(rig: PathRig): NetControlPort {
  return referenceControl()(rig.n.features, rig.config, { queueEnabled: () => true });
}

function stub(handle: (klass: number, cmd: number, payload: Uint8Array, room: number) => CtrlOutcome): NetControlPort {
  return {
    activePairs: 1,
    guestOffloads: 0n,
    rss: null,
    mac: new Uint8Array(6),
    rxFilterAccepts: () => true,
    steer: () => ({ queuePair: 0 }),
    noteTransmit: () => {},
    handleCommand: handle,
    requestAnnounce: () => false,
    reset: () => {},
  };
}

describe('control queue framing', () => {
  it('answers a command with VIRTIO_NET_OK and used len 1, after its effect', () => {
    const rig = ctrlRig();
    const control = real(rig);
    const ack = command(rig, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [0]);
    new NetControlQueue(rig.env, control).process(CVQ);
    expect(rig.mem.read8(ack)).toBe(VIRTIO_NET_OK);
    expect(drainUsed(rig.drivers[CVQ])).toEqual([[0, 1]]);
    expect((control as unknown as { promisc: boolean }).promisc).toBe(false);
    expect(rig.counters).toMatchObject({ ctrlCommands: 1, ctrlOk: 1, ctrlErr: 0 });
    expect(rig.events.ofKind('ctrl-command')).toEqual([
      { kind: 'ctrl-command', klass: VIRTIO_NET_CTRL_RX, command: VIRTIO_NET_CTRL_RX_PROMISC, ack: 0, resultLength: 0 },
    ]);
  });

  it('hands the payload over whole when it spans descriptors, and the room after the ack', () => {
    const rig = ctrlRig();
    const seen: [number, number, number[], number][] = [];
    command(rig, 9, 3, [1, 2, 3, 4, 5], 4);
    new NetControlQueue(
      rig.env,
      stub((k, c, p, room) => {
        seen.push([k, c, [...p], room]);
        return { kind: 'ack', ack: VIRTIO_NET_OK };
      }),
    ).process(CVQ);
    expect(seen).toEqual([[9, 3, [1, 2, 3, 4, 5], 3]]);
  });

  it('writes a result after the ack, cut to the writable space', () => {
    const rig = ctrlRig();
    const ack = command(rig, 6, 3, [0, 0, 0, 0], 5);
    const result = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    new NetControlQueue(rig.env, stub(() => ({ kind: 'ack', ack: VIRTIO_NET_OK, result }))).process(CVQ);
    expect([...rig.mem.bytes(ack, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(drainUsed(rig.drivers[CVQ])).toEqual([[0, 5]]);
  });

  it('answers ERR to a chain without class and command', () => {
    const rig = ctrlRig();
    const head = rig.buffer(1);
    const ack = rig.buffer(1);
    rig.drivers[CVQ]?.addSgs([{ addr: head, len: 1 }], [{ addr: ack, len: 1 }], 4);
    new NetControlQueue(rig.env, real(rig)).process(CVQ);
    expect(rig.mem.read8(ack)).toBe(VIRTIO_NET_ERR);
    expect(drainUsed(rig.drivers[CVQ])).toEqual([[4, 1]]);
    expect(rig.counters.ctrlMalformed).toBe(1);
    expect(rig.violations.map((v) => v.clause)).toEqual(['net.ctrl.any.1']);
  });

  it('gives up with DEVICE_NEEDS_RESET when there is no byte for the ack, returning the chain with len 0', () => {
    const rig = ctrlRig();
    command(rig, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, [1], 0);
    new NetControlQueue(rig.env, real(rig)).process(CVQ);
    expect(drainUsed(rig.drivers[CVQ])).toEqual([[0, 0]]);
    expect(rig.failures).toEqual([{ kind: 'driver-error', clause: 'net.ctrl.any.1', message: expect.any(String) }]);
    expect(rig.counters.ctrlNoAck).toBe(1);
  });

  it('sets DEVICE_NEEDS_RESET when the control state says so', () => {
    const rig = ctrlRig();
    command(rig, 1, 0, [1]);
    new NetControlQueue(rig.env, stub(() => ({ kind: 'needs-reset', reason: 'malformed' }))).process(CVQ);
    expect(drainUsed(rig.drivers[CVQ])).toEqual([[0, 0]]);
    expect(rig.failures).toHaveLength(1);
  });
});

describe('control commands that change config space', () => {
  it('MAC_ADDR_SET shows in config mac before the command is used (net.ctrl.mac.device.3)', () => {
    const rig = ctrlRig([N.VIRTIO_NET_F_MAC, N.VIRTIO_NET_F_CTRL_MAC_ADDR]);
    const mac = [0x52, 0x54, 0x00, 0xde, 0xad, 0x01];
    command(rig, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac);
    let macWhenUsed: number[] = [];
    const queue = rig.devices[CVQ];
    if (queue === undefined) throw new Error('no cvq');
    const push = queue.push.bind(queue);
    queue.push = (chain, len) => {
      macWhenUsed = [...rig.configSpace.mac];
      push(chain, len);
    };
    new NetControlQueue(rig.env, real(rig)).process(CVQ);
    expect(macWhenUsed).toEqual(mac);
  });

  it('ANNOUNCE_ACK clears VIRTIO_NET_S_ANNOUNCE before the command is used (net.ctrl.announce.device.1)', () => {
    const rig = ctrlRig([N.VIRTIO_NET_F_GUEST_ANNOUNCE]);
    const control = real(rig);
    expect(control.requestAnnounce()).toBe(true);
    rig.configSpace.setAnnounce(true);
    command(rig, VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, []);
    new NetControlQueue(rig.env, control).process(CVQ);
    expect(rig.configSpace.announce).toBe(false);
    expect(rig.configSpace.linkUp).toBe(true);
  });
});
