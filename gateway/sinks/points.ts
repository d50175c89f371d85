/**
 * What the gateway writes to InfluxDB, as OutboxPoints (ARCHITECTURE.md "Storage"): readings,
 * verification results and gateway health. A field's type never changes once written (InfluxDB
 * rejects the point otherwise), so every field has exactly one type here, listed in
 * MEASUREMENT_SCHEMAS, which the InfluxDB sink hands to its client.
 *
 * Timestamps are nanoseconds as decimal text. InfluxDB keeps one point per series (measurement +
 * tag set) and timestamp and overwrites on a second write: that is what makes a replay of the
 * outbox harmless, and also what could silently merge two different readings, so the mappers make
 * the timestamps of distinct points distinct and the timestamp of one point stable.
 */
import type { ChannelValueType, PollResult, Reading } from '../../drivers/contract.js';
import type { FieldValue, OutboxPoint, ScheduledDevice, SchedulerStats } from '../runtime/contracts.js';
import type { StoredVerificationRecord } from '../store/record-types.js';
import type { EvaluationResult, TestResult } from '../verification/types.js';

export type FieldKind = 'float' | 'integer' | 'boolean' | 'string';

export interface MeasurementSchema {
  tags: readonly string[];
  fields: Readonly<Record<string, FieldKind>>;
}

/**
 * Every field the gateway writes, with its one type. `reading.text` carries the value of text
 * channels (status words, times), which have no float `value`. `gateway` fields beyond the four of
 * ARCHITECTURE.md come from the scheduler's stats.
 */
export const MEASUREMENT_SCHEMAS: Readonly<Record<OutboxPoint['measurement'], MeasurementSchema>> = {
  reading: {
    tags: ['channel', 'device', 'kind', 'region'],
    fields: { value: 'float', text: 'string', stable: 'boolean', quality: 'string' },
  },
  verification: {
    tags: ['instrument', 'kind', 'region', 'rule_set', 'stage', 'verdict'],
    fields: { worst_ratio: 'float', failed_tests: 'integer', record: 'string' },
  },
  coverage: {
    tags: ['kind', 'region'],
    fields: {
      due: 'integer',
      verified_on_time: 'integer',
      inspection_rate: 'float',
      valid: 'integer',
      in_use: 'integer',
      valid_rate: 'float',
      overdue: 'integer',
      pass_rate: 'float',
    },
  },
  gateway: {
    tags: ['gateway'],
    fields: {
      polls: 'integer',
      poll_errors: 'integer',
      skipped: 'integer',
      devices: 'integer',
      devices_online: 'integer',
      devices_offline: 'integer',
      devices_demoted: 'integer',
      outbox_depth: 'integer',
      dropped: 'integer',
    },
  },
};

export function fieldKind(value: FieldValue): FieldKind {
  if ('float' in value) return 'float';
  if ('integer' in value) return 'integer';
  if ('boolean' in value) return 'boolean';
  return 'string';
}

const NS_PER_MS = 1_000_000n;
/** Sub-millisecond slots per series and millisecond (the nanosecond digits below the ms). */
const SLOTS_PER_MS = 1_000_000;

/** Nanoseconds since the epoch as decimal text, `slot` ns after the millisecond of `at`. */
export function nanoseconds(at: Date | number, slot = 0): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  return (BigInt(Math.trunc(ms)) * NS_PER_MS + BigInt(slot)).toString();
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;

/**
 * Tag values cannot hold line breaks (a line-protocol line would end there), cannot be empty (the
 * tag is then left out) and must not end in a backslash (it would escape the next separator).
 */
export function tagValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.replace(CONTROL_CHARACTERS, ' ').trim().replace(/\\+$/, '');
  return cleaned === '' ? undefined : cleaned;
}

function tagSet(entries: Record<string, string | undefined>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [name, raw] of Object.entries(entries)) {
    const value = tagValue(raw);
    if (value !== undefined) tags[name] = value;
  }
  return tags;
}

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const BOOLEAN_TEXT: Record<string, number> = { '1': 1, '0': 0, true: 1, false: 0 };

/** The float of a decimal or boolean value text, or undefined when it has none. */
function numericValue(value: string, type: ChannelValueType | undefined): number | undefined {
  const text = value.trim();
  const lower = text.toLowerCase();
  if (type === 'boolean' && Object.hasOwn(BOOLEAN_TEXT, lower)) return BOOLEAN_TEXT[lower];
  if (!DECIMAL_TEXT.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

export interface ReadingPointOptions {
  /**
   * The value type of a device's channel (from the driver's ChannelSpec list). When it is unknown
   * the value text decides: decimal text becomes `value`, anything else `text`.
   */
  channelType?: (deviceId: string, channel: string) => ChannelValueType | undefined;
}

/** What the tags of a reading need besides the reading itself (ScheduledDevice.meta). */
export interface ReadingMeta {
  kind: string;
  region?: string;
}

/**
 * Readings → `reading` points. Fields: `value` float (decimal, integer and boolean channels with a
 * value: booleans as 1/0), `text` string (text and timestamp channels, and a value that is not a
 * number), `stable` bool (quality good), `quality` string. Timestamp: the poll time; a second
 * reading of the same series in the same millisecond gets the next nanosecond, so that it does not
 * overwrite the first. Keeps that per-series state, so use one mapper per gateway process.
 */
export class ReadingPointMapper {
  private readonly lastSlot = new Map<string, { ms: number; slot: number }>();

  constructor(private readonly options: ReadingPointOptions = {}) {}

  fromPoll(device: ScheduledDevice, result: PollResult): OutboxPoint[] {
    return this.fromReadings(result.readings, device.meta);
  }

  fromReadings(readings: readonly Reading[], meta: ReadingMeta): OutboxPoint[] {
    return readings.map((reading) => this.fromReading(reading, meta));
  }

  fromReading(reading: Reading, meta: ReadingMeta): OutboxPoint {
    const tags = tagSet({
      channel: reading.channel,
      device: reading.deviceId,
      kind: meta.kind,
      region: meta.region,
    });
    const type = this.options.channelType?.(reading.deviceId, reading.channel);
    const fields: Record<string, FieldValue> = {
      quality: { string: reading.quality },
      stable: { boolean: reading.quality === 'good' },
    };
    if (reading.value !== '') {
      const number = type === 'text' || type === 'timestamp' ? undefined : numericValue(reading.value, type);
      if (number !== undefined) fields.value = { float: number };
      else fields.text = { string: reading.value };
    }
    const ms = reading.ts.getTime();
    return { measurement: 'reading', tags, fields, timestamp: nanoseconds(ms, this.slotFor(tags, ms)) };
  }

  private slotFor(tags: Record<string, string>, ms: number): number {
    const series = JSON.stringify(tags);
    const last = this.lastSlot.get(series);
    const slot = last && last.ms === ms ? Math.min(last.slot + 1, SLOTS_PER_MS - 1) : 0;
    this.lastSlot.set(series, { ms, slot });
    return slot;
  }
}

/** The verification fields that `worst_ratio` reads: an error and the limit it was judged against. */
const ERROR_LIMIT_PAIRS: readonly (readonly [error: string, mpe: string, lower: string, upper: string])[] = [
  ['errorPercent', 'mpePercent', 'lowerPercent', 'upperPercent'],
  ['error', 'mpe', 'lower', 'upper'],
];

function finiteNumber(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  if (typeof value === 'string' && !DECIMAL_TEXT.test(value.trim())) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * |E| / MPE of one test, or undefined when the test has no error with a limit (repeatability,
 * discrimination). Percent pairs win over absolute ones (dispensers report both); an asymmetric
 * limit (taximeters, R 117 in service) divides by the side the error is on.
 */
export function errorRatio(test: TestResult): number | undefined {
  for (const [errorName, mpeName, lowerName, upperName] of ERROR_LIMIT_PAIRS) {
    const error = finiteNumber(test[errorName]);
    if (error === undefined) continue;
    const mpe = finiteNumber(test[mpeName]);
    let limit: number | undefined;
    if (mpe !== undefined) limit = Math.abs(mpe);
    else {
      const side = finiteNumber(error < 0 ? test[lowerName] : test[upperName]);
      if (side !== undefined) limit = Math.abs(side);
    }
    if (limit === undefined) continue;
    if (limit === 0) return undefined;
    return Math.abs(error) / limit;
  }
  return undefined;
}

export function worstRatio(result: EvaluationResult): number | undefined {
  let worst: number | undefined;
  for (const test of result.tests) {
    const ratio = errorRatio(test);
    if (ratio !== undefined && (worst === undefined || ratio > worst)) worst = ratio;
  }
  return worst;
}

/** Failing tests plus failing repeatability groups, so that a failed verdict never shows 0. */
export function failedTests(result: EvaluationResult): number {
  const tests = result.tests.filter((test) => test.pass === false).length;
  const groups = (result.groups ?? []).filter((group) => !group.pass).length;
  return tests + groups;
}

export type VerificationPointInput = Pick<
  StoredVerificationRecord,
  'id' | 'sequence' | 'instrument' | 'result' | 'performedAt'
>;

/**
 * A stored verification record → one `verification` point at the time it was performed. The
 * record's sequence fills the nanosecond digits, so two records of one instrument in the same
 * millisecond stay two points, and writing the same record twice gives the same point.
 */
export function verificationPoint(record: VerificationPointInput): OutboxPoint {
  const { result, instrument } = record;
  const fields: Record<string, FieldValue> = {
    failed_tests: { integer: failedTests(result) },
    record: { string: record.id },
  };
  const worst = worstRatio(result);
  if (worst !== undefined) fields.worst_ratio = { float: worst };
  return {
    measurement: 'verification',
    tags: tagSet({
      instrument: instrument.id,
      kind: instrument.kind,
      region: instrument.region,
      rule_set: result.ruleSet,
      stage: result.stage,
      verdict: result.verdict,
    }),
    fields,
    timestamp: nanoseconds(new Date(record.performedAt), record.sequence % SLOTS_PER_MS),
  };
}

export interface GatewayHealth {
  gatewayId: string;
  at: Date;
  scheduler?: SchedulerStats;
  outbox?: { depth: number; dropped: number };
  /** Further integer counters (e.g. a sink's `written`), snake_case names. */
  extra?: Record<string, number>;
}

/** Gateway health → one `gateway` point (integers only). */
export function gatewayPoint(health: GatewayHealth): OutboxPoint {
  const counters: Record<string, number> = { ...health.extra };
  const { scheduler, outbox } = health;
  if (scheduler) {
    counters.polls = scheduler.polls;
    counters.poll_errors = scheduler.pollErrors;
    counters.skipped = scheduler.skipped;
    counters.devices = scheduler.devices.length;
    counters.devices_online = scheduler.devices.filter((d) => d.state === 'online').length;
    counters.devices_offline = scheduler.devices.filter((d) => d.state === 'offline').length;
    counters.devices_demoted = scheduler.devices.filter((d) => d.state === 'demoted').length;
  }
  if (outbox) {
    counters.outbox_depth = outbox.depth;
    counters.dropped = outbox.dropped;
  }
  const fields: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(counters)) {
    if (Number.isFinite(value)) fields[name] = { integer: Math.trunc(value) };
  }
  return {
    measurement: 'gateway',
    tags: tagSet({ gateway: health.gatewayId }),
    fields,
    timestamp: nanoseconds(health.at),
  };
}

/** What a `coverage` point carries: a coverage row of contracts.md §6 (gateway/coverage/report.ts). */
export interface CoveragePointRow {
  region: string;
  kind: string;
  inUse: number;
  due: number;
  inspected: number;
  inspectionRate: string | null;
  valid: number;
  validRate: string | null;
  overdue: number;
  passRate: string | null;
}

/**
 * One region × kind's coverage on one day → one `coverage` point (tags region and kind). `at` is
 * the time that stands for the day — gateway/coverage/service.ts passes local midnight of the
 * period's last day, so that every update of the same day writes the same series and timestamp and
 * overwrites the day's point instead of adding one. `verified_on_time` is the row's `inspected`.
 * Counts are integers, rates floats (the 4-place decimal of the row); a rate with a zero
 * denominator (null) is left out of the point, not written as 0: InfluxDB has no null.
 */
export function coveragePoint(row: CoveragePointRow, at: Date | number): OutboxPoint {
  const fields: Record<string, FieldValue> = {
    due: { integer: row.due },
    verified_on_time: { integer: row.inspected },
    valid: { integer: row.valid },
    in_use: { integer: row.inUse },
    overdue: { integer: row.overdue },
  };
  const rates = { inspection_rate: row.inspectionRate, valid_rate: row.validRate, pass_rate: row.passRate };
  for (const [name, text] of Object.entries(rates)) {
    if (text !== null) fields[name] = { float: Number(text) };
  }
  return {
    measurement: 'coverage',
    tags: tagSet({ region: row.region, kind: row.kind }),
    fields,
    timestamp: nanoseconds(at),
  };
}

// ---- line protocol ------------------------------------------------------------------------------

const LINE_BREAK = /[\r\n]/;
const NANOSECONDS = /^-?\d{1,19}$/;
/** InfluxDB 1.x refuses string fields longer than this (bytes). */
const MAX_STRING_FIELD_BYTES = 64 * 1024;

/** What InfluxDB would refuse in one point, checked before it can fail a batch. */
export function pointProblem(point: OutboxPoint): string | undefined {
  if (typeof point.measurement !== 'string' || point.measurement.length === 0)
    return 'the point has no measurement';
  for (const [name, value] of Object.entries(point.tags ?? {})) {
    if (name === '' || typeof value !== 'string' || value === '' || LINE_BREAK.test(name + value)) {
      return `tag ${JSON.stringify(name)} of ${point.measurement} is empty or holds a line break`;
    }
    if (value.endsWith('\\')) return `tag ${name} of ${point.measurement} ends in a backslash`;
  }
  const fields = Object.entries(point.fields ?? {});
  if (fields.length === 0) return `the ${point.measurement} point has no fields`;
  for (const [name, value] of fields) {
    if (name === '' || LINE_BREAK.test(name))
      return `a field name of ${point.measurement} is empty or holds a line break`;
    if ('float' in value && !Number.isFinite(value.float)) {
      return `field ${name} of ${point.measurement} is not a finite number (${value.float})`;
    }
    if ('integer' in value && !Number.isSafeInteger(value.integer)) {
      return `field ${name} of ${point.measurement} is not an integer (${value.integer})`;
    }
    if ('boolean' in value && typeof value.boolean !== 'boolean') return `field ${name} is not a boolean`;
    if ('string' in value) {
      if (typeof value.string !== 'string') return `field ${name} is not a string`;
      if (Buffer.byteLength(value.string) > MAX_STRING_FIELD_BYTES) {
        return `field ${name} of ${point.measurement} is longer than 64 KiB`;
      }
    }
  }
  if (typeof point.timestamp !== 'string' || !NANOSECONDS.test(point.timestamp)) {
    return `the timestamp ${String(point.timestamp)} is not nanoseconds as decimal text`;
  }
  return undefined;
}

/**
 * Line-protocol escapes (InfluxDB 1.x): in a measurement `,` and space; in tag keys, tag values and
 * field keys `,` `=` and space; in a string field `"` and `\`. Tested first without the g flag, so
 * that no regular expression carries a lastIndex between calls.
 */
const MEASUREMENT_SPECIAL = /[, ]/;
const KEY_SPECIAL = /[,= ]/;
const STRING_SPECIAL = /["\\]/;

function escapeMeasurement(name: string): string {
  return MEASUREMENT_SPECIAL.test(name) ? name.replace(/[, ]/g, '\\$&') : name;
}

function escapeKey(text: string): string {
  return KEY_SPECIAL.test(text) ? text.replace(/[,= ]/g, '\\$&') : text;
}

function quoteString(text: string): string {
  return STRING_SPECIAL.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
}

/** A field value as line protocol: integers with `i`, booleans `T`/`F` (as node-influx writes them). */
function fieldText(value: FieldValue): string {
  if ('float' in value) return String(value.float);
  if ('integer' in value) return `${Math.floor(value.integer)}i`;
  if ('boolean' in value) return value.boolean ? 'T' : 'F';
  return quoteString(value.string);
}

/**
 * One point as a line of line protocol, tags and fields sorted by name (InfluxData's advice for
 * write speed, and what node-influx wrote before the sink wrote its own lines).
 */
export function lineProtocol(point: OutboxPoint): string {
  let line = escapeMeasurement(point.measurement);
  const tags = point.tags;
  const tagNames = Object.keys(tags);
  if (tagNames.length > 1) tagNames.sort();
  for (const name of tagNames) line += `,${escapeKey(name)}=${escapeKey(tags[name]!)}`;
  const fields = point.fields;
  const fieldNames = Object.keys(fields);
  if (fieldNames.length > 1) fieldNames.sort();
  for (let i = 0; i < fieldNames.length; i++) {
    const name = fieldNames[i]!;
    line += `${i === 0 ? ' ' : ','}${escapeKey(name)}=${fieldText(fields[name]!)}`;
  }
  return `${line} ${point.timestamp}`;
}

/**
 * The line the InfluxDB sink will send for a point, made when the point is appended to the outbox
 * (so that draining it is a join of stored text), or undefined when only the sink can decide: a point
 * InfluxDB would refuse, or with a field that MEASUREMENT_SCHEMAS does not list with that type (the
 * sink learns new fields, and refuses contradicting ones, as it meets them).
 */
export function preformattedLine(point: OutboxPoint): string | undefined {
  const schema = MEASUREMENT_SCHEMAS[point.measurement];
  if (!schema || pointProblem(point) !== undefined) return undefined;
  const fields = point.fields;
  for (const name in fields) {
    if (schema.fields[name] !== fieldKind(fields[name]!)) return undefined;
  }
  return lineProtocol(point);
}
