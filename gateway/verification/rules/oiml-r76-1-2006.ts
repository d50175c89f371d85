/**
 * OIML R 76-1:2006, non-automatic weighing instruments (metrology-rules.md §1). Data only: the
 * scale evaluator (gateway/verification/scale/) reads it. Statuses are the reference's own.
 */
import type { ScaleRuleSet, Sourced } from '../scale/rule-set.js';

const TABLE_3: Sourced = {
  source:
    'R 76-1:2006 Table 3 (scribd.com/document/314749659/Tablas-OIML-Alumnos); identical in 90/384/EEC Annex I ' +
    'Table 1 (legislation.gov.uk/uksi/1995/1907/schedule/2/crossheading/metrological-requirements/made)',
  status: 'CONFIRMED',
};

const TABLE_6: Sourced = {
  source:
    'R 76-1:2006 3.5.1 Table 6 (scribd.com/document/314749659/Tablas-OIML-Alumnos); 90/384/EEC Annex I §4.1 ' +
    '(legislation.gov.uk/uksi/1995/1907/schedule/2/paragraph/4/made). A boundary load belongs to the lower ' +
    'band (R 76 wording "0 ≤ m ≤ 500 e")',
  status: 'CONFIRMED',
};

const TRACEABILITY_DOC = 'github aniketgond098/OIML-R-76-NAWI docs/OIML-R76-TRACEABILITY.md';

export const oimlR76_2006: ScaleRuleSet = {
  id: 'OIML-R76-1:2006',
  kind: 'scale',
  title: 'OIML R 76-1 Non-automatic weighing instruments',
  edition: '2006 (E); replaces the 1992 edition',
  parameters: {
    mpeMultiplierInitial: {
      value: '1',
      description: 'MPE at initial verification = Table 6 × this',
      source: 'R 76-1:2006 3.5.1 Table 6 (the table is the initial-verification MPE)',
      status: 'CONFIRMED',
    },
    mpeMultiplierSubsequent: {
      value: '1',
      description: 'MPE at subsequent verification = Table 6 × this (a national choice, usually as initial)',
      source: 'metrology-rules.md §1(e): R 76 leaves subsequent verification to national rules',
      status: 'UNCONFIRMED',
    },
    mpeMultiplierInService: {
      value: '2',
      description: 'MPE in service = Table 6 × this',
      source:
        'R 76-1 3.5.2; 90/384/EEC Annex I §4.2 (legislation.gov.uk/uksi/1995/1907/schedule/2/paragraph/4/made); ' +
        'Canada SI/98-81 (laws-lois.justice.gc.ca/eng/regulations/SI-98-81/page-2.html)',
      status: 'CONFIRMED',
    },
    zeroSettingLimitInE: {
      value: '0.25',
      description: 'zero-setting accuracy: |E0| ≤ this × e',
      source: `R 76-1 4.5.2 as transcribed in ${TRACEABILITY_DOC} §7.1`,
      status: 'SECONDARY',
    },
    tareLimitInE: {
      value: '0.25',
      description: 'tare-device accuracy: |E_T| ≤ this × e',
      source: `R 76-1 4.6.3 as transcribed in ${TRACEABILITY_DOC} §8`,
      status: 'SECONDARY',
    },
    repeatabilityLimitFactor: {
      value: '1',
      description: 'repeatability: range of the results of one load ≤ this × |MPE(load)|',
      source: `R 76-1 3.6.1 as transcribed in ${TRACEABILITY_DOC} §5`,
      status: 'SECONDARY',
    },
    discriminationExtraLoadInD: {
      value: '1.4',
      description: 'discrimination: extra load placed on the receptor, in d',
      source:
        'Canada STP-14 (strategis.ic.gc.ca/eic/site/mc-mc.nsf/eng/lm04324.html), confirmed as practice; the R 76 ' +
        'clause number (3.8) is unconfirmed',
      status: 'CONFIRMED',
    },
    discriminationMinChangeInD: {
      value: '1',
      description: 'discrimination: the extra load must raise the indication by at least this × d',
      source: 'Canada STP-14 (strategis.ic.gc.ca/eic/site/mc-mc.nsf/eng/lm04324.html): "must become I + d"',
      status: 'CONFIRMED',
    },
    testWeightMpeDivisor: {
      value: '3',
      description: 'error of a test weight ≤ MPE(load) / this',
      source: 'gfjl.org/archiver/tid-16395.html and chaxiaohao.com (citing JJG 539-2016)',
      status: 'SECONDARY',
    },
    roundingWeightInE: {
      value: '0.1',
      description: 'rounding-error elimination: small weights added one at a time, in e',
      source: `R 76-1 A.4.4.3 as transcribed in ${TRACEABILITY_DOC} §4`,
      status: 'SECONDARY',
    },
    zeroTrackingEscapeLoadInE: {
      value: '10',
      description: 'near-zero load (in e) placed on the receptor when zero tracking is active',
      source: `${TRACEABILITY_DOC} §4 (E0 at L0 = 0 or 10 e); klmyctpj.com/News-730582.html`,
      status: 'SECONDARY',
    },
    minWeighingPoints: {
      value: '5',
      description: 'weighing test: at least this many load points, up and down',
      source:
        'm.b2b168.org/wvs134067891.html (至少选定5个称量); NI Weighing Equipment Regs 2006 Sch. 2 para 8 ' +
        '(increasing and decreasing loads, CONFIRMED); R 76-1 A.4.4.1 unconfirmed',
      status: 'SECONDARY',
    },
    eccentricityLoadDivisor: {
      value: '3',
      description: 'eccentricity load = Max / this on a receptor with at most 4 supports',
      source:
        'legislation.gov.uk/nisr/2006/5/schedule/2/paragraph/18/made; NZ TS-007 ' +
        '(trademeasurement.tradingstandards.govt.nz ts-007-eccentricity-test-on-weighing-instruments)',
      status: 'CONFIRMED',
    },
    repeatabilityReadings: {
      value: '3',
      description: 'weighings per repeatability series',
      source:
        'metrology-rules.md §1(b)4: R 76-1 A.4.10 (type evaluation) uses 10 for Max < 1000 kg, else at least 3; ' +
        'verification practice 3 (e-scale.cn id=289)',
      status: 'UNCONFIRMED',
    },
  },
  classes: {
    I: {
      name: 'special',
      ranges: [{ eMinGrams: '0.001', eMaxGrams: null, nMin: '50000', nMax: null, minInE: '100', ...TABLE_3 }],
      mpeBands: [
        { upToE: '50000', mpeInE: '0.5' },
        { upToE: '200000', mpeInE: '1' },
        { upToE: null, mpeInE: '1.5' },
      ],
      mpeBandsSource: TABLE_6,
    },
    II: {
      name: 'high',
      ranges: [
        { eMinGrams: '0.001', eMaxGrams: '0.05', nMin: '100', nMax: '100000', minInE: '20', ...TABLE_3 },
        { eMinGrams: '0.1', eMaxGrams: null, nMin: '5000', nMax: '100000', minInE: '50', ...TABLE_3 },
      ],
      mpeBands: [
        { upToE: '5000', mpeInE: '0.5' },
        { upToE: '20000', mpeInE: '1' },
        { upToE: '100000', mpeInE: '1.5' },
      ],
      mpeBandsSource: TABLE_6,
    },
    III: {
      name: 'medium',
      ranges: [
        { eMinGrams: '0.1', eMaxGrams: '2', nMin: '100', nMax: '10000', minInE: '20', ...TABLE_3 },
        { eMinGrams: '5', eMaxGrams: null, nMin: '500', nMax: '10000', minInE: '20', ...TABLE_3 },
      ],
      mpeBands: [
        { upToE: '500', mpeInE: '0.5' },
        { upToE: '2000', mpeInE: '1' },
        { upToE: '10000', mpeInE: '1.5' },
      ],
      mpeBandsSource: TABLE_6,
    },
    IIII: {
      name: 'ordinary',
      ranges: [{ eMinGrams: '5', eMaxGrams: null, nMin: '100', nMax: '1000', minInE: '10', ...TABLE_3 }],
      mpeBands: [
        { upToE: '50', mpeInE: '0.5' },
        { upToE: '200', mpeInE: '1' },
        { upToE: '1000', mpeInE: '1.5' },
      ],
      mpeBandsSource: TABLE_6,
    },
  },
  requireEEqualsD: {
    value: false,
    source:
      '90/384/EEC Annex I (legislation.gov.uk/uksi/1995/1907/schedule/2/crossheading/metrological-requirements/made): ' +
      'd = e unless there is an auxiliary indicating device',
    status: 'CONFIRMED',
  },
};
