/**
 * metrogate's Modbus drivers against an independent peer: Debian's pymodbus, which encodes the
 * values itself (BinaryPayloadBuilder) and serves them over Modbus TCP and Modbus RTU on a socat
 * pty. The drivers must report exactly the decimal values pymodbus was given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver, PollResult } from '../drivers/contract.js';
import { isScaleDriver } from '../drivers/contract.js';
import { silentLogger } from '../drivers/logger.js';
import { modbusGeneric } from '../drivers/modbus/index.js';
import { scaleModbus } from '../drivers/scale-modbus/index.js';
import { createDriverDeps } from '../drivers/transport/factory.js';
import { ModbusBusPool } from '../drivers/transport/modbus-client.js';
import { type PymodbusPeer, type RtuLine, startPymodbusRtu, startPymodbusTcp } from './helpers/pymodbus.js';

const BASE = 300;
const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;

interface TypedValue {
  name: string;
  address: number;
  type: string;
  order?: string;
  value: number | string;
  /** Map fields beyond type and order. */
  map?: Record<string, unknown>;
  expected: string;
}

const TYPED: TypedValue[] = [
  { name: 'i16', address: BASE, type: 'int16', value: -200, expected: '-200' },
  { name: 'i16_ba', address: BASE + 1, type: 'int16', order: 'BA', value: -12345, expected: '-12345' },
  { name: 'u16', address: BASE + 2, type: 'uint16', value: 65000, expected: '65000' },
  { name: 'u16_ba', address: BASE + 3, type: 'uint16', order: 'BA', value: 513, expected: '513' },
  ...ORDERS.map((order, i) => ({
    name: `i32_${order}`,
    address: BASE + 10 + 2 * i,
    type: 'int32',
    order,
    value: -1234567 - i,
    expected: String(-1234567 - i),
  })),
  ...ORDERS.map((order, i) => ({
    name: `u32_${order}`,
    address: BASE + 20 + 2 * i,
    type: 'uint32',
    order,
    value: 4_000_000_000 + i,
    expected: String(4_000_000_000 + i),
  })),
  ...ORDERS.map((order, i) => ({
    name: `f32_${order}`,
    address: BASE + 30 + 2 * i,
    type: 'float32',
    order,
    value: [1234.5, -0.1, 2.71875, 98765.4][i]!,
    expected: ['1234.5', '-0.1', '2.71875', '98765.4'][i]!,
  })),
  {
    name: 'scaled_i32',
    address: BASE + 40,
    type: 'int32',
    value: 123456,
    map: { scale: '0.001', unit: 'kg' },
    expected: '123.456',
  },
  {
    name: 'scaled_i16',
    address: BASE + 42,
    type: 'int16',
    value: -215,
    map: { scale: '0.1', unit: '°C' },
    expected: '-21.5',
  },
  {
    name: 'implied_u16',
    address: BASE + 43,
    type: 'uint16',
    value: 1235,
    map: { decimals: 2 },
    expected: '12.35',
  },
  {
    name: 'model',
    address: BASE + 50,
    type: 'string',
    value: 'MG-1 SCALE',
    map: { length: 5 },
    expected: 'MG-1 SCALE',
  },
  { name: 'f64', address: BASE + 60, type: 'float64', value: 0.1, expected: '0.1' },
];

/** A Tuna ID551PN at 0..5 and a Dini Argeo DGT4X at 201..214, laid out by pymodbus. */
const SCALES = [
  { address: 0, type: 'float32', order: 'ABCD', value: 12.35 },
  { address: 2, type: 'float32', order: 'ABCD', value: 17.35 },
  { address: 4, type: 'uint16', value: 0xa800 },
  { address: 201, type: 'uint16', value: 0x0042 },
  { address: 202, type: 'int32', order: 'ABCD', value: 1735 },
  { address: 213, type: 'int32', order: 'ABCD', value: 1235 },
];

const TABLES = {
  typed: [
    ...TYPED.map(({ address, type, order, value }) => ({ address, type, order: order ?? 'ABCD', value })),
    ...SCALES,
  ],
  coils: [true, false, true],
};

const REGISTER_MAP = [
  ...TYPED.map(({ name, address, type, order, map }) => ({
    name,
    address,
    type,
    ...(order ? { order } : {}),
    ...map,
  })),
  { name: 'coil0', table: 'coil', address: 0 },
  { name: 'coil1', table: 'coil', address: 1 },
  { name: 'coil2', table: 'coil', address: 2 },
];

const EXPECTED = {
  ...Object.fromEntries(TYPED.map(({ name, expected }) => [name, expected])),
  coil0: '1',
  coil1: '0',
  coil2: '1',
};

const LINE: RtuLine = { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 };

const values = (result: PollResult) => Object.fromEntries(result.readings.map((r) => [r.channel, r.value]));

describe.each(['tcp', 'rtu'] as const)('Modbus drivers against pymodbus over %s', (mode) => {
  let peer: PymodbusPeer | undefined;
  const busPool = new ModbusBusPool();
  const drivers: Driver[] = [];

  beforeAll(async () => {
    peer = mode === 'tcp' ? await startPymodbusTcp(TABLES) : await startPymodbusRtu(TABLES, LINE);
  });

  afterAll(async () => {
    for (const driver of drivers) await driver.close();
    await busPool.closeAll();
    await peer?.close();
  });

  const where = () =>
    mode === 'tcp' ? { host: peer!.host, tcpPort: peer!.port } : { port: peer!.path, ...LINE };

  function create<Config>(
    definition: typeof modbusGeneric | typeof scaleModbus,
    raw: Record<string, unknown>,
  ) {
    const config = definition.configSchema.parse({ ...where(), timeoutMs: 1000, ...raw }) as Config;
    const deps = createDriverDeps(definition, config, { logger: silentLogger(), busPool });
    const driver = (definition.create as (c: Config, d: typeof deps) => Driver)(config, deps);
    drivers.push(driver);
    return driver;
  }

  it('reads int16, uint16, int32, uint32 and float32 in every order, scaled ints, a string and coils', async () => {
    const driver = create(modbusGeneric, { registers: REGISTER_MAP, maxGap: 10 });
    await driver.connect(AbortSignal.timeout(5000));
    const result = await driver.poll(AbortSignal.timeout(5000));
    expect(result.errors).toEqual([]);
    expect(values(result)).toEqual(EXPECTED);
    expect(result.readings.find((r) => r.channel === 'scaled_i16')?.unit).toBe('°C');
  });

  it('reads the same values without merging holes (one request per contiguous run)', async () => {
    const driver = create(modbusGeneric, { registers: REGISTER_MAP, unitId: 17 });
    await driver.connect(AbortSignal.timeout(5000));
    expect(values(await driver.poll(AbortSignal.timeout(5000)))).toEqual(EXPECTED);
  });

  it('reads a Tuna ID551PN layout through scale-modbus', async () => {
    const driver = create(scaleModbus, {
      preset: 'id551pn',
      unit: 'kg',
      decimals: 2,
      channels: ['gross', 'zero'],
    });
    await driver.connect(AbortSignal.timeout(5000));
    const result = await driver.poll(AbortSignal.timeout(5000));
    expect(result.readings.map((r) => [r.channel, r.value, r.quality])).toEqual([
      ['weight', '12.35', 'good'],
      ['gross', '17.35', 'good'],
      ['zero', '0', 'good'],
    ]);
  });

  it('reads a Dini Argeo DGT4X layout through scale-modbus', async () => {
    const driver = create(scaleModbus, { preset: 'dgt4x', unit: 'kg', decimals: 2, channels: ['gross'] });
    await driver.connect(AbortSignal.timeout(5000));
    if (!isScaleDriver(driver)) throw new Error('not a scale driver');
    const stable = await driver.readStable(AbortSignal.timeout(5000), 3000);
    expect(stable).toMatchObject({ channel: 'weight', value: '12.35', unit: 'kg', quality: 'good' });
    const result = await driver.poll(AbortSignal.timeout(5000));
    expect(values(result)).toEqual({ weight: '12.35', gross: '17.35' });
  });
});
