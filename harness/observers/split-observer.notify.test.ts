import { describe, expect, test } from 'vitest';
import { SplitRingObserver } from './split-observer.js';
import { F_EVENT_IDX, SplitRingImage } from './fixtures/split-ring-image.js';
import { violationKeys } from './fixtures/findings.js';

function ring(features = 0n, q = 8) {
  const img = new SplitRingImage(q);
  const obs = new SplitRingObserver(img.reader, img.options(features));
  for (let i = 0; i < q; i++) img.simpleChain(i, 64, true);
  return { img, obs };
}

describe('split observer: driver notification MUSTs', () => {
  test('ring.split.driver-notify-flags: used.flags 0 and no kick', () => {
    const { img, obs } = ring();
    img.publish(0);
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.driver-notify-flags split.asupp.driver.4 driver']);
  });

  test('ring.split.driver-notify-flags: a kick after the publish, a suppressed publish, a spurious kick all pass', () => {
    const { img, obs } = ring();
    img.publish(0);
    obs.onDriverNotify();
    obs.afterDriverStep();
    img.setUsedFlags(1); // NO_NOTIFY: a hint
    obs.checkpoint('device');
    img.publish(1);
    obs.afterDriverStep();
    img.publish(2);
    obs.onDriverNotify(); // kicking despite NO_NOTIFY is allowed
    obs.afterDriverStep();
    obs.onDriverNotify(); // nothing new: spurious
    obs.afterDriverStep();
    expect(obs.findings).toEqual([]);
  });

  test('ring.split.driver-notify-flags: a kick sent before the index it should announce does not count', () => {
    const { img, obs } = ring();
    obs.onDriverNotify();
    img.publish(0);
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.driver-notify-flags split.asupp.driver.4 driver']);
  });

  test('ring.split.driver-notify-flags: avail_event is ignored without EVENT_IDX', () => {
    const { img, obs } = ring();
    img.setAvailEvent(100);
    img.publish(0);
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.driver-notify-flags split.asupp.driver.4 driver']);
  });

  test('ring.split.driver-notify-event-idx: avail.idx passing avail_event demands a kick', () => {
    const { img, obs } = ring(F_EVENT_IDX);
    img.setAvailEvent(1);
    img.publish(0); // 0 -> 1: avail_event 1 not reached
    obs.afterDriverStep();
    expect(obs.findings).toEqual([]);
    img.publish(1, 2); // 1 -> 3 passes 1
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.driver-notify-event-idx split.asupp.driver.6 driver']);
  });

  test('ring.split.driver-notify-event-idx: a kick covers the crossing; event beyond the window needs none', () => {
    const { img, obs } = ring(F_EVENT_IDX);
    img.setAvailEvent(0);
    img.publish(0, 1);
    obs.onDriverNotify();
    obs.afterDriverStep();
    img.setAvailEvent(10);
    obs.checkpoint('device');
    img.publish(2);
    obs.afterDriverStep();
    expect(obs.findings).toEqual([]);
  });

  test('ring.split.driver-notify-event-idx: the window wraps at 2^16', () => {
    const img = new SplitRingImage(8);
    img.availIdx = 0xffff;
    img.setAvailIdx(0xffff);
    img.usedIdx = 0xffff;
    img.setUsedIdx(0xffff);
    img.setAvailEvent(0xffff);
    const obs = new SplitRingObserver(img.reader, img.options(F_EVENT_IDX));
    img.simpleChain(0, 8, true);
    img.publish(0); // 0xffff -> 0: passes 0xffff
    obs.afterDriverStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.driver-notify-event-idx split.asupp.driver.6 driver']);
  });
});

describe('split observer: device notification MUSTs', () => {
  function withOutstanding(features = 0n, n = 4) {
    const r = ring(features);
    r.img.publish(...Array.from({ length: n }, (_, i) => i));
    r.obs.onDriverNotify();
    r.obs.afterDriverStep();
    return r;
  }

  test('ring.split.device-notify-flags: avail.flags 0 and no interrupt (a missing notification)', () => {
    const { img, obs } = withOutstanding();
    img.use(0, 8);
    obs.afterDeviceStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.device-notify-flags split.usupp.device.3 device']);
  });

  test('ring.split.device-notify-flags: one interrupt per batch, NO_INTERRUPT, spurious interrupts all pass', () => {
    const { img, obs } = withOutstanding();
    img.use(1, 8);
    img.use(0, 8);
    obs.onUsedBufferNotification();
    obs.afterDeviceStep();
    img.setAvailFlags(1);
    obs.checkpoint('driver');
    img.use(2, 8);
    obs.afterDeviceStep();
    obs.onUsedBufferNotification();
    obs.afterDeviceStep();
    expect(obs.findings).toEqual([]);
  });

  test('ring.split.device-notify-flags: an interrupt before the used.idx update does not count', () => {
    const { img, obs } = withOutstanding();
    obs.onUsedBufferNotification();
    img.use(0, 8);
    obs.afterDeviceStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.device-notify-flags split.usupp.device.3 device']);
  });

  test('ring.split.device-notify-event-idx: used.idx reaching used_event demands an interrupt, avail.flags ignored', () => {
    const { img, obs } = withOutstanding(F_EVENT_IDX);
    img.setUsedEvent(1);
    img.setAvailFlags(1); // a driver violation with EVENT_IDX; the device must ignore it
    obs.checkpoint('driver');
    img.use(0, 8); // 0 -> 1: used_event 1 not reached
    obs.afterDeviceStep();
    expect(violationKeys(obs.findings)).toEqual(['ring.split.avail-flags split.usupp.driver.3 driver']);
    img.use(1, 8); // 1 -> 2: entry 1 written
    obs.afterDeviceStep();
    expect(violationKeys(obs.findings)).toEqual([
      'ring.split.avail-flags split.usupp.driver.3 driver',
      'ring.split.device-notify-event-idx split.usupp.device.5 device',
    ]);
  });

  test('ring.split.device-notify-event-idx: an interrupt at the crossing passes, and later entries need none', () => {
    const { img, obs } = withOutstanding(F_EVENT_IDX);
    img.setUsedEvent(0);
    obs.checkpoint('driver');
    img.use(0, 8);
    obs.onUsedBufferNotification();
    img.use(1, 8);
    obs.afterDeviceStep();
    expect(obs.findings).toEqual([]);
  });
});
