/**
 * OIML R 117-1:2019, dynamic measuring systems for liquids other than water, as it applies to fuel
 * dispensers (metrology-rules.md §2). The R 117-1 text could not be read; its tables are taken from
 * MID Annex VII (MI-005) and the UK regulations that copy it.
 */
import type { R117RuleSet } from '../dispenser/rule-set.js';
import { jjg443CanMethod } from './jjg443-2006.js';

const MID_TABLE_2 =
  'MID Annex VII Table 2: legislation.gov.uk/eudr/2014/32/annex/VII/division/3/division/2 and legislation.gov.uk/uksi/2006/1270/schedule/1/paragraph/36/made (that R 117-1 Table 2 is identical is UNCONFIRMED but expected)';
const MID_TABLE_3 =
  'MID Annex VII Table 3: legislation.gov.uk/eudr/2014/32/annex/VII/division/3/division/2 and legislation.gov.uk/uksi/2006/1270/schedule/1/paragraph/36/made';
const MID_ANNEX =
  'MID Annex VII: legislation.gov.uk/eudr/2014/32/annex/VII/division/3/division/2 and legislation.gov.uk/uksi/2006/1270/schedule/1/paragraph/36/made';
const NSAI =
  'nsai.ie/legal-metrology/enforcement-information/inspection-types/liquid-fuel-dispenser-inspection/';

export const oimlR117_2019: R117RuleSet = {
  id: 'OIML-R117-1:2019',
  kind: 'dispenser',
  family: 'oiml-r117',
  title: 'OIML R 117-1:2019 Dynamic measuring systems for liquids other than water (fuel dispensers)',
  edition: '2019, on OIML certificates (e.g. R117/2019-A-SE1-22.02); replaces the 2007 edition',
  parameters: {
    repeatabilityFraction: {
      value: '0.4',
      description: 'repeatability limit as a fraction of the line-A MPE (2/5: 0.2 % for class 0.5)',
      source: 'metrology-rules.md §2(b): best-known R 117-1 wording; the text was not seen (open item 5)',
      status: 'UNCONFIRMED',
    },
    repeatabilityMinQuantityFactor: {
      value: '5',
      description: 'repeatability applies to deliveries of at least this many times the MMQ',
      source: 'metrology-rules.md §2(b): best-known R 117-1 wording; the text was not seen',
      status: 'UNCONFIRMED',
    },
    subsequentMultiplier: {
      value: '1',
      description: 'factor on the MPE at subsequent verification',
      source:
        'metrology-rules.md §2(e): only initial verification (line A) is confirmed; national rules set the rest',
      status: 'UNCONFIRMED',
    },
    inServiceLowerMultiplier: {
      value: '2',
      description:
        'in service, the error of indication may go down to −this × MPE (the dispenser delivers more than it shows)',
      source: `${NSAI}: "the amount dispensed is within legal tolerances (that is between -0.5% and +1%)", verification ±0.5 %; an example of one country (Ireland)`,
      status: 'UNCONFIRMED',
    },
    inServiceUpperMultiplier: {
      value: '1',
      description:
        'in service, the error of indication may go up to +this × MPE (the dispenser delivers less than it shows)',
      source: `${NSAI}: the amount dispensed may be at most 0.5 % short; an example of one country (Ireland)`,
      status: 'UNCONFIRMED',
    },
    minPaymentStep: {
      value: '0.01',
      description:
        'default smallest payment step when the instrument gives none; |amount − price × volume| must not exceed it',
      source:
        'metrology-rules.md open item 5: the R 117-1 price-computation rule was not seen; Canada requires agreement to the nearest cent (ic.gc.ca/eic/site/mc-mc.nsf/eng/lm04406.html)',
      status: 'UNCONFIRMED',
    },
    runsPerFlow: {
      value: '3',
      description: 'deliveries per flow rate in the guided procedure',
      source: 'metrology-rules.md §2(b): "several runs"; the number was not seen',
      status: 'UNCONFIRMED',
    },
  },
  accuracyClasses: {
    rows: [
      { accuracyClass: '0.3', lineA: '0.3', lineB: '0.2' },
      { accuracyClass: '0.5', lineA: '0.5', lineB: '0.3' },
      { accuracyClass: '1.0', lineA: '1.0', lineB: '0.6' },
      { accuracyClass: '1.5', lineA: '1.5', lineB: '1.0' },
      { accuracyClass: '2.5', lineA: '2.5', lineB: '1.5' },
    ],
    source: MID_TABLE_2,
    status: 'CONFIRMED',
  },
  defaultAccuracyClass: {
    value: '0.5',
    description: 'fuel dispensers are class 0.5 (±0.5 % system, ±0.3 % meter)',
    source: `${NSAI} ("2 litre or more: 0.5 %"); Australian NSC text at fueldispensers.biz (SECONDARY)`,
    status: 'CONFIRMED',
  },
  quantityBands: {
    rows: [
      { from: '0', below: '0.1', multiplier: '4', appliedTo: '0.1' },
      { from: '0.1', below: '0.2', multiplier: '4' },
      { from: '0.2', below: '0.4', multiplier: '2', appliedTo: '0.4' },
      { from: '0.4', below: '1', multiplier: '2' },
      { from: '1', below: '2', multiplier: '1', appliedTo: '2' },
      { from: '2', multiplier: '1' },
    ],
    source: `${MID_TABLE_3} (V < 2 L); Table 2 for V ≥ 2 L`,
    status: 'CONFIRMED',
  },
  emin: {
    mmqThreshold: '2',
    mmqFactor: '2',
    smallMmqFactor: '2',
    scaleIntervals: '2',
    source: MID_ANNEX,
    status: 'CONFIRMED',
  },
  canMethod: jjg443CanMethod,
  procedure: {
    flows: [
      { label: 'max', description: 'maximum flow rate' },
      { label: 'min', description: 'minimum flow rate' },
    ],
    source: 'metrology-rules.md §2(b): tests at maximum and minimum flow rate (R 117 text not seen)',
    status: 'UNCONFIRMED',
  },
  informational: {
    calculatorFraction: {
      value: '0.1',
      description: 'calculator MPE = 1/10 of line A',
      source: MID_ANNEX,
      status: 'CONFIRMED',
    },
    thermometerMpeClass05: {
      value: '0.5',
      description:
        'associated thermometer MPE (°C) for class 0.5 (0.3 °C for class 0.3, 1.0 °C for classes ≥ 1.0)',
      source: MID_ANNEX,
      status: 'CONFIRMED',
    },
  },
};
