/**
 * Configuration of a dispenser or flow computer read over Modbus: the bus and unit, a preset layout
 * with overrides for any of its registers, totalizers and commands, or a whole register map of the
 * site's own. Both resolve to one DispenserMap that the shared register-map engine reads.
 */
import { z } from 'zod';
import { checkModbusEndpoint, modbusDeviceSchema } from '../definition.js';
import {
  BYTE_ORDERS,
  decimalInputSchema,
  MAX_REGISTERS_PER_REQUEST,
  type RegisterEntry,
  type RegisterMap,
  registerMapSchema,
} from '../modbus/config.js';
import {
  type CommandSpec,
  DART_STATUS_CODES,
  DECIMALS_ROLES,
  DISPENSER_COMMANDS,
  DISPENSER_PRESET_IDS,
  DISPENSER_PRESETS,
  DISPENSER_STATES,
  type DispenserCommand,
  type DispenserPreset,
  type DispenserPresetId,
  type DispenserStateWord,
  type LayoutRegister,
  REGISTER_ROLES,
  type RegisterRole,
  type TotalizerBlock,
  type TotalizerValue,
} from './presets.js';

const tableSchema = z.enum(['holding', 'input']);
const addressSchema = z.number().int().min(0).max(65535);
const bitSchema = z.number().int().min(0).max(15);
const typeSchema = z.enum(['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64']);
const wordOrderSchema = z.enum(['ABCD', 'CDAB', 'BADC', 'DCBA']);

const resolutionShape = {
  type: typeSchema,
  order: z.enum(BYTE_ORDERS),
  /** Integers: implied decimal places; floats: display resolution. Replaces the decimals register. */
  decimals: z.number().int().min(0).max(9),
  /** Integers: value × scale instead of decimals. */
  scale: decimalInputSchema,
  unit: z.string(),
};

export const registerOverrideSchema = z
  .strictObject({ table: tableSchema, address: addressSchema, bit: bitSchema, ...resolutionShape })
  .partial();
export type RegisterOverride = z.output<typeof registerOverrideSchema>;

const totalizerValueOverrideSchema = z
  .strictObject({ offset: z.number().int().min(0).max(1000), ...resolutionShape })
  .partial();

export const totalsOverrideSchema = z
  .strictObject({
    table: tableSchema,
    base: addressSchema,
    stride: z.number().int().min(1).max(1000),
    volume: totalizerValueOverrideSchema,
    amount: totalizerValueOverrideSchema,
  })
  .partial();

export const commandSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('register-value'),
    address: addressSchema,
    value: z.number().int().min(0).max(65535),
  }),
  z.object({ kind: z.literal('register-bit-edge'), address: addressSchema, bit: bitSchema }),
  z.object({ kind: z.literal('coil'), address: addressSchema, value: z.boolean().default(true) }),
]);

/** Status register value (decimal text, as YAML keys arrive) → pump state in words. */
export const statusCodesSchema = z.record(
  z.string().regex(/^\d+$/, 'a status code is a non-negative integer'),
  z.enum(DISPENSER_STATES),
);

const roleOverrides = Object.fromEntries(
  REGISTER_ROLES.map((role) => [role, registerOverrideSchema.nullable().optional()]),
) as Record<RegisterRole, z.ZodOptional<z.ZodNullable<typeof registerOverrideSchema>>>;

// Strict: a misspelt register name would otherwise be dropped without a word.
export const presetOverridesSchema = z.strictObject({
  /** Per register: fields replacing the preset's, or null to remove the register. */
  ...roleOverrides,
  totals: totalsOverrideSchema.nullable().optional(),
  /** Merged over the preset's table (a code set here wins). */
  statusCodes: statusCodesSchema.optional(),
  /** Per command: how to send it, or null to refuse it. */
  commands: z.partialRecord(z.enum(DISPENSER_COMMANDS), commandSchema.nullable()).optional(),
  maxGap: z.number().int().min(0).max(MAX_REGISTERS_PER_REQUEST).optional(),
});
export type PresetOverrides = z.output<typeof presetOverridesSchema>;

/**
 * A whole register map instead of the preset: contracts.md §4 entries whose names say what they
 * hold (status, nozzle, nozzleOut, volume, amount, unitPrice, flow, alarm, volumeDecimals,
 * amountDecimals, unitPriceDecimals, volumeTotal[.N], amountTotal[.N]; any other name is read as an
 * extra channel), plus the status codes (default: DART numbering) and commands (default: none).
 */
export const dispenserMapSchema = z.object({
  registers: registerMapSchema.shape.registers,
  maxGap: registerMapSchema.shape.maxGap,
  maxRegistersPerRequest: registerMapSchema.shape.maxRegistersPerRequest,
  statusCodes: statusCodesSchema.optional(),
  commands: z.partialRecord(z.enum(DISPENSER_COMMANDS), commandSchema).default({}),
});
export type DispenserMapInput = z.input<typeof dispenserMapSchema>;

/** What decides the register layout (shared by the device config and `decodeFrame`'s options). */
export const layoutOptionsShape = {
  preset: z.enum(DISPENSER_PRESET_IDS as [DispenserPresetId, ...DispenserPresetId[]]).default('default'),
  /** Logical nozzles whose totalizers the preset's totalizer block is read for (default [1]). */
  nozzles: z
    .array(z.number().int().min(1).max(15))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'nozzles must be distinct')
    .optional(),
  /** Word order of every 32/64-bit register of the preset (an override's own `order` wins). */
  wordOrder: wordOrderSchema.optional(),
  overrides: presetOverridesSchema.default({}),
  map: dispenserMapSchema.optional(),
};
export const layoutOptionsSchema = z.object(layoutOptionsShape);
export type DispenserLayoutOptions = z.output<typeof layoutOptionsSchema>;

export const dispenserModbusConfigSchema = modbusDeviceSchema
  .extend({
    ...layoutOptionsShape,
    /** How long a command may take to show in the status register. */
    commandTimeoutMs: z.number().int().positive().max(60_000).default(2000),
  })
  .superRefine((config, ctx) => {
    checkModbusEndpoint(config, ctx);
    const resolved = resolveDispenserMap(config);
    if (!resolved.ok) ctx.addIssue({ code: 'custom', path: resolved.path, message: resolved.message });
  });
export type DispenserModbusConfig = z.output<typeof dispenserModbusConfigSchema>;

/** The layout the engine reads: named register entries, status codes and commands. */
export interface DispenserMap extends RegisterMap {
  statusCodes: Readonly<Record<string, DispenserStateWord>>;
  commands: Readonly<Partial<Record<DispenserCommand, CommandSpec>>>;
}

export type ResolvedMap =
  | { ok: true; map: DispenserMap }
  | { ok: false; path: (string | number)[]; message: string };

const WIDE_TYPES = new Set(['int32', 'uint32', 'float32', 'float64']);
const INTEGER_TYPES = new Set(['int16', 'uint16', 'int32', 'uint32']);
const isWide = (type: string) => WIDE_TYPES.has(type);
const DECIMALS_NAMES: ReadonlySet<string> = new Set(DECIMALS_ROLES);

/** Names of the totalizer readings: `volumeTotal`, `volumeTotal.2`, `amountTotal.2`. */
export const TOTAL_NAME = /^(volume|amount)Total(?:\.(\d+))?$/;

/** The decimals register that gives an entry its decimal places, by the entry's name. */
export function decimalsRoleOf(
  name: string,
): 'volumeDecimals' | 'amountDecimals' | 'unitPriceDecimals' | undefined {
  if (name === 'unitPrice') return 'unitPriceDecimals';
  const quantity = name === 'volume' || name === 'amount' ? name : TOTAL_NAME.exec(name)?.[1];
  return quantity === undefined ? undefined : (`${quantity}Decimals` as 'volumeDecimals' | 'amountDecimals');
}

type RawEntry = Record<string, unknown> & { name: string; type: string };

function resolution(
  base: Pick<LayoutRegister, 'decimals' | 'scale'> | undefined,
  override: { decimals?: number | undefined; scale?: string | undefined },
  type: string,
): { decimals?: number; scale?: string } {
  if (type === 'bool') return {};
  // A resolution given in the override replaces the preset's as a whole.
  const from = override.decimals !== undefined || override.scale !== undefined ? override : (base ?? {});
  return {
    ...(from.decimals !== undefined ? { decimals: from.decimals } : {}),
    ...(from.scale !== undefined ? { scale: from.scale } : {}),
  };
}

function orderFor(
  type: string,
  override: string | undefined,
  base: Pick<LayoutRegister, 'type' | 'order'> | undefined,
  wordOrder: string | undefined,
): string {
  if (override !== undefined) return override;
  if (isWide(type)) return wordOrder ?? (base && isWide(base.type) && base.order ? base.order : 'ABCD');
  return base && !isWide(base.type) && base.order ? base.order : 'AB';
}

function mergeRegister(
  role: RegisterRole,
  base: LayoutRegister | undefined,
  override: RegisterOverride | undefined,
  wordOrder: string | undefined,
): RawEntry | string | undefined {
  const change = override ?? {};
  const address = change.address ?? base?.address;
  if (address === undefined) return `address is required (the preset has no ${role} register)`;
  const type = change.type ?? base?.type ?? (role === 'nozzleOut' ? 'bool' : 'uint16');
  const bit = change.bit ?? (type === 'bool' ? base?.bit : undefined);
  return {
    name: role,
    table: change.table ?? base?.table ?? 'holding',
    address,
    type,
    order: orderFor(type, change.order, base, wordOrder),
    ...(bit !== undefined ? { bit } : {}),
    ...resolution(base, change, type),
    unit: change.unit ?? base?.unit ?? '',
  };
}

function mergeTotalizerValue(
  base: TotalizerValue,
  override: z.output<typeof totalizerValueOverrideSchema> | undefined,
  wordOrder: string | undefined,
): TotalizerValue {
  const change = override ?? {};
  const type = change.type ?? base.type;
  return {
    offset: change.offset ?? base.offset,
    type,
    order: orderFor(type, change.order, base, wordOrder) as TotalizerValue['order'],
    ...resolution(base, change, type),
    unit: change.unit ?? base.unit ?? '',
  };
}

function mergeTotals(
  base: TotalizerBlock | undefined,
  override: z.output<typeof totalsOverrideSchema> | null | undefined,
  wordOrder: string | undefined,
): TotalizerBlock | string | undefined {
  if (override === null) return undefined;
  if (!base && !override) return undefined;
  const change = override ?? {};
  const fallback: TotalizerValue = { offset: 0, type: 'uint32', order: 'ABCD', unit: '' };
  const baseOf = change.base ?? base?.base;
  if (baseOf === undefined) return 'base is required (the preset has no totalizer block)';
  return {
    table: change.table ?? base?.table ?? 'holding',
    base: baseOf,
    stride: change.stride ?? base?.stride ?? 4,
    volume: mergeTotalizerValue(base?.volume ?? fallback, change.volume, wordOrder),
    amount: mergeTotalizerValue(base?.amount ?? { ...fallback, offset: 2 }, change.amount, wordOrder),
  };
}

/**
 * A total without a resolution of its own and without a decimals register takes the fixed
 * resolution of `volume` (or `amount`): a site that fixes `volume.decimals` need not repeat it for
 * every nozzle's totalizer.
 */
function inheritResolution(entries: RawEntry[]): RawEntry[] {
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  return entries.map((entry) => {
    const match = TOTAL_NAME.exec(entry.name);
    if (!match || entry.decimals !== undefined || entry.scale !== undefined) return entry;
    if (byName.has(`${match[1]}Decimals`)) return entry;
    const live = byName.get(match[1]!);
    if (!live || (live.decimals === undefined && live.scale === undefined)) return entry;
    return {
      ...entry,
      ...(live.decimals !== undefined ? { decimals: live.decimals } : {}),
      ...(live.scale !== undefined ? { scale: live.scale } : {}),
    };
  });
}

interface Candidate {
  entries: RawEntry[];
  /** Config path of each entry, for error messages. */
  origins: (string | number)[][];
  maxGap: number;
  maxRegistersPerRequest: number;
  statusCodes: Record<string, DispenserStateWord>;
  commands: Partial<Record<DispenserCommand, CommandSpec>>;
}

function fromPreset(
  options: DispenserLayoutOptions,
): Candidate | { path: (string | number)[]; message: string } {
  const preset: DispenserPreset = DISPENSER_PRESETS[options.preset];
  const overrides = options.overrides;
  const entries: RawEntry[] = [];
  const origins: (string | number)[][] = [];
  for (const role of REGISTER_ROLES) {
    const override = overrides[role];
    if (override === null) continue;
    const base = preset.registers[role];
    if (!base && override === undefined) continue;
    const merged = mergeRegister(role, base, override, options.wordOrder);
    if (typeof merged === 'string') return { path: ['overrides', role, 'address'], message: merged };
    if (merged) {
      entries.push(merged);
      origins.push(['overrides', role]);
    }
  }
  const totals = mergeTotals(preset.totals, overrides.totals, options.wordOrder);
  if (typeof totals === 'string') return { path: ['overrides', 'totals', 'base'], message: totals };
  if (totals) {
    for (const nozzle of options.nozzles ?? [1]) {
      const start = totals.base + totals.stride * (nozzle - 1);
      for (const what of ['volume', 'amount'] as const) {
        const { offset, ...value } = totals[what];
        entries.push({
          name: `${what}Total.${nozzle}`,
          table: totals.table,
          address: start + offset,
          ...value,
        });
        origins.push(['overrides', 'totals', what]);
      }
    }
  }
  const commands: Partial<Record<DispenserCommand, CommandSpec>> = { ...preset.commands };
  for (const [name, command] of Object.entries(overrides.commands ?? {})) {
    const key = name as DispenserCommand;
    if (command === null) delete commands[key];
    else if (command) commands[key] = command;
  }
  return {
    entries,
    origins,
    maxGap: overrides.maxGap ?? preset.maxGap,
    maxRegistersPerRequest: MAX_REGISTERS_PER_REQUEST,
    statusCodes: { ...preset.statusCodes, ...overrides.statusCodes },
    commands,
  };
}

function fromMap(
  options: DispenserLayoutOptions,
): Candidate | { path: (string | number)[]; message: string } {
  const map = options.map!;
  const overridden = Object.keys(options.overrides).length > 0;
  if (overridden || options.wordOrder !== undefined || options.nozzles !== undefined) {
    return {
      path: ['map'],
      message: 'map replaces the preset as a whole; give overrides, wordOrder and nozzles only without map',
    };
  }
  return {
    entries: map.registers.map((entry) => ({ ...entry })),
    origins: map.registers.map((_, index) => ['map', 'registers', index]),
    maxGap: map.maxGap,
    maxRegistersPerRequest: map.maxRegistersPerRequest,
    statusCodes: map.statusCodes ?? DART_STATUS_CODES,
    commands: map.commands,
  };
}

/**
 * The register map a configuration describes, or the config path at fault and why. Pure; the
 * config schema calls it so that every problem is reported at parse time with its path.
 */
export function resolveDispenserMap(options: DispenserLayoutOptions): ResolvedMap {
  const candidate = options.map ? fromMap(options) : fromPreset(options);
  if ('message' in candidate) return { ok: false, ...candidate };
  const where = options.map ? ['map', 'registers'] : ['overrides'];
  const names = new Set(candidate.entries.map((entry) => entry.name));
  for (const required of ['status', 'volume']) {
    if (!names.has(required)) {
      return {
        ok: false,
        path: options.map ? where : [...where, required],
        message: `the map needs a ${required} register`,
      };
    }
  }
  const entries = inheritResolution(candidate.entries);
  for (const [index, entry] of entries.entries()) {
    const needsInteger =
      entry.name === 'status' ||
      entry.name === 'nozzle' ||
      entry.name === 'alarm' ||
      DECIMALS_NAMES.has(entry.name);
    if (needsInteger && !INTEGER_TYPES.has(entry.type)) {
      return {
        ok: false,
        path: [...candidate.origins[index]!, 'type'],
        message: `${entry.name} holds an integer code; its type must be int16, uint16, int32 or uint32, not ${entry.type}`,
      };
    }
  }
  const parsed = registerMapSchema.safeParse({
    registers: entries,
    maxGap: candidate.maxGap,
    maxRegistersPerRequest: candidate.maxRegistersPerRequest,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [first, index, ...rest] = issue.path;
    const path =
      first === 'registers' && typeof index === 'number'
        ? [...candidate.origins[index]!, ...rest]
        : options.map
          ? ['map', ...issue.path]
          : ['overrides', ...issue.path];
    return { ok: false, path: path as (string | number)[], message: issue.message };
  }
  return {
    ok: true,
    map: { ...parsed.data, statusCodes: candidate.statusCodes, commands: candidate.commands },
  };
}

/** Channels a map yields as readings: every entry except the decimals registers. */
export function readingEntries(map: Pick<RegisterMap, 'registers'>): RegisterEntry[] {
  return map.registers.filter((entry) => !DECIMALS_NAMES.has(entry.name));
}
