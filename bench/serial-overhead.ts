/**
 * What the driver and transport add to one transaction on a serial line. The same instant responder
 * (another process, on the far end of a socat pty) answers a raw node-serialport loop and the
 * scale-mtsics driver (SerialLink + FrameChannel + decoder + Reading); the difference of the medians
 * is the overhead. Target: under 0.5 ms added at p50.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import { silentLogger } from '../drivers/logger.js';
import { getDriver } from '../drivers/registry.js';
import { createDriverDeps } from '../drivers/transport/factory.js';
import { ModbusBusPool } from '../drivers/transport/modbus-client.js';
import { createPtyPair } from '../simulators/pty.js';
import { type LatencySummary, round, summarize } from './helpers/stats.js';

const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 3000);
const WARMUP = 300;

async function rawRoundTrips(path: string, count: number): Promise<number[]> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let buffer = '';
  let waiting: (() => void) | undefined;
  port.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    if (buffer.endsWith('\r\n')) {
      buffer = '';
      waiting?.();
    }
  });
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      waiting = resolve;
      port.write('SI\r\n');
    });
    samples.push(performance.now() - started);
  }
  await new Promise<void>((resolve) => port.close(() => resolve()));
  return samples;
}

async function driverRoundTrips(path: string, count: number): Promise<number[]> {
  const definition = getDriver('scale-mtsics');
  const config = definition.configSchema.parse({ port: path, mode: 'poll', weighCommand: 'SI' });
  const busPool = new ModbusBusPool();
  const driver = definition.create(
    config,
    createDriverDeps(definition, config, { logger: silentLogger(), busPool }),
  );
  driver.init();
  await driver.connect(AbortSignal.timeout(5000));
  const signal = new AbortController().signal;
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const result = await driver.poll(signal);
    samples.push(performance.now() - started);
    if (result.readings[0]?.value !== '100.00')
      throw new Error(`unexpected reading ${JSON.stringify(result)}`);
  }
  await driver.close();
  return samples;
}

export interface SerialOverheadResult {
  roundTrips: number;
  raw: LatencySummary;
  driver: LatencySummary;
  addedP50Ms: number;
  addedP99Ms: number;
  targetAddedP50Ms: number;
  pass: boolean;
}

export async function benchSerialOverhead(): Promise<SerialOverheadResult> {
  const pty = await createPtyPair();
  const responder = spawn(
    process.execPath,
    [join(process.cwd(), 'bench/helpers/sics-responder.mjs'), pty.devicePath],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    await new Promise<void>((resolve) =>
      createInterface({ input: responder.stdout! }).once('line', () => resolve()),
    );
    // Warm both paths, then alternate so that drift of the machine affects both alike.
    await rawRoundTrips(pty.gatewayPath, WARMUP);
    await driverRoundTrips(pty.gatewayPath, WARMUP);
    const raw: number[] = [];
    const viaDriver: number[] = [];
    for (let half = 0; half < 2; half++) {
      raw.push(...(await rawRoundTrips(pty.gatewayPath, ROUND_TRIPS / 2)));
      viaDriver.push(...(await driverRoundTrips(pty.gatewayPath, ROUND_TRIPS / 2)));
    }
    const rawSummary = summarize(raw);
    const driverSummary = summarize(viaDriver);
    const added = driverSummary.p50 - rawSummary.p50;
    return {
      roundTrips: ROUND_TRIPS,
      raw: rawSummary,
      driver: driverSummary,
      addedP50Ms: round(added, 4),
      addedP99Ms: round(driverSummary.p99 - rawSummary.p99, 4),
      targetAddedP50Ms: 0.5,
      pass: added < 0.5,
    };
  } finally {
    responder.kill('SIGTERM');
    await pty.close();
  }
}
