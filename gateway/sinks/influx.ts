/**
 * The InfluxDB 1.x sink: drains the outbox, oldest first, in batches of line protocol POSTed to
 * `/write`, and removes a batch from the outbox only after InfluxDB confirmed it (204). After an
 * outage or a restart the same loop simply reads the outbox from the oldest again, so replay is in
 * order; a point written twice (InfluxDB answered but the ack was lost) lands on the same series and
 * timestamp and overwrites itself, so it is stored once. The lines are mostly made when the points
 * are appended (outbox column `line`); while one batch is in flight the next is read and joined, so
 * the sink's own work overlaps InfluxDB's (one request in flight at a time, in outbox order).
 *
 * Errors are classified as InfluxDB's own clients (Telegraf's outputs.influxdb, influxdb-client-js)
 * do: network errors, timeouts and 5xx keep the batch and retry it with capped exponential back-off
 * plus jitter; a 4xx that is about the data (400 parse error, partial write, field type conflict,
 * points beyond retention) drops and counts the batch, so that one bad point cannot block the pipe.
 * InfluxDB 1.x has already written the good points of a 400 partial write, so nothing needs to be
 * split out for those; a 413 (body too large) wrote nothing, so the batch is halved until the halves
 * fit. 401, 403, 407, 408 and 429 are about the connection or the server's load, not the data, and are
 * retried; 404 "database not found" creates the database again.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InfluxDB, type IPoolOptions, ResultError } from 'influx';
import { MetrogateError } from '../../drivers/errors.js';
import { type Logger, silentLogger } from '../../drivers/logger.js';
import type { Outbox, OutboxPoint, OutboxRow, Sink } from '../runtime/contracts.js';
import {
  type FieldKind,
  fieldKind,
  lineProtocol,
  MEASUREMENT_SCHEMAS,
  type MeasurementSchema,
  pointProblem,
} from './points.js';

export { lineProtocol, pointProblem } from './points.js';

export const DEFAULT_INFLUX_DATABASE = 'metrogate';
/** InfluxDB's own port, used when the URL names none. */
export const DEFAULT_INFLUX_PORT = 8086;
/** InfluxData's documented optimum batch size for writes. */
export const DEFAULT_BATCH_SIZE = 5000;

export interface InfluxConnection {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  database: string;
  username?: string;
  password?: string;
}

/**
 * contracts.md §7: `http://[user:password@]host:port/DATABASE`; an empty path means the database
 * `metrogate`. Credentials given separately (config) win over those in the URL.
 */
export function parseInfluxUrl(url: string, credentials: { username?: string; password?: string } = {}) {
  const invalid = (why: string) =>
    new MetrogateError('MG_ERR_CONFIG_INVALID', `InfluxDB URL ${redact(url)}: ${why}`, { path: 'influx' });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('not a URL; expected http://host:port/DATABASE');
  }
  const protocol = parsed.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') throw invalid(`scheme ${protocol}: is not http or https`);
  if (parsed.search || parsed.hash) throw invalid('query and fragment are not supported');
  const path = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
  if (path.includes('/')) throw invalid(`the path /${path} is not a single database name`);
  const username =
    credentials.username ?? (parsed.username ? decodeURIComponent(parsed.username) : undefined);
  const password =
    credentials.password ?? (parsed.password ? decodeURIComponent(parsed.password) : undefined);
  const connection: InfluxConnection = {
    protocol,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : DEFAULT_INFLUX_PORT,
    database: path === '' ? DEFAULT_INFLUX_DATABASE : path,
  };
  if (username !== undefined) connection.username = username;
  if (password !== undefined) connection.password = password;
  return connection;
}

/** The URL with its password replaced, for messages and stats. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

export type WriteErrorClass =
  /** Keep the batch and try again after the back-off. */
  | { action: 'retry'; status?: number; message: string }
  /** The database is gone: create it, then retry. */
  | { action: 'create-database'; status: 404; message: string }
  /** The body was too large (nothing was written): halve the batch. */
  | { action: 'split'; status: 413; message: string }
  /** The data was refused: drop `dropped` points of the batch (the rest, if any, were written). */
  | { action: 'drop'; status: number; message: string; dropped: number };

/** HTTP statuses that say nothing about the data: auth, proxy auth, request timeout, throttling. */
const RETRYABLE_4XX = new Set([401, 403, 407, 408, 429]);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { res?: { statusCode?: unknown } } | undefined)?.res?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * How many points of a batch of `batchSize` a 4xx body says were refused. InfluxDB 1.x writes the
 * good points of a batch and answers `partial write: … dropped=N` (type conflicts, retention, limits)
 * and/or one `unable to parse '…'` per bad line; a 400 without "partial write" wrote nothing.
 */
export function refusedPointCount(message: string, batchSize: number): number {
  if (!/partial write/i.test(message)) return batchSize;
  const dropped = /dropped=(\d+)/.exec(message);
  const unparsable = message.match(/unable to parse/g)?.length ?? 0;
  const refused = (dropped ? Number(dropped[1]) : 0) + unparsable;
  return refused > 0 ? Math.min(refused, batchSize) : batchSize;
}

/** Classifies what node-influx rejected a write with (see the module comment). */
export function classifyWriteError(error: unknown, batchSize: number): WriteErrorClass {
  const message = messageOf(error);
  const status = statusOf(error);
  // No status: network errors, timeouts and 5xx (node-influx's ServiceNotAvailableError).
  if (status === undefined) return { action: 'retry', message };
  if (status >= 500 || status < 400 || RETRYABLE_4XX.has(status)) return { action: 'retry', status, message };
  if (status === 404 && /database not found/i.test(message))
    return { action: 'create-database', status, message };
  if (status === 404) return { action: 'retry', status, message };
  if (status === 413) return { action: 'split', status, message };
  return { action: 'drop', status, message, dropped: refusedPointCount(message, batchSize) };
}

export interface RetryPolicy {
  /** First back-off (ms). */
  initialMs: number;
  /** Cap of a back-off, jitter included (ms). */
  maxMs: number;
  /** Up to this much random time is added to each back-off, so that gateways do not retry in step. */
  jitterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialMs: 1000, maxMs: 30_000, jitterMs: 1000 };

/** Back-off before retry number `attempt` (from 1): initial·2^(attempt−1) + jitter, capped. */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const base = policy.initialMs * 2 ** exponent;
  return Math.round(Math.min(policy.maxMs, base + random() * policy.jitterMs));
}

/**
 * The field types the sink has seen per measurement, starting from MEASUREMENT_SCHEMAS. A field a
 * point brings that is not yet known is learned with the type the point declares; a point that
 * declares a known field with another type, or holds a value InfluxDB would refuse, is refused here
 * instead of failing its whole batch at the server.
 */
class SchemaRegistry {
  private readonly measurements = new Map<string, Map<string, FieldKind>>();

  constructor(initial: Readonly<Record<string, MeasurementSchema>>) {
    for (const [measurement, schema] of Object.entries(initial)) {
      this.measurements.set(measurement, new Map(Object.entries(schema.fields)));
    }
  }

  /** The point's line, or why it cannot be written. */
  admit(point: OutboxPoint): { line: string } | { problem: string } {
    const problem = pointProblem(point);
    if (problem) return { problem };
    let known = this.measurements.get(point.measurement);
    if (!known) {
      known = new Map();
      this.measurements.set(point.measurement, known);
    }
    const fields = point.fields;
    for (const name in fields) {
      const kind = fieldKind(fields[name]!);
      const existing = known.get(name);
      if (existing !== undefined && existing !== kind) {
        return { problem: `field ${name} of ${point.measurement} is ${existing}; this point has a ${kind}` };
      }
    }
    for (const name in fields) if (!known.has(name)) known.set(name, fieldKind(fields[name]!));
    return { line: lineProtocol(point) };
  }
}

export interface InfluxSinkOptions {
  /** `http://[user:password@]host:port/DATABASE` (contracts.md §7). */
  url: string;
  /** Override the URL's credentials (from the config file). */
  username?: string;
  password?: string;
  outbox: Outbox;
  /** Points per write, at most (default 5000). */
  batchSize?: number;
  /** How often an empty outbox is looked at again (ms, default 1000); `notify()` cuts the wait. */
  idleIntervalMs?: number;
  /** Per-request timeout (ms, default 10 000); a timeout is retried like a network error. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** Sink name in stats and logs (default `influxdb`). */
  name?: string;
  /** For tests: the jitter's random source and the clock of `lagMs`. */
  random?: () => number;
  now?: () => number;
}

/** A batch read from the outbox and serialised, ready to be sent. */
interface Batch {
  /** Outbox entries it covers (refused ones included): what its ack removes. */
  entries: number;
  lastId: number;
  lines: string[];
  /** The lines as the request body, made while the batch before was in flight. */
  body: Buffer;
  refused: number;
  firstProblem: string;
}

type DeliveryOutcome = { kind: 'settled'; written: number; dropped: number } | { kind: 'retry' };

type SinkState = 'stopped' | 'running' | 'flushing' | 'stopping';

export class InfluxSink implements Sink {
  readonly name: string;
  readonly connection: InfluxConnection;
  private readonly outbox: Outbox;
  private readonly batchSize: number;
  private readonly idleIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly safeUrl: string;
  private readonly schemas: SchemaRegistry;
  private readonly requestFn: typeof httpRequest;

  private state: SinkState = 'stopped';
  private loop: Promise<void> | undefined;
  private client: InfluxDB | undefined;
  private agent: HttpAgent | HttpsAgent | undefined;
  private databaseReady = false;
  private attempt = 0;
  private flushDeadline = 0;
  private wakeIdle: (() => void) | undefined;
  private wakeAny: (() => void) | undefined;

  private counters = { written: 0, batches: 0, retries: 0, dropped: 0, droppedBatches: 0, splits: 0 };
  private connected = false;
  private backoffMs = 0;
  private lastError = '';
  private lastErrorAt = '';
  private lastWriteAt = '';

  constructor(options: InfluxSinkOptions) {
    this.connection = parseInfluxUrl(options.url, {
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
    });
    this.name = options.name ?? 'influxdb';
    this.outbox = options.outbox;
    this.batchSize = positiveInteger(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize');
    this.idleIntervalMs = positiveInteger(options.idleIntervalMs ?? 1000, 'idleIntervalMs');
    this.requestTimeoutMs = positiveInteger(options.requestTimeoutMs ?? 10_000, 'requestTimeoutMs');
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.logger = (options.logger ?? silentLogger()).child({ sink: this.name });
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.safeUrl = redact(options.url);
    this.schemas = new SchemaRegistry(MEASUREMENT_SCHEMAS);
    this.requestFn = this.connection.protocol === 'https' ? httpsRequest : httpRequest;
  }

  /** Starts the delivery loop and returns at once: InfluxDB being away is not an error here. */
  async start(): Promise<void> {
    if (this.loop) return;
    const { protocol, host, port, username, password, database } = this.connection;
    // Our own agent, so that stop() can cut an in-flight request instead of waiting for its timeout.
    this.agent =
      protocol === 'https' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.client = new InfluxDB({
      host,
      port,
      protocol,
      database,
      ...(username !== undefined ? { username, password: password ?? '' } : {}),
      options: { agent: this.agent },
      pool: {
        // The sink owns retrying: no retries inside the client, and a back-off of 0 so that the
        // client never takes its only host out of the pool ("No host available").
        maxRetries: 0,
        requestTimeout: this.requestTimeoutMs,
        backoff: NO_BACKOFF,
      },
    });
    this.databaseReady = false;
    this.state = 'running';
    this.loop = this.run();
  }

  /** Wakes an idle sink so that freshly appended points go out now rather than at the next look. */
  notify(): void {
    this.wakeIdle?.();
  }

  async stop(options: { flush?: boolean; deadlineMs?: number } = {}): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    if (options.flush && this.state === 'running') {
      const deadlineMs = Math.max(0, options.deadlineMs ?? 10_000);
      this.state = 'flushing';
      this.flushDeadline = this.now() + deadlineMs;
      this.wakeAny?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(timer);
    }
    this.state = 'stopping';
    this.wakeAny?.();
    // Cuts an in-flight write; it is not acked, and its replay overwrites whatever InfluxDB kept.
    this.agent?.destroy();
    await loop;
    this.loop = undefined;
    this.client = undefined;
    this.agent = undefined;
    this.state = 'stopped';
  }

  stats(): Record<string, number | string | boolean> {
    let outboxDepth = -1;
    let outboxDropped = -1;
    let lagMs = 0;
    try {
      outboxDepth = this.outbox.depth();
      outboxDropped = this.outbox.dropped();
      const oldest = this.outbox.peek(1)[0];
      if (oldest) lagMs = Math.max(0, this.now() - Number(BigInt(oldest.point.timestamp) / 1_000_000n));
    } catch {
      // The store may already be closed after stop(); the counters below still hold.
    }
    return {
      url: this.safeUrl,
      database: this.connection.database,
      running: this.state === 'running' || this.state === 'flushing',
      connected: this.connected,
      ...this.counters,
      backoffMs: this.backoffMs,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastWriteAt: this.lastWriteAt,
      outboxDepth,
      outboxDropped,
      lagMs,
    };
  }

  private active(): boolean {
    return this.state === 'running' || (this.state === 'flushing' && this.now() < this.flushDeadline);
  }

  /**
   * One batch in flight at a time, in outbox order. While it is in flight the sink commits the
   * previous batch's ack (the DELETE and its fsync) and reads and serialises the following batch
   * (`peekAfter`), so that its own work overlaps InfluxDB's instead of adding to it. A batch is
   * acked only after its 204 (or after its points were refused); the ack of one batch may come after
   * the next was sent, which changes nothing for a replay: what was not acked is sent again.
   */
  private async run(): Promise<void> {
    // Read ahead while the previous batch was in flight: follows the batch last sent.
    let ready: Batch | undefined;
    // Last id of a settled batch whose DELETE is still to be committed.
    let unacked: number | undefined;
    const commitAck = () => {
      if (unacked === undefined) return;
      const id = unacked;
      unacked = undefined;
      this.outbox.ackThrough(id);
    };
    try {
      while (this.active()) {
        try {
          if (!this.databaseReady && !(await this.ensureDatabase())) {
            ready = undefined;
            commitAck();
            await this.backOff();
            continue;
          }
          // An empty read-ahead is stale: points may have come since (a stop's last group commit).
          let batch = ready?.entries ? ready : undefined;
          ready = undefined;
          if (!batch) {
            // Without a read-ahead, this read would return the unacked batch again.
            commitAck();
            batch = this.prepare(
              this.outbox.peekAfter?.(0, this.batchSize) ?? this.outbox.peek(this.batchSize),
            );
          }
          if (batch.entries === 0) {
            commitAck();
            if (this.state === 'flushing') return;
            await this.pause(this.idleIntervalMs, 'idle');
            continue;
          }
          const sending = this.deliver(batch);
          // http.request hands the body to its socket on a later tick: let it go out before the
          // synchronous SQLite work below, or that work delays the request instead of overlapping it.
          await new Promise((resolve) => setImmediate(resolve));
          commitAck();
          const following = this.outbox.peekAfter?.(batch.lastId, this.batchSize);
          if (following) ready = this.prepare(following);
          const outcome = await sending;
          if (outcome.kind === 'retry') {
            ready = undefined;
            this.counters.retries++;
            await this.backOff();
            continue;
          }
          unacked = batch.lastId;
          this.attempt = 0;
          this.backoffMs = 0;
          this.counters.batches++;
          this.counters.written += outcome.written;
          if (outcome.dropped > 0) {
            this.counters.dropped += outcome.dropped;
            this.counters.droppedBatches++;
          }
        } catch (error) {
          // The outbox itself failed (disk, closed store): keep the points where they are and wait.
          ready = undefined;
          this.noteError(`outbox: ${messageOf(error)}`);
          await this.backOff();
        }
      }
    } finally {
      try {
        commitAck();
      } catch (error) {
        // Delivered but still in the outbox: the next start sends it again, which InfluxDB absorbs.
        this.noteError(`outbox: ${messageOf(error)}`);
      }
    }
  }

  private async ensureDatabase(): Promise<boolean> {
    const { database } = this.connection;
    try {
      // CREATE DATABASE is idempotent in InfluxDB 1.x.
      await this.client!.createDatabase(database);
      this.databaseReady = true;
      this.connected = true;
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (!(error instanceof ResultError) && (status === undefined || status >= 500)) {
        this.connected = false;
        this.noteError(`cannot reach ${this.safeUrl} to create database ${database}: ${messageOf(error)}`);
        return false;
      }
      // A user without admin rights may not create databases (403, or an error in the result): the
      // writes will tell whether the database exists.
      this.connected = true;
      this.logger.warn({ err: messageOf(error) }, `cannot create database ${database}; writing anyway`);
      this.databaseReady = true;
      return true;
    }
  }

  /** Outbox entries as lines; points InfluxDB would refuse are left out and counted. */
  private prepare(entries: readonly OutboxRow[]): Batch {
    const lines: string[] = [];
    let refused = 0;
    let firstProblem = '';
    for (const entry of entries) {
      // A stored line was checked at append time against the fields the schema starts with.
      if (entry.line !== undefined) {
        lines.push(entry.line);
        continue;
      }
      const admitted = this.schemas.admit(entry.point);
      if ('problem' in admitted) {
        refused++;
        firstProblem ||= `outbox entry ${entry.id}: ${admitted.problem}`;
        continue;
      }
      lines.push(admitted.line);
    }
    return {
      entries: entries.length,
      lastId: entries.at(-1)?.id ?? 0,
      lines,
      body: Buffer.from(lines.join('\n')),
      refused,
      firstProblem,
    };
  }

  private async deliver(batch: Batch): Promise<DeliveryOutcome> {
    const { lines, refused } = batch;
    if (refused > 0) {
      this.noteError(`${refused} point(s) dropped before sending; the first: ${batch.firstProblem}`);
    }
    if (lines.length === 0) return { kind: 'settled', written: 0, dropped: refused };
    const outcome = await this.write(lines, batch.body);
    if (outcome.kind === 'retry') return outcome;
    return { kind: 'settled', written: outcome.written, dropped: outcome.dropped + refused };
  }

  /**
   * POSTs lines to /write. The sink writes its own lines and requests (node-influx built an object
   * per point and its line from that: most of the sink's time per point); its errors have the shape
   * node-influx's have, so that classifyWriteError reads both.
   */
  private post(payload: Buffer): Promise<void> {
    const { host, port, database, username, password } = this.connection;
    return new Promise((resolve, reject) => {
      const request = this.requestFn(
        {
          agent: this.agent,
          host,
          port,
          method: 'POST',
          path: `/write?db=${encodeURIComponent(database)}&precision=n`,
          headers: { 'content-type': 'text/plain', 'content-length': payload.length },
          ...(username !== undefined ? { auth: `${username}:${password ?? ''}` } : {}),
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            response.resume();
            response.on('end', () => resolve());
            response.on('error', reject);
            return;
          }
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('error', reject);
          response.on('end', () => {
            // As node-influx: a 5xx is "service not available" without a status, the rest carry it.
            if (status >= 500) reject(new Error(response.statusMessage || `HTTP ${status}`));
            else
              reject(
                Object.assign(new Error(`A ${status} ${response.statusMessage} error occurred: ${text}`), {
                  res: { statusCode: status },
                }),
              );
          });
        },
      );
      request.setTimeout(this.requestTimeoutMs, () => request.destroy(new Error('Request timed out')));
      request.on('error', reject);
      request.end(payload);
    });
  }

  private async write(lines: string[], body?: Buffer): Promise<DeliveryOutcome> {
    try {
      await this.post(body ?? Buffer.from(lines.join('\n')));
      this.connected = true;
      this.lastWriteAt = new Date(this.now()).toISOString();
      return { kind: 'settled', written: lines.length, dropped: 0 };
    } catch (error) {
      const failure = classifyWriteError(error, lines.length);
      this.connected = failure.status !== undefined;
      switch (failure.action) {
        case 'retry':
          this.noteError(
            `write of ${lines.length} point(s) to ${this.safeUrl} failed, will retry: ${failure.message}`,
          );
          return { kind: 'retry' };
        case 'create-database':
          this.databaseReady = false;
          this.noteError(`database ${this.connection.database} not found, creating it: ${failure.message}`);
          return { kind: 'retry' };
        case 'split': {
          if (lines.length === 1) {
            this.noteError(`a single point is larger than the server accepts, dropped: ${failure.message}`);
            return { kind: 'settled', written: 0, dropped: 1 };
          }
          this.counters.splits++;
          const middle = Math.ceil(lines.length / 2);
          const first = await this.write(lines.slice(0, middle));
          if (first.kind === 'retry') return first;
          const second = await this.write(lines.slice(middle));
          if (second.kind === 'retry') return second;
          return {
            kind: 'settled',
            written: first.written + second.written,
            dropped: first.dropped + second.dropped,
          };
        }
        case 'drop':
          this.noteError(
            `InfluxDB refused ${failure.dropped} of ${lines.length} point(s) (HTTP ${failure.status}), dropped: ${failure.message}`,
          );
          return { kind: 'settled', written: lines.length - failure.dropped, dropped: failure.dropped };
      }
    }
  }

  private noteError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = new Date(this.now()).toISOString();
    this.logger.warn(message);
  }

  private async backOff(): Promise<void> {
    this.attempt++;
    let delay = retryDelayMs(this.attempt, this.retry, this.random);
    if (this.state === 'flushing') delay = Math.min(delay, Math.max(0, this.flushDeadline - this.now()));
    this.backoffMs = delay;
    await this.pause(delay, 'backoff');
  }

  /** Waits `ms`; stop() ends any wait, notify() only an idle one (a back-off is kept). */
  private pause(ms: number, kind: 'idle' | 'backoff'): Promise<void> {
    if (!this.active()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeAny = undefined;
        this.wakeIdle = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeAny = done;
      if (kind === 'idle') this.wakeIdle = done;
    });
  }
}

const NO_BACKOFF: NonNullable<IPoolOptions['backoff']> = {
  getDelay: () => 0,
  next() {
    return NO_BACKOFF;
  },
  reset() {
    return NO_BACKOFF;
  },
};

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `InfluxDB sink ${name} must be a positive integer, not ${value}`,
      {
        path: `influx.${name}`,
      },
    );
  }
  return value;
}
