/**
 * The gateway process killed with SIGKILL mid-run and started again on the same data dir (issue 5):
 * what was committed to the outbox before the kill reaches InfluxDB after the restart, and the
 * replay of a batch that InfluxDB had already stored is harmless because InfluxDB keeps one point
 * per series and timestamp.
 *
 * To kill the gateway "right after a write", InfluxDB is reached through a proxy that, once told to,
 * lets a write through to influxd but withholds the 204 from the gateway: the batch is stored, never
 * acknowledged, and still in the outbox when the SIGKILL comes. After the restart the new process
 * sends it again. The proof is by sets of (device, channel, timestamp): everything InfluxDB held at
 * the kill (A) and everything the outbox held (B) is in InfluxDB at the end; the withheld batch is in
 * both A and B; and InfluxDB ends with exactly |A ∪ B| + the readings the second process took, so a
 * replayed point exists once.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxPoint } from '../gateway/runtime/contracts.js';
import { DATABASE_FILE } from '../gateway/store/database.js';
import { useCleanup } from './helpers/cleanup.js';
import { type Fleet, gatewayConfig, startFleet, useGateways } from './helpers/gateway.js';
import { type Influxd, startInfluxd } from './helpers/influxd.js';
import { tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();
const startGateway = useGateways();
let fleet: Fleet;
let influxd: Influxd;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  [fleet, influxd] = await Promise.all([
    startFleet({
      serialScales: [{ protocol: 'mt-sics', count: 2 }],
      modbusTcpScales: 3,
      dartPumps: 2,
      pollIntervalMs: 200,
    }),
    startInfluxd(),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([fleet?.close(), influxd?.stop()]);
});

/** An HTTP proxy to influxd that can store writes without telling the gateway. */
interface WriteProxy {
  readonly url: string;
  /** `pass`: a plain proxy; `withhold`: writes reach influxd, their answers never reach the gateway. */
  mode: 'pass' | 'withhold';
  /** Bodies of the writes influxd answered 204 to and the gateway never heard of. */
  readonly withheld: string[];
  close(): Promise<void>;
}

async function startWriteProxy(target: string): Promise<WriteProxy> {
  const held = new Set<ServerResponse>();
  const withheld: string[] = [];
  const proxy: { mode: WriteProxy['mode'] } = { mode: 'pass' };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const withholding = proxy.mode === 'withhold' && req.url?.startsWith('/write');
    try {
      const answer = await fetch(`${target}${req.url}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
        ...(body.length > 0 ? { body } : {}),
      });
      const text = await answer.text();
      if (withholding && answer.status === 204) {
        withheld.push(body.toString());
        held.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
      res.end(text);
    } catch {
      res.destroy();
    }
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    get mode() {
      return proxy.mode;
    },
    set mode(mode) {
      proxy.mode = mode;
    },
    withheld,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const keyOf = (device: string, channel: string, ns: string) => `${device}|${channel}|${ns}`;

/** Every reading point InfluxDB holds, as keys (an empty list while the database does not exist). */
async function storedKeys(database: string): Promise<string[]> {
  const result = await influxd.query('SELECT quality FROM reading GROUP BY device, channel', database, 'ns');
  return (result.series ?? []).flatMap((series) => {
    const { device, channel } = series.tags as { device: string; channel: string };
    return series.values.map((row) => keyOf(device, channel, String(row[0])));
  });
}

/** The reading points waiting in a (killed) gateway's outbox, as keys. */
function outboxKeys(dataDir: string): string[] {
  const db = new Database(join(dataDir, DATABASE_FILE), { fileMustExist: true });
  try {
    const rows = db.prepare('SELECT point FROM outbox ORDER BY id').all() as { point: string }[];
    return rows
      .map((row) => JSON.parse(row.point) as OutboxPoint)
      .filter((point) => point.measurement === 'reading')
      .map((point) => keyOf(point.tags.device!, point.tags.channel!, point.timestamp));
  } finally {
    db.close();
  }
}

/** Reading points of line-protocol bodies, as keys (tag values here have no escaped characters). */
function lineProtocolKeys(bodies: readonly string[]): string[] {
  return bodies
    .flatMap((body) => body.split('\n'))
    .filter((line) => line.startsWith('reading,'))
    .map((line) => {
      const tags = Object.fromEntries(
        line
          .slice(0, line.indexOf(' '))
          .split(',')
          .slice(1)
          .map((pair) => pair.split('=') as [string, string]),
      );
      return keyOf(tags.device!, tags.channel!, line.slice(line.lastIndexOf(' ') + 1));
    });
}

async function waitUntilAsync(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('metrogate start killed with SIGKILL and restarted on the same data dir', () => {
  it('delivers what the outbox held at the kill, and a replayed batch InfluxDB already stored exists once', async () => {
    const database = 'crash';
    const proxy = await startWriteProxy(influxd.baseUrl);
    cleanup(() => proxy.close());
    const data = tempDataDir('metrogate-crash-');
    cleanup(data.remove);
    const config = gatewayConfig({
      devices: fleet.devices,
      influxUrl: `${proxy.url}/${database}`,
      influx: { batchSize: 100, flushIntervalMs: 50 },
    });

    const first = await startGateway({ config, dataDir: data.dir });
    // Mid-run: InfluxDB holds a good number of its readings (waited for, not timed: the machine is shared).
    await waitUntilAsync(async () => (await storedKeys(database)).length > 100, 60_000, 'readings stored');
    proxy.mode = 'withhold';
    await waitUntil(() => proxy.withheld.length > 0, 30_000, 'a withheld write');
    // Right after InfluxDB stored the batch, before the gateway heard of it.
    await first.kill();
    proxy.mode = 'pass';

    const atKill = new Set(await storedKeys(database));
    const pending = outboxKeys(data.dir);
    const replayed = lineProtocolKeys(proxy.withheld);
    const healthAtKill = await influxd.query('SELECT last(readings) FROM gateway', database);
    const takenByFirstAtLeast = Number(healthAtKill.series?.[0]?.values[0]?.[1] ?? 0);

    expect(atKill.size).toBeGreaterThan(100);
    expect(pending.length).toBeGreaterThan(0);
    expect(replayed.length).toBeGreaterThan(0);
    // The withheld batch is in InfluxDB and still in the outbox: the restart will send it again.
    expect(replayed.filter((key) => !atKill.has(key))).toEqual([]);
    const pendingSet = new Set(pending);
    expect(replayed.filter((key) => !pendingSet.has(key))).toEqual([]);
    const committedByFirst = new Set([...atKill, ...pending]);
    // Everything the first process counted as taken (by its last health point) is accounted for.
    expect(committedByFirst.size).toBeGreaterThanOrEqual(takenByFirstAtLeast);

    const second = await startGateway({ config, dataDir: data.dir, args: ['--flush-deadline', '30000'] });
    // The backlog replayed and the second process's own readings arriving after it.
    await waitUntilAsync(
      async () => (await storedKeys(database)).length > committedByFirst.size + 50,
      60_000,
      'the replay and new readings',
    );
    const summary = await second.terminate();
    expect(summary.pointsLeft).toBe(0);
    expect(summary.readingsTaken).toBeGreaterThan(0);

    const final = await storedKeys(database);
    const finalSet = new Set(final);
    // One point per series and timestamp (InfluxDB cannot hold two), and nothing committed is lost.
    expect(final.length).toBe(finalSet.size);
    expect([...committedByFirst].filter((key) => !finalSet.has(key))).toEqual([]);
    // Exactly the first process's points and the second's: the replayed ones exist once.
    expect(final.length).toBe(committedByFirst.size + summary.readingsTaken);
    for (const [device, channels] of Object.entries(summary.taken)) {
      for (const [channel, count] of Object.entries(channels)) {
        const prefix = `${device}|${channel}|`;
        const stored = final.filter((key) => key.startsWith(prefix)).length;
        const before = [...committedByFirst].filter((key) => key.startsWith(prefix)).length;
        expect({ device, channel, stored }).toEqual({ device, channel, stored: before + count });
      }
    }
  }, 180_000);
});
