/**
 * Is a reference standard fit for a test point? Two questions (量传溯源):
 *
 * 1. Is its calibration valid on the day of the test? A standard past its due date (the test date
 *    is after `dueDate`; the due date itself is still valid) or calibrated only after the test is
 *    refused.
 * 2. Is it accurate enough? Its error limit at the test point must not exceed `ratio` times the
 *    instrument's MPE there. For a weight set the test load is composed from the set's pieces
 *    (largest first, each piece at most once) and the pieces' MPEs are summed, the conservative
 *    combination.
 *
 * The ratio is per kind of standard, because the regulations do not use one number:
 * - weight sets: 1/3 — the weights' error must not exceed 1/3 of the scale's MPE at that load
 *   (JJG 539-2016 as cited, metrology-rules.md §1(a), SECONDARY);
 * - cans: 1/3 by default, the same rule of thumb (a second-class standard can at ±0.025 % against
 *   a ±0.30 % dispenser is 1/12, far inside it);
 * - pulse generators: 1/2 — the JJG 517-2016 bench device (检定装置) itself is specified at ±0.1 %
 *   (metrology-rules.md §3(a), CONFIRMED as reported) while the bench distance MPE is ±0.2 %
 *   (UNCONFIRMED best-known value); a 1/3 rule would refuse the very device the regulation
 *   prescribes, so taximeter benches use 1/2;
 * - thermometers: 1/3 by default (UNCONFIRMED; JJG 443 names the thermometer but no ratio).
 * Every ratio can be overridden per call (a fraction "1/3" or a decimal "0.5").
 *
 * All arithmetic is exact decimal: a weight set at exactly 1/3 of the MPE passes.
 */
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import type { RecordStandard } from './record-types.js';
import {
  convertMass,
  describeStandard,
  MASS_UNITS,
  type MassUnit,
  type ReferenceStandard,
  type StandardKind,
  toRecordStandard,
  type WeightSetStandard,
} from './standards.js';
import { isCalendarDate } from './validation.js';

export const DEFAULT_STANDARD_RATIOS: Readonly<Record<StandardKind, string>> = {
  'weight-set': '1/3',
  can: '1/3',
  'pulse-generator': '1/2',
  thermometer: '1/3',
};

/** What the instrument's MPE is expressed in, per kind of standard compared with it. */
export const INSTRUMENT_MPE_UNITS: Readonly<Record<StandardKind, string>> = {
  'weight-set': 'the load unit',
  can: '% (relative)',
  'pulse-generator': '% (relative)',
  thermometer: '°C',
};

export interface StandardsCheckInput {
  standards: readonly ReferenceStandard[];
  /** Day of the test, YYYY-MM-DD. */
  date: string;
  /** Test load for weight sets, decimal text in `unit`. */
  load?: string;
  unit?: MassUnit;
  /**
   * The instrument's MPE at the test point, as a magnitude (a sign is ignored): in `unit` for weight
   * sets, in % for cans and pulse generators, in °C for thermometers. One value when all standards
   * are of one kind, or one per kind.
   */
  instrumentMpe: string | Partial<Record<StandardKind, string>>;
  /** Overrides DEFAULT_STANDARD_RATIOS: one value for all kinds, or per kind. */
  ratio?: string | Partial<Record<StandardKind, string>>;
}

/**
 * Checks every standard for the test point and returns what the record keeps about the standards
 * used: every cans / pulse generator / thermometer given, and the weight sets whose pieces make up
 * the load (none at zero load). Throws MG_ERR_STANDARD_INVALID naming the standard and the reason,
 * or MG_ERR_INPUT_INVALID when the test point itself is incomplete.
 */
export function checkStandardsFor(input: StandardsCheckInput): RecordStandard[] {
  checkStandardsDue(input.standards, input.date);
  const used: RecordStandard[] = [];
  const weightSets = input.standards.filter((s): s is WeightSetStandard => s.kind === 'weight-set');
  const usedSets = new Set<string>();
  if (weightSets.length > 0) {
    if (input.load === undefined || input.unit === undefined) {
      throw inputError(`the test load and its unit are needed to check weight set ${weightSets[0]!.id}`);
    }
    const composition = composeLoad(weightSets, input.load, input.unit);
    for (const piece of composition.pieces) usedSets.add(piece.standardId);
    const setIds = [...usedSets];
    if (setIds.length > 0) {
      const limit = ratioFor(input.ratio, 'weight-set');
      const mpe = instrumentMpeFor(input.instrumentMpe, 'weight-set');
      if (!withinRatio(new Dec(composition.mpeSum), mpe, limit)) {
        const names = setIds.length === 1 ? `weight set ${setIds[0]}` : `weight sets ${setIds.join(', ')}`;
        throw standardError(
          setIds[0]!,
          'not-accurate-enough',
          `${names}: the pieces for ${input.load} ${input.unit} (${composition.pieces
            .map((p) => `${p.nominal} ${p.unit}`)
            .join(
              ' + ',
            )}) have an MPE sum of ${composition.mpeSum} ${input.unit}, more than ${limit.text} of ` +
            `the instrument's MPE ${mpe.toFixed()} ${input.unit} (${formatLimit(mpe, limit)} ${input.unit})`,
        );
      }
    }
  }
  for (const standard of input.standards) {
    if (standard.kind === 'weight-set') {
      if (usedSets.has(standard.id)) used.push(toRecordStandard(standard));
      continue;
    }
    const limit = ratioFor(input.ratio, standard.kind);
    const mpe = instrumentMpeFor(input.instrumentMpe, standard.kind);
    const own = standard.kind === 'thermometer' ? standard.mpe : standard.relativeMpe;
    const unit = standard.kind === 'thermometer' ? '°C' : '%';
    if (!withinRatio(new Dec(own), mpe, limit)) {
      throw standardError(
        standard.id,
        'not-accurate-enough',
        `standard ${standard.id} (${describeStandard(standard)}): its MPE ${own} ${unit} is more than ${limit.text} ` +
          `of the instrument's MPE ${mpe.toFixed()} ${unit} (${formatLimit(mpe, limit)} ${unit})`,
      );
    }
    used.push(toRecordStandard(standard));
  }
  return used;
}

/** Refuses a standard whose calibration is not valid on `date` (YYYY-MM-DD). */
export function checkStandardsDue(standards: readonly ReferenceStandard[], date: string): void {
  if (!isCalendarDate(date))
    throw inputError(`the test date ${JSON.stringify(date)} is not a date written YYYY-MM-DD`);
  for (const standard of standards) {
    const label = `standard ${standard.id} (${describeStandard(standard)}, certificate ${standard.certificateNumber})`;
    if (date > standard.dueDate) {
      throw standardError(
        standard.id,
        'past-due',
        `${label} was due for calibration on ${standard.dueDate}; it cannot be used on ${date}`,
      );
    }
    if (date < standard.calibrationDate) {
      throw standardError(
        standard.id,
        'not-yet-calibrated',
        `${label} was calibrated on ${standard.calibrationDate}, after the test date ${date}`,
      );
    }
  }
}

export interface ComposedPiece {
  standardId: string;
  nominal: string;
  unit: MassUnit;
  /** The piece's MPE converted to the load unit. */
  mpe: string;
}

export interface WeightComposition {
  pieces: ComposedPiece[];
  /** Sum of the pieces' MPEs in the load unit. */
  mpeSum: string;
}

/** Bounds the search when largest-first fails on an unusual set; decade sets never come near. */
const COMPOSE_SEARCH_LIMIT = 100_000;

/**
 * Makes up `load` (in `unit`) from the pieces of the given sets: largest piece first, each piece at
 * most once. Among pieces of equal nominal value the one with the smallest MPE is taken first. If
 * taking the largest fitting piece leads to a dead end (a 3-2-2 set for 4), smaller pieces are
 * tried instead, still preferring the larger. Throws MG_ERR_STANDARD_INVALID when no combination
 * makes the load exactly.
 */
export function composeLoad(
  sets: readonly WeightSetStandard[],
  load: string,
  unit: MassUnit,
): WeightComposition {
  if (!MASS_UNITS.includes(unit))
    throw inputError(`${JSON.stringify(unit)} is not a mass unit (${MASS_UNITS.join(', ')})`);
  let target: Dec;
  try {
    target = new Dec(load);
  } catch {
    throw inputError(`the test load ${JSON.stringify(load)} is not a decimal number`);
  }
  if (target.isNegative() || !target.isFinite())
    throw inputError(`the test load ${load} must not be negative`);

  interface Candidate extends ComposedPiece {
    value: Dec;
    mpeValue: Dec;
  }
  const groups = new Map<string, Candidate[]>();
  for (const set of sets) {
    for (const piece of set.pieces) {
      const value = convertMass(new Dec(piece.nominal), piece.unit, unit);
      const mpeValue = convertMass(new Dec(piece.mpe), piece.mpeUnit, unit);
      const key = value.toFixed();
      const group = groups.get(key) ?? [];
      for (let i = 0; i < piece.count; i++) {
        group.push({
          standardId: set.id,
          nominal: piece.nominal,
          unit: piece.unit,
          mpe: mpeValue.toFixed(),
          value,
          mpeValue,
        });
      }
      groups.set(key, group);
    }
  }
  const ordered = [...groups.values()]
    .map((group) => group.sort((a, b) => a.mpeValue.comparedTo(b.mpeValue)))
    .sort((a, b) => b[0]!.value.comparedTo(a[0]!.value));
  // What the groups from index i onwards can add up to, for pruning.
  const reach: Dec[] = new Array(ordered.length + 1);
  reach[ordered.length] = new Dec(0);
  for (let i = ordered.length - 1; i >= 0; i--) {
    reach[i] = reach[i + 1]!.plus(ordered[i]![0]!.value.times(ordered[i]!.length));
  }

  let budget = COMPOSE_SEARCH_LIMIT;
  const chosen: Candidate[] = [];
  const search = (index: number, remaining: Dec): boolean => {
    if (remaining.isZero()) return true;
    if (index >= ordered.length || reach[index]!.lessThan(remaining) || --budget <= 0) return false;
    const group = ordered[index]!;
    const value = group[0]!.value;
    const most = Math.min(group.length, remaining.dividedToIntegerBy(value).toNumber());
    for (let take = most; take >= 0; take--) {
      chosen.push(...group.slice(0, take));
      if (search(index + 1, remaining.minus(value.times(take)))) return true;
      chosen.length -= take;
    }
    return false;
  };

  if (!search(0, target)) {
    const names = sets.map((set) => set.id).join(', ') || '(none)';
    const smallest = ordered.at(-1)?.[0];
    throw standardError(
      sets[0]?.id ?? '(none)',
      'cannot-compose',
      `the load ${load} ${unit} cannot be composed from the pieces of weight ${sets.length === 1 ? 'set' : 'sets'} ${names}` +
        ` (largest first, each piece once: ${greedyRemainder(ordered, target).toFixed()} ${unit} remain` +
        (smallest ? `; the smallest piece is ${smallest.nominal} ${smallest.unit})` : ')'),
    );
  }
  const mpeSum = chosen.reduce((sum, piece) => sum.plus(piece.mpeValue), new Dec(0));
  return {
    pieces: chosen.map(({ standardId, nominal, unit: pieceUnit, mpe }) => ({
      standardId,
      nominal,
      unit: pieceUnit,
      mpe,
    })),
    mpeSum: mpeSum.toFixed(),
  };
}

function greedyRemainder(ordered: { value: Dec }[][], target: Dec): Dec {
  let remaining = target;
  for (const group of ordered) {
    for (const piece of group) {
      if (piece.value.lessThanOrEqualTo(remaining)) remaining = remaining.minus(piece.value);
    }
  }
  return remaining;
}

interface Ratio {
  numerator: Dec;
  denominator: Dec;
  text: string;
}

export function parseRatio(text: string): Ratio {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?))?\s*$/.exec(text);
  const numerator = match ? new Dec(match[1]!) : undefined;
  const denominator = match ? new Dec(match[2] ?? '1') : undefined;
  if (
    !numerator ||
    !denominator ||
    denominator.isZero() ||
    numerator.isZero() ||
    numerator.greaterThan(denominator)
  ) {
    throw inputError(
      `the ratio ${JSON.stringify(text)} must be a fraction such as 1/3 or a decimal in (0, 1]`,
    );
  }
  return { numerator, denominator, text: text.replace(/\s+/g, '') };
}

function ratioFor(ratio: StandardsCheckInput['ratio'], kind: StandardKind): Ratio {
  const text = typeof ratio === 'string' ? ratio : (ratio?.[kind] ?? DEFAULT_STANDARD_RATIOS[kind]);
  return parseRatio(text);
}

function instrumentMpeFor(mpe: StandardsCheckInput['instrumentMpe'], kind: StandardKind): Dec {
  const text = typeof mpe === 'string' ? mpe : mpe[kind];
  if (text === undefined) {
    throw inputError(
      `the instrument's MPE (in ${INSTRUMENT_MPE_UNITS[kind]}) is needed to check the ${kind} standards`,
    );
  }
  let value: Dec;
  try {
    value = new Dec(text).abs();
  } catch {
    throw inputError(`the instrument's MPE ${JSON.stringify(text)} is not a decimal number`);
  }
  if (value.isZero() || !value.isFinite())
    throw inputError(`the instrument's MPE ${text} must be greater than 0`);
  return value;
}

/** error ≤ (numerator / denominator) × mpe, compared without dividing (1/3 stays exact). */
function withinRatio(error: Dec, mpe: Dec, ratio: Ratio): boolean {
  return error.times(ratio.denominator).lessThanOrEqualTo(mpe.times(ratio.numerator));
}

function formatLimit(mpe: Dec, ratio: Ratio): string {
  return mpe.times(ratio.numerator).dividedBy(ratio.denominator).toSignificantDigits(6).toFixed();
}

export type StandardProblem = 'past-due' | 'not-yet-calibrated' | 'not-accurate-enough' | 'cannot-compose';

function standardError(standardId: string, reason: StandardProblem, message: string): MetrogateError {
  return new MetrogateError('MG_ERR_STANDARD_INVALID', message, { standard: standardId, reason });
}

function inputError(message: string): MetrogateError {
  return new MetrogateError('MG_ERR_INPUT_INVALID', message);
}
