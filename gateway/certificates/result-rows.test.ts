import { describe, expect, it } from 'vitest';
import type { EvaluationResult, TestResult } from '../verification/types.js';
import { groupRows, type RowContext, resultRows } from './result-rows.js';

/** Cells as a person reads them: no-break spaces shown as spaces. */
function cells(tests: TestResult[], context: RowContext): string[][] {
  const result: EvaluationResult = { verdict: 'pass', ruleSet: 'JJG539-2016', stage: 'initial', tests };
  return resultRows(result, context).map((row) =>
    [row.test, row.subject, row.error, row.limit, row.result, row.reason].map((cell) =>
      cell.replace(/\u00a0/g, ' '),
    ),
  );
}

describe('result rows', () => {
  it('scale: loads and absolute errors in the instrument unit, limits as ± MPE or ≤ limit', () => {
    const rows = cells(
      [
        { test: 'weighing', load: '2000', direction: 'down', error: '-1.0', mpe: '2.5', pass: true },
        { test: 'repeatability', load: '7500', range: '2.5', limit: '7.5', pass: true },
        { test: 'zero', error: '0.5', mpe: '1.25', pass: true },
      ],
      { language: 'en', kind: 'scale', unit: 'kg' },
    );
    expect(rows).toEqual([
      ['Weighing (down)', '2000 kg', '-1.0 kg', '±2.5 kg', 'Pass', ''],
      ['Repeatability', '7500 kg', 'range 2.5 kg', '≤ 7.5 kg', 'Pass', ''],
      ['Zero-setting', '—', '0.5 kg', '±1.25 kg', 'Pass', ''],
    ]);
  });

  it('eccentricity: one row per position, indented, each with the load of the test', () => {
    const rows = resultRows(
      {
        verdict: 'fail',
        ruleSet: 'OIML-R76-1:2006',
        stage: 'initial',
        tests: [
          {
            test: 'eccentricity',
            load: '5000',
            pass: false,
            positions: [
              { position: 'center', error: '0.5', mpe: '5', pass: true },
              { position: 'q3', error: '5.5', mpe: '5', pass: false },
              'not a position',
            ],
          },
        ],
      },
      { language: 'zh', kind: 'scale', unit: 'g' },
    );
    expect(
      rows.map((r) => [
        r.level,
        r.test,
        r.subject.replace(/\u00a0/g, ' '),
        r.error.replace(/\u00a0/g, ' '),
        r.result,
      ]),
    ).toEqual([
      [0, '偏载', '5000 g', '—', '不合格'],
      [1, '中心', '5000 g', '0.5 g', '合格'],
      [1, 'q3', '5000 g', '5.5 g', '不合格'],
    ]);
    expect(rows[2]!.pass).toBe(false);
  });

  it('dispenser: flow label with the indicated volume, percent errors, payment as volume × price', () => {
    const rows = cells(
      [
        {
          test: 'delivery',
          flow: 'q2',
          indicatedVolume: '20.04',
          errorPercent: '0.12',
          mpePercent: '0.30',
          pass: true,
        },
        {
          test: 'delivery',
          flow: 'max',
          referenceVolume: '20.00',
          errorPercent: '-0.36',
          mpePercent: '±0.30',
          pass: false,
        },
        {
          test: 'payment',
          unitPrice: '7.85',
          indicatedVolume: '20.00',
          error: '0.01',
          mpe: '0.01',
          pass: true,
        },
      ],
      { language: 'both', kind: 'dispenser' },
    );
    expect(rows).toEqual([
      ['体积示值误差 Delivery', 'q2 · 20.04 L', '0.12 %', '±0.30 %', '合格 Pass', ''],
      ['体积示值误差 Delivery', 'max', '-0.36 %', '±0.30 %', '不合格 Fail', ''],
      ['付费金额 Payment', '20.00 L × 7.85', '0.01', '±0.01', '合格 Pass', ''],
    ]);
  });

  it('taximeter: asymmetric limits keep given signs and add missing ones, never to zero', () => {
    const rows = cells(
      [
        {
          test: 'distance',
          trueDistance: '1000',
          errorPercent: '0.6',
          lowerPercent: '-4',
          upperPercent: '1',
          pass: true,
        },
        {
          test: 'distance',
          testDistance: '1000',
          pulses: 1000,
          errorPercent: '1.2',
          lowerPercent: '4',
          upperPercent: '+1',
          pass: false,
        },
        {
          test: 'time',
          reference: '3600',
          errorPercent: '0.03',
          lowerPercent: '0',
          upperPercent: '0.1',
          pass: true,
        },
        { test: 'fare', distance: '8000', duration: '600', error: '0.00', mpe: '0.00', pass: true },
      ],
      { language: 'en', kind: 'taximeter' },
    );
    expect(rows).toEqual([
      ['Distance', '1000 m', '0.6 %', '-4 % … +1 %', 'Pass', ''],
      ['Distance', '1000 m (1000 pulses)', '1.2 %', '-4 % … +1 %', 'Fail', ''],
      ['Time', '3600 s', '0.03 %', '0 % … +0.1 %', 'Pass', ''],
      ['Fare', '8000 m, 600 s', '0.00', '±0.00', 'Pass', ''],
    ]);
  });

  it('names known failure reasons in the chosen language and passes unknown ones through', () => {
    const tests: TestResult[] = [
      { test: 'weighing', load: '50', error: '0', mpe: '2.5', pass: false, reason: 'below-min' },
      { test: 'discrimination', load: '100', pass: false, reason: 'no-change' },
      { test: 'seal', pass: false, reason: 'seal-broken' },
    ];
    expect(cells(tests, { language: 'zh', kind: 'scale', unit: 'g' }).map((r) => [r[0], r[5]])).toEqual([
      ['称量', '低于最小秤量'],
      ['鉴别力', '示值无变化'],
      ['seal', 'seal-broken'],
    ]);
    expect(cells(tests, { language: 'en', kind: 'scale', unit: 'g' }).map((r) => r[5])).toEqual([
      'below Min',
      'indication did not change',
      'seal-broken',
    ]);
  });

  it('ignores fields that are neither decimal text nor finite numbers', () => {
    const rows = cells([{ test: 'weighing', load: { value: 1 }, error: Number.NaN, mpe: '', pass: true }], {
      language: 'en',
      kind: 'scale',
      unit: 'g',
    });
    expect(rows).toEqual([['Weighing', '—', '—', '—', 'Pass', '']]);
  });

  it('repeatability groups: range and limit in percent', () => {
    const rows = groupRows(
      [
        { flow: 'max', runs: 3, rangePercent: '0.13', limitPercent: '0.10', pass: false },
        { flow: 'min', runs: 3, rangePercent: '0.04', limitPercent: '0.10', pass: true },
      ],
      'both',
    ).map((r) => ({ ...r, range: r.range.replace(/\u00a0/g, ' '), limit: r.limit.replace(/\u00a0/g, ' ') }));
    expect(rows).toEqual([
      { flow: 'max', runs: '3', range: '0.13 %', limit: '≤ 0.10 %', result: '不合格 Fail', pass: false },
      { flow: 'min', runs: '3', range: '0.04 %', limit: '≤ 0.10 %', result: '合格 Pass', pass: true },
    ]);
  });
});
