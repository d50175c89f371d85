/**
 * An independent Modbus master (mbpoll, libmodbus) reads metrogate's simulated servers, Modbus TCP
 * and Modbus RTU on a pty, and must see the same values the drivers report: if the simulator and
 * the driver shared an ordering bug, mbpoll would disagree with both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../drivers/contract.js';
import { silentLogger } from '../drivers/logger.js';
import { modbusGeneric } from '../drivers/modbus/index.js';
import { scaleModbus } from '../drivers/scale-modbus/index.js';
import { createDriverDeps } from '../drivers/transport/factory.js';
import { ModbusBusPool } from '../drivers/transport/modbus-client.js';
import { FaultInjector } from '../simulators/faults.js';
import { float32Registers, int32Registers } from '../simulators/modbus/encode.js';
import { RegisterBank } from '../simulators/modbus/register-bank.js';
import { ModbusRtuServer } from '../simulators/modbus/rtu-server.js';
import { ModbusTcpServer } from '../simulators/modbus/tcp-server.js';
import { ScaleModel } from '../simulators/scale/model.js';
import { startModbusScale } from '../simulators/scale/protocols/modbus.js';
import { type MbpollRead, type MbpollTarget, mbpoll } from './helpers/mbpoll.js';

const LINE = { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 } as const;

function deviceBank(): RegisterBank {
  const bank = new RegisterBank();
  // The verified dump of device-protocols.md §4.1 at 0..5.
  bank.setWords('holding', 0, [...int32Registers(12345), 1, 1, ...float32Registers(1234.5)]);
  bank.setWords('holding', 10, int32Registers(-7654321, 'CDAB'));
  bank.setWords('holding', 12, float32Registers(-0.25, 'CDAB'));
  bank.setWords('holding', 14, [-300 & 0xffff, 40000]);
  bank.setWords('input', 0, [-215 & 0xffff]);
  bank.setBits('coil', 0, [true, false, true]);
  return bank;
}

/** Each register, how the driver maps it and how mbpoll reads it. */
const CASES: Array<{
  name: string;
  map: Record<string, unknown>;
  read: MbpollRead;
  mbpollValue: 'value' | 'signed';
}> = [
  {
    name: 'int32_abcd',
    map: { address: 0, type: 'int32' },
    read: { type: '4:int', reference: 0, bigEndian: true },
    mbpollValue: 'value',
  },
  {
    name: 'status',
    map: { address: 2, type: 'uint16' },
    read: { type: '4', reference: 2 },
    mbpollValue: 'value',
  },
  {
    name: 'float_abcd',
    map: { address: 4, type: 'float32' },
    read: { type: '4:float', reference: 4, bigEndian: true },
    mbpollValue: 'value',
  },
  {
    name: 'int32_cdab',
    map: { address: 10, type: 'int32', order: 'CDAB' },
    read: { type: '4:int', reference: 10 },
    mbpollValue: 'value',
  },
  {
    name: 'float_cdab',
    map: { address: 12, type: 'float32', order: 'CDAB' },
    read: { type: '4:float', reference: 12 },
    mbpollValue: 'value',
  },
  {
    name: 'int16',
    map: { address: 14, type: 'int16' },
    read: { type: '4', reference: 14 },
    mbpollValue: 'signed',
  },
  {
    name: 'uint16',
    map: { address: 15, type: 'uint16' },
    read: { type: '4', reference: 15 },
    mbpollValue: 'value',
  },
  {
    name: 'input_int16',
    map: { table: 'input', address: 0, type: 'int16' },
    read: { type: '3', reference: 0 },
    mbpollValue: 'signed',
  },
  {
    name: 'coil2',
    map: { table: 'coil', address: 2 },
    read: { type: '0', reference: 2 },
    mbpollValue: 'value',
  },
  {
    name: 'coil1',
    map: { table: 'coil', address: 1 },
    read: { type: '0', reference: 1 },
    mbpollValue: 'value',
  },
];

describe.each(['tcp', 'rtu'] as const)(
  'mbpoll and the modbus driver read the simulator over %s alike',
  (mode) => {
    const busPool = new ModbusBusPool();
    let closeServer: () => Promise<void> = async () => undefined;
    let target: MbpollTarget;
    let driverWhere: Record<string, unknown>;
    let driver: Driver | undefined;

    beforeAll(async () => {
      const bank = deviceBank();
      if (mode === 'tcp') {
        const server = await ModbusTcpServer.start({ source: bank, faults: new FaultInjector() });
        closeServer = () => server.close();
        target = { mode: 'tcp', host: '127.0.0.1', port: server.port };
        driverWhere = { host: '127.0.0.1', tcpPort: server.port };
      } else {
        const server = await ModbusRtuServer.onPty({ source: bank, line: LINE });
        closeServer = () => server.close();
        target = { mode: 'rtu', path: server.gatewayPath!, baudRate: LINE.baudRate, parity: 'even' };
        driverWhere = { port: server.gatewayPath, ...LINE };
      }
    });

    afterAll(async () => {
      await driver?.close();
      await busPool.closeAll();
      await closeServer();
    });

    it('agrees on every register', async () => {
      const config = modbusGeneric.configSchema.parse({
        ...driverWhere,
        registers: CASES.map(({ name, map }) => ({ name, ...map })),
      });
      driver = modbusGeneric.create(
        config,
        createDriverDeps(modbusGeneric, config, { logger: silentLogger(), busPool }),
      );
      await driver.connect(AbortSignal.timeout(3000));
      const result = await driver.poll(AbortSignal.timeout(3000));
      expect(result.errors).toEqual([]);
      const fromDriver = Object.fromEntries(result.readings.map((r) => [r.channel, r.value]));
      expect(fromDriver).toMatchObject({ int32_abcd: '12345', float_abcd: '1234.5', int32_cdab: '-7654321' });
      // The serial port is locked by the driver's client; mbpoll needs it.
      await busPool.closeAll();
      for (const { name, read, mbpollValue } of CASES) {
        const printed = (await mbpoll(target, read)).get(read.reference);
        const value = mbpollValue === 'signed' ? (printed?.signed ?? printed?.value) : printed?.value;
        expect(value, `${name}: mbpoll printed ${JSON.stringify(printed)}`).toBe(fromDriver[name]);
      }
    });
  },
);

describe('mbpoll reads the Modbus scale simulator as scale-modbus does', () => {
  it.each(['tcp', 'rtu-pty'] as const)('over %s', async (transport) => {
    const model = new ScaleModel({ max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0 });
    const sim = await startModbusScale(model, new FaultInjector(), {
      transport,
      line: LINE,
      protocolOptions: { preset: 'id551pn' },
    });
    const busPool = new ModbusBusPool();
    try {
      model.setLoad('12.345');
      const where =
        sim.endpoint.kind === 'modbus-tcp'
          ? { host: sim.endpoint.host, tcpPort: sim.endpoint.port }
          : { port: sim.endpoint.kind === 'modbus-rtu' ? sim.endpoint.path : '', ...LINE };
      const config = scaleModbus.configSchema.parse({ ...where, preset: 'id551pn', decimals: 2 });
      const driver = scaleModbus.create(
        config,
        createDriverDeps(scaleModbus, config, { logger: silentLogger(), busPool }),
      );
      await driver.connect(AbortSignal.timeout(3000));
      const weight = (await driver.poll(AbortSignal.timeout(3000))).readings[0]!;
      expect(weight.value).toBe('12.35');
      await driver.close();
      await busPool.closeAll();
      const target: MbpollTarget =
        sim.endpoint.kind === 'modbus-tcp'
          ? { mode: 'tcp', host: sim.endpoint.host, port: sim.endpoint.port }
          : {
              mode: 'rtu',
              path: sim.endpoint.kind === 'modbus-rtu' ? sim.endpoint.path : '',
              baudRate: 19200,
              parity: 'even',
            };
      const printed = await mbpoll(target, { type: '4:float', reference: 0, bigEndian: true });
      expect(printed.get(0)?.value).toBe(weight.value);
      const status = await mbpoll(target, { type: '4', reference: 4 });
      expect(Number(status.get(4)?.value)).toBe(0xa000);
    } finally {
      await busPool.closeAll();
      await sim.close();
    }
  });
});
