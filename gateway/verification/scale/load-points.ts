/**
 * The loads a verification procedure should apply to a scale (metrology-rules.md §1(b)). Pure:
 * the same rule set, instrument and options always give the same plan. Loads are decimal text in
 * the instrument's unit; a load that is a fraction of Max is rounded down to a multiple of e
 * (NZ TS-007 allows rounding the eccentricity load down by up to Min, and e ≤ Min).
 */
import { Dec } from '../../../drivers/decimal.js';
import { decimalText, inputError } from '../input.js';
import { resolveParameters } from '../parameters.js';
import type { ResolvedParameters } from '../types.js';
import { type MassUnit, parseScaleInstrument, type ScaleInstrument } from './instrument.js';
import { mpeBandAt } from './mpe.js';
import type { ScaleRuleSet } from './rule-set.js';

export type WeighingPointRole = 'min' | 'band-boundary' | 'fill' | 'max';

export interface WeighingPoint {
  load: string;
  /** The load in e (m of Table 1.2). */
  inE: string;
  role: WeighingPointRole;
  /** Table 1.2 MPE at this load in e, before the stage multiplier. */
  mpeInE: string;
}

export interface ScaleLoadPlan {
  unit: MassUnit;
  e: string;
  d: string;
  min: string;
  max: string;
  /**
   * Weighing test points in increasing load: Min, every Table 1.2 band boundary strictly between
   * Min and Max (500 e and 2000 e for class III: the boundary itself, which takes the stricter
   * band), Max, and fill points (½, ¼, ¾, ⅛, ⅜, ⅝, ⅞ Max) until there are at least
   * `minWeighingPoints`. Load up through them, then unload through them in reverse order
   * (`direction` up, then down). Zero is judged by a separate `zero` test, not a weighing.
   */
  weighing: WeighingPoint[];
  /** One load placed in turn on each position: Max/3 with ≤ 4 supports, Max/(n − 1) with n > 4. */
  eccentricity: { load: string; positions: string[] };
  /** A series at about ½ Max and one at Max, each of `readings` weighings, re-zeroing before each. */
  repeatability: { load: string; readings: number }[];
  /** At Min, ½ Max and Max: add `extraLoad` (1.4 d); the indication must rise by d. */
  discrimination: { load: string; extraLoad: string }[];
  /** The near-zero reference load (10 e) to use when zero tracking is active. */
  nearZeroLoad: string;
  /** The small weights for rounding-error elimination (0.1 e), added one at a time. */
  roundingWeight: string;
}

export interface ScaleLoadPointOptions {
  /** Parameters after config overrides; defaults to the rule set's own values. */
  params?: ResolvedParameters;
  /** Number of supports of the load receptor (default 4). */
  supports?: number;
}

const FILL_FRACTIONS = [
  ['1', '2'],
  ['1', '4'],
  ['3', '4'],
  ['1', '8'],
  ['3', '8'],
  ['5', '8'],
  ['7', '8'],
] as const;

function isParsed(instrument: unknown): instrument is ScaleInstrument {
  return (
    typeof instrument === 'object' && instrument !== null && (instrument as ScaleInstrument).e instanceof Dec
  );
}

/** Largest multiple of e not above `value`. */
function floorToE(value: Dec, e: Dec): Dec {
  return value.div(e).floor().times(e);
}

/**
 * The load points of a verification procedure for `instrument`: either a parsed `ScaleInstrument`
 * or the record's raw `instrument` object (then validated; errors name `instrument.<field>`).
 */
export function scaleLoadPoints(
  ruleSet: ScaleRuleSet,
  instrument: ScaleInstrument | unknown,
  options: ScaleLoadPointOptions = {},
): ScaleLoadPlan {
  const inst = isParsed(instrument) ? instrument : parseScaleInstrument(ruleSet, instrument);
  const params = options.params ?? resolveParameters(ruleSet);
  const { e, d, min, max, accuracyClass } = inst;
  const classData = ruleSet.classes[accuracyClass]!;

  const points = new Map<string, { load: Dec; role: WeighingPointRole }>();
  const add = (load: Dec, role: WeighingPointRole) => {
    const key = decimalText(load);
    if (!points.has(key)) points.set(key, { load, role });
  };
  add(min, 'min');
  add(max, 'max');
  for (const band of classData.mpeBands) {
    if (band.upToE === null) continue;
    const boundary = e.times(band.upToE);
    if (boundary.greaterThan(min) && boundary.lessThan(max)) add(boundary, 'band-boundary');
  }
  const wanted = params.get('minWeighingPoints').toNumber();
  for (const [num, den] of FILL_FRACTIONS) {
    if (points.size >= wanted) break;
    const load = floorToE(max.times(num).div(den), e);
    if (load.greaterThan(min) && load.lessThan(max)) add(load, 'fill');
  }
  const weighing = [...points.values()]
    .sort((a, b) => a.load.comparedTo(b.load))
    .map(({ load, role }) => ({
      load: decimalText(load),
      inE: decimalText(load.div(e)),
      role,
      mpeInE: mpeBandAt(ruleSet, accuracyClass, e, load).band.mpeInE,
    }));

  const supports = options.supports ?? 4;
  if (!Number.isInteger(supports) || supports < 1) {
    throw inputError('supports', `must be a whole number of supports ≥ 1, got ${supports}`);
  }
  // A fraction of Max is never taken below Min: a load below Min is not a legal weighing.
  const atLeastMin = (load: Dec) => Dec.max(load, min);
  const eccentricity =
    supports > 4
      ? {
          load: decimalText(atLeastMin(floorToE(max.div(supports - 1), e))),
          positions: Array.from({ length: supports }, (_, i) => `s${i + 1}`),
        }
      : {
          load: decimalText(atLeastMin(floorToE(max.div(params.get('eccentricityLoadDivisor')), e))),
          positions: ['center', 'q1', 'q2', 'q3', 'q4'],
        };

  const half = atLeastMin(floorToE(max.div(2), e));
  const readings = Math.max(2, Math.ceil(params.get('repeatabilityReadings').toNumber()));
  const discriminationLoads = [min, half, max]
    .filter((load, i, all) => all.findIndex((other) => other.equals(load)) === i)
    .sort((a, b) => a.comparedTo(b));

  return {
    unit: inst.unit,
    e: decimalText(e),
    d: decimalText(d),
    min: decimalText(min),
    max: decimalText(max),
    weighing,
    eccentricity,
    repeatability: [
      { load: decimalText(half), readings },
      { load: decimalText(max), readings },
    ],
    discrimination: discriminationLoads.map((load) => ({
      load: decimalText(load),
      extraLoad: decimalText(params.get('discriminationExtraLoadInD').times(d)),
    })),
    nearZeroLoad: decimalText(params.get('zeroTrackingEscapeLoadInE').times(e)),
    roundingWeight: decimalText(params.get('roundingWeightInE').times(e)),
  };
}
