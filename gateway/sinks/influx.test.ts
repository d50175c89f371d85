/**
 * The sink's logic against a scripted HTTP server: statuses that a healthy influxd does not give
 * (5xx, 401, 429, a request that never answers). What InfluxDB itself does with the points is tested
 * against a real influxd in test/influx-*.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfluxDB } from 'influx';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { freePort } from '../../test/helpers/influxd.js';
import { tempDataDir } from '../../test/helpers/records.js';
import type { OutboxPoint } from '../runtime/contracts.js';
import { MetrogateStore } from '../store/store.js';
import {
  classifyWriteError,
  InfluxSink,
  type InfluxSinkOptions,
  lineProtocol,
  parseInfluxUrl,
  pointProblem,
  redact,
  refusedPointCount,
  retryDelayMs,
} from './influx.js';

const cleanup = useCleanup();

interface Recorded {
  path: string;
  query: URLSearchParams;
  body: string;
  at: number;
}

type Reply = { status: number; body?: string; delayMs?: number } | 'hang';

/** An HTTP server that records every request and answers writes as `reply` says. */
async function scriptedServer(reply: (write: Recorded, index: number) => Reply) {
  const requests: Recorded[] = [];
  const writes: Recorded[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const recorded = { path: url.pathname, query: url.searchParams, body, at: Date.now() };
      requests.push(recorded);
      if (url.pathname === '/query') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
        return;
      }
      writes.push(recorded);
      const answer = reply(recorded, writes.length - 1);
      if (answer === 'hang') {
        hanging.push(res);
        return;
      }
      const send = () =>
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '');
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/testdb`, port, requests, writes };
}

function openOutbox() {
  const data = tempDataDir('metrogate-sink-');
  cleanup(data.remove);
  const store = MetrogateStore.open({ dataDir: data.dir });
  cleanup(() => store.close());
  return store.outbox;
}

function point(n: number, value: OutboxPoint['fields'][string] = { float: n }): OutboxPoint {
  return {
    measurement: 'reading',
    tags: { kind: 'scale', device: 'd1', channel: 'weight' },
    fields: { value, quality: { string: 'good' }, stable: { boolean: true } },
    timestamp: `${1_790_000_000_000 + n}000000`,
  };
}

function sink(options: Omit<InfluxSinkOptions, 'retry'> & { retry?: InfluxSinkOptions['retry'] }) {
  const instance = new InfluxSink({
    idleIntervalMs: 20,
    retry: { initialMs: 40, maxMs: 1000, jitterMs: 0 },
    ...options,
  });
  cleanup(() => instance.stop());
  return instance;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('parseInfluxUrl (contracts.md §7)', () => {
  it('reads host, port, database and credentials; an empty path is the database metrogate', () => {
    expect(parseInfluxUrl('http://influx.local:8086/plant')).toEqual({
      protocol: 'http',
      host: 'influx.local',
      port: 8086,
      database: 'plant',
    });
    expect(parseInfluxUrl('https://writer:p%40ss@10.0.0.5:9999/')).toEqual({
      protocol: 'https',
      host: '10.0.0.5',
      port: 9999,
      database: 'metrogate',
      username: 'writer',
      password: 'p@ss',
    });
    expect(parseInfluxUrl('http://h').database).toBe('metrogate');
    expect(parseInfluxUrl('http://h').port).toBe(8086);
    expect(parseInfluxUrl('http://u:x@h:1/db', { username: 'cfg', password: 'secret' })).toMatchObject({
      username: 'cfg',
      password: 'secret',
    });
  });

  it('refuses what is not http(s)://host:port/DATABASE, naming the URL without its password', () => {
    for (const bad of ['influx:8086', 'mqtt://h:1883/db', 'http://h:1/a/b', 'http://u:secret@h:1/db?x=1']) {
      let failure: unknown;
      try {
        parseInfluxUrl(bad);
      } catch (error) {
        failure = error;
      }
      expect(isMetrogateError(failure, 'MG_ERR_CONFIG_INVALID'), bad).toBe(true);
      expect((failure as Error).message).not.toContain('secret');
    }
    expect(redact('http://u:secret@h:1/db')).toBe('http://u:***@h:1/db');
  });
});

describe('retryDelayMs', () => {
  const policy = { initialMs: 1000, maxMs: 30_000, jitterMs: 500 };

  it('doubles from the initial delay and is capped, jitter included', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, policy, () => 0))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000,
    ]);
    expect(retryDelayMs(100, policy, () => 0.999)).toBe(30_000);
    expect(retryDelayMs(2, policy, () => 0.5)).toBe(2250);
  });

  it('jitter stays within [0, jitterMs)', () => {
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(1, policy);
      expect(delay).toBeGreaterThanOrEqual(1000);
      expect(delay).toBeLessThanOrEqual(1500);
    }
  });
});

describe('refusedPointCount (InfluxDB 1.6.7 bodies)', () => {
  it('takes dropped=N and one per unparsable line from a partial write; a plain 400 refused all', () => {
    const conflict =
      'A 400 Bad Request error occurred: {"error":"partial write: field type conflict: input field \\"value\\" on measurement \\"reading\\" is type float, already exists as type string dropped=2"}';
    const parse =
      'A 400 Bad Request error occurred: {"error":"partial write: unable to parse \'bad line here\': invalid field format\\nunable to parse \'also bad=\': missing field value dropped=0"}';
    const whole = 'A 400 Bad Request error occurred: {"error":"unable to parse \'x\': invalid field format"}';
    expect(refusedPointCount(conflict, 10)).toBe(2);
    expect(refusedPointCount(parse, 10)).toBe(2);
    expect(refusedPointCount(whole, 10)).toBe(10);
    expect(refusedPointCount('partial write: something new', 10)).toBe(10);
    expect(refusedPointCount('partial write: dropped=50', 10)).toBe(10);
  });
});

describe('classifyWriteError on what node-influx really rejects with', () => {
  async function failureFor(status: number, body = '') {
    const server = await scriptedServer(() => ({ status, body }));
    const client = new InfluxDB({
      host: '127.0.0.1',
      port: server.port,
      database: 'testdb',
      pool: { maxRetries: 0 },
    });
    return client.writePoints([{ measurement: 'm', fields: { v: 1 } }]).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('5xx and network errors are retried', async () => {
    expect(classifyWriteError(await failureFor(500), 1).action).toBe('retry');
    expect(classifyWriteError(await failureFor(503), 1).action).toBe('retry');
    const client = new InfluxDB({
      host: '127.0.0.1',
      port: await freePort(),
      database: 'db',
      pool: { maxRetries: 0 },
    });
    const refused = await client
      .writePoints([{ measurement: 'm', fields: { v: 1 } }])
      .catch((error) => error);
    expect((refused as { code?: string }).code).toBe('ECONNREFUSED');
    const network = classifyWriteError(refused, 1);
    expect(network.action).toBe('retry');
    expect(network.status).toBeUndefined();
  });

  it('a 400 partial write drops the refused points; a 413 splits; a missing database is created', async () => {
    const partial = await failureFor(400, '{"error":"partial write: field type conflict: … dropped=3"}');
    expect(classifyWriteError(partial, 5)).toMatchObject({ action: 'drop', status: 400, dropped: 3 });
    expect(classifyWriteError(await failureFor(413), 5)).toMatchObject({ action: 'split', status: 413 });
    const missing = await failureFor(404, '{"error":"database not found: \\"testdb\\""}');
    expect(classifyWriteError(missing, 5)).toMatchObject({ action: 'create-database' });
    expect(classifyWriteError(await failureFor(422), 5)).toMatchObject({ action: 'drop', dropped: 5 });
  });

  it('auth, throttling and other 404s are about the connection, not the data: retried', async () => {
    for (const status of [401, 403, 404, 429]) {
      expect(classifyWriteError(await failureFor(status), 5).action, String(status)).toBe('retry');
    }
  });
});

describe('lineProtocol', () => {
  it('escapes what line protocol needs escaped and sorts tags and fields', () => {
    expect(
      lineProtocol({
        measurement: 'reading',
        tags: { region: 'a,b=c d', device: 'x' },
        fields: { text: { string: 'say "hi" \\ bye' }, 'a key': { integer: 7 }, ok: { boolean: false } },
        timestamp: '1790000000000000001',
      }),
    ).toBe(
      'reading,device=x,region=a\\,b\\=c\\ d a\\ key=7i,ok=F,text="say \\"hi\\" \\\\ bye" 1790000000000000001',
    );
  });
});

describe('pointProblem', () => {
  it('finds what InfluxDB would refuse before it can fail a batch', () => {
    expect(pointProblem(point(1))).toBeUndefined();
    expect(pointProblem(point(1, { float: Number.NaN }))).toMatch(/finite/);
    expect(pointProblem({ ...point(1), fields: { n: { integer: 1.5 } } })).toMatch(/integer/);
    expect(pointProblem({ ...point(1), fields: {} })).toMatch(/no fields/);
    expect(pointProblem({ ...point(1), tags: { device: 'a\nb' } })).toMatch(/line break/);
    expect(pointProblem({ ...point(1), tags: { device: '' } })).toMatch(/empty/);
    expect(pointProblem({ ...point(1), timestamp: '2026-01-01' })).toMatch(/nanoseconds/);
  });
});

describe('InfluxSink against a scripted server', () => {
  it('retries 5xx with growing back-off, keeps the batch, and acks only after the 204', async () => {
    const server = await scriptedServer((_write, index) => (index < 3 ? { status: 503 } : { status: 204 }));
    const outbox = openOutbox();
    outbox.append([point(1), point(2), point(3)]);
    const influx = sink({ url: server.url, outbox });
    await influx.start();
    await until(() => outbox.depth() === 0);
    const stats = influx.stats();
    expect(stats).toMatchObject({ written: 3, retries: 3, dropped: 0, batches: 1, connected: true });
    expect(stats.lastError).toMatch(/503|Service Unavailable/);
    // The same batch each time, in order, to the database of the URL.
    expect(server.writes).toHaveLength(4);
    expect(new Set(server.writes.map((write) => write.body)).size).toBe(1);
    expect(server.writes[0]!.query.get('db')).toBe('testdb');
    expect(server.writes[0]!.query.get('precision')).toBe('n');
    const gaps = server.writes.slice(1).map((write, i) => write.at - server.writes[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
  });

  it('writes integer fields with i, floats without, strings quoted, nanosecond timestamps', async () => {
    const server = await scriptedServer(() => ({ status: 204 }));
    const outbox = openOutbox();
    outbox.append([
      {
        measurement: 'gateway',
        tags: { gateway: 'gw 1' },
        fields: { polls: { integer: 12 }, outbox_depth: { integer: 0 } },
        timestamp: '1790000000000000001',
      },
      point(5),
    ]);
    const influx = sink({ url: server.url, outbox });
    await influx.start();
    await until(() => outbox.depth() === 0);
    expect(server.writes[0]!.body.split('\n')).toEqual([
      'gateway,gateway=gw\\ 1 outbox_depth=0i,polls=12i 1790000000000000001',
      'reading,channel=weight,device=d1,kind=scale quality="good",stable=T,value=5 1790000000005000000',
    ]);
  });

  it('reads ahead but sends one batch at a time, in order; a failed batch is sent again before the next', async () => {
    const server = await scriptedServer((_write, index) => (index === 1 ? { status: 503 } : { status: 204 }));
    const outbox = openOutbox();
    outbox.append([1, 2, 3, 4, 5].map((n) => point(n)));
    const influx = sink({ url: server.url, outbox, batchSize: 2 });
    await influx.start();
    await until(() => outbox.depth() === 0);
    const sent = server.writes.map((write) =>
      write.body.split('\n').map((line) => Number(/value=(\d+)/.exec(line)![1])),
    );
    expect(sent).toEqual([[1, 2], [3, 4], [3, 4], [5]]);
    expect(influx.stats()).toMatchObject({ written: 5, batches: 3, retries: 1, dropped: 0 });
  });

  it('points appended while a batch is in flight are delivered by a flushing stop', async () => {
    const server = await scriptedServer((_write, index) => ({ status: 204, delayMs: index === 0 ? 300 : 0 }));
    const outbox = openOutbox();
    outbox.append([point(1)]);
    const influx = sink({ url: server.url, outbox });
    await influx.start();
    await until(() => server.writes.length === 1);
    // The sink has read ahead meanwhile and found nothing; the points below come after that.
    await new Promise((resolve) => setTimeout(resolve, 100));
    outbox.append([point(2), point(3)]);
    await influx.stop({ flush: true, deadlineMs: 5000 });
    expect(outbox.depth()).toBe(0);
    expect(server.writes.map((write) => write.body.split('\n').length)).toEqual([1, 2]);
  });

  it('401 is retried, not dropped: a wrong password must not throw the data away', async () => {
    const server = await scriptedServer((_write, index) =>
      index < 2 ? { status: 401, body: '{"error":"authorization failed"}' } : { status: 204 },
    );
    const outbox = openOutbox();
    outbox.append([point(1)]);
    const influx = sink({ url: server.url, outbox });
    await influx.start();
    await until(() => outbox.depth() === 0);
    expect(influx.stats()).toMatchObject({ written: 1, retries: 2, dropped: 0 });
  });

  it('a point whose field type contradicts the schema is dropped before sending; the rest go', async () => {
    const server = await scriptedServer(() => ({ status: 204 }));
    const outbox = openOutbox();
    outbox.append([point(1), point(2, { string: 'oops' }), point(3)]);
    const influx = sink({ url: server.url, outbox });
    await influx.start();
    await until(() => outbox.depth() === 0);
    expect(influx.stats()).toMatchObject({ written: 2, dropped: 1, droppedBatches: 1 });
    expect(influx.stats().lastError).toMatch(
      /1 point\(s\) dropped before sending.*field value of reading is float; this point has a string/,
    );
    expect(server.writes[0]!.body.split('\n')).toHaveLength(2);
  });

  it('learns a new field with its declared type and writes it', async () => {
    const server = await scriptedServer(() => ({ status: 204 }));
    const outbox = openOutbox();
    outbox.append([
      {
        ...point(1),
        fields: { ...point(1).fields, samples: { integer: 4 } },
        tags: { device: 'd', bus: 'b' },
      },
    ]);
    const influx = sink({ url: server.url, outbox });
    await influx.start();
    await until(() => outbox.depth() === 0);
    expect(server.writes[0]!.body).toContain('samples=4i');
    expect(server.writes[0]!.body).toContain('bus=b');
  });

  it('stop() cuts a write that hangs, leaves the batch in the outbox, and returns promptly', async () => {
    const server = await scriptedServer(() => 'hang');
    const outbox = openOutbox();
    outbox.append([point(1), point(2)]);
    const influx = sink({ url: server.url, outbox, requestTimeoutMs: 20_000 });
    await influx.start();
    await until(() => server.writes.length === 1);
    const started = Date.now();
    await influx.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(outbox.depth()).toBe(2);
    expect(influx.stats()).toMatchObject({ written: 0, running: false });
  });

  it('stop({ flush }) delivers what is queued before it returns', async () => {
    const server = await scriptedServer(() => ({ status: 204 }));
    const outbox = openOutbox();
    const influx = sink({ url: server.url, outbox, idleIntervalMs: 60_000, batchSize: 10 });
    await influx.start();
    await until(() => server.requests.length > 0);
    outbox.append(Array.from({ length: 35 }, (_, i) => point(i)));
    await influx.stop({ flush: true, deadlineMs: 5000 });
    expect(outbox.depth()).toBe(0);
    expect(influx.stats()).toMatchObject({ written: 35, batches: 4 });
  });

  it('stop({ flush }) gives up at the deadline when InfluxDB keeps failing; the points stay', async () => {
    const server = await scriptedServer(() => ({ status: 500 }));
    const outbox = openOutbox();
    outbox.append([point(1)]);
    const influx = sink({ url: server.url, outbox, retry: { initialMs: 50, maxMs: 50, jitterMs: 0 } });
    await influx.start();
    await until(() => server.writes.length >= 1);
    const started = Date.now();
    await influx.stop({ flush: true, deadlineMs: 300 });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect(server.writes.length).toBeGreaterThan(2);
    expect(outbox.depth()).toBe(1);
  });

  it('notify() sends new points without waiting for the idle interval', async () => {
    const server = await scriptedServer(() => ({ status: 204 }));
    const outbox = openOutbox();
    const influx = sink({ url: server.url, outbox, idleIntervalMs: 60_000 });
    await influx.start();
    await until(() => server.requests.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    outbox.append([point(1)]);
    influx.notify();
    await until(() => outbox.depth() === 0, 2000);
    expect(server.writes).toHaveLength(1);
  });
});
