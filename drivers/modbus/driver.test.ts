import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../simulators/faults.js';
import { float32Registers, int32Registers } from '../../simulators/modbus/encode.js';
import { RegisterBank } from '../../simulators/modbus/register-bank.js';
import { ModbusRtuServer } from '../../simulators/modbus/rtu-server.js';
import { ModbusTcpServer } from '../../simulators/modbus/tcp-server.js';
import { type DriverContractSession, describeDriverContract } from '../../test/contract/driver-contract.js';
import { testDeps, useCleanup } from '../../test/helpers/driver-kit.js';
import type { PollResult } from '../contract.js';
import { silentLogger } from '../logger.js';
import { createDriverDeps } from '../transport/factory.js';
import { MemoryModbusClient, ModbusBusPool, type ModbusRegisterSource } from '../transport/modbus-client.js';
import type { ModbusConfig } from './config.js';
import { channelSpecsOfMap, loadRegisterMap, modbusGeneric } from './index.js';

const REGISTERS = [
  { name: 'counter', address: 0, type: 'int32' },
  { name: 'status', address: 2, type: 'uint16' },
  { name: 'flow', address: 4, type: 'float32', unit: 'L/min' },
  { name: 'temperature', table: 'input', address: 10, type: 'int16', scale: '0.1', unit: '°C' },
  { name: 'pump', table: 'coil', address: 3 },
];

const EXPECTED = {
  counter: '12345',
  status: '1',
  flow: '1234.5',
  temperature: '-21.5',
  pump: '1',
};

function deviceBank(): RegisterBank {
  const bank = new RegisterBank({ sizes: { holding: 100, input: 100, coil: 100, discrete: 100 } });
  // The verified dump of device-protocols.md §4.1: [0,12345,1,1,17562,20480].
  bank.setWords('holding', 0, [...int32Registers(12345), 1, 1, ...float32Registers(1234.5)]);
  bank.setWords('input', 10, [-215 & 0xffff]);
  bank.setBits('coil', 3, [true]);
  return bank;
}

function expectReadings(result: PollResult): void {
  const values = Object.fromEntries(result.readings.map((r) => [r.channel, r.value]));
  expect(values).toEqual(EXPECTED);
  expect(result.errors).toEqual([]);
  expect(result.readings.find((r) => r.channel === 'flow')?.unit).toBe('L/min');
}

/** Counts the calls that reach the device, so the contract can check init() makes none. */
function counting(source: ModbusRegisterSource): { source: ModbusRegisterSource; count: () => number } {
  let calls = 0;
  const counted: ModbusRegisterSource = {
    readWords: (...args) => {
      calls++;
      return source.readWords(...args);
    },
    readBits: (...args) => {
      calls++;
      return source.readBits(...args);
    },
    writeWords: (...args) => {
      calls++;
      source.writeWords(...args);
    },
    writeBit: (...args) => {
      calls++;
      source.writeBit(...args);
    },
  };
  return { source: counted, count: () => calls };
}

const RTU_LINE = { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 } as const;

async function setup(transport: 'memory' | 'tcp' | 'rtu-pty'): Promise<DriverContractSession> {
  const bank = deviceBank();
  const logger = silentLogger();
  const now = () => new Date();
  if (transport === 'memory') {
    const { source, count } = counting(bank);
    const client = new MemoryModbusClient(source);
    const config = modbusGeneric.configSchema.parse({ host: 'memory', timeoutMs: 300, registers: REGISTERS });
    const driver = modbusGeneric.create(config, { modbus: client, logger, now });
    return {
      driver,
      expectReadings,
      makeSilent: () => {
        client.silent = true;
      },
      restore: () => {
        client.silent = false;
      },
      close: () => driver.close(),
      ioCount: count,
    };
  }
  const faults = new FaultInjector();
  const busPool = new ModbusBusPool();
  let where: Record<string, unknown>;
  let closeServer: () => Promise<void>;
  if (transport === 'tcp') {
    const server = await ModbusTcpServer.start({ source: bank, faults });
    where = { host: server.host, tcpPort: server.port };
    closeServer = () => server.close();
  } else {
    const server = await ModbusRtuServer.onPty({ source: bank, faults, line: RTU_LINE });
    where = { port: server.gatewayPath, ...RTU_LINE };
    closeServer = () => server.close();
  }
  const config = modbusGeneric.configSchema.parse({ ...where, timeoutMs: 300, registers: REGISTERS });
  const deps = createDriverDeps(modbusGeneric, config, { logger, busPool, now });
  const driver = modbusGeneric.create(config, deps);
  return {
    driver,
    expectReadings,
    makeSilent: () => faults.inject({ kind: 'silence', count: 0 }),
    restore: () => faults.clear(),
    close: async () => {
      await driver.close();
      await busPool.closeAll();
      await closeServer();
    },
  };
}

describeDriverContract({ name: 'modbus', transports: ['memory', 'tcp', 'rtu-pty'] as const, setup });

describe('modbus driver partial failures', () => {
  const cleanup = useCleanup();
  /** A driver reading `source` through a MemoryModbusClient, connected, and closed after the test. */
  const connectedDriver = async (config: ModbusConfig, source: ModbusRegisterSource) => {
    const driver = modbusGeneric.create(config, testDeps({ modbus: new MemoryModbusClient(source) }));
    cleanup(() => driver.close());
    await driver.connect(AbortSignal.timeout(1000));
    return driver;
  };

  it('reports a failing request as errors of exactly its channels, and returns the others', async () => {
    const config = modbusGeneric.configSchema.parse({
      host: 'memory',
      registers: [...REGISTERS, { name: 'beyond', table: 'input', address: 200, type: 'uint32' }],
    });
    const driver = await connectedDriver(config, deviceBank());
    const result = await driver.poll(AbortSignal.timeout(1000));
    expect(Object.fromEntries(result.readings.map((r) => [r.channel, r.value]))).toEqual(EXPECTED);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ channel: 'beyond', code: 'MG_ERR_MODBUS_EXCEPTION' });
    expect(result.errors[0]!.message).toContain('illegal data address');
  });

  it('rejects with the first error when every request failed', async () => {
    const bank = deviceBank();
    bank.forceException(4, 0);
    const config = modbusGeneric.configSchema.parse({ host: 'memory', registers: REGISTERS });
    const driver = await connectedDriver(config, bank);
    await expect(driver.poll(AbortSignal.timeout(1000))).rejects.toMatchObject({
      code: 'MG_ERR_MODBUS_EXCEPTION',
      details: { exception: 4 },
    });
  });

  it('sets qualities from a status register', async () => {
    const bank = deviceBank();
    const config = modbusGeneric.configSchema.parse({
      host: 'memory',
      registers: [
        { name: 'level', address: 0, type: 'int32', scale: '0.01', unit: 'm' },
        { name: 'stable', address: 2, type: 'bool', bit: 0 },
      ],
      quality: [{ when: 'stable', equals: false, quality: 'unstable', channels: ['level'] }],
    });
    const driver = await connectedDriver(config, bank);
    let result = await driver.poll(AbortSignal.timeout(1000));
    expect(result.readings.map((r) => [r.channel, r.value, r.quality])).toEqual([
      ['level', '123.45', 'good'],
      ['stable', '1', 'good'],
    ]);
    bank.setWords('holding', 2, [0]);
    result = await driver.poll(AbortSignal.timeout(1000));
    expect(result.readings[0]).toMatchObject({ channel: 'level', quality: 'unstable' });
  });

  it('takes a map loaded from a file (the CLI --map option) into a device config unchanged', async () => {
    const map = loadRegisterMap(
      'registers:\n  - { name: level, address: 0, type: int32, scale: "0.01", unit: m }\nmaxGap: 2\n',
      'tank.yaml',
    );
    const config = modbusGeneric.configSchema.parse({ host: 'memory', unitId: 4, ...map });
    expect(config.registers).toEqual(map.registers);
    expect(channelSpecsOfMap(map)).toEqual([
      { name: 'level', valueType: 'decimal', unit: 'm', description: 'holding 0 int32' },
    ]);
    const driver = await connectedDriver(config, deviceBank());
    expect((await driver.poll(AbortSignal.timeout(1000))).readings[0]).toMatchObject({
      value: '123.45',
      unit: 'm',
    });
  });

  it('names the field at fault in an invalid config', () => {
    const result = modbusGeneric.configSchema.safeParse({
      host: 'h',
      registers: [
        { name: 'a', address: 0, type: 'int32' },
        { name: 'b', address: 1, type: 'double' },
      ],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['registers', 1, 'type']);
  });
});
