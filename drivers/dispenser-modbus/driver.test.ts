import { describe, expect, it } from 'vitest';
import { type DispenserSimulator, startDispenserSimulator } from '../../simulators/dispenser/index.js';
import type { DispenserModel, DispenserModelParams } from '../../simulators/dispenser/model.js';
import { float32Registers, int32Registers } from '../../simulators/modbus/encode.js';
import { RegisterBank } from '../../simulators/modbus/register-bank.js';
import { type DriverContractSession, describeDriverContract } from '../../test/contract/driver-contract.js';
import { rejectionOf, signal, testDeps, useCleanup } from '../../test/helpers/driver-kit.js';
import { type DispenserDriver, isDispenserDriver, type PollResult } from '../contract.js';
import { silentLogger } from '../logger.js';
import { createDriverDeps } from '../transport/factory.js';
import { MemoryModbusClient, ModbusBusPool, type ModbusRegisterSource } from '../transport/modbus-client.js';
import { dispenserModbus } from './index.js';

type Transport = 'memory' | 'tcp' | 'rtu-pty';

/** Counts the calls that reach the device, so the contract can check init() makes none. */
function counting(source: ModbusRegisterSource): { source: ModbusRegisterSource; count: () => number } {
  let calls = 0;
  const count =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A) => {
      calls++;
      return fn(...args);
    };
  return {
    source: {
      readWords: count(source.readWords.bind(source)),
      readBits: count(source.readBits.bind(source)),
      writeWords: count(source.writeWords.bind(source)),
      writeBit: count(source.writeBit.bind(source)),
    },
    count: () => calls,
  };
}

interface Session {
  driver: DispenserDriver;
  sim: DispenserSimulator;
  model: DispenserModel;
  ioCount?: () => number;
  close(): Promise<void>;
}

/** A dispenser-modbus driver on the Modbus dispenser simulator (pump = unit 1), not yet connected. */
async function startSession(
  transport: Transport,
  options: {
    params?: Partial<DispenserModelParams>;
    protocolOptions?: Record<string, unknown>;
    driverConfig?: Record<string, unknown>;
  } = {},
): Promise<Session> {
  const sim = await startDispenserSimulator({
    protocol: 'modbus',
    transport,
    pumps: [{ address: 1, ...(options.params ? { params: options.params } : {}) }],
    ...(options.protocolOptions ? { protocolOptions: options.protocolOptions } : {}),
  });
  const endpoint = sim.endpoint;
  const where =
    endpoint.kind === 'modbus-tcp'
      ? { host: endpoint.host, tcpPort: endpoint.port }
      : endpoint.kind === 'modbus-rtu'
        ? { port: endpoint.path, ...sim.line }
        : { host: 'memory' };
  const config = dispenserModbus.configSchema.parse({
    ...where,
    timeoutMs: 300,
    commandTimeoutMs: 300,
    nozzles: [1, 2],
    ...options.driverConfig,
  });
  const busPool = new ModbusBusPool();
  const logger = silentLogger();
  const now = () => new Date();
  let ioCount: (() => number) | undefined;
  let deps: ReturnType<typeof createDriverDeps>;
  if (endpoint.kind === 'modbus-memory') {
    const counted = counting(endpoint.source);
    ioCount = counted.count;
    deps = { modbus: new MemoryModbusClient(counted.source), logger, now };
  } else deps = createDriverDeps(dispenserModbus, config, { logger, busPool, now });
  const driver = dispenserModbus.create(config, deps);
  if (!isDispenserDriver(driver)) throw new Error('not a dispenser driver');
  return {
    driver,
    sim,
    model: sim.pumps.get(1)!,
    ...(ioCount ? { ioCount } : {}),
    close: async () => {
      await driver.close();
      await busPool.closeAll();
      await sim.close();
    },
  };
}

const values = (result: PollResult) => Object.fromEntries(result.readings.map((r) => [r.channel, r.value]));

/** What the pump's own display and totalizers show, as readings. */
function expectedFrom(model: DispenserModel): Record<string, string> {
  const snapshot = model.snapshot();
  const expected: Record<string, string> = {
    status: snapshot.state,
    nozzle: String(snapshot.nozzle),
    nozzleOut: snapshot.nozzleOut ? '1' : '0',
    volume: snapshot.volume,
    amount: snapshot.amount,
    unitPrice: snapshot.unitPrice,
    flow: '0.00',
    alarm: '0',
  };
  for (const total of snapshot.totals) {
    expected[`volumeTotal.${total.nozzle}`] = total.volume;
    expected[`amountTotal.${total.nozzle}`] = total.amount;
  }
  return expected;
}

// A delivery of 20 L on nozzle 1 through a meter reading 0.5 % high, in simulated time ×1000.
const BENCH_PUMP: Partial<DispenserModelParams> = {
  meterError: { offsetPercent: '0.5', curve: [] },
  timeScale: 1000,
};

describeDriverContract({
  name: 'dispenser-modbus',
  transports: ['memory', 'tcp', 'rtu-pty'] as const,
  async setup(transport): Promise<DriverContractSession> {
    const session = await startSession(transport, { params: BENCH_PUMP });
    await session.model.deliver({ nozzle: 1, flow: '40', trueVolume: '20' });
    return {
      driver: session.driver,
      expectReadings(result) {
        expect(result.errors).toEqual([]);
        expect(values(result)).toEqual(expectedFrom(session.model));
        expect(values(result)).toMatchObject({ status: 'completed', volume: '20.10', amount: '158.59' });
        expect(result.readings.find((r) => r.channel === 'volume')).toMatchObject({
          unit: 'L',
          quality: 'good',
        });
      },
      makeSilent: () => session.sim.faults.inject({ kind: 'silence', count: 0 }),
      restore: () => session.sim.faults.clear(),
      close: () => session.close(),
      ...(session.ioCount ? { ioCount: session.ioCount } : {}),
    };
  },
});

describe('dispenser-modbus as a DispenserDriver', () => {
  const cleanup = useCleanup();
  const start = async (options: Parameters<typeof startSession>[1] = {}, transport: Transport = 'memory') => {
    const session = await startSession(transport, options);
    cleanup(() => session.close());
    await session.driver.connect(signal());
    return session;
  };

  it('runs a delivery: reset, authorize, fill, stop, each confirmed by the pump state', async () => {
    const { driver, model } = await start({}, 'tcp');
    await driver.reset(signal());
    expect(model.snapshot().state).toBe('reset');
    await driver.authorize(signal());
    expect(model.snapshot().state).toBe('authorized');
    expect(model.liftNozzle(2)).toBe('ok');
    expect(model.setFlow('30')).toBe('ok');
    expect(await driver.readTransaction(signal())).toMatchObject({
      status: 'filling',
      nozzle: 2,
      nozzleOut: true,
      unitPrice: '8.41',
    });
    const live = await driver.poll(signal());
    expect(live.readings.find((r) => r.channel === 'volume')?.quality).toBe('unstable');
    expect(live.readings.find((r) => r.channel === 'flow')?.value).toBe('30.00');
    await driver.stop(signal());
    const final = model.snapshot();
    expect(final.state).toBe('completed');
    expect(await driver.readTransaction(signal())).toEqual({
      status: 'completed',
      nozzle: 2,
      nozzleOut: true,
      volume: final.volume,
      amount: final.amount,
      unitPrice: '8.41',
    });
    const nozzle2 = final.totals.find((t) => t.nozzle === 2)!;
    expect(await driver.readTotals(signal(), 2)).toEqual([
      { nozzle: 2, volumeTotal: nozzle2.volume, amountTotal: nozzle2.amount },
    ]);
    expect((await driver.readTotals(signal())).map((t) => t.nozzle)).toEqual([1, 2]);
  });

  it('reports a command the pump does not follow as MG_ERR_DEVICE_BUSY with the state it stays in', async () => {
    const { driver, model } = await start({ params: BENCH_PUMP });
    await model.deliver({ nozzle: 1, flow: '40', trueVolume: '2' });
    // DART rule: AUTHORIZE only from RESET.
    const error = await rejectionOf(driver.authorize(signal()), ['MG_ERR_DEVICE_BUSY']);
    expect(error.message).toMatch(/authorize not confirmed: the pump stays completed after 300 ms/);
    expect(error.message).toContain('modbus-memory');
    expect(model.snapshot().state).toBe('completed');
  });

  it('refuses a command the map does not have, and totals of a nozzle it does not read', async () => {
    const { driver } = await start({
      driverConfig: { overrides: { commands: { stop: null } }, nozzles: [1] },
    });
    const error = await rejectionOf(driver.stop(signal()), ['MG_ERR_COMMAND_UNSUPPORTED']);
    expect(error.message).toContain('overrides.commands.stop');
    await rejectionOf(driver.readTotals(signal(), 2), ['MG_ERR_CONFIG_INVALID']);
    const noTotals = await start({ driverConfig: { overrides: { totals: null } } });
    await rejectionOf(noTotals.driver.readTotals(signal()), ['MG_ERR_COMMAND_UNSUPPORTED']);
    expect((await noTotals.driver.poll(signal())).readings.map((r) => r.channel)).not.toContain(
      'volumeTotal.1',
    );
  });

  it('reads a pump whose 32-bit values are low word first once the config says so', async () => {
    const params = { decimals: { volume: 3, amount: 2, unitPrice: 3 } };
    const right = await start({
      params,
      protocolOptions: { wordOrder: 'CDAB' },
      driverConfig: { wordOrder: 'CDAB' },
    });
    expect(values(await right.driver.poll(signal()))).toMatchObject({
      unitPrice: '7.890',
      'volumeTotal.1': '123456.780',
      'amountTotal.2': '550283.96',
    });
    const wrong = await start({ params, protocolOptions: { wordOrder: 'CDAB' } });
    expect(values(await wrong.driver.poll(signal())).unitPrice).not.toBe('7.890');
  });

  it('keeps the live readings when only the totalizer request fails', async () => {
    // Totalizers moved outside what the simulated pump answers: exception 2 for that request only.
    const { driver } = await start({ driverConfig: { overrides: { totals: { base: 170 } } } });
    const result = await driver.poll(signal());
    expect(values(result)).toMatchObject({ status: 'reset', volume: '0.00' });
    expect(result.errors.map((e) => [e.channel, e.code])).toEqual([
      ['volumeTotal.1', 'MG_ERR_MODBUS_EXCEPTION'],
      ['amountTotal.1', 'MG_ERR_MODBUS_EXCEPTION'],
      ['volumeTotal.2', 'MG_ERR_MODBUS_EXCEPTION'],
      ['amountTotal.2', 'MG_ERR_MODBUS_EXCEPTION'],
    ]);
    await rejectionOf(driver.readTotals(signal()), ['MG_ERR_MODBUS_EXCEPTION']);
  });

  it('reads a flow computer through a map of its own', async () => {
    const bank = new RegisterBank({ sizes: { holding: 0, input: 32, coil: 0, discrete: 8 } });
    bank.setWords('input', 0, [1, 0, ...float32Registers(98765.43, 'CDAB'), ...int32Registers(-52)]);
    bank.setBits('discrete', 2, [true]);
    const config = dispenserModbus.configSchema.parse({
      host: 'memory',
      map: {
        registers: [
          { name: 'status', table: 'input', address: 0 },
          {
            name: 'volume',
            table: 'input',
            address: 2,
            type: 'float32',
            order: 'CDAB',
            decimals: 2,
            unit: 'L',
          },
          { name: 'temperature', table: 'input', address: 4, type: 'int32', scale: '0.1', unit: '°C' },
          { name: 'nozzleOut', table: 'discrete', address: 2 },
        ],
        statusCodes: { '0': 'reset', '1': 'filling' },
      },
    });
    const driver = dispenserModbus.create(config, testDeps({ modbus: new MemoryModbusClient(bank) }));
    cleanup(() => driver.close());
    if (!isDispenserDriver(driver)) throw new Error('not a dispenser driver');
    await driver.connect(signal());
    const result = await driver.poll(signal());
    expect(result.readings.map((r) => [r.channel, r.value, r.unit, r.quality])).toEqual([
      ['status', 'filling', '', 'good'],
      ['volume', '98765.43', 'L', 'unstable'],
      ['temperature', '-5.2', '°C', 'good'],
      ['nozzleOut', '1', '', 'good'],
    ]);
    expect(await driver.readTransaction(signal())).toEqual({
      status: 'filling',
      nozzle: 0,
      nozzleOut: true,
      volume: '98765.43',
      amount: '',
      unitPrice: '',
    });
    await rejectionOf(driver.reset(signal()), ['MG_ERR_COMMAND_UNSUPPORTED']);
  });
});
