/**
 * Stored verification records as a bench would leave them, one per instrument kind, for the
 * certificate tests and for looking at the layout. The numbers follow the rule sets:
 * a class III price-computing scale with e = 5 g under JJG 539-2016, a fuel dispenser under
 * JJG 443-2023 (±0.30 % MPE, repeatability 0.10 %), a taximeter under JJG 517-2016 (+1 % / −4 %).
 */
import { createHash } from 'node:crypto';
import type { RecordStandard, StoredVerificationRecord } from '../store/record-types.js';
import type { EvaluationResult } from '../verification/types.js';

const SOFTWARE = {
  name: 'metrogate',
  version: '0.1.0',
  checksum: 'c0ffee00d15ea5e5b16b00b5feedface0123456789abcdef0123456789abcdef',
} as const;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function stored(
  sequence: number,
  parts: Omit<StoredVerificationRecord, 'sequence' | 'id' | 'software' | 'previousHash' | 'hash' | 'hmac'>,
): StoredVerificationRecord {
  const id = `VR-${String(sequence).padStart(6, '0')}`;
  const body = JSON.stringify({ id, sequence, ...parts });
  return {
    ...parts,
    sequence,
    id,
    software: { ...SOFTWARE },
    previousHash: sha256(`previous ${sequence}`),
    hash: sha256(body),
    hmac: sha256(`hmac ${body}`),
  };
}

export const WEIGHT_SET: RecordStandard = {
  id: 'STD-M1-2024-07',
  kind: 'weight-set',
  description: 'M1 等级砝码组 1 mg – 10 kg / M1 weight set',
  certificateNumber: 'ZJL2025-04417',
  dueDate: '2026-08-31',
};

export const STANDARD_CAN: RecordStandard = {
  id: 'STD-CAN-20L-03',
  kind: 'can',
  description: '二等金属量器 20 L / standard can 20 L',
  certificateNumber: 'RL2025-1187',
  dueDate: '2026-05-14',
};

export const THERMOMETER: RecordStandard = {
  id: 'STD-TH-09',
  kind: 'thermometer',
  description: '数字温度计 (−30…+70) °C',
  certificateNumber: 'WD2025-0356',
  dueDate: '2026-11-30',
};

export const PULSE_GENERATOR: RecordStandard = {
  id: 'STD-PG-02',
  kind: 'pulse-generator',
  description: '出租汽车计价器检定装置 / taximeter test bench',
  certificateNumber: 'CZJ2025-0072',
  dueDate: '2026-09-30',
};

const scaleResult: EvaluationResult = {
  verdict: 'pass',
  ruleSet: 'JJG539-2016',
  stage: 'subsequent',
  tests: [
    { test: 'zero', error: '0.5', mpe: '1.25', pass: true },
    { test: 'weighing', load: '100', direction: 'up', error: '0.5', mpe: '2.5', pass: true },
    { test: 'weighing', load: '2000', direction: 'up', error: '1.0', mpe: '2.5', pass: true },
    { test: 'weighing', load: '5000', direction: 'up', error: '-1.5', mpe: '5', pass: true },
    { test: 'weighing', load: '15000', direction: 'up', error: '3.0', mpe: '7.5', pass: true },
    { test: 'weighing', load: '5000', direction: 'down', error: '-2.0', mpe: '5', pass: true },
    { test: 'repeatability', load: '7500', range: '2.5', limit: '7.5', pass: true },
    {
      test: 'eccentricity',
      load: '5000',
      pass: true,
      positions: [
        { position: 'center', error: '0.5', mpe: '5', pass: true },
        { position: 'q1', error: '1.5', mpe: '5', pass: true },
        { position: 'q2', error: '-2.5', mpe: '5', pass: true },
        { position: 'q3', error: '3.5', mpe: '5', pass: true },
        { position: 'q4', error: '-0.5', mpe: '5', pass: true },
      ],
    },
    { test: 'discrimination', load: '100', pass: true },
  ],
};

export function scalePassRecord(): StoredVerificationRecord {
  return stored(42, {
    instrument: {
      id: 'JY-SC-00317',
      kind: 'scale',
      category: '电子计价秤',
      manufacturer: '上海大华电子秤厂',
      model: 'TM-A 15kg',
      serialNumber: 'DH2023110457',
      owner: '江油市太白农贸市场 王堃',
      site: '太白农贸市场 A区 12号摊位',
      region: '江油市',
    },
    bench: {
      ruleSet: 'JJG539-2016',
      stage: 'subsequent',
      instrument: { kind: 'scale', accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' },
      tests: [],
    },
    result: scaleResult,
    validUntil: '2027-03-04',
    operator: '李建国',
    standards: [WEIGHT_SET],
    performedAt: '2026-03-05T09:30:00+08:00',
    recordedAt: '2026-03-05T01:42:17.204Z',
  });
}

const dispenserResult: EvaluationResult = {
  verdict: 'fail',
  ruleSet: 'JJG443-2023',
  stage: 'subsequent',
  tests: [
    {
      test: 'delivery',
      flow: 'max',
      indicatedVolume: '20.04',
      errorPercent: '0.12',
      mpePercent: '0.30',
      pass: true,
    },
    {
      test: 'delivery',
      flow: 'max',
      indicatedVolume: '20.06',
      errorPercent: '0.18',
      mpePercent: '0.30',
      pass: true,
    },
    {
      test: 'delivery',
      flow: 'max',
      indicatedVolume: '20.03',
      errorPercent: '0.05',
      mpePercent: '0.30',
      pass: true,
    },
    {
      test: 'delivery',
      flow: 'min',
      indicatedVolume: '19.96',
      errorPercent: '-0.22',
      mpePercent: '0.30',
      pass: true,
    },
    {
      test: 'delivery',
      flow: 'min',
      indicatedVolume: '19.93',
      errorPercent: '-0.36',
      mpePercent: '0.30',
      pass: false,
    },
    {
      test: 'delivery',
      flow: 'min',
      indicatedVolume: '19.95',
      errorPercent: '-0.27',
      mpePercent: '0.30',
      pass: true,
    },
    {
      test: 'payment',
      unitPrice: '7.85',
      indicatedVolume: '20.00',
      indicatedAmount: '157.00',
      error: '0.00',
      mpe: '0.01',
      pass: true,
    },
  ],
  groups: [
    { flow: 'max', runs: 3, rangePercent: '0.13', limitPercent: '0.10', pass: false },
    { flow: 'min', runs: 3, rangePercent: '0.14', limitPercent: '0.10', pass: false },
  ],
};

export function dispenserFailRecord(): StoredVerificationRecord {
  return stored(43, {
    instrument: {
      id: 'JY-FD-0088-2',
      kind: 'dispenser',
      category: '燃油加油机',
      manufacturer: '正星科技股份有限公司',
      model: 'CS46L2230',
      serialNumber: 'ZX22-118604',
      owner: '中国石化江油涪江路加油站',
      site: '涪江路 118 号 2 号枪',
      region: '江油市',
    },
    bench: {
      ruleSet: 'JJG443-2023',
      stage: 'subsequent',
      instrument: { kind: 'dispenser', fuel: 'gasoline', canMaterial: 'stainless-steel' },
      tests: [],
    },
    result: dispenserResult,
    operator: '张敏',
    standards: [STANDARD_CAN, THERMOMETER],
    performedAt: '2026-03-06T14:05:12+08:00',
    recordedAt: '2026-03-06T06:21:40.918Z',
  });
}

const taximeterResult: EvaluationResult = {
  verdict: 'pass',
  ruleSet: 'JJG517-2016',
  stage: 'initial',
  tests: [
    {
      test: 'distance',
      indicatedDistance: '1006',
      trueDistance: '1000',
      errorPercent: '0.6',
      lowerPercent: '-4',
      upperPercent: '1',
      pass: true,
    },
    { test: 'time', indicated: '3601.0', reference: '3600', error: '1.0', mpe: '3.6', pass: true },
    {
      test: 'fare',
      indicatedFare: '23.00',
      expectedFare: '23.00',
      distance: '8000',
      duration: '600',
      error: '0.00',
      mpe: '0.00',
      pass: true,
    },
  ],
};

export function taximeterPassRecord(): StoredVerificationRecord {
  return stored(44, {
    instrument: {
      id: 'JY-TX-川B·T2861',
      kind: 'taximeter',
      category: '出租汽车计价器',
      manufacturer: '深圳市一本电子有限公司',
      model: 'YB-2016S',
      serialNumber: 'YB16S-0931277',
      owner: '江油市顺达出租汽车有限公司',
      site: '川B·T2861',
      region: '江油市',
    },
    bench: {
      ruleSet: 'JJG517-2016',
      stage: 'initial',
      instrument: { kind: 'taximeter', k: '1000' },
      tests: [],
    },
    result: taximeterResult,
    validUntil: '2027-03-06',
    operator: '陈晓燕',
    standards: [PULSE_GENERATOR],
    performedAt: '2026-03-07T01:15:00Z',
    recordedAt: '2026-03-07T01:33:05.377Z',
  });
}
