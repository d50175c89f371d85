/**
 * The words on a certificate in Chinese and English. Chinese terms follow the wording of JJF 1059
 * style verification certificates (检定证书 / 检定结果通知书) and the JJG regulations' test names.
 */
import type { Stage } from '../verification/types.js';

export const CERTIFICATE_LANGUAGES = ['zh', 'en', 'both'] as const;
export type CertificateLanguage = (typeof CERTIFICATE_LANGUAGES)[number];

export interface Bilingual {
  zh: string;
  en: string;
}

/**
 * One text in the chosen language. Bilingual text puts the Chinese first, as on certificates issued
 * in China; `joiner` is a space for running text and a line break for table headers.
 */
export function pick(language: CertificateLanguage, text: Bilingual, joiner = ' '): string {
  if (language === 'zh') return text.zh;
  if (language === 'en') return text.en;
  return text.zh === text.en ? text.zh : `${text.zh}${joiner}${text.en}`;
}

export const TITLES = {
  pass: { zh: '检定证书', en: 'Verification Certificate' },
  fail: { zh: '检定结果通知书', en: 'Notice of Rejection' },
} satisfies Record<'pass' | 'fail', Bilingual>;

export const FIELD_LABELS = {
  certificateNo: { zh: '证书编号', en: 'Certificate No.' },
  institute: { zh: '检定机构', en: 'Verification institute' },
  instituteMissing: { zh: '未配置检定机构', en: 'institute not configured' },
  accreditation: { zh: '授权证书号', en: 'Accreditation' },
  owner: { zh: '使用单位', en: 'Owner' },
  instrument: { zh: '计量器具名称', en: 'Instrument' },
  instrumentId: { zh: '器具编号', en: 'Instrument ID' },
  manufacturer: { zh: '制造单位', en: 'Manufacturer' },
  model: { zh: '型号规格', en: 'Model' },
  serialNumber: { zh: '出厂编号', en: 'Serial No.' },
  site: { zh: '安装地点', en: 'Site' },
  ruleSet: { zh: '检定依据', en: 'Verified against' },
  stage: { zh: '检定类别', en: 'Type of verification' },
  performed: { zh: '检定日期', en: 'Date of verification' },
  validUntil: { zh: '有效期至', en: 'Valid until' },
  operator: { zh: '检定员', en: 'Verified by' },
  checkedBy: { zh: '核验员', en: 'Checked by' },
  approvedBy: { zh: '批准人', en: 'Approved by' },
  results: { zh: '检定结果', en: 'Results' },
  groups: { zh: '重复性（按流量）', en: 'Repeatability per flow rate' },
  overrides: { zh: '按配置调整的规程参数', en: 'Rule parameters overridden by configuration' },
  standards: { zh: '使用的计量标准器（溯源）', en: 'Reference standards used (traceability)' },
  software: { zh: '软件标识', en: 'Software' },
  integrity: { zh: '记录完整性', en: 'Record integrity' },
  recordHash: { zh: '记录哈希 (SHA-256)', en: 'Record hash (SHA-256)' },
  checkWith: { zh: '核验方法', en: 'Check with' },
  /** `{id}` stands for the record id. */
  checkHint: {
    zh: '在出具本证书的网关上运行此命令：记录 {id} 的哈希值应与上面一致，且哈希链完整。',
    en: 'Run it on the gateway that issued this document: record {id} must show the hash above in an unbroken chain.',
  },
  page: { zh: '页', en: 'Page' },
  notSet: { zh: '—', en: '—' },
} satisfies Record<string, Bilingual>;

export const TABLE_HEADERS = {
  test: { zh: '检定项目', en: 'Test' },
  subject: { zh: '载荷/流量/距离', en: 'Load / flow / distance' },
  error: { zh: '误差', en: 'Error' },
  limit: { zh: '最大允许误差/限', en: 'MPE / limits' },
  result: { zh: '结果', en: 'Result' },
  reason: { zh: '原因', en: 'Reason' },
  flow: { zh: '流量', en: 'Flow' },
  runs: { zh: '次数', en: 'Runs' },
  range: { zh: '极差', en: 'Range' },
  groupLimit: { zh: '限值', en: 'Limit' },
  parameter: { zh: '参数', en: 'Parameter' },
  value: { zh: '值', en: 'Value' },
  standardId: { zh: '编号', en: 'ID' },
  description: { zh: '名称', en: 'Description' },
  standardCertificate: { zh: '检定/校准证书号', en: 'Certificate No.' },
  due: { zh: '有效期至', en: 'Due' },
} satisfies Record<string, Bilingual>;

export const VERDICT_SENTENCES = {
  pass: { zh: '检定结论：合格', en: 'Verdict: PASS' },
  fail: { zh: '检定结论：不合格', en: 'Verdict: FAIL' },
} satisfies Record<'pass' | 'fail', Bilingual>;

export const VERDICT_NOTES = {
  pass: {
    zh: '该计量器具经检定符合上述检定依据的要求，准予使用至有效期。',
    en: 'The instrument conforms to the rule set above and may be used until the validity date.',
  },
  fail: {
    zh: '该计量器具经检定不符合上述检定依据的要求（不合格项目见检定结果），修理并重新检定合格前不得使用。',
    en: 'The instrument does not conform to the rule set above (see the failing tests); it may not be used until repaired and verified again.',
  },
} satisfies Record<'pass' | 'fail', Bilingual>;

export const PASS_FAIL = {
  pass: { zh: '合格', en: 'Pass' },
  fail: { zh: '不合格', en: 'Fail' },
} satisfies Record<'pass' | 'fail', Bilingual>;

export const STAGE_LABELS: Record<Stage, Bilingual> = {
  initial: { zh: '首次检定', en: 'Initial verification' },
  subsequent: { zh: '后续检定', en: 'Subsequent verification' },
  'in-service': { zh: '使用中检查', en: 'In-service inspection' },
};

export const KIND_LABELS: Record<'scale' | 'dispenser' | 'taximeter', Bilingual> = {
  scale: { zh: '衡器', en: 'Weighing instrument' },
  dispenser: { zh: '燃油加油机', en: 'Fuel dispenser' },
  taximeter: { zh: '出租汽车计价器', en: 'Taximeter' },
};

export const TEST_LABELS: Record<string, Bilingual> = {
  weighing: { zh: '称量', en: 'Weighing' },
  repeatability: { zh: '重复性', en: 'Repeatability' },
  eccentricity: { zh: '偏载', en: 'Eccentricity' },
  zero: { zh: '置零准确度', en: 'Zero-setting' },
  tare: { zh: '除皮准确度', en: 'Tare' },
  discrimination: { zh: '鉴别力', en: 'Discrimination' },
  delivery: { zh: '体积示值误差', en: 'Delivery' },
  payment: { zh: '付费金额', en: 'Payment' },
  distance: { zh: '距离示值误差', en: 'Distance' },
  time: { zh: '计时误差', en: 'Time' },
  fare: { zh: '计费误差', en: 'Fare' },
};

export const DIRECTION_LABELS: Record<string, Bilingual> = {
  up: { zh: '加载', en: 'up' },
  down: { zh: '卸载', en: 'down' },
};

export const POSITION_LABELS: Record<string, Bilingual> = {
  center: { zh: '中心', en: 'centre' },
  centre: { zh: '中心', en: 'centre' },
};

export const REASON_LABELS: Record<string, Bilingual> = {
  'below-min': { zh: '低于最小秤量', en: 'below Min' },
  'no-change': { zh: '示值无变化', en: 'indication did not change' },
  'missing-zero': { zh: '缺少置零测试', en: 'no zero test' },
  'standard-out-of-date': { zh: '标准器超过有效期', en: 'standard past its due date' },
};

export const WORDS = {
  pulses: { zh: '脉冲', en: 'pulses' },
  range: { zh: '极差', en: 'range' },
} satisfies Record<string, Bilingual>;
