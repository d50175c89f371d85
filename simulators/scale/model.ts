/**
 * One weighing instrument, as physics and metrology see it, independent of any protocol: a true
 * load on a position of the platform becomes an indication through zero offset, span error,
 * non-linearity, eccentricity, repeatability noise, drift and settling, rounded to the scale
 * interval d. Every protocol speaker reads this model, so the same scale can be verified over any
 * protocol and the errors the bench measures are the ones configured here.
 */
import { Dec, decimalPlaces, formatFixed } from '../../drivers/decimal.js';
import { SeededRandom } from '../random.js';

export type PlatformPosition = 'center' | 'q1' | 'q2' | 'q3' | 'q4' | (string & {});

export interface ScaleModelParams {
  /** Maximum capacity, in `unit`. */
  max: string;
  /** Verification scale interval e. */
  e: string;
  /** Actual scale interval d (display resolution); d <= e. */
  d: string;
  unit: string;
  /** True offset of the unloaded platform before any zeroing. */
  zeroOffset: string;
  /** Relative span error: indication = load × (1 + spanError). */
  spanError: string;
  /** Largest deviation from a straight line, reached at half capacity (parabolic), in `unit`. */
  nonLinearity: string;
  /** Error at each platform position for a load of Max/3, scaled linearly with the load. */
  eccentricity: Record<string, string>;
  /** Standard deviation of the repeatability noise, in `unit`; drawn once per placement. */
  noise: string;
  /** Zero drift per hour, in `unit`. */
  driftPerHour: string;
  /** Time after a load change before the indication is stable. */
  settlingMs: number;
  /** Zero-setting range as a fraction of Max (±), OIML R 76: 4 % in total. */
  zeroRange: string;
  /** Overload shown above Max + overloadMargin × e (OIML R 76: 9 e). */
  overloadMargin: string;
  /** Underload shown below −underloadMargin × e of gross weight. */
  underloadMargin: string;
  seed: number;
  identity: {
    manufacturer: string;
    model: string;
    serialNumber: string;
    softwareVersion: string;
  };
}

export const DEFAULT_SCALE_PARAMS: ScaleModelParams = {
  max: '15000',
  e: '5',
  d: '5',
  unit: 'g',
  zeroOffset: '0',
  spanError: '0',
  nonLinearity: '0',
  eccentricity: {},
  noise: '0',
  driftPerHour: '0',
  settlingMs: 600,
  zeroRange: '0.02',
  overloadMargin: '9',
  underloadMargin: '20',
  seed: 1,
  identity: {
    manufacturer: 'metrogate',
    model: 'SIM-15K',
    serialNumber: '0123456789',
    softwareVersion: '1.0.0',
  },
};

export type ScaleCommandResult = 'ok' | 'busy' | 'above-range' | 'below-range';

export interface Indication {
  /** Net weight shown, rounded to d, as text with d's decimals ("1234.5"). */
  net: string;
  gross: string;
  tare: string;
  unit: string;
  stable: boolean;
  overload: boolean;
  underload: boolean;
  /** Decimal places of the display. */
  decimals: number;
}

export class ScaleModel {
  private params: ScaleModelParams;
  private readonly random: SeededRandom;
  private load = new Dec(0);
  private position: PlatformPosition = 'center';
  private placementNoise = new Dec(0);
  private previousRaw = new Dec(0);
  private changedAt: number;
  private zeroReference = new Dec(0);
  private tareValue = new Dec(0);
  private readonly startedAt: number;
  private readonly clock: () => number;

  constructor(params: Partial<ScaleModelParams> = {}, clock: () => number = () => Date.now()) {
    this.params = { ...DEFAULT_SCALE_PARAMS, ...params };
    this.random = new SeededRandom(this.params.seed);
    this.clock = clock;
    this.startedAt = clock();
    this.changedAt = this.startedAt - this.params.settlingMs;
    // Power-on zero: the indicator zeroes the empty platform, as real ones do.
    this.zeroReference = this.rawAt(this.startedAt);
    this.previousRaw = this.zeroReference;
  }

  get parameters(): Readonly<ScaleModelParams> {
    return this.params;
  }

  /** Changes model parameters at run time (span error, noise, ...); the load stays. */
  configure(params: Partial<ScaleModelParams>): void {
    this.params = { ...this.params, ...params };
  }

  get trueLoad(): string {
    return this.load.toFixed();
  }

  get currentPosition(): PlatformPosition {
    return this.position;
  }

  /** Places a load (in `unit`) at a platform position; the indication settles over `settlingMs`. */
  setLoad(load: string, position: PlatformPosition = 'center'): void {
    const now = this.clock();
    this.previousRaw = this.displayRaw(now);
    this.load = new Dec(load);
    this.position = position;
    const sigma = new Dec(this.params.noise);
    this.placementNoise = sigma.isZero() ? new Dec(0) : sigma.times(this.random.gaussian().toFixed(6));
    this.changedAt = now;
  }

  private rawAt(now: number): Dec {
    const p = this.params;
    const max = new Dec(p.max);
    const fraction = max.isZero() ? new Dec(0) : this.load.div(max);
    const nonLinear = new Dec(p.nonLinearity).times(4).times(fraction).times(new Dec(1).minus(fraction));
    const eccentricityAtThird = new Dec(p.eccentricity[this.position] ?? '0');
    const eccentric = max.isZero() ? new Dec(0) : eccentricityAtThird.times(this.load).div(max.div(3));
    const hours = (now - this.startedAt) / 3_600_000;
    const drift = new Dec(p.driftPerHour).times(hours.toFixed(9));
    return this.load
      .times(new Dec(1).plus(p.spanError))
      .plus(nonLinear)
      .plus(eccentric)
      .plus(p.zeroOffset)
      .plus(drift)
      .plus(this.load.isZero() ? 0 : this.placementNoise);
  }

  /** Raw value including the settling transient. */
  private displayRaw(now: number): Dec {
    const target = this.rawAt(now);
    const elapsed = now - this.changedAt;
    if (elapsed >= this.params.settlingMs) return target;
    // Damped approach with a small overshoot, as a load cell platform swings.
    const progress = elapsed / Math.max(this.params.settlingMs, 1);
    const swing = Math.exp(-4 * progress) * Math.cos(6 * progress);
    return target.plus(this.previousRaw.minus(target).times(swing.toFixed(9)));
  }

  private round(value: Dec): Dec {
    const d = new Dec(this.params.d);
    return value.div(d).toDecimalPlaces(0, Dec.ROUND_HALF_UP).times(d);
  }

  indication(now: number = this.clock()): Indication {
    const p = this.params;
    const raw = this.displayRaw(now);
    const decimals = decimalPlaces(p.d);
    const grossExact = raw.minus(this.zeroReference);
    const gross = this.round(grossExact);
    const net = this.round(grossExact.minus(this.tareValue));
    const e = new Dec(p.e);
    return {
      net: formatFixed(net, decimals),
      gross: formatFixed(gross, decimals),
      tare: formatFixed(this.round(this.tareValue), decimals),
      unit: p.unit,
      stable: now - this.changedAt >= p.settlingMs,
      overload: gross.greaterThan(new Dec(p.max).plus(e.times(p.overloadMargin))),
      underload: gross.lessThan(e.times(p.underloadMargin).negated()),
      decimals,
    };
  }

  /** Zero setting: only when stable and within the zero-setting range. */
  zero(immediate = false): ScaleCommandResult {
    const now = this.clock();
    const ind = this.indication(now);
    if (!immediate && !ind.stable) return 'busy';
    const gross = this.displayRaw(now).minus(this.zeroReference);
    const range = new Dec(this.params.max).times(this.params.zeroRange);
    if (gross.greaterThan(range)) return 'above-range';
    if (gross.lessThan(range.negated())) return 'below-range';
    this.zeroReference = this.displayRaw(now);
    this.tareValue = new Dec(0);
    return 'ok';
  }

  /** Tare: the current gross becomes the tare. */
  tare(immediate = false): ScaleCommandResult {
    const now = this.clock();
    const ind = this.indication(now);
    if (!immediate && !ind.stable) return 'busy';
    if (ind.overload) return 'above-range';
    const gross = this.round(this.displayRaw(now).minus(this.zeroReference));
    if (gross.lessThan(0)) return 'below-range';
    this.tareValue = gross;
    return 'ok';
  }

  presetTare(value: string): ScaleCommandResult {
    const tare = new Dec(value);
    if (tare.lessThan(0)) return 'below-range';
    if (tare.greaterThan(this.params.max)) return 'above-range';
    this.tareValue = this.round(tare);
    return 'ok';
  }

  clearTare(): void {
    this.tareValue = new Dec(0);
  }

  /** Everything a control client or a test wants to see at once. */
  snapshot(now: number = this.clock()): { trueLoad: string; position: string; indication: Indication } {
    return { trueLoad: this.trueLoad, position: this.position, indication: this.indication(now) };
  }
}
