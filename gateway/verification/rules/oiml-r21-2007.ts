/**
 * OIML R 21:2007, taximeters (metrology-rules.md §3). The full R 21 text was not read: its numbers
 * are those of MID 2014/32/EU Annex IX (MI-007) §8, which the reference CONFIRMED, and that R 21:2007
 * carries the same numbers is SECONDARY (WELMEC 8.17 cross-reference table).
 */
import type { TaximeterRuleSet } from '../taximeter/types.js';

const MID_MI007 =
  'MID 2014/32/EU Annex IX (MI-007) §8, legislation.gov.uk/eudr/2014/32/annex/IX/division/5 (CONFIRMED there); ' +
  'same numbers in OIML R 21:2007 per the WELMEC 8.17 cross-reference table, ' +
  'fdocuments.in/document/guide-for-measuring-instruments-directive-200422ec-187-issue-2-rev1-guide.html (SECONDARY)';

export const oimlR21_2007: TaximeterRuleSet = {
  id: 'OIML-R21:2007',
  kind: 'taximeter',
  title: 'OIML R 21 Taximeters (metrological and technical requirements)',
  edition: '2007 (the edition JJG 517-2016 is based on)',
  parameters: {
    benchDistanceMpePercent: {
      value: '0.2',
      description: 'MPE of the distance travelled, taximeter alone, in percent of the true distance',
      source: MID_MI007,
      status: 'SECONDARY',
    },
    benchDistanceMinMpe: {
      value: '4',
      description: 'Minimum MPE of the distance travelled, in m',
      source: MID_MI007,
      status: 'SECONDARY',
    },
    timeMpePercent: {
      value: '0.1',
      description: 'MPE of the time elapsed, in percent of the reference time',
      source: MID_MI007,
      status: 'SECONDARY',
    },
    timeMinMpe: {
      value: '0.2',
      description: 'Minimum MPE of the time elapsed, in s',
      source: MID_MI007,
      status: 'SECONDARY',
    },
    fareMpePercent: {
      value: '0.1',
      description: 'MPE of the fare calculation, in percent of the fare computed from the tariff',
      source: MID_MI007,
      status: 'SECONDARY',
    },
    fareMinMpeDigits: {
      value: '1',
      description:
        'Minimum MPE of the fare, including rounding, in least significant digits of the fare indication (tariff.fareResolution)',
      source: MID_MI007,
      status: 'SECONDARY',
    },
    fareRounding: {
      value: '0',
      description:
        'Rounding of the computed fare to tariff.fareResolution before comparison: 0 exact (the rounding counts within the MPE), 1 half-up, 2 down, 3 up',
      source:
        'metrogate reading of MID MI-007 §8 "including rounding: the least significant digit of the fare indication"; the reference fixes no rounding of the computed fare',
      status: 'UNCONFIRMED',
    },
  },
  installedDistance: {
    judged: false,
    why: 'R 21 and MID MI-007 cover the taximeter alone; installation checks are national (metrology-rules.md §3(e), metrologie.at)',
  },
  procedure: {
    benchDistancePoints: ['1000', '2000', '3000'],
    installedDistancePoints: ['1000', '2000', '3000'],
    timeReference: '600',
    source:
      'metrogate procedure: 1, 2 and 3 km as used in practice for installed checks (ynkmjykj.com, SECONDARY); 600 s so that the 0.1 % term, not the 0.2 s floor, governs',
  },
};
