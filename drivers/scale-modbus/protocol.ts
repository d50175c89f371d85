/**
 * Pure decoding of a weighing transmitter's registers: the preset's registers as a register map for
 * the shared Modbus engine, then the weight with its resolution and sign, and the quality from the
 * status word. No I/O; nothing here throws on device data.
 */
import { z } from 'zod';
import type { Quality } from '../contract.js';
import { Dec, decimalPlaces, formatFixed, powerOfTenExponent, shiftIntegerText } from '../decimal.js';
import { type DecodeResult, decoded, rejected } from '../decode-result.js';
import { formatIssues, type RegisterEntry, type RegisterMap } from '../modbus/config.js';
import { decodeRegisterBlock } from '../modbus/protocol.js';
import { presetOverridesSchema, resolvePreset, scaleModbusConfigSchema } from './config.js';
import type { CommandSpec, ScalePreset, StatusFlag, StatusFlagName } from './presets.js';

/** How integer weights get their decimal point, and floats their display resolution. */
export interface WeightResolution {
  decimals?: number | undefined;
  scale?: string | undefined;
}

/** Register-map names of the preset's registers. */
export const SCALE_REGISTERS = {
  weight: 'weight',
  gross: 'gross',
  status: 'status',
  decimals: 'decimals',
} as const;

/**
 * The preset's registers as a map for the shared engine. Weights are read raw (integers as counts,
 * floats as their shortest text); resolution and sign are applied by `decodeScaleValues`.
 */
export function scaleRegisterMap(preset: ScalePreset, options: { gross: boolean }): RegisterMap {
  const registers: RegisterEntry[] = [
    { name: SCALE_REGISTERS.weight, unit: '', ...weightEntry(preset.weight) },
  ];
  if (options.gross && preset.gross) {
    registers.push({ name: SCALE_REGISTERS.gross, unit: '', ...weightEntry(preset.gross) });
  }
  if (preset.status) {
    registers.push({
      name: SCALE_REGISTERS.status,
      unit: '',
      table: preset.status.table,
      address: preset.status.address,
      type: 'uint16',
      order: 'AB',
    });
  }
  if (preset.decimalsRegister) {
    registers.push({
      name: SCALE_REGISTERS.decimals,
      unit: '',
      table: preset.decimalsRegister.table,
      address: preset.decimalsRegister.address,
      type: 'uint16',
      order: 'AB',
    });
  }
  return {
    registers,
    maxGap: preset.maxGap,
    maxRegistersPerRequest: 125,
    maxBitsPerRequest: 2000,
    quality: [],
  };
}

function weightEntry(
  spec: ScalePreset['weight'],
): Pick<RegisterEntry, 'table' | 'address' | 'type' | 'order'> {
  return { table: spec.table, address: spec.address, type: spec.type, order: spec.order };
}

export function flagSet(status: number, flag: StatusFlag | undefined): boolean {
  return flag !== undefined && ((status >> flag.bit) & 1) === flag.active;
}

/** Quality of the weight from the status word: invalid, overload, underload, motion, in that order. */
export function qualityFromStatus(
  status: number | undefined,
  flags: Partial<Record<StatusFlagName, StatusFlag>>,
): Quality {
  if (status === undefined) return 'good';
  if (flagSet(status, flags.invalid)) return 'comm-error';
  if (flagSet(status, flags.overload)) return 'overload';
  if (flagSet(status, flags.underload)) return 'underload';
  if (flagSet(status, flags.unstable)) return 'unstable';
  return 'good';
}

const isIntegerType = (type: string) => type !== 'float32' && type !== 'float64';

/**
 * A raw weight (integer counts or float text) in the device's resolution: the sign bit makes a
 * magnitude negative, integers get their decimal point, floats are rounded to `decimals`.
 */
export function applyResolution(
  raw: string,
  spec: Pick<ScalePreset['weight'], 'type' | 'signBit'>,
  status: number | undefined,
  resolution: WeightResolution,
): string {
  const negate = spec.signBit !== undefined && status !== undefined && ((status >> spec.signBit) & 1) === 1;
  if (isIntegerType(spec.type) && /^-?\d+$/.test(raw)) {
    // Integer counts: moving the decimal point is exact and cheap (this runs on every poll).
    const magnitudeFirst = negate && !raw.startsWith('-') ? `-${raw}` : raw;
    const exponent = resolution.scale === undefined ? 0 : powerOfTenExponent(resolution.scale);
    if (exponent !== undefined) {
      const decimals = resolution.scale === undefined ? (resolution.decimals ?? 0) : 0;
      const places = resolution.scale === undefined ? decimals : decimalPlaces(resolution.scale);
      const shifted = shiftIntegerText(BigInt(magnitudeFirst), decimals - exponent, places);
      if (shifted !== undefined) return shifted;
    }
  }
  let value = new Dec(raw);
  if (negate) {
    if (value.isPositive() && !value.isZero()) value = value.negated();
  }
  if (isIntegerType(spec.type)) {
    if (resolution.scale !== undefined) {
      return formatFixed(value.times(resolution.scale), decimalPlaces(resolution.scale));
    }
    const decimals = resolution.decimals ?? 0;
    return formatFixed(value.div(new Dec(10).pow(decimals)), decimals);
  }
  if (resolution.decimals !== undefined) return formatFixed(value, resolution.decimals);
  return formatFixed(value, value.decimalPlaces());
}

export interface ScaleSample {
  weight: string;
  gross?: string;
  unit: string;
  quality: Quality;
  /** Centre of zero, when the preset has the flag. */
  zero?: boolean;
  /** The raw status word, when the preset has one. */
  status?: number;
}

/** Decoded register values by map name → the sample. Rejects when the weight is missing. */
export function decodeScaleValues(
  preset: ScalePreset,
  values: ReadonlyMap<string, string>,
  options: WeightResolution & { unit: string },
): DecodeResult<ScaleSample> {
  const rawWeight = values.get(SCALE_REGISTERS.weight);
  if (rawWeight === undefined) return rejected('MG_ERR_FRAME_GARBLED', 'no weight register value');
  const statusText = values.get(SCALE_REGISTERS.status);
  const status = statusText === undefined ? undefined : Number(statusText);
  if (preset.status && status === undefined)
    return rejected('MG_ERR_FRAME_GARBLED', 'no status register value');
  const resolution: WeightResolution = { decimals: options.decimals, scale: options.scale };
  if (resolution.decimals === undefined && resolution.scale === undefined) {
    const fromDevice = values.get(SCALE_REGISTERS.decimals);
    if (fromDevice !== undefined) {
      const decimals = Number(fromDevice);
      if (!Number.isInteger(decimals) || decimals > 9) {
        return rejected('MG_ERR_DEVICE_ERROR', `decimals register holds ${fromDevice}, not 0–9`);
      }
      resolution.decimals = decimals;
    }
  }
  const sample: ScaleSample = {
    weight: applyResolution(rawWeight, preset.weight, status, resolution),
    unit: options.unit,
    quality: qualityFromStatus(status, preset.status?.flags ?? {}),
  };
  const rawGross = values.get(SCALE_REGISTERS.gross);
  if (rawGross !== undefined && preset.gross) {
    sample.gross = applyResolution(rawGross, preset.gross, status, resolution);
  }
  if (status !== undefined) {
    if (preset.status?.flags.zero) sample.zero = flagSet(status, preset.status.flags.zero);
    sample.status = status;
  }
  return decoded(sample);
}

/** The register writes that send a command: one or more (address, value) pairs, or a coil. */
export function commandWrites(
  command: CommandSpec,
): Array<
  { kind: 'register'; address: number; value: number } | { kind: 'coil'; address: number; value: boolean }
> {
  switch (command.kind) {
    case 'register-value':
      return [{ kind: 'register', address: command.address, value: command.value }];
    case 'register-bit-edge':
      return [
        { kind: 'register', address: command.address, value: 0 },
        { kind: 'register', address: command.address, value: 1 << command.bit },
      ];
    case 'coil':
      return [{ kind: 'coil', address: command.address, value: command.value }];
  }
}

/** Options of `decodeFrame` (a golden case's config.json): the preset and its resolution. */
export const scaleFrameOptionsSchema = z.object({
  preset: scaleModbusConfigSchema.shape.preset,
  unit: z.string().min(1).default('kg'),
  decimals: z.number().int().min(0).max(9).optional(),
  scale: scaleModbusConfigSchema.shape.scale,
  gross: z.boolean().default(true),
  overrides: presetOverridesSchema.default({}),
});

/**
 * Decodes one block of register bytes, read from the lowest address of the preset's registers,
 * into a sample. Never throws.
 */
export function decodeScaleBlock(frame: Uint8Array, options: unknown): DecodeResult<ScaleSample> {
  const parsed = scaleFrameOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) return rejected('MG_ERR_CONFIG_INVALID', formatIssues(parsed.error));
  let preset: ScalePreset;
  try {
    preset = resolvePreset(parsed.data.preset, parsed.data.overrides);
  } catch (error) {
    return rejected('MG_ERR_CONFIG_INVALID', (error as Error).message);
  }
  const map = scaleRegisterMap(preset, { gross: parsed.data.gross });
  const block = decodeRegisterBlock(map, frame);
  if (!block.ok) return block;
  const values = new Map(block.value.map((channel) => [channel.channel, channel.value]));
  return decodeScaleValues(preset, values, parsed.data);
}
