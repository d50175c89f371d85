/**
 * The register of reference standards (量传溯源): the weight sets, standard cans, pulse generators
 * and thermometers a bench uses, each with the certificate that traces it to a higher standard and
 * the date its calibration falls due. A verification record names the standards it used
 * (RecordStandard), and `checkStandardsFor` (standards-check.ts) refuses a standard that is past due
 * or not accurate enough for the test point.
 *
 * Units: weight pieces carry their own mass unit and their MPE in `mpeUnit` (default mg, as the
 * OIML R 111 tables give it); can volumes are in L and their MPE is relative, in %; a pulse
 * generator's MPE is relative, in %; a thermometer's MPE is in °C.
 */
import { z } from 'zod';
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import type { AuditTrail } from './audit.js';
import { canonicalJson } from './canonical-json.js';
import type { SqliteDatabase } from './database.js';
import type { RecordStandard } from './record-types.js';
import { calendarDate, parseOrThrow, positiveDecimalText } from './validation.js';

export const STANDARD_KINDS = ['weight-set', 'can', 'pulse-generator', 'thermometer'] as const;
export type StandardKind = (typeof STANDARD_KINDS)[number];

/** OIML R 111-1 accuracy classes of weights. */
export const WEIGHT_CLASSES = ['E1', 'E2', 'F1', 'F2', 'M1', 'M1-2', 'M2', 'M2-3', 'M3'] as const;
export type WeightClass = (typeof WEIGHT_CLASSES)[number];

export const MASS_UNITS = ['mg', 'g', 'kg', 't'] as const;
export type MassUnit = (typeof MASS_UNITS)[number];

export const CAN_MATERIALS = ['stainless-steel', 'carbon-steel'] as const;

const id = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'at most 64 characters')
  .refine((text) => !/[\s\p{Cc}]/u.test(text), 'must not contain spaces or control characters');

const base = {
  id,
  description: z.string().trim().min(1).optional(),
  /** Number of the calibration certificate (检定/校准证书编号). */
  certificateNumber: z.string().trim().min(1, 'must not be empty'),
  /** Who calibrated it (the institute that issued the certificate). */
  calibratedBy: z.string().trim().min(1).optional(),
  serialNumber: z.string().trim().min(1).optional(),
  calibrationDate: calendarDate,
  dueDate: calendarDate,
};

const weightPieceSchema = z.object({
  nominal: positiveDecimalText,
  unit: z.enum(MASS_UNITS),
  /** Maximum permissible error of the piece, in mpeUnit. */
  mpe: positiveDecimalText,
  mpeUnit: z.enum(MASS_UNITS).default('mg'),
  /** Identical pieces of the set (e.g. 2 for the 2 kg and 2 kg* of a 1-2-2-5 set). */
  count: z.number().int().min(1).max(10_000).default(1),
});

const weightSetSchema = z.object({
  ...base,
  kind: z.literal('weight-set'),
  accuracyClass: z.enum(WEIGHT_CLASSES),
  pieces: z.array(weightPieceSchema).min(1, 'a weight set needs at least one piece'),
});

const canSchema = z.object({
  ...base,
  kind: z.literal('can'),
  /** Nominal volume in L. */
  nominalVolume: positiveDecimalText,
  material: z.enum(CAN_MATERIALS),
  /** Relative MPE in %. */
  relativeMpe: positiveDecimalText,
});

const pulseGeneratorSchema = z.object({
  ...base,
  kind: z.literal('pulse-generator'),
  /** Relative MPE in % (JJG 517 bench device: 0.1). */
  relativeMpe: positiveDecimalText,
});

const thermometerSchema = z.object({
  ...base,
  kind: z.literal('thermometer'),
  /** MPE in °C. */
  mpe: positiveDecimalText,
});

export const referenceStandardSchema = z
  .discriminatedUnion('kind', [weightSetSchema, canSchema, pulseGeneratorSchema, thermometerSchema])
  .refine((standard) => standard.dueDate >= standard.calibrationDate, {
    message: 'the due date is before the calibration date',
    path: ['dueDate'],
  });

export type WeightPiece = z.output<typeof weightPieceSchema>;
export type WeightSetStandard = z.output<typeof weightSetSchema>;
export type CanStandard = z.output<typeof canSchema>;
export type PulseGeneratorStandard = z.output<typeof pulseGeneratorSchema>;
export type ThermometerStandard = z.output<typeof thermometerSchema>;
export type ReferenceStandard = z.output<typeof referenceStandardSchema>;
/** What a user writes in a standards file (defaults not yet applied, numbers allowed). */
export type ReferenceStandardInput = z.input<typeof referenceStandardSchema>;

/** Parses one standard (MG_ERR_INPUT_INVALID naming the path at fault, prefixed by `base`). */
export function parseReferenceStandard(value: unknown, base = ''): ReferenceStandard {
  return parseOrThrow(referenceStandardSchema, value, 'reference standard', base);
}

const GRAMS_PER: Record<MassUnit, string> = { mg: '0.001', g: '1', kg: '1000', t: '1000000' };

/** Exact conversion between mass units. */
export function convertMass(value: Dec, from: MassUnit, to: MassUnit): Dec {
  return value.times(GRAMS_PER[from]).dividedBy(GRAMS_PER[to]);
}

/** A readable one-line description: "F1 weight set 1 mg – 2 kg (12 pieces)", "20 L stainless-steel can". */
export function describeStandard(standard: ReferenceStandard): string {
  if (standard.description) return standard.description;
  switch (standard.kind) {
    case 'weight-set': {
      const count = standard.pieces.reduce((sum, piece) => sum + piece.count, 0);
      const bySize = [...standard.pieces].sort((a, b) =>
        convertMass(new Dec(a.nominal), a.unit, 'g').comparedTo(convertMass(new Dec(b.nominal), b.unit, 'g')),
      );
      const smallest = `${bySize[0]!.nominal} ${bySize[0]!.unit}`;
      const largest = `${bySize.at(-1)!.nominal} ${bySize.at(-1)!.unit}`;
      const range = smallest === largest ? smallest : `${smallest} – ${largest}`;
      return `${standard.accuracyClass} weight set ${range} (${count} ${count === 1 ? 'piece' : 'pieces'})`;
    }
    case 'can':
      return `${standard.nominalVolume} L ${standard.material} standard can (MPE ±${standard.relativeMpe} %)`;
    case 'pulse-generator':
      return `pulse generator (MPE ±${standard.relativeMpe} %)`;
    case 'thermometer':
      return `thermometer (MPE ±${standard.mpe} °C)`;
  }
}

/** The part of a standard a verification record keeps. */
export function toRecordStandard(standard: ReferenceStandard): RecordStandard {
  return {
    id: standard.id,
    kind: standard.kind,
    description: describeStandard(standard),
    certificateNumber: standard.certificateNumber,
    dueDate: standard.dueDate,
  };
}

export interface StoredReferenceStandard {
  standard: ReferenceStandard;
  /** When it was registered (ISO 8601 UTC). */
  addedAt: string;
}

export class StandardsStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly audit: AuditTrail,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Registers a standard and writes a `standard.add` audit entry in the same transaction. An id
   * already registered is refused: a recalibrated standard keeps its history under its old entry
   * and is registered again under a new id (for example with the certificate year).
   */
  add(input: unknown, options: { actor: string }): ReferenceStandard {
    return this.addAll([input], options)[0]!;
  }

  /**
   * Registers several standards, all or none: each is validated (errors name `[2].pieces[0].mpe`
   * when there is more than one) before any is written.
   */
  addAll(inputs: readonly unknown[], options: { actor: string }): ReferenceStandard[] {
    const standards = inputs.map((input, index) =>
      parseReferenceStandard(input, inputs.length > 1 ? `[${index}]` : ''),
    );
    const seen = new Set<string>();
    for (const standard of standards) {
      if (seen.has(standard.id)) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          `reference standard ${standard.id} is listed twice`,
          {
            standard: standard.id,
          },
        );
      }
      seen.add(standard.id);
    }
    this.db
      .transaction(() => {
        for (const standard of standards) this.insert(standard, options.actor);
      })
      .immediate();
    return standards;
  }

  private insert(standard: ReferenceStandard, actor: string): void {
    const addedAt = this.now().toISOString();
    this.db
      .transaction(() => {
        if (this.get(standard.id)) {
          throw new MetrogateError(
            'MG_ERR_INPUT_INVALID',
            `reference standard ${standard.id} is already registered; register a recalibrated standard under a new id`,
            { standard: standard.id },
          );
        }
        this.db
          .prepare(
            'INSERT INTO reference_standards (id, kind, due_date, payload, added_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(standard.id, standard.kind, standard.dueDate, canonicalJson(standard), addedAt);
        this.audit.append({
          actor,
          action: 'standard.add',
          subject: standard.id,
          details: {
            kind: standard.kind,
            certificateNumber: standard.certificateNumber,
            calibrationDate: standard.calibrationDate,
            dueDate: standard.dueDate,
          },
        });
      })
      .immediate();
  }

  list(): StoredReferenceStandard[] {
    const rows = this.db.prepare('SELECT payload, added_at FROM reference_standards ORDER BY id').all() as {
      payload: string;
      added_at: string;
    }[];
    return rows.map((row) => ({
      standard: JSON.parse(row.payload) as ReferenceStandard,
      addedAt: row.added_at,
    }));
  }

  get(id: string): ReferenceStandard | undefined {
    const row = this.db.prepare('SELECT payload FROM reference_standards WHERE id = ?').get(id) as
      | { payload: string }
      | undefined;
    return row ? (JSON.parse(row.payload) as ReferenceStandard) : undefined;
  }

  /** Like get, but an unknown id is MG_ERR_NOT_FOUND. */
  require(id: string): ReferenceStandard {
    const standard = this.get(id);
    if (!standard) {
      throw new MetrogateError('MG_ERR_NOT_FOUND', `no reference standard ${id} is registered`, {
        standard: id,
      });
    }
    return standard;
  }
}
