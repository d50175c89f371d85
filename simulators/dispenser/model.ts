/**
 * One fuel dispenser (one fuelling point with its nozzles), as metrology sees it, independent of
 * any protocol: a state machine (reset → authorized → filling → completed), a meter whose error
 * depends on the flow rate, a price computation with a configurable rounding, non-resettable
 * totalizers, alarms, and the standard can the bench delivers into (its reading and both
 * temperatures follow JJG 443's correction, so a verification run over the simulator judges exactly
 * the meter error configured here). Every protocol speaker (DART, Modbus) reads this model.
 *
 * Time: the model integrates the flow over the time of its clock, scaled by `timeScale` (simulated
 * seconds per real second), so a 20 L delivery at 50 L/min takes 24 s at scale 1 and 0.24 s at 100.
 */
import type { Decimal } from 'decimal.js';
import { Dec, formatFixed } from '../../drivers/decimal.js';

export type DispenserState =
  | 'not-programmed'
  | 'reset'
  | 'authorized'
  | 'filling'
  | 'completed'
  | 'max-reached'
  | 'switched-off'
  | 'suspended';

export type PriceRounding = 'half-up' | 'half-even' | 'down' | 'up';

export interface NozzleSpec {
  /** Logical nozzle number 1–15. */
  nozzle: number;
  grade: string;
  /** Unit price, decimal text (yuan per L). */
  unitPrice: string;
  /** Non-resettable totalizers at start, L and yuan. */
  volumeTotal?: string;
  amountTotal?: string;
}

export interface MeterErrorPoint {
  /** Flow rate, L/min. */
  flow: string;
  /** Relative error of the indicated volume at that flow, %. */
  errorPercent: string;
}

export interface DispenserModelParams {
  nozzles: NozzleSpec[];
  /** Decimal positions shown: DART DC7 DPVOL / DPAMO / DPUNP. */
  decimals: { volume: number; amount: number; unitPrice: number };
  /** Flow with the nozzle fully open, L/min (the default delivery flow). */
  maxFlow: string;
  minFlow: string;
  /**
   * Meter error as a function of flow: a constant offset plus a curve interpolated linearly between
   * points (held flat beyond the first and last). Indicated volume = true volume × (1 + error/100).
   */
  meterError: { offsetPercent: string; curve: MeterErrorPoint[] };
  priceRounding: PriceRounding;
  /** Amount at which an authorized delivery stops (max amount reached), yuan; 0 = none. */
  maxAmount: string;
  /** 10-digit pump identity (DART DC9). */
  identity: string;
  /** Simulated seconds per real second. */
  timeScale: number;
  /** Fuel for the can correction of the simulated bench. */
  fuel: 'gasoline' | 'diesel' | 'kerosene';
  can: {
    material: 'stainless-steel' | 'carbon-steel';
    /** Resolution of the can's neck scale, L. */
    resolution: string;
    /** Temperatures at the bench: fuel at the nozzle (t_J) and in the can (t_B), °C. */
    fuelTemperature: string;
    canTemperature: string;
  };
}

export const DEFAULT_DISPENSER_PARAMS: DispenserModelParams = {
  nozzles: [
    { nozzle: 1, grade: '92#', unitPrice: '7.89', volumeTotal: '123456.78', amountTotal: '974073.99' },
    { nozzle: 2, grade: '95#', unitPrice: '8.41', volumeTotal: '65432.10', amountTotal: '550283.96' },
  ],
  decimals: { volume: 2, amount: 2, unitPrice: 2 },
  maxFlow: '50',
  minFlow: '5',
  meterError: { offsetPercent: '0', curve: [] },
  priceRounding: 'half-up',
  maxAmount: '0',
  identity: '1234567890',
  timeScale: 1,
  fuel: 'gasoline',
  can: { material: 'stainless-steel', resolution: '0.001', fuelTemperature: '20.0', canTemperature: '20.0' },
};

/** JJG 443 expansion coefficients (metrology-rules.md §2(c)), per °C. */
const FUEL_EXPANSION: Record<DispenserModelParams['fuel'], string> = {
  gasoline: '0.0012',
  diesel: '0.0009',
  kerosene: '0.0009',
};
const CAN_EXPANSION: Record<DispenserModelParams['can']['material'], string> = {
  'stainless-steel': '0.000050',
  'carbon-steel': '0.000033',
};

export type DispenserCommandResult = 'ok' | 'refused';

interface Transaction {
  nozzle: number;
  /** True volume delivered so far, L (exact). */
  trueVolume: Dec;
  /**
   * Volume the meter counted so far, L (exact): each stretch of flow adds its true volume times
   * (1 + error at that flow), so a delivery whose flow changes is measured as a real meter would.
   */
  meteredVolume: Dec;
  unitPrice: Dec;
}

export interface FillOptions {
  nozzle: number;
  /** One stretch: this flow (L/min; default maxFlow) until `trueVolume` L (default 20). */
  flow?: string;
  trueVolume?: string;
  /** Or several stretches in turn, each `volume` L at `flow` L/min. */
  profile?: { flow: string; volume: string }[];
}

export interface DispenserSnapshot {
  state: DispenserState;
  /** Selected (lifted) nozzle, 0 = none. */
  nozzle: number;
  nozzleOut: boolean;
  /** Current flow, L/min. */
  flow: string;
  /** Displayed volume and amount of the current or last transaction. */
  volume: string;
  amount: string;
  unitPrice: string;
  /** True volume of the current or last transaction (what the can receives), L. */
  trueVolume: string;
  totals: { nozzle: number; volume: string; amount: string }[];
  alarms: number[];
}

function roundingMode(rounding: PriceRounding): Decimal.Rounding {
  switch (rounding) {
    case 'half-up':
      return Dec.ROUND_HALF_UP;
    case 'half-even':
      return Dec.ROUND_HALF_EVEN;
    case 'down':
      return Dec.ROUND_DOWN;
    case 'up':
      return Dec.ROUND_UP;
  }
}

export class DispenserModel {
  private params: DispenserModelParams;
  private readonly clock: () => number;
  private state: DispenserState = 'reset';
  private selected = 0;
  private nozzleOut = false;
  private flow = new Dec(0);
  private lastTick: number;
  private transaction: Transaction | undefined;
  /** Volume and amount totals per nozzle (non-resettable), exact. */
  private readonly totals = new Map<number, { volume: Dec; amount: Dec }>();
  private alarms: number[] = [];
  /** Where an automatic delivery stops (true volume, L), set by `deliver`. */
  private stopAtTrueVolume: Dec | undefined;

  constructor(params: Partial<DispenserModelParams> = {}, clock: () => number = () => Date.now()) {
    this.params = { ...DEFAULT_DISPENSER_PARAMS, ...params };
    this.clock = clock;
    this.lastTick = clock();
    for (const n of this.params.nozzles) {
      this.totals.set(n.nozzle, {
        volume: new Dec(n.volumeTotal ?? '0'),
        amount: new Dec(n.amountTotal ?? '0'),
      });
    }
  }

  get parameters(): Readonly<DispenserModelParams> {
    return this.params;
  }

  configure(params: Partial<DispenserModelParams>): void {
    this.advance();
    this.params = { ...this.params, ...params };
  }

  private nozzleSpec(nozzle: number): NozzleSpec | undefined {
    return this.params.nozzles.find((n) => n.nozzle === nozzle);
  }

  /** Meter error at a flow, % (offset plus the interpolated curve). */
  meterErrorPercent(flow: Dec): Dec {
    const { offsetPercent, curve } = this.params.meterError;
    const points = [...curve]
      .map((p) => ({ flow: new Dec(p.flow), error: new Dec(p.errorPercent) }))
      .sort((a, b) => a.flow.comparedTo(b.flow));
    let curveError = new Dec(0);
    if (points.length === 1) curveError = points[0]!.error;
    else if (points.length > 1) {
      if (flow.lessThanOrEqualTo(points[0]!.flow)) curveError = points[0]!.error;
      else if (flow.greaterThanOrEqualTo(points[points.length - 1]!.flow))
        curveError = points[points.length - 1]!.error;
      else {
        for (let i = 1; i < points.length; i++) {
          const a = points[i - 1]!;
          const b = points[i]!;
          if (flow.lessThanOrEqualTo(b.flow)) {
            curveError = a.error.plus(
              b.error.minus(a.error).times(flow.minus(a.flow)).div(b.flow.minus(a.flow)),
            );
            break;
          }
        }
      }
    }
    return new Dec(offsetPercent).plus(curveError);
  }

  /** Integrates the flow since the last call; stops a delivery at its target or at max amount. */
  private advance(now: number = this.clock()): void {
    const elapsedMinutes = new Dec(Math.max(0, now - this.lastTick)).times(this.params.timeScale).div(60_000);
    this.lastTick = now;
    const tx = this.transaction;
    if (this.state !== 'filling' || !tx || this.flow.isZero()) return;
    let added = this.flow.times(elapsedMinutes);
    const meter = (volume: Dec) => volume.times(new Dec(1).plus(this.meterErrorPercent(this.flow).div(100)));
    if (this.stopAtTrueVolume && tx.trueVolume.plus(added).greaterThanOrEqualTo(this.stopAtTrueVolume)) {
      added = this.stopAtTrueVolume.minus(tx.trueVolume);
      tx.trueVolume = this.stopAtTrueVolume;
      tx.meteredVolume = tx.meteredVolume.plus(meter(added));
      this.stopAtTrueVolume = undefined;
      this.flow = new Dec(0);
      if (this.finishAtTarget) this.finish('completed');
      return;
    }
    tx.trueVolume = tx.trueVolume.plus(added);
    tx.meteredVolume = tx.meteredVolume.plus(meter(added));
    const maxAmount = new Dec(this.params.maxAmount);
    if (maxAmount.greaterThan(0) && new Dec(this.displayedAmount()).greaterThanOrEqualTo(maxAmount)) {
      this.flow = new Dec(0);
      this.finish('max-reached');
    }
  }

  private finish(state: 'completed' | 'max-reached'): void {
    const tx = this.transaction;
    this.state = state;
    if (!tx) return;
    const total = this.totals.get(tx.nozzle);
    if (total) {
      total.volume = total.volume.plus(this.displayedVolume());
      total.amount = total.amount.plus(this.displayedAmount());
    }
  }

  /** Indicated volume as displayed (truncated to DPVOL, as a register of pulses would be). */
  private displayedVolume(): string {
    const tx = this.transaction;
    if (!tx) return formatFixed(new Dec(0), this.params.decimals.volume);
    return formatFixed(
      tx.meteredVolume.toDecimalPlaces(this.params.decimals.volume, Dec.ROUND_DOWN),
      this.params.decimals.volume,
    );
  }

  /** Whether reaching the fill target completes the delivery (last stretch of a profile) or only stops the flow. */
  private finishAtTarget = true;

  /** Amount = displayed volume × unit price, rounded to DPAMO with the configured rounding. */
  private displayedAmount(): string {
    const tx = this.transaction;
    const volume = new Dec(this.displayedVolume());
    const price = tx?.unitPrice ?? new Dec(0);
    const amount = volume
      .times(price)
      .toDecimalPlaces(this.params.decimals.amount, roundingMode(this.params.priceRounding));
    return formatFixed(amount, this.params.decimals.amount);
  }

  // Commands (what a controller or the bench does) ------------------------------------------

  reset(): DispenserCommandResult {
    this.advance();
    if (this.state === 'filling' || this.state === 'switched-off') return 'refused';
    this.state = 'reset';
    return 'ok';
  }

  /** DART: AUTHORIZE is accepted only in RESET. */
  authorize(): DispenserCommandResult {
    this.advance();
    if (this.state !== 'reset') return 'refused';
    this.state = 'authorized';
    if (this.nozzleOut) this.startTransaction();
    return 'ok';
  }

  stop(): DispenserCommandResult {
    this.advance();
    if (this.state === 'filling') {
      this.flow = new Dec(0);
      this.finish('completed');
    } else if (this.state === 'authorized') this.state = 'reset';
    return 'ok';
  }

  /** The customer lifts a nozzle; filling starts once authorized. */
  liftNozzle(nozzle: number): DispenserCommandResult {
    this.advance();
    if (!this.nozzleSpec(nozzle) || this.nozzleOut) return 'refused';
    this.selected = nozzle;
    this.nozzleOut = true;
    if (this.state === 'authorized') this.startTransaction();
    return 'ok';
  }

  /** The nozzle goes back: the delivery is complete and the totalizers advance. */
  hangNozzle(): DispenserCommandResult {
    this.advance();
    if (!this.nozzleOut) return 'refused';
    this.nozzleOut = false;
    this.flow = new Dec(0);
    if (this.state === 'filling') this.finish('completed');
    return 'ok';
  }

  /** Trigger pressure: the flow while filling, L/min (0 stops without completing). */
  setFlow(flow: string): DispenserCommandResult {
    this.advance();
    const value = new Dec(flow);
    if (value.isNegative() || value.greaterThan(this.params.maxFlow)) return 'refused';
    if (this.state !== 'filling') return 'refused';
    this.flow = value;
    return 'ok';
  }

  setUnitPrice(nozzle: number, price: string): DispenserCommandResult {
    const spec = this.nozzleSpec(nozzle);
    if (!spec || this.state === 'filling') return 'refused';
    spec.unitPrice = new Dec(price).toFixed();
    return 'ok';
  }

  setAlarms(codes: number[]): void {
    this.alarms = [...codes];
  }

  private startTransaction(): void {
    const spec = this.nozzleSpec(this.selected)!;
    this.transaction = {
      nozzle: this.selected,
      trueVolume: new Dec(0),
      meteredVolume: new Dec(0),
      unitPrice: new Dec(spec.unitPrice),
    };
    this.state = 'filling';
    this.flow = new Dec(0);
  }

  /**
   * A whole bench delivery: reset, authorize, then `fill`. For a stand-alone pump (no controller).
   */
  async deliver(options: FillOptions): Promise<DispenserSnapshot> {
    if (this.nozzleOut) this.hangNozzle();
    this.reset();
    if (this.authorize() !== 'ok') throw new Error(`dispenser refused to authorize in state ${this.state}`);
    return this.fill(options);
  }

  /**
   * What the technician does at an authorized pump: lift `nozzle`, fill the can, hang up. Either
   * `trueVolume` L at one `flow` (L/min), or a `profile` of stretches (e.g. slow start, full flow,
   * slow finish), each measured at its own flow's error. Resolves when the delivery is complete (in
   * simulated time). The pump must have been authorized (by its controller, e.g. the DART driver).
   */
  async fill(options: FillOptions): Promise<DispenserSnapshot> {
    this.advance();
    if (this.nozzleOut) throw new Error('a nozzle is already out');
    if (this.state !== 'authorized') throw new Error(`the pump is ${this.state}, not authorized`);
    const stretches = options.profile ?? [
      { flow: options.flow ?? this.params.maxFlow, volume: options.trueVolume ?? '20' },
    ];
    if (stretches.length === 0) throw new Error('an empty flow profile');
    if (this.liftNozzle(options.nozzle) !== 'ok') throw new Error(`nozzle ${options.nozzle} refused`);
    let target = this.transaction!.trueVolume;
    for (const [index, stretch] of stretches.entries()) {
      target = target.plus(stretch.volume);
      this.stopAtTrueVolume = target;
      this.finishAtTarget = index === stretches.length - 1;
      if (this.setFlow(stretch.flow) !== 'ok') {
        this.hangNozzle();
        throw new Error(`flow ${stretch.flow} L/min refused`);
      }
      const realMs = new Dec(stretch.volume)
        .div(stretch.flow)
        .times(60_000)
        .div(this.params.timeScale)
        .toNumber();
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(realMs) + 5));
      this.advance();
    }
    this.finishAtTarget = true;
    this.hangNozzle();
    return this.snapshot();
  }

  /**
   * What the technician reads at the standard can after the last delivery: V_B such that JJG 443's
   * correction V_Bt = V_B·[1 + β_Y(t_J − t_B) + β_B(t_B − 20)] gives back the true volume, rounded to
   * the neck scale's resolution; the two temperatures; and the true volume as a reference standard
   * of the reference-volume method would give it (at the same resolution).
   */
  canReading(): {
    canVolume: string;
    fuelTemperature: string;
    canTemperature: string;
    referenceVolume: string;
  } {
    const { can, fuel } = this.params;
    const tJ = new Dec(can.fuelTemperature);
    const tB = new Dec(can.canTemperature);
    const factor = new Dec(1)
      .plus(new Dec(FUEL_EXPANSION[fuel]).times(tJ.minus(tB)))
      .plus(new Dec(CAN_EXPANSION[can.material]).times(tB.minus(20)));
    const trueVolume = this.transaction?.trueVolume ?? new Dec(0);
    const resolution = new Dec(can.resolution);
    const reading = trueVolume
      .div(factor)
      .div(resolution)
      .toDecimalPlaces(0, Dec.ROUND_HALF_UP)
      .times(resolution);
    // A master meter or weighing bench would read the true volume itself (reference-volume method).
    return {
      canVolume: reading.toFixed(),
      fuelTemperature: tJ.toFixed(),
      canTemperature: tB.toFixed(),
      referenceVolume: trueVolume.toDecimalPlaces(resolution.decimalPlaces(), Dec.ROUND_HALF_UP).toFixed(),
    };
  }

  snapshot(now: number = this.clock()): DispenserSnapshot {
    this.advance(now);
    const tx = this.transaction;
    const price =
      tx?.unitPrice ??
      new Dec(this.nozzleSpec(this.selected || this.params.nozzles[0]!.nozzle)?.unitPrice ?? '0');
    return {
      state: this.state,
      nozzle: this.selected,
      nozzleOut: this.nozzleOut,
      flow: this.flow.toFixed(),
      volume: this.displayedVolume(),
      amount: this.displayedAmount(),
      unitPrice: formatFixed(price, this.params.decimals.unitPrice),
      trueVolume: (tx?.trueVolume ?? new Dec(0)).toFixed(),
      totals: [...this.totals.entries()].map(([nozzle, t]) => ({
        nozzle,
        volume: formatFixed(t.volume, this.params.decimals.volume),
        amount: formatFixed(t.amount, this.params.decimals.amount),
      })),
      alarms: [...this.alarms],
    };
  }
}
