/**
 * JJG 517-2016 出租汽车计价器 (taximeters), metrology-rules.md §3. Only its clause headings were
 * read: the installed band +1.0 %/−4.0 % is CONFIRMED for the 1998 and 2009 editions and for
 * JJG(京)177-2025 but not verbatim for 2016, and the bench (本机) limits are best-known values equal
 * to R 21's. All of them are therefore UNCONFIRMED parameters that config may override.
 */
import type { TaximeterRuleSet } from '../taximeter/types.js';

const INSTALLED =
  'JJG 517-2016 §5.2 "装车后的计价器计程最大允许误差" (heading CONFIRMED, duodown.com; value not seen verbatim); ' +
  '+1.0 %/−4.0 % CONFIRMED for JJG 517-1998 and -2009 (alljournals.cn abstract; ppdoc.com) and JJG(京)177-2025 (aqrzj.com/doc/417345.html)';
const BENCH =
  'JJG 517-2016 §5.1 "本机最大允许误差及切换速度响应时间" (heading CONFIRMED, duodown.com; values not seen); ' +
  'best-known value = OIML R 21/MID MI-007 §8 (legislation.gov.uk/eudr/2014/32/annex/IX/division/5)';
const FARE =
  'JJG 517-2016 fare (计费) tolerance not seen; best-known value = OIML R 21/MID MI-007 §8 (legislation.gov.uk/eudr/2014/32/annex/IX/division/5)';

export const jjg517_2016: TaximeterRuleSet = {
  id: 'JJG517-2016',
  kind: 'taximeter',
  title: 'JJG 517 出租汽车计价器 (Taximeters)',
  edition: '2016: issued 2016-11-30, in force 2017-05-30; replaces JJG 517-2009',
  parameters: {
    installedDistanceLowerPercent: {
      value: '-4.0',
      description:
        'Installed taximeter (装车后): lowest distance error allowed, in percent (meter under-reads)',
      source: INSTALLED,
      status: 'UNCONFIRMED',
    },
    installedDistanceUpperPercent: {
      value: '1.0',
      description:
        'Installed taximeter (装车后): highest distance error allowed, in percent (meter over-reads, 跑得快)',
      source: INSTALLED,
      status: 'UNCONFIRMED',
    },
    benchDistanceMpePercent: {
      value: '0.2',
      description: 'Bench (本机) distance MPE, in percent of the true distance N/k',
      source: BENCH,
      status: 'UNCONFIRMED',
    },
    benchDistanceMinMpe: {
      value: '4',
      description: 'Bench (本机) minimum distance MPE, in m (set 0 for a pure percentage check)',
      source: BENCH,
      status: 'UNCONFIRMED',
    },
    timeMpePercent: {
      value: '0.1',
      description: 'Bench (本机) time MPE, in percent of the stopwatch time',
      source: BENCH,
      status: 'UNCONFIRMED',
    },
    timeMinMpe: {
      value: '0.2',
      description: 'Bench (本机) minimum time MPE, in s',
      source: BENCH,
      status: 'UNCONFIRMED',
    },
    fareMpePercent: {
      value: '0.1',
      description: 'Fare (计费) MPE, in percent of the fare computed from the tariff',
      source: FARE,
      status: 'UNCONFIRMED',
    },
    fareMinMpeDigits: {
      value: '1',
      description:
        'Minimum fare MPE, in least significant digits of the fare indication (tariff.fareResolution)',
      source: FARE,
      status: 'UNCONFIRMED',
    },
    fareRounding: {
      value: '0',
      description:
        'Rounding of the computed fare to tariff.fareResolution before comparison: 0 exact (the rounding counts within the MPE), 1 half-up, 2 down, 3 up',
      source:
        'metrogate choice following OIML R 21/MID MI-007 §8 "including rounding"; JJG 517 rounding rule not seen',
      status: 'UNCONFIRMED',
    },
  },
  installedDistance: {
    judged: true,
    methods: ['滚轮测距法 (roller)', '行车测距法 (road)'],
    source: 'm.jizihe.com/page/2021/1202/9391193.shtml (CONFIRMED as a report of JJG 517-2016)',
  },
  procedure: {
    benchDistancePoints: ['1000', '2000', '3000'],
    installedDistancePoints: ['1000', '2000', '3000'],
    timeReference: '600',
    source:
      'test points 1, 2 and 3 km used in practice (ynkmjykj.com, 沂水; SECONDARY); 600 s time test is a metrogate choice so that the 0.1 % term governs',
  },
};
