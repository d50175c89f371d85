/**
 * JJG 443-2023 (试行) 燃油加油机 (fuel dispensers), the edition in force since 2024-05-01,
 * metrology-rules.md §0 and §2 Table 2.3.
 */
import type { Jjg443RuleSet } from '../dispenser/rule-set.js';
import { jjg443CanMethod } from './jjg443-2006.js';

const DUNHUA =
  '91zxmr.com/zj/content/2025-06/05/content_9108598.htm (a 2025-06 inspection reporting the rule)';
const RUNYUN = 'runyun888.cn/news/332.html';
const CARRIED =
  'not seen for 2023 (metrology-rules.md Table 2.3, open item 2); default carried over from JJG 443-2006';

export const jjg443_2023: Jjg443RuleSet = {
  id: 'JJG443-2023',
  kind: 'dispenser',
  family: 'jjg443',
  title: 'JJG 443-2023 (试行) 燃油加油机 (fuel dispensers)',
  edition: '2023 (试行), issued 2023-12-21, in force 2024-05-01; replaces JJG 443-2015',
  parameters: {
    mpePercent: {
      value: '0.30',
      description: 'dispenser MPE, ± % of the volume',
      source: `${DUNHUA}; ${RUNYUN} (SECONDARY)`,
      status: 'CONFIRMED',
    },
    repeatabilityLimitPercent: {
      value: '0.10',
      description: 'repeatability: largest range (%) of the relative errors of the runs at one flow',
      source: `${DUNHUA}; ${RUNYUN} (SECONDARY); range as the definition is UNCONFIRMED`,
      status: 'CONFIRMED',
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
        'metrology-rules.md §2(e): ±0.30 % at all stages is the best-known reading; the in-use limit was not seen',
      status: 'UNCONFIRMED',
    },
    minPaymentStep: {
      value: '0.01',
      description:
        'default smallest payment step (最小付费变量, 元) when the instrument gives none; |amount − price × volume| must not exceed it',
      source: `${RUNYUN} (the rule, SECONDARY); 0.01 元 is the typical value, not seen as rule text`,
      status: 'UNCONFIRMED',
    },
    runsPerFlow: {
      value: '3',
      description: 'deliveries per flow rate in the guided procedure',
      source: RUNYUN,
      status: 'SECONDARY',
    },
  },
  canMethod: jjg443CanMethod,
  procedure: {
    flows: [
      { label: 'max', description: 'maximum flow rate (Q1)' },
      { label: 'q2', description: 'a second, lower flow rate (Q2)' },
    ],
    source: RUNYUN,
    status: 'SECONDARY',
  },
  informational: {
    maxFlowLitresPerMinute: {
      value: '200',
      description: 'scope: dispensers with Qmax ≤ 200 L/min',
      source: RUNYUN,
      status: 'SECONDARY',
    },
    verificationPeriodMonths: {
      value: '6',
      description: 'verification period (检定周期); practice is twice a year',
      source: 'metrology-rules.md Table 2.3: best-known value, not seen as 2023 rule text',
      status: 'UNCONFIRMED',
    },
  },
};
