import { describe, expect, it } from 'vitest';
import { isMetrogateError, type MetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { openTestStore, tempDataDir } from '../../test/helpers/records.js';
import {
  parseReferenceStandard,
  type ReferenceStandard,
  type ReferenceStandardInput,
  toRecordStandard,
  type WeightSetStandard,
} from './standards.js';
import { checkStandardsFor, composeLoad, DEFAULT_STANDARD_RATIOS, parseRatio } from './standards-check.js';

const cleanup = useCleanup();

const dates = { certificateNumber: 'ZJ-2024-0117', calibrationDate: '2024-06-01', dueDate: '2025-05-31' };

/** An F1 set in the 1-2-2-5 sequence, 1 g to 5 kg, with R 111 F1 MPEs in mg. */
const F1_SET: ReferenceStandardInput = {
  id: 'W-F1-01',
  kind: 'weight-set',
  accuracyClass: 'F1',
  ...dates,
  pieces: [
    { nominal: '5', unit: 'kg', mpe: '25' },
    { nominal: '2', unit: 'kg', mpe: '10', count: 2 },
    { nominal: '1', unit: 'kg', mpe: '5' },
    { nominal: '500', unit: 'g', mpe: '2.5' },
    { nominal: '200', unit: 'g', mpe: '1.0', count: 2 },
    { nominal: '100', unit: 'g', mpe: '0.5' },
    { nominal: '50', unit: 'g', mpe: '0.3' },
    { nominal: '20', unit: 'g', mpe: '0.25', count: 2 },
    { nominal: '10', unit: 'g', mpe: '0.2' },
    { nominal: '5', unit: 'g', mpe: '0.16' },
    { nominal: '2', unit: 'g', mpe: '0.12', count: 2 },
    { nominal: '1', unit: 'g', mpe: '0.1' },
  ],
};

const CAN: ReferenceStandardInput = {
  id: 'CAN-20L',
  kind: 'can',
  nominalVolume: 20,
  material: 'stainless-steel',
  relativeMpe: '0.025',
  ...dates,
};
const PULSE: ReferenceStandardInput = { id: 'PG-1', kind: 'pulse-generator', relativeMpe: '0.1', ...dates };
const THERMO: ReferenceStandardInput = { id: 'T-1', kind: 'thermometer', mpe: '0.2', ...dates };

const f1 = () => parseReferenceStandard(F1_SET) as WeightSetStandard;

function failure(action: () => unknown): MetrogateError {
  try {
    action();
  } catch (error) {
    if (isMetrogateError(error)) return error;
    throw error;
  }
  throw new Error('expected a MetrogateError');
}

describe('reference standard schema', () => {
  it('normalises decimals and applies the defaults (mpeUnit mg, count 1)', () => {
    const set = f1();
    expect(set.pieces[0]).toEqual({ nominal: '5', unit: 'kg', mpe: '25', mpeUnit: 'mg', count: 1 });
    expect(parseReferenceStandard(CAN)).toMatchObject({ nominalVolume: '20', relativeMpe: '0.025' });
  });

  it('names the field at fault', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...F1_SET, pieces: [{ nominal: '1', unit: 'lb', mpe: '5' }] }, /pieces\[0\]\.unit/],
      [
        { ...F1_SET, pieces: [{ nominal: '1', unit: 'kg', mpe: '-5' }] },
        /pieces\[0\]\.mpe: must be greater than 0/,
      ],
      [{ ...F1_SET, accuracyClass: 'F3' }, /accuracyClass/],
      [{ ...CAN, material: 'glass' }, /material/],
      [{ ...PULSE, dueDate: '2025-02-30' }, /dueDate: expected a date/],
      [{ ...THERMO, dueDate: '2024-01-01' }, /dueDate: the due date is before the calibration date/],
      [{ ...THERMO, kind: 'barometer' }, /kind/],
      [{ ...THERMO, id: 'has space' }, /id: must not contain spaces/],
    ];
    for (const [input, message] of cases) {
      const error = failure(() => parseReferenceStandard(input));
      expect(error.code).toBe('MG_ERR_INPUT_INVALID');
      expect(error.message).toMatch(message);
    }
  });

  it('describes a standard for the record', () => {
    expect(toRecordStandard(f1())).toEqual({
      id: 'W-F1-01',
      kind: 'weight-set',
      description: 'F1 weight set 1 g – 5 kg (16 pieces)',
      certificateNumber: 'ZJ-2024-0117',
      dueDate: '2025-05-31',
    });
    expect(toRecordStandard(parseReferenceStandard(CAN)).description).toBe(
      '20 L stainless-steel standard can (MPE ±0.025 %)',
    );
  });
});

describe('StandardsStore', () => {
  function store() {
    const data = tempDataDir();
    cleanup(data.remove);
    const opened = openTestStore(data.dir);
    cleanup(() => opened.close());
    return opened;
  }

  it('adds, lists and gets standards, with an audit entry each', () => {
    const s = store();
    s.standards.add(CAN, { actor: 'li' });
    s.standards.addAll([F1_SET, PULSE], { actor: 'wang' });
    expect(s.standards.list().map((entry) => entry.standard.id)).toEqual(['CAN-20L', 'PG-1', 'W-F1-01']);
    expect(s.standards.get('W-F1-01')).toEqual(f1());
    expect(s.standards.get('nope')).toBeUndefined();
    expect(failure(() => s.standards.require('nope')).code).toBe('MG_ERR_NOT_FOUND');
    const audit = s.audit.list();
    expect(audit.map((entry) => [entry.actor, entry.action, entry.subject])).toEqual([
      ['wang', 'standard.add', 'PG-1'],
      ['wang', 'standard.add', 'W-F1-01'],
      ['li', 'standard.add', 'CAN-20L'],
    ]);
    expect(audit[2]!.details).toEqual({
      kind: 'can',
      certificateNumber: 'ZJ-2024-0117',
      calibrationDate: '2024-06-01',
      dueDate: '2025-05-31',
    });
    expect(s.audit.verifyChain().intact).toBe(true);
  });

  it('adds all or none, and refuses an id already registered', () => {
    const s = store();
    const bad = failure(() => s.standards.addAll([CAN, { ...PULSE, relativeMpe: 'x' }], { actor: 'li' }));
    expect(bad.message).toMatch(/\[1\]\.relativeMpe/);
    expect(s.standards.list()).toEqual([]);
    s.standards.add(CAN, { actor: 'li' });
    const again = failure(() => s.standards.addAll([PULSE, CAN], { actor: 'li' }));
    expect(again.message).toMatch(/CAN-20L is already registered/);
    expect(s.standards.list().map((entry) => entry.standard.id)).toEqual(['CAN-20L']);
    expect(s.audit.count()).toBe(1);
  });
});

describe('composeLoad', () => {
  it('takes the largest pieces first, each at most once, and sums their MPEs in the load unit', () => {
    expect(composeLoad([f1()], '2.5', 'kg')).toEqual({
      pieces: [
        { standardId: 'W-F1-01', nominal: '2', unit: 'kg', mpe: '0.00001' },
        { standardId: 'W-F1-01', nominal: '500', unit: 'g', mpe: '0.0000025' },
      ],
      mpeSum: '0.0000125',
    });
    const big = composeLoad([f1()], '10000', 'g');
    expect(big.pieces.map((p) => `${p.nominal} ${p.unit}`)).toEqual(['5 kg', '2 kg', '2 kg', '1 kg']);
    expect(big.mpeSum).toBe('0.05');
    expect(composeLoad([f1()], '0', 'g')).toEqual({ pieces: [], mpeSum: '0' });
  });

  it('says which load cannot be composed', () => {
    const fraction = failure(() => composeLoad([f1()], '2000.3', 'g'));
    expect(fraction.code).toBe('MG_ERR_STANDARD_INVALID');
    expect(fraction.message).toMatch(
      /the load 2000\.3 g cannot be composed from the pieces of weight set W-F1-01/,
    );
    expect(fraction.message).toMatch(/0\.3 g remain; the smallest piece is 1 g/);
    expect(fraction.details).toMatchObject({ standard: 'W-F1-01', reason: 'cannot-compose' });
    expect(failure(() => composeLoad([f1()], '12000', 'g')).message).toMatch(/12000 g cannot be composed/);
  });

  it('backs off from the largest piece when it leads nowhere (a 3-2-2 set for 4)', () => {
    const odd = parseReferenceStandard({
      ...F1_SET,
      id: 'W-ODD',
      pieces: [
        { nominal: '3', unit: 'kg', mpe: '15' },
        { nominal: '2', unit: 'kg', mpe: '10', count: 2 },
      ],
    }) as WeightSetStandard;
    expect(composeLoad([odd], '4', 'kg').pieces.map((p) => p.nominal)).toEqual(['2', '2']);
    expect(composeLoad([odd], '5', 'kg').pieces.map((p) => p.nominal)).toEqual(['3', '2']);
  });

  it('pools several sets, taking the more accurate of equal pieces first', () => {
    const m1 = parseReferenceStandard({
      ...F1_SET,
      id: 'W-M1-20KG',
      accuracyClass: 'M1',
      pieces: [
        { nominal: '20', unit: 'kg', mpe: '1000', count: 3 },
        { nominal: '5', unit: 'kg', mpe: '250' },
      ],
    }) as WeightSetStandard;
    const pieces = composeLoad([m1, f1()], '65', 'kg').pieces;
    expect(pieces.map((p) => `${p.standardId}:${p.nominal}${p.unit}`)).toEqual([
      'W-M1-20KG:20kg',
      'W-M1-20KG:20kg',
      'W-M1-20KG:20kg',
      'W-F1-01:5kg',
    ]);
  });
});

describe('checkStandardsFor', () => {
  const all: ReferenceStandard[] = [f1(), ...[CAN, PULSE, THERMO].map((s) => parseReferenceStandard(s))];

  it('returns the standards to record when due and accurate enough', () => {
    const used = checkStandardsFor({
      standards: [f1()],
      date: '2025-05-31',
      load: '2000',
      unit: 'g',
      instrumentMpe: '5',
    });
    expect(used).toEqual([toRecordStandard(f1())]);
    // Zero load needs no weights, so no weight set is recorded for that point.
    expect(
      checkStandardsFor({
        standards: [f1()],
        date: '2025-01-01',
        load: '0',
        unit: 'g',
        instrumentMpe: '2.5',
      }),
    ).toEqual([]);
    const dispenser = checkStandardsFor({
      standards: [all[1]!, all[3]!],
      date: '2025-01-01',
      instrumentMpe: { can: '0.30', thermometer: '1.0' },
    });
    expect(dispenser.map((s) => s.id)).toEqual(['CAN-20L', 'T-1']);
  });

  it('refuses a standard past its due date or calibrated after the test, naming it', () => {
    const late = failure(() =>
      checkStandardsFor({ standards: all, date: '2025-06-01', load: '1', unit: 'kg', instrumentMpe: '1' }),
    );
    expect(late.code).toBe('MG_ERR_STANDARD_INVALID');
    expect(late.message).toMatch(
      /standard W-F1-01 .* was due for calibration on 2025-05-31; it cannot be used on 2025-06-01/,
    );
    expect(late.details).toMatchObject({ standard: 'W-F1-01', reason: 'past-due' });
    const early = failure(() =>
      checkStandardsFor({ standards: [all[2]!], date: '2024-05-31', instrumentMpe: '0.2' }),
    );
    expect(early.details).toMatchObject({ standard: 'PG-1', reason: 'not-yet-calibrated' });
  });

  it('accepts weights at exactly 1/3 of the scale MPE and refuses them just above', () => {
    // 10 kg = 5 + 2 + 2 + 1 kg: MPE sum 25 + 10 + 10 + 5 = 50 mg = 0.05 g; 1/3 of 0.15 g is exactly 0.05 g.
    const base = { standards: [f1()], date: '2025-01-01', load: '10', unit: 'kg' as const };
    expect(checkStandardsFor({ ...base, instrumentMpe: '0.00015' })).toHaveLength(1);
    const tight = failure(() => checkStandardsFor({ ...base, instrumentMpe: '0.000149' }));
    expect(tight.code).toBe('MG_ERR_STANDARD_INVALID');
    expect(tight.details).toMatchObject({ standard: 'W-F1-01', reason: 'not-accurate-enough' });
    expect(tight.message).toMatch(
      /5 kg \+ 2 kg \+ 2 kg \+ 1 kg\) have an MPE sum of 0\.00005 kg, more than 1\/3/,
    );
    // A configured ratio of 1/2 lets the same set pass.
    expect(
      checkStandardsFor({ ...base, instrumentMpe: '0.000149', ratio: { 'weight-set': '1/2' } }),
    ).toHaveLength(1);
  });

  it('uses 1/2 for pulse generators: the JJG 517 bench device (±0.1 %) against the ±0.2 % distance MPE', () => {
    expect(DEFAULT_STANDARD_RATIOS['pulse-generator']).toBe('1/2');
    expect(
      checkStandardsFor({ standards: [all[2]!], date: '2025-01-01', instrumentMpe: '0.2' }),
    ).toHaveLength(1);
    const strict = failure(() =>
      checkStandardsFor({ standards: [all[2]!], date: '2025-01-01', instrumentMpe: '0.2', ratio: '1/3' }),
    );
    expect(strict.message).toMatch(
      /standard PG-1 .*: its MPE 0\.1 % is more than 1\/3 of the instrument's MPE 0\.2 % \(0\.0666667 %\)/,
    );
  });

  it('refuses a can or thermometer not accurate enough, and asks for what it needs', () => {
    const can = failure(() =>
      checkStandardsFor({ standards: [all[1]!], date: '2025-01-01', instrumentMpe: '0.05' }),
    );
    expect(can.details).toMatchObject({ standard: 'CAN-20L', reason: 'not-accurate-enough' });
    const thermo = failure(() =>
      checkStandardsFor({ standards: [all[3]!], date: '2025-01-01', instrumentMpe: '-0.5' }),
    );
    expect(thermo.message).toMatch(/0\.2 °C is more than 1\/3 of the instrument's MPE 0\.5 °C/);
    const noLoad = failure(() =>
      checkStandardsFor({ standards: [f1()], date: '2025-01-01', instrumentMpe: '1' }),
    );
    expect(noLoad.code).toBe('MG_ERR_INPUT_INVALID');
    const noMpe = failure(() =>
      checkStandardsFor({ standards: [all[1]!, all[3]!], date: '2025-01-01', instrumentMpe: { can: '0.3' } }),
    );
    expect(noMpe.message).toMatch(/thermometer/);
    expect(
      failure(() => checkStandardsFor({ standards: [], date: '2025-1-1', instrumentMpe: '1' })).code,
    ).toBe('MG_ERR_INPUT_INVALID');
  });

  it('parses ratios as fractions or decimals in (0, 1]', () => {
    expect(parseRatio('1/3')).toMatchObject({ text: '1/3' });
    expect(parseRatio('0.5').numerator.toFixed()).toBe('0.5');
    for (const bad of ['0', '3/2', '1/0', 'third', '-1/3']) expect(() => parseRatio(bad)).toThrow(/ratio/);
  });
});
