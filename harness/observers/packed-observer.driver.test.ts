import { describe, expect, test } from 'vitest';
import { PackedRingObserver } from './packed-observer.js';
import { AVAIL, PackedRingImage, USED } from './fixtures/packed-ring-image.js';
import { F_EVENT_IDX, F_INDIRECT_DESC, F_NOTIFICATION_DATA, INDIRECT, NEXT, WRITE } from './fixtures/split-ring-image.js';
import { violationKeys } from './fixtures/findings.js';

function setup(q = 4, features = 0n) {
  const img = new PackedRingImage(q);
  const obs = new PackedRingObserver(img.reader, img.options(features));
  return { img, obs };
}

describe('packed observer: driver rules', () => {
  test('several laps of a ring of 3 with out-of-order use and lists report nothing', () => {
    const { img, obs } = setup(3);
    for (let lap = 0; lap < 4; lap++) {
      img.makeAvailable(7, [{ len: 8 }, { len: 32, write: true }]);
      img.makeAvailable(9, [{ len: 16, write: true }]);
      obs.onDriverNotify();
      obs.afterDriverStep();
      img.use(9, 1, 16, true); // the later buffer first, into the head slot of the list
      img.use(7, 2, 20, true);
      obs.onUsedBufferNotification();
      obs.afterDeviceStep();
    }
    expect(obs.findings).toEqual([]);
    expect(obs.positions).toEqual({ driver: 12, device: 12 });
    expect(obs.outstandingIds).toEqual([]);
  });

  test('ring.packed.avail-wrap: the head published with the wrong wrap counter', () => {
    const { img, obs } = setup(4);
    img.makeAvailable(1, [{ len: 8 }], { wrapOverride: 0 });
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.avail-wrap packed.wrap.driver.1 driver']);
    expect(obs.desynchronized).toBe(true);
  });

  test('ring.packed.avail-wrap: a driver that flips its wrap counter one lap late', () => {
    const { img, obs } = setup(2);
    img.makeAvailable(0, [{ len: 8 }]);
    img.makeAvailable(1, [{ len: 8 }]);
    obs.checkpoint('driver');
    img.use(0, 1);
    img.use(1, 1);
    obs.checkpoint('device');
    img.makeAvailable(0, [{ len: 8 }], { wrapOverride: 1 }); // should be 0 in the second lap
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.avail-wrap packed.wrap.driver.1 driver']);
  });

  test('ring.packed.avail-wrap: a later list descriptor with AVAIL = USED', () => {
    const { img, obs } = setup(4);
    const slots = img.makeAvailable(3, [{ len: 8 }, { len: 8, write: true }]);
    img.setDescFlags(slots[1] as number, AVAIL | USED | WRITE);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.avail-wrap packed.chain.driver.2 driver']);
  });

  test('ring.packed.head-last: the head made available before the rest of the list', () => {
    const { img, obs } = setup(4);
    img.makeAvailable(3, [{ len: 8 }, { len: 8, write: true }], { headFirst: true });
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.head-last packed.sg.driver.6 driver']);
  });

  test('ring.packed.list-length and ring.packed.ring-space', () => {
    const a = setup(4);
    a.img.makeAvailable(1, [{ len: 1 }, { len: 1 }, { len: 1 }, { len: 1 }, { len: 1 }]);
    a.obs.checkpoint('driver');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.packed.list-length packed.sg.driver.2 driver']);

    const b = setup(4);
    b.img.makeAvailable(1, [{ len: 1 }, { len: 1 }, { len: 1 }]);
    b.obs.checkpoint('driver');
    b.img.makeAvailable(2, [{ len: 1 }, { len: 1 }]); // slots 3 and 0, while slot 0 is outstanding
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual([
      'ring.packed.published-unchanged packed.desc.driver.2 driver',
      'ring.packed.ring-space packed.sg.driver.5 driver',
    ]);
  });

  test('ring.packed.readable-before-writable', () => {
    const { img, obs } = setup(4);
    img.makeAvailable(1, [{ len: 8, write: true }, { len: 8 }]);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.readable-before-writable packed.sg.driver.3 driver']);
  });

  test('ring.packed.indirect-*: negotiation, alone in its list, entry flags, table length', () => {
    const table = 0x4000;
    const entry = (img: PackedRingImage, j: number, flags: number) => {
      const at = table + 16 * j;
      img.view.setUint32(at, 0x9000 + 0x100 * j, true);
      img.view.setUint32(at + 8, 32, true);
      img.view.setUint16(at + 14, flags, true);
    };
    const ok = setup(4, F_INDIRECT_DESC);
    entry(ok.img, 0, 0);
    entry(ok.img, 1, WRITE);
    ok.img.makeAvailable(5, [{ len: 32, addr: table, flags: INDIRECT }]);
    ok.obs.checkpoint('driver');
    ok.img.use(5, 1, 32, true);
    ok.obs.checkpoint('device');
    expect(ok.obs.findings).toEqual([]);

    const a = setup(4);
    entry(a.img, 0, 0);
    a.img.makeAvailable(5, [{ len: 16, addr: table, flags: INDIRECT }]);
    a.obs.checkpoint('driver');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.packed.indirect-negotiated packed.indirect.driver.1 driver']);

    const b = setup(4, F_INDIRECT_DESC);
    entry(b.img, 0, 0);
    b.img.makeAvailable(5, [{ len: 8 }, { len: 16, addr: table, flags: INDIRECT }]);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.packed.indirect-alone packed.indirect.driver.4 driver']);

    const c = setup(4, F_INDIRECT_DESC);
    entry(c.img, 0, NEXT);
    c.img.makeAvailable(5, [{ len: 16, addr: table, flags: INDIRECT }]);
    c.obs.checkpoint('driver');
    expect(violationKeys(c.obs.findings)).toEqual(['ring.packed.indirect-entry-flags packed.indirect.driver.2 driver']);

    const d = setup(4, F_INDIRECT_DESC);
    entry(d.img, 0, 0);
    d.img.makeAvailable(5, [{ len: 20, addr: table, flags: INDIRECT }]);
    d.obs.checkpoint('driver');
    expect(violationKeys(d.obs.findings)).toEqual(['ring.packed.indirect-table-len packed.indirect.driver.3 driver']);
  });

  test('ring.packed.buffer-id-unique: an id made available twice', () => {
    const { img, obs } = setup(4);
    img.makeAvailable(2, [{ len: 8 }]);
    img.makeAvailable(2, [{ len: 8 }]);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.buffer-id-unique packed.chain.driver.1 driver']);
  });

  test('ring.packed.published-unchanged: an outstanding descriptor or indirect table changed by the driver', () => {
    const { img, obs } = setup(4);
    img.makeAvailable(2, [{ len: 8 }]);
    obs.checkpoint('driver');
    img.view.setUint32(img.descAddr + 8, 99, true);
    obs.checkpoint('driver');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.published-unchanged packed.desc.driver.2 driver']);

    const b = setup(4, F_INDIRECT_DESC);
    b.img.view.setUint32(0x4008, 32, true);
    b.img.makeAvailable(5, [{ len: 16, addr: 0x4000, flags: INDIRECT }]);
    b.obs.checkpoint('driver');
    b.img.view.setUint32(0x4008, 64, true);
    b.obs.checkpoint('driver');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.packed.published-unchanged packed.desc.driver.2 driver']);
  });

  test('ring.packed.driver-event-flags: reserved value and bits, DESC only with EVENT_IDX', () => {
    const a = setup(4);
    a.img.setDriverEvent(1);
    a.obs.checkpoint('driver');
    expect(a.obs.findings).toEqual([]);
    a.img.setDriverEvent(2);
    a.obs.checkpoint('driver');
    a.img.setDriverEvent(3);
    a.obs.checkpoint('driver');
    a.img.setDriverEvent(0x10);
    a.obs.checkpoint('driver');
    expect(violationKeys(a.obs.findings)).toEqual(Array(3).fill('ring.packed.driver-event-flags packed.evsupp.any.1.driver driver'));

    const b = setup(4, F_EVENT_IDX);
    b.img.setDriverEvent(2, 0x8001);
    b.obs.checkpoint('driver');
    expect(b.obs.findings).toEqual([]);
  });
});

describe('packed observer: driver notifications', () => {
  test('ring.packed.driver-notify: ENABLE and no kick; DISABLE, kicks and spurious kicks pass', () => {
    const { img, obs } = setup(4);
    img.makeAvailable(1, [{ len: 8 }]);
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.driver-notify packed.evsupp.any.1.driver driver']);
    obs.takeFindings();
    img.makeAvailable(2, [{ len: 8 }]);
    obs.onDriverNotify();
    obs.afterDriverStep();
    img.setDeviceEvent(1);
    obs.checkpoint('device');
    img.makeAvailable(3, [{ len: 8 }]);
    obs.afterDriverStep();
    obs.onDriverNotify();
    obs.afterDriverStep();
    expect(obs.findings).toEqual([]);
  });

  test('ring.packed.driver-notify: DESC mode demands a kick only when the event descriptor was made available', () => {
    const { img, obs } = setup(4, F_EVENT_IDX);
    img.setDeviceEvent(2, 0x8000 | 2); // slot 2, wrap 1
    obs.checkpoint('device');
    img.makeAvailable(1, [{ len: 8 }, { len: 8 }]); // slots 0, 1
    obs.afterDriverStep();
    expect(obs.findings).toEqual([]);
    img.makeAvailable(2, [{ len: 8 }]); // slot 2
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.driver-notify packed.evsupp.any.1.driver driver']);
  });

  test('ring.packed.notification-data: next_off / next_wrap of the next descriptor', () => {
    const { img, obs } = setup(2, F_NOTIFICATION_DATA);
    img.makeAvailable(1, [{ len: 8 }, { len: 8 }]);
    obs.onDriverNotify(((0 << 16) | (0 << 31) | 1) >>> 0); // slot 0, wrap 0: correct after a full lap
    expect(obs.findings).toEqual([]);
    obs.onDriverNotify(((1 << 16) | 1) >>> 0);
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.notification-data packed.notify.driver.1 driver']);
  });
});
