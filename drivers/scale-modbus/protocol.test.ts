import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolvePreset, scaleModbusConfigSchema } from './config.js';
import { SCALE_PRESET_IDS, SCALE_PRESETS } from './presets.js';
import {
  applyResolution,
  commandWrites,
  decodeScaleBlock,
  decodeScaleValues,
  qualityFromStatus,
  scaleRegisterMap,
} from './protocol.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('presets', () => {
  it('use PDU addresses: "4xxxx" minus 40001', () => {
    // DGT4X: status 40202, gross 40203-40204, net 40214-40215.
    expect(SCALE_PRESETS.dgt4x.status.address).toBe(40202 - 40001);
    expect(SCALE_PRESETS.dgt4x.gross.address).toBe(40203 - 40001);
    expect(SCALE_PRESETS.dgt4x.weight.address).toBe(40214 - 40001);
    // ID551PN: weight 40001/2, gross 40003/4, status 40005, demand bits 40006.
    expect(SCALE_PRESETS.id551pn.weight.address).toBe(0);
    expect(SCALE_PRESETS.id551pn.status.address).toBe(4);
    expect(SCALE_PRESETS.id551pn.commands.tare).toEqual({ kind: 'register-bit-edge', address: 5, bit: 12 });
  });

  it('cite their sources and list what is unconfirmed', () => {
    for (const id of SCALE_PRESET_IDS) {
      expect(SCALE_PRESETS[id].sources.length).toBeGreaterThan(0);
    }
    expect(SCALE_PRESETS.dgt4x.unconfirmed.join(' ')).toMatch(/inferred/);
  });

  it('plan one request per contiguous run of the layout', () => {
    const plan = (id: (typeof SCALE_PRESET_IDS)[number]) =>
      scaleRegisterMap(resolvePreset(id), { gross: true }).registers.map((r) => [r.name, r.address]);
    expect(plan('dgt4x')).toEqual([
      ['weight', 213],
      ['gross', 202],
      ['status', 201],
    ]);
    expect(plan('generic')).toEqual([
      ['weight', 0],
      ['gross', 2],
      ['status', 6],
      ['decimals', 7],
    ]);
  });
});

describe('overrides', () => {
  it('replace any address, bit and command, and remove what is set to null', () => {
    const preset = resolvePreset('dgt4x', {
      weight: { address: 300, order: 'CDAB', signBit: null },
      status: { flags: { unstable: { bit: 7, active: 1 }, zero: null } },
      commands: { tare: { kind: 'coil', address: 4, value: true } },
      gross: null,
    });
    expect(preset.weight).toEqual({
      table: 'holding',
      address: 300,
      type: 'int32',
      order: 'CDAB',
      signBit: undefined,
    });
    expect(preset.gross).toBeUndefined();
    expect(preset.status?.flags).toEqual({
      unstable: { bit: 7, active: 1 },
      underload: { bit: 2, active: 1 },
      overload: { bit: 3, active: 1 },
    });
    expect(preset.commands).toEqual({ tare: { kind: 'coil', address: 4, value: true } });
    // The preset data itself is untouched.
    expect(SCALE_PRESETS.dgt4x.weight.address).toBe(213);
  });

  it('are validated with the field named', () => {
    const bad = scaleModbusConfigSchema.safeParse({
      host: 'h',
      preset: 'generic',
      overrides: { status: { flags: { unstable: { bit: 16, active: 0 } } } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['overrides', 'status', 'flags', 'unstable', 'bit']);
    const both = scaleModbusConfigSchema.safeParse({ host: 'h', decimals: 2, scale: '0.01' });
    expect(both.error?.issues[0]?.path).toEqual(['scale']);
    const noGross = scaleModbusConfigSchema.safeParse({
      host: 'h',
      preset: 'dgt4x',
      overrides: { gross: null },
      channels: ['gross'],
    });
    expect(noGross.error?.issues[0]?.message).toMatch(/no gross register/);
    const endpoint = scaleModbusConfigSchema.safeParse({ preset: 'dgt4x' });
    expect(endpoint.error?.issues[0]?.path).toEqual(['host']);
  });
});

describe('decoding', () => {
  const dgt4x = resolvePreset('dgt4x');

  it('gives integer counts their decimal point or scale, and floats the display resolution', () => {
    expect(applyResolution('1235', dgt4x.weight, 0, { decimals: 2 })).toBe('12.35');
    expect(applyResolution('-5', dgt4x.weight, 0, { decimals: 2 })).toBe('-0.05');
    expect(applyResolution('0', dgt4x.weight, 0, { decimals: 3 })).toBe('0.000');
    expect(applyResolution('247', dgt4x.weight, 0, { scale: '0.05' })).toBe('12.35');
    expect(applyResolution('1235', dgt4x.weight, 0, {})).toBe('1235');
    const float = SCALE_PRESETS.id551pn.weight;
    expect(applyResolution('0.1', float, 0, { decimals: 2 })).toBe('0.10');
    expect(applyResolution('12.345', float, 0, { decimals: 2 })).toBe('12.35');
    expect(applyResolution('12.345', float, 0, {})).toBe('12.345');
  });

  it("reads a magnitude with a sign bit, and a two's-complement value, both as negative", () => {
    const netSign = 1 << 5;
    expect(applyResolution('5', dgt4x.weight, netSign, { decimals: 2 })).toBe('-0.05');
    expect(applyResolution('-5', dgt4x.weight, netSign, { decimals: 2 })).toBe('-0.05');
    expect(applyResolution('0', dgt4x.weight, netSign, { decimals: 2 })).toBe('0.00');
    expect(applyResolution('5', dgt4x.weight, 1 << 0, { decimals: 2 })).toBe('0.05');
  });

  it('ranks status flags: invalid, overload, underload, motion', () => {
    const flags = SCALE_PRESETS.id551pn.status.flags;
    const ok = 1 << 15;
    expect(qualityFromStatus(ok, flags)).toBe('good');
    expect(qualityFromStatus(ok | (1 << 12), flags)).toBe('unstable');
    expect(qualityFromStatus(ok | (1 << 12) | (1 << 9), flags)).toBe('underload');
    expect(qualityFromStatus(ok | (1 << 12) | (1 << 10), flags)).toBe('overload');
    expect(qualityFromStatus(1 << 10, flags)).toBe('comm-error');
    expect(qualityFromStatus(undefined, flags)).toBe('good');
    // DGT4X: b1 = 1 means stable.
    expect(qualityFromStatus(0, SCALE_PRESETS.dgt4x.status.flags)).toBe('unstable');
    expect(qualityFromStatus(2, SCALE_PRESETS.dgt4x.status.flags)).toBe('good');
  });

  it('uses the decimals register when the config gives none', () => {
    const generic = resolvePreset('generic');
    const values = new Map([
      ['weight', '550'],
      ['status', '1'],
      ['decimals', '1'],
    ]);
    expect(decodeScaleValues(generic, values, { unit: 'g' })).toMatchObject({
      ok: true,
      value: { weight: '55.0' },
    });
    expect(decodeScaleValues(generic, values, { unit: 'g', decimals: 2 })).toMatchObject({
      ok: true,
      value: { weight: '5.50' },
    });
    expect(decodeScaleValues(generic, new Map([['status', '1']]), { unit: 'g' })).toMatchObject({
      ok: false,
    });
  });

  it('decodes a block from the lowest address of the layout', () => {
    expect(decodeScaleBlock(hex('4145 999a 4145 999a a000'), { preset: 'id551pn', decimals: 2 })).toEqual({
      ok: true,
      value: { weight: '12.35', gross: '12.35', unit: 'kg', quality: 'good', zero: false, status: 0xa000 },
    });
    expect(decodeScaleBlock(hex('4145'), { preset: 'id551pn' })).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeScaleBlock(hex('0000'), { preset: 'nope' })).toMatchObject({
      ok: false,
      code: 'MG_ERR_CONFIG_INVALID',
    });
  });

  it('never throws on random bytes and presets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.constantFrom(...SCALE_PRESET_IDS),
        fc.option(fc.integer({ min: 0, max: 4 })),
        (bytes, preset, decimals) => {
          const result = decodeScaleBlock(bytes, { preset, ...(decimals === null ? {} : { decimals }) });
          expect(typeof result.ok).toBe('boolean');
          if (result.ok) expect(result.value.weight).toMatch(/^-?\d+(\.\d+)?$/);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('commandWrites', () => {
  it('clears then sets a demand bit, so the device sees a 0→1 edge', () => {
    expect(commandWrites({ kind: 'register-bit-edge', address: 5, bit: 12 })).toEqual([
      { kind: 'register', address: 5, value: 0 },
      { kind: 'register', address: 5, value: 4096 },
    ]);
    expect(commandWrites({ kind: 'register-value', address: 8, value: 2 })).toEqual([
      { kind: 'register', address: 8, value: 2 },
    ]);
    expect(commandWrites({ kind: 'coil', address: 3, value: true })).toEqual([
      { kind: 'coil', address: 3, value: true },
    ]);
  });
});
