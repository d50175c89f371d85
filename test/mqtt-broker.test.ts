/**
 * The MQTT sink against Debian's Mosquitto: the topics and their retained / QoS flags as a real
 * subscriber sees them, the clean goodbye on stop, and the last will when the gateway process dies.
 */
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Reading } from '../drivers/contract.js';
import { MetrogateError } from '../drivers/errors.js';
import type { ScheduledDevice } from '../gateway/runtime/contracts.js';
import { MqttSink, type MqttSinkOptions, type VerificationEvent } from '../gateway/sinks/mqtt.js';
import { openDatabase, type SqliteDatabase } from '../gateway/store/database.js';
import { useCleanup } from './helpers/cleanup.js';
import {
  type MosquittoBroker,
  readRetained,
  recordMessages,
  startMosquitto,
  startSinkProcess,
} from './helpers/mosquitto.js';
import { tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();
const PREFIX = 'metrogate/gw-test';

let broker: MosquittoBroker;
let db: SqliteDatabase;
let dbPath: string;

beforeEach(async () => {
  broker = await startMosquitto();
  cleanup(() => broker.stop());
  const data = tempDataDir('metrogate-mqtt-');
  cleanup(data.remove);
  dbPath = join(data.dir, 'metrogate.db');
  db = openDatabase(dbPath);
  cleanup(() => db.close());
});

async function startSink(overrides: Partial<MqttSinkOptions> = {}): Promise<MqttSink> {
  const sink = new MqttSink({
    url: broker.url,
    gatewayId: 'gw-test',
    db,
    reconnect: { initialMs: 100, maxMs: 400 },
    ...overrides,
  });
  cleanup(() => sink.stop({ deadlineMs: 1000 }));
  await sink.start();
  expect(await sink.waitForConnection(5000)).toBe(true);
  return sink;
}

function event(n: number): VerificationEvent {
  return {
    record: `VR-${String(n).padStart(6, '0')}`,
    sequence: n,
    instrument: `SC-${n}`,
    kind: 'scale',
    region: '江油市',
    ruleSet: 'JJG539-2016',
    stage: 'initial',
    verdict: n % 2 === 0 ? 'fail' : 'pass',
    failedTests: n % 2,
    performedAt: '2026-03-01T10:00:00.000Z',
    recordedAt: '2026-03-01T10:00:01.000Z',
    hash: String(n % 10).repeat(64),
  };
}

describe('MqttSink on Mosquitto', () => {
  it('publishes the gateway status `online` retained, seen by a subscriber that comes later', async () => {
    const sink = await startSink();
    expect(await readRetained(broker.url, `${PREFIX}/status`)).toBe('online');
    expect(sink.stats()).toMatchObject({ connected: true, reconnects: 0, lastError: '' });
  });

  it('publishes readings as contracts.md §3 JSON, QoS 0, not retained', async () => {
    const sink = await startSink();
    const subscriber = await recordMessages(broker.url, [`${PREFIX}/devices/+/reading`]);
    cleanup(() => subscriber.close());
    const device: ScheduledDevice = {
      id: 'scale1',
      driver: {} as ScheduledDevice['driver'],
      bus: '/dev/ttyUSB0',
      intervalMs: 1000,
      timeoutMs: 500,
      meta: { kind: 'scale' },
    };
    const readings: Reading[] = [
      {
        deviceId: 'scale1',
        channel: 'weight',
        value: '100.00',
        unit: 'g',
        quality: 'good',
        ts: new Date(1e12),
      },
      { deviceId: 'scale1', channel: 'tare', value: '', unit: 'g', quality: 'overload', ts: new Date(1e12) },
    ];
    sink.schedulerListener().readings?.(device, { readings, errors: [] });
    const got = await subscriber.waitForCount((m) => m.topic === `${PREFIX}/devices/scale1/reading`, 2);
    expect(got.map((m) => JSON.parse(m.payload))).toEqual([
      {
        device: 'scale1',
        channel: 'weight',
        value: '100.00',
        unit: 'g',
        quality: 'good',
        ts: '2001-09-09T01:46:40.000Z',
      },
      {
        device: 'scale1',
        channel: 'tare',
        value: '',
        unit: 'g',
        quality: 'overload',
        ts: '2001-09-09T01:46:40.000Z',
      },
    ]);
    expect(got.every((m) => m.qos === 0 && !m.retain)).toBe(true);
    expect(await readRetained(broker.url, `${PREFIX}/devices/scale1/reading`, 300)).toBeUndefined();
  });

  it('keeps the latest device status retained, with the error code when offline or demoted', async () => {
    const sink = await startSink();
    const listener = sink.schedulerListener();
    const device = { id: 'line/2' } as ScheduledDevice;
    listener.deviceState?.(device, 'online');
    sink.publishDeviceState('scale1', 'online');
    listener.deviceState?.(
      device,
      'demoted',
      new MetrogateError('MG_ERR_TIMEOUT', 'no answer from /dev/ttyUSB1 at 9600 8E1 within 500 ms'),
    );
    sink.publishDeviceState('scale1', 'offline', { code: 'MG_ERR_PORT_DISCONNECTED', message: 'gone' });
    sink.publishDeviceState('scale1', 'online');

    // The publishes are asynchronous: read the retained status until the last one has arrived (a
    // loaded machine may take a while), then check what it says.
    const settled = async (topic: string, state: string) => {
      let last: Record<string, unknown> | null = null;
      for (let attempt = 0; attempt < 40; attempt++) {
        last = JSON.parse((await readRetained(broker.url, topic)) ?? 'null');
        if (last?.state === state) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return last;
    };
    const demoted = await settled(`${PREFIX}/devices/line%2F2/status`, 'demoted');
    expect(demoted).toMatchObject({
      device: 'line/2',
      state: 'demoted',
      code: 'MG_ERR_TIMEOUT',
      message: 'no answer from /dev/ttyUSB1 at 9600 8E1 within 500 ms',
    });
    const scale = await settled(`${PREFIX}/devices/scale1/status`, 'online');
    expect(scale).toMatchObject({ device: 'scale1', state: 'online' });
    expect(scale?.code).toBeUndefined();
  });

  it('publishes verification events with QoS 1 and coverage rows retained', async () => {
    const sink = await startSink();
    const subscriber = await recordMessages(broker.url, [`${PREFIX}/verifications/#`]);
    cleanup(() => subscriber.close());
    sink.publishVerification(event(1));
    sink.publishCoverage({
      region: '江油市',
      kind: 'scale',
      due: 100,
      inspected: 93,
      inspectionRate: '0.93',
    });
    const got = await subscriber.waitFor((m) => m.topic === `${PREFIX}/verifications/VR-000001`);
    expect(got.qos).toBe(1);
    expect(JSON.parse(got.payload)).toEqual(event(1));
    const coverage = await readRetained(broker.url, `${PREFIX}/coverage/江油市/scale`);
    expect(JSON.parse(coverage ?? 'null')).toMatchObject({
      region: '江油市',
      due: 100,
      inspectionRate: '0.93',
    });
    await expect.poll(() => sink.queued()).toBe(0);
    expect(sink.stats().published).toBeGreaterThanOrEqual(3);
  });

  it('uses a configured prefix and the credentials of the URL', async () => {
    const sink = await startSink({
      url: broker.url.replace('mqtt://', 'mqtt://gw:secret@'),
      prefix: 'plant/north',
    });
    expect(sink.stats().broker).toBe(broker.url.replace('mqtt://', 'mqtt://gw:***@'));
    expect(await readRetained(broker.url, 'plant/north/status')).toBe('online');
  });

  it('stop() publishes `offline` retained and disconnects cleanly (no last will)', async () => {
    const sink = await startSink();
    const subscriber = await recordMessages(broker.url, [`${PREFIX}/status`]);
    cleanup(() => subscriber.close());
    await subscriber.waitFor((m) => m.payload === 'online');
    await sink.stop({ flush: true });
    await subscriber.waitFor((m) => m.payload === 'offline');
    expect(await readRetained(broker.url, `${PREFIX}/status`)).toBe('offline');
    expect(sink.stats().connected).toBe(false);
    // Mosquitto's own account: the gateway published `offline` itself (7 bytes, retained) and then
    // sent DISCONNECT, so the will was discarded: one `offline` only.
    await expect.poll(() => broker.log()).toContain('Received DISCONNECT from metrogate-gw-test');
    expect(broker.log()).toMatch(
      /Received PUBLISH from metrogate-gw-test \(d0, q1, r1, m\d+, 'metrogate\/gw-test\/status', \.\.\. \(7 bytes\)\)/,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(subscriber.on(`${PREFIX}/status`).filter((m) => m.payload === 'offline')).toHaveLength(1);
  });

  it('a gateway process killed with SIGKILL shows `offline` through its last will', async () => {
    const subscriber = await recordMessages(broker.url, [`${PREFIX}/status`]);
    cleanup(() => subscriber.close());
    const gateway = await startSinkProcess({ url: broker.url, gatewayId: 'gw-test', dbPath });
    cleanup(() => gateway.crash());
    await subscriber.waitFor((m) => m.payload === 'online' && !m.retain, 10_000);
    await gateway.crash();
    const will = await subscriber.waitFor((m) => m.payload === 'offline');
    expect(will.retain).toBe(false);
    expect(await readRetained(broker.url, `${PREFIX}/status`)).toBe('offline');
    // The broker sent it on its own: the gateway never published a 7-byte `offline`.
    expect(broker.log()).toContain('Client metrogate-gw-test closed its connection.');
    expect(broker.log()).toContain('Will message specified (7 bytes) (r1, q1).');
    expect(broker.log()).not.toMatch(/Received PUBLISH from metrogate-gw-test [^\n]*\(7 bytes\)/);
  });
});
