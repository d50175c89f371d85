/**
 * JJG 443-2006 燃油加油机 (fuel dispensers), metrology-rules.md §2 Table 2.3 and §2(c). Superseded
 * by JJG 443-2015; kept because records verified under it must still be re-evaluable.
 */
import type { CanMethod, Jjg443RuleSet } from '../dispenser/rule-set.js';

const XLJD = 'xljd888.com/wap/news/167.html (JJG 443-2006 clause 7.6)';
const TEXT_2006 =
  '315online.com/oil/guide/408277.html and an untitled page carrying the rule text ("5.1.1 … ±0.3%，其重复性应不超过0.15%")';

/**
 * The standard-can temperature correction. Its source quotes the 2006 edition; the later editions
 * and the R 117 bench reuse it because no other coefficients were found (metrology-rules.md §2(c)).
 */
export const jjg443CanMethod: CanMethod = {
  fuelExpansion: {
    gasoline: {
      value: '0.0012',
      description: 'β_Y of gasoline (12 × 10⁻⁴ /°C)',
      source: XLJD,
      status: 'CONFIRMED',
    },
    kerosene: {
      value: '0.0009',
      description: 'β_Y of kerosene (9 × 10⁻⁴ /°C)',
      source: XLJD,
      status: 'CONFIRMED',
    },
    diesel: {
      value: '0.0009',
      description: 'β_Y of light diesel (9 × 10⁻⁴ /°C)',
      source: XLJD,
      status: 'CONFIRMED',
    },
  },
  canExpansion: {
    'stainless-steel': {
      value: '0.000050',
      description: 'β_B of a stainless-steel can (50 × 10⁻⁶ /°C)',
      source: `${XLJD}; repeated at positivelypublishingkids.com/qhjslq/qhjslq99.html`,
      status: 'CONFIRMED',
    },
    'carbon-steel': {
      value: '0.000033',
      description: 'β_B of a carbon-steel can (33 × 10⁻⁶ /°C)',
      source: `${XLJD}; repeated at positivelypublishingkids.com/qhjslq/qhjslq99.html`,
      status: 'CONFIRMED',
    },
  },
  referenceTemperature: {
    value: '20',
    description: 'temperature (°C) at which the can reading V_B is a true volume (the t_B − 20 term)',
    source: `${XLJD}, formula quoted with symbols`,
    status: 'SECONDARY',
  },
  maxTemperatureDifference: {
    value: '4',
    description:
      'largest |t_J − t_B| (°C) between fuel at the dispenser and fuel in the can; beyond it there is no test',
    source: 'igat.cn/wenku/rsrcv/xJmExAxNJM (JJG 443-1998 test conditions)',
    status: 'SECONDARY',
  },
};

export const jjg443_2006: Jjg443RuleSet = {
  id: 'JJG443-2006',
  kind: 'dispenser',
  family: 'jjg443',
  title: 'JJG 443-2006 燃油加油机 (fuel dispensers)',
  edition: '2006; superseded by JJG 443-2015 and JJG 443-2023',
  parameters: {
    mpePercent: {
      value: '0.3',
      description: 'dispenser MPE, ± % of the volume',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    repeatabilityLimitPercent: {
      value: '0.15',
      description: 'repeatability: largest range (%) of the relative errors of the runs at one flow',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    mmqMpePercent: {
      value: '0.5',
      description: 'MPE (± %) of runs at the minimum measured quantity (flow label "mmq")',
      source: '315online.com/oil/guide/408277.html',
      status: 'SECONDARY',
    },
    mmqRepeatabilityLimitPercent: {
      value: '0.25',
      description: 'repeatability limit (%) of runs at the minimum measured quantity',
      source: '315online.com/oil/guide/408277.html',
      status: 'SECONDARY',
    },
    meterMpePercent: {
      value: '0.2',
      description: 'flow meter (transducer) alone: MPE, ± %',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    meterRepeatabilityLimitPercent: {
      value: '0.1',
      description: 'flow meter alone: repeatability limit (%)',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    meterMmqMpePercent: {
      value: '0.3',
      description: 'flow meter alone at the minimum measured quantity: MPE, ± %',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    meterMmqRepeatabilityLimitPercent: {
      value: '0.15',
      description: 'flow meter alone at the minimum measured quantity: repeatability limit (%)',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    inServiceMultiplier: {
      value: '1',
      description: 'factor on every error limit at the in-service stage (使用中检查)',
      source:
        'metrology-rules.md §2(e): the same MPE at all stages is the best-known reading; the in-use limit was not seen',
      status: 'UNCONFIRMED',
    },
    minPaymentStep: {
      value: '0.01',
      description: 'default smallest payment step (最小付费变量, 元) when the instrument gives none',
      source:
        'runyun888.cn/news/332.html describes the payment rule for JJG 443-2023; the value and the 2006 rule were not seen',
      status: 'UNCONFIRMED',
    },
    runsPerFlow: {
      value: '3',
      description: 'deliveries per flow rate in the guided procedure',
      source: 'runyun888.cn/news/332.html gives 3 runs for JJG 443-2023; not seen for 2006',
      status: 'UNCONFIRMED',
    },
  },
  canMethod: jjg443CanMethod,
  procedure: {
    flows: [
      { label: 'max', description: 'maximum flow rate (Q1)' },
      { label: 'q2', description: 'a second, lower flow rate (Q2)' },
    ],
    source: 'runyun888.cn/news/332.html (JJG 443-2023 practice); not seen for 2006',
    status: 'UNCONFIRMED',
  },
  informational: {
    qmaxToQmin: {
      value: '10',
      description:
        'Qmax : Qmin = 10 : 1 (at least 5 : 1 in the field); the bench record carries no flow rates',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    vminMaxLitres: {
      value: '5',
      description: 'Vmin = ΔVmin / (2·Ev) must not exceed 5 L when Qmax ≤ 60 L/min',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    minVolumeIncrementLitres: {
      value: '0.02',
      description: 'minimum volume increment ΔVmin ≤ 0.02 L',
      source: TEXT_2006,
      status: 'SECONDARY',
    },
    maxLiquidTemperature: {
      value: '30',
      description: 'liquid temperature during the test ≤ 30 °C (JJG 443-1998 test conditions)',
      source: 'igat.cn/wenku/rsrcv/xJmExAxNJM',
      status: 'SECONDARY',
    },
    verificationPeriodMonths: {
      value: '6',
      description: 'verification period (检定周期); the 1998 text says "一般不超过半年"',
      source: 'metrology-rules.md Table 2.3: not seen for 2006',
      status: 'UNCONFIRMED',
    },
  },
};
