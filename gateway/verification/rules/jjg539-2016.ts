/**
 * JJG 539-2016 数字指示秤 (digital indicating scales), classes III and IIII only, e = d
 * (metrology-rules.md §1). Data only. The 2016 text itself was not read: the tables come from the
 * 1997 edition as quoted by secondary sources, and every stage rule of the 2016 text is
 * UNCONFIRMED and therefore a parameter.
 */
import type { ScaleRuleSet, Sourced } from '../scale/rule-set.js';

const CLASS_TABLE: Sourced = {
  source:
    'JJG 539-1997 class III/IIII rows quoted at gfjl.org/forum.php?goto=lastpost&mod=redirect&tid=6435, identical ' +
    'to R 76-1 Table 3; the 2016 text was not read',
  status: 'SECONDARY',
};

const MPE_TABLE: Sourced = {
  source:
    'gfjl.org tid=6435 (首次检定 随后检定 ±0.5e / 使用中检验 ±1.0e), the R 76-1 Table 6 bands; a boundary load ' +
    'belongs to the lower band',
  status: 'SECONDARY',
};

const R76_GITHUB_DOC = 'github aniketgond098/OIML-R-76-NAWI docs/OIML-R76-TRACEABILITY.md';

export const jjg539_2016: ScaleRuleSet = {
  id: 'JJG539-2016',
  kind: 'scale',
  title: 'JJG 539 数字指示秤 (digital indicating scales)',
  edition: '2016, issued 2016-11-30, in force 2017-05-30; replaces JJG 539-1997',
  parameters: {
    mpeMultiplierInitial: {
      value: '1',
      description: '首次检定: MPE = table × this',
      source: 'JJG 539-1997 (docx.baby/p/21086656509011.html, SECONDARY); the 2016 text was not read',
      status: 'UNCONFIRMED',
    },
    mpeMultiplierSubsequent: {
      value: '1',
      description: '随后检定: MPE = table × this',
      source:
        'JJG 539-1997 preface (docx.baby/p/21086656509011.html, SECONDARY): ×1 except a transitional clause; ' +
        'the 2016 text was not read',
      status: 'UNCONFIRMED',
    },
    mpeMultiplierInService: {
      value: '2',
      description: '使用中检验: MPE = table × this',
      source: 'gfjl.org tid=6435 (使用中检验 ±1.0e, SECONDARY); the 2016 text was not read',
      status: 'UNCONFIRMED',
    },
    zeroSettingLimitInE: {
      value: '0.25',
      description: '置零准确度: |E0| ≤ this × e',
      source: `R 76-1 4.5.2 via ${R76_GITHUB_DOC} §7.1; the JJG 539-2016 clause was not read`,
      status: 'UNCONFIRMED',
    },
    tareLimitInE: {
      value: '0.25',
      description: '除皮准确度: |E_T| ≤ this × e',
      source: `R 76-1 4.6.3 via ${R76_GITHUB_DOC} §8; the JJG 539-2016 clause was not read`,
      status: 'UNCONFIRMED',
    },
    repeatabilityLimitFactor: {
      value: '1',
      description: '重复性: range of the results of one load ≤ this × |MPE(load)|',
      source: 'e-scale.cn/jishuzhichi/jishudetail.aspx?id=289 (Chinese rule practice)',
      status: 'SECONDARY',
    },
    discriminationExtraLoadInD: {
      value: '1.4',
      description: '鉴别力: extra load placed on the receptor, in d',
      source: 'e-scale.cn id=289; Canada STP-14 (strategis.ic.gc.ca/eic/site/mc-mc.nsf/eng/lm04324.html)',
      status: 'SECONDARY',
    },
    discriminationMinChangeInD: {
      value: '1',
      description: '鉴别力: the extra load must raise the indication by at least this × d',
      source: 'e-scale.cn id=289 ("the indication must become I + d")',
      status: 'SECONDARY',
    },
    testWeightMpeDivisor: {
      value: '3',
      description: 'error of a test weight ≤ MPE(load) / this',
      source: 'gfjl.org/archiver/tid-16395.html and chaxiaohao.com (citing JJG 539-2016)',
      status: 'SECONDARY',
    },
    roundingWeightInE: {
      value: '0.1',
      description: '闪变点法: small weights added one at a time, in e',
      source: 'JJG 539-1997 5.2.4.2 (klmyctpj.com/News-730582.html)',
      status: 'SECONDARY',
    },
    zeroTrackingEscapeLoadInE: {
      value: '10',
      description: 'near-zero load (in e) placed on the receptor to escape zero tracking',
      source: 'klmyctpj.com/News-730582.html; rkbjw.com/shxyjd123-Down-49168',
      status: 'SECONDARY',
    },
    minWeighingPoints: {
      value: '5',
      description: 'weighing test: at least this many load points, up and down',
      source: 'm.b2b168.org/wvs134067891.html (至少选定5个称量)',
      status: 'SECONDARY',
    },
    eccentricityLoadDivisor: {
      value: '3',
      description: '偏载: load = Max / this on a receptor with at most 4 supports',
      source: 'R 76 practice (NI regs 2006 Sch. 2 para 18; NZ TS-007); the JJG 539-2016 clause was not read',
      status: 'UNCONFIRMED',
    },
    repeatabilityReadings: {
      value: '3',
      description: 'weighings per repeatability series',
      source: 'e-scale.cn id=289 (at least 3 weighings, at ~50 % Max and near Max)',
      status: 'SECONDARY',
    },
  },
  classes: {
    III: {
      name: '中准确度级 (medium)',
      ranges: [
        { eMinGrams: '0.1', eMaxGrams: '2', nMin: '100', nMax: '10000', minInE: '20', ...CLASS_TABLE },
        { eMinGrams: '5', eMaxGrams: null, nMin: '500', nMax: '10000', minInE: '20', ...CLASS_TABLE },
      ],
      mpeBands: [
        { upToE: '500', mpeInE: '0.5' },
        { upToE: '2000', mpeInE: '1' },
        { upToE: '10000', mpeInE: '1.5' },
      ],
      mpeBandsSource: MPE_TABLE,
    },
    IIII: {
      name: '普通准确度级 (ordinary)',
      ranges: [{ eMinGrams: '5', eMaxGrams: null, nMin: '100', nMax: '1000', minInE: '10', ...CLASS_TABLE }],
      mpeBands: [
        { upToE: '50', mpeInE: '0.5' },
        { upToE: '200', mpeInE: '1' },
        { upToE: '1000', mpeInE: '1.5' },
      ],
      mpeBandsSource: MPE_TABLE,
    },
  },
  requireEEqualsD: {
    value: true,
    source:
      'JJG 539-1997 scope (docx.baby/p/21086656509011.html); ntsif.com/news-862939 (检定分度值与实际分度值相等，即e = d)',
    status: 'SECONDARY',
  },
};
