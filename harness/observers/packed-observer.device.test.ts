import { describe, expect, test } from 'vitest';
import { PackedRingObserver } from './packed-observer.js';
import { PackedRingImage } from './fixtures/packed-ring-image.js';
import { F_EVENT_IDX, F_IN_ORDER } from './fixtures/split-ring-image.js';
import { violationKeys } from './fixtures/findings.js';

/** Buffers 0..n-1 made available, buffer i a one-descriptor writable element of 64 bytes (buffer 0 a 2-descriptor list when `list`). */
function published(n: number, q = 4, features = 0n, list = false) {
  const img = new PackedRingImage(q);
  const obs = new PackedRingObserver(img.reader, img.options(features));
  for (let i = 0; i < n; i++) img.makeAvailable(i, i === 0 && list ? [{ len: 8 }, { len: 64, write: true }] : [{ len: 64, write: true }]);
  obs.checkpoint('driver');
  return { img, obs };
}

describe('packed observer: device rules', () => {
  test('ring.packed.used-wrap: a used descriptor with the wrong wrap counter', () => {
    const { img, obs } = published(2);
    img.use(0, 1, 0, false, 0);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.used-wrap packed.wrap.device.1 device']);
  });

  test('ring.packed.used-wrap: a device that flips its wrap counter one slot early (off-by-one)', () => {
    const { img, obs } = published(3, 3);
    img.use(0, 1);
    img.use(1, 1);
    img.use(2, 1, 0, false, 0); // last slot of the first lap, still wrap 1
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.used-wrap packed.wrap.device.1 device']);
  });

  test('ring.packed.used-id: an id that is not outstanding', () => {
    const { img, obs } = published(2);
    img.use(7, 1);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.used-id packed.desc.device.3 device']);
  });

  test('ring.packed.used-slot: one used descriptor per descriptor instead of per list', () => {
    const { img, obs } = published(2, 4, 0n, true); // buffer 0 at slots 0-1, buffer 1 at slot 2
    img.use(0, 1); // skips 1 instead of 2
    img.use(1, 1); // lands in slot 1, which the driver skips
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.used-slot packed.order.device.2 device']);
  });

  test('ring.packed.used-slot: a used descriptor left beyond the next used slot at the end of a step', () => {
    const { img, obs } = published(2);
    img.deviceSlot = 1;
    img.use(1, 1); // written at slot 1 while slot 0 is still the next used slot
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]); // may be a reordered write still in progress
    obs.afterDeviceStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.used-slot packed.order.device.2 device']);
  });

  test('ring.packed.used-len: WRITE len above the writable bytes; under-reporting and no-WRITE garbage pass', () => {
    const { img, obs } = published(3, 4, 0n, true);
    img.use(1, 1, 10, true);
    img.use(2, 1, 0xffffffff, false);
    img.use(0, 2, 64, true);
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
    const b = published(1);
    b.img.use(0, 1, 65, true);
    b.obs.checkpoint('device');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.packed.used-len packed.used.device.1 device']);
  });

  test('ring.packed.in-order-use: a batch is accepted; using a buffer the batch already covered is not', () => {
    const { img, obs } = published(3, 4, F_IN_ORDER);
    img.use(1, 2); // batch {0, 1}
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
    expect(obs.outstandingIds).toEqual([2]);
    img.use(0, 1);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.in-order-use rfb.device.5 device']);
  });

  test('ring.packed.device-readonly-buffers', () => {
    const img = new PackedRingImage(4);
    const obs = new PackedRingObserver(img.reader, img.options());
    img.makeAvailable(0, [{ len: 16, addr: 0x9000 }, { len: 16, addr: 0x9100, write: true }]);
    obs.checkpoint('driver');
    img.mem[0x9105] = 1;
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
    img.mem[0x9005] = 1;
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.device-readonly-buffers packed.desc.device.1 device']);
  });

  test('ring.packed.device-writes-outside: a used descriptor changed later, or a slot never made available written', () => {
    const a = published(2);
    a.img.use(0, 1, 4, true);
    a.obs.checkpoint('device');
    a.img.view.setUint32(a.img.descAddr + 8, 8, true); // len of the used descriptor at slot 0
    a.obs.checkpoint('device');
    expect(violationKeys(a.obs.findings)).toEqual(['ring.packed.device-writes-outside packed.desc.device.4 device']);

    const b = published(1);
    b.img.view.setUint16(b.img.descAddr + 16 * 3 + 14, 0x8080, true);
    b.obs.checkpoint('device');
    expect(violationKeys(b.obs.findings)).toEqual(['ring.packed.device-writes-outside packed.desc.device.4 device']);
  });

  test('ring.packed.device-event-flags', () => {
    const { img, obs } = published(0);
    img.setDeviceEvent(1);
    obs.checkpoint('device');
    expect(obs.findings).toEqual([]);
    img.setDeviceEvent(2);
    obs.checkpoint('device');
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.device-event-flags packed.evsupp.any.1.device device']);
  });
});

describe('packed observer: device notifications', () => {
  test('ring.packed.device-notify: ENABLE and no interrupt (a missing notification)', () => {
    const { img, obs } = published(2);
    img.use(0, 1);
    obs.afterDeviceStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.device-notify packed.evsupp.any.1.device device']);
  });

  test('ring.packed.device-notify: DISABLE, one interrupt per batch and spurious interrupts pass', () => {
    const { img, obs } = published(3);
    img.use(1, 1);
    img.use(0, 1);
    obs.onUsedBufferNotification();
    obs.afterDeviceStep();
    img.setDriverEvent(1);
    obs.checkpoint('driver');
    img.use(2, 1);
    obs.afterDeviceStep();
    obs.onUsedBufferNotification();
    obs.afterDeviceStep();
    expect(obs.findings).toEqual([]);
  });

  test('ring.packed.device-notify: DESC mode counts skipped list positions', () => {
    const { img, obs } = published(2, 4, F_EVENT_IDX, true); // buffer 0 at slots 0-1, buffer 1 at slot 2
    img.setDriverEvent(2, 0x8000 | 1); // slot 1, wrap 1: inside buffer 0's list
    obs.checkpoint('driver');
    img.use(0, 2);
    obs.afterDeviceStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.packed.device-notify packed.evsupp.any.1.device device']);

    const b = published(2, 4, F_EVENT_IDX, true);
    b.img.setDriverEvent(2, 0x8000 | 2);
    b.obs.checkpoint('driver');
    b.img.use(0, 2);
    b.obs.afterDeviceStep();
    expect(b.obs.findings).toEqual([]);
  });
});
