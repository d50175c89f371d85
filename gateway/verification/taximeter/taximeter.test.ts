/**
 * Worked vectors T1–T9 of metrology-rules.md §3(f) through the full `evaluate` dispatcher, the
 * fare model, parameter overrides, input errors and the golden records in testcases/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../../drivers/decimal.js';
import { isMetrogateError } from '../../../drivers/errors.js';
import { evaluate } from '../evaluate.js';
import { resolveParameters } from '../parameters.js';
import { jjg517_2016 } from '../rules/jjg517-2016.js';
import { oimlR21_2007 } from '../rules/oiml-r21-2007.js';
import type { RuleOverrides, RuleSetId } from '../types.js';
import { expectedFare, fareOf, roundToResolution } from './fare.js';
import { readLimits } from './limits.js';
import type { Tariff } from './schema.js';

function record(ruleSet: RuleSetId, instrument: Record<string, unknown>, tests: unknown[]) {
  return { ruleSet, stage: 'initial', instrument: { kind: 'taximeter', ...instrument }, tests };
}

function inputErrorOf(run: () => unknown): { path: unknown; message: string } {
  try {
    run();
  } catch (error) {
    if (isMetrogateError(error, 'MG_ERR_INPUT_INVALID'))
      return { path: error.details.path, message: error.message };
    throw error;
  }
  throw new Error('expected MG_ERR_INPUT_INVALID');
}

const installed = (indicatedDistance: string, trueDistance: string) => ({
  test: 'distance',
  indicatedDistance,
  trueDistance,
});

describe('installed distance (JJG517-2016, +1.0 % / −4.0 %)', () => {
  it('T1 (Qingdao case): meter 1000 m over 974 m is +2.6694 %, FAIL', () => {
    const result = evaluate(record('JJG517-2016', {}, [installed('1000', '974')]));
    expect(result.tests[0]).toEqual({
      test: 'distance',
      indicatedDistance: '1000',
      trueDistance: '974',
      errorPercent: '2.6694',
      lowerPercent: '-4',
      upperPercent: '1',
      pass: false,
    });
    expect(result.verdict).toBe('fail');
  });

  it('T2: meter 1000 m over 1005 m is −0.4975 %, PASS', () => {
    const result = evaluate(record('JJG517-2016', {}, [installed('1000', '1005')]));
    expect(result.tests[0]).toMatchObject({ errorPercent: '-0.4975', pass: true });
    expect(result.verdict).toBe('pass');
  });

  it('T3: meter 1000 m over 1045 m is −4.3062 %, FAIL', () => {
    const result = evaluate(record('JJG517-2016', {}, [installed('1000', '1045')]));
    expect(result.tests[0]).toMatchObject({ errorPercent: '-4.3062', pass: false });
  });

  it('T4 (boundary): 1010 m over 1000 m is exactly +1.000 % and PASSES; 1011 m FAILS', () => {
    const result = evaluate(
      record('JJG517-2016', {}, [installed('1010', '1000'), installed('1011', '1000')]),
    );
    expect(result.tests.map((t) => [t.errorPercent, t.pass])).toEqual([
      ['1', true],
      ['1.1', false],
    ]);
  });

  it('T4 (lower boundary): exactly −4.0 % passes, one unit below fails, also where the ratio does not terminate', () => {
    const result = evaluate(
      record('JJG517-2016', {}, [
        installed('960', '1000'),
        installed('959.9', '1000'),
        // 3 × 0.96 = 2.88 over a true distance of 3: δ = −4 % exactly.
        installed('2.88', '3'),
        installed('3.03', '3'),
        installed('3.0301', '3'),
      ]),
    );
    expect(result.tests.map((t) => t.pass)).toEqual([true, false, true, true, false]);
  });

  it('does not depend on the stage', () => {
    for (const stage of ['initial', 'subsequent', 'in-service']) {
      const result = evaluate({ ...record('JJG517-2016', {}, [installed('1010', '1000')]), stage });
      expect(result.tests[0]!.pass).toBe(true);
    }
  });

  it('takes its UNCONFIRMED band from overridable parameters', () => {
    const overrides: RuleOverrides = { 'JJG517-2016': { installedDistanceUpperPercent: '0.5' } };
    const result = evaluate(record('JJG517-2016', {}, [installed('1010', '1000')]), { overrides });
    expect(result.tests[0]).toMatchObject({ upperPercent: '0.5', pass: false });
    expect(result.overrides).toEqual({ installedDistanceUpperPercent: '0.5' });
  });

  it('is refused by OIML-R21:2007, which covers the taximeter alone', () => {
    const error = inputErrorOf(() => evaluate(record('OIML-R21:2007', {}, [installed('1000', '1000')])));
    expect(error.path).toBe('tests[0]');
    expect(error.message).toContain('installation checks are national');
  });
});

const bench = (testDistance: string, pulses: string) => ({ test: 'distance', testDistance, pulses });

describe('bench distance (pulse generator at k)', () => {
  it('T5: k = 1000, Q = 5 km: N = 4988 is +12 m over MPE 9.976 m, FAIL; N = 4992 is +8 m, PASS', () => {
    const result = evaluate(
      record('OIML-R21:2007', { k: '1000' }, [bench('5000', '4988'), bench('5000', '4992')]),
    );
    expect(result.tests).toEqual([
      {
        test: 'distance',
        testDistance: '5000',
        pulses: '4988',
        trueDistance: '4988',
        error: '12',
        mpe: '9.976',
        pass: false,
      },
      {
        test: 'distance',
        testDistance: '5000',
        pulses: '4992',
        trueDistance: '4992',
        error: '8',
        mpe: '9.984',
        pass: true,
      },
    ]);
    expect(result.verdict).toBe('fail');
  });

  it('T6 (4 m floor): k = 1000, Q = 1 km, N = 998 is +2 m within the 4 m floor, PASS', () => {
    const result = evaluate(record('OIML-R21:2007', { k: 1000 }, [bench('1000', '998')]));
    expect(result.tests[0]).toMatchObject({ error: '2', mpe: '4', pass: true });
  });

  it('T6: a pure ±0.2 % check (JJG 517 floor overridden to 0) fails the same run', () => {
    const overrides: RuleOverrides = { 'JJG517-2016': { benchDistanceMinMpe: '0' } };
    const result = evaluate(record('JJG517-2016', { k: 1000 }, [bench('1000', '998')]), { overrides });
    expect(result.tests[0]).toMatchObject({ error: '2', mpe: '1.996', pass: false });
    expect(result.overrides).toEqual({ benchDistanceMinMpe: '0' });
  });

  it('JJG517-2016 bench limits default to R 21 values', () => {
    const result = evaluate(
      record('JJG517-2016', { k: '1000' }, [bench('5000', '4988'), bench('5000', '4992')]),
    );
    expect(result.tests.map((t) => [t.mpe, t.pass])).toEqual([
      ['9.976', false],
      ['9.984', true],
    ]);
  });

  it('judges exactly when N/k does not terminate (k = 3000)', () => {
    // N = 2000 at k = 3000: D = 666.666… m, MPE = 4 m; Q·k − 1000·N = ±12000 = 4·k exactly.
    const result = evaluate(
      record('OIML-R21:2007', { k: 3000 }, [
        bench('670.666666666666666666666666666666666667', '2000'),
        { test: 'distance', testDistance: '662.666666666666666666666666666666666667', pulses: '2000' },
      ]),
    );
    expect(result.tests.map((t) => t.pass)).toEqual([false, true]);
    expect(result.tests[0]).toMatchObject({ trueDistance: '666.666667', mpe: '4' });
  });
});

const time = (indicated: string, reference: string) => ({ test: 'time', indicated, reference });

describe('time', () => {
  it('T7: 600.5 s over 600 s is within 0.6 s, PASS; 60.25 s over 60 s exceeds the 0.2 s floor, FAIL', () => {
    const result = evaluate(record('OIML-R21:2007', {}, [time('600.5', '600'), time('60.25', '60')]));
    expect(result.tests).toEqual([
      { test: 'time', indicated: '600.5', reference: '600', error: '0.5', mpe: '0.6', pass: true },
      { test: 'time', indicated: '60.25', reference: '60', error: '0.25', mpe: '0.2', pass: false },
    ]);
  });

  it('passes exactly at the MPE on both sides', () => {
    const result = evaluate(
      record('OIML-R21:2007', {}, [
        time('600.6', '600'),
        time('599.4', '600'),
        time('600.6001', '600'),
        time('59.8', '60'),
      ]),
    );
    expect(result.tests.map((t) => t.pass)).toEqual([true, true, false, true]);
  });
});

const T8_TARIFF = {
  flagFall: '10.00',
  includedDistance: '2000',
  distanceRate: '2.00',
  timeRate: '0',
  mode: 'D',
  fareResolution: '0.10',
};
const T9_TARIFF = {
  flagFall: '0',
  includedDistance: '0',
  distanceRate: '2.00',
  timeRate: '30.00',
  fareResolution: '0.01',
};
const fare = (indicatedFare: string, distance: string, duration: string) => ({
  test: 'fare',
  indicatedFare,
  distance,
  duration,
});

describe('fare', () => {
  it.each(['D', 'S'])(
    'T8 (mode %s): 10.00 incl. 2 km + 5.35 km × 2.00 = 20.70; 20.80 PASSES, 20.90 FAILS',
    (mode) => {
      const result = evaluate(
        record('OIML-R21:2007', { tariff: { ...T8_TARIFF, mode } }, [
          fare('20.80', '7350', '900'),
          fare('20.90', '7350', '900'),
        ]),
      );
      expect(result.tests[0]).toEqual({
        test: 'fare',
        indicatedFare: '20.8',
        distance: '7350',
        duration: '900',
        expectedFare: '20.7',
        tariffApplied: mode === 'D' ? 'time+distance' : 'distance',
        error: '0.1',
        mpe: '0.1',
        pass: true,
      });
      expect(result.tests[1]).toMatchObject({ error: '0.2', mpe: '0.1', pass: false });
    },
  );

  it('T9 (modes): 10 min at 6 km/h with v_c = 15 km/h is 5.00 in mode S (time only) and 7.00 in mode D', () => {
    const trip = [fare('5.00', '1000', '600'), fare('7.00', '1000', '600')];
    const s = evaluate(record('OIML-R21:2007', { tariff: { ...T9_TARIFF, mode: 'S' } }, trip));
    const d = evaluate(record('OIML-R21:2007', { tariff: { ...T9_TARIFF, mode: 'D' } }, trip));
    expect(s.tests.map((t) => [t.expectedFare, t.tariffApplied, t.pass])).toEqual([
      ['5', 'time', true],
      ['5', 'time', false],
    ]);
    expect(d.tests.map((t) => [t.expectedFare, t.tariffApplied, t.pass])).toEqual([
      ['7', 'time+distance', false],
      ['7', 'time+distance', true],
    ]);
  });

  it('applies 0.1 % of the fare once it exceeds one resolution digit', () => {
    // 200.00 incl. nothing: MPE = max(0.2, 0.01) = 0.2.
    const tariff = { ...T9_TARIFF, flagFall: '200.00', timeRate: '0', mode: 'D' };
    const result = evaluate(
      record('OIML-R21:2007', { tariff }, [
        fare('200.20', '0', '0'),
        fare('200.21', '0', '0'),
        fare('199.80', '0', '0'),
      ]),
    );
    expect(result.tests.map((t) => [t.mpe, t.pass])).toEqual([
      ['0.2', true],
      ['0.2', false],
      ['0.2', true],
    ]);
  });

  it('mode S: the flag fall covers the included distance or its time at v_c, whichever comes first', () => {
    // 10.00 incl. 2 km, 2.00/km, 30.00/h: v_c = 15 km/h; the allowance 4.00 is 2 km or 480 s.
    const tariff: Tariff = {
      flagFall: new Dec('10.00'),
      includedDistance: new Dec('2000'),
      distanceRate: new Dec('2.00'),
      timeRate: new Dec('30.00'),
      mode: 'S',
      fareResolution: new Dec('0.10'),
    };
    const fareS = (distance: string, duration: string) => {
      const expected = expectedFare(tariff, new Dec(distance), new Dec(duration), 'exact');
      return [fareOf(expected).toFixed(), expected.tariffApplied];
    };
    expect(fareS('0', '600')).toEqual(['11', 'time']); // 5.00 of waiting − 4.00 allowance
    expect(fareS('0', '480')).toEqual(['10', 'time']);
    expect(fareS('3000', '300')).toEqual(['12', 'distance']); // 36 km/h: 6.00 − 4.00
    expect(fareS('1000', '240')).toEqual(['10', 'distance']); // exactly v_c: distance tariff
    expect(fareS('1000', '600')).toEqual(['11', 'time']); // 6 km/h: 5.00 of time − 4.00
    expect(fareS('2500', '600')).toEqual(['11', 'distance']); // 15 km/h = v_c: 5.00 either way
    const fareD = expectedFare({ ...tariff, mode: 'D' }, new Dec('3000'), new Dec('300'), 'exact');
    expect(fareOf(fareD).toFixed()).toBe('14.5'); // 10 + 1 km × 2.00 + 300 s × 30/h
  });

  it('rounds the computed fare to the resolution as parameter fareRounding says', () => {
    // 100 s at 30.00/h = 0.8333…; 6 s = 0.05 (a half step of 0.10).
    const tariff = {
      flagFall: '0',
      includedDistance: '0',
      distanceRate: '0',
      timeRate: '30',
      mode: 'D',
      fareResolution: '0.1',
    };
    const run = (code: string) =>
      evaluate(record('JJG517-2016', { tariff }, [fare('0.8', '0', '100'), fare('0.1', '0', '6')]), {
        overrides: { 'JJG517-2016': { fareRounding: code } },
      }).tests.map((t) => t.expectedFare);
    expect(run('0')).toEqual(['0.833333', '0.05']);
    expect(run('1')).toEqual(['0.8', '0.1']);
    expect(run('2')).toEqual(['0.8', '0']);
    expect(run('3')).toEqual(['0.9', '0.1']);
  });

  it('roundToResolution is exact at a half step and on a multiple', () => {
    const step = new Dec('0.1');
    expect(roundToResolution(new Dec('0.25'), step, 'half-up').toFixed()).toBe('0.3');
    expect(roundToResolution(new Dec('0.2499999'), step, 'half-up').toFixed()).toBe('0.2');
    expect(roundToResolution(new Dec('0.3'), step, 'up').toFixed()).toBe('0.3');
    expect(roundToResolution(new Dec('0.3'), step, 'down').toFixed()).toBe('0.3');
    expect(roundToResolution(new Dec('0.30001'), step, 'up').toFixed()).toBe('0.4');
  });
});

describe('rule-set data', () => {
  it('every parameter of both rule sets carries a source and a status', () => {
    for (const ruleSet of [oimlR21_2007, jjg517_2016]) {
      for (const [name, parameter] of Object.entries(ruleSet.parameters)) {
        expect(parameter.source.length, name).toBeGreaterThan(20);
        expect(['CONFIRMED', 'SECONDARY', 'UNCONFIRMED']).toContain(parameter.status);
        expect(new Dec(parameter.value).isFinite(), name).toBe(true);
      }
    }
  });

  it('JJG 517 values the reference could not confirm are overridable; R 21 limits are not', () => {
    expect(Object.values(jjg517_2016.parameters).every((p) => p.status === 'UNCONFIRMED')).toBe(true);
    expect(oimlR21_2007.parameters.benchDistanceMpePercent.status).toBe('SECONDARY');
    expect(() =>
      evaluate(record('OIML-R21:2007', {}, [time('600', '600')]), {
        overrides: { 'OIML-R21:2007': { timeMinMpe: '1' } },
      }),
    ).toThrow(/SECONDARY/);
  });

  it('refuses an override that makes no sense, naming its config path', () => {
    const params = resolveParameters(jjg517_2016, { fareRounding: '7' });
    expect(() => readLimits(jjg517_2016, params)).toThrow(
      /verification\.overrides\.JJG517-2016\.fareRounding/,
    );
    const band = resolveParameters(jjg517_2016, { installedDistanceLowerPercent: '1' });
    expect(() => readLimits(jjg517_2016, band)).toThrow(/installedDistanceLowerPercent: must not be above 0/);
  });
});

describe('input errors name their JSON path', () => {
  const cases: Array<[string, Record<string, unknown>, unknown[], string]> = [
    [
      'a missing bench count',
      { k: 1000 },
      [time('600', '600'), { test: 'distance', testDistance: '1000' }],
      'tests[1].pulses',
    ],
    [
      'a distance test with both variants',
      { k: 1000 },
      [{ ...bench('1000', '1000'), trueDistance: '1000' }],
      'tests[0]',
    ],
    ['a distance test with neither variant', {}, [{ test: 'distance' }], 'tests[0]'],
    ['a bench test without k', {}, [bench('1000', '1000')], 'instrument.k'],
    ['a zero k', { k: '0' }, [bench('1000', '1000')], 'instrument.k'],
    ['a fare test without tariff', {}, [fare('1', '0', '0')], 'instrument.tariff'],
    [
      'a bad fare mode',
      { tariff: { ...T9_TARIFF, mode: 'X' } },
      [fare('1', '0', '0')],
      'instrument.tariff.mode',
    ],
    [
      'a zero fare resolution',
      { tariff: { ...T8_TARIFF, fareResolution: 0 } },
      [fare('1', '0', '0')],
      'instrument.tariff.fareResolution',
    ],
    ['an unknown test', {}, [{ test: 'speed' }], 'tests[0].test'],
    ['a zero true distance', {}, [installed('1000', '0')], 'tests[0].trueDistance'],
    ['a negative time', {}, [time('-1', '600')], 'tests[0].indicated'],
    [
      'a fare that is not a number',
      { tariff: { ...T8_TARIFF } },
      [fare('abc', '0', '0')],
      'tests[0].indicatedFare',
    ],
    ['a test that is not an object', {}, ['time'], 'tests[0]'],
  ];
  it.each(cases)('%s', (_name, instrument, tests, path) => {
    const error = inputErrorOf(() => evaluate(record('JJG517-2016', instrument, tests)));
    expect(error.path).toBe(path);
    expect(error.message.startsWith(`${path}:`)).toBe(true);
  });
});

describe('golden records (testcases/)', () => {
  const dir = join(import.meta.dirname, 'testcases');
  const names = readdirSync(dir);
  it('exist', () => {
    expect(names.length).toBeGreaterThanOrEqual(4);
  });
  it.each(names)('%s', (name) => {
    const input = JSON.parse(readFileSync(join(dir, name, 'input.json'), 'utf8'));
    const expected = JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8'));
    expect(evaluate(input)).toEqual(expected);
  });
});
