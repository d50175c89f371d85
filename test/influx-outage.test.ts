/**
 * Nothing is lost on the way to InfluxDB (ARCHITECTURE.md "The data path"), against a real influxd:
 * the server killed mid-stream and restarted, the sink process restarted mid-stream, and the outbox
 * cap while the server is away.
 *
 * How duplicates are excluded: a point's timestamp is fixed when it enters the outbox (poll time plus
 * a per-series nanosecond slot) and never changes. When the sink re-sends a batch whose first write
 * InfluxDB had already stored (its 204 was lost, or the ack was never committed), each point lands on
 * the same series and timestamp and overwrites itself. Every point here carries its own sequence
 * number as `value`; the tests read back all of them and require each number exactly once: a point
 * stamped anew on a re-send would show up twice, a lost one would leave a gap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbox, OutboxEntry, OutboxPoint } from '../gateway/runtime/contracts.js';
import { InfluxSink, type InfluxSinkOptions } from '../gateway/sinks/influx.js';
import { ReadingPointMapper } from '../gateway/sinks/points.js';
import { MetrogateStore } from '../gateway/store/store.js';
import { useCleanup } from './helpers/cleanup.js';
import { type Influxd, startInfluxd } from './helpers/influxd.js';
import { tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();
let influxd: Influxd;

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function dataDir(): string {
  const data = tempDataDir('metrogate-outage-');
  cleanup(data.remove);
  return data.dir;
}

function openStore(dir: string, maxPoints?: number): MetrogateStore {
  const store = MetrogateStore.open({ dataDir: dir, ...(maxPoints ? { outbox: { maxPoints } } : {}) });
  cleanup(() => store.close());
  return store;
}

function newSink(options: InfluxSinkOptions): InfluxSink {
  const sink = new InfluxSink({
    idleIntervalMs: 25,
    requestTimeoutMs: 2000,
    retry: { initialMs: 100, maxMs: 800, jitterMs: 50 },
    ...options,
  });
  cleanup(() => sink.stop());
  return sink;
}

/**
 * Polls three simulated scales every `everyMs` as the scheduler would hand them on: readings with the
 * poll time, mapped to points and appended. Each reading's value is its sequence number.
 */
function producer(target: () => Outbox, first = 0, everyMs = 10) {
  const mapper = new ReadingPointMapper();
  let next = first;
  let running = true;
  const done = (async () => {
    while (running) {
      const ts = new Date();
      const readings = ['scale-1', 'scale-2', 'scale-3'].flatMap((deviceId) =>
        ['gross', 'net'].map((channel) => ({
          deviceId,
          channel,
          value: String(next++),
          unit: 'kg',
          quality: 'good' as const,
          ts,
        })),
      );
      target().append(mapper.fromReadings(readings, { kind: 'scale', region: 'north' }));
      await sleep(everyMs);
    }
  })();
  return {
    get count() {
      return next;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

async function drained(outbox: () => Outbox, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (outbox().depth() > 0) {
    if (Date.now() > deadline) throw new Error(`outbox still holds ${outbox().depth()} points`);
    await sleep(25);
  }
}

/** Every `value` stored in `database`, sorted. */
async function storedValues(database: string): Promise<number[]> {
  const result = await influxd.query('SELECT value FROM reading', database);
  return (result.series?.[0]?.values ?? []).map((row) => Number(row[1])).sort((a, b) => a - b);
}

const sequence = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** An Outbox that records what the sink read, and can stop committing acks (a crash after the 204). */
class ObservedOutbox implements Outbox {
  readonly peeked: number[][] = [];
  acksAllowed = Number.POSITIVE_INFINITY;

  constructor(private readonly inner: Outbox) {}

  append(points: readonly OutboxPoint[]): void {
    this.inner.append(points);
  }
  peek(limit: number): OutboxEntry[] {
    const entries = this.inner.peek(limit);
    if (entries.length > 0) this.peeked.push(entries.map((entry) => entry.id));
    return entries;
  }
  ackThrough(id: number): void {
    if (this.acksAllowed <= 0) return;
    this.acksAllowed--;
    this.inner.ackThrough(id);
  }
  depth(): number {
    return this.inner.depth();
  }
  dropped(): number {
    return this.inner.dropped();
  }
}

describe('InfluxDB outage and restarts', () => {
  it('influxd killed for a while during a stream of appends: zero lost, none duplicated', async () => {
    const database = 'outage';
    const store = openStore(dataDir());
    const sink = newSink({ url: `${influxd.baseUrl}/${database}`, outbox: store.outbox, batchSize: 200 });
    await sink.start();
    const feed = producer(() => store.outbox);

    await sleep(800);
    const writtenBeforeOutage = Number(sink.stats().written);
    await influxd.kill('SIGKILL');
    await sleep(2000);
    const duringOutage = sink.stats();
    const queuedDuringOutage = store.outbox.depth();
    await influxd.restart();
    await sleep(800);
    await feed.stop();
    await drained(() => store.outbox);

    expect(writtenBeforeOutage).toBeGreaterThan(0);
    expect(Number(duringOutage.retries)).toBeGreaterThan(0);
    expect(duringOutage.connected).toBe(false);
    expect(String(duringOutage.lastError)).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up|timed out/);
    expect(queuedDuringOutage).toBeGreaterThan(100);
    expect(sink.stats()).toMatchObject({ dropped: 0, outboxDropped: 0, connected: true });
    expect(await storedValues(database)).toEqual(sequence(0, feed.count));
  });

  it('the sink process restarts mid-stream: the outbox is replayed in order and each point lands once', async () => {
    const database = 'restart';
    const dir = dataDir();
    let store = openStore(dir);
    const feedA = producer(() => store.outbox);

    // First process: its last batches reach InfluxDB but their acks are never committed.
    const first = new ObservedOutbox(store.outbox);
    first.acksAllowed = 3;
    const sinkA = newSink({ url: `${influxd.baseUrl}/${database}`, outbox: first, batchSize: 40 });
    await sinkA.start();
    await sleep(600);
    await sinkA.stop();
    await feedA.stop();
    expect(Number(sinkA.stats().written)).toBeGreaterThan(3 * 40);
    const firstUnacked = store.outbox.peek(1)[0]!.id;

    // Restart: the process ends (store closed) and a new one opens the same data dir and goes on polling.
    store.close();
    await sleep(100);
    store = openStore(dir);
    const feed = producer(() => store.outbox, feedA.count);
    const second = new ObservedOutbox(store.outbox);
    const sinkB = newSink({ url: `${influxd.baseUrl}/${database}`, outbox: second, batchSize: 40 });
    await sinkB.start();
    await sleep(600);
    await feed.stop();
    await drained(() => store.outbox);

    const replayed = second.peeked.flat();
    expect(replayed[0]).toBe(firstUnacked);
    // In order: every batch starts right after where the previous one ended, no id read out of turn.
    const firsts = second.peeked.map((ids) => ids[0]!);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    for (const ids of second.peeked) expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(replayed).size).toBe(replayed.length);
    // The first process wrote the unacked batch at least once; the replay wrote it again.
    expect(first.peeked.filter((ids) => ids[0] === firstUnacked).length).toBeGreaterThan(0);
    expect(await storedValues(database)).toEqual(sequence(0, feed.count));
  });

  it('while influxd is away the outbox cap drops the oldest points and counts them', async () => {
    const database = 'capped';
    const store = openStore(dataDir(), 200);
    await influxd.kill('SIGKILL');
    const sink = newSink({ url: `${influxd.baseUrl}/${database}`, outbox: store.outbox });
    await sink.start();
    const mapper = new ReadingPointMapper();
    const base = Date.now() - 10_000;
    for (let n = 0; n < 500; n += 50) {
      const readings = sequence(n, 50).map((value) => ({
        deviceId: 'scale-1',
        channel: 'gross',
        value: String(value),
        unit: 'kg',
        quality: 'good' as const,
        ts: new Date(base + value),
      }));
      store.outbox.append(mapper.fromReadings(readings, { kind: 'scale' }));
    }
    expect(store.outbox.depth()).toBe(200);
    expect(store.outbox.dropped()).toBe(300);
    await influxd.restart();
    await drained(() => store.outbox);
    expect(sink.stats()).toMatchObject({ outboxDropped: 300, dropped: 0, written: 200 });
    expect(await storedValues(database)).toEqual(sequence(300, 200));
  });
});
