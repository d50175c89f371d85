/**
 * `npm run demo` is the README's main command: on this machine it must start the simulated fleet and
 * the real gateway, serve the API with the token it prints, produce verification records with
 * certificates by itself, and stop cleanly on SIGTERM and on --duration.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { scalar, startInfluxd } from './helpers/influxd.js';

const BIN = new URL('../bin/metrogate.js', import.meta.url).pathname;

interface Ready {
  url: string;
  token: string;
  tokenFile: string;
  dataDir: string;
  mqtt: string;
  influx?: string;
  devices: string[];
}

function readingsPrinted(lines: Record<string, unknown>[]): number {
  return lines.filter((line) => 'channel' in line).length;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
const stoppers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0)) await stop();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts the demo with --json; resolves with its ready line and the lines that follow. */
async function startDemo(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'demo', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: Record<string, unknown>[] = [];
  const reader = createInterface({ input: child.stdout });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${stderr}`)), 60_000);
    reader.on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.ready) {
        clearTimeout(timer);
        resolve(parsed.ready as Ready);
      } else lines.push(parsed);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}:\n${stderr}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
  return { child, ready, lines, stderr: () => stderr, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('metrogate demo', { timeout: 240_000 }, () => {
  it('runs the fleet through the gateway, verifies by itself, serves the API, writes InfluxDB, stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'metrogate-demo-test-'));
    dirs.push(dataDir);
    const influxd = await startInfluxd();
    stoppers.push(() => influxd.stop());
    const demo = await startDemo([
      '--http-port',
      '0',
      '--data-dir',
      dataDir,
      '--interval',
      '500',
      '--influx',
      influxd.baseUrl,
    ]);
    const { ready } = demo;
    expect(ready.influx).toBe(`${influxd.baseUrl}/metrogate`);
    expect(ready.tokenFile).toBe(join(dataDir, 'demo-token'));
    expect(readFileSync(ready.tokenFile, 'utf8').trim()).toBe(ready.token);
    expect(ready.devices).toEqual(
      expect.arrayContaining([
        'counter-1',
        'counter-2',
        'lab-balance',
        'platform-1',
        'bench-modbus',
        'pump-1',
        'pump-2',
        'pump-3',
        'taxi-4300',
      ]),
    );
    const get = async (path: string) => {
      const response = await fetch(`${ready.url}${path}`, {
        headers: { authorization: `Bearer ${ready.token}` },
      });
      return response;
    };
    // The embedded broker carries the gateway's MQTT topics (retained status among them).
    const client = await connectAsync(ready.mqtt);
    const topics = new Set<string>();
    client.on('message', (topic) => topics.add(topic));
    await client.subscribeAsync('metrogate/#');
    await until('MQTT messages from the gateway', async () => (topics.size > 0 ? true : undefined), 30_000);
    await client.endAsync();
    expect([...topics].every((topic) => topic.startsWith('metrogate/'))).toBe(true);

    // Without the token the API refuses.
    expect((await fetch(`${ready.url}/api/records`)).status).toBe(401);

    // Every device comes online and has readings, through the real drivers and the scheduler.
    const devices = await until('every device online with a reading', async () => {
      const body = (await (await get('/api/devices')).json()) as {
        devices: { id: string; state: string; readings: unknown[] }[];
      };
      return body.devices.every((d) => d.state === 'online' && d.readings.length > 0)
        ? body.devices
        : undefined;
    });
    expect(devices.map((d) => d.id).sort()).toEqual([...ready.devices].sort());

    // The automatic verifications leave records of every kind: a sound scale passes, the one reading
    // 0.12 % high fails, the bench dispenser and taximeter pass.
    const records = await until('the four demo records', async () => {
      const body = (await (await get('/api/records')).json()) as {
        records: { id: string; instrument: { id: string }; verdict: string }[];
      };
      return body.records.length >= 4 ? body.records : undefined;
    });
    const verdicts = Object.fromEntries(records.map((r) => [r.instrument.id, r.verdict]));
    expect(verdicts).toEqual({
      '510703-S000001': 'pass',
      '510704-S000001': 'fail',
      '510705-D000001': 'pass',
      '510781-T000001': 'pass',
    });
    const certificate = await get(`/api/records/${records[0]!.id}/certificate`);
    expect(certificate.status).toBe(200);
    expect(certificate.headers.get('content-type')).toContain('application/pdf');
    expect(
      Buffer.from(await certificate.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const chain = (await (await get('/api/records/chain')).json()) as { intact: boolean };
    expect(chain.intact).toBe(true);

    // The register of the seeds was imported.
    const registry = (await (await get('/api/registry?limit=1')).json()) as { total?: number };
    expect(registry.total).toBe(600);

    // Live readings were printed as JSON lines, each a contracts.md §3 reading.
    const readings = demo.lines.filter((line) => 'channel' in line);
    expect(readingsPrinted(demo.lines)).toBe(readings.length);
    expect(readings.length).toBeGreaterThan(10);
    for (const reading of readings.slice(0, 50))
      expect(reading).toMatchObject({ device: expect.any(String), value: expect.any(String) });

    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(demo.stderr()).toMatch(/metrogate demo stopped: \d+ readings taken/);
    // The data directory given is kept, with its database.
    expect(existsSync(join(dataDir, 'metrogate.db'))).toBe(true);

    // --influx: every reading printed was taken and delivered (the stop flushes the outbox), and
    // every verification result is there with its verdict.
    const counts = await influxd.query('SELECT count(value), count(text) FROM reading', 'metrogate');
    expect(scalar(counts, 1) + scalar(counts, 2)).toBeGreaterThanOrEqual(readingsPrinted(demo.lines));
    const stored = await influxd.query(
      'SELECT count(record) FROM verification GROUP BY verdict',
      'metrogate',
    );
    expect(
      Object.fromEntries(
        (stored.series ?? []).map((series) => [series.tags?.verdict, series.values[0]?.[1]]),
      ),
    ).toEqual({ pass: 3, fail: 1 });
    // The coverage indicators of the seed register, one series per district × kind.
    const regions = await influxd.query('SHOW TAG VALUES FROM coverage WITH KEY = region', 'metrogate');
    expect((regions.series?.[0]?.values ?? []).map((row) => row[1]).sort()).toEqual(
      [
        '三台县',
        '北川羌族自治县',
        '安州区',
        '平武县',
        '梓潼县',
        '江油市',
        '涪城区',
        '游仙区',
        '盐亭县',
      ].sort(),
    );
  });

  it('without socat runs the Modbus TCP devices, stops by itself after --duration, removes its temporary data', async () => {
    // An empty PATH hides socat (and everything else); node itself is run by absolute path.
    const result = await runCli(['demo', '--http-port', '0', '--duration', '4', '--no-verify', '--json'], {
      timeoutMs: 90_000,
      env: { PATH: '/nonexistent' },
    });
    expect(result.code, result.stderr).toBe(0);
    const [first, ...rest] = result.stdout.trim().split('\n');
    const ready = (JSON.parse(first!) as { ready: Ready }).ready;
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(result.stderr).toContain('socat is not installed');
    expect(ready.devices).toEqual(['bench-modbus', 'pump-3']);
    const readingDevices = new Set(
      rest
        .map((line) => JSON.parse(line) as { device?: string; channel?: string })
        .filter((l) => l.channel)
        .map((l) => l.device),
    );
    expect([...readingDevices].sort()).toEqual(['bench-modbus', 'pump-3']);
    expect(result.stderr).toContain('duration reached');
    expect(existsSync(ready.dataDir)).toBe(false);
  });

  it('rejects a bad --duration with exit code 2 naming the flag', async () => {
    const result = await runCli(['demo', '--duration', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--duration');
  });
});
