/**
 * The gateway as its users run it, for end-to-end tests: `metrogate start -c gateway.yaml` as a child
 * process with a config generated into a temporary directory, stopped with SIGTERM (a graceful stop
 * whose summary tells what the gateway took) or crashed with SIGKILL; and a fleet of simulated
 * devices in the test process (scales on every serial protocol and on Modbus TCP / RTU, DART pumps
 * sharing one pty bus, Modbus dispensers, taximeters) with the device entries that reach them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { type DispenserSimulator, startDispenserSimulator } from '../../simulators/dispenser/index.js';
import type { UartSettings } from '../../simulators/line-emulation.js';
import { UnitRouter } from '../../simulators/modbus/register-bank.js';
import { ModbusRtuServer } from '../../simulators/modbus/rtu-server.js';
import { ModbusTcpServer } from '../../simulators/modbus/tcp-server.js';
import {
  type ScaleSimulator,
  type SerialScaleProtocolId,
  startScaleSimulator,
} from '../../simulators/scale/index.js';
import { ScaleModel, type ScaleModelParams } from '../../simulators/scale/model.js';
import {
  MODBUS_SCALE_LINE,
  parseModbusScaleOptions,
  ScaleRegisterSource,
} from '../../simulators/scale/protocols/modbus.js';
import { startTaximeterSimulator, type TaximeterSimulator } from '../../simulators/taximeter/index.js';
import { useCleanup } from './cleanup.js';

const BIN = new URL('../../bin/metrogate.js', import.meta.url).pathname;

// ---- the gateway process ------------------------------------------------------------------------

/** One JSON line of the gateway's pino log (stderr). */
export interface GatewayLogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** What a graceful stop reports: the stop summary line and the `gateway stopped` log line. */
export interface GatewayStopSummary {
  exitCode: number | null;
  readingsTaken: number;
  pointsLeft: number;
  /** Readings taken (committed to the outbox) per device and channel. */
  taken: Record<string, Record<string, number>>;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly configFile: string;
  readonly dataDir: string;
  /** Everything the gateway wrote to stderr so far. */
  stderr(): string;
  /** The JSON log lines so far. */
  logs(): GatewayLogLine[];
  /** Resolves with the first log line (already written or coming) that matches. */
  waitForLog(match: (line: GatewayLogLine) => boolean, timeoutMs?: number): Promise<GatewayLogLine>;
  /** SIGTERM, then the summary of the graceful stop (SIGKILL after `timeoutMs`, which fails). */
  terminate(timeoutMs?: number): Promise<GatewayStopSummary>;
  /** SIGKILL: the gateway crashes; resolves once it is gone. */
  kill(): Promise<void>;
  readonly running: boolean;
}

export interface StartGatewayOptions {
  /** The config document (written as YAML). */
  config: Record<string, unknown>;
  /** Default: a new temporary directory (removed by the cleanup of `useGateways`). */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra `metrogate start` arguments. */
  args?: string[];
  readyTimeoutMs?: number;
}

/** Writes `document` as YAML to `dir/name` and returns the path. */
export function writeGatewayConfig(dir: string, document: unknown, name = 'gateway.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, typeof document === 'string' ? document : stringifyYaml(document));
  return file;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child: ChildProcess): Promise<void> {
  if (!alive(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts `metrogate start -c <generated config> --data-dir <dir>` and resolves once the service runs
 * (its "N devices, data in …" line).
 */
export async function startGateway(options: StartGatewayOptions): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-gw-'));
  const configFile = writeGatewayConfig(dir, options.config);
  const dataDir = options.dataDir ?? join(dir, 'data');
  const child = spawn(
    process.execPath,
    [BIN, 'start', '-c', configFile, '--data-dir', dataDir, ...(options.args ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, METROGATE_LOG_LEVEL: 'info', ...options.env },
    },
  );
  let stderr = '';
  const lines: GatewayLogLine[] = [];
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout?.resume();
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr += text;
    partial += text;
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as GatewayLogLine);
      } catch {
        // a note, not a log line
      }
    }
    for (const wake of [...waiters]) wake();
  });
  child.once('exit', () => {
    for (const wake of [...waiters]) wake();
  });

  const describe = () => `metrogate start (pid ${child.pid}) stderr:\n${stderr.slice(-4000)}`;
  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const done = () => {
        const found = check();
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (!alive(child)) {
          finish();
          reject(
            new Error(
              `the gateway exited (${child.exitCode ?? child.signalCode}) before ${what}\n${describe()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`the gateway did not show ${what} within ${timeoutMs} ms\n${describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(done);
      };
      waiters.add(done);
      done();
    });

  await waitFor(
    () => (/^metrogate \S+: \d+ devices, data in /m.test(stderr) ? true : undefined),
    options.readyTimeoutMs ?? 30_000,
    'its ready line',
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });

  return {
    child,
    pid: child.pid!,
    configFile,
    dataDir,
    stderr: () => stderr,
    logs: () => [...lines],
    get running() {
      return alive(child);
    },
    waitForLog: (match, timeoutMs = 10_000) =>
      waitFor(() => lines.find(match), timeoutMs, 'the awaited log line'),
    async terminate(timeoutMs = 30_000) {
      const gone = exited(child);
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await gone;
      clearTimeout(forced);
      const summary = /stopped: (\d+) readings taken, (\d+) points left in the outbox/.exec(stderr);
      const stopped = lines.find((line) => line.msg === 'gateway stopped');
      if (!summary || !stopped) throw new Error(`the gateway did not stop gracefully\n${describe()}`);
      return {
        exitCode: child.exitCode,
        readingsTaken: Number(summary[1]),
        pointsLeft: Number(summary[2]),
        taken: (stopped.taken ?? {}) as Record<string, Record<string, number>>,
      };
    },
    async kill() {
      const gone = exited(child);
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/**
 * Registers the afterEach that SIGKILLs every gateway a test left running and removes the
 * directories; returns the function that starts one (as `startGateway`).
 */
export function useGateways(): (options: StartGatewayOptions) => Promise<GatewayProcess> {
  const cleanup = useCleanup();
  return async (options) => {
    const gateway = await startGateway(options);
    cleanup(async () => {
      if (gateway.running) await gateway.kill();
      rmSync(join(gateway.configFile, '..'), { recursive: true, force: true });
    });
    return gateway;
  };
}

/** Readings per device: the channel counts of a summary added up. */
export function perDevice(taken: Record<string, Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(taken).map(([device, channels]) => [
      device,
      Object.values(channels).reduce((sum, n) => sum + n, 0),
    ]),
  );
}

// ---- the simulated fleet ------------------------------------------------------------------------

/** A scale that every protocol's number field can show: 30 kg × 0.01 kg, settled at once. */
const FLEET_SCALE: Partial<ScaleModelParams> = {
  max: '30',
  e: '0.01',
  d: '0.01',
  unit: 'kg',
  settlingMs: 0,
};

const SERIAL_SCALE_DRIVERS: Record<SerialScaleProtocolId, string> = {
  'mt-sics': 'scale-mtsics',
  ad: 'scale-ad',
  sbi: 'scale-sbi',
  xk3190: 'scale-xk3190',
};

export interface FleetSpec {
  /** Serial scales, each on its own pty. */
  serialScales?: { protocol: SerialScaleProtocolId; count: number }[];
  /** Modbus TCP scales behind one server (one connection, one bus), unit ids 1…n. */
  modbusTcpScales?: number;
  /**
   * Modbus RTU lines, one pty each, with scales at unit ids 1…live; `deadUnits` are configured but
   * absent. Device ids: `rtu<line>-<unit>`, lines counted from 1.
   */
  modbusRtuLines?: { live: number; deadUnits?: number[] }[];
  /** DART pumps on one pty bus (addresses 0x50…). */
  dartPumps?: number;
  /** Modbus TCP dispensers, one server each. */
  modbusDispensers?: number;
  /** JT/T 905 taximeters, each on its own pty. */
  taximeters?: number;
  /** Poll interval of every device (ms). */
  pollIntervalMs?: number;
  /** Per-device driver timeout (ms). */
  timeoutMs?: number;
}

/** Something of a fleet that can be unplugged and plugged back. */
export interface Unpluggable {
  disconnect(durationMs: number): Promise<void>;
}

export interface Fleet {
  /** `devices:` entries of a gateway config. */
  devices: Record<string, unknown>[];
  /** The simulator behind each device id (pumps on one bus and units of one server share one). */
  simulators: Map<string, Unpluggable>;
  /** The bus of each device id, as the entries reach it (`serial <path>`, `tcp host:port`…). */
  buses: Map<string, string>;
  close(): Promise<void>;
}

function lineOf(line: UartSettings): Record<string, unknown> {
  return { baudRate: line.baudRate, dataBits: line.dataBits, parity: line.parity, stopBits: line.stopBits };
}

/** Starts the simulators of `spec` in this process and returns the device entries that reach them. */
export async function startFleet(spec: FleetSpec): Promise<Fleet> {
  const devices: Record<string, unknown>[] = [];
  const simulators = new Map<string, Unpluggable>();
  const buses = new Map<string, string>();
  const closers: Array<() => Promise<void>> = [];
  const pollIntervalMs = spec.pollIntervalMs ?? 500;
  const timeoutMs = spec.timeoutMs ?? 500;
  const add = (entry: Record<string, unknown>, sim: Unpluggable, bus: string) => {
    devices.push({ pollIntervalMs, timeoutMs, ...entry });
    simulators.set(entry.id as string, sim);
    buses.set(entry.id as string, bus);
  };
  try {
    let seed = 1;
    for (const { protocol, count } of spec.serialScales ?? []) {
      for (let i = 1; i <= count; i++) {
        const sim: ScaleSimulator = await startScaleSimulator({
          protocol,
          transport: 'pty',
          params: { ...FLEET_SCALE, seed: seed++ },
        });
        sim.model.setLoad(String(i));
        closers.push(() => sim.close());
        const path = (sim.endpoint as { path: string }).path;
        add(
          {
            id: `${protocol}-${i}`,
            driver: SERIAL_SCALE_DRIVERS[protocol],
            port: path,
            ...lineOf(sim.line),
            ...(protocol === 'xk3190' ? { max: '30', e: '0.01' } : {}),
          },
          sim,
          `serial ${path}`,
        );
      }
    }
    if (spec.modbusTcpScales) {
      const router = new UnitRouter();
      for (let unitId = 1; unitId <= spec.modbusTcpScales; unitId++) {
        const model = new ScaleModel({ ...FLEET_SCALE, seed: seed++ });
        model.setLoad(String(unitId));
        router.add(unitId, new ScaleRegisterSource(model, parseModbusScaleOptions({ unitId })));
      }
      const server = await ModbusTcpServer.start({ source: router, host: '127.0.0.1', port: 0 });
      closers.push(() => server.close());
      for (let unitId = 1; unitId <= spec.modbusTcpScales; unitId++) {
        add(
          {
            id: `modbus-tcp-${unitId}`,
            driver: 'scale-modbus',
            host: server.host,
            tcpPort: server.port,
            unitId,
            preset: 'generic',
            unit: 'kg',
            channels: ['gross', 'zero', 'status'],
          },
          server,
          `tcp ${server.host}:${server.port}`,
        );
      }
    }
    for (const [index, line] of (spec.modbusRtuLines ?? []).entries()) {
      const router = new UnitRouter();
      for (let unitId = 1; unitId <= line.live; unitId++) {
        const model = new ScaleModel({ ...FLEET_SCALE, seed: seed++ });
        model.setLoad(String(unitId));
        router.add(unitId, new ScaleRegisterSource(model, parseModbusScaleOptions({ unitId })));
      }
      // Wire time emulated (19200 8E1): a poll of one unit takes about 20 ms of the line.
      const server = await ModbusRtuServer.onPty({
        source: router,
        line: MODBUS_SCALE_LINE,
        emulateWireTime: true,
      });
      closers.push(() => server.close());
      const path = server.gatewayPath!;
      const units = [...Array.from({ length: line.live }, (_, i) => i + 1), ...(line.deadUnits ?? [])];
      for (const unitId of units) {
        add(
          {
            id: `rtu${index + 1}-${unitId}`,
            driver: 'scale-modbus',
            port: path,
            ...lineOf(MODBUS_SCALE_LINE),
            unitId,
            preset: 'generic',
            unit: 'kg',
          },
          server,
          `serial ${path}`,
        );
      }
    }
    if (spec.dartPumps) {
      const addresses = Array.from({ length: spec.dartPumps }, (_, i) => 0x50 + i);
      const sim: DispenserSimulator = await startDispenserSimulator({
        protocol: 'dart',
        transport: 'pty',
        pumps: addresses.map((address) => ({ address })),
      });
      closers.push(() => sim.close());
      const path = (sim.endpoint as { path: string }).path;
      for (const address of addresses) {
        add(
          {
            id: `dart-${address.toString(16)}`,
            driver: 'dispenser-dart',
            port: path,
            ...lineOf(sim.line),
            address,
            totals: true,
            nozzles: [1],
          },
          sim,
          `serial ${path}`,
        );
      }
    }
    for (let i = 1; i <= (spec.modbusDispensers ?? 0); i++) {
      const sim = await startDispenserSimulator({
        protocol: 'modbus',
        transport: 'tcp',
        tcpPort: 0,
        host: '127.0.0.1',
        pumps: [{ address: 1 }],
      });
      closers.push(() => sim.close());
      const endpoint = sim.endpoint as { host: string; port: number };
      add(
        {
          id: `modbus-pump-${i}`,
          driver: 'dispenser-modbus',
          host: endpoint.host,
          tcpPort: endpoint.port,
          unitId: 1,
        },
        sim,
        `tcp ${endpoint.host}:${endpoint.port}`,
      );
    }
    for (let i = 1; i <= (spec.taximeters ?? 0); i++) {
      const sim: TaximeterSimulator = await startTaximeterSimulator({ transport: 'pty', timeScale: 0 });
      closers.push(() => sim.close());
      const path = (sim.endpoint as { path: string }).path;
      add(
        { id: `taxi-${i}`, driver: 'taximeter-jtt905', port: path, ...lineOf(sim.line), status: true },
        sim,
        `serial ${path}`,
      );
    }
  } catch (error) {
    await Promise.allSettled(closers.map((close) => close()));
    throw error;
  }
  return {
    devices,
    simulators,
    buses,
    close: async () => {
      await Promise.allSettled(closers.reverse().map((close) => close()));
    },
  };
}

/** A gateway config document with the usual test settings; `overrides` are merged at the top level. */
export function gatewayConfig(options: {
  id?: string;
  devices: Record<string, unknown>[];
  influxUrl?: string;
  mqttUrl?: string;
  scheduler?: Record<string, unknown>;
  healthIntervalMs?: number;
  influx?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    version: 1,
    gateway: { id: options.id ?? 'gw-test', healthIntervalMs: options.healthIntervalMs ?? 1000 },
    devices: options.devices,
    scheduler: {
      failuresBeforeDemotion: 3,
      backoff: { initialMs: 200, maxMs: 1000, factor: 2 },
      jitterMs: 0,
      ...options.scheduler,
    },
    sinks: {
      ...(options.influxUrl
        ? { influx: { url: options.influxUrl, batchSize: 500, flushIntervalMs: 100, ...options.influx } }
        : {}),
      ...(options.mqttUrl ? { mqtt: { url: options.mqttUrl } } : {}),
    },
  };
}
