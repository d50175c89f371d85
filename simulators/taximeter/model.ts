/**
 * One taximeter, as metrology sees it, independent of any protocol: a pulse counter programmed with
 * the constant k, a clock, a tariff, and the trips it records. Written from metrology-rules.md §3
 * and device-protocols.md §3.2, not from the verification engine, so that a verification run over
 * the simulator checks the engine against a second, independent computation.
 *
 * Distance: the meter counts whole pulses and shows N × 1000 / k m, times (1 + distanceErrorPercent)
 * (a bench test finds that error). A vehicle on the road or on rollers makes `vehicleK` pulses per
 * true km; a `vehicleK` other than k is an installation error (an installed test finds it).
 * Time: the meter's clock runs at (1 + timeErrorPercent) of true time.
 *
 * Fare, integrated step by step (at most `stepSeconds` of true time per step), MID MI-007 modes:
 * - cross-over speed v_c = timeRate / distanceRate; a step is "waiting" when its speed is below v_c
 *   (its time charge exceeds its distance charge) or the vehicle stands still;
 * - mode S: a waiting step is charged by time, any other by distance; the flag fall buys
 *   `includedDistance` worth of that running amount;
 * - mode D: every step is charged by time, and the distance beyond `includedDistance` by distance;
 * - night (between nightStart and nightEnd on the meter's clock): both rates plus
 *   nightSurchargePercent, and nightFlagFall for a hire that starts at night;
 * - `surcharge` is a per-trip supplement (附加费), recorded apart and not part of the fare (MID).
 * The shown fare is rounded to fareResolution (fareRounding). The meter's time stands still between
 * the simulator's actions: time passes by driving, waiting or feeding pulses.
 */
import type { Decimal } from 'decimal.js';
import { z } from 'zod';
import { Dec } from '../../drivers/decimal.js';

export type FareMode = 'S' | 'D';
export type FareRounding = 'half-up' | 'down' | 'up';
export type MeterState = 'free' | 'hired' | 'stopped';

export interface TaximeterTariff {
  /** Initial hire (money). */
  flagFall: string;
  /** Metres bought by the flag fall. */
  includedDistance: string;
  /** Money per km. */
  distanceRate: string;
  /** Money per hour. */
  timeRate: string;
  mode: FareMode;
  /** Least significant digit of the shown fare. */
  fareResolution: string;
  fareRounding: FareRounding;
  /** `HH:mm` on the meter's clock; equal start and end mean no night tariff. */
  nightStart: string;
  nightEnd: string;
  /** Added to both rates at night, %; 0 = no night tariff. */
  nightSurchargePercent: string;
  /** Flag fall of a hire that starts at night; empty = the day's. */
  nightFlagFall: string;
  /** Per-trip supplement (附加费), money; recorded apart, not in the fare. */
  surcharge: string;
}

export interface TaximeterModelParams {
  /** Programmed constant, pulses per km (计价器常数). */
  k: string;
  /** Pulses per true km of the vehicle or roller; empty = k (a correct installation). */
  vehicleK: string;
  /** The meter's own distance error, % of the shown distance against N / k. */
  distanceErrorPercent: string;
  /** Rate error of the meter's clock, %. */
  timeErrorPercent: string;
  tariff: TaximeterTariff;
  /** Resolution of the shown distance, m, and of the shown waiting time, s (both truncated). */
  distanceDisplayStep: string;
  timeDisplayStep: string;
  /** The meter's clock at start, `YYYY-MM-DDThh:mm:ss` local; empty = the host's local time. */
  clock: string;
  /** Longest integration step, s of true time. */
  stepSeconds: string;
  /** Identity in the status reply: manufacturer BCD[1], serial BCD[3], versions BCD[1] each. */
  manufacturer: string;
  serialNumber: string;
  hardwareVersion: string;
  softwareVersion: string;
  plate: string;
  operatingLicence: string;
  driverCertificate: string;
  /** 0x00 normal, 0x01 count-limited, 0x02 date-limited, 0x04 trip storage full, 0x08 sign-in full. */
  deviceState: number;
  /** 0x00 signed in, 0x01 signed out, 0x10 / 0x11 forced. */
  workState: number;
  /** Trips recorded so far; the next trip gets tripCounter + 1. */
  tripCounter: number;
  /** 0x00 cash, 0x01 M1 card, 0x03 CPU card, 0x09 other. */
  paymentType: number;
  /** `YYYY-MM-DDThh:00`: version of the tariff (0x0004 enable time). */
  tariffEnabledAt: string;
  /** Trip records the meter keeps (oldest dropped first). */
  storeCapacity: number;
}

export const DEFAULT_TARIFF: TaximeterTariff = {
  flagFall: '10.00',
  includedDistance: '2000',
  distanceRate: '2.00',
  timeRate: '30.00',
  mode: 'S',
  fareResolution: '0.1',
  fareRounding: 'half-up',
  nightStart: '23:00',
  nightEnd: '05:00',
  nightSurchargePercent: '0',
  nightFlagFall: '',
  surcharge: '0',
};

export const DEFAULT_TAXIMETER_PARAMS: TaximeterModelParams = {
  k: '1000',
  vehicleK: '',
  distanceErrorPercent: '0',
  timeErrorPercent: '0',
  tariff: DEFAULT_TARIFF,
  distanceDisplayStep: '100',
  timeDisplayStep: '1',
  clock: '',
  stepSeconds: '1',
  manufacturer: '01',
  serialNumber: '000001',
  hardwareVersion: '10',
  softwareVersion: '0102',
  plate: 'AB1234',
  operatingLicence: '',
  driverCertificate: '',
  deviceState: 0,
  workState: 0,
  tripCounter: 0,
  paymentType: 0,
  tariffEnabledAt: '2026-01-01T00:00',
  storeCapacity: 100,
};

const decimalText = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim())
  .pipe(z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number'));
const nonNegative = decimalText.refine((text) => !text.startsWith('-'), 'must not be negative');
const positive = nonNegative.refine((text) => /[1-9]/.test(text), 'must be above 0');
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:mm');
const digits = (count: number) => z.string().regex(new RegExp(`^\\d{${count}}$`), `expected ${count} digits`);

export const tariffInputSchema = z
  .object({
    flagFall: nonNegative,
    includedDistance: nonNegative,
    distanceRate: nonNegative,
    timeRate: nonNegative,
    mode: z.enum(['S', 'D']),
    fareResolution: positive,
    fareRounding: z.enum(['half-up', 'down', 'up']),
    nightStart: clockTime,
    nightEnd: clockTime,
    nightSurchargePercent: nonNegative,
    nightFlagFall: z.union([nonNegative, z.literal('')]),
    surcharge: nonNegative,
  })
  .partial()
  .strict();

/** What `configure` and the simulator options accept: any subset, numbers or decimal text. */
export const modelParamsInputSchema = z
  .object({
    k: positive,
    vehicleK: z.union([positive, z.literal('')]),
    distanceErrorPercent: decimalText,
    timeErrorPercent: decimalText,
    tariff: tariffInputSchema,
    distanceDisplayStep: positive,
    timeDisplayStep: positive,
    clock: z.union([
      z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, 'expected YYYY-MM-DDThh:mm:ss'),
      z.literal(''),
    ]),
    stepSeconds: positive,
    manufacturer: digits(2),
    serialNumber: digits(6),
    hardwareVersion: digits(2),
    softwareVersion: digits(4),
    plate: z.string().max(6),
    operatingLicence: z.string().max(16),
    driverCertificate: z.string().max(19),
    deviceState: z.number().int().min(0).max(255),
    workState: z.number().int().min(0).max(255),
    tripCounter: z.number().int().min(0).max(0xffffffff),
    paymentType: z.number().int().min(0).max(255),
    tariffEnabledAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:00$/, 'expected YYYY-MM-DDThh:00'),
    storeCapacity: z.number().int().min(1).max(100_000),
  })
  .partial()
  .strict();
export type TaximeterModelParamsInput = z.input<typeof modelParamsInputSchema>;

/** A completed trip as the meter stores it; the protocol speaker encodes it. */
export interface MeterTripRecord {
  tripNumber: number;
  plate: string;
  operatingLicence: string;
  driverCertificate: string;
  /** Meter clock, `YYYY-MM-DDThh:mm:ss`. */
  boarding: string;
  alighting: string;
  /** Record units: 0.1 km (truncated), seconds, 0.1 money (half-up). */
  distanceTenthsKm: number;
  emptyDistanceTenthsKm: number;
  surchargeTenths: number;
  waitingSeconds: number;
  fareTenths: number;
  paymentType: number;
  /** What the display showed at the end, and the truth, for the control API. */
  shown: MeterDisplay;
  trueDistance: string;
  trueDuration: string;
  pulses: number;
}

export interface MeterDisplay {
  state: MeterState;
  /** Tariff period on the meter's clock now. */
  period: 'day' | 'night';
  /** Metres, truncated to distanceDisplayStep. */
  distance: string;
  /** Seconds below the cross-over speed, truncated to timeDisplayStep. */
  waitingTime: string;
  /** Seconds since the hire, truncated to timeDisplayStep. */
  elapsedTime: string;
  fare: string;
  /** Pulses counted since the hire. */
  pulses: number;
}

export type TaximeterEvent =
  | { type: 'trip-start'; occupiedAt: string }
  | { type: 'trip-end'; record: MeterTripRecord };

interface Rates {
  distance: Dec;
  time: Dec;
}

interface RunningTrip {
  occupiedAt: string;
  pulses: number;
  meterSeconds: Dec;
  waitingSeconds: Dec;
  trueDistance: Dec;
  trueSeconds: Dec;
  flagFall: Dec;
  /** Mode S: money the flag fall covers. */
  allowance: Dec;
  /** Charged pulses and seconds per tariff period (rates differ by day and night). */
  chargedPulses: { day: Dec; night: Dec };
  chargedSeconds: { day: Dec; night: Dec };
  emptyPulses: number;
  /** Set at the end: the frozen display of a stopped meter. */
  final?: MeterDisplay;
}

/** Amounts carry 40 significant digits; this many decimals are kept before rounding for display. */
const AMOUNT_PLACES = 20;

function mergeParams(base: TaximeterModelParams, input: TaximeterModelParamsInput): TaximeterModelParams {
  const parsed = modelParamsInputSchema.parse(input);
  const { tariff, ...rest } = parsed;
  const defined = <T extends object>(object: T) =>
    Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    ...base,
    ...(defined(rest) as Partial<TaximeterModelParams>),
    tariff: { ...base.tariff, ...(tariff ? (defined(tariff) as Partial<TaximeterTariff>) : {}) },
  };
}

function localClockText(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

function placesOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Truncates to a multiple of `step` and prints with the step's decimals. */
function truncated(value: Dec, step: string): string {
  return value.div(step).floor().mul(step).toFixed(placesOf(step));
}

export class TaximeterModel {
  private params: TaximeterModelParams;
  /** The meter's clock at start, as epoch ms of the naive local time read as UTC. */
  private clockStartMs: number;
  private meterSecondsTotal = new Dec(0);
  private trueSecondsTotal = new Dec(0);
  private trueDistanceTotal = new Dec(0);
  /** Fraction of a pulse the vehicle has turned but not yet completed. */
  private pulseCarry = new Dec(0);
  private pulsesTotal = 0;
  private benchPulsesTotal = 0;
  /** Pulses counted while free since the last trip ended: the next record's empty distance. */
  private vacantPulses = 0;
  private stateNow: MeterState = 'free';
  private trip: RunningTrip | undefined;
  private readonly stored: MeterTripRecord[] = [];
  private readonly listeners = new Set<(event: TaximeterEvent) => void>();

  constructor(params: TaximeterModelParamsInput = {}, now: () => Date = () => new Date()) {
    this.params = mergeParams(DEFAULT_TAXIMETER_PARAMS, params);
    this.clockStartMs = Date.parse(`${this.params.clock || localClockText(now())}Z`);
  }

  get parameters(): TaximeterModelParams {
    return structuredClone(this.params);
  }

  get state(): MeterState {
    return this.stateNow;
  }

  /** Trip records kept, oldest first. */
  get records(): readonly MeterTripRecord[] {
    return this.stored;
  }

  get tripsRecorded(): number {
    return this.params.tripCounter;
  }

  /** Changes parameters at run time (a k, an error, a tariff). Throws a ZodError on bad input. */
  configure(input: TaximeterModelParamsInput): void {
    const next = mergeParams(this.params, input);
    if (input.clock) {
      this.clockStartMs = Date.parse(`${next.clock}Z`) - this.meterSecondsTotal.mul(1000).toNumber();
    }
    this.params = next;
  }

  onEvent(listener: (event: TaximeterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: TaximeterEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /** The meter's clock now, `YYYY-MM-DDThh:mm:ss` (seconds truncated). */
  clock(): string {
    const ms = this.clockStartMs + this.meterSecondsTotal.mul(1000).floor().toNumber();
    return new Date(ms).toISOString().slice(0, 19);
  }

  private minuteOfDay(): number {
    const [hours, minutes] = this.clock().slice(11, 16).split(':').map(Number) as [number, number];
    return hours * 60 + minutes;
  }

  private isNight(): boolean {
    const { nightStart, nightEnd, nightSurchargePercent } = this.params.tariff;
    if (new Dec(nightSurchargePercent).isZero() && this.params.tariff.nightFlagFall === '') return false;
    const toMinutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
    const start = toMinutes(nightStart);
    const end = toMinutes(nightEnd);
    const now = this.minuteOfDay();
    if (start === end) return false;
    return start < end ? now >= start && now < end : now >= start || now < end;
  }

  /** Rates of a tariff period. */
  rates(period: 'day' | 'night'): Rates {
    const { distanceRate, timeRate, nightSurchargePercent } = this.params.tariff;
    const factor = period === 'night' ? new Dec(1).plus(new Dec(nightSurchargePercent).div(100)) : new Dec(1);
    return { distance: new Dec(distanceRate).mul(factor), time: new Dec(timeRate).mul(factor) };
  }

  flagFall(period: 'day' | 'night'): Dec {
    const { flagFall, nightFlagFall } = this.params.tariff;
    return new Dec(period === 'night' && nightFlagFall !== '' ? nightFlagFall : flagFall);
  }

  private get distanceFactor(): Dec {
    return new Dec(1).plus(new Dec(this.params.distanceErrorPercent).div(100));
  }

  /** Metres the meter shows for `pulses` (division last, so N = k shows exactly 1000 m). */
  private metresOf(pulses: number | Dec): Dec {
    return new Dec(pulses).mul(1000).mul(this.distanceFactor).div(this.params.k);
  }

  /** Hires the meter (flag down). False when it already is hired. */
  startTrip(): boolean {
    if (this.stateNow === 'hired') return false;
    const period = this.isNight() ? 'night' : 'day';
    const flagFall = this.flagFall(period);
    const occupiedAt = this.clock();
    this.trip = {
      occupiedAt,
      pulses: 0,
      meterSeconds: new Dec(0),
      waitingSeconds: new Dec(0),
      trueDistance: new Dec(0),
      trueSeconds: new Dec(0),
      flagFall,
      allowance: new Dec(this.params.tariff.includedDistance).mul(this.rates(period).distance).div(1000),
      chargedPulses: { day: new Dec(0), night: new Dec(0) },
      chargedSeconds: { day: new Dec(0), night: new Dec(0) },
      emptyPulses: this.vacantPulses,
    };
    this.vacantPulses = 0;
    this.stateNow = 'hired';
    this.emit({ type: 'trip-start', occupiedAt });
    return true;
  }

  /** Ends the trip (flag up): records it and returns the record; undefined when not hired. */
  stopTrip(): MeterTripRecord | undefined {
    const trip = this.trip;
    if (this.stateNow !== 'hired' || !trip) return undefined;
    const shown = this.display();
    trip.final = { ...shown, state: 'stopped' };
    this.stateNow = 'stopped';
    this.params.tripCounter = (this.params.tripCounter + 1) % 0x1_0000_0000;
    const tenthsKm = (pulses: number) => this.metresOf(pulses).div(100).floor().toNumber();
    const record: MeterTripRecord = {
      tripNumber: this.params.tripCounter,
      plate: this.params.plate,
      operatingLicence: this.params.operatingLicence,
      driverCertificate: this.params.driverCertificate,
      boarding: trip.occupiedAt,
      alighting: this.clock(),
      distanceTenthsKm: Math.min(tenthsKm(trip.pulses), 999_999),
      emptyDistanceTenthsKm: Math.min(tenthsKm(trip.emptyPulses), 9_999),
      surchargeTenths: new Dec(this.params.tariff.surcharge)
        .mul(10)
        .toDecimalPlaces(0, Dec.ROUND_HALF_UP)
        .toNumber(),
      waitingSeconds: trip.waitingSeconds.floor().toNumber(),
      fareTenths: Math.min(
        this.fareNow(trip).mul(10).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber(),
        999_999,
      ),
      paymentType: this.params.paymentType,
      shown: trip.final,
      trueDistance: trip.trueDistance.toFixed(),
      trueDuration: trip.trueSeconds.toFixed(),
      pulses: trip.pulses,
    };
    this.stored.push(record);
    if (this.stored.length > this.params.storeCapacity) this.stored.shift();
    this.emit({ type: 'trip-end', record });
    return record;
  }

  /** The vehicle drives `metres` (true) in `seconds` at a uniform speed; 0 m is waiting. */
  drive(seconds: Decimal.Value, metres: Decimal.Value): void {
    const duration = new Dec(seconds);
    const distance = new Dec(metres);
    if (duration.isNegative() || distance.isNegative()) throw new RangeError('negative time or distance');
    const totalPulses = this.pulseCarry.plus(distance.mul(this.vehicleK).div(1000));
    let counted = 0;
    this.integrate(duration, (elapsed) => {
      const upTo = (elapsed.equals(duration) ? totalPulses : totalPulses.mul(elapsed).div(duration))
        .floor()
        .toNumber();
      const pulses = upTo - counted;
      counted = upTo;
      return pulses;
    });
    this.pulseCarry = totalPulses.minus(counted);
    this.trueDistanceTotal = this.trueDistanceTotal.plus(distance);
    if (this.stateNow === 'hired' && this.trip)
      this.trip.trueDistance = this.trip.trueDistance.plus(distance);
  }

  /** Standstill for `seconds`. */
  wait(seconds: Decimal.Value): void {
    this.drive(seconds, 0);
  }

  /** The bench feeds `count` pulses evenly over `seconds`. */
  feedPulses(count: number, seconds: Decimal.Value): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`pulse count ${count}`);
    const duration = new Dec(seconds);
    if (duration.isNegative()) throw new RangeError('negative time');
    let fed = 0;
    this.integrate(duration, (elapsed) => {
      const upTo = elapsed.equals(duration)
        ? count
        : new Dec(count).mul(elapsed).div(duration).floor().toNumber();
      const pulses = upTo - fed;
      fed = upTo;
      return pulses;
    });
    this.benchPulsesTotal += count;
  }

  private get vehicleK(): string {
    return this.params.vehicleK || this.params.k;
  }

  /**
   * Steps through `duration` in steps of exactly `stepSeconds` (the last one shorter), so that time
   * sums stay exact decimals; `pulsesUpTo(elapsed)` says how many pulses arrived in each step.
   */
  private integrate(duration: Dec, pulsesUpTo: (elapsed: Dec) => number): void {
    const step = new Dec(this.params.stepSeconds);
    let elapsed = new Dec(0);
    do {
      const next = Dec.min(duration, elapsed.plus(step));
      const pulses = pulsesUpTo(next);
      this.advance(next.minus(elapsed), pulses);
      elapsed = next;
    } while (elapsed.lessThan(duration));
  }

  /** One integration step: `pulses` counted during `trueSeconds`. */
  private advance(trueSeconds: Dec, pulses: number): void {
    const meterSeconds = trueSeconds.mul(new Dec(1).plus(new Dec(this.params.timeErrorPercent).div(100)));
    const period = this.isNight() ? 'night' : 'day';
    const before = this.trip?.pulses ?? 0;
    this.trueSecondsTotal = this.trueSecondsTotal.plus(trueSeconds);
    this.meterSecondsTotal = this.meterSecondsTotal.plus(meterSeconds);
    this.pulsesTotal += pulses;
    const trip = this.stateNow === 'hired' ? this.trip : undefined;
    if (!trip) {
      this.vacantPulses += pulses;
      return;
    }
    trip.pulses += pulses;
    trip.meterSeconds = trip.meterSeconds.plus(meterSeconds);
    trip.trueSeconds = trip.trueSeconds.plus(trueSeconds);
    const rates = this.rates(period);
    // Below v_c ⟺ time charge > distance charge; compared multiplied by k × 3600 (no division).
    const timeCharge = meterSeconds.mul(rates.time).mul(this.params.k);
    const distanceCharge = this.distanceFactor.mul(pulses).mul(rates.distance).mul(3600);
    const waiting = pulses === 0 || timeCharge.greaterThan(distanceCharge);
    if (waiting) trip.waitingSeconds = trip.waitingSeconds.plus(meterSeconds);
    if (this.params.tariff.mode === 'S') {
      if (waiting) trip.chargedSeconds[period] = trip.chargedSeconds[period].plus(meterSeconds);
      else trip.chargedPulses[period] = trip.chargedPulses[period].plus(pulses);
    } else {
      trip.chargedSeconds[period] = trip.chargedSeconds[period].plus(meterSeconds);
      // Pulses beyond the included distance: p − I with I = included × k / (1000 × distance factor).
      const included = new Dec(this.params.tariff.includedDistance)
        .mul(this.params.k)
        .div(this.distanceFactor.mul(1000));
      const beyond = (p: number) => Dec.max(0, new Dec(p).minus(included));
      trip.chargedPulses[period] = trip.chargedPulses[period].plus(beyond(trip.pulses).minus(beyond(before)));
    }
  }

  /** The fare of a running trip, unrounded (to AMOUNT_PLACES). */
  private exactFare(trip: RunningTrip): Dec {
    let running = new Dec(0);
    for (const period of ['day', 'night'] as const) {
      const rates = this.rates(period);
      running = running
        .plus(trip.chargedPulses[period].mul(this.distanceFactor).mul(rates.distance).div(this.params.k))
        .plus(trip.chargedSeconds[period].mul(rates.time).div(3600));
    }
    const charged = this.params.tariff.mode === 'S' ? Dec.max(0, running.minus(trip.allowance)) : running;
    return trip.flagFall.plus(charged).toDecimalPlaces(AMOUNT_PLACES, Dec.ROUND_HALF_UP);
  }

  private fareNow(trip: RunningTrip): Dec {
    const { fareResolution, fareRounding } = this.params.tariff;
    const mode = { 'half-up': Dec.ROUND_HALF_UP, down: Dec.ROUND_DOWN, up: Dec.ROUND_UP }[fareRounding];
    return this.exactFare(trip).div(fareResolution).toDecimalPlaces(0, mode).mul(fareResolution);
  }

  /** What the meter shows now. */
  display(): MeterDisplay {
    const period = this.isNight() ? 'night' : 'day';
    const trip = this.trip;
    if (this.stateNow === 'stopped' && trip?.final) return { ...trip.final, period };
    const { distanceDisplayStep, timeDisplayStep, tariff } = this.params;
    if (this.stateNow !== 'hired' || !trip) {
      return {
        state: this.stateNow,
        period,
        distance: truncated(new Dec(0), distanceDisplayStep),
        waitingTime: truncated(new Dec(0), timeDisplayStep),
        elapsedTime: truncated(new Dec(0), timeDisplayStep),
        fare: new Dec(0).toFixed(placesOf(tariff.fareResolution)),
        pulses: 0,
      };
    }
    return {
      state: 'hired',
      period,
      distance: truncated(this.metresOf(trip.pulses), distanceDisplayStep),
      waitingTime: truncated(trip.waitingSeconds, timeDisplayStep),
      elapsedTime: truncated(trip.meterSeconds, timeDisplayStep),
      fare: this.fareNow(trip).toFixed(placesOf(tariff.fareResolution)),
      pulses: trip.pulses,
    };
  }

  /** Everything the control API shows: parameters, truth, counters, display, last record. */
  snapshot(): Record<string, unknown> {
    const trip = this.trip;
    return {
      params: this.parameters,
      clock: this.clock(),
      display: this.display(),
      truth: {
        elapsed: this.trueSecondsTotal.toFixed(),
        distance: this.trueDistanceTotal.toFixed(),
        pulses: this.pulsesTotal,
        benchPulses: this.benchPulsesTotal,
        trip:
          trip && this.stateNow === 'hired'
            ? {
                distance: trip.trueDistance.toFixed(),
                duration: trip.trueSeconds.toFixed(),
                exactFare: this.exactFare(trip).toFixed(),
              }
            : null,
      },
      tripsRecorded: this.params.tripCounter,
      lastTrip: this.stored.at(-1) ?? null,
    };
  }
}
