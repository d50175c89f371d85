import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredVerificationRecord } from '../store/record-types.js';
import type { TestResult } from '../verification/types.js';
import { pdfFlatText, pdfFonts, pdfInfo, pdfPages } from './pdf-text.js';
import { type CertificateInstitute, renderCertificate } from './render.js';
import {
  dispenserFailRecord,
  PULSE_GENERATOR,
  STANDARD_CAN,
  scalePassRecord,
  THERMOMETER,
  taximeterPassRecord,
  WEIGHT_SET,
} from './sample-records.js';

const INSTITUTE: CertificateInstitute = {
  name: '江油市计量测试所',
  address: '四川省江油市诗仙路中段 88 号',
  accreditation: '(川)法计(2021)01015号',
};

/** Asserts that the pieces occur in this order (a table row's cells, then the next row's). */
function expectInOrder(text: string, pieces: readonly string[]): void {
  let from = 0;
  for (const piece of pieces) {
    const at = text.indexOf(piece, from);
    expect(at, `"${piece}" after position ${from} in:\n${text}`).toBeGreaterThanOrEqual(0);
    from = at + piece.length;
  }
}

/** Table rows, each a list of cells, in order. */
function expectRows(text: string, rows: readonly (readonly string[])[]): void {
  expectInOrder(text, rows.flat());
}

describe('verification certificate of a passing scale (bilingual)', () => {
  const record = scalePassRecord();
  let pdf: Buffer;
  let text: string;
  beforeAll(async () => {
    pdf = await renderCertificate(record, { language: 'both', institute: INSTITUTE });
    text = pdfFlatText(pdf);
  });

  it('is a certificate, with the verdict in both languages and no trace of a rejection', () => {
    expect(text).toContain('检定证书');
    expect(text).toContain('Verification Certificate');
    expect(text).toContain('检定结论：合格');
    expect(text).toContain('Verdict: PASS');
    expect(text).not.toContain('不合格');
    expect(text).not.toContain('FAIL');
    expect(text).not.toContain('检定结果通知书');
    expect(text).not.toContain('Notice of Rejection');
  });

  it('names the institute, the record and the instrument', () => {
    for (const value of [
      INSTITUTE.name,
      INSTITUTE.address!,
      INSTITUTE.accreditation!,
      `Certificate No.: ${record.id}`,
      record.instrument.id,
      '电子计价秤',
      '上海大华电子秤厂',
      'TM-A 15kg',
      'DH2023110457',
      '江油市太白农贸市场 王堃',
      '太白农贸市场 A区 12号摊位',
    ]) {
      expect(text).toContain(value);
    }
  });

  it('gives the rule set, stage, date performed, valid-until date and operator', () => {
    expect(text).toContain('JJG539-2016');
    expect(text).toContain('后续检定 Subsequent verification');
    expect(text).toContain('2026-03-05 (2026-03-05T09:30:00+08:00)');
    expectInOrder(text, ['有效期至 Valid until', '2027-03-04']);
    expectInOrder(text, ['检定员 Verified by', '李建国']);
  });

  it('prints every number of the result table, row by row', () => {
    expectRows(text, [
      ['置零准确度 Zero-setting', '—', '0.5 g', '±1.25 g', '合格 Pass'],
      ['称量 Weighing (加载 up)', '100 g', '0.5 g', '±2.5 g', '合格 Pass'],
      ['称量 Weighing (加载 up)', '2000 g', '1.0 g', '±2.5 g', '合格 Pass'],
      ['称量 Weighing (加载 up)', '5000 g', '-1.5 g', '±5 g', '合格 Pass'],
      ['称量 Weighing (加载 up)', '15000 g', '3.0 g', '±7.5 g', '合格 Pass'],
      ['称量 Weighing (卸载 down)', '5000 g', '-2.0 g', '±5 g', '合格 Pass'],
      ['重复性 Repeatability', '7500 g', '极差/range 2.5 g', '≤ 7.5 g', '合格 Pass'],
      ['偏载 Eccentricity', '5000 g', '—', '—', '合格 Pass'],
      ['中心/centre', '5000 g', '0.5 g', '±5 g', '合格 Pass'],
      ['q1', '5000 g', '1.5 g', '±5 g', '合格 Pass'],
      ['q2', '5000 g', '-2.5 g', '±5 g', '合格 Pass'],
      ['q3', '5000 g', '3.5 g', '±5 g', '合格 Pass'],
      ['q4', '5000 g', '-0.5 g', '±5 g', '合格 Pass'],
      ['鉴别力 Discrimination', '100 g', '—', '—', '合格 Pass'],
    ]);
  });

  it('lists the reference standards with their certificate numbers and due dates', () => {
    expectInOrder(text, [WEIGHT_SET.id, WEIGHT_SET.certificateNumber, WEIGHT_SET.dueDate]);
  });

  it('carries the software id, the record hash and how to check it', () => {
    expect(text).toContain(`metrogate ${record.software.version}`);
    expect(text).toContain(record.software.checksum);
    expect(text).toContain(record.hash);
    expect(text).toContain('Check with: metrogate records verify');
    expect(text).toContain(`record ${record.id} must show the hash above`);
    expect(text).not.toContain(record.hmac);
  });

  it('embeds the CJK font (subset, with a Unicode map) instead of relying on the viewer', () => {
    const fonts = pdfFonts(pdf);
    expect(fonts.length).toBeGreaterThan(0);
    for (const font of fonts) {
      expect(font).toMatchObject({ embedded: true, subset: true, unicodeMap: true });
      expect(font.name).toMatch(/NotoSansHans/);
    }
  });

  it('numbers its pages', () => {
    const pages = pdfPages(pdf);
    pages.forEach((page, i) => {
      expect(page.replace(/\s+/g, ' ')).toContain(
        `第 ${i + 1} 页 共 ${pages.length} 页 Page ${i + 1} of ${pages.length}`,
      );
    });
  });
});

describe('notice of rejection of a failing dispenser (bilingual)', () => {
  // A stale valid-until date must not reach a notice of rejection.
  const record: StoredVerificationRecord = { ...dispenserFailRecord(), validUntil: '2026-09-05' };
  let text: string;
  beforeAll(async () => {
    text = pdfFlatText(await renderCertificate(record, { language: 'both', institute: INSTITUTE }));
  });

  it('is a notice of rejection with the verdict in both languages and no valid-until date', () => {
    expect(text).toContain('检定结果通知书');
    expect(text).toContain('Notice of Rejection');
    expect(text).toContain('检定结论：不合格');
    expect(text).toContain('Verdict: FAIL');
    expect(text).not.toContain('检定证书');
    expect(text).not.toContain('Verdict: PASS');
    expect(text).not.toContain('Valid until');
    expect(text).not.toContain('2026-09-05');
  });

  it('prints the deliveries, the failing run and the payment test', () => {
    expectRows(text, [
      ['体积示值误差 Delivery', 'max · 20.04 L', '0.12 %', '±0.30 %', '合格 Pass'],
      ['体积示值误差 Delivery', 'max · 20.06 L', '0.18 %', '±0.30 %', '合格 Pass'],
      ['体积示值误差 Delivery', 'max · 20.03 L', '0.05 %', '±0.30 %', '合格 Pass'],
      ['体积示值误差 Delivery', 'min · 19.96 L', '-0.22 %', '±0.30 %', '合格 Pass'],
      ['体积示值误差 Delivery', 'min · 19.93 L', '-0.36 %', '±0.30 %', '不合格 Fail'],
      ['体积示值误差 Delivery', 'min · 19.95 L', '-0.27 %', '±0.30 %', '合格 Pass'],
      ['付费金额 Payment', '20.00 L × 7.85', '0.00', '±0.01', '合格 Pass'],
    ]);
  });

  it('prints the repeatability of each flow rate against its limit', () => {
    expectRows(text, [
      ['重复性（按流量） Repeatability per flow rate'],
      ['max', '3', '0.13 %', '≤ 0.10 %', '不合格 Fail'],
      ['min', '3', '0.14 %', '≤ 0.10 %', '不合格 Fail'],
    ]);
  });

  it('lists both standards with their certificate numbers', () => {
    expectInOrder(text, [STANDARD_CAN.id, STANDARD_CAN.certificateNumber, STANDARD_CAN.dueDate]);
    expectInOrder(text, [THERMOMETER.id, THERMOMETER.certificateNumber, THERMOMETER.dueDate]);
  });

  it('carries the record hash', () => {
    expect(text).toContain(record.hash);
  });
});

describe('taximeter certificate', () => {
  const record = taximeterPassRecord();

  it('prints asymmetric percent limits, time and fare tests (bilingual)', async () => {
    const text = pdfFlatText(await renderCertificate(record, { language: 'both' }));
    expectRows(text, [
      ['距离示值误差 Distance', '1000 m', '0.6 %', '-4 % … +1 %', '合格 Pass'],
      ['计时误差 Time', '3600 s', '1.0 s', '±3.6 s', '合格 Pass'],
      ['计费误差 Fare', '8000 m, 600 s', '0.00', '±0.00', '合格 Pass'],
    ]);
    expectInOrder(text, ['有效期至 Valid until', '2027-03-06']);
    expectInOrder(text, [PULSE_GENERATOR.id, PULSE_GENERATOR.certificateNumber]);
    expect(text).toContain('首次检定 Initial verification');
    expect(text).toContain('检定机构 Verification institute: 未配置检定机构 institute not configured');
    expect(text).toContain(record.hash);
  });

  it('in Chinese only: Chinese labels with full-width colons, no English', async () => {
    const text = pdfFlatText(await renderCertificate(record, { language: 'zh' }));
    expect(text).toContain('检定证书');
    expect(text).toContain('检定结论：合格');
    expect(text).toContain('证书编号：VR-000044');
    expect(text).toContain('核验方法：metrogate records verify');
    expect(text).toContain('距离示值误差');
    expect(text).toContain(record.hash);
    for (const english of [
      'Verification Certificate',
      'Verdict',
      'Pass',
      'Valid until',
      'Page 1',
      'Distance',
    ]) {
      expect(text).not.toContain(english);
    }
  });

  it('in English only: no Chinese label (the owner’s own name stays as registered)', async () => {
    const text = pdfFlatText(await renderCertificate(record, { language: 'en' }));
    expect(text).toContain('Verification Certificate');
    expect(text).toContain('Verdict: PASS');
    expect(text).toContain('Check with: metrogate records verify');
    expect(text).toContain('-4 % … +1 %');
    expect(text).toContain('江油市顺达出租汽车有限公司');
    for (const chinese of ['检定证书', '检定结论', '合格', '有效期至', '距离示值误差', '页']) {
      expect(text).not.toContain(chinese);
    }
  });
});

describe('failing tests with a reason, and long tables', () => {
  it('explains a failure that is not an error beyond the limit', async () => {
    const base = scalePassRecord();
    const tests: TestResult[] = [
      { test: 'weighing', load: '50', error: '0.5', mpe: '2.5', pass: false, reason: 'below-min' },
      { test: 'discrimination', load: '100', pass: false, reason: 'no-change' },
      { test: 'weighing', load: '200', error: '0.5', mpe: '2.5', pass: false, reason: 'seal-broken' },
    ];
    const record: StoredVerificationRecord = {
      ...base,
      result: { ...base.result, verdict: 'fail', tests },
    };
    const text = pdfFlatText(await renderCertificate(record, { language: 'both' }));
    expectRows(text, [
      ['50 g', '0.5 g', '±2.5 g', '不合格 Fail', '低于最小秤量 below Min'],
      ['鉴别力 Discrimination', '100 g', '不合格 Fail', '示值无变化 indication did not change'],
      ['200 g', '不合格 Fail', 'seal-broken'],
    ]);
    expect(text).toContain('检定结果通知书');
  });

  it('breaks a long result table over pages and repeats its header', async () => {
    const base = scalePassRecord();
    const tests: TestResult[] = Array.from({ length: 70 }, (_, i) => ({
      test: 'weighing',
      load: String((i + 1) * 200),
      error: `0.${i % 10}`,
      mpe: '7.5',
      pass: true,
    }));
    const pdf = await renderCertificate({ ...base, result: { ...base.result, tests } }, { language: 'both' });
    const pages = pdfPages(pdf).map((page) => page.replace(/\s+/g, ' '));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pdfInfo(pdf).Pages).toBe(String(pages.length));
    const pagesWithRows = pages.filter((page) => /\d+ g 0\.\d g ±7\.5 g/.test(page));
    expect(pagesWithRows.length).toBeGreaterThanOrEqual(2);
    for (const page of pagesWithRows) {
      expectInOrder(page, ['检定项目', '载荷/流量/距离', '误差', 'Test', 'Load / flow /', 'Error']);
    }
    const text = pages.join(' ');
    expectInOrder(
      text,
      tests.map((t) => `${String(t.load)} g`),
    );
    expect(text).toContain(base.hash);
  });
});

describe('determinism and metadata', () => {
  it('renders the same bytes for the same record, dated by performedAt', async () => {
    const first = await renderCertificate(scalePassRecord(), { language: 'both', institute: INSTITUTE });
    const second = await renderCertificate(structuredClone(scalePassRecord()), {
      language: 'both',
      institute: { ...INSTITUTE },
    });
    expect(first.equals(second)).toBe(true);
    const info = pdfInfo(first);
    expect(info.CreationDate).toBe('2026-03-05T01:30:00Z');
    expect(info.ModDate).toBe('2026-03-05T01:30:00Z');
    expect(info.Producer).toBe('metrogate 0.1.0');
    expect(info.Title).toBe('检定证书 Verification Certificate VR-000042');
  });

  it('changes when the record changes', async () => {
    const record = scalePassRecord();
    const first = await renderCertificate(record, { language: 'zh' });
    const altered = await renderCertificate(
      { ...record, hash: record.hash.replace(/^./, '0') },
      { language: 'zh' },
    );
    expect(first.equals(altered)).toBe(false);
  });

  it('rejects a record whose performedAt is not a time', async () => {
    await expect(renderCertificate({ ...scalePassRecord(), performedAt: 'yesterday' })).rejects.toMatchObject(
      {
        code: 'MG_ERR_INPUT_INVALID',
        details: { path: 'performedAt' },
      },
    );
  });
});
