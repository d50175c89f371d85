import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reading } from '../../drivers/contract.js';
import type { ScheduledDevice, SchedulerStats } from '../runtime/contracts.js';
import type { EvaluationResult } from '../verification/types.js';
import {
  errorRatio,
  failedTests,
  fieldKind,
  gatewayPoint,
  MEASUREMENT_SCHEMAS,
  nanoseconds,
  ReadingPointMapper,
  tagValue,
  type VerificationPointInput,
  verificationPoint,
  worstRatio,
} from './points.js';

const T = new Date('2026-03-01T08:00:00.123Z');
const T_NS = '1772352000123000000';

function reading(overrides: Partial<Reading> = {}): Reading {
  return {
    deviceId: 'scale-1',
    channel: 'weight',
    value: '100.00',
    unit: 'g',
    quality: 'good',
    ts: T,
    ...overrides,
  };
}

describe('nanoseconds', () => {
  it('is the millisecond epoch times 10^6 plus the slot, exactly (beyond 2^53)', () => {
    expect(T.getTime()).toBe(1_772_352_000_123);
    expect(nanoseconds(T)).toBe(T_NS);
    expect(nanoseconds(T, 7)).toBe('1772352000123000007');
    expect(nanoseconds(0)).toBe('0');
  });
});

describe('ReadingPointMapper', () => {
  it('maps a decimal reading to the reading schema: tags, float value, stable, quality, poll time', () => {
    const point = new ReadingPointMapper().fromReading(reading(), { kind: 'scale', region: '江油市' });
    expect(point).toEqual({
      measurement: 'reading',
      tags: { channel: 'weight', device: 'scale-1', kind: 'scale', region: '江油市' },
      fields: { value: { float: 100 }, stable: { boolean: true }, quality: { string: 'good' } },
      timestamp: T_NS,
    });
  });

  it('uses the channel type when it is known, and the value text when it is not', () => {
    const types: Record<string, 'decimal' | 'text' | 'boolean' | 'integer' | 'timestamp'> = {
      status: 'text',
      code: 'text',
      nozzleOut: 'boolean',
      nozzle: 'integer',
      clock: 'timestamp',
    };
    const mapper = new ReadingPointMapper({ channelType: (_device, channel) => types[channel] });
    const meta = { kind: 'dispenser' };
    const fieldsOf = (channel: string, value: string, ms: number) =>
      mapper.fromReading(reading({ channel, value, ts: new Date(ms) }), meta).fields;

    expect(fieldsOf('status', 'filling', 1)).toMatchObject({ text: { string: 'filling' } });
    // A text channel whose word looks like a number is still text: a field's type never changes.
    expect(fieldsOf('code', '0042', 2)).toMatchObject({ text: { string: '0042' } });
    expect(fieldsOf('code', '0042', 2).value).toBeUndefined();
    expect(fieldsOf('nozzleOut', '1', 3)).toMatchObject({ value: { float: 1 } });
    expect(fieldsOf('nozzleOut', 'false', 4)).toMatchObject({ value: { float: 0 } });
    expect(fieldsOf('nozzle', '3', 5)).toMatchObject({ value: { float: 3 } });
    expect(fieldsOf('clock', '12:30:00', 6)).toMatchObject({ text: { string: '12:30:00' } });
    // Unknown channel: the text decides.
    expect(fieldsOf('gross', '-0.125', 7)).toMatchObject({ value: { float: -0.125 } });
    expect(fieldsOf('label', 'OL', 8)).toMatchObject({ text: { string: 'OL' } });
  });

  it('a reading without a value (overload, comm error) has no value field and is not stable', () => {
    const point = new ReadingPointMapper().fromReading(reading({ value: '', quality: 'overload' }), {
      kind: 'scale',
    });
    expect(point.fields).toEqual({ stable: { boolean: false }, quality: { string: 'overload' } });
    expect(point.tags).toEqual({ channel: 'weight', device: 'scale-1', kind: 'scale' });
  });

  it('every field has the one type of MEASUREMENT_SCHEMAS', () => {
    const mapper = new ReadingPointMapper();
    const quality = fc.constantFrom(
      'good',
      'unstable',
      'overload',
      'underload',
      'comm-error',
      'stale' as const,
    );
    fc.assert(
      fc.property(fc.string(), quality, fc.integer({ min: 0, max: 4_000_000_000_000 }), (value, q, ms) => {
        const point = mapper.fromReading(reading({ value, quality: q, ts: new Date(ms) }), { kind: 'scale' });
        for (const [name, field] of Object.entries(point.fields)) {
          expect(MEASUREMENT_SCHEMAS.reading.fields[name]).toBe(fieldKind(field));
        }
        if (value !== '') expect('value' in point.fields || 'text' in point.fields).toBe(true);
      }),
    );
  });

  it('readings of one series in one millisecond get distinct timestamps; other series do not shift', () => {
    const mapper = new ReadingPointMapper();
    const meta = { kind: 'scale' };
    const a1 = mapper.fromReading(reading({ value: '1' }), meta);
    const a2 = mapper.fromReading(reading({ value: '2' }), meta);
    const other = mapper.fromReading(reading({ deviceId: 'scale-2', value: '3' }), meta);
    const a3 = mapper.fromReading(reading({ value: '4' }), meta);
    const later = mapper.fromReading(reading({ value: '5', ts: new Date(T.getTime() + 1) }), meta);
    expect([a1.timestamp, a2.timestamp, a3.timestamp]).toEqual([T_NS, nanoseconds(T, 1), nanoseconds(T, 2)]);
    expect(other.timestamp).toBe(T_NS);
    expect(later.timestamp).toBe(nanoseconds(T.getTime() + 1));
  });

  it('fromPoll tags with the device meta', () => {
    const device = { id: 'p1', meta: { kind: 'dispenser', region: 'east' } } as ScheduledDevice;
    const points = new ReadingPointMapper().fromPoll(device, {
      readings: [reading({ deviceId: 'p1', channel: 'volume', value: '12.34' })],
      errors: [],
    });
    expect(points).toHaveLength(1);
    expect(points[0]!.tags).toEqual({ channel: 'volume', device: 'p1', kind: 'dispenser', region: 'east' });
  });
});

describe('tagValue', () => {
  it('removes what would break a line-protocol line and leaves out empty tags', () => {
    expect(tagValue('a\nb\r\tc')).toBe('a b c');
    expect(tagValue('path\\')).toBe('path');
    expect(tagValue('  ')).toBeUndefined();
    expect(tagValue(undefined)).toBeUndefined();
    expect(tagValue('a,b=c d')).toBe('a,b=c d'); // the client escapes these
  });
});

function result(tests: EvaluationResult['tests'], extra: Partial<EvaluationResult> = {}): EvaluationResult {
  return { verdict: 'fail', ruleSet: 'JJG539-2016', stage: 'initial', tests, ...extra };
}

describe('verification points', () => {
  it('errorRatio: |E|/MPE, percent pairs first, asymmetric limits by the side of the error', () => {
    expect(errorRatio({ test: 'weighing', error: '-3', mpe: '2.5', pass: false })).toBeCloseTo(1.2, 12);
    expect(
      errorRatio({ test: 'delivery', error: '-0.12', errorPercent: '-0.6', mpePercent: '0.30', pass: false }),
    ).toBeCloseTo(2, 12);
    const distance = { test: 'distance', lowerPercent: '-4', upperPercent: '1', pass: true };
    expect(errorRatio({ ...distance, errorPercent: '-2' })).toBeCloseTo(0.5, 12);
    expect(errorRatio({ ...distance, errorPercent: '0.5' })).toBeCloseTo(0.5, 12);
    expect(
      errorRatio({ test: 'delivery', error: '-0.19', lower: '-0.2', upper: '0.1', pass: true }),
    ).toBeCloseTo(0.95, 12);
    expect(errorRatio({ test: 'repeatability', range: '6', limit: '5', pass: false })).toBeUndefined();
    expect(errorRatio({ test: 'zero', error: '1', mpe: '0', pass: false })).toBeUndefined();
    expect(errorRatio({ test: 'x', error: 'n/a', mpe: '1', pass: false })).toBeUndefined();
  });

  it('worst_ratio is the largest ratio; failed_tests counts failing tests and groups', () => {
    const evaluation = result(
      [
        { test: 'zero', error: '0', mpe: '1.25', pass: true },
        { test: 'weighing', error: '1', mpe: '2.5', pass: true },
        { test: 'weighing', error: '7', mpe: '5', pass: false },
        { test: 'repeatability', range: '6', limit: '5', pass: false },
      ],
      { groups: [{ flow: 'max', runs: 3, rangePercent: '0.2', limitPercent: '0.1', pass: false }] },
    );
    expect(worstRatio(evaluation)).toBeCloseTo(1.4, 12);
    expect(failedTests(evaluation)).toBe(3);
    expect(
      worstRatio(result([{ test: 'repeatability', range: '1', limit: '5', pass: true }])),
    ).toBeUndefined();
  });

  const record: VerificationPointInput = {
    id: 'VR-000042',
    sequence: 42,
    performedAt: '2026-03-01T08:00:00.123Z',
    instrument: { id: 'SC-0007', kind: 'scale', region: '江油市' },
    result: result([
      { test: 'weighing', error: '3', mpe: '2.5', pass: false },
      { test: 'weighing', error: '1', mpe: '2.5', pass: true },
    ]),
  };

  it('maps a record to the verification schema, timestamped at performedAt + its sequence in ns', () => {
    expect(verificationPoint(record)).toEqual({
      measurement: 'verification',
      tags: {
        instrument: 'SC-0007',
        kind: 'scale',
        region: '江油市',
        rule_set: 'JJG539-2016',
        stage: 'initial',
        verdict: 'fail',
      },
      fields: {
        worst_ratio: { float: 3 / 2.5 },
        failed_tests: { integer: 1 },
        record: { string: 'VR-000042' },
      },
      timestamp: nanoseconds(T, 42),
    });
    // Same record, same point: a replay overwrites instead of adding.
    expect(verificationPoint(record)).toEqual(verificationPoint(record));
    const next = verificationPoint({ ...record, id: 'VR-000043', sequence: 43 });
    expect(next.timestamp).not.toBe(verificationPoint(record).timestamp);
  });

  it('leaves worst_ratio out when no test has an error with a limit, and region when unknown', () => {
    const point = verificationPoint({
      ...record,
      instrument: { id: 'SC-1', kind: 'scale' },
      result: result([{ test: 'discrimination', pass: true }], { verdict: 'pass' }),
    });
    expect(point.fields).toEqual({ failed_tests: { integer: 0 }, record: { string: 'VR-000042' } });
    expect(point.tags.region).toBeUndefined();
  });
});

describe('gateway points', () => {
  it('carries the scheduler and outbox counters as integers', () => {
    const scheduler: SchedulerStats = {
      polls: 120,
      pollErrors: 3,
      skipped: 1,
      devices: [
        { id: 'a', state: 'online', consecutiveFailures: 0 },
        { id: 'b', state: 'offline', consecutiveFailures: 2 },
        { id: 'c', state: 'demoted', consecutiveFailures: 5 },
        { id: 'd', state: 'online', consecutiveFailures: 0 },
      ],
      buses: [],
    };
    const point = gatewayPoint({
      gatewayId: 'gw-1',
      at: T,
      scheduler,
      outbox: { depth: 17, dropped: 2 },
      extra: { influx_written: 99.7 },
    });
    expect(point).toEqual({
      measurement: 'gateway',
      tags: { gateway: 'gw-1' },
      fields: {
        polls: { integer: 120 },
        poll_errors: { integer: 3 },
        skipped: { integer: 1 },
        devices: { integer: 4 },
        devices_online: { integer: 2 },
        devices_offline: { integer: 1 },
        devices_demoted: { integer: 1 },
        outbox_depth: { integer: 17 },
        dropped: { integer: 2 },
        influx_written: { integer: 99 },
      },
      timestamp: T_NS,
    });
    for (const [name, field] of Object.entries(point.fields)) {
      const declared = MEASUREMENT_SCHEMAS.gateway.fields[name];
      if (declared) expect(fieldKind(field)).toBe(declared);
    }
  });
});
