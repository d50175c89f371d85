/**
 * A real InfluxDB 1.x server for integration tests: Debian's `influxd` (1.6.7) on free loopback
 * ports with its meta, data and WAL directories in a fresh temp dir. `kill` and `restart` keep the
 * data dir, so a test can take the server away mid-stream and bring back the same database. The temp
 * dir is removed on `stop`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INFLUXD = '/usr/bin/influxd';

export interface InfluxdOptions {
  /** `[http] max-body-size` in bytes (InfluxDB's default is 25 000 000); small values provoke 413. */
  maxBodySize?: number;
  /** How long `start`/`restart` wait for `GET /ping` to answer 204 (ms). */
  readyTimeoutMs?: number;
}

export interface InfluxQueryResult {
  series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
  error?: string;
}

export interface Influxd {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, without a database path. */
  readonly baseUrl: string;
  readonly dataDir: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Sends a signal and resolves once the process has exited (default SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts influxd again on the same ports and data dir; resolves once it answers /ping. */
  restart(): Promise<void>;
  /**
   * Runs InfluxQL through `/query` (POST, so that CREATE/DROP work) and returns the first result;
   * `epoch: 'ns'` gives times as integer nanoseconds instead of RFC 3339 text.
   */
  query(q: string, database?: string, epoch?: 'ns' | 'ms'): Promise<InfluxQueryResult>;
  /** Posts raw line protocol to `/write` (nanosecond precision); resolves with status and body. */
  writeLines(database: string, lines: string): Promise<{ status: number; body: string }>;
  /** Kills the server and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Whatever influxd printed, for a failing test's message. */
  log(): string;
}

/** Rejects with the apt package to install when influxd is missing. */
export function requireInfluxd(): void {
  const probe = spawnSync(INFLUXD, ['version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `InfluxDB 1.x is needed as the real time-series server but ${INFLUXD} does not run ` +
        `(${probe.error?.message ?? probe.stderr.trim()}); install it with: apt-get install influxdb`,
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function configText(dir: string, httpPort: number, rpcPort: number, options: InfluxdOptions): string {
  return [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${join(dir, 'meta')}"`,
    '  logging-enabled = false',
    '[data]',
    `  dir = "${join(dir, 'data')}"`,
    `  wal-dir = "${join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '[http]',
    `  bind-address = "127.0.0.1:${httpPort}"`,
    '  auth-enabled = false',
    '  log-enabled = false',
    '  pprof-enabled = false',
    ...(options.maxBodySize !== undefined ? [`  max-body-size = ${options.maxBodySize}`] : []),
    '[monitor]',
    '  store-enabled = false',
    '[subscriber]',
    '  enabled = false',
    '[continuous_queries]',
    '  enabled = false',
    '',
  ].join('\n');
}

export async function startInfluxd(options: InfluxdOptions = {}): Promise<Influxd> {
  requireInfluxd();
  const dir = mkdtempSync(join(tmpdir(), 'metrogate-influxd-'));
  const host = '127.0.0.1';
  const port = await freePort();
  const rpcPort = await freePort();
  const configPath = join(dir, 'influxd.conf');
  writeFileSync(configPath, configText(dir, port, rpcPort, options));
  const baseUrl = `http://${host}:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  const exited = (proc: ChildProcess) => proc.exitCode !== null || proc.signalCode !== null;

  const launch = async () => {
    const proc = spawn(INFLUXD, ['run', '-config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exited(proc)) {
        throw new Error(
          `influxd exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${output}`,
        );
      }
      try {
        const response = await fetch(`${baseUrl}/ping`, { signal: AbortSignal.timeout(500) });
        if (response.status === 204) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`influxd did not answer ${baseUrl}/ping within ${readyTimeoutMs} ms:\n${output}`);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child;
    if (!proc || exited(proc)) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  };

  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    host,
    port,
    baseUrl,
    dataDir: dir,
    get running() {
      return child !== undefined && !exited(child);
    },
    kill,
    async restart() {
      await kill('SIGKILL');
      await launch();
    },
    async query(q, database, epoch) {
      const body = new URLSearchParams({
        q,
        ...(database ? { db: database } : {}),
        ...(epoch ? { epoch } : {}),
      });
      const response = await fetch(`${baseUrl}/query`, { method: 'POST', body });
      // Nanosecond times exceed 2^53: keep the first column of each row (time) as text.
      const text = (await response.text()).replace(/\[(-?\d{16,})(?=[,\]])/g, '["$1"');
      const json = JSON.parse(text) as { results?: InfluxQueryResult[]; error?: string };
      if (json.error) throw new Error(`InfluxQL ${q}: ${json.error}`);
      const first = json.results?.[0] ?? {};
      if (first.error) throw new Error(`InfluxQL ${q}: ${first.error}`);
      return first;
    },
    async writeLines(database, lines) {
      const response = await fetch(`${baseUrl}/write?db=${encodeURIComponent(database)}&precision=n`, {
        method: 'POST',
        body: lines,
      });
      return { status: response.status, body: await response.text() };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const proc = child;
      if (proc && !exited(proc)) {
        const forced = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await kill('SIGTERM');
        clearTimeout(forced);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => output,
  };
}

/** The single value of a `SELECT count(...)`-style query, 0 when the result has no rows. */
export function scalar(result: InfluxQueryResult, column = 1): number {
  const value = result.series?.[0]?.values[0]?.[column];
  return typeof value === 'number' ? value : 0;
}
