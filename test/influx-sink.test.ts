/**
 * The InfluxDB sink against a real influxd (Debian's 1.6.7): what lands, with which types and tags,
 * and what InfluxDB refuses (field type conflict, body too large) being dropped and counted while
 * the rest still goes through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../drivers/contract.js';
import type { OutboxPoint } from '../gateway/runtime/contracts.js';
import { InfluxSink, type InfluxSinkOptions } from '../gateway/sinks/influx.js';
import { gatewayPoint, nanoseconds, ReadingPointMapper, verificationPoint } from '../gateway/sinks/points.js';
import { MetrogateStore } from '../gateway/store/store.js';
import { useCleanup } from './helpers/cleanup.js';
import { type Influxd, type InfluxQueryResult, scalar, startInfluxd } from './helpers/influxd.js';
import { tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();
let influxd: Influxd;

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

function openStore(maxPoints?: number): MetrogateStore {
  const data = tempDataDir('metrogate-influx-');
  cleanup(data.remove);
  const store = MetrogateStore.open({ dataDir: data.dir, ...(maxPoints ? { outbox: { maxPoints } } : {}) });
  cleanup(() => store.close());
  return store;
}

function startSink(options: InfluxSinkOptions): InfluxSink {
  const sink = new InfluxSink({
    idleIntervalMs: 20,
    retry: { initialMs: 50, maxMs: 500, jitterMs: 20 },
    ...options,
  });
  cleanup(() => sink.stop());
  return sink;
}

async function drained(store: MetrogateStore, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (store.outbox.depth() > 0) {
    if (Date.now() > deadline) throw new Error(`outbox still holds ${store.outbox.depth()} points`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `SHOW FIELD KEYS` as { measurement: { field: type } }. */
function fieldTypes(result: InfluxQueryResult): Record<string, Record<string, string>> {
  const types: Record<string, Record<string, string>> = {};
  for (const series of result.series ?? []) {
    types[series.name] = Object.fromEntries(series.values.map(([key, type]) => [String(key), String(type)]));
  }
  return types;
}

function tagKeys(result: InfluxQueryResult): Record<string, string[]> {
  return Object.fromEntries((result.series ?? []).map((s) => [s.name, s.values.map(([key]) => String(key))]));
}

function readingPoint(n: number, at: number, device = 'scale-1'): OutboxPoint {
  return {
    measurement: 'reading',
    tags: { channel: 'weight', device, kind: 'scale', region: 'north' },
    fields: { value: { float: n }, stable: { boolean: true }, quality: { string: 'good' } },
    timestamp: nanoseconds(at, n % 1000),
  };
}

describe('InfluxSink → influxd', () => {
  it('creates the database of an empty URL path and lands every point with its types and tags', async () => {
    const store = openStore();
    const mapper = new ReadingPointMapper({
      channelType: (_device, channel) => (channel === 'status' ? 'text' : 'decimal'),
    });
    const polled = new Date(Date.now() - 60_000);
    const readings: Reading[] = [
      { deviceId: 'scale-1', channel: 'weight', value: '100.00', unit: 'g', quality: 'good', ts: polled },
      { deviceId: 'scale-1', channel: 'weight', value: '100.05', unit: 'g', quality: 'unstable', ts: polled },
      { deviceId: 'scale-1', channel: 'weight', value: '', unit: 'g', quality: 'overload', ts: polled },
      { deviceId: 'pump-1', channel: 'status', value: 'filling', unit: '', quality: 'good', ts: polled },
    ];
    store.outbox.append(mapper.fromReadings(readings, { kind: 'scale', region: '江油市' }));
    store.outbox.append([
      verificationPoint({
        id: 'VR-000001',
        sequence: 1,
        performedAt: polled.toISOString(),
        instrument: { id: 'SC-1', kind: 'scale', region: '江油市' },
        result: {
          verdict: 'fail',
          ruleSet: 'JJG539-2016',
          stage: 'initial',
          tests: [
            { test: 'weighing', load: '2000', error: '1', mpe: '2.5', pass: true },
            { test: 'weighing', load: '5000', error: '7', mpe: '5', pass: false },
          ],
        },
      }),
      gatewayPoint({ gatewayId: 'gw-1', at: polled, outbox: { depth: 6, dropped: 0 } }),
    ]);
    const sink = startSink({ url: `${influxd.baseUrl}/`, outbox: store.outbox });
    await sink.start();
    await drained(store);
    expect(sink.stats()).toMatchObject({ database: 'metrogate', written: 6, dropped: 0, connected: true });

    const databases = await influxd.query('SHOW DATABASES');
    expect(databases.series?.[0]?.values.flat()).toContain('metrogate');
    expect(fieldTypes(await influxd.query('SHOW FIELD KEYS', 'metrogate'))).toEqual({
      gateway: { dropped: 'integer', outbox_depth: 'integer' },
      reading: { quality: 'string', stable: 'boolean', text: 'string', value: 'float' },
      verification: { failed_tests: 'integer', record: 'string', worst_ratio: 'float' },
    });
    expect(tagKeys(await influxd.query('SHOW TAG KEYS', 'metrogate'))).toEqual({
      gateway: ['gateway'],
      reading: ['channel', 'device', 'kind', 'region'],
      verification: ['instrument', 'kind', 'region', 'rule_set', 'stage', 'verdict'],
    });

    const weights = await influxd.query(
      `SELECT value, stable, quality FROM reading WHERE device = 'scale-1' AND channel = 'weight'`,
      'metrogate',
      'ns',
    );
    // Three readings of one series in one millisecond: three points, one nanosecond apart.
    expect(weights.series?.[0]?.values).toEqual([
      [nanoseconds(polled, 0), 100, true, 'good'],
      [nanoseconds(polled, 1), 100.05, false, 'unstable'],
      [nanoseconds(polled, 2), null, false, 'overload'],
    ]);
    const status = await influxd.query(
      `SELECT text, value FROM reading WHERE device = 'pump-1'`,
      'metrogate',
    );
    expect(status.series?.[0]?.values[0]?.slice(1)).toEqual(['filling', null]);
    const verification = await influxd.query(
      `SELECT worst_ratio, failed_tests, record FROM verification WHERE verdict = 'fail' AND rule_set = 'JJG539-2016'`,
      'metrogate',
    );
    expect(verification.series?.[0]?.values[0]?.slice(1)).toEqual([1.4, 1, 'VR-000001']);
  });

  it('a batch InfluxDB refuses (field type conflict) is dropped and counted; later batches go through', async () => {
    const database = 'conflict';
    await influxd.query(`CREATE DATABASE ${database}`);
    // Someone wrote `value` as a string into last month's shard: InfluxDB now refuses floats there.
    const lastMonth = Date.now() - 30 * 86_400_000;
    const seeded = await influxd.writeLines(
      database,
      `reading,channel=weight,device=scale-1,kind=scale,region=north value="n/a" ${nanoseconds(lastMonth)}`,
    );
    expect(seeded.status).toBe(204);

    const store = openStore();
    const now = Date.now();
    const refused = Array.from({ length: 10 }, (_, i) => readingPoint(i, lastMonth + 1 + i));
    const accepted = Array.from({ length: 25 }, (_, i) => readingPoint(100 + i, now - 1000 + i));
    store.outbox.append([...refused, ...accepted]);
    const sink = startSink({ url: `${influxd.baseUrl}/${database}`, outbox: store.outbox, batchSize: 10 });
    await sink.start();
    await drained(store);

    const stats = sink.stats();
    expect(stats).toMatchObject({ written: 25, dropped: 10, droppedBatches: 1, batches: 4, retries: 0 });
    expect(String(stats.lastError)).toMatch(/HTTP 400.*field type conflict/);
    const recent = await influxd.query(
      `SELECT count(value) FROM reading WHERE time > ${nanoseconds(now - 2000)}`,
      database,
    );
    expect(scalar(recent)).toBe(25);
  });

  it('in a mixed batch InfluxDB keeps the good points itself: only the refused ones are counted', async () => {
    const database = 'mixed';
    await influxd.query(`CREATE DATABASE ${database}`);
    const lastMonth = Date.now() - 30 * 86_400_000;
    await influxd.writeLines(
      database,
      `reading,channel=weight,device=scale-1,kind=scale,region=north value="n/a" ${nanoseconds(lastMonth)}`,
    );
    const store = openStore();
    const now = Date.now();
    const points = Array.from({ length: 40 }, (_, i) =>
      i % 8 === 0 ? readingPoint(i, lastMonth + 1 + i) : readingPoint(i, now - 1000 + i),
    );
    store.outbox.append(points);
    const sink = startSink({ url: `${influxd.baseUrl}/${database}`, outbox: store.outbox });
    await sink.start();
    await drained(store);
    expect(sink.stats()).toMatchObject({ written: 35, dropped: 5, droppedBatches: 1, batches: 1 });
    const recent = await influxd.query(
      `SELECT count(value) FROM reading WHERE time > ${nanoseconds(now - 2000)}`,
      database,
    );
    expect(scalar(recent)).toBe(35);
  });

  it('413: a batch over max-body-size is halved until it fits; a single oversized point is dropped', async () => {
    const small = await startInfluxd({ maxBodySize: 4000 });
    cleanup(() => small.stop());
    const store = openStore();
    const now = Date.now() - 5000;
    const points = Array.from({ length: 300 }, (_, i) => readingPoint(i, now + i, `scale-${i % 4}`));
    const huge: OutboxPoint = {
      measurement: 'reading',
      tags: { channel: 'log', device: 'scale-9', kind: 'scale' },
      fields: { text: { string: 'x'.repeat(6000) }, quality: { string: 'good' }, stable: { boolean: true } },
      timestamp: nanoseconds(now),
    };
    store.outbox.append([...points.slice(0, 150), huge, ...points.slice(150)]);
    const sink = startSink({ url: `${small.baseUrl}/big`, outbox: store.outbox });
    await sink.start();
    await drained(store);
    const stats = sink.stats();
    expect(stats).toMatchObject({ written: 300, dropped: 1, retries: 0 });
    expect(Number(stats.splits)).toBeGreaterThan(0);
    expect(String(stats.lastError)).toMatch(/larger than the server accepts/);
    expect(scalar(await small.query('SELECT count(value) FROM reading', 'big'))).toBe(300);
  });
});
