/**
 * JJG 443-2015 燃油加油机 (fuel dispensers), metrology-rules.md §2 Table 2.3. The reference gives
 * the 2015 and 2023 editions one column; its sources report the 2023 edition, so the 2015 limits
 * are SECONDARY here. Superseded by JJG 443-2023 on 2024-05-01.
 */
import type { Jjg443RuleSet } from '../dispenser/rule-set.js';
import { jjg443CanMethod } from './jjg443-2006.js';

const SHARED_COLUMN =
  'metrology-rules.md Table 2.3 (one column for 2015/2023; its sources, 91zxmr.com/zj/content/2025-06/05/content_9108598.htm and runyun888.cn/news/332.html, report the 2023 edition)';
const CARRIED =
  'not seen for 2015 (metrology-rules.md Table 2.3, open item 2); default carried over from JJG 443-2006';

export const jjg443_2015: Jjg443RuleSet = {
  id: 'JJG443-2015',
  kind: 'dispenser',
  family: 'jjg443',
  title: 'JJG 443-2015 燃油加油机 (fuel dispensers)',
  edition: '2015; superseded by JJG 443-2023 (in force 2024-05-01)',
  parameters: {
    mpePercent: {
      value: '0.30',
      description: 'dispenser MPE, ± % of the volume',
      source: SHARED_COLUMN,
      status: 'SECONDARY',
    },
    repeatabilityLimitPercent: {
      value: '0.10',
      description: 'repeatability: largest range (%) of the relative errors of the runs at one flow',
      source: SHARED_COLUMN,
      status: 'SECONDARY',
    },
    mmqMpePercent: {
      value: '0.5',
      description: 'MPE (± %) of runs at the minimum measured quantity (flow label "mmq")',
      source: CARRIED,
      status: 'UNCONFIRMED',
    },
    mmqRepeatabilityLimitPercent: {
      value: '0.25',
      description: 'repeatability limit (%) of runs at the minimum measured quantity',
      source: CARRIED,
      status: 'UNCONFIRMED',
    },
    meterMpePercent: {
      value: '0.2',
      description: 'flow meter (transducer) alone: MPE, ± %',
      source: CARRIED,
      status: 'UNCONFIRMED',
    },
    meterRepeatabilityLimitPercent: {
      value: '0.1',
      description: 'flow meter alone: repeatability limit (%)',
      source: CARRIED,
      status: 'UNCONFIRMED',
    },
    meterMmqMpePercent: {
      value: '0.3',
      description: 'flow meter alone at the minimum measured quantity: MPE, ± %',
      source: CARRIED,
      status: 'UNCONFIRMED',
    },
    meterMmqRepeatabilityLimitPercent: {
      value: '0.15',
      description: 'flow meter alone at the minimum measured quantity: repeatability limit (%)',
      source: CARRIED,
      status: 'UNCONFIRMED',
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
        'runyun888.cn/news/332.html describes the payment rule for JJG 443-2023; the value and the 2015 rule were not seen',
      status: 'UNCONFIRMED',
    },
    runsPerFlow: {
      value: '3',
      description: 'deliveries per flow rate in the guided procedure',
      source: 'runyun888.cn/news/332.html gives 3 runs for JJG 443-2023; not seen for 2015',
      status: 'UNCONFIRMED',
    },
  },
  canMethod: jjg443CanMethod,
  procedure: {
    flows: [
      { label: 'max', description: 'maximum flow rate (Q1)' },
      { label: 'q2', description: 'a second, lower flow rate (Q2)' },
    ],
    source: 'runyun888.cn/news/332.html (JJG 443-2023 practice); not seen for 2015',
    status: 'UNCONFIRMED',
  },
  informational: {
    verificationPeriodMonths: {
      value: '6',
      description: 'verification period (检定周期): "每年…开展两次检定，每半年一次"',
      source:
        'taicangdaily.com/tcrbszb/html/2022-09/01/content_2744_15228887.htm (practice in the 2015 era, not the rule text)',
      status: 'CONFIRMED',
    },
  },
};
