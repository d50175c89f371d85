import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../drivers/contract.js';
import { isMetrogateError, MetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { openTestStore, sampleRecord, tempDataDir } from '../../test/helpers/records.js';
import { readingToJson } from '../cli/read.js';
import { openDatabase } from '../store/database.js';
import {
  defaultTopicPrefix,
  deviceStatusPayload,
  MqttSink,
  MqttTopics,
  parseMqttUrl,
  readingPayload,
  reconnectDelayMs,
  redactUrl,
  topicLevel,
  validateTopicPrefix,
  verificationEvent,
} from './mqtt.js';

const cleanup = useCleanup();

function tempDb() {
  const data = tempDataDir('metrogate-mqtt-unit-');
  cleanup(data.remove);
  const db = openDatabase(join(data.dir, 'metrogate.db'));
  cleanup(() => db.close());
  return { db, dir: data.dir };
}

function thrown(action: () => unknown): MetrogateError {
  try {
    action();
  } catch (error) {
    if (error instanceof MetrogateError) return error;
    throw error;
  }
  throw new Error('expected a MetrogateError');
}

describe('parseMqttUrl', () => {
  it('reads host, port, default ports and credentials', () => {
    expect(parseMqttUrl('mqtt://broker.example:1884')).toMatchObject({
      protocol: 'mqtt',
      host: 'broker.example',
      port: 1884,
      url: 'mqtt://broker.example:1884',
    });
    expect(parseMqttUrl('mqtt://10.0.0.5').port).toBe(1883);
    expect(parseMqttUrl('mqtts://10.0.0.5/').port).toBe(8883);
    const withUser = parseMqttUrl('mqtts://gw%40site:s%3Acret@broker:8884');
    expect(withUser).toMatchObject({ username: 'gw@site', password: 's:cret', url: 'mqtts://broker:8884' });
    expect(withUser.display).toBe('mqtts://gw%40site:***@broker:8884');
    expect(parseMqttUrl('mqtt://[::1]:1883').url).toBe('mqtt://[::1]:1883');
  });

  it.each([
    ['http://broker:1883', 'scheme http://'],
    ['tcp://broker:1883', 'scheme tcp://'],
    ['broker:1883', 'scheme broker://'],
    ['mqtt://', 'no host'],
    ['mqtt://broker:99999', 'not a URL'],
    ['mqtt://broker:1883/metrogate', 'path'],
    ['not a url at all', 'not a URL'],
  ])('rejects %s with MG_ERR_CONFIG_INVALID naming the URL', (url, why) => {
    const error = thrown(() => parseMqttUrl(url));
    expect(error.code).toBe('MG_ERR_CONFIG_INVALID');
    expect(error.message).toContain(`"${url}"`);
    expect(error.message).toContain(why);
    expect(error.message).toContain('mqtt://host:port or mqtts://host:port');
    expect(error.details.path).toBe('sinks.mqtt.url');
  });

  it('never puts the password into an error message', () => {
    const error = thrown(() => parseMqttUrl('http://user:hunter2@broker:1883'));
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('http://user:***@broker:1883');
    expect(redactUrl('mqtt://broker:1883')).toBe('mqtt://broker:1883');
  });
});

describe('topics', () => {
  it('builds the topics of ARCHITECTURE.md under the default prefix metrogate/<gateway id>', () => {
    const topics = new MqttTopics(defaultTopicPrefix('bench-7'));
    expect(topics.full(topics.status())).toBe('metrogate/bench-7/status');
    expect(topics.full(topics.deviceReading('scale1'))).toBe('metrogate/bench-7/devices/scale1/reading');
    expect(topics.full(topics.deviceStatus('scale1'))).toBe('metrogate/bench-7/devices/scale1/status');
    expect(topics.full(topics.verification('VR-000042'))).toBe('metrogate/bench-7/verifications/VR-000042');
    expect(topics.full(topics.coverage('江油市', 'scale'))).toBe('metrogate/bench-7/coverage/江油市/scale');
  });

  it('keeps every id one topic level: / + # and % are percent-encoded', () => {
    expect(topicLevel('line/1')).toBe('line%2F1');
    expect(topicLevel('a+b#c')).toBe('a%2Bb%23c');
    expect(topicLevel('100%')).toBe('100%25');
    expect(decodeURIComponent(topicLevel('x/y+z#%'))).toBe('x/y+z#%');
    expect(() => topicLevel('')).toThrow(MetrogateError);
  });

  it('validates a configured prefix', () => {
    expect(validateTopicPrefix('plant/north')).toBe('plant/north');
    for (const bad of ['', 'a/+/b', 'a/#', '$SYS/x', '/a', 'a/', 'a//b']) {
      const error = thrown(() => validateTopicPrefix(bad));
      expect(error.code).toBe('MG_ERR_CONFIG_INVALID');
      expect(error.message).toContain('sinks.mqtt.prefix');
    }
  });
});

describe('payloads', () => {
  it('publishes a reading in exactly the shape of `metrogate read --json` (contracts.md §3)', () => {
    const reading: Reading = {
      deviceId: 'scale1',
      channel: 'weight',
      value: '100.00',
      unit: 'g',
      quality: 'unstable',
      ts: new Date('2026-03-01T10:00:00.123Z'),
    };
    expect(JSON.stringify(readingPayload(reading))).toBe(JSON.stringify(readingToJson(reading)));
  });

  it('gives the error code with an offline or demoted device state, not with online', () => {
    const ts = new Date('2026-03-01T10:00:00Z');
    const error = { code: 'MG_ERR_TIMEOUT', message: 'no answer on /dev/ttyUSB0 at 9600 8N1' };
    expect(deviceStatusPayload('s1', 'demoted', ts, error)).toEqual({
      device: 's1',
      state: 'demoted',
      ts: '2026-03-01T10:00:00.000Z',
      code: 'MG_ERR_TIMEOUT',
      message: 'no answer on /dev/ttyUSB0 at 9600 8N1',
    });
    expect(deviceStatusPayload('s1', 'online', ts, error)).toEqual({
      device: 's1',
      state: 'online',
      ts: '2026-03-01T10:00:00.000Z',
    });
  });

  it('summarises a stored verification record', () => {
    const data = tempDataDir('metrogate-mqtt-record-');
    cleanup(data.remove);
    const store = openTestStore(data.dir);
    cleanup(() => store.close());
    const base = sampleRecord(3);
    const record = store.records.append({
      ...base,
      result: {
        ...base.result,
        verdict: 'fail',
        tests: [
          { test: 'weighing', pass: false, load: '2000', error: '9', mpe: '5' },
          { test: 'weighing', pass: true, load: '500', error: '0', mpe: '5' },
        ],
        groups: [{ flow: 'max', runs: 3, rangePercent: '0.2', limitPercent: '0.1', pass: false }],
      },
    });
    const event = verificationEvent(record);
    expect(event).toMatchObject({
      record: record.id,
      sequence: 1,
      instrument: 'SC-0003',
      kind: 'scale',
      region: '330102',
      ruleSet: 'JJG539-2016',
      stage: 'initial',
      verdict: 'fail',
      failedTests: 2,
      hash: record.hash,
      performedAt: record.performedAt,
      recordedAt: record.recordedAt,
    });
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(event)).not.toContain(record.operator);
  });
});

describe('reconnect back-off', () => {
  it('doubles from the initial period and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((attempt) => reconnectDelayMs(attempt, 1000, 30_000));
    expect(delays).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(reconnectDelayMs(0, 250, 1000)).toBe(250);
  });
});

describe('MqttSink without a broker', () => {
  it('rejects a bad URL at construction with MG_ERR_CONFIG_INVALID naming the URL', () => {
    const { db } = tempDb();
    const error = thrown(() => new MqttSink({ url: 'ws://broker:9001', gatewayId: 'g', db }));
    expect(error.code).toBe('MG_ERR_CONFIG_INVALID');
    expect(error.message).toContain('"ws://broker:9001"');
  });

  it('names a TLS file it cannot read, and refuses TLS options on mqtt://', async () => {
    const { db, dir } = tempDb();
    const missing = join(dir, 'no-such-ca.pem');
    const sink = new MqttSink({ url: 'mqtts://127.0.0.1:8883', gatewayId: 'g', db, tls: { ca: missing } });
    const error = await sink.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMetrogateError(error, 'MG_ERR_CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('sinks.mqtt.tls.ca');

    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'not really a certificate');
    const plain = new MqttSink({ url: 'mqtt://127.0.0.1:1883', gatewayId: 'g', db, tls: { ca } });
    await expect(plain.start()).rejects.toThrow(/not mqtts:\/\//);
  });

  it('refuses a database without its migration', () => {
    const data = tempDataDir('metrogate-mqtt-nomig-');
    cleanup(data.remove);
    const db = openDatabase(join(data.dir, 'old.db'), { migrations: [] });
    cleanup(() => db.close());
    const error = thrown(() => new MqttSink({ url: 'mqtt://127.0.0.1', gatewayId: 'g', db }));
    expect(error.code).toBe('MG_ERR_STORE_FAILED');
    expect(error.message).toContain('mqtt_pending');
  });

  it('keeps running when nobody listens, reports MG_ERR_CONNECT_FAILED with the URL, and keeps events', async () => {
    const { db } = tempDb();
    const port = await closedPort();
    const url = `mqtt://127.0.0.1:${port}`;
    const sink = new MqttSink({ url, gatewayId: 'g', db, reconnect: { initialMs: 50, maxMs: 400 } });
    cleanup(() => sink.stop({ deadlineMs: 500 }));
    await sink.start();
    const stats = sink.stats();
    expect(stats.connected).toBe(false);
    expect(stats.lastError).toMatch(
      /^MG_ERR_CONNECT_FAILED: MQTT broker mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    expect(String(stats.lastError)).toContain(url);

    sink.publishReading({
      deviceId: 's1',
      channel: 'weight',
      value: '1.0',
      unit: 'kg',
      quality: 'good',
      ts: new Date(),
    });
    sink.publishVerification({
      record: 'VR-000001',
      sequence: 1,
      instrument: 'SC-1',
      kind: 'scale',
      ruleSet: 'JJG539-2016',
      stage: 'initial',
      verdict: 'pass',
      failedTests: 0,
      performedAt: '2026-01-01T00:00:00.000Z',
      recordedAt: '2026-01-01T00:00:00.000Z',
      hash: 'a'.repeat(64),
    });
    expect(sink.stats()).toMatchObject({ droppedReadings: 1, queued: 1, published: 0 });
    const row = db.prepare('SELECT topic, payload FROM mqtt_pending').get() as {
      topic: string;
      payload: string;
    };
    expect(row.topic).toBe('verifications/VR-000001');
    expect(JSON.parse(row.payload)).toMatchObject({ record: 'VR-000001', verdict: 'pass' });

    // Retries back off: 50, 100, 200, 400, 400 ms apart, i.e. attempts at about 50, 150, 350, 750
    // and 1150 ms (a fixed 50 ms period would make some 25 attempts in that time).
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(sink.stats().reconnectAttempts).toBeGreaterThanOrEqual(3);
    expect(sink.stats().reconnectAttempts).toBeLessThanOrEqual(6);
    await sink.stop({ flush: true, deadlineMs: 200 });
    expect(sink.queued()).toBe(1);
  });
});

/** A port that was free a moment ago: connecting to it is refused. */
function closedPort(): Promise<number> {
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
