/**
 * Modbus polling rates.
 *
 * TCP: the same registers read from the same simulator server (its own process) by a bare
 * modbus-serial loop, through metrogate's per-bus client and RequestQueue (target: at least 0.9 of the
 * bare loop's polls/s), and by whole scale-modbus driver polls (queue + decoding + Readings; reported).
 *
 * RTU: the same driver on a pty whose simulator holds every reply for the wire time of the baud rate
 * (peers.md §4.1: wire(request + response) + 2 × t3.5). Target: at least 0.9 of that wire limit at
 * 9600, 19200 and 115200 baud.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import modbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusRTUClient } from 'modbus-serial/ModbusRTU.js';
import { silentLogger } from '../drivers/logger.js';
import { planMap, predictWireTime } from '../drivers/modbus/protocol.js';
import { getDriver } from '../drivers/registry.js';
import { SCALE_PRESETS } from '../drivers/scale-modbus/presets.js';
import { scaleRegisterMap } from '../drivers/scale-modbus/protocol.js';
import { createDriverDeps } from '../drivers/transport/factory.js';
import { ModbusBusPool, ModbusSerialClient } from '../drivers/transport/modbus-client.js';
import { round } from './helpers/stats.js';

const ModbusRTU = modbusSerial as unknown as typeof ModbusRTUClient;
/** What the scale-modbus driver reads per poll with the generic preset (one request). */
const DRIVER_PLAN = planMap(scaleRegisterMap(SCALE_PRESETS.generic, { gross: false }));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BIN = join(process.cwd(), 'bin/metrogate.js');

interface Simulator {
  ready: Record<string, unknown>;
  child: ChildProcess;
}

async function startSimulator(args: string[]): Promise<Simulator> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'sim',
      'scale',
      '--protocol',
      'modbus',
      '--max',
      '30',
      '--e',
      '0.01',
      '--unit',
      'kg',
      '--load',
      '12.34',
      '--param',
      'settlingMs=0',
      ...args,
      '--json',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, METROGATE_USE_DIST: process.env.METROGATE_USE_DIST ?? '' },
    },
  );
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', resolve),
  );
  return { ready: JSON.parse(line) as Record<string, unknown>, child };
}

function stop(sim: Simulator): Promise<void> {
  return new Promise((resolve) => {
    sim.child.once('exit', () => resolve());
    sim.child.kill('SIGTERM');
  });
}

/** Counts completed calls of `once` during `seconds`. */
async function rate(seconds: number, once: () => Promise<unknown>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let count = 0;
  const started = performance.now();
  while (performance.now() < until) {
    await once();
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

async function connectScaleDriver(config: Record<string, unknown>) {
  const definition = getDriver('scale-modbus');
  const parsed = definition.configSchema.parse({ preset: 'generic', unit: 'kg', timeoutMs: 2000, ...config });
  const busPool = new ModbusBusPool();
  const driver = definition.create(
    parsed,
    createDriverDeps(definition, parsed, { logger: silentLogger(), busPool }),
  );
  driver.init();
  await driver.connect(AbortSignal.timeout(5000));
  const signal = new AbortController().signal;
  return {
    poll: async () => {
      const result = await driver.poll(signal);
      if (result.readings[0]?.value !== '12.34')
        throw new Error(`unexpected ${JSON.stringify(result.readings[0])}`);
    },
    close: async () => {
      await driver.close();
      await busPool.closeAll();
    },
  };
}

export interface ModbusTcpResult {
  seconds: number;
  registersPerPoll: number;
  barePollsPerSecond: number;
  /** The same read through metrogate's per-bus client and its RequestQueue. */
  queuePollsPerSecond: number;
  /** A whole scale-modbus poll: queue, decoding, status bits, Readings. */
  driverPollsPerSecond: number;
  queueRatio: number;
  driverRatio: number;
  target: number;
  pass: boolean;
}

export async function benchModbusTcp(): Promise<ModbusTcpResult> {
  const sim = await startSimulator(['--tcp-port', '0']);
  const host = sim.ready.host as string;
  const port = sim.ready.tcpPort as number;
  if (DRIVER_PLAN.length !== 1) throw new Error('the bare loop mirrors a one-request plan');
  const { address, count: registersPerPoll } = DRIVER_PLAN[0]!;
  try {
    const bare = new ModbusRTU();
    await bare.connectTCP(host, { port });
    bare.setID(1);
    bare.setTimeout(2000);
    const driver = await connectScaleDriver({ host, tcpPort: port });
    const queued = new ModbusSerialClient({ kind: 'tcp', host, port });
    await queued.connect();
    const signal = new AbortController().signal;
    const bareRead = () => bare.readHoldingRegisters(address, registersPerPoll);
    const queuedRead = () =>
      queued.readRegisters(1, 'holding', address, registersPerPoll, { timeoutMs: 2000, signal });
    // The machine's speed drifts (a shared VM): short alternating rounds compare each measured round
    // with the bare round just before it, and the median of those ratios is reported.
    const rounds = Math.max(4, Math.round(SECONDS * 2));
    const bareRates: number[] = [];
    const queueRates: number[] = [];
    const driverRates: number[] = [];
    await rate(1, bareRead);
    await rate(1, queuedRead);
    await rate(1, driver.poll);
    for (let i = 0; i < rounds; i++) {
      bareRates.push(await rate(0.5, bareRead));
      queueRates.push(await rate(0.5, queuedRead));
      driverRates.push(await rate(0.5, driver.poll));
    }
    await driver.close();
    await queued.close();
    await new Promise<void>((resolve) => bare.close(() => resolve()));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const queueRatio = median(queueRates.map((r, i) => r / bareRates[i]!));
    const driverRatio = median(driverRates.map((r, i) => r / bareRates[i]!));
    return {
      seconds: SECONDS,
      registersPerPoll,
      barePollsPerSecond: round(median(bareRates), 1),
      queuePollsPerSecond: round(median(queueRates), 1),
      driverPollsPerSecond: round(median(driverRates), 1),
      queueRatio: round(queueRatio, 3),
      driverRatio: round(driverRatio, 3),
      target: 0.9,
      pass: queueRatio >= 0.9,
    };
  } finally {
    await stop(sim);
  }
}

export interface ModbusRtuResult {
  baudRate: number;
  line: string;
  registersPerPoll: number;
  wireLimitPollsPerSecond: number;
  achievedPollsPerSecond: number;
  ratio: number;
  target: number;
  pass: boolean;
}

export async function benchModbusRtu(baudRate: number): Promise<ModbusRtuResult> {
  const line = { baudRate, dataBits: 8 as const, parity: 'even' as const, stopBits: 1 as const };
  const sim = await startSimulator(['--rtu', '--line', `${baudRate} 8E1`, '--emulate-wire']);
  try {
    const driver = await connectScaleDriver({ port: sim.ready.port, ...line });
    const registersPerPoll = DRIVER_PLAN.reduce((sum, request) => sum + request.count, 0);
    const limit = 1000 / predictWireTime(DRIVER_PLAN, line).totalMs;
    await rate(1, driver.poll);
    const achieved = await rate(SECONDS, driver.poll);
    await driver.close();
    return {
      baudRate,
      line: `${baudRate} 8E1`,
      registersPerPoll,
      wireLimitPollsPerSecond: round(limit, 1),
      achievedPollsPerSecond: round(achieved, 1),
      ratio: round(achieved / limit, 3),
      target: 0.9,
      pass: achieved / limit >= 0.9,
    };
  } finally {
    await stop(sim);
  }
}
