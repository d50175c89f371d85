/**
 * The Modbus scale simulator against the golden register dumps of drivers/scale-modbus/testcases
 * (the driver decodes the same bytes there), and its command registers against the model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryModbusClient, ModbusSerialClient } from '../../../drivers/transport/modbus-client.js';
import { loadGoldenCases } from '../../../test/helpers/testcases.js';
import { FaultInjector } from '../../faults.js';
import { ScaleModel, type ScaleModelParams } from '../model.js';
import {
  MODBUS_SCALE_LINE,
  type ModbusScaleServer,
  parseModbusScaleOptions,
  ScaleRegisterSource,
  startModbusScale,
} from './modbus.js';

interface SimulateSpec {
  params?: Partial<ScaleModelParams>;
  /** In order: a front-panel key, a parameter change after power-on zero, a load placed. */
  steps?: Array<{
    configure?: Partial<ScaleModelParams>;
    load?: string;
    command?: 'zero' | 'tare' | 'clearTare';
  }>;
  protocolOptions?: Record<string, unknown>;
  dump: { address: number; count: number };
}

const T0 = 1_000_000;

function registerBytes(words: number[]): string {
  const bytes = Buffer.alloc(words.length * 2);
  words.forEach((word, i) => {
    bytes.writeUInt16BE(word, i * 2);
  });
  return bytes.toString('hex');
}

describe('modbus scale simulator reproduces the golden register dumps', () => {
  const cases = loadGoldenCases('scale-modbus').filter((c) => c.simulate !== undefined);

  it('has dumps to reproduce', () => {
    expect(cases.length).toBeGreaterThanOrEqual(6);
  });

  for (const testCase of cases) {
    it(testCase.name, () => {
      const spec = testCase.simulate as unknown as SimulateSpec;
      const model = new ScaleModel(spec.params ?? {}, () => T0);
      for (const step of spec.steps ?? []) {
        if (step.configure) model.configure(step.configure);
        if (step.load !== undefined) model.setLoad(step.load);
        if (step.command) model[step.command]();
      }
      const source = new ScaleRegisterSource(model, parseModbusScaleOptions(spec.protocolOptions));
      expect(registerBytes(source.dump(spec.dump.address, spec.dump.count))).toBe(
        testCase.frame.toString('hex'),
      );
    });
  }
});

describe('modbus scale registers', () => {
  const model = () => new ScaleModel({ max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0 });

  it('ID551PN demand bits act on a rising edge only', () => {
    const m = model();
    const source = new ScaleRegisterSource(m, parseModbusScaleOptions({ preset: 'id551pn' }));
    m.setLoad('5');
    source.writeWords(1, 5, [1 << 12]);
    expect(m.indication().tare).toBe('5.00');
    m.setLoad('7');
    source.writeWords(1, 5, [1 << 12]);
    expect(m.indication().tare).toBe('5.00');
    source.writeWords(1, 5, [0]);
    source.writeWords(1, 5, [1 << 12]);
    expect(m.indication().tare).toBe('7.00');
    // Bit 12 held, bit 13 rising: only the clear acts.
    source.writeWords(1, 5, [(1 << 12) | (1 << 13)]);
    expect(m.indication().tare).toBe('0.00');
    expect(m.indication().net).toBe('7.00');
    expect(source.readWords(1, 'holding', 5, 1)).toEqual([(1 << 12) | (1 << 13)]);
  });

  it('generic command register zeroes, tares and clears', () => {
    const m = model();
    const source = new ScaleRegisterSource(m, parseModbusScaleOptions({ preset: 'generic' }));
    m.configure({ zeroOffset: '0.2' });
    m.setLoad('0');
    source.writeWords(1, 8, [1]);
    expect(m.indication().net).toBe('0.00');
    m.setLoad('3');
    source.writeWords(1, 8, [2]);
    expect(m.indication().net).toBe('0.00');
    source.writeWords(1, 8, [3]);
    expect(m.indication().net).toBe('3.00');
  });

  it('answers the exceptions of a real device', () => {
    const source = new ScaleRegisterSource(model(), parseModbusScaleOptions({ preset: 'dgt4x' }));
    expect(() => source.readWords(1, 'holding', 0, 2)).toThrow(
      expect.objectContaining({ modbusException: 2 }),
    );
    expect(() => source.readWords(1, 'holding', 201, 126)).toThrow(
      expect.objectContaining({ modbusException: 3 }),
    );
    expect(() => source.readBits()).toThrow(expect.objectContaining({ modbusException: 1 }));
    expect(source.readWords(1, 'holding', 201, 14)).toHaveLength(14);
  });

  it('refuses unknown presets and unit ids with the option named', () => {
    expect(() => parseModbusScaleOptions({ preset: 'nope' })).toThrow(/protocolOptions|preset "nope"/);
    expect(() => parseModbusScaleOptions({ unitId: 0 })).toThrow(/unitId/);
  });
});

describe('startModbusScale transports', () => {
  let server: ModbusScaleServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves the model in memory, silent for other unit ids', async () => {
    const m = new ScaleModel({ max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0 });
    server = await startModbusScale(m, new FaultInjector(), {
      transport: 'memory',
      line: MODBUS_SCALE_LINE,
      protocolOptions: { preset: 'generic', unitId: 3 },
    });
    if (server.endpoint.kind !== 'modbus-memory') throw new Error('expected memory');
    const client = new MemoryModbusClient(server.endpoint.source);
    await client.connect();
    m.setLoad('1.5');
    const words = await client.readRegisters(3, 'holding', 0, 2, { timeoutMs: 100 });
    expect(words.readInt32BE(0)).toBe(150);
    await expect(client.readRegisters(4, 'holding', 0, 2, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'MG_ERR_TIMEOUT',
    });
  });

  it('serves Modbus TCP, drops connections on disconnect and listens again on the same port', async () => {
    const m = new ScaleModel({ max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0 });
    server = await startModbusScale(m, new FaultInjector(), {
      transport: 'tcp',
      line: MODBUS_SCALE_LINE,
      tcpPort: 0,
      host: '127.0.0.1',
      protocolOptions: { preset: 'id551pn' },
    });
    if (server.endpoint.kind !== 'modbus-tcp') throw new Error('expected tcp');
    const client = new ModbusSerialClient({
      kind: 'tcp',
      host: server.endpoint.host,
      port: server.endpoint.port,
    });
    m.setLoad('2.5');
    expect((await client.readRegisters(1, 'holding', 0, 2, { timeoutMs: 500 })).readFloatBE(0)).toBe(2.5);
    const unplugged = server.disconnect(300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(client.readRegisters(1, 'holding', 0, 2, { timeoutMs: 200 })).rejects.toMatchObject({
      code: expect.stringMatching(/MG_ERR_(CONNECT_FAILED|PORT_CLOSED|TIMEOUT)/),
    });
    await unplugged;
    expect((await client.readRegisters(1, 'holding', 0, 2, { timeoutMs: 500 })).readFloatBE(0)).toBe(2.5);
    await client.close();
  });
});
