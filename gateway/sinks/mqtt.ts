/**
 * The MQTT publisher (ARCHITECTURE.md "Storage": topics; contracts.md §3 and §7). Live data is
 * fire-and-forget (readings, QoS 0: InfluxDB is the durable copy, fed from the outbox); state is
 * retained (gateway and device status, coverage); verification events are durable: each is committed
 * to SQLite (`mqtt_pending`) before `publishVerification` returns and deleted only when the broker
 * acknowledged it (PUBACK), so neither a broker outage nor a gateway restart loses one.
 *
 * Topics under the prefix (default `metrogate/<gateway id>`):
 *   status                           retained `online`; last will `offline` (retained)
 *   devices/<id>/reading             one JSON reading (contracts.md §3), QoS 0, not retained
 *   devices/<id>/status              retained JSON {device, state, ts, code?, message?}, QoS 1
 *   verifications/<record id>        JSON record summary, QoS 1, durable
 *   coverage/<region>/<kind>         retained JSON coverage row, QoS 1
 */

import { readFileSync } from 'node:fs';
import type { Statement } from 'better-sqlite3';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Reading } from '../../drivers/contract.js';
import { MetrogateError } from '../../drivers/errors.js';
import { type Logger, silentLogger } from '../../drivers/logger.js';
import type { DeviceState, SchedulerListener, Sink } from '../runtime/contracts.js';
import type { SqliteDatabase } from '../store/database.js';
import type { StoredVerificationRecord } from '../store/record-types.js';
import { failedTests } from './points.js';

const DEFAULT_PORTS = { mqtt: 1883, mqtts: 8883 } as const;

// ---------------------------------------------------------------------------------------------
// Broker URL

export interface MqttEndpoint {
  protocol: 'mqtt' | 'mqtts';
  host: string;
  port: number;
  /** `mqtt://host:port` without credentials: what MQTT.js connects to. */
  url: string;
  /** The URL as given, with the password replaced by `***`: for messages and logs. */
  display: string;
  username?: string;
  password?: string;
}

/**
 * Parses `mqtt://[user[:password]@]host[:port]` or `mqtts://…` (contracts.md §7). Anything else
 * throws MG_ERR_CONFIG_INVALID naming the URL (with the password hidden) and `configPath`.
 */
export function parseMqttUrl(text: string, configPath = 'sinks.mqtt.url'): MqttEndpoint {
  const fail = (why: string): never => {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `invalid MQTT broker URL "${redactUrl(text)}" (${configPath}): ${why}; expected mqtt://host:port or mqtts://host:port`,
      { path: configPath, url: redactUrl(text) },
    );
  };
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return fail('not a URL');
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (protocol !== 'mqtt' && protocol !== 'mqtts') return fail(`the scheme ${protocol}:// is not supported`);
  if (parsed.hostname === '') return fail('no host');
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
    return fail('a path, query or fragment has no meaning here (the topic prefix is a separate setting)');
  }
  const port = parsed.port === '' ? DEFAULT_PORTS[protocol] : Number(parsed.port);
  // The WHATWG parser brackets IPv6 literals in hostname; that form is also what a URL needs.
  const host = parsed.hostname;
  const endpoint: MqttEndpoint = {
    protocol,
    host,
    port,
    url: `${protocol}://${host}:${port}`,
    display: redactUrl(text),
  };
  if (parsed.username !== '') endpoint.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') endpoint.password = decodeURIComponent(parsed.password);
  return endpoint;
}

/** The URL with the password of its userinfo replaced by `***`. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

// ---------------------------------------------------------------------------------------------
// Topics

/** The default prefix of contracts.md §7. */
export function defaultTopicPrefix(gatewayId: string): string {
  return `metrogate/${topicLevel(gatewayId)}`;
}

/**
 * One topic level made from an id: `/` would split it into two levels and `+` `#` are wildcards a
 * PUBLISH topic must not contain, so they are percent-encoded (and `%` itself, to stay reversible).
 */
export function topicLevel(text: string): string {
  if (text === '') {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', 'an MQTT topic level cannot be empty');
  }
  return Array.from(text, (c) =>
    TOPIC_LEVEL_ESCAPES.has(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : c,
  ).join('');
}

const NUL = String.fromCharCode(0);
const TOPIC_LEVEL_ESCAPES = new Set(['%', '/', '+', '#', NUL]);

export function validateTopicPrefix(prefix: string, configPath = 'sinks.mqtt.prefix'): string {
  const fail = (why: string): never => {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `invalid MQTT topic prefix "${prefix}" (${configPath}): ${why}`,
      {
        path: configPath,
      },
    );
  };
  if (prefix === '') fail('it is empty');
  if (['+', '#', NUL].some((c) => prefix.includes(c))) fail('+, # and NUL are not allowed in a topic name');
  if (prefix.startsWith('$')) fail('topics starting with $ are reserved for the broker');
  if (prefix.startsWith('/') || prefix.endsWith('/') || prefix.includes('//')) {
    fail('no empty topic levels (leading, trailing or double /)');
  }
  return prefix;
}

/** The topic names of one gateway. Ids are encoded with `topicLevel`. */
export class MqttTopics {
  constructor(readonly prefix: string) {}

  full(relative: string): string {
    return `${this.prefix}/${relative}`;
  }
  status(): string {
    return 'status';
  }
  deviceReading(deviceId: string): string {
    return `devices/${topicLevel(deviceId)}/reading`;
  }
  deviceStatus(deviceId: string): string {
    return `devices/${topicLevel(deviceId)}/status`;
  }
  verification(recordId: string): string {
    return `verifications/${topicLevel(recordId)}`;
  }
  coverage(region: string, kind: string): string {
    return `coverage/${topicLevel(region)}/${topicLevel(kind)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Payloads

/** contracts.md §3 (the same shape as `metrogate read --json`; a test holds them equal). */
export function readingPayload(reading: Reading): Record<string, string> {
  return {
    device: reading.deviceId,
    channel: reading.channel,
    value: reading.value,
    unit: reading.unit,
    quality: reading.quality,
    ts: reading.ts.toISOString(),
  };
}

export interface DeviceStatusPayload {
  device: string;
  state: DeviceState;
  ts: string;
  /** The MG_ERR_* code of the failure that made the device offline or demoted. */
  code?: string;
  message?: string;
}

export function deviceStatusPayload(
  deviceId: string,
  state: DeviceState,
  ts: Date,
  error?: { code: string; message: string },
): DeviceStatusPayload {
  const payload: DeviceStatusPayload = { device: deviceId, state, ts: ts.toISOString() };
  if (error && state !== 'online') {
    payload.code = error.code;
    payload.message = error.message;
  }
  return payload;
}

/** The summary of a verification record published on `verifications/<record id>`. */
export interface VerificationEvent {
  record: string;
  sequence: number;
  instrument: string;
  kind: string;
  region?: string;
  ruleSet: string;
  stage: string;
  verdict: 'pass' | 'fail';
  /** Failing entries of `tests` plus failing repeatability `groups` (the InfluxDB `failed_tests`). */
  failedTests: number;
  performedAt: string;
  recordedAt: string;
  validUntil?: string;
  /** SHA-256 of the record: check it with `metrogate records verify` or against a certificate. */
  hash: string;
}

export function verificationEvent(record: StoredVerificationRecord): VerificationEvent {
  const event: VerificationEvent = {
    record: record.id,
    sequence: record.sequence,
    instrument: record.instrument.id,
    kind: record.instrument.kind,
    ruleSet: record.result.ruleSet,
    stage: record.result.stage,
    verdict: record.result.verdict,
    failedTests: failedTests(record.result),
    performedAt: record.performedAt,
    recordedAt: record.recordedAt,
    hash: record.hash,
  };
  if (record.instrument.region !== undefined) event.region = record.instrument.region;
  if (record.validUntil !== undefined) event.validUntil = record.validUntil;
  return event;
}

/** A coverage row (contracts.md §6) as published on `coverage/<region>/<kind>`. */
export interface CoverageEvent {
  region: string;
  kind: string;
  [field: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Reconnect back-off

/** Delay before reconnect attempt `attempt` (1 = first retry): doubling from `initialMs`, capped. */
export function reconnectDelayMs(attempt: number, initialMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  return Math.min(maxMs, initialMs * 2 ** exponent);
}

// ---------------------------------------------------------------------------------------------
// The sink

export interface MqttTlsOptions {
  /** PEM files: the CA that signed the broker's certificate, and the client's certificate and key. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Refuse a broker whose certificate does not verify (default true). */
  rejectUnauthorized?: boolean;
}

export interface MqttSinkOptions {
  /** `mqtt://host:port` or `mqtts://host:port`; credentials may be given in it. */
  url: string;
  /** The gateway id: default prefix `metrogate/<id>` and client id `metrogate-<id>`. */
  gatewayId: string;
  /** Overrides the credentials of the URL. */
  username?: string;
  password?: string;
  prefix?: string;
  tls?: MqttTlsOptions;
  clientId?: string;
  /** The gateway's database (migration 3 applied); the sink does not close it. */
  db: SqliteDatabase;
  logger?: Logger;
  reconnect?: {
    /** MQTT.js reconnectPeriod for the first retry (default 1000 ms). */
    initialMs?: number;
    /** Cap of the doubling delay between attempts (default 30 000 ms). */
    maxMs?: number;
  };
  /** Wait for CONNACK at most this long per attempt (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** MQTT keepalive: the broker publishes the last will after 1.5 × this without traffic (default 30 s). */
  keepaliveSeconds?: number;
  /** Durable events handed to the client before their PUBACK came back (default 32). */
  maxInflight?: number;
  now?: () => Date;
}

interface PendingRow {
  id: number;
  topic: string;
  payload: string;
  retain: number;
}

const DEFAULT_STOP_DEADLINE_MS = 5000;

/**
 * Publishes the gateway's live data and events to an MQTT broker. `start` never fails because the
 * broker is down (the sink keeps retrying, and `stats().lastError` says why); it fails only on a
 * configuration error (URL, prefix, TLS files), with MG_ERR_CONFIG_INVALID naming it.
 */
export class MqttSink implements Sink {
  readonly name = 'mqtt';
  readonly endpoint: MqttEndpoint;
  readonly topics: MqttTopics;

  private readonly options: MqttSinkOptions;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxInflight: number;
  private readonly statements: {
    insert: Statement<[string, string, number, string]>;
    remove: Statement<[number]>;
    oldest: Statement<[number], PendingRow>;
    count: Statement<[], { n: number }>;
  };

  private client: MqttClient | undefined;
  /** True between a CONNACK (after MQTT.js re-sent what it held) and the next close. */
  private online = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** Latest payload of every retained topic (relative): re-published on each (re)connect. */
  private readonly retained = new Map<string, string>();
  /** Durable rows handed to the client whose PUBACK has not come back. */
  private readonly inflight = new Set<number>();
  private readonly connectWaiters = new Set<() => void>();
  private readonly counters = {
    published: 0,
    droppedReadings: 0,
    connects: 0,
    reconnectAttempts: 0,
    attemptsSinceConnect: 0,
  };
  private lastError = '';

  constructor(options: MqttSinkOptions) {
    this.options = options;
    this.endpoint = parseMqttUrl(options.url);
    this.topics = new MqttTopics(
      options.prefix === undefined
        ? defaultTopicPrefix(options.gatewayId)
        : validateTopicPrefix(options.prefix),
    );
    this.logger = (options.logger ?? silentLogger()).child({ sink: 'mqtt', broker: this.endpoint.display });
    this.now = options.now ?? (() => new Date());
    this.initialDelayMs = Math.max(10, options.reconnect?.initialMs ?? 1000);
    this.maxDelayMs = Math.max(this.initialDelayMs, options.reconnect?.maxMs ?? 30_000);
    this.maxInflight = Math.max(1, options.maxInflight ?? 32);
    try {
      this.statements = {
        insert: options.db.prepare(
          'INSERT INTO mqtt_pending (topic, payload, retain, created_at) VALUES (?, ?, ?, ?)',
        ),
        remove: options.db.prepare('DELETE FROM mqtt_pending WHERE id = ?'),
        oldest: options.db.prepare('SELECT id, topic, payload, retain FROM mqtt_pending ORDER BY id LIMIT ?'),
        count: options.db.prepare('SELECT COUNT(*) AS n FROM mqtt_pending'),
      };
    } catch (error) {
      throw new MetrogateError(
        'MG_ERR_STORE_FAILED',
        `the database has no table mqtt_pending (open it with openDatabase so that its migrations run): ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
  }

  /**
   * Connects (reading the TLS files first) and resolves when the first attempt has an outcome:
   * connected, or failed (the sink then keeps retrying with back-off).
   */
  async start(): Promise<void> {
    // A sink is not restarted after stop(): the next run of the gateway makes a new one.
    if (this.client || this.stopped) return;
    const client = connect(this.endpoint.url, this.clientOptions());
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (error) => this.onError(error));
    client.on('reconnect', () => this.onReconnectAttempt());
    await new Promise<void>((resolve) => {
      const settle = () => {
        client.off('connect', settle);
        client.off('close', settle);
        resolve();
      };
      client.once('connect', settle);
      client.once('close', settle);
    });
  }

  /** Resolves true once connected, false when `timeoutMs` passes first. */
  waitForConnection(timeoutMs: number): Promise<boolean> {
    if (this.online) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (connected: boolean) => {
        clearTimeout(timer);
        this.connectWaiters.delete(onConnect);
        resolve(connected);
      };
      const onConnect = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.connectWaiters.add(onConnect);
    });
  }

  /**
   * Publishes `offline` (retained) and disconnects cleanly. With `flush`, first waits (within
   * `deadlineMs`, default 5 s) for the pending verification events to be acknowledged; what is not
   * stays in SQLite for the next start. When no clean goodbye is possible the broker's last will
   * says `offline` instead.
   */
  stop(options: { flush?: boolean; deadlineMs?: number } = {}): Promise<void> {
    this.stopped ??= this.shutdown(options);
    return this.stopped;
  }

  stats(): Record<string, number | string | boolean> {
    return {
      broker: this.endpoint.display,
      connected: this.online,
      published: this.counters.published,
      queued: this.queued(),
      inflight: this.inflight.size,
      droppedReadings: this.counters.droppedReadings,
      reconnects: Math.max(0, this.counters.connects - 1),
      reconnectAttempts: this.counters.reconnectAttempts,
      lastError: this.lastError,
    };
  }

  /** Durable events not yet acknowledged by the broker (in SQLite). */
  queued(): number {
    return this.statements.count.get()?.n ?? 0;
  }

  /** A reading, QoS 0: dropped (and counted) while the broker is unreachable. */
  publishReading(reading: Reading): void {
    const client = this.client;
    if (!client || !this.online || this.stopping) {
      this.counters.droppedReadings += 1;
      return;
    }
    const topic = this.topics.full(this.topics.deviceReading(reading.deviceId));
    client.publish(topic, JSON.stringify(readingPayload(reading)), { qos: 0, retain: false }, (error) => {
      if (error) this.counters.droppedReadings += 1;
      else this.counters.published += 1;
    });
  }

  publishDeviceState(deviceId: string, state: DeviceState, error?: { code: string; message: string }): void {
    const payload = deviceStatusPayload(deviceId, state, this.now(), error);
    this.publishRetained(this.topics.deviceStatus(deviceId), JSON.stringify(payload));
  }

  publishCoverage(row: CoverageEvent): void {
    this.publishRetained(this.topics.coverage(row.region, row.kind), JSON.stringify(row));
  }

  /**
   * Commits the event to SQLite (it survives a crash once this returns), then publishes it with
   * QoS 1 when connected. Events reach the broker in the order they were given.
   */
  publishVerification(event: VerificationEvent): void {
    this.enqueueDurable(this.topics.verification(event.record), JSON.stringify(event), false);
  }

  /** A SchedulerListener that publishes readings and device states. */
  schedulerListener(): SchedulerListener {
    return {
      readings: (_device, result) => {
        for (const reading of result.readings) this.publishReading(reading);
      },
      deviceState: (device, state, error) => this.publishDeviceState(device.id, state, error),
    };
  }

  // -------------------------------------------------------------------------------------------

  private clientOptions(): IClientOptions {
    const gatewayId = this.options.gatewayId;
    const options: IClientOptions = {
      clientId: this.options.clientId ?? `metrogate-${gatewayId}`,
      clean: true,
      keepalive: this.options.keepaliveSeconds ?? 30,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      reconnectPeriod: this.initialDelayMs,
      // A refused CONNACK (credentials, ACL reload) is retried like a network failure.
      reconnectOnConnackError: true,
      // Readings published offline are dropped by us; nothing QoS 0 should wait for a reconnect.
      queueQoSZero: false,
      resubscribe: false,
      will: {
        topic: this.topics.full(this.topics.status()),
        payload: Buffer.from('offline'),
        qos: 1,
        retain: true,
      },
    };
    const username = this.options.username ?? this.endpoint.username;
    const password = this.options.password ?? this.endpoint.password;
    if (username !== undefined) options.username = username;
    if (password !== undefined) options.password = password;
    if (this.endpoint.protocol === 'mqtts') {
      const tls = this.options.tls ?? {};
      if (tls.ca !== undefined) options.ca = readTlsFile(tls.ca, 'sinks.mqtt.tls.ca');
      if (tls.cert !== undefined) options.cert = readTlsFile(tls.cert, 'sinks.mqtt.tls.cert');
      if (tls.key !== undefined) options.key = readTlsFile(tls.key, 'sinks.mqtt.tls.key');
      options.rejectUnauthorized = tls.rejectUnauthorized ?? true;
    } else if (this.options.tls && Object.values(this.options.tls).some((v) => v !== undefined)) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `TLS options are set (sinks.mqtt.tls) but the broker URL ${this.endpoint.display} is not mqtts://`,
        { path: 'sinks.mqtt.tls' },
      );
    }
    return options;
  }

  private onConnect(): void {
    const client = this.client;
    if (!client || this.stopping) return;
    this.online = true;
    this.counters.connects += 1;
    this.counters.attemptsSinceConnect = 0;
    client.options.reconnectPeriod = this.initialDelayMs;
    if (this.counters.connects > 1) this.logger.info('reconnected to the MQTT broker');
    else this.logger.info('connected to the MQTT broker');
    this.lastError = '';
    // Status first, so that a subscriber never sees device states under an `offline` gateway.
    this.send(this.topics.status(), 'online', true);
    for (const [topic, payload] of this.retained) this.send(topic, payload, true);
    this.pump();
    for (const waiter of [...this.connectWaiters]) waiter();
  }

  private onClose(): void {
    if (this.online && !this.stopping)
      this.logger.warn('lost the connection to the MQTT broker; reconnecting');
    this.online = false;
  }

  private onError(error: Error): void {
    const hint = connectHint(error, this.endpoint);
    const wrapped = new MetrogateError(
      'MG_ERR_CONNECT_FAILED',
      `MQTT broker ${this.endpoint.display}: ${error.message}${hint ? ` (${hint})` : ''}`,
      { url: this.endpoint.display },
      { cause: error },
    );
    const text = `${wrapped.code}: ${wrapped.message}`;
    // Retries repeat the same failure; log it once, not every attempt.
    if (text !== this.lastError) this.logger.warn({ code: wrapped.code }, wrapped.message);
    this.lastError = text;
  }

  /** Widens the MQTT.js reconnect period: it is read when the next retry timer is armed. */
  private onReconnectAttempt(): void {
    const client = this.client;
    if (!client) return;
    this.counters.reconnectAttempts += 1;
    this.counters.attemptsSinceConnect += 1;
    client.options.reconnectPeriod = reconnectDelayMs(
      this.counters.attemptsSinceConnect,
      this.initialDelayMs,
      this.maxDelayMs,
    );
  }

  private publishRetained(topic: string, payload: string): void {
    this.retained.set(topic, payload);
    if (this.online && !this.stopping) this.send(topic, payload, true);
  }

  /** QoS 1 publish of a state topic; a lost one is re-sent on the next connect anyway. */
  private send(topic: string, payload: string, retain: boolean, done?: (error?: Error) => void): void {
    this.client?.publish(this.topics.full(topic), payload, { qos: 1, retain }, (error) => {
      if (!error) this.counters.published += 1;
      done?.(error);
    });
  }

  private enqueueDurable(topic: string, payload: string, retain: boolean): void {
    try {
      this.statements.insert.run(topic, payload, retain ? 1 : 0, this.now().toISOString());
    } catch (error) {
      throw new MetrogateError(
        'MG_ERR_STORE_FAILED',
        `cannot queue the MQTT event ${topic}: ${(error as Error).message}`,
        { topic },
        { cause: error },
      );
    }
    this.pump();
  }

  /**
   * Hands the oldest durable rows that are not in flight to the client, up to `maxInflight`. Rows
   * in flight when the connection drops stay in MQTT.js's store and are re-sent by it, before
   * anything newer, when the connection is back; a row whose publish failed outright is picked
   * up again here.
   */
  private pump(): void {
    const client = this.client;
    if (!client || !this.online || this.stopping) return;
    const room = this.maxInflight - this.inflight.size;
    if (room <= 0) return;
    const rows = this.statements.oldest.all(this.maxInflight + this.inflight.size);
    let handed = 0;
    for (const row of rows) {
      if (handed >= room) break;
      if (this.inflight.has(row.id)) continue;
      this.inflight.add(row.id);
      handed += 1;
      client.publish(
        this.topics.full(row.topic),
        row.payload,
        { qos: 1, retain: row.retain === 1 },
        (error) => {
          this.inflight.delete(row.id);
          if (error) {
            if (!this.stopping)
              this.logger.warn({ topic: row.topic }, `MQTT publish failed, will retry: ${error.message}`);
            return;
          }
          this.statements.remove.run(row.id);
          this.counters.published += 1;
          this.pump();
        },
      );
    }
  }

  private async shutdown(options: { flush?: boolean; deadlineMs?: number }): Promise<void> {
    const client = this.client;
    if (!client) return;
    const deadline = Date.now() + (options.deadlineMs ?? DEFAULT_STOP_DEADLINE_MS);
    if (options.flush && this.online) {
      await this.waitUntil(() => !this.online || (this.inflight.size === 0 && this.queued() === 0), deadline);
    }
    this.stopping = true;
    let goodbye = false;
    if (this.online) {
      goodbye = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
        this.send(this.topics.status(), 'offline', true, (error) => {
          clearTimeout(timer);
          resolve(!error);
        });
      });
    }
    // A clean DISCONNECT only when nothing is left in flight: MQTT.js would otherwise wait for it.
    const clean = goodbye && this.inflight.size === 0 && this.online;
    this.online = false;
    await new Promise<void>((resolve) => {
      // end() ignores a second call once it started; a connection that hangs is cut instead.
      const timer = setTimeout(
        () => {
          client.stream?.destroy();
          resolve();
        },
        Math.max(100, deadline - Date.now()),
      );
      client.end(!clean, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.inflight.clear();
    this.logger.info(
      clean ? 'disconnected from the MQTT broker' : 'closed the MQTT connection without a goodbye',
    );
  }

  private async waitUntil(condition: () => boolean, deadline: number): Promise<void> {
    while (!condition() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What to check for the common connection failures, in the words of the config. */
export function connectHint(error: Error, endpoint: MqttEndpoint): string | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const text = error.message;
  if (code === 'ECONNREFUSED') return `is a broker listening on ${endpoint.host}:${endpoint.port}?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name ${endpoint.host} does not resolve`;
  if (CERTIFICATE_CODES.has(code)) {
    return "the broker's certificate does not verify: set sinks.mqtt.tls.ca to the CA that signed it (or rejectUnauthorized: false for a test broker)";
  }
  if (/certificate required|certificate unknown|bad certificate/i.test(text)) {
    return 'the broker wants a client certificate it accepts: set sinks.mqtt.tls.cert and sinks.mqtt.tls.key';
  }
  if (/wrong version number|packet length too long/i.test(text)) {
    return endpoint.protocol === 'mqtts'
      ? 'is this port plain MQTT? then use mqtt://'
      : 'is this port TLS? then use mqtts://';
  }
  // Mosquitto drops a TLS hello on a plain listener without a word.
  if (code === 'ECONNRESET' && endpoint.protocol === 'mqtts') {
    return 'if every attempt ends like this, is this port plain MQTT? then use mqtt://';
  }
  if (/Not authorized|Bad username or password/i.test(text)) {
    return 'check sinks.mqtt.username and sinks.mqtt.password (or the credentials in the URL)';
  }
  return undefined;
}

function readTlsFile(path: string, configPath: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `cannot read the TLS file ${path} (${configPath}): ${(error as Error).message}`,
      { path: configPath, file: path },
      { cause: error },
    );
  }
}
