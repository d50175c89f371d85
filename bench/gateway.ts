/**
 * The gateway end to end (issue 5): `metrogate start` (the compiled build) as its own process,
 * polling simulated Modbus TCP scales served from this process (25 unit ids per server by default,
 * so that 1000 devices share 40 TCP connections) into a real influxd, all on one machine.
 *
 * BENCH_ONLY=gateway runs the three below; each also runs alone by its name.
 *
 * - gateway-throughput: sustained readings/s from the devices into InfluxDB (target ≥ 10 000), with the
 *   gateway's CPU and RSS (target with 1000 devices: RSS ≤ 200 MB). A reading counts when InfluxDB
 *   holds it: the rate is the points stored with a poll time inside the measuring window; the
 *   deepest the outbox got in the window says whether delivery kept up.
 * - influx-ceiling: the same points as raw line protocol posted straight to influxd in the sink's
 *   batch size, one request at a time as the sink sends them: what the server takes at most. The
 *   gateway's own writer is measured against it by draining a prefilled outbox with no devices, in
 *   rounds that run both sides back to back (target ≥ 0.8 of the ceiling, median of the rounds).
 *   The outbox is filled by the gateway's own `append`, which stores each point's line protocol
 *   as a running gateway does at poll time; that cost is in the throughput figures, not here.
 * - replay: a 10-minute outage at 1000 readings/s (600 000 points already in the outbox, as the
 *   outage would have left them) drained while the gateway goes on polling 1000 readings/s:
 *   time to drain and replay rate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify as stringifyYaml } from 'yaml';
import type { OutboxPoint } from '../gateway/runtime/contracts.js';
import { DATABASE_FILE } from '../gateway/store/database.js';
import { MetrogateStore } from '../gateway/store/store.js';
import { UnitRouter } from '../simulators/modbus/register-bank.js';
import { ModbusTcpServer } from '../simulators/modbus/tcp-server.js';
import { ScaleModel } from '../simulators/scale/model.js';
import { parseModbusScaleOptions, ScaleRegisterSource } from '../simulators/scale/protocols/modbus.js';
import { type Influxd, startInfluxd } from '../test/helpers/influxd.js';
import { round } from './helpers/stats.js';

const BIN = join(process.cwd(), 'bin/metrogate.js');
/** The InfluxDB sink's default batch size (InfluxData's documented optimum). */
const BATCH_SIZE = 5000;
/** Channels of each simulated scale: weight plus these three, so four readings per poll. */
const CHANNELS = ['gross', 'zero', 'status'] as const;
const READINGS_PER_POLL = 1 + CHANNELS.length;
/**
 * Unit ids behind one simulated server, i.e. devices sharing one TCP connection (one bus, polled one
 * after the other). Real Modbus TCP instruments mostly have a connection each; 25 keeps 1000 devices
 * on 40 connections. BENCH_UNITS_PER_CONNECTION changes it.
 */
const UNITS_PER_SERVER = Number(process.env.BENCH_UNITS_PER_CONNECTION ?? 25);
const CLOCK_TICKS_PER_SECOND = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- simulated devices --------------------------------------------------------------------------

interface ScaleServers {
  endpoints: { host: string; port: number; units: number }[];
  close(): Promise<void>;
}

/** `devices` Modbus scales behind ⌈devices / 125⌉ TCP servers, unit ids 1…125 on each. */
async function startScaleServers(devices: number): Promise<ScaleServers> {
  const servers: ModbusTcpServer[] = [];
  const endpoints: ScaleServers['endpoints'] = [];
  for (let first = 0; first < devices; first += UNITS_PER_SERVER) {
    const units = Math.min(UNITS_PER_SERVER, devices - first);
    const router = new UnitRouter();
    for (let unitId = 1; unitId <= units; unitId++) {
      const model = new ScaleModel({
        max: '30',
        e: '0.01',
        d: '0.01',
        unit: 'kg',
        settlingMs: 0,
        seed: first + unitId,
      });
      model.setLoad((((first + unitId) % 3000) / 100).toFixed(2));
      router.add(unitId, new ScaleRegisterSource(model, parseModbusScaleOptions({ unitId })));
    }
    const server = await ModbusTcpServer.start({ source: router, host: '127.0.0.1', port: 0 });
    servers.push(server);
    endpoints.push({ host: server.host, port: server.port, units });
  }
  return { endpoints, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}

function deviceEntries(servers: ScaleServers, pollIntervalMs: number): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  servers.endpoints.forEach((endpoint, s) => {
    for (let unitId = 1; unitId <= endpoint.units; unitId++) {
      entries.push({
        id: `scale-${String(s * UNITS_PER_SERVER + unitId).padStart(4, '0')}`,
        driver: 'scale-modbus',
        host: endpoint.host,
        tcpPort: endpoint.port,
        unitId,
        preset: 'generic',
        unit: 'kg',
        channels: [...CHANNELS],
        pollIntervalMs,
        timeoutMs: 2000,
      });
    }
  });
  return entries;
}

// ---- the gateway process ------------------------------------------------------------------------

interface GatewayRun {
  child: ChildProcess;
  dataDir: string;
  stderr(): string;
  /** Heap left after each full (mark-compact) GC so far, MB: what the gateway really holds. */
  heapAfterFullGcMb(): number[];
  /** SIGTERM, wait for the graceful stop; the summary line's figures. */
  stop(): Promise<{ readingsTaken: number; pointsLeft: number }>;
}

async function startGateway(config: Record<string, unknown>, dataDir: string): Promise<GatewayRun> {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-bench-gw-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, stringifyYaml(config));
  // BENCH_GATEWAY_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway.
  const nodeOptions = process.env.BENCH_GATEWAY_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  // --trace-gc (on stdout) tells live heap from garbage V8 has not collected yet.
  const args = [
    '--trace-gc',
    ...nodeOptions,
    BIN,
    'start',
    '-c',
    file,
    '--data-dir',
    dataDir,
    '--flush-deadline',
    '60000',
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      METROGATE_USE_DIST: process.env.METROGATE_USE_DIST ?? '1',
      METROGATE_LOG_LEVEL: 'warn',
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-50_000);
  });
  const heapAfterFullGc: number[] = [];
  let gcLines = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    gcLines += chunk.toString();
    const lines = gcLines.split('\n');
    gcLines = lines.pop() ?? '';
    for (const line of lines) {
      const after = /Mark-Compact [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(line);
      if (after) heapAfterFullGc.push(Number(after[1]));
    }
  });
  const deadline = Date.now() + 60_000;
  while (!/^metrogate \S+: \d+ devices/m.test(stderr)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`metrogate start did not come up:\n${stderr}`);
    }
    await sleep(50);
  }
  return {
    child,
    dataDir,
    stderr: () => stderr,
    heapAfterFullGcMb: () => [...heapAfterFullGc],
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      const summary = /stopped: (\d+) readings taken, (\d+) points left/.exec(stderr);
      if (!summary) throw new Error(`metrogate start did not stop gracefully:\n${stderr}`);
      return { readingsTaken: Number(summary[1]), pointsLeft: Number(summary[2]) };
    },
  };
}

function gatewayConfig(devices: Record<string, unknown>[], influxUrl: string): Record<string, unknown> {
  return {
    version: 1,
    gateway: { id: 'bench', healthIntervalMs: 1000 },
    devices,
    scheduler: { jitterMs: 20 },
    outbox: { maxPoints: 2_000_000 },
    sinks: { influx: { url: influxUrl, batchSize: BATCH_SIZE, flushIntervalMs: 100 } },
  };
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident and peak resident memory of a process, MB. */
function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: round(kb('VmRSS') / 1024, 1), peak: round(kb('VmHWM') / 1024, 1) };
}

/** Busy share of the whole machine (all cores) between two samples of /proc/stat. */
function machineTimes(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const total = cpu.reduce((sum, x) => sum + x, 0);
  return { busy: total - idle, total };
}

/** Outbox depth of a gateway's data dir, read as any other SQLite reader would. */
function outboxDepth(dataDir: string): number {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT value FROM outbox_counters WHERE name = 'depth'").get() as { value: number })
      .value;
  } finally {
    db.close();
  }
}

async function countStored(influxd: Influxd, database: string, from: number, to: number): Promise<number> {
  const result = await influxd.query(
    `SELECT count(quality) FROM reading WHERE time >= ${from}ms AND time < ${to}ms`,
    database,
  );
  return Number(result.series?.[0]?.values[0]?.[1] ?? 0);
}

// ---- points as the gateway writes them ----------------------------------------------------------

/** `count` reading points of `devices` scales × 4 channels, one poll per device per `everyMs`, ending now. */
function readingPoints(count: number, devices: number, everyMs: number): OutboxPoint[] {
  const perRound = devices * READINGS_PER_POLL;
  const rounds = Math.ceil(count / perRound);
  const start = Date.now() - rounds * everyMs;
  const points: OutboxPoint[] = [];
  for (let i = 0; i < count; i++) {
    const round = Math.floor(i / perRound);
    const device = Math.floor((i % perRound) / READINGS_PER_POLL);
    const channel = ['weight', ...CHANNELS][i % READINGS_PER_POLL]!;
    // Polls of one round spread over the interval, as the scheduler's phases spread them.
    const ms = start + round * everyMs + Math.floor((device * everyMs) / devices);
    points.push({
      measurement: 'reading',
      tags: { channel, device: `scale-${String(device + 1).padStart(4, '0')}`, kind: 'scale' },
      fields: {
        quality: { string: 'good' },
        stable: { boolean: true },
        value: { float: channel === 'zero' ? 0 : (device % 3000) / 100 },
      },
      timestamp: (BigInt(ms) * 1_000_000n).toString(),
    });
  }
  return points;
}

/** The line protocol node-influx writes for a point (tags sorted, `stable` as T/F). */
function lineOf(point: OutboxPoint): string {
  const tags = Object.keys(point.tags)
    .sort()
    .map((name) => `,${name}=${point.tags[name]}`)
    .join('');
  const fields = Object.entries(point.fields)
    .map(([name, value]) => {
      if ('float' in value) return `${name}=${value.float}`;
      if ('integer' in value) return `${name}=${value.integer}i`;
      if ('boolean' in value) return `${name}=${value.boolean ? 'T' : 'F'}`;
      return `${name}="${value.string}"`;
    })
    .join(',');
  return `${point.measurement}${tags} ${fields} ${point.timestamp}`;
}

function fillOutbox(dataDir: string, points: readonly OutboxPoint[]): void {
  const store = MetrogateStore.open({ dataDir, outbox: { maxPoints: 2_000_000 } });
  try {
    for (let i = 0; i < points.length; i += BATCH_SIZE) store.outbox.append(points.slice(i, i + BATCH_SIZE));
  } finally {
    store.close();
  }
}

interface Drained {
  /** From the first sample (the gateway up and delivering) to the outbox at most `depth` deep (s). */
  seconds: number;
  /** Depth at the first and the last sample. */
  fromDepth: number;
  toDepth: number;
}

/** Waits until the outbox of `dataDir` is at most `depth` deep. */
async function drain(dataDir: string, depth: number, timeoutMs: number): Promise<Drained> {
  const started = performance.now();
  const fromDepth = outboxDepth(dataDir);
  let toDepth = fromDepth;
  while (toDepth > depth) {
    if (performance.now() - started > timeoutMs) throw new Error(`outbox still ${toDepth} deep`);
    await sleep(100);
    toDepth = outboxDepth(dataDir);
  }
  return { seconds: (performance.now() - started) / 1000, fromDepth, toDepth };
}

/** Posts `bodies` to a new database `database`, one request at a time; points/s. */
async function postRaw(
  influxd: Influxd,
  database: string,
  bodies: readonly string[],
  points: number,
): Promise<number> {
  await influxd.query(`CREATE DATABASE ${database}`);
  const started = performance.now();
  for (const body of bodies) {
    const answer = await influxd.writeLines(database, body);
    if (answer.status !== 204) throw new Error(`raw write: ${answer.status} ${answer.body}`);
  }
  return points / ((performance.now() - started) / 1000);
}

// ---- the benchmarks -----------------------------------------------------------------------------

export interface GatewayThroughputResult {
  devices: number;
  tcpConnections: number;
  pollIntervalMs: number;
  offeredReadingsPerSecond: number;
  windowSeconds: number;
  /** Readings with a poll time in the window that InfluxDB holds, per second. */
  storedReadingsPerSecond: number;
  /** Deepest the outbox was at the samples in the window (delivery keeping up: a few batches). */
  maxOutboxDepth: number;
  gatewayCpuPercent: number;
  /** The gateway's CPU time per reading stored (µs): its own cost, whatever else the machine runs. */
  gatewayCpuMicrosecondsPerReading: number;
  machineCpuPercent: number;
  gatewayRssMb: number;
  gatewayPeakRssMb: number;
  /** Most heap left after a full GC in the window (MB): live data, where RSS also counts garbage. */
  gatewayLiveHeapMb: number;
  lost: number;
  /**
   * Node flags the gateway ran with (BENCH_GATEWAY_NODE_OPTIONS); empty: what `metrogate start` sets
   * itself (the old generation grows by 30 % between full GCs, bin/metrogate.js).
   */
  gatewayNodeOptions: string;
  target: { readingsPerSecond: number; rssMb: number };
  pass: boolean;
}

export async function benchGatewayThroughput(
  options: { devices?: number; pollIntervalMs?: number; seconds?: number } = {},
): Promise<GatewayThroughputResult> {
  const devices = options.devices ?? 1000;
  const pollIntervalMs = options.pollIntervalMs ?? 300;
  const seconds = options.seconds ?? Number(process.env.BENCH_SECONDS ?? 20);
  const influxd = await startInfluxd();
  const servers = await startScaleServers(devices);
  const dataDir = mkdtempSync(join(tmpdir(), 'metrogate-bench-data-'));
  try {
    const database = 'throughput';
    const gateway = await startGateway(
      gatewayConfig(deviceEntries(servers, pollIntervalMs), `${influxd.baseUrl}/${database}`),
      dataDir,
    );
    const pid = gateway.child.pid!;
    await sleep(5000);
    const from = Date.now();
    const cpuFrom = cpuSeconds(pid);
    const machineFrom = machineTimes();
    let maxOutboxDepth = 0;
    const fullGcsBefore = gateway.heapAfterFullGcMb().length;
    while (Date.now() - from < seconds * 1000) {
      await sleep(500);
      maxOutboxDepth = Math.max(maxOutboxDepth, outboxDepth(dataDir));
    }
    const to = Date.now();
    const cpu = cpuSeconds(pid) - cpuFrom;
    const machineTo = machineTimes();
    const memory = memoryMb(pid);
    const liveHeap = Math.max(0, ...gateway.heapAfterFullGcMb().slice(fullGcsBefore));
    const summary = await gateway.stop();
    const stored = await countStored(influxd, database, from, to);
    const total = await countStored(influxd, database, 0, Date.now() + 60_000);
    const windowSeconds = (to - from) / 1000;
    const rate = stored / windowSeconds;
    return {
      devices,
      tcpConnections: servers.endpoints.length,
      pollIntervalMs,
      offeredReadingsPerSecond: round((devices * READINGS_PER_POLL * 1000) / pollIntervalMs, 0),
      windowSeconds: round(windowSeconds, 1),
      storedReadingsPerSecond: round(rate, 0),
      maxOutboxDepth,
      gatewayCpuPercent: round((cpu / windowSeconds) * 100, 0),
      gatewayCpuMicrosecondsPerReading: round((cpu / Math.max(stored, 1)) * 1e6, 1),
      machineCpuPercent: round(
        ((machineTo.busy - machineFrom.busy) / (machineTo.total - machineFrom.total)) * 100,
        0,
      ),
      gatewayRssMb: memory.rss,
      gatewayPeakRssMb: memory.peak,
      gatewayLiveHeapMb: liveHeap,
      lost: summary.readingsTaken - total,
      gatewayNodeOptions: process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '',
      target: { readingsPerSecond: 10_000, rssMb: 200 },
      pass: rate >= 10_000 && memory.peak <= 200 && summary.readingsTaken === total,
    };
  } finally {
    await servers.close();
    await influxd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface InfluxCeilingRound {
  rawPointsPerSecond: number;
  gatewayPointsPerSecond: number;
  ratio: number;
}

export interface InfluxCeilingResult {
  points: number;
  batchSize: number;
  rounds: InfluxCeilingRound[];
  /** Raw line protocol posted straight to influxd, one batch at a time (median of the rounds). */
  rawPointsPerSecond: number;
  /** The gateway's InfluxDB sink draining the same points from its outbox, no devices polled (median). */
  gatewayPointsPerSecond: number;
  gatewayCpuPercent: number;
  /** Median of the rounds' ratios (each round measures both sides back to back). */
  ratio: number;
  target: number;
  pass: boolean;
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Rounds of the same points twice: posted raw (bodies made beforehand, so only the server's work
 * and HTTP are timed) and drained by the gateway's sink from a prefilled outbox, each into a new
 * database. On a shared machine the load moves by the second, so each round's two sides run back
 * to back, in alternating order, and the figure is the median of the rounds' ratios.
 */
export async function benchInfluxCeiling(
  options: { points?: number; rounds?: number } = {},
): Promise<InfluxCeilingResult> {
  // 600 000: at the sink's rate a drain of 200 000 took under 2 s, of which the gateway's start-up
  // and the 100 ms depth sampling were a share that moved the rounds' ratios between 0.4 and 1.1.
  const count = options.points ?? Number(process.env.BENCH_CEILING_POINTS ?? 600_000);
  const roundCount = options.rounds ?? Number(process.env.BENCH_CEILING_ROUNDS ?? 5);
  const influxd = await startInfluxd();
  try {
    const points = readingPoints(count, 1000, 400);
    const bodies: string[] = [];
    for (let i = 0; i < points.length; i += BATCH_SIZE)
      bodies.push(
        points
          .slice(i, i + BATCH_SIZE)
          .map(lineOf)
          .join('\n'),
      );
    const rounds: InfluxCeilingRound[] = [];
    const cpuShares: number[] = [];
    for (let r = 0; r < roundCount; r++) {
      const sinkSide = async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'metrogate-bench-ceiling-'));
        try {
          fillOutbox(dataDir, points);
          const database = `sink_${r}`;
          const gateway = await startGateway(gatewayConfig([], `${influxd.baseUrl}/${database}`), dataDir);
          const cpuFrom = cpuSeconds(gateway.child.pid!);
          // Timed from the first depth sample after it is up (a batch may be out already) to empty.
          const drained = await drain(dataDir, 0, 600_000);
          const cpu = cpuSeconds(gateway.child.pid!) - cpuFrom;
          await gateway.stop();
          const stored = await countStored(influxd, database, 0, Date.now() + 60_000);
          if (stored !== count) throw new Error(`the sink stored ${stored} of ${count} points`);
          cpuShares.push(cpu / drained.seconds);
          return (drained.fromDepth - drained.toDepth) / drained.seconds;
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      };
      const rawSide = () => postRaw(influxd, `raw_${r}`, bodies, count);
      let raw: number;
      let sink: number;
      if (r % 2 === 0) {
        raw = await rawSide();
        sink = await sinkSide();
      } else {
        sink = await sinkSide();
        raw = await rawSide();
      }
      rounds.push({
        rawPointsPerSecond: round(raw, 0),
        gatewayPointsPerSecond: round(sink, 0),
        ratio: round(sink / raw, 3),
      });
    }
    const ratio = median(rounds.map((x) => x.ratio));
    return {
      points: count,
      batchSize: BATCH_SIZE,
      rounds,
      rawPointsPerSecond: round(median(rounds.map((x) => x.rawPointsPerSecond)), 0),
      gatewayPointsPerSecond: round(median(rounds.map((x) => x.gatewayPointsPerSecond)), 0),
      gatewayCpuPercent: round(median(cpuShares) * 100, 0),
      ratio,
      target: 0.8,
      pass: ratio >= 0.8,
    };
  } finally {
    await influxd.stop();
  }
}

export interface ReplayResult {
  backlogPoints: number;
  liveReadingsPerSecond: number;
  /** From the gateway's start to an outbox back at its live depth. */
  secondsToDrain: number;
  /** Backlog plus what was polled meanwhile, over the time to drain. */
  deliveredPointsPerSecond: number;
  /** The backlog alone over the time to drain. */
  backlogPointsPerSecond: number;
  gatewayCpuPercent: number;
  gatewayPeakRssMb: number;
  lost: number;
}

export async function benchReplay(): Promise<ReplayResult> {
  const backlog = Number(process.env.BENCH_REPLAY_POINTS ?? 600_000);
  // 1000 readings/s live: 250 scales × 4 channels, polled every second.
  const devices = 250;
  const influxd = await startInfluxd();
  const servers = await startScaleServers(devices);
  const dataDir = mkdtempSync(join(tmpdir(), 'metrogate-bench-replay-'));
  try {
    // What a 10-minute outage at 1000 readings/s leaves behind: timestamps one per device and second.
    fillOutbox(dataDir, readingPoints(backlog, devices, 1000));
    const database = 'replay';
    const gateway = await startGateway(
      gatewayConfig(deviceEntries(servers, 1000), `${influxd.baseUrl}/${database}`),
      dataDir,
    );
    const pid = gateway.child.pid!;
    const cpuFrom = cpuSeconds(pid);
    const drained = await drain(dataDir, 2 * devices * READINGS_PER_POLL, 900_000);
    const seconds = drained.seconds;
    const cpu = cpuSeconds(pid) - cpuFrom;
    const memory = memoryMb(pid);
    const summary = await gateway.stop();
    const stored = await countStored(influxd, database, 0, Date.now() + 60_000);
    const live = devices * READINGS_PER_POLL;
    return {
      backlogPoints: backlog,
      liveReadingsPerSecond: live,
      secondsToDrain: round(seconds, 1),
      deliveredPointsPerSecond: round((drained.fromDepth - drained.toDepth + live * seconds) / seconds, 0),
      backlogPointsPerSecond: round((drained.fromDepth - drained.toDepth) / seconds, 0),
      gatewayCpuPercent: round((cpu / seconds) * 100, 0),
      gatewayPeakRssMb: memory.peak,
      lost: backlog + summary.readingsTaken - stored,
    };
  } finally {
    await servers.close();
    await influxd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
