/**
 * Register layouts of dispensers and flow computers, as data. No common Modbus register map for fuel
 * dispensers is known (device-protocols.md §2.6, UNCONFIRMED that one exists), so the only preset is
 * metrogate's own documented layout; every address, type, order, scale and command of it can be
 * overridden in the device config, or the whole map replaced (`map`).
 *
 * Addresses are 0-based PDU addresses (what goes on the wire; "40001" is 0).
 */
import type { ByteOrder } from '../modbus/config.js';

/** Pump states in words, as DispenserTransaction.status reports them. */
export const DISPENSER_STATES = [
  'not-programmed',
  'reset',
  'authorized',
  'filling',
  'completed',
  'max-reached',
  'switched-off',
  'suspended',
] as const;
export type DispenserStateWord = (typeof DISPENSER_STATES)[number];

export const DISPENSER_COMMANDS = ['reset', 'authorize', 'stop'] as const;
export type DispenserCommand = (typeof DISPENSER_COMMANDS)[number];

/** Registers that become readings of their own name. */
export const READING_ROLES = [
  'status',
  'nozzle',
  'nozzleOut',
  'volume',
  'amount',
  'unitPrice',
  'flow',
  'alarm',
] as const;
/** Registers that give the decimal places of integer values (never readings). */
export const DECIMALS_ROLES = ['volumeDecimals', 'amountDecimals', 'unitPriceDecimals'] as const;
export const REGISTER_ROLES = [...READING_ROLES, ...DECIMALS_ROLES] as const;
export type ReadingRole = (typeof READING_ROLES)[number];
export type DecimalsRole = (typeof DECIMALS_ROLES)[number];
export type RegisterRole = (typeof REGISTER_ROLES)[number];

export type LayoutType = 'bool' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

/** One register (or run of registers) of a layout, in the terms of the shared register map. */
export interface LayoutRegister {
  table: 'holding' | 'input';
  address: number;
  type: LayoutType;
  order?: ByteOrder | undefined;
  /** bool: the bit of the 16-bit word. */
  bit?: number | undefined;
  /** Fixed implied decimals (integers) or display resolution (floats); else the decimals register. */
  decimals?: number | undefined;
  scale?: string | undefined;
  unit?: string | undefined;
}

/** A totalizer value inside one nozzle's block: `offset` registers from the block start. */
export type TotalizerValue = Omit<LayoutRegister, 'table' | 'address' | 'bit'> & { offset: number };

/**
 * Non-resettable totalizers, one block per logical nozzle: nozzle n starts at
 * `base + stride × (n − 1)`. Which nozzles are read is the config's `nozzles`.
 */
export interface TotalizerBlock {
  table: 'holding' | 'input';
  base: number;
  stride: number;
  volume: TotalizerValue;
  amount: TotalizerValue;
}

export type CommandSpec =
  /** FC 6: write `value` to a command register. */
  | { kind: 'register-value'; address: number; value: number }
  /** FC 6 twice: clear the register, then set `bit`, for devices that act on a 0→1 edge. */
  | { kind: 'register-bit-edge'; address: number; bit: number }
  /** FC 5: write a coil. */
  | { kind: 'coil'; address: number; value: boolean };

export interface DispenserPreset {
  id: string;
  title: string;
  sources: string[];
  /** Details that are a design choice or a guess rather than a device's documented map. */
  unconfirmed: string[];
  registers: Partial<Record<RegisterRole, LayoutRegister>>;
  totals?: TotalizerBlock | undefined;
  /** Status register value → pump state. */
  statusCodes: Record<string, DispenserStateWord>;
  commands: Partial<Record<DispenserCommand, CommandSpec>>;
  /** Registers of a hole that may be read to merge two requests. */
  maxGap: number;
}

/**
 * The pump states numbered as the Wayne DART DC1 transaction numbers them (reference §2.1), so that
 * a DART-to-Modbus converter can pass the byte through unchanged.
 */
export const DART_STATUS_CODES: Record<string, DispenserStateWord> = {
  '0': 'not-programmed',
  '1': 'reset',
  '2': 'authorized',
  '4': 'filling',
  '5': 'completed',
  '6': 'max-reached',
  '7': 'switched-off',
  '8': 'suspended',
};

/** Unsigned 32-bit counts, high word first: the usual shape of a meter register (§1.6, §2.6). */
const counts = (address: number, unit: string): LayoutRegister => ({
  table: 'holding',
  address,
  type: 'uint32',
  order: 'ABCD',
  unit,
});

export const DISPENSER_PRESETS = {
  default: {
    id: 'default',
    title: "metrogate's reference layout for a dispenser or flow computer",
    sources: [
      'device-protocols.md §2.6: no common dispenser register map; represent volume, amount, unit price, totalizer, flow and nozzle status with configurable registers',
      'device-protocols.md §1.6 practical rules: 32-bit integers, a decimals register, a status word, a command register',
      'device-protocols.md §2.1: DART DC1 status numbers and CD1 command codes (05 reset, 06 authorize, 08 stop), reused as values',
    ],
    unconfirmed: [
      'the whole layout is a design, not a vendor document: configure a real device with `overrides` or `map`',
      'totalizers are 32-bit counts: 42 949 672.95 at two decimals before they wrap',
    ],
    registers: {
      status: { table: 'holding', address: 0, type: 'uint16', order: 'AB' },
      nozzle: { table: 'holding', address: 1, type: 'uint16', order: 'AB' },
      // Register 2 is a flag word: b0 nozzle out, b1 product flowing, b2 alarm active.
      nozzleOut: { table: 'holding', address: 2, type: 'bool', order: 'AB', bit: 0 },
      volumeDecimals: { table: 'holding', address: 3, type: 'uint16', order: 'AB' },
      amountDecimals: { table: 'holding', address: 4, type: 'uint16', order: 'AB' },
      unitPriceDecimals: { table: 'holding', address: 5, type: 'uint16', order: 'AB' },
      volume: counts(6, 'L'),
      amount: counts(8, 'CNY'),
      unitPrice: counts(10, 'CNY/L'),
      flow: { ...counts(12, 'L/min'), decimals: 2 },
      alarm: { table: 'holding', address: 14, type: 'uint16', order: 'AB' },
    },
    totals: {
      table: 'holding',
      base: 100,
      stride: 4,
      volume: { offset: 0, type: 'uint32', order: 'ABCD', unit: 'L' },
      amount: { offset: 2, type: 'uint32', order: 'ABCD', unit: 'CNY' },
    },
    statusCodes: DART_STATUS_CODES,
    commands: {
      reset: { kind: 'register-value', address: 15, value: 5 },
      authorize: { kind: 'register-value', address: 15, value: 6 },
      stop: { kind: 'register-value', address: 15, value: 8 },
    },
    maxGap: 2,
  },
} as const satisfies Record<string, DispenserPreset>;

export type DispenserPresetId = keyof typeof DISPENSER_PRESETS;
export const DISPENSER_PRESET_IDS = Object.keys(DISPENSER_PRESETS) as DispenserPresetId[];
