import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { jjg443_2006 } from '../rules/jjg443-2006.js';
import { jjg443_2015 } from '../rules/jjg443-2015.js';
import { jjg443_2023 } from '../rules/jjg443-2023.js';
import { oimlR117_2019 } from '../rules/oiml-r117-1-2019.js';
import { r117Emin, r117Mpe, r117TableMpe } from './limits.js';

const JJG = [jjg443_2006, jjg443_2015, jjg443_2023] as const;
/** Rule sets by id, so that a counterexample prints an id and not the whole table. */
const jjgId = fc.constantFrom(...JJG.map((r) => r.id));
const jjgById = (id: string) => JJG.find((r) => r.id === id)!;
const RULE_SET_IDS = ['JJG443-2006', 'JJG443-2015', 'JJG443-2023', 'OIML-R117-1:2019'] as const;
const STAGES = ['initial', 'subsequent', 'in-service'] as const;
const CLASS_ROWS = oimlR117_2019.accuracyClasses.rows;

/** A positive decimal with up to `places` decimals, as text. */
const decimalText = (min: number, max: number, places: number) =>
  fc
    .integer({ min: Math.round(min * 10 ** places), max: Math.round(max * 10 ** places) })
    .map((n) => new Dec(n).div(10 ** places).toFixed());

/** One unit of the last decimal place of `value` (at least one thousandth). */
function lastUnit(value: Dec): Dec {
  return new Dec(10).pow(-Math.max(value.decimalPlaces(), 3));
}

const line = fc.constantFrom('lineA' as const, 'lineB' as const);

function passOf(record: object): boolean[] {
  return evaluate(record).tests.map((t) => t.pass);
}

describe('properties', () => {
  it('R 117: |MPE| never decreases with the quantity', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASS_ROWS),
        line,
        decimalText(0, 30, 3),
        decimalText(0, 30, 3),
        decimalText(0.01, 10, 2),
        (row, which, a, b, mmqText) => {
          const [low, high] = new Dec(a).lte(b) ? [new Dec(a), new Dec(b)] : [new Dec(b), new Dec(a)];
          const mmq = new Dec(mmqText).greaterThan(0) ? new Dec(mmqText) : new Dec('0.01');
          const lineA = new Dec(row.lineA);
          const emin = r117Emin(oimlR117_2019, mmq, lineA);
          const percent = new Dec(row[which]);
          expect(
            r117Mpe(oimlR117_2019, low, percent, emin).lte(r117Mpe(oimlR117_2019, high, percent, emin)),
          ).toBe(true);
          expect(
            r117TableMpe(oimlR117_2019, low, percent).lte(r117TableMpe(oimlR117_2019, high, percent)),
          ).toBe(true);
        },
      ),
    );
  });

  it('R 117: a band boundary takes the stricter of its two bands', () => {
    const bands = oimlR117_2019.quantityBands.rows;
    const formula = (band: (typeof bands)[number], volume: Dec, percent: Dec) =>
      new Dec(band.appliedTo ?? volume).times(band.multiplier).times(percent).div(100);
    for (const row of CLASS_ROWS) {
      for (const percent of [new Dec(row.lineA), new Dec(row.lineB)]) {
        for (let i = 1; i < bands.length; i++) {
          const boundary = new Dec(bands[i]!.from);
          const stricter = Dec.min(
            formula(bands[i - 1]!, boundary, percent),
            formula(bands[i]!, boundary, percent),
          );
          expect(r117TableMpe(oimlR117_2019, boundary, percent).toFixed()).toBe(stricter.toFixed());
        }
      }
    }
    // The JJG 443 "mmq" label is the looser limit, so a run there never fails where "max" passes.
    for (const ruleSet of JJG) {
      expect(new Dec(ruleSet.parameters.mmqMpePercent.value).gte(ruleSet.parameters.mpePercent.value)).toBe(
        true,
      );
    }
  });

  it('JJG 443: an error exactly at ±MPE passes and one unit of the last decimal beyond fails', () => {
    fc.assert(
      fc.property(
        jjgId,
        decimalText(1, 200, 3),
        fc.constantFrom(1, -1),
        fc.boolean(),
        (id, referenceText, sign, atMmq) => {
          const ruleSet = jjgById(id);
          const reference = new Dec(referenceText);
          fc.pre(reference.greaterThan(0));
          const mpe = new Dec(
            atMmq ? ruleSet.parameters.mmqMpePercent.value : ruleSet.parameters.mpePercent.value,
          );
          const atLimit = reference.times(new Dec(1).plus(mpe.times(sign).div(100)));
          const beyond = atLimit.plus(lastUnit(atLimit).times(sign));
          const flow = atMmq ? 'mmq' : 'max';
          const record = {
            ruleSet: ruleSet.id,
            stage: 'initial',
            instrument: { kind: 'dispenser' },
            tests: [
              { test: 'delivery', flow, referenceVolume: referenceText, indicatedVolume: atLimit.toFixed() },
              {
                test: 'delivery',
                flow: `${flow}-2`,
                referenceVolume: referenceText,
                indicatedVolume: beyond.toFixed(),
              },
            ],
          };
          expect(passOf(record)).toEqual([true, false]);
        },
      ),
    );
  });

  it('JJG 443 standard can: the limit holds on the temperature-corrected volume', () => {
    fc.assert(
      fc.property(
        jjgId,
        decimalText(5, 100, 3),
        decimalText(-10, 30, 1),
        fc.integer({ min: -40, max: 40 }),
        fc.constantFrom('gasoline', 'diesel', 'kerosene'),
        fc.constantFrom('stainless-steel', 'carbon-steel'),
        (id, canVolume, canTemperature, tenthsDifference, fuel, canMaterial) => {
          const ruleSet = jjgById(id);
          const fuelTemperature = new Dec(canTemperature).plus(new Dec(tenthsDifference).div(10)).toFixed();
          const betaFuel = new Dec(ruleSet.canMethod.fuelExpansion[fuel].value);
          const betaCan = new Dec(ruleSet.canMethod.canExpansion[canMaterial].value);
          const corrected = new Dec(canVolume).times(
            new Dec(1)
              .plus(betaFuel.times(new Dec(fuelTemperature).minus(canTemperature)))
              .plus(betaCan.times(new Dec(canTemperature).minus(20))),
          );
          const atLimit = corrected.times(
            new Dec(1).plus(new Dec(ruleSet.parameters.mpePercent.value).div(100)),
          );
          const beyond = atLimit.plus(lastUnit(atLimit));
          const run = (indicated: Dec) => ({
            test: 'delivery',
            flow: String(indicated),
            canVolume,
            canTemperature,
            fuelTemperature,
            indicatedVolume: indicated.toFixed(),
          });
          const record = {
            ruleSet: ruleSet.id,
            stage: 'initial',
            instrument: { kind: 'dispenser', fuel, canMaterial },
            tests: [run(atLimit), run(beyond)],
          };
          expect(passOf(record)).toEqual([true, false]);
        },
      ),
    );
  });

  it('R 117: an absolute error exactly at the MPE passes and one unit beyond fails, at every stage', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASS_ROWS),
        decimalText(0.2, 5, 2),
        decimalText(0, 100, 3),
        fc.constantFrom(1, -1),
        fc.constantFrom(...STAGES),
        (row, mmqText, extraText, sign, stage) => {
          const mmq = new Dec(mmqText);
          const indicated = mmq.plus(extraText);
          const lineA = new Dec(row.lineA);
          const emin = r117Emin(oimlR117_2019, mmq, lineA);
          const p = oimlR117_2019.parameters;
          const multiplier =
            stage === 'initial'
              ? new Dec(1)
              : stage === 'subsequent'
                ? new Dec(p.subsequentMultiplier.value)
                : new Dec(sign > 0 ? p.inServiceUpperMultiplier.value : p.inServiceLowerMultiplier.value);
          const limit = r117Mpe(oimlR117_2019, indicated, lineA, emin).times(multiplier);
          const atLimit = indicated.minus(limit.times(sign));
          const beyond = atLimit.minus(lastUnit(atLimit).times(sign));
          fc.pre(beyond.greaterThan(0));
          const record = {
            ruleSet: 'OIML-R117-1:2019',
            stage,
            instrument: {
              kind: 'dispenser',
              accuracyClass: row.accuracyClass,
              mmq: mmqText,
              scaleInterval: '0.0001',
            },
            tests: [
              {
                test: 'delivery',
                flow: 'a',
                referenceVolume: atLimit.toFixed(),
                indicatedVolume: indicated.toFixed(),
              },
              {
                test: 'delivery',
                flow: 'b',
                referenceVolume: beyond.toFixed(),
                indicatedVolume: indicated.toFixed(),
              },
            ],
          };
          expect(passOf(record)).toEqual([true, false]);
        },
      ),
    );
  });

  it('payment: a difference exactly at the payment step passes and one unit beyond fails', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RULE_SET_IDS),
        decimalText(1, 20, 2),
        decimalText(0, 100, 2),
        fc.constantFrom('0.01', '0.1', '0.05'),
        fc.constantFrom(1, -1),
        (ruleSet, unitPrice, volume, step, sign) => {
          const expected = new Dec(unitPrice).times(volume);
          const atLimit = expected.plus(new Dec(step).times(sign));
          const beyond = atLimit.plus(lastUnit(atLimit).times(sign));
          fc.pre(beyond.gte(0));
          const payment = (amount: Dec) => ({
            test: 'payment',
            unitPrice,
            indicatedVolume: volume,
            indicatedAmount: amount.toFixed(),
          });
          const record = {
            ruleSet,
            stage: 'initial',
            instrument: { kind: 'dispenser', minPaymentStep: step },
            tests: [payment(atLimit), payment(beyond)],
          };
          expect(passOf(record)).toEqual([true, false]);
        },
      ),
    );
  });

  it('repeatability: a range exactly at the limit passes and one unit beyond fails', () => {
    fc.assert(
      fc.property(
        jjgId,
        decimalText(1, 200, 3),
        fc.integer({ min: -20, max: 20 }),
        (id, referenceText, hundredthsOfPercent) => {
          const ruleSet = jjgById(id);
          const reference = new Dec(referenceText);
          const limit = new Dec(ruleSet.parameters.repeatabilityLimitPercent.value);
          const first = new Dec(hundredthsOfPercent).div(100);
          const indicated = (percent: Dec) => reference.times(new Dec(1).plus(percent.div(100)));
          const low = indicated(first);
          const high = indicated(first.plus(limit));
          const group = (highIndicated: Dec) =>
            evaluate({
              ruleSet: ruleSet.id,
              stage: 'initial',
              instrument: { kind: 'dispenser' },
              tests: [
                {
                  test: 'delivery',
                  flow: 'max',
                  referenceVolume: referenceText,
                  indicatedVolume: low.toFixed(),
                },
                {
                  test: 'delivery',
                  flow: 'max',
                  referenceVolume: referenceText,
                  indicatedVolume: highIndicated.toFixed(),
                },
              ],
            }).groups![0]!.pass;
          expect(group(high)).toBe(true);
          expect(group(high.plus(lastUnit(high)))).toBe(false);
        },
      ),
    );
  });

  it('numbers given as JSON numbers or as strings give identical results', () => {
    const delivery = fc.oneof(
      fc.record({
        test: fc.constant('delivery'),
        flow: fc.constantFrom('max', 'q2', 'mmq'),
        indicatedVolume: decimalText(0, 100, 3),
        referenceVolume: decimalText(1, 100, 3),
      }),
      fc
        .record({
          test: fc.constant('delivery'),
          flow: fc.constantFrom('max', 'q2'),
          indicatedVolume: decimalText(0, 100, 3),
          canVolume: decimalText(1, 100, 3),
          canTemperature: decimalText(0, 30, 1),
          difference: fc.integer({ min: -45, max: 45 }),
        })
        .map(({ difference, ...run }) => ({
          ...run,
          fuelTemperature: new Dec(run.canTemperature).plus(new Dec(difference).div(10)).toFixed(),
        })),
      fc.record({
        test: fc.constant('payment'),
        unitPrice: decimalText(1, 20, 2),
        indicatedVolume: decimalText(0, 100, 2),
        indicatedAmount: decimalText(0, 2000, 2),
      }),
    );
    const toNumbers = (value: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(value).map(([key, text]) => [key, /^[\d.]+$/.test(text) ? Number(text) : text]),
      );
    const outcome = (record: object) => {
      try {
        return evaluate(record);
      } catch (error) {
        return (error as Error).message;
      }
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...RULE_SET_IDS),
        fc.constantFrom(...STAGES),
        fc.array(delivery, { minLength: 1, maxLength: 6 }),
        (ruleSet, stage, tests) => {
          const instrument = {
            kind: 'dispenser',
            fuel: 'gasoline',
            canMaterial: 'carbon-steel',
            mmq: '0.5',
            scaleInterval: '0.001',
          };
          const numericInstrument = { ...instrument, mmq: 0.5, scaleInterval: 0.001 };
          const asText = outcome({ ruleSet, stage, instrument, tests });
          const asNumbers = outcome({
            ruleSet,
            stage,
            instrument: numericInstrument,
            tests: tests.map(toNumbers),
          });
          expect(asNumbers).toEqual(asText);
        },
      ),
    );
  });

  it('random records never throw anything but MG_ERR_INPUT_INVALID', () => {
    const value = fc.oneof(
      fc.constantFrom(
        '0',
        '-1',
        '1e5',
        '20.000',
        'NaN',
        '',
        ' 7 ',
        '1'.repeat(60),
        '0.' + '0'.repeat(50) + '1',
      ),
      fc.double(),
      fc.integer(),
      fc.constant(null),
      fc.string(),
      decimalText(0, 100, 3),
    );
    const test = fc.record(
      {
        test: fc.constantFrom('delivery', 'payment', 'zero', 3),
        flow: fc.oneof(fc.constantFrom('max', 'mmq', ''), fc.integer()),
        indicatedVolume: value,
        referenceVolume: value,
        canVolume: value,
        canTemperature: value,
        fuelTemperature: value,
        unitPrice: value,
        indicatedAmount: value,
      },
      { requiredKeys: [] },
    );
    const instrument = fc.record(
      {
        kind: fc.constantFrom('dispenser', 'scale'),
        fuel: fc.constantFrom('gasoline', 'diesel', 'lpg'),
        canMaterial: fc.constantFrom('stainless-steel', 'carbon-steel', 'glass'),
        minPaymentStep: value,
        accuracyClass: value,
        mmq: value,
        scaleInterval: value,
        component: fc.constantFrom('system', 'meter', 'pump'),
      },
      { requiredKeys: [] },
    );
    const record = fc.record({
      ruleSet: fc.constantFrom(...RULE_SET_IDS),
      stage: fc.constantFrom(...STAGES),
      instrument: fc.oneof(instrument, fc.anything()),
      tests: fc.oneof(fc.array(test, { maxLength: 6 }), fc.anything()),
    });
    fc.assert(
      fc.property(record, (input) => {
        try {
          const result = evaluate(input);
          expect(['pass', 'fail']).toContain(result.verdict);
          expect(result.tests).toHaveLength((input.tests as unknown[]).length);
        } catch (error) {
          expect(error).toBeInstanceOf(MetrogateError);
          expect((error as MetrogateError).code).toBe('MG_ERR_INPUT_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });
});
