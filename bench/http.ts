/**
 * The HTTP API under load (issue 7, "Benchmark"): autocannon at a fixed 200 requests/s against
 *
 * - the coverage endpoint over the seeded register (seeds/sample: 600 instruments, three years of
 *   history, imported through gateway/registry), as a regulator's dashboard calls it: the current
 *   year to date (`GET /api/coverage`), a fixed half year, and the overdue list
 *   (target: p99 < 20 ms at 200 requests/s for `GET /api/coverage`);
 * - the live-reading endpoints over a fleet of 50 devices whose readings arrive at 10 Hz each:
 *   the fleet list (`GET /api/devices`) and one device with its recent readings;
 * - the SSE fan-out: 20 clients on `GET /api/live` while 50 devices publish at 10 Hz, the time
 *   from a reading's publication to its arrival at each client.
 *
 * The API runs in this process with the production options (helmet, auth with a real token lookup,
 * rate limiting with a limit high enough not to trip); autocannon fires from its own process, so
 * that the server's CPU time per request can be read from this one (a figure the machine's load
 * does not change, unlike the latencies). The SSE clients share the server's process (their parsing
 * is counted in the fan-out latency).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PollResult } from '../drivers/contract.js';
import { silentLogger } from '../drivers/logger.js';
import type { GatewayView } from '../gateway/http/deps.js';
import { type HttpServer, startHttpServer } from '../gateway/http/server.js';
import { importHistoryFile, importInstrumentsFile } from '../gateway/registry/index.js';
import type { ScheduledDevice } from '../gateway/runtime/contracts.js';
import { LiveEvents } from '../gateway/runtime/live-events.js';
import { MetrogateStore } from '../gateway/store/store.js';
import { TokenStore } from '../gateway/store/tokens.js';
import { round, summarize } from './helpers/stats.js';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const RATE = 200;
const SECONDS = 10;
const CONNECTIONS = 10;
const COVERAGE_TARGET_P99_MS = 20;
const DEVICES = 50;
const READINGS_HZ = 10;
const SSE_CLIENTS = 20;

export interface EndpointLoad {
  name: string;
  path: string;
  rate: number;
  seconds: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU time of the server process per request (load generator excluded): independent of the machine's load. */
  serverCpuMsPerRequest: number;
  /** Present on the coverage endpoint: the target. */
  target?: { p99Ms: number; pass: boolean };
  skipped?: string;
}

export interface HttpBenchResult {
  register: { instruments: number; history: number };
  endpoints: EndpointLoad[];
  sse: {
    clients: number;
    devices: number;
    readingsPerSecond: number;
    eventsDelivered: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  /** 1-minute load average of the machine before and after: the figures mean little on a busy one. */
  loadAverage: { before: number; after: number };
  pass: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A running gateway as the API sees it: DEVICES scales whose readings the caller publishes. */
function benchFleet(): { view: GatewayView; publish(now: Date, n: number): void } {
  const live = new LiveEvents();
  const ids = Array.from({ length: DEVICES }, (_, i) => `scale-${String(i + 1).padStart(3, '0')}`);
  const scheduled = new Map(ids.map((id) => [id, { id } as ScheduledDevice]));
  const view: GatewayView = {
    id: 'bench-gw',
    live,
    devices: () =>
      ids.map((id, i) => ({
        id,
        driver: 'scale-modbus',
        kind: 'scale',
        region: '涪城区',
        instrumentId: `SC-${String(i + 1).padStart(6, '0')}`,
        bus: `tcp 127.0.0.1:${5020 + (i % 4)}`,
        pollIntervalMs: 1000 / READINGS_HZ,
        state: 'online' as const,
        phase: 'idle',
        polls: 1000,
        pollErrors: 0,
        skipped: 0,
        consecutiveFailures: 0,
        readings: live.latestOf(id),
      })),
    scaleDriver: () => undefined,
    stats: () => ({
      readingsTaken: 0,
      pollsFailed: 0,
      outboxDepth: 0,
      outboxDropped: 0,
      scheduler: { polls: 0, pollErrors: 0, skipped: 0, elapsedMs: 0, devices: [], buses: [] },
      sinks: {},
    }),
  };
  return {
    view,
    publish(now, n) {
      for (const id of ids) {
        const result = {
          readings: [
            {
              deviceId: id,
              channel: 'weight',
              value: (1 + (n % 1000) / 100).toFixed(2),
              unit: 'kg',
              quality: 'good',
              ts: now,
            },
          ],
        } as unknown as PollResult;
        live.readings(scheduled.get(id) as ScheduledDevice, result);
      }
    },
  };
}

interface AutocannonJson {
  requests: { total: number };
  latency: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** autocannon as its own process (its CLI with --json), so that the server's process is measured alone. */
function autocannonProcess(
  server: HttpServer,
  path: string,
  token: string,
  args: string[],
): Promise<AutocannonJson> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [AUTOCANNON, '--json', '-H', `authorization=Bearer ${token}`, ...args, `${server.url}${path}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`autocannon exited ${code}: ${err.slice(-500)}`));
        return;
      }
      resolve(JSON.parse(line) as AutocannonJson);
    });
  });
}

async function load(
  server: HttpServer,
  name: string,
  path: string,
  token: string,
  target?: number,
): Promise<EndpointLoad> {
  const probe = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const probeText = await probe.text();
  const base = { name, path, rate: RATE, seconds: SECONDS };
  if (probe.status === 404 && probeText.includes('no route')) {
    return {
      ...base,
      requests: 0,
      non2xx: 0,
      errors: 0,
      p50Ms: 0,
      p90Ms: 0,
      p99Ms: 0,
      maxMs: 0,
      serverCpuMsPerRequest: 0,
      skipped: 'route not served by this build',
    };
  }
  if (probe.status !== 200) throw new Error(`${path}: ${probe.status} ${probeText.slice(0, 300)}`);
  // Warm-up: JIT, statement caches.
  await autocannonProcess(server, path, token, ['-c', '2', '-a', '300']);
  const cpuBefore = process.cpuUsage();
  const result = await autocannonProcess(server, path, token, [
    '-c',
    String(CONNECTIONS),
    '-R',
    String(RATE),
    '-d',
    String(SECONDS),
  ]);
  const cpu = process.cpuUsage(cpuBefore);
  const latency = result.latency;
  const p99 = latency.p99 ?? Number.NaN;
  return {
    ...base,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p50Ms: round(latency.p50 ?? Number.NaN, 2),
    p90Ms: round(latency.p90 ?? Number.NaN, 2),
    p99Ms: round(p99, 2),
    maxMs: round(latency.max ?? Number.NaN, 2),
    serverCpuMsPerRequest: round((cpu.user + cpu.system) / 1000 / Math.max(1, result.requests.total), 3),
    ...(target !== undefined
      ? { target: { p99Ms: target, pass: p99 < target && result.non2xx === 0 && result.errors === 0 } }
      : {}),
  };
}

/** SSE clients on /api/live: the delay from a reading's publication to its arrival at each client. */
async function fanOut(server: HttpServer, token: string, fleet: ReturnType<typeof benchFleet>) {
  const aborts: AbortController[] = [];
  const delays: number[] = [];
  const sentAt = new Map<string, number>();
  const readers: Promise<void>[] = [];
  for (let c = 0; c < SSE_CLIENTS; c++) {
    const abort = new AbortController();
    aborts.push(abort);
    const response = await fetch(`${server.url}/api/live?access_token=${token}`, { signal: abort.signal });
    const body = response.body;
    if (response.status !== 200 || !body) throw new Error(`/api/live: ${response.status}`);
    readers.push(
      (async () => {
        const decoder = new TextDecoder();
        let buffer = '';
        try {
          for await (const chunk of body) {
            const arrived = performance.now();
            buffer += decoder.decode(chunk as Uint8Array, { stream: true });
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf('\n\n');
              if (!frame.startsWith('event: reading')) continue;
              const data = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as { ts: string };
              const at = sentAt.get(data.ts);
              if (at !== undefined) delays.push(arrived - at);
            }
          }
        } catch {
          // aborted at the end
        }
      })(),
    );
  }
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < SECONDS * 1000) {
    // Readings of one tick share their timestamp, which keys the publication time.
    const now = new Date(Date.UTC(2030, 0, 1) + n);
    sentAt.set(now.toISOString(), performance.now());
    fleet.publish(now, n++);
    await sleep(1000 / READINGS_HZ);
  }
  await sleep(200);
  for (const abort of aborts) abort.abort();
  await Promise.all(readers);
  const summary = summarize(delays);
  return {
    clients: SSE_CLIENTS,
    devices: DEVICES,
    readingsPerSecond: DEVICES * READINGS_HZ,
    eventsDelivered: delays.length,
    p50Ms: round(summary.p50, 2),
    p99Ms: round(summary.p99, 2),
    maxMs: round(Math.max(...delays), 2),
  };
}

export async function benchHttp(print: (line: string) => void): Promise<HttpBenchResult> {
  const loadBefore = round(loadavg()[0] ?? 0, 2);
  const dataDir = mkdtempSync(join(tmpdir(), 'metrogate-bench-http-'));
  const store = MetrogateStore.open({ dataDir });
  let server: HttpServer | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const seeds = join(process.cwd(), 'seeds', 'sample');
    const instruments = importInstrumentsFile(store, join(seeds, 'instruments.csv'), { actor: 'bench' });
    const history = importHistoryFile(store, join(seeds, 'history.csv'), { actor: 'bench' });
    const tokens = new TokenStore(store);
    const regulator = tokens.create({ role: 'regulator', name: 'bench regulator', actor: 'bench' }).token;
    const technician = tokens.create({ role: 'technician', name: 'bench technician', actor: 'bench' }).token;
    const fleet = benchFleet();
    server = await startHttpServer(
      {
        store,
        logger: silentLogger(),
        gateway: fleet.view,
        options: { rateLimit: { max: 10_000_000, timeWindowMs: 60_000 }, maxLiveClients: SSE_CLIENTS + 4 },
      },
      { port: 0, host: '127.0.0.1' },
    );
    print(
      `\nHTTP API over the seeded register (${instruments.rows} instruments, ${history.rows} verifications) and ${DEVICES} live devices; autocannon ${CONNECTIONS} connections at ${RATE} requests/s for ${SECONDS} s`,
    );
    let n = 0;
    fleet.publish(new Date(), n++);

    const endpoints: EndpointLoad[] = [];
    const targets: [string, string, string, number?][] = [
      ['coverage, year to date', '/api/coverage', regulator, COVERAGE_TARGET_P99_MS],
      ['coverage, half year', '/api/coverage?from=2026-01-01&to=2026-06-30', regulator],
      ['coverage, overdue list', '/api/coverage/overdue', regulator],
      ['devices (fleet list)', '/api/devices', technician],
      ['one device with history', '/api/devices/scale-001', technician],
    ];
    for (const [name, path, token, target] of targets) {
      // The fleet's readings keep arriving while its own endpoints are loaded (not during coverage,
      // so that the server CPU per coverage request is the coverage request's alone).
      if (path.startsWith('/api/devices') && !ticker) {
        ticker = setInterval(() => fleet.publish(new Date(), n++), 1000 / READINGS_HZ);
      }
      const r = await load(server, name, path, token, target);
      endpoints.push(r);
      print(
        r.skipped
          ? `  ${name.padEnd(26)} ${path}: skipped (${r.skipped})`
          : `  ${name.padEnd(26)} ${r.requests} requests at ${RATE}/s: p50 ${r.p50Ms} ms  p90 ${r.p90Ms} ms  p99 ${r.p99Ms} ms  max ${r.maxMs} ms, ${r.non2xx} non-2xx, server CPU ${r.serverCpuMsPerRequest} ms/request` +
              (r.target ? `  (target p99 < ${r.target.p99Ms} ms: ${r.target.pass ? 'met' : 'MISSED'})` : ''),
      );
    }
    clearInterval(ticker);
    ticker = undefined;
    const sse = await fanOut(server, technician, fleet);
    print(
      `  SSE fan-out               ${sse.clients} clients × ${sse.readingsPerSecond} readings/s: ${sse.eventsDelivered} events, publication → client p50 ${sse.p50Ms} ms  p99 ${sse.p99Ms} ms  max ${sse.maxMs} ms`,
    );
    const coverage = endpoints[0];
    const loadAverage = { before: loadBefore, after: round(loadavg()[0] ?? 0, 2) };
    print(`  machine load average (1 min): ${loadAverage.before} before, ${loadAverage.after} after`);
    return {
      register: { instruments: instruments.rows, history: history.rows },
      endpoints,
      sse,
      loadAverage,
      pass: coverage?.target?.pass === true,
    };
  } finally {
    if (ticker) clearInterval(ticker);
    await server?.close();
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
