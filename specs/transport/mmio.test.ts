import { describe, expect, it } from 'vitest';
import { checkLayout } from '../layout.js';
import { mmioRegisterAt, VIRTIO_MMIO_MAGIC, virtio_mmio_registers, VIRTIO_MMIO_REGISTERS, type MmioRegister } from './mmio.js';

describe('virtio-mmio register map', () => {
  it('offsets of facts.md §12', () => {
    const expected: [MmioRegister, number][] = [
      ['MagicValue', 0x000],
      ['Version', 0x004],
      ['DeviceID', 0x008],
      ['VendorID', 0x00c],
      ['DeviceFeatures', 0x010],
      ['DeviceFeaturesSel', 0x014],
      ['DriverFeatures', 0x020],
      ['DriverFeaturesSel', 0x024],
      ['GuestPageSize', 0x028],
      ['QueueSel', 0x030],
      ['QueueSizeMax', 0x034],
      ['QueueSize', 0x038],
      ['QueueAlign', 0x03c],
      ['QueuePFN', 0x040],
      ['QueueReady', 0x044],
      ['QueueNotify', 0x050],
      ['InterruptStatus', 0x060],
      ['InterruptACK', 0x064],
      ['Status', 0x070],
      ['QueueDescLow', 0x080],
      ['QueueDescHigh', 0x084],
      ['QueueDriverLow', 0x090],
      ['QueueDriverHigh', 0x094],
      ['QueueDeviceLow', 0x0a0],
      ['QueueDeviceHigh', 0x0a4],
      ['SHMSel', 0x0ac],
      ['SHMLenLow', 0x0b0],
      ['SHMLenHigh', 0x0b4],
      ['SHMBaseLow', 0x0b8],
      ['SHMBaseHigh', 0x0bc],
      ['QueueReset', 0x0c0],
      ['ConfigGeneration', 0x0fc],
    ];
    expect(Object.entries(virtio_mmio_registers.fields).map(([n, f]) => [n, f.offset])).toEqual(expected);
    for (const [name, offset] of expected) expect(mmioRegisterAt(offset)).toBe(name);
    expect(mmioRegisterAt(0x018)).toBeUndefined();
    expect(virtio_mmio_registers.size).toBe(0x100);
    expect(checkLayout(virtio_mmio_registers).kind).toBe('layout-ok');
  });

  it('magic is "virt" in little-endian bytes', () => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, VIRTIO_MMIO_MAGIC, true);
    expect(String.fromCharCode(...b)).toBe('virt');
  });

  it('legacy-only registers', () => {
    const legacy = Object.entries(VIRTIO_MMIO_REGISTERS).filter(([, r]) => r.legacyOnly).map(([n]) => n);
    expect(legacy).toEqual(['GuestPageSize', 'QueueAlign', 'QueuePFN']);
  });
});
