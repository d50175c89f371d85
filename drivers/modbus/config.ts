/**
 * The register map of contracts.md §4 and the configuration of the generic `modbus` driver.
 * Every error names its path (`registers[3].type`), so a technician can find the bad line.
 */
import { z } from 'zod';
import { Dec, isDecimalText } from '../decimal.js';
import { checkModbusEndpoint, modbusDeviceSchema } from '../definition.js';

export const REGISTER_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type RegisterTable = (typeof REGISTER_TABLES)[number];

export const REGISTER_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
  'string',
] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];

/** Byte orders as Telegraf and most vendor manuals name them; AB/BA are the 16-bit forms. */
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA', 'AB', 'BA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

/** The Modbus specification's limits for one read request. */
export const MAX_REGISTERS_PER_REQUEST = 125;
export const MAX_BITS_PER_REQUEST = 2000;

/** Qualities a status register can impose on readings (good is the default, not a rule). */
export const RULE_QUALITIES = ['unstable', 'overload', 'underload', 'comm-error', 'stale'] as const;

export function isBitTable(table: RegisterTable): table is 'coil' | 'discrete' {
  return table === 'coil' || table === 'discrete';
}

/** Registers (or bits, for coil/discrete) one entry occupies. */
export function registerWidth(entry: { table: RegisterTable; type: RegisterType; length?: number }): number {
  if (isBitTable(entry.table)) return 1;
  switch (entry.type) {
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    case 'string':
      return entry.length ?? 1;
    default:
      return 1;
  }
}

/**
 * A decimal given as a string ("0.01", exact) or a number (read through its shortest text; YAML
 * `0.10` arrives as 0.1 and loses the trailing zero, which is why strings are preferred).
 */
export const decimalInputSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  if (text === undefined || !isDecimalText(text)) {
    ctx.addIssue({ code: 'custom', message: `"${String(value)}" is not a decimal number` });
    return z.NEVER;
  }
  return text;
});

function numberText(value: number): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = String(value);
  return /e/i.test(text) ? new Dec(text).toFixed() : text;
}

export const registerEntrySchema = z
  .object({
    /** Becomes the reading's channel. */
    name: z.string().min(1, 'name is required'),
    table: z.enum(REGISTER_TABLES).default('holding'),
    /** 0-based protocol (PDU) address: what goes on the wire. "40001" notation means address 0. */
    address: z.number().int().min(0).max(65535),
    /** Defaults: bool for coil/discrete, uint16 for holding/input. */
    type: z.enum(REGISTER_TYPES).optional(),
    order: z.enum(BYTE_ORDERS).optional(),
    /** value × scale, exact. The result keeps the decimals of the scale ("0.10" → 2 places). */
    scale: decimalInputSchema.optional(),
    /**
     * Integers: implied decimal places (raw 1235, decimals 2 → "12.35"). Floats: the value is
     * rounded half-up to this many places ("0.1" → "0.10"), the device's display resolution.
     */
    decimals: z.number().int().min(0).max(12).optional(),
    unit: z.string().default(''),
    /** Strings: length in registers (two characters each). */
    length: z.number().int().min(1).max(MAX_REGISTERS_PER_REQUEST).optional(),
    /** bool in a holding/input register: the bit (0 = least significant) of the 16-bit value. */
    bit: z.number().int().min(0).max(15).optional(),
    description: z.string().optional(),
  })
  .superRefine((entry, ctx) => {
    const type = entry.type ?? (isBitTable(entry.table) ? 'bool' : 'uint16');
    if (isBitTable(entry.table) && type !== 'bool') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `a ${entry.table} holds one bit; its type must be bool, not ${type}`,
      });
    }
    if (entry.bit !== undefined && (isBitTable(entry.table) || type !== 'bool')) {
      ctx.addIssue({
        code: 'custom',
        path: ['bit'],
        message: 'bit is only for a bool taken from a holding or input register',
      });
    }
    if (type === 'string' && entry.length === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['length'],
        message: 'a string needs its length in registers',
      });
    }
    if (type !== 'string' && entry.length !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['length'], message: 'length is only for strings' });
    }
    const wide = type === 'int32' || type === 'uint32' || type === 'float32' || type === 'float64';
    if (wide && (entry.order === 'AB' || entry.order === 'BA')) {
      ctx.addIssue({
        code: 'custom',
        path: ['order'],
        message: `${type} spans several registers; use ABCD, CDAB, BADC or DCBA`,
      });
    }
    const numeric = type !== 'bool' && type !== 'string';
    if (!numeric && entry.scale !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['scale'], message: `scale does not apply to ${type}` });
    }
    if (!numeric && entry.decimals !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['decimals'], message: `decimals does not apply to ${type}` });
    }
    if (entry.address + registerWidth({ table: entry.table, type, length: entry.length }) > 65536) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'the value runs past address 65535' });
    }
  })
  .transform((entry) => {
    const type: RegisterType = entry.type ?? (isBitTable(entry.table) ? 'bool' : 'uint16');
    return { ...entry, type, order: entry.order ?? defaultOrder(type) };
  });

function defaultOrder(type: RegisterType): ByteOrder {
  return type === 'int32' || type === 'uint32' || type === 'float32' || type === 'float64' ? 'ABCD' : 'AB';
}

export type RegisterEntry = z.output<typeof registerEntrySchema>;

/**
 * A status register (or bit) that sets the quality of readings: e.g. the stability bit of a weighing
 * transmitter makes the weight `unstable` while it is 0. Rules are checked in order; the first
 * matching rule decides a channel's quality.
 */
export const qualityRuleSchema = z.object({
  /** Name of the register entry whose decoded value is tested. */
  when: z.string().min(1),
  /** The value that triggers the rule: "1"/"0" (or true/false) for bools, a number otherwise. */
  equals: z
    .union([z.string(), z.number(), z.boolean()])
    .transform((v) => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v))),
  quality: z.enum(RULE_QUALITIES),
  /** Channels the rule applies to; all other channels when omitted. */
  channels: z.array(z.string().min(1)).optional(),
});
export type QualityRule = z.output<typeof qualityRuleSchema>;

export const registerMapSchema = z
  .object({
    registers: z.array(registerEntrySchema).min(1, 'the map needs at least one register'),
    /** Registers of a hole that may be read to merge two requests into one (Telegraf's max_insert). */
    maxGap: z.number().int().min(0).max(MAX_REGISTERS_PER_REQUEST).default(0),
    /** Devices that accept fewer registers per request than the specification (e.g. 32). */
    maxRegistersPerRequest: z
      .number()
      .int()
      .min(1)
      .max(MAX_REGISTERS_PER_REQUEST)
      .default(MAX_REGISTERS_PER_REQUEST),
    maxBitsPerRequest: z.number().int().min(1).max(MAX_BITS_PER_REQUEST).default(MAX_BITS_PER_REQUEST),
    quality: z.array(qualityRuleSchema).default([]),
  })
  .superRefine((map, ctx) => checkMapCrossReferences(map, ctx));

export type RegisterMap = z.output<typeof registerMapSchema>;

/** Checks that need the whole map: unique names, rules naming existing registers, request limits. */
function checkMapCrossReferences(
  map: { registers: RegisterEntry[]; maxRegistersPerRequest: number; quality: QualityRule[] },
  ctx: z.RefinementCtx,
): void {
  const seen = new Map<string, number>();
  map.registers.forEach((entry, index) => {
    const first = seen.get(entry.name);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['registers', index, 'name'],
        message: `duplicate name "${entry.name}" (also registers[${first}])`,
      });
    } else seen.set(entry.name, index);
    if (!isBitTable(entry.table) && registerWidth(entry) > map.maxRegistersPerRequest) {
      ctx.addIssue({
        code: 'custom',
        path: ['registers', index, 'length'],
        message: `spans ${registerWidth(entry)} registers, more than maxRegistersPerRequest (${map.maxRegistersPerRequest})`,
      });
    }
  });
  map.quality.forEach((rule, index) => {
    if (!seen.has(rule.when)) {
      ctx.addIssue({
        code: 'custom',
        path: ['quality', index, 'when'],
        message: `no register named "${rule.when}"`,
      });
    }
    rule.channels?.forEach((channel, c) => {
      if (!seen.has(channel)) {
        ctx.addIssue({
          code: 'custom',
          path: ['quality', index, 'channels', c],
          message: `no register named "${channel}"`,
        });
      }
    });
  });
}
export type RegisterMapInput = z.input<typeof registerMapSchema>;

/** Configuration of one device read through the generic driver: the bus, the unit and the map. */
export const modbusConfigSchema = modbusDeviceSchema
  .extend({
    registers: registerMapSchema.shape.registers,
    maxGap: registerMapSchema.shape.maxGap,
    maxRegistersPerRequest: registerMapSchema.shape.maxRegistersPerRequest,
    maxBitsPerRequest: registerMapSchema.shape.maxBitsPerRequest,
    quality: registerMapSchema.shape.quality,
  })
  .superRefine((config, ctx) => {
    checkModbusEndpoint(config, ctx);
    checkMapCrossReferences(config, ctx);
  });

export type ModbusConfig = z.output<typeof modbusConfigSchema>;

/** The register-map part of a parsed config, in the map's own shape. */
export function registerMapOf(config: ModbusConfig): RegisterMap {
  return {
    registers: config.registers,
    maxGap: config.maxGap,
    maxRegistersPerRequest: config.maxRegistersPerRequest,
    maxBitsPerRequest: config.maxBitsPerRequest,
    quality: config.quality,
  };
}

/** `registers[3].type` from a zod issue path. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(root)' : text;
}

/** One line per issue: `registers[3].type: …`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join('; ');
}
