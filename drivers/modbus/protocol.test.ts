import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../errors.js';
import {
  BYTE_ORDERS,
  REGISTER_TABLES,
  REGISTER_TYPES,
  type RegisterEntry,
  registerEntrySchema,
  registerMapSchema,
} from './config.js';
import {
  decodeRegisterBlock,
  decodeRegisterValue,
  formatDryRun,
  loadRegisterMap,
  planReads,
  predictWireTime,
  qualityOf,
  registerWidth,
  toBigEndian,
} from './protocol.js';

const entry = (fields: Record<string, unknown>): RegisterEntry =>
  registerEntrySchema.parse({ name: 'x', address: 0, ...fields });

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('decodeRegisterValue', () => {
  it('decodes the verified dump of reference §4.1 (int32 12345 at 0, float 1234.5 at 4)', () => {
    const dump = Buffer.from([0, 0, 0x30, 0x39, 0, 1, 0, 1, 0x44, 0x9a, 0x50, 0x00]);
    expect(decodeRegisterValue(entry({ type: 'int32' }), dump.subarray(0, 4))).toEqual({
      ok: true,
      value: '12345',
    });
    expect(decodeRegisterValue(entry({ type: 'float32' }), dump.subarray(8, 12))).toEqual({
      ok: true,
      value: '1234.5',
    });
  });

  // 0x11223344 in each order, as Telegraf's byte-order names lay it out.
  it.each([
    ['ABCD', '11 22 33 44'],
    ['CDAB', '33 44 11 22'],
    ['BADC', '22 11 44 33'],
    ['DCBA', '44 33 22 11'],
  ])('reads uint32 0x11223344 in %s order', (order, bytes) => {
    expect(decodeRegisterValue(entry({ type: 'uint32', order }), hex(bytes))).toEqual({
      ok: true,
      value: String(0x11223344),
    });
  });

  it.each([
    ['ABCD', '44 9a 50 00'],
    ['CDAB', '50 00 44 9a'],
    ['BADC', '9a 44 00 50'],
    ['DCBA', '00 50 9a 44'],
  ])('reads float32 1234.5 in %s order', (order, bytes) => {
    expect(decodeRegisterValue(entry({ type: 'float32', order }), hex(bytes))).toEqual({
      ok: true,
      value: '1234.5',
    });
  });

  it('reads float64 in big-endian and word-swapped order', () => {
    const big = Buffer.alloc(8);
    big.writeDoubleBE(-0.1);
    expect(decodeRegisterValue(entry({ type: 'float64' }), big)).toEqual({ ok: true, value: '-0.1' });
    const swapped = Buffer.concat([
      big.subarray(6, 8),
      big.subarray(4, 6),
      big.subarray(2, 4),
      big.subarray(0, 2),
    ]);
    expect(decodeRegisterValue(entry({ type: 'float64', order: 'CDAB' }), swapped)).toEqual({
      ok: true,
      value: '-0.1',
    });
  });

  it('reads the float32 that holds 0.1 as "0.1", not its binary expansion', () => {
    const bytes = Buffer.alloc(4);
    bytes.writeFloatBE(0.1);
    expect(decodeRegisterValue(entry({ type: 'float32' }), bytes)).toEqual({ ok: true, value: '0.1' });
    expect(decodeRegisterValue(entry({ type: 'float32', decimals: 3 }), bytes)).toEqual({
      ok: true,
      value: '0.100',
    });
  });

  it('reads 16-bit values in AB and BA order', () => {
    expect(decodeRegisterValue(entry({ type: 'int16' }), hex('ff 38'))).toEqual({ ok: true, value: '-200' });
    expect(decodeRegisterValue(entry({ type: 'int16', order: 'BA' }), hex('38 ff'))).toEqual({
      ok: true,
      value: '-200',
    });
    expect(decodeRegisterValue(entry({ type: 'uint16' }), hex('ff 38'))).toEqual({
      ok: true,
      value: '65336',
    });
  });

  it('applies scale exactly and keeps the decimals of the scale', () => {
    expect(decodeRegisterValue(entry({ type: 'int16', scale: '0.1' }), hex('ff 38'))).toEqual({
      ok: true,
      value: '-20.0',
    });
    expect(decodeRegisterValue(entry({ type: 'uint16', scale: '0.01' }), hex('00 07'))).toEqual({
      ok: true,
      value: '0.07',
    });
    expect(decodeRegisterValue(entry({ type: 'uint16', scale: 0.1 }), hex('00 03'))).toEqual({
      ok: true,
      value: '0.3',
    });
    expect(decodeRegisterValue(entry({ type: 'int32', decimals: 2 }), hex('00 00 04 d3'))).toEqual({
      ok: true,
      value: '12.35',
    });
    expect(decodeRegisterValue(entry({ type: 'float32', scale: '1000' }), hex('44 9a 50 00'))).toEqual({
      ok: true,
      value: '1234500',
    });
  });

  it('reads bools from a register bit and strings from registers', () => {
    expect(decodeRegisterValue(entry({ type: 'bool', bit: 1 }), hex('00 02'))).toEqual({
      ok: true,
      value: '1',
    });
    expect(decodeRegisterValue(entry({ type: 'bool', bit: 0 }), hex('00 02'))).toEqual({
      ok: true,
      value: '0',
    });
    expect(
      decodeRegisterValue(entry({ type: 'string', length: 4 }), Buffer.from('SIM-15K\0', 'latin1')),
    ).toEqual({
      ok: true,
      value: 'SIM-15K',
    });
    expect(
      decodeRegisterValue(entry({ type: 'string', length: 2, order: 'BA' }), Buffer.from('EMGO', 'latin1')),
    ).toEqual({ ok: true, value: 'MEOG' });
  });

  it('rejects NaN and a wrong byte count instead of throwing', () => {
    expect(decodeRegisterValue(entry({ type: 'float32' }), hex('7f c0 00 00'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_DEVICE_ERROR',
    });
    expect(decodeRegisterValue(entry({ type: 'int32' }), hex('00 01'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
  });

  it('never throws on random bytes, types and orders', () => {
    const registerTables = REGISTER_TABLES.filter((t) => t === 'holding' || t === 'input');
    fc.assert(
      fc.property(
        fc.constantFrom(...REGISTER_TYPES),
        fc.constantFrom(...BYTE_ORDERS),
        fc.constantFrom(...registerTables),
        fc.option(fc.constantFrom('0.1', '10', '-0.001', '1')),
        fc.option(fc.integer({ min: 0, max: 6 })),
        fc.uint8Array({ maxLength: 12 }),
        (type, order, table, scale, decimals, bytes) => {
          const numeric = type !== 'bool' && type !== 'string';
          const spec = {
            type,
            order,
            table,
            length: type === 'string' ? 3 : undefined,
            scale: numeric ? (scale ?? undefined) : undefined,
            decimals: numeric ? (decimals ?? undefined) : undefined,
          };
          const result = decodeRegisterValue(spec, bytes);
          expect(typeof result.ok).toBe('boolean');
          if (result.ok && type !== 'string' && type !== 'bool')
            expect(result.value).toMatch(/^-?\d+(\.\d+)?$/);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('puts words into big-endian order', () => {
    expect(toBigEndian(hex('33 44 11 22'), 'CDAB').toString('hex')).toBe('11223344');
    expect(toBigEndian(hex('44 33 22 11'), 'DCBA').toString('hex')).toBe('11223344');
  });
});

describe('register map schema', () => {
  it('defaults table, type and order', () => {
    expect(entry({})).toMatchObject({ table: 'holding', type: 'uint16', order: 'AB', unit: '' });
    expect(entry({ table: 'coil' })).toMatchObject({ type: 'bool' });
    expect(entry({ type: 'float32' })).toMatchObject({ order: 'ABCD' });
  });

  it.each([
    [{ registers: [{ name: 'a', address: 0, type: 'string' }] }, 'registers[0].length'],
    [{ registers: [{ name: 'a', address: 0, type: 'int32', order: 'BA' }] }, 'registers[0].order'],
    [{ registers: [{ name: 'a', table: 'coil', address: 0, type: 'int16' }] }, 'registers[0].type'],
    [{ registers: [{ name: 'a', address: 0, type: 'uint16', bit: 3 }] }, 'registers[0].bit'],
    [
      {
        registers: [
          { name: 'a', address: 0 },
          { name: 'a', address: 1 },
        ],
      },
      'registers[1].name',
    ],
    [{ registers: [{ name: 'a', address: 0, scale: 'ten' }] }, 'registers[0].scale'],
    [{ registers: [{ name: 'a', address: 65535, type: 'float32' }] }, 'registers[0].address'],
    [
      { registers: [{ name: 'a', address: 0 }], quality: [{ when: 'b', equals: 1, quality: 'unstable' }] },
      'quality[0].when',
    ],
  ])('rejects %j naming %s', (map, path) => {
    expect(() => loadRegisterMap(JSON.stringify(map), 'plant.yaml')).toThrow(`plant.yaml: ${path}`);
  });

  it('loads YAML, names the file, and says MG_ERR_INPUT_INVALID', () => {
    const map = loadRegisterMap(
      'registers:\n  - { name: gross, address: 0, type: float32, unit: kg }\n  - { name: status, address: 2 }\nmaxGap: 3\n',
      'map.yaml',
    );
    expect(map.registers.map((r) => r.name)).toEqual(['gross', 'status']);
    expect(map.maxGap).toBe(3);
    try {
      loadRegisterMap('registers: [ {name: a, address: -1} ]', 'bad.yaml');
      expect.unreachable();
    } catch (error) {
      expect(isMetrogateError(error, 'MG_ERR_INPUT_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(/^bad\.yaml: registers\[0\]\.address/);
    }
    expect(() => loadRegisterMap('registers: [', 'broken.yaml')).toThrow(/broken\.yaml: not valid YAML/);
  });
});

describe('planReads', () => {
  const map = (registers: Record<string, unknown>[], options: Record<string, unknown> = {}) =>
    registerMapSchema.parse({ registers: registers.map((r, i) => ({ name: `r${i}`, ...r })), ...options });

  it('merges contiguous registers into one request per table', () => {
    const m = map([
      { address: 4, type: 'float32' },
      { address: 0, type: 'int32' },
      { address: 2 },
      { address: 3 },
      { table: 'input', address: 0 },
      { table: 'coil', address: 7 },
      { table: 'coil', address: 8 },
    ]);
    expect(
      planReads(m.registers).map((r) => [r.table, r.functionCode, r.address, r.count, r.entries]),
    ).toEqual([
      ['holding', 3, 0, 6, [1, 2, 3, 0]],
      ['input', 4, 0, 1, [4]],
      ['coil', 1, 7, 2, [5, 6]],
    ]);
  });

  it('keeps holes out unless maxGap allows them', () => {
    const m = map([{ address: 0 }, { address: 5 }, { address: 20 }]);
    expect(planReads(m.registers).map((r) => [r.address, r.count])).toEqual([
      [0, 1],
      [5, 1],
      [20, 1],
    ]);
    expect(planReads(m.registers, { maxGap: 4 }).map((r) => [r.address, r.count])).toEqual([
      [0, 6],
      [20, 1],
    ]);
  });

  it('splits at 125 registers and at a device limit', () => {
    const m = map(Array.from({ length: 130 }, (_, i) => ({ address: i })));
    expect(planReads(m.registers).map((r) => r.count)).toEqual([125, 5]);
    expect(planReads(m.registers, { maxRegistersPerRequest: 32 }).map((r) => r.count)).toEqual([
      32, 32, 32, 32, 2,
    ]);
  });

  it('respects the limits and carries every entry exactly once, whole, for random maps', () => {
    const arbitraryEntry = fc.record({
      table: fc.constantFrom(...REGISTER_TABLES),
      address: fc.integer({ min: 0, max: 600 }),
      type: fc.constantFrom('uint16', 'int32', 'float64', 'string'),
      length: fc.integer({ min: 1, max: 125 }),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryEntry, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 30 }),
        // The schema keeps every entry within the limit (a float64 needs 4 registers).
        fc.integer({ min: 4, max: 125 }),
        (raw, maxGap, maxRegisters) => {
          const registers = raw.map((r) => {
            const bits = r.table === 'coil' || r.table === 'discrete';
            const type = bits ? 'bool' : r.type;
            return {
              table: r.table,
              address: r.address,
              type,
              length: type === 'string' ? Math.min(r.length, maxRegisters) : undefined,
            } as const;
          });
          const plan = planReads(registers, {
            maxGap,
            maxRegistersPerRequest: maxRegisters,
            maxBitsPerRequest: 2000,
          });
          const carried = plan.flatMap((r) => r.entries).sort((a, b) => a - b);
          expect(carried).toEqual(registers.map((_, i) => i));
          for (const request of plan) {
            const bits = request.table === 'coil' || request.table === 'discrete';
            expect(request.count).toBeLessThanOrEqual(bits ? 2000 : maxRegisters);
            for (const index of request.entries) {
              const e = registers[index]!;
              expect(e.table).toBe(request.table);
              expect(e.address).toBeGreaterThanOrEqual(request.address);
              expect(e.address + registerWidth(e)).toBeLessThanOrEqual(request.address + request.count);
            }
          }
          // Deterministic: the same map plans the same requests.
          expect(planReads(registers, { maxGap, maxRegistersPerRequest: maxRegisters })).toEqual(plan);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('predictWireTime', () => {
  // peers.md §4.1: N = 10 registers, 11-bit characters.
  it.each([
    [9600, 45.83],
    [19200, 22.92],
    [38400, 12.95],
    [115200, 6.65],
  ])('predicts the minimum cycle at %i baud', (baudRate, cycle) => {
    const prediction = predictWireTime([{ table: 'holding', count: 10 }], {
      baudRate,
      dataBits: 8,
      parity: 'even',
      stopBits: 1,
    });
    expect(prediction.requests[0]!.responseBytes).toBe(25);
    expect(prediction.totalMs).toBeCloseTo(cycle, 2);
  });

  it('predicts 60 registers at 9600 8E1 and drops by 1/11 for 8N1 wire time', () => {
    const line = { baudRate: 9600, dataBits: 8, parity: 'even', stopBits: 1 } as const;
    expect(predictWireTime([{ table: 'holding', count: 60 }], line).totalMs).toBeCloseTo(160.42, 2);
    const n1 = predictWireTime([{ table: 'holding', count: 60 }], { ...line, parity: 'none' });
    expect(n1.bitsPerCharacter).toBe(10);
    expect(n1.requests[0]!.wireMs).toBeCloseTo((133 * 10 * 1000) / 9600, 6);
  });

  it('counts bit replies in bytes of eight and adds turnaround', () => {
    const p = predictWireTime(
      [{ table: 'coil', count: 17 }],
      { baudRate: 19200, dataBits: 8, parity: 'none', stopBits: 2 },
      {
        turnaroundMs: 5,
      },
    );
    expect(p.requests[0]!.responseBytes).toBe(8);
    expect(p.requests[0]!.cycleMs).toBeCloseTo(
      ((8 + 8) * 11 * 1000) / 19200 + 2 * ((3.5 * 11 * 1000) / 19200) + 5,
      6,
    );
  });
});

describe('formatDryRun', () => {
  it('lists the planned requests and the predicted time', () => {
    const map = loadRegisterMap(
      JSON.stringify({
        registers: [
          { name: 'net', address: 0, type: 'int32' },
          { name: 'status', address: 2 },
          { name: 'alarm', table: 'coil', address: 0 },
        ],
      }),
      'scale.json',
    );
    const report = formatDryRun(
      map,
      { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
      {
        sourceName: 'scale.json',
      },
    );
    expect(report.requests).toEqual([
      expect.objectContaining({
        functionCode: 3,
        address: 0,
        count: 3,
        registers: ['net', 'status'],
        responseBytes: 11,
      }),
      expect.objectContaining({
        functionCode: 1,
        address: 0,
        count: 1,
        registers: ['alarm'],
        responseBytes: 6,
      }),
    ]);
    expect(report.text).toContain('scale.json: 3 registers in 2 requests');
    expect(report.text).toContain('FC03 holding 0..2 (3 registers): net, status');
    expect(report.text).toMatch(
      /predicted wire time at 9600 8N1 \(10-bit characters, t3\.5 3\.65 ms\): \d+\.\d\d ms per poll/,
    );
    expect(report.wireTime.totalMs).toBeCloseTo(
      ((8 + 11 + 8 + 6) * 10 * 1000) / 9600 + 4 * ((3.5 * 10 * 1000) / 9600),
      6,
    );
  });
});

describe('decodeRegisterBlock and qualityOf', () => {
  it('decodes a block from the lowest address and packed bits', () => {
    const map = registerMapSchema.parse({
      registers: [
        { name: 'b', address: 11, type: 'int16' },
        { name: 'a', address: 10, type: 'uint16', unit: 'rpm' },
      ],
    });
    expect(decodeRegisterBlock(map, hex('00 05 ff ff'))).toEqual({
      ok: true,
      value: [
        { channel: 'b', value: '-1', unit: '' },
        { channel: 'a', value: '5', unit: 'rpm' },
      ],
    });
    expect(decodeRegisterBlock(map, hex('00 05'))).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    const bits = registerMapSchema.parse({
      registers: [
        { name: 'c0', table: 'coil', address: 8 },
        { name: 'c9', table: 'coil', address: 17 },
      ],
    });
    expect(decodeRegisterBlock(bits, hex('01 02'))).toMatchObject({
      ok: true,
      value: [
        { channel: 'c0', value: '1' },
        { channel: 'c9', value: '1' },
      ],
    });
  });

  it('applies the first matching rule, numerically', () => {
    const rules = registerMapSchema.parse({
      registers: [
        { name: 'w', address: 0 },
        { name: 's', address: 1 },
      ],
      quality: [
        { when: 's', equals: 2, quality: 'overload' },
        { when: 's', equals: '1.0', quality: 'unstable' },
      ],
    }).quality;
    expect(qualityOf('w', rules, new Map([['s', '1']]))).toBe('unstable');
    expect(qualityOf('w', rules, new Map([['s', '2']]))).toBe('overload');
    expect(qualityOf('w', rules, new Map([['s', '0']]))).toBe('good');
    expect(qualityOf('s', rules, new Map([['s', '1']]))).toBe('good');
    expect(qualityOf('w', rules, new Map())).toBe('good');
  });
});
