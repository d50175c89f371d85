/**
 * Configuration of a Modbus weighing transmitter: the bus and unit, a preset register layout, the
 * unit and resolution of the weight, and overrides for any address, bit or command of the preset.
 */
import { z } from 'zod';
import { checkModbusEndpoint, modbusDeviceSchema } from '../definition.js';
import { BYTE_ORDERS, decimalInputSchema, MAX_REGISTERS_PER_REQUEST } from '../modbus/config.js';
import {
  type CommandSpec,
  SCALE_COMMANDS,
  SCALE_PRESET_IDS,
  SCALE_PRESETS,
  type ScalePreset,
  type ScalePresetId,
  STATUS_FLAGS,
  type StatusFlag,
  type WeightRegisterSpec,
} from './presets.js';

const tableSchema = z.enum(['holding', 'input']);
const addressSchema = z.number().int().min(0).max(65535);
const bitSchema = z.number().int().min(0).max(15);

const weightOverrideSchema = z
  .object({
    table: tableSchema,
    address: addressSchema,
    type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64']),
    order: z.enum(BYTE_ORDERS),
    /** null: the registers are two's complement only. */
    signBit: bitSchema.nullable(),
  })
  .partial();

const statusFlagSchema = z.object({ bit: bitSchema, active: z.union([z.literal(0), z.literal(1)]) });

const statusOverrideSchema = z
  .object({
    table: tableSchema,
    address: addressSchema,
    /** Per flag: a bit, or null to ignore a flag the preset has. */
    flags: z.partialRecord(z.enum(STATUS_FLAGS), statusFlagSchema.nullable()),
  })
  .partial();

const commandSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('register-value'),
    address: addressSchema,
    value: z.number().int().min(0).max(65535),
  }),
  z.object({ kind: z.literal('register-bit-edge'), address: addressSchema, bit: bitSchema }),
  z.object({ kind: z.literal('coil'), address: addressSchema, value: z.boolean().default(true) }),
]);

export const presetOverridesSchema = z
  .object({
    weight: weightOverrideSchema,
    /** null: the device has no gross register. */
    gross: weightOverrideSchema.nullable(),
    status: statusOverrideSchema.nullable(),
    decimalsRegister: z.object({ table: tableSchema.default('holding'), address: addressSchema }).nullable(),
    /** Per command: how to send it, or null to refuse it. */
    commands: z.partialRecord(z.enum(SCALE_COMMANDS), commandSchema.nullable()),
    maxGap: z.number().int().min(0).max(MAX_REGISTERS_PER_REQUEST),
  })
  .partial();
export type PresetOverrides = z.output<typeof presetOverridesSchema>;

export const scaleModbusConfigSchema = modbusDeviceSchema
  .extend({
    preset: z.enum(SCALE_PRESET_IDS as [ScalePresetId, ...ScalePresetId[]]).default('generic'),
    /** Unit of the weight as the indicator is set up (the registers do not say). */
    unit: z.string().min(1).default('kg'),
    /**
     * Integer weights: implied decimal places (raw 1235 with 2 → "12.35"). Float weights: the display
     * resolution the value is rounded to ("0.1" → "0.10"). Default: the preset's decimals register.
     */
    decimals: z.number().int().min(0).max(9).optional(),
    /** Integer weights: value × scale instead of `decimals` (e.g. "0.05" for a 5 g step in kg). */
    scale: decimalInputSchema.optional(),
    /** Extra channels besides `weight`: `gross`, `zero` (centre-of-zero flag), `status` (raw word). */
    channels: z.array(z.enum(['gross', 'zero', 'status'])).default([]),
    overrides: presetOverridesSchema.default({}),
  })
  .superRefine((config, ctx) => {
    checkModbusEndpoint(config, ctx);
    if (config.decimals !== undefined && config.scale !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['scale'], message: 'give either decimals or scale, not both' });
    }
    let preset: ScalePreset;
    try {
      preset = resolvePreset(config.preset, config.overrides);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['overrides'], message: (error as Error).message });
      return;
    }
    if (config.channels.includes('gross') && !preset.gross) {
      ctx.addIssue({
        code: 'custom',
        path: ['channels'],
        message: `preset ${config.preset} has no gross register; add overrides.gross`,
      });
    }
    if (config.channels.includes('zero') && !preset.status?.flags.zero) {
      ctx.addIssue({
        code: 'custom',
        path: ['channels'],
        message: `preset ${config.preset} has no centre-of-zero flag; add overrides.status.flags.zero`,
      });
    }
    if (config.channels.includes('status') && !preset.status) {
      ctx.addIssue({
        code: 'custom',
        path: ['channels'],
        message: `preset ${config.preset} has no status register`,
      });
    }
  });

export type ScaleModbusConfig = z.output<typeof scaleModbusConfigSchema>;

function mergeWeight(
  base: WeightRegisterSpec | undefined,
  override: z.output<typeof weightOverrideSchema>,
  what: string,
): WeightRegisterSpec {
  const address = override.address ?? base?.address;
  if (address === undefined)
    throw new Error(`${what}.address is required (the preset has no ${what} register)`);
  const type = override.type ?? base?.type ?? 'int32';
  const wide = type === 'int32' || type === 'uint32' || type === 'float32' || type === 'float64';
  const order = override.order ?? base?.order ?? (wide ? 'ABCD' : 'AB');
  if (wide && (order === 'AB' || order === 'BA'))
    throw new Error(`${what}.order: ${type} needs ABCD, CDAB, BADC or DCBA`);
  const signBit = override.signBit === null ? undefined : (override.signBit ?? base?.signBit);
  return { table: override.table ?? base?.table ?? 'holding', address, type, order, signBit };
}

/** The preset with the config's overrides applied. Throws (with the field named) on a gap. */
export function resolvePreset(id: ScalePresetId, overrides: PresetOverrides = {}): ScalePreset {
  const preset: ScalePreset = SCALE_PRESETS[id];
  const weight = overrides.weight ? mergeWeight(preset.weight, overrides.weight, 'weight') : preset.weight;
  const gross =
    overrides.gross === null
      ? undefined
      : overrides.gross
        ? mergeWeight(preset.gross ?? { ...weight, signBit: undefined }, overrides.gross, 'gross')
        : preset.gross;
  let status = preset.status;
  if (overrides.status === null) status = undefined;
  else if (overrides.status) {
    const address = overrides.status.address ?? status?.address;
    if (address === undefined)
      throw new Error('status.address is required (the preset has no status register)');
    const flags: Partial<Record<(typeof STATUS_FLAGS)[number], StatusFlag>> = { ...(status?.flags ?? {}) };
    for (const [name, flag] of Object.entries(overrides.status.flags ?? {})) {
      const key = name as (typeof STATUS_FLAGS)[number];
      if (flag === null) delete flags[key];
      else if (flag) flags[key] = flag;
    }
    status = { table: overrides.status.table ?? status?.table ?? 'holding', address, flags };
  }
  const decimalsRegister =
    overrides.decimalsRegister === null ? undefined : (overrides.decimalsRegister ?? preset.decimalsRegister);
  const commands: Partial<Record<(typeof SCALE_COMMANDS)[number], CommandSpec>> = { ...preset.commands };
  for (const [name, command] of Object.entries(overrides.commands ?? {})) {
    const key = name as (typeof SCALE_COMMANDS)[number];
    if (command === null) delete commands[key];
    else if (command) commands[key] = command;
  }
  return {
    ...preset,
    weight,
    gross,
    status,
    decimalsRegister,
    commands,
    maxGap: overrides.maxGap ?? preset.maxGap,
  };
}
