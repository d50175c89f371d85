/**
 * `metrogate start` with a real Mosquitto that is killed (SIGKILL) and restarted (issue 5): the
 * gateway reconnects by itself, says `online` again on its retained `status`, goes on publishing
 * live readings, and every verification event of the outage arrives (QoS 1): the records are
 * appended through RecordStore on the gateway's data dir while the broker is down, as
 * `metrogate verify` in another process would, and wait in the gateway's SQLite until the broker
 * acknowledges them.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../gateway/store/database.js';
import { useCleanup } from './helpers/cleanup.js';
import { type Fleet, gatewayConfig, startFleet, useGateways } from './helpers/gateway.js';
import { type MosquittoBroker, readRetained, recordMessages, startMosquitto } from './helpers/mosquitto.js';
import { openTestStore, sampleRecord, tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();
const startGateway = useGateways();
const PREFIX = 'metrogate/gw-mqtt';
let fleet: Fleet;
let broker: MosquittoBroker;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  [fleet, broker] = await Promise.all([
    startFleet({
      serialScales: [{ protocol: 'mt-sics', count: 2 }],
      modbusTcpScales: 2,
      pollIntervalMs: 250,
    }),
    startMosquitto(),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([fleet?.close(), broker?.stop()]);
});

function pendingEvents(dataDir: string): number {
  const db = new Database(join(dataDir, DATABASE_FILE), { fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM mqtt_pending').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('metrogate start through a Mosquitto outage', () => {
  it('reconnects, is online again, and delivers every verification event recorded while the broker was down', async () => {
    const data = tempDataDir('metrogate-gw-mqtt-');
    cleanup(data.remove);
    // A regulator's dashboard: a persistent QoS 1 session, so the broker keeps its queue across the restart.
    const subscriber = await recordMessages(broker.url, [`${PREFIX}/#`], {
      clientId: 'regulator-dashboard',
      clean: false,
    });
    cleanup(() => subscriber.close());
    const gateway = await startGateway({
      config: gatewayConfig({ id: 'gw-mqtt', devices: fleet.devices, mqttUrl: broker.url }),
      dataDir: data.dir,
    });
    await subscriber.waitFor((m) => m.topic === `${PREFIX}/status` && m.payload === 'online', 30_000);
    await subscriber.waitFor((m) => m.topic === `${PREFIX}/devices/mt-sics-1/reading`, 30_000);

    await broker.kill('SIGKILL');
    const store = openTestStore(data.dir);
    const recorded: string[] = [];
    try {
      for (let n = 1; n <= 5; n++) recorded.push(store.records.append(sampleRecord(n)).id);
    } finally {
      store.close();
    }
    // The gateway's exporter picks the records up (every 2 s) and queues their events durably.
    const deadline = Date.now() + 30_000;
    while (pendingEvents(data.dir) < recorded.length) {
      if (Date.now() > deadline)
        throw new Error(`the events were not queued:\n${gateway.stderr().slice(-2000)}`);
      await sleep(200);
    }
    const messagesBeforeRestart = subscriber.messages.length;
    await broker.restart();

    const events = await subscriber.waitForCount(
      (m) => m.topic.startsWith(`${PREFIX}/verifications/`),
      5,
      40_000,
    );
    const sinceRestart = () => subscriber.messages.slice(messagesBeforeRestart);
    // Published anew after the restart, not only the copy the broker kept from before.
    await subscriber.waitFor(
      (m) => sinceRestart().includes(m) && m.topic === `${PREFIX}/status` && m.payload === 'online',
      30_000,
    );
    await subscriber.waitFor(
      (m) => sinceRestart().includes(m) && m.topic === `${PREFIX}/devices/mt-sics-2/reading`,
      30_000,
    );
    expect(await readRetained(broker.url, `${PREFIX}/status`)).toBe('online');
    const deviceStatus = await readRetained(broker.url, `${PREFIX}/devices/modbus-tcp-1/status`);
    expect(JSON.parse(deviceStatus ?? '{}')).toMatchObject({ device: 'modbus-tcp-1', state: 'online' });

    // Each record once, QoS 1, in the order they were recorded.
    expect(events.map((m) => JSON.parse(m.payload).record)).toEqual(recorded);
    expect(events.every((m) => m.qos === 1)).toBe(true);
    expect(events.map((m) => m.topic)).toEqual(recorded.map((id) => `${PREFIX}/verifications/${id}`));
    const deliveredDeadline = Date.now() + 20_000;
    while (pendingEvents(data.dir) > 0 && Date.now() < deliveredDeadline) await sleep(100);
    expect(pendingEvents(data.dir)).toBe(0);

    const summary = await gateway.terminate();
    expect(summary.exitCode).toBe(0);
    expect(gateway.logs().some((line) => line.sink === 'mqtt' && line.level >= 40)).toBe(true);
    // A graceful stop says goodbye on the retained status (a crash leaves it to the last will).
    expect(await readRetained(broker.url, `${PREFIX}/status`)).toBe('offline');
  }, 90_000);
});
