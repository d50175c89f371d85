/**
 * Turns an evaluation result (contracts.md §2) into the rows of the certificate's result table.
 * Test results are open records whose fields depend on the instrument kind, so each column takes the
 * first field that a kind's evaluator fills in; numbers are printed exactly as the result holds them
 * (decimal strings), never re-rounded.
 */
import type { EvaluationResult, GroupResult, TestResult } from '../verification/types.js';
import {
  type CertificateLanguage,
  DIRECTION_LABELS,
  PASS_FAIL,
  POSITION_LABELS,
  pick,
  REASON_LABELS,
  TEST_LABELS,
  WORDS,
} from './labels.js';

export interface ResultRow {
  test: string;
  subject: string;
  error: string;
  limit: string;
  result: string;
  reason: string;
  /** False when this row failed; undefined for a row without a verdict of its own. */
  pass: boolean | undefined;
  /** 1 for the positions listed inside an eccentricity result. */
  level: 0 | 1;
}

export interface RowContext {
  language: CertificateLanguage;
  kind: 'scale' | 'dispenser' | 'taximeter';
  /** The scale's unit (bench record `instrument.unit`), used for loads and absolute errors. */
  unit?: string;
}

const DASH = '—';
/** Keeps a number and its unit on one line and makes text extractors see the gap as a space. */
const NBSP = '\u00a0';

/** A field as printable text: decimal strings as they are, numbers as JavaScript prints them. */
function field(source: Record<string, unknown>, name: string): string | undefined {
  const value = source[name];
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function withUnit(value: string, unit: string | undefined): string {
  return unit ? `${value}${NBSP}${unit}` : value;
}

function isZero(value: string): boolean {
  return /^[+-]?0*(\.0*)?$/.test(value);
}

/** A limit that stands on one side of zero: keeps a given sign, else adds the side's sign. */
function signed(value: string, side: '+' | '-'): string {
  if (/^[+\-−±]/.test(value) || isZero(value)) return value;
  return `${side}${value}`;
}

function symmetric(value: string): string {
  return /^[+\-−±]/.test(value) ? value : `±${value}`;
}

/** The unit of an absolute error for this test: the scale's unit, metres, seconds or none. */
function errorUnit(test: string, context: RowContext): string | undefined {
  if (context.kind === 'scale') return context.unit;
  if (test === 'distance') return 'm';
  if (test === 'time') return 's';
  return undefined;
}

function subjectOf(source: Record<string, unknown>, context: RowContext): string {
  const { language } = context;
  const load = field(source, 'load');
  if (load !== undefined) return withUnit(load, context.unit);
  const flow = field(source, 'flow');
  if (flow !== undefined) {
    const volume = field(source, 'indicatedVolume');
    return volume === undefined ? flow : `${flow} · ${withUnit(volume, 'L')}`;
  }
  const unitPrice = field(source, 'unitPrice');
  if (unitPrice !== undefined) {
    const volume = field(source, 'indicatedVolume');
    return volume === undefined ? `×${NBSP}${unitPrice}` : `${withUnit(volume, 'L')} ×${NBSP}${unitPrice}`;
  }
  const trueDistance = field(source, 'trueDistance');
  if (trueDistance !== undefined) return withUnit(trueDistance, 'm');
  const testDistance = field(source, 'testDistance');
  if (testDistance !== undefined) {
    const pulses = field(source, 'pulses');
    return pulses === undefined
      ? withUnit(testDistance, 'm')
      : `${withUnit(testDistance, 'm')} (${pulses} ${pick(language, WORDS.pulses, '/')})`;
  }
  const distance = field(source, 'distance');
  if (distance !== undefined) {
    const duration = field(source, 'duration');
    return duration === undefined
      ? withUnit(distance, 'm')
      : `${withUnit(distance, 'm')}, ${withUnit(duration, 's')}`;
  }
  const reference = field(source, 'reference');
  if (reference !== undefined) return withUnit(reference, 's');
  return DASH;
}

function errorOf(source: Record<string, unknown>, test: string, context: RowContext): string {
  const percent = field(source, 'errorPercent');
  if (percent !== undefined) return `${percent}${NBSP}%`;
  const error = field(source, 'error');
  if (error !== undefined) return withUnit(error, errorUnit(test, context));
  const range = field(source, 'range');
  if (range !== undefined)
    return `${pick(context.language, WORDS.range, '/')} ${withUnit(range, context.unit)}`;
  return DASH;
}

function limitOf(source: Record<string, unknown>, test: string, context: RowContext): string {
  const mpePercent = field(source, 'mpePercent');
  if (mpePercent !== undefined) return `${symmetric(mpePercent)}${NBSP}%`;
  const lower = field(source, 'lowerPercent');
  const upper = field(source, 'upperPercent');
  if (lower !== undefined || upper !== undefined) {
    return `${lower === undefined ? DASH : signed(lower, '-')}${NBSP}% … ${upper === undefined ? DASH : signed(upper, '+')}${NBSP}%`;
  }
  const mpe = field(source, 'mpe');
  if (mpe !== undefined) return withUnit(symmetric(mpe), errorUnit(test, context));
  const limit = field(source, 'limit');
  if (limit !== undefined) return `≤${NBSP}${withUnit(limit, context.unit)}`;
  return DASH;
}

function verdictText(pass: unknown, language: CertificateLanguage): string {
  if (pass === true) return pick(language, PASS_FAIL.pass);
  if (pass === false) return pick(language, PASS_FAIL.fail);
  return DASH;
}

function reasonText(reason: unknown, language: CertificateLanguage): string {
  if (typeof reason !== 'string' || reason === '') return '';
  const known = REASON_LABELS[reason];
  return known ? pick(language, known) : reason;
}

function testLabel(result: TestResult, language: CertificateLanguage): string {
  const known = TEST_LABELS[result.test];
  const name = known ? pick(language, known) : result.test;
  const direction = field(result, 'direction');
  if (direction === undefined) return name;
  const label = DIRECTION_LABELS[direction];
  return `${name} (${label ? pick(language, label) : direction})`;
}

function positionRows(result: TestResult, context: RowContext): ResultRow[] {
  const positions = result.positions;
  if (!Array.isArray(positions)) return [];
  const parentLoad = field(result, 'load');
  return positions
    .filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null)
    .map((position) => {
      const name = field(position, 'position') ?? DASH;
      const known = POSITION_LABELS[name];
      const withLoad =
        parentLoad !== undefined && position.load === undefined
          ? { ...position, load: parentLoad }
          : position;
      return {
        test: known ? pick(context.language, known, '/') : name,
        subject: subjectOf(withLoad, context),
        error: errorOf(position, result.test, context),
        limit: limitOf(position, result.test, context),
        result: verdictText(position.pass, context.language),
        reason: reasonText(position.reason, context.language),
        pass: typeof position.pass === 'boolean' ? position.pass : undefined,
        level: 1,
      };
    });
}

export function resultRows(result: EvaluationResult, context: RowContext): ResultRow[] {
  return result.tests.flatMap((test) => [
    {
      test: testLabel(test, context.language),
      subject: subjectOf(test, context),
      error: errorOf(test, test.test, context),
      limit: limitOf(test, test.test, context),
      result: verdictText(test.pass, context.language),
      reason: reasonText(test.reason, context.language),
      pass: test.pass,
      level: 0 as const,
    },
    ...positionRows(test, context),
  ]);
}

export interface GroupRow {
  flow: string;
  runs: string;
  range: string;
  limit: string;
  result: string;
  pass: boolean;
}

export function groupRows(groups: readonly GroupResult[], language: CertificateLanguage): GroupRow[] {
  return groups.map((group) => ({
    flow: group.flow,
    runs: String(group.runs),
    range: `${group.rangePercent}${NBSP}%`,
    limit: `≤${NBSP}${group.limitPercent}${NBSP}%`,
    result: verdictText(group.pass, language),
    pass: group.pass,
  }));
}
