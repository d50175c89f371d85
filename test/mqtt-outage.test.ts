/**
 * The MQTT sink through outages of a real Mosquitto: killed (SIGKILL) and restarted, the sink
 * reconnects, says `online` again, and delivers every verification event of the outage exactly
 * once and in order, also when the gateway itself crashed and restarted before the broker came back.
 */
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { MqttSink, type VerificationEvent } from '../gateway/sinks/mqtt.js';
import { openDatabase, type SqliteDatabase } from '../gateway/store/database.js';
import { useCleanup } from './helpers/cleanup.js';
import {
  type MessageRecorder,
  type MosquittoBroker,
  readRetained,
  recordMessages,
  startMosquitto,
  startSinkProcess,
} from './helpers/mosquitto.js';
import { tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();
const PREFIX = 'metrogate/gw-outage';
const EVENTS = `${PREFIX}/verifications/`;

let broker: MosquittoBroker;
let dbPath: string;

beforeEach(async () => {
  broker = await startMosquitto();
  cleanup(() => broker.stop());
  const data = tempDataDir('metrogate-mqtt-outage-');
  cleanup(data.remove);
  dbPath = join(data.dir, 'metrogate.db');
});

function openDb(): SqliteDatabase {
  const db = openDatabase(dbPath);
  cleanup(() => db.close());
  return db;
}

function event(n: number): VerificationEvent {
  return {
    record: `VR-${String(n).padStart(6, '0')}`,
    sequence: n,
    instrument: `DP-${n}`,
    kind: 'dispenser',
    ruleSet: 'JJG443-2023',
    stage: 'subsequent',
    verdict: 'pass',
    failedTests: 0,
    performedAt: '2026-04-01T09:00:00.000Z',
    recordedAt: '2026-04-01T09:00:00.000Z',
    hash: n.toString(16).padStart(64, '0'),
  };
}

/** A QoS 1 subscriber with a persistent session: what the broker queues for it survives a restart. */
async function persistentSubscriber(): Promise<MessageRecorder> {
  const subscriber = await recordMessages(broker.url, [`${PREFIX}/#`], {
    clientId: 'regulator-dashboard',
    clean: false,
  });
  cleanup(() => subscriber.close());
  return subscriber;
}

function recordsReceived(subscriber: MessageRecorder): string[] {
  return subscriber.messages
    .filter((m) => m.topic.startsWith(EVENTS))
    .map((m) => JSON.parse(m.payload).record);
}

async function startSink(db: SqliteDatabase): Promise<MqttSink> {
  const sink = new MqttSink({
    url: broker.url,
    gatewayId: 'gw-outage',
    db,
    reconnect: { initialMs: 100, maxMs: 400 },
  });
  cleanup(() => sink.stop({ deadlineMs: 1000 }));
  await sink.start();
  return sink;
}

describe('MqttSink through broker outages', () => {
  it('reconnects after the broker was killed and restarted; outage events arrive once, in order', async () => {
    const db = openDb();
    const subscriber = await persistentSubscriber();
    const sink = await startSink(db);
    expect(await sink.waitForConnection(5000)).toBe(true);
    sink.publishVerification(event(1));
    await subscriber.waitFor((m) => m.topic === `${EVENTS}VR-000001`);
    sink.publishDeviceState('pump-3', 'demoted', { code: 'MG_ERR_TIMEOUT', message: 'no answer' });
    await expect.poll(() => sink.queued()).toBe(0);

    await broker.kill();
    await expect.poll(() => sink.stats().connected).toBe(false);
    for (let n = 2; n <= 11; n += 1) sink.publishVerification(event(n));
    sink.publishDeviceState('pump-3', 'online');
    expect(sink.queued()).toBe(10);
    // The sink keeps trying while the broker is gone.
    await expect.poll(() => sink.stats().reconnectAttempts).toBeGreaterThanOrEqual(2);

    const statusBefore = subscriber.on(`${PREFIX}/status`).length;
    await broker.restart();
    expect(await sink.waitForConnection(5000)).toBe(true);
    await subscriber.waitForCount((m) => m.topic.startsWith(EVENTS), 11, 10_000);
    await expect.poll(() => sink.queued()).toBe(0);
    // Nothing more arrives later (no duplicates from a second resend).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const outageRecords = Array.from({ length: 10 }, (_, i) => event(i + 2).record);
    expect(recordsReceived(subscriber).filter((id) => id !== 'VR-000001')).toEqual(outageRecords);
    expect(subscriber.messages.filter((m) => m.topic.startsWith(EVENTS)).every((m) => m.qos === 1)).toBe(
      true,
    );
    // VR-000001 may come a second time, flagged dup: Mosquitto re-sends to the subscriber a message
    // whose PUBACK it had not saved before it was killed. The sink itself sent every event once:
    const log = broker.log();
    for (let n = 1; n <= 11; n += 1) {
      const sent = log
        .split('\n')
        .filter(
          (line) =>
            line.includes('Received PUBLISH from metrogate-gw-outage') &&
            line.includes(`'${EVENTS}${event(n).record}'`),
        );
      expect(sent, event(n).record).toHaveLength(1);
    }
    const firsts = subscriber.messages.filter((m) => m.topic === `${EVENTS}VR-000001`);
    expect(firsts[0]!.dup).toBe(false);
    expect(firsts.slice(1).every((m) => m.dup)).toBe(true);

    // `online` was published again after the reconnect (a live message, not the persisted retained one).
    const statusAfter = subscriber.on(`${PREFIX}/status`).slice(statusBefore);
    expect(statusAfter.map((m) => m.payload)).toContain('online');
    expect(await readRetained(broker.url, `${PREFIX}/status`)).toBe('online');
    // The device state changed during the outage reached the broker once it was back.
    const pump = JSON.parse((await readRetained(broker.url, `${PREFIX}/devices/pump-3/status`)) ?? 'null');
    expect(pump).toMatchObject({ device: 'pump-3', state: 'online' });
    expect(sink.stats()).toMatchObject({ connected: true, reconnects: 1, queued: 0, lastError: '' });
  });

  it('a gateway that crashed while the broker was down delivers its events after both restart', async () => {
    const subscriber = await persistentSubscriber();
    const gateway = await startSinkProcess({ url: broker.url, gatewayId: 'gw-outage', dbPath });
    cleanup(() => gateway.crash());
    await subscriber.waitFor((m) => m.topic === `${PREFIX}/status` && m.payload === 'online', 10_000);

    await broker.kill();
    for (let n = 1; n <= 5; n += 1) await gateway.send({ op: 'verification', event: event(n) });
    await gateway.crash();

    // The events are in the gateway's database, nowhere else.
    const db = openDb();
    expect(db.prepare('SELECT COUNT(*) AS n FROM mqtt_pending').get()).toEqual({ n: 5 });

    await broker.restart();
    const sink = await startSink(db);
    expect(await sink.waitForConnection(5000)).toBe(true);
    await subscriber.waitForCount((m) => m.topic.startsWith(EVENTS), 5, 10_000);
    await expect.poll(() => sink.queued()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recordsReceived(subscriber)).toEqual([
      'VR-000001',
      'VR-000002',
      'VR-000003',
      'VR-000004',
      'VR-000005',
    ]);
    expect(JSON.parse(subscriber.messages.find((m) => m.topic === `${EVENTS}VR-000003`)!.payload)).toEqual(
      event(3),
    );
  });

  it('re-sends the events that were in flight when the broker died, before the newer ones', async () => {
    const db = openDb();
    const subscriber = await persistentSubscriber();
    const sink = await startSink(db);
    expect(await sink.waitForConnection(5000)).toBe(true);
    // A hung broker: the publishes leave the sink but no PUBACK comes back.
    broker.pause();
    for (let n = 1; n <= 4; n += 1) sink.publishVerification(event(n));
    await expect.poll(() => sink.stats().inflight).toBe(4);
    await broker.kill();
    await expect.poll(() => sink.stats().connected).toBe(false);
    for (let n = 5; n <= 7; n += 1) sink.publishVerification(event(n));
    expect(sink.queued()).toBe(7);

    await broker.restart();
    await subscriber.waitForCount((m) => m.topic.startsWith(EVENTS), 7, 10_000);
    await expect.poll(() => sink.queued()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recordsReceived(subscriber)).toEqual(Array.from({ length: 7 }, (_, i) => event(i + 1).record));
    expect(sink.stats().inflight).toBe(0);
  });

  it('stop() with the broker down keeps the events for the next start and ends promptly', async () => {
    const db = openDb();
    const sink = await startSink(db);
    expect(await sink.waitForConnection(5000)).toBe(true);
    await broker.kill();
    await expect.poll(() => sink.stats().connected).toBe(false);
    sink.publishVerification(event(1));
    const started = Date.now();
    await sink.stop({ flush: true, deadlineMs: 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sink.queued()).toBe(1);
  });
});
