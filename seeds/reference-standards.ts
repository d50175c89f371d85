/**
 * A sample of reference standards (量传溯源) for the verification benches that serve the nine
 * districts, in the shape `metrogate standards add --file` reads (gateway/store/standards.ts): one
 * bench in the city proper (涪城, 游仙 and 安州) and one in each county-level city and county. Each
 * bench has an M1 weight set for trade scales, a 20 L standard can and a thermometer for dispensers;
 * the city bench also an F1 set (balances), 1 t weights (weighbridges) and a 50 L can, and the
 * benches with many taxis a pulse generator.
 *
 * Calibrations are yearly and fall one to six months before the register's end date, so every
 * standard but two is in its period then and for six months after it. The benches of the two
 * weakest districts each hold one standard past its due date, so that traceability shows a gap.
 * Maximum permissible errors are OIML R 111-1's for the weight classes and the usual ones for
 * second-grade metal standard cans (±0.025 %) and JJG 517 bench devices (±0.1 %). Bench names,
 * certificate and serial numbers are invented.
 */
import type { ReferenceStandardInput } from '../gateway/store/standards.js';
import { addMonths, DateTexts, parseDate } from './calendar.js';
import { SeededRandom } from './random.js';

interface Bench {
  /** Short code in standard ids. */
  code: string;
  name: string;
  pulseGenerator: boolean;
  cityExtras: boolean;
  /** Which of its standards is past due at the end date (illustrating a traceability gap). */
  expired?: 'can' | 'thermometer';
}

const BENCHES: readonly Bench[] = [
  { code: 'MY', name: '绵阳城区检定站', pulseGenerator: true, cityExtras: true },
  { code: 'JY', name: '江油检定站', pulseGenerator: true, cityExtras: false },
  { code: 'ST', name: '三台检定站', pulseGenerator: true, cityExtras: false },
  { code: 'YT', name: '盐亭检定站', pulseGenerator: false, cityExtras: false },
  { code: 'ZT', name: '梓潼检定站', pulseGenerator: false, cityExtras: false },
  { code: 'BC', name: '北川检定站', pulseGenerator: false, cityExtras: false, expired: 'thermometer' },
  { code: 'PW', name: '平武检定站', pulseGenerator: false, cityExtras: false, expired: 'can' },
];

/** OIML R 111-1 maximum permissible errors in mg, class M1, for the pieces of a 1 g – 20 kg set. */
const M1_PIECES = [
  { nominal: '20', unit: 'kg', mpe: '1000', count: 2 },
  { nominal: '10', unit: 'kg', mpe: '500' },
  { nominal: '5', unit: 'kg', mpe: '250' },
  { nominal: '2', unit: 'kg', mpe: '100', count: 2 },
  { nominal: '1', unit: 'kg', mpe: '50' },
  { nominal: '500', unit: 'g', mpe: '25' },
  { nominal: '200', unit: 'g', mpe: '10', count: 2 },
  { nominal: '100', unit: 'g', mpe: '5' },
  { nominal: '50', unit: 'g', mpe: '3' },
  { nominal: '20', unit: 'g', mpe: '2.5', count: 2 },
  { nominal: '10', unit: 'g', mpe: '2' },
  { nominal: '5', unit: 'g', mpe: '1.6' },
  { nominal: '2', unit: 'g', mpe: '1.2', count: 2 },
  { nominal: '1', unit: 'g', mpe: '1' },
] as const;

/** The same for class F1, 1 g – 5 kg. */
const F1_PIECES = [
  { nominal: '5', unit: 'kg', mpe: '25' },
  { nominal: '2', unit: 'kg', mpe: '10', count: 2 },
  { nominal: '1', unit: 'kg', mpe: '5' },
  { nominal: '500', unit: 'g', mpe: '2.5' },
  { nominal: '200', unit: 'g', mpe: '1', count: 2 },
  { nominal: '100', unit: 'g', mpe: '0.5' },
  { nominal: '50', unit: 'g', mpe: '0.3' },
  { nominal: '20', unit: 'g', mpe: '0.25', count: 2 },
  { nominal: '10', unit: 'g', mpe: '0.2' },
  { nominal: '5', unit: 'g', mpe: '0.16' },
  { nominal: '2', unit: 'g', mpe: '0.12', count: 2 },
  { nominal: '1', unit: 'g', mpe: '0.1' },
] as const;

/** The reference standards of all benches, valid (or not) at `end`. */
export function referenceStandards(seed: string, end: string): ReferenceStandardInput[] {
  const endDay = parseDate(end);
  if (endDay === undefined) throw new RangeError(`end: expected a date written YYYY-MM-DD, got ${end}`);
  const random = new SeededRandom(`metrogate-seeds:${seed}`).derive('standards');
  const dates = new DateTexts();
  const standards: ReferenceStandardInput[] = [];

  for (const bench of BENCHES) {
    const add = (
      suffix: string,
      description: string,
      body: { kind: ReferenceStandardInput['kind'] } & Record<string, unknown>,
      expired = false,
    ) => {
      // Calibrated once a year: in period at `end`, or, for the gap, due a few weeks before it.
      const calibrated = expired ? addMonths(endDay, -12) - random.int(15, 60) : endDay - random.int(20, 180);
      const year = dates.text(calibrated).slice(0, 4);
      standards.push({
        id: `${suffix}-${bench.code}-01`,
        description: `${bench.name} ${description}`,
        certificateNumber: `JL${year}-${bench.code}-${String(random.int(1, 9999)).padStart(4, '0')}`,
        calibratedBy: '省级计量技术机构（示例）',
        serialNumber: `SN${random.int(100_000, 999_999)}`,
        calibrationDate: dates.text(calibrated),
        dueDate: dates.text(addMonths(calibrated, 12) - 1),
        ...body,
      } as ReferenceStandardInput);
    };

    add('W-M1', 'M1 级砝码组 1 g – 20 kg', {
      kind: 'weight-set',
      accuracyClass: 'M1',
      pieces: M1_PIECES.map((piece) => ({ ...piece })),
    });
    if (bench.cityExtras) {
      add('W-F1', 'F1 级砝码组 1 g – 5 kg', {
        kind: 'weight-set',
        accuracyClass: 'F1',
        pieces: F1_PIECES.map((piece) => ({ ...piece })),
      });
      add('W-M1-1T', 'M1 级 1 t 砝码 10 块（地磅）', {
        kind: 'weight-set',
        accuracyClass: 'M1',
        pieces: [{ nominal: '1', unit: 't', mpe: '50', mpeUnit: 'g', count: 10 }],
      });
    }
    add(
      'CAN-20L',
      '二等标准金属量器 20 L',
      { kind: 'can', nominalVolume: '20', material: 'stainless-steel', relativeMpe: '0.025' },
      bench.expired === 'can',
    );
    if (bench.cityExtras) {
      add('CAN-50L', '二等标准金属量器 50 L', {
        kind: 'can',
        nominalVolume: '50',
        material: 'stainless-steel',
        relativeMpe: '0.025',
      });
    }
    add('T', '量器用温度计', { kind: 'thermometer', mpe: '0.2' }, bench.expired === 'thermometer');
    if (bench.pulseGenerator) {
      add('PG', '出租汽车计价器检定装置', { kind: 'pulse-generator', relativeMpe: '0.1' });
    }
  }
  return standards;
}
