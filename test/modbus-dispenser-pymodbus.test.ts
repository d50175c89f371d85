/**
 * dispenser-modbus against an independent peer: Debian's pymodbus lays out a dispenser in the
 * driver's default map (and a flow computer in a map of its own), encoding every value itself
 * (BinaryPayloadBuilder), and serves it over Modbus TCP and Modbus RTU on a socat pty. The driver
 * must report exactly the decimals pymodbus was given, and its commands must reach the peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DispenserDriver, isDispenserDriver, type PollResult } from '../drivers/contract.js';
import { modbusEndpointOf } from '../drivers/definition.js';
import { dispenserModbus } from '../drivers/dispenser-modbus/index.js';
import { silentLogger } from '../drivers/logger.js';
import { createDriverDeps } from '../drivers/transport/factory.js';
import { ModbusBusPool } from '../drivers/transport/modbus-client.js';
import { type PymodbusPeer, type RtuLine, startPymodbusRtu, startPymodbusTcp } from './helpers/pymodbus.js';

/** A completed delivery on nozzle 1 in the default map: volume with 3 decimals, the rest with 2. */
const DEFAULT_MAP = [
  { address: 0, type: 'uint16', value: 5 }, // filling completed
  { address: 1, type: 'uint16', value: 1 },
  { address: 2, type: 'uint16', value: 0 },
  { address: 3, type: 'uint16', value: 3 },
  { address: 4, type: 'uint16', value: 2 },
  { address: 5, type: 'uint16', value: 2 },
  { address: 6, type: 'uint32', value: 20105 },
  { address: 8, type: 'uint32', value: 15863 },
  { address: 10, type: 'uint32', value: 789 },
  { address: 12, type: 'uint32', value: 0 },
  { address: 14, type: 'uint16', value: 0 },
  { address: 15, type: 'uint16', value: 0 },
  { address: 100, type: 'uint32', value: 123476885 },
  { address: 102, type: 'uint32', value: 97423262 },
  { address: 104, type: 'uint32', value: 4_000_000_000 },
  { address: 106, type: 'uint32', value: 55028396 },
];

/** A flow computer at 300..310: floats low word first, a float64 totalizer, its own status codes. */
const FLOW_COMPUTER = [
  { address: 300, type: 'uint16', value: 1 },
  { address: 302, type: 'float32', order: 'CDAB', value: 98765.43 },
  { address: 304, type: 'float32', order: 'CDAB', value: 12.5 },
  { address: 306, type: 'float64', order: 'ABCD', value: 1234567.891 },
  { address: 310, type: 'int16', value: -52 },
];

const FLOW_COMPUTER_MAP = {
  registers: [
    { name: 'status', address: 300 },
    { name: 'volume', address: 302, type: 'float32', order: 'CDAB', decimals: 2, unit: 'L' },
    { name: 'flow', address: 304, type: 'float32', order: 'CDAB', decimals: 1, unit: 'm3/h' },
    { name: 'volumeTotal', address: 306, type: 'float64', decimals: 3, unit: 'L' },
    { name: 'temperature', address: 310, type: 'int16', scale: '0.1', unit: '°C' },
  ],
  maxGap: 1,
  statusCodes: { '0': 'reset', '1': 'filling' },
};

// `holding` only makes the table present; the typed values fill it.
const TABLES = { holding: [] as number[], typed: [...DEFAULT_MAP, ...FLOW_COMPUTER] };
const LINE: RtuLine = { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 };

const readings = (result: PollResult) => result.readings.map((r) => [r.channel, r.value, r.unit, r.quality]);

describe.each(['tcp', 'rtu'] as const)('dispenser-modbus against pymodbus over %s', (mode) => {
  let peer: PymodbusPeer | undefined;
  const busPool = new ModbusBusPool();
  const drivers: DispenserDriver[] = [];

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

  async function connected(raw: Record<string, unknown>) {
    const config = dispenserModbus.configSchema.parse({ ...where(), timeoutMs: 1000, ...raw });
    const deps = createDriverDeps(dispenserModbus, config, { logger: silentLogger(), busPool });
    const driver = dispenserModbus.create(config, deps);
    if (!isDispenserDriver(driver)) throw new Error('not a dispenser driver');
    drivers.push(driver);
    await driver.connect(AbortSignal.timeout(5000));
    return { driver, config };
  }

  it('reads the default map exactly: implied decimals from the decimals registers, 32-bit totals', async () => {
    const { driver } = await connected({ nozzles: [1, 2] });
    const result = await driver.poll(AbortSignal.timeout(5000));
    expect(result.errors).toEqual([]);
    expect(readings(result)).toEqual([
      ['status', 'completed', '', 'good'],
      ['nozzle', '1', '', 'good'],
      ['nozzleOut', '0', '', 'good'],
      ['volume', '20.105', 'L', 'good'],
      ['amount', '158.63', 'CNY', 'good'],
      ['unitPrice', '7.89', 'CNY/L', 'good'],
      ['flow', '0.00', 'L/min', 'good'],
      ['alarm', '0', '', 'good'],
      ['volumeTotal.1', '123476.885', 'L', 'good'],
      ['amountTotal.1', '974232.62', 'CNY', 'good'],
      ['volumeTotal.2', '4000000.000', 'L', 'good'],
      ['amountTotal.2', '550283.96', 'CNY', 'good'],
    ]);
    expect(await driver.readTransaction(AbortSignal.timeout(5000))).toEqual({
      status: 'completed',
      nozzle: 1,
      nozzleOut: false,
      volume: '20.105',
      amount: '158.63',
      unitPrice: '7.89',
    });
    expect(await driver.readTotals(AbortSignal.timeout(5000), 2)).toEqual([
      { nozzle: 2, volumeTotal: '4000000.000', amountTotal: '550283.96' },
    ]);
  });

  it('writes the command register, and confirms only what the status register shows', async () => {
    const { driver, config } = await connected({ commandTimeoutMs: 300 });
    const client = busPool.get(modbusEndpointOf(config));
    const command = async () =>
      (await client.readRegisters(1, 'holding', 15, 1, { timeoutMs: 1000 })).readUInt16BE(0);
    // pymodbus stores the write but its status register stays "completed".
    await expect(driver.reset(AbortSignal.timeout(5000))).rejects.toMatchObject({
      code: 'MG_ERR_DEVICE_BUSY',
    });
    expect(await command()).toBe(5);
    await driver.stop(AbortSignal.timeout(5000));
    expect(await command()).toBe(8);
  });

  it('reads a flow computer through a map of its own: CDAB floats, a float64 totalizer, an extra channel', async () => {
    const { driver } = await connected({ map: FLOW_COMPUTER_MAP });
    const result = await driver.poll(AbortSignal.timeout(5000));
    expect(result.errors).toEqual([]);
    expect(readings(result)).toEqual([
      ['status', 'filling', '', 'good'],
      ['volume', '98765.43', 'L', 'unstable'],
      ['flow', '12.5', 'm3/h', 'good'],
      ['volumeTotal', '1234567.891', 'L', 'good'],
      ['temperature', '-5.2', '°C', 'good'],
    ]);
    expect(await driver.readTotals(AbortSignal.timeout(5000))).toEqual([
      { nozzle: 1, volumeTotal: '1234567.891', amountTotal: '' },
    ]);
  });
});
