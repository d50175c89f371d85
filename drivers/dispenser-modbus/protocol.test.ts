import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planMap } from '../modbus/protocol.js';
import {
  type DispenserMap,
  dispenserModbusConfigSchema,
  layoutOptionsSchema,
  resolveDispenserMap,
} from './config.js';
import { DISPENSER_PRESETS } from './presets.js';
import {
  applyRegisterDecimals,
  commandWrites,
  confirmsCommand,
  decodeDispenserFrame,
  decodeDispenserValues,
  stateOf,
  totalizerNozzles,
  totalsOf,
  transactionOf,
} from './protocol.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

function mapOf(options: Record<string, unknown> = {}): DispenserMap {
  const resolved = resolveDispenserMap(layoutOptionsSchema.parse(options));
  if (!resolved.ok) throw new Error(`${resolved.path.join('.')}: ${resolved.message}`);
  return resolved.map;
}

const entry = (map: DispenserMap, name: string) => map.registers.find((e) => e.name === name);

/** The config path and message of the first issue of a device config. */
function issueOf(config: Record<string, unknown>) {
  const result = dispenserModbusConfigSchema.safeParse({ host: 'h', ...config });
  expect(result.success).toBe(false);
  const issue = result.error!.issues[0]!;
  return { path: issue.path, message: issue.message };
}

describe('default map', () => {
  it('reads the live registers and each nozzle totalizer block in two requests', () => {
    const plan = planMap(mapOf({ nozzles: [1, 2] }));
    expect(plan.map((r) => [r.functionCode, r.address, r.count])).toEqual([
      [3, 0, 15],
      [3, 100, 8],
    ]);
    const one = planMap(mapOf({ nozzles: [3] }));
    expect(one.map((r) => [r.address, r.count])).toEqual([
      [0, 15],
      [108, 4],
    ]);
  });

  it('names totalizers per nozzle and takes decimals from the decimals registers', () => {
    const map = mapOf({ nozzles: [1, 2] });
    expect(map.registers.map((e) => e.name).filter((n) => n.includes('Total'))).toEqual([
      'volumeTotal.1',
      'amountTotal.1',
      'volumeTotal.2',
      'amountTotal.2',
    ]);
    expect(entry(map, 'volume')).toMatchObject({ address: 6, type: 'uint32', order: 'ABCD', unit: 'L' });
    expect(entry(map, 'volume')?.decimals).toBeUndefined();
    expect(entry(map, 'flow')).toMatchObject({ address: 12, decimals: 2, unit: 'L/min' });
    expect(entry(map, 'nozzleOut')).toMatchObject({ address: 2, type: 'bool', bit: 0 });
    expect(map.commands).toEqual({
      reset: { kind: 'register-value', address: 15, value: 5 },
      authorize: { kind: 'register-value', address: 15, value: 6 },
      stop: { kind: 'register-value', address: 15, value: 8 },
    });
    expect(totalizerNozzles(map)).toEqual([1, 2]);
  });

  it('says in its data where it comes from and that it is a design', () => {
    expect(DISPENSER_PRESETS.default.sources.join(' ')).toMatch(/§2\.6/);
    expect(DISPENSER_PRESETS.default.unconfirmed.join(' ')).toMatch(/not a vendor document/);
  });
});

describe('overrides', () => {
  it('replace any address, type, order and resolution, and remove what is set to null', () => {
    const map = mapOf({
      wordOrder: 'CDAB',
      overrides: {
        volume: { address: 40, type: 'float32', decimals: 3 },
        amount: { order: 'DCBA' },
        flow: { scale: '0.1' },
        alarm: null,
        totals: { base: 200, stride: 8, amount: { offset: 4, type: 'int32' } },
        statusCodes: { '9': 'suspended', '1': 'authorized' },
        commands: { stop: null, reset: { kind: 'coil', address: 3 } },
      },
      nozzles: [2],
    });
    expect(entry(map, 'volume')).toMatchObject({ address: 40, type: 'float32', order: 'CDAB', decimals: 3 });
    expect(entry(map, 'amount')).toMatchObject({ order: 'DCBA' });
    expect(entry(map, 'unitPrice')).toMatchObject({ order: 'CDAB' });
    expect(entry(map, 'flow')?.decimals).toBeUndefined();
    expect(entry(map, 'flow')).toMatchObject({ scale: '0.1', order: 'CDAB' });
    expect(entry(map, 'alarm')).toBeUndefined();
    expect(entry(map, 'volumeTotal.2')).toMatchObject({ address: 208, type: 'uint32', order: 'CDAB' });
    expect(entry(map, 'amountTotal.2')).toMatchObject({ address: 212, type: 'int32', order: 'CDAB' });
    expect(map.statusCodes).toMatchObject({ '1': 'authorized', '4': 'filling', '9': 'suspended' });
    expect(map.commands).toEqual({
      reset: { kind: 'coil', address: 3, value: true },
      authorize: { kind: 'register-value', address: 15, value: 6 },
    });
    // The preset data itself is untouched.
    expect(DISPENSER_PRESETS.default.registers.volume.address).toBe(6);
    expect(DISPENSER_PRESETS.default.statusCodes['1']).toBe('reset');
  });

  it('let totalizers follow a fixed volume resolution when the decimals register is removed', () => {
    const map = mapOf({ overrides: { volumeDecimals: null, volume: { decimals: 3 } } });
    expect(entry(map, 'volumeTotal.1')?.decimals).toBe(3);
    // amountDecimals is still there, so the amount totalizer keeps reading it.
    expect(entry(map, 'amountTotal.1')?.decimals).toBeUndefined();
  });

  it('are validated with the field named', () => {
    expect(issueOf({ overrides: { volume: { order: 'AB' } } })).toEqual({
      path: ['overrides', 'volume', 'order'],
      message: expect.stringMatching(/ABCD, CDAB/),
    });
    expect(issueOf({ overrides: { voluem: { address: 3 } } }).path).toEqual(['overrides']);
    expect(issueOf({ overrides: { status: null } })).toEqual({
      path: ['overrides', 'status'],
      message: 'the map needs a status register',
    });
    expect(issueOf({ overrides: { nozzle: { type: 'float32' } } }).path).toEqual([
      'overrides',
      'nozzle',
      'type',
    ]);
    expect(issueOf({ overrides: { totals: { base: 65534 } } }).path).toEqual([
      'overrides',
      'totals',
      'amount',
      'address',
    ]);
    expect(issueOf({ overrides: { statusCodes: { '1': 'idle' } } }).path).toEqual([
      'overrides',
      'statusCodes',
      '1',
    ]);
    expect(issueOf({ nozzles: [1, 1] }).path).toEqual(['nozzles']);
    expect(issueOf({ nozzles: [16] }).path).toEqual(['nozzles', 0]);
    const endpoint = dispenserModbusConfigSchema.safeParse({});
    expect(endpoint.error?.issues[0]?.path).toEqual(['host']);
  });
});

describe('a map of its own', () => {
  const map = {
    registers: [
      { name: 'status', table: 'input', address: 0 },
      { name: 'volume', table: 'input', address: 1, type: 'int32', scale: '0.001', unit: 'm3' },
      { name: 'nozzleOut', table: 'discrete', address: 4 },
    ],
  };

  it('replaces the preset entirely: no commands, DART status codes unless given', () => {
    const resolved = mapOf({ map });
    expect(resolved.registers.map((e) => e.name)).toEqual(['status', 'volume', 'nozzleOut']);
    expect(resolved.commands).toEqual({});
    expect(resolved.statusCodes['4']).toBe('filling');
    expect(mapOf({ map: { ...map, statusCodes: { '3': 'filling' } } }).statusCodes).toEqual({
      '3': 'filling',
    });
  });

  it('is refused together with preset options, or without status and volume', () => {
    expect(issueOf({ map, wordOrder: 'CDAB' }).path).toEqual(['map']);
    expect(issueOf({ map: { registers: [{ name: 'volume', address: 0 }] } })).toEqual({
      path: ['map', 'registers'],
      message: 'the map needs a status register',
    });
    expect(
      issueOf({
        map: {
          registers: [...map.registers, { name: 'volume', address: 9 }],
        },
      }),
    ).toMatchObject({ path: ['map', 'registers', 3, 'name'], message: expect.stringMatching(/duplicate/) });
  });

  it('decodes a frame of registers and packed bits in plan order', () => {
    // input 0..2 (status 4, volume 12345 × 0.001), then the discrete input byte (bit 0 set).
    const result = decodeDispenserFrame(hex('0004 0000 3039 01'), { map });
    expect(result).toEqual({
      ok: true,
      value: [
        { channel: 'status', value: 'filling', unit: '', quality: 'good' },
        { channel: 'volume', value: '12.345', unit: 'm3', quality: 'unstable' },
        { channel: 'nozzleOut', value: '1', unit: '', quality: 'good' },
      ],
    });
  });
});

describe('decoding', () => {
  const map = mapOf({ nozzles: [1] });

  it('applies a decimals register to integers and to floats, exactly', () => {
    expect(applyRegisterDecimals('2010', '2', 'volumeDecimals')).toEqual({ ok: true, value: '20.10' });
    expect(applyRegisterDecimals('5', '3', 'volumeDecimals')).toEqual({ ok: true, value: '0.005' });
    expect(applyRegisterDecimals('4294967295', '0', 'volumeDecimals')).toEqual({
      ok: true,
      value: '4294967295',
    });
    expect(applyRegisterDecimals('12.345', '2', 'volumeDecimals')).toEqual({ ok: true, value: '12.35' });
    expect(applyRegisterDecimals('1', '10', 'volumeDecimals')).toMatchObject({
      ok: false,
      code: 'MG_ERR_DEVICE_ERROR',
    });
  });

  it('reports a value whose decimals register failed as a failure of that value only', () => {
    const values = new Map([
      ['status', '5'],
      ['volume', '2010'],
      ['amount', '15859'],
      ['amountDecimals', '2'],
      ['unitPrice', '789'],
      ['unitPriceDecimals', '2'],
    ]);
    const unreadable = new Map([
      ['volumeDecimals', { code: 'MG_ERR_TIMEOUT' as const, message: 'no answer' }],
    ]);
    const result = decodeDispenserValues(map, values, unreadable);
    expect(result.channels.map((c) => [c.channel, c.value])).toEqual([
      ['status', 'completed'],
      ['amount', '158.59'],
      ['unitPrice', '7.89'],
    ]);
    expect(result.failures).toEqual([
      {
        channel: 'volume',
        code: 'MG_ERR_TIMEOUT',
        reason: 'its decimals register volumeDecimals could not be read: no answer',
      },
    ]);
  });

  it('lets a fixed resolution win over the decimals register', () => {
    const fixed = mapOf({ overrides: { volume: { decimals: 3 } } });
    const result = decodeDispenserValues(
      fixed,
      new Map([
        ['status', '1'],
        ['volume', '20.100'],
        ['volumeDecimals', '2'],
      ]),
    );
    // The engine has already applied the fixed decimals; the register must not shift them again.
    expect(result.channels.find((c) => c.channel === 'volume')?.value).toBe('20.100');
  });

  it('names pump states by the status codes', () => {
    expect(stateOf('4', map.statusCodes)).toBe('filling');
    expect(stateOf('0004', map.statusCodes)).toBe('filling');
    expect(stateOf('3', map.statusCodes)).toBe('unknown-3');
  });

  it('builds the transaction and the totals from the readings', () => {
    const channels = [
      { channel: 'status', value: 'filling', unit: '', quality: 'good' as const },
      { channel: 'nozzle', value: '2', unit: '', quality: 'good' as const },
      { channel: 'nozzleOut', value: '1', unit: '', quality: 'good' as const },
      { channel: 'volume', value: '12.00', unit: 'L', quality: 'unstable' as const },
      { channel: 'amountTotal.2', value: '550283.96', unit: 'CNY', quality: 'good' as const },
      { channel: 'volumeTotal.2', value: '65432.10', unit: 'L', quality: 'good' as const },
      { channel: 'volumeTotal', value: '1.00', unit: 'L', quality: 'good' as const },
    ];
    expect(transactionOf(channels)).toEqual({
      status: 'filling',
      nozzle: 2,
      nozzleOut: true,
      volume: '12.00',
      amount: '',
      unitPrice: '',
    });
    expect(totalsOf(channels)).toEqual([
      { nozzle: 1, volumeTotal: '1.00', amountTotal: '' },
      { nozzle: 2, volumeTotal: '65432.10', amountTotal: '550283.96' },
    ]);
    expect(totalsOf(channels, 2)).toHaveLength(1);
  });

  it('rejects a frame of the wrong length and an invalid layout', () => {
    expect(decodeDispenserFrame(hex('0001'), {})).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
      reason: expect.stringMatching(/expected 38 bytes for holding 0\+15, holding 100\+4, got 2/),
    });
    expect(decodeDispenserFrame(hex('0001'), { preset: 'nope' })).toMatchObject({
      ok: false,
      code: 'MG_ERR_CONFIG_INVALID',
    });
    expect(decodeDispenserFrame(hex('0001'), { overrides: { status: null } })).toMatchObject({
      ok: false,
      code: 'MG_ERR_CONFIG_INVALID',
    });
  });

  it('never throws on random bytes, and keeps decimals exact when it decodes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 38, maxLength: 38 }),
        fc.constantFrom(undefined, 'CDAB', 'BADC'),
        (bytes, wordOrder) => {
          const result = decodeDispenserFrame(bytes, wordOrder ? { wordOrder } : {});
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) {
            // Only an impossible decimals register is a reason to refuse a well-sized frame.
            expect(result.code).toBe('MG_ERR_DEVICE_ERROR');
            return;
          }
          const volume = result.value.find((c) => c.channel === 'volume')!;
          const places = Buffer.from(bytes).readUInt16BE(6);
          expect(volume.value).toMatch(places === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${places}}$`));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('commands', () => {
  it('write a value, a 0→1 edge of a bit, or a coil', () => {
    expect(commandWrites({ kind: 'register-value', address: 15, value: 6 })).toEqual([
      { kind: 'register', address: 15, value: 6 },
    ]);
    expect(commandWrites({ kind: 'register-bit-edge', address: 20, bit: 3 })).toEqual([
      { kind: 'register', address: 20, value: 0 },
      { kind: 'register', address: 20, value: 8 },
    ]);
    expect(commandWrites({ kind: 'coil', address: 1, value: true })).toEqual([
      { kind: 'coil', address: 1, value: true },
    ]);
  });

  it('are confirmed by the pump state they lead to', () => {
    const table = (command: 'reset' | 'authorize' | 'stop') =>
      ['reset', 'authorized', 'filling', 'completed', 'max-reached', 'unknown-3'].filter((state) =>
        confirmsCommand(command, state),
      );
    expect(table('reset')).toEqual(['reset']);
    expect(table('authorize')).toEqual(['authorized', 'filling']);
    expect(table('stop')).toEqual(['reset', 'completed', 'max-reached']);
  });
});
