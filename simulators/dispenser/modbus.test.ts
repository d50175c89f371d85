/**
 * The Modbus dispenser simulator against the golden register dumps of
 * drivers/dispenser-modbus/testcases (the driver decodes the same bytes there), its command
 * register against the model, and its three transports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryModbusClient, ModbusSerialClient } from '../../drivers/transport/modbus-client.js';
import { loadGoldenCases } from '../../test/helpers/testcases.js';
import { type DispenserSimulator, startDispenserSimulator } from './index.js';
import { DispenserRegisterSource, parseModbusDispenserOptions } from './modbus.js';
import { DispenserModel, type DispenserModelParams } from './model.js';

interface SimulateSpec {
  params?: Partial<DispenserModelParams>;
  protocolOptions?: Record<string, unknown>;
  /** In order: what a controller commands, what the customer does, and time passing. */
  steps?: Array<{
    command?: 'reset' | 'authorize' | 'stop';
    lift?: number;
    hang?: boolean;
    flow?: string;
    alarms?: number[];
    advanceMs?: number;
  }>;
  /** The register ranges the driver's read plan requests, in order. */
  dump: Array<{ address: number; count: number }>;
}

function registerBytes(words: number[]): string {
  const bytes = Buffer.alloc(words.length * 2);
  words.forEach((word, i) => {
    bytes.writeUInt16BE(word, i * 2);
  });
  return bytes.toString('hex');
}

/** A model on a clock that moves only when a step says so. */
function modelAt(params: Partial<DispenserModelParams> = {}) {
  let now = 1_000_000;
  const model = new DispenserModel(params, () => now);
  return {
    model,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('modbus dispenser simulator reproduces the golden register dumps', () => {
  const cases = loadGoldenCases('dispenser-modbus').filter((c) => c.simulate !== undefined);

  it('has dumps to reproduce', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
  });

  for (const testCase of cases) {
    it(testCase.name, () => {
      const spec = testCase.simulate as unknown as SimulateSpec;
      const { model, advance } = modelAt(spec.params);
      for (const step of spec.steps ?? []) {
        if (step.command) expect(model[step.command]()).toBe('ok');
        if (step.lift !== undefined) expect(model.liftNozzle(step.lift)).toBe('ok');
        if (step.flow !== undefined) expect(model.setFlow(step.flow)).toBe('ok');
        if (step.alarms) model.setAlarms(step.alarms);
        if (step.advanceMs !== undefined) advance(step.advanceMs);
        if (step.hang) expect(model.hangNozzle()).toBe('ok');
      }
      const source = new DispenserRegisterSource(model, parseModbusDispenserOptions(spec.protocolOptions));
      const dump = spec.dump.flatMap(({ address, count }) => source.dump(address, count));
      expect(registerBytes(dump)).toBe(testCase.frame.toString('hex'));
    });
  }
});

describe('modbus dispenser registers', () => {
  it('runs reset, authorize and stop from the command register and reads the last command back', () => {
    const { model, advance } = modelAt();
    const source = new DispenserRegisterSource(model);
    source.writeWords(1, 15, [5]);
    source.writeWords(1, 15, [6]);
    expect(source.readWords(1, 'holding', 0, 1)).toEqual([2]);
    model.liftNozzle(1);
    expect(model.setFlow('30')).toBe('ok');
    advance(1000);
    expect(source.readWords(1, 'holding', 0, 3)).toEqual([4, 1, 0b011]);
    source.writeWords(1, 15, [8]);
    expect(model.snapshot().state).toBe('completed');
    expect(source.readWords(1, 'holding', 6, 2)).toEqual([0, 50]);
    expect(source.readWords(1, 'holding', 15, 1)).toEqual([8]);
  });

  it('accepts a refused command and shows it only in the state', () => {
    const { model } = modelAt();
    const source = new DispenserRegisterSource(model);
    source.writeWords(1, 15, [6]);
    source.writeWords(1, 15, [6]);
    expect(model.snapshot().state).toBe('authorized');
    model.liftNozzle(1);
    source.writeWords(1, 15, [5]);
    expect(source.readWords(1, 'holding', 0, 1)).toEqual([4]);
  });

  it('answers the exceptions of a real device', () => {
    const source = new DispenserRegisterSource(modelAt().model);
    const exception = (code: number) => expect.objectContaining({ modbusException: code });
    expect(() => source.readWords(1, 'holding', 14, 4)).toThrow(exception(2));
    expect(() => source.readWords(1, 'holding', 50, 1)).toThrow(exception(2));
    expect(() => source.readWords(1, 'holding', 100, 126)).toThrow(exception(3));
    expect(() => source.writeWords(1, 6, [1])).toThrow(exception(2));
    expect(() => source.writeWords(1, 15, [7])).toThrow(exception(3));
    expect(() => source.readBits()).toThrow(exception(1));
    expect(source.readWords(1, 'input', 100, 60)).toHaveLength(60);
  });

  it('refuses an unknown word order with the option named', () => {
    expect(() => parseModbusDispenserOptions({ wordOrder: 'ADBC' })).toThrow(/wordOrder/);
  });
});

describe('startDispenserSimulator over Modbus', () => {
  let sim: DispenserSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('serves every pump at its unit id in memory, silent for other ids', async () => {
    sim = await startDispenserSimulator({
      protocol: 'modbus',
      transport: 'memory',
      pumps: [{ address: 3 }, { address: 4, params: { decimals: { volume: 3, amount: 2, unitPrice: 2 } } }],
    });
    if (sim.endpoint.kind !== 'modbus-memory') throw new Error('expected memory');
    const client = new MemoryModbusClient(sim.endpoint.source);
    await client.connect();
    const decimalsOf = async (unit: number) =>
      (await client.readRegisters(unit, 'holding', 3, 1, { timeoutMs: 100 })).readUInt16BE(0);
    expect(await decimalsOf(3)).toBe(2);
    expect(await decimalsOf(4)).toBe(3);
    await expect(decimalsOf(5)).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
    sim.faults.inject({ kind: 'silence', count: 1 });
    await expect(decimalsOf(3)).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
    expect(await decimalsOf(3)).toBe(2);
  });

  it('serves Modbus TCP and RTU on a pty at the Modbus default line', async () => {
    for (const transport of ['tcp', 'rtu-pty'] as const) {
      sim = await startDispenserSimulator({ protocol: 'modbus', transport });
      expect(sim.line).toEqual({ baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 });
      const endpoint = sim.endpoint;
      const client =
        endpoint.kind === 'modbus-tcp'
          ? new ModbusSerialClient({ kind: 'tcp', host: endpoint.host, port: endpoint.port })
          : endpoint.kind === 'modbus-rtu'
            ? new ModbusSerialClient({ kind: 'rtu', serial: { path: endpoint.path, ...sim.line } })
            : undefined;
      if (!client) throw new Error(`unexpected endpoint ${endpoint.kind}`);
      try {
        await client.writeRegisters(1, 15, [6], { timeoutMs: 1000 });
        expect(sim.pumps.get(1)!.snapshot().state).toBe('authorized');
        const totals = await client.readRegisters(1, 'holding', 100, 4, { timeoutMs: 1000 });
        expect([totals.readUInt32BE(0), totals.readUInt32BE(4)]).toEqual([12345678, 97407399]);
      } finally {
        await client.close();
        await sim.close();
        sim = undefined;
      }
    }
  });

  it('refuses a pump address that is not a Modbus unit id', async () => {
    await expect(
      startDispenserSimulator({ protocol: 'modbus', transport: 'memory', pumps: [{ address: 0x150 }] }),
    ).rejects.toMatchObject({ code: 'MG_ERR_CONFIG_INVALID' });
  });
});
