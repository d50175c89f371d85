/**
 * Register layouts of real weighing transmitters, as data. Each preset cites where its addresses
 * come from and lists what was inferred rather than read in a manual; every address, bit and
 * command can be overridden in the device config (`overrides`), so a site with another firmware
 * needs no code change.
 *
 * Addresses are 0-based PDU addresses: the manuals' "4xxxx" register numbers minus 40001.
 */
import type { ByteOrder } from '../modbus/config.js';

export type WeightType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export interface WeightRegisterSpec {
  table: 'holding' | 'input';
  address: number;
  type: WeightType;
  order: ByteOrder;
  /**
   * Bit of the status word that marks the value negative when the registers hold a magnitude.
   * A two's-complement negative value is taken as it is, so both encodings read correctly.
   */
  signBit?: number | undefined;
}

/** A condition of the status word: true when `bit` reads `active`. */
export interface StatusFlag {
  bit: number;
  active: 0 | 1;
}

export const STATUS_FLAGS = ['unstable', 'overload', 'underload', 'zero', 'invalid'] as const;
export type StatusFlagName = (typeof STATUS_FLAGS)[number];

export interface StatusSpec {
  table: 'holding' | 'input';
  address: number;
  /**
   * unstable/overload/underload set the weight's quality; zero is the centre-of-zero indicator;
   * invalid (weight data not OK) makes the weight `comm-error`.
   */
  flags: Partial<Record<StatusFlagName, StatusFlag>>;
}

export type CommandSpec =
  /** FC 6: write `value` to a command register. */
  | { kind: 'register-value'; address: number; value: number }
  /** FC 6 twice: clear the register, then set `bit`, for devices that act on a 0→1 edge. */
  | { kind: 'register-bit-edge'; address: number; bit: number }
  /** FC 5: write a coil. */
  | { kind: 'coil'; address: number; value: boolean };

export const SCALE_COMMANDS = ['zero', 'tare', 'clearTare'] as const;
export type ScaleCommand = (typeof SCALE_COMMANDS)[number];

export interface ScalePreset {
  id: string;
  title: string;
  /** Where the layout comes from (reference section and the manual page it cites). */
  sources: string[];
  /** Details inferred rather than read in the manual: verify them on a real device. */
  unconfirmed: string[];
  /** The displayed (net) weight, the `weight` channel. */
  weight: WeightRegisterSpec;
  gross?: WeightRegisterSpec | undefined;
  status?: StatusSpec | undefined;
  /** A register holding the number of decimals of integer weights. */
  decimalsRegister?: { table: 'holding' | 'input'; address: number } | undefined;
  commands: Partial<Record<ScaleCommand, CommandSpec>>;
  /** Registers of a hole the preset may read across to merge requests (0: never read holes). */
  maxGap: number;
}

export const SCALE_PRESETS = {
  dgt4x: {
    id: 'dgt4x',
    title: 'Dini Argeo DGT4X multiscale weight transmitter',
    sources: [
      'device-protocols.md §1.6, Dini Argeo DGT4X row: easymanua.ls/dini-argeo/dgt4x/manual/39685?p=58',
    ],
    unconfirmed: [
      'gross and net are two registers each, high word first (ABCD); inferred from a flattened table',
      'the weight is an integer in display counts; its decimals come from the config (`decimals` or `scale`)',
      "whether negative weights are two's complement or a magnitude with the sign bits b0 (gross) / b5 (net); both are read correctly",
      'no command register is listed: zero/tare need `overrides.commands`',
    ],
    weight: { table: 'holding', address: 213, type: 'int32', order: 'ABCD', signBit: 5 },
    gross: { table: 'holding', address: 202, type: 'int32', order: 'ABCD', signBit: 0 },
    status: {
      table: 'holding',
      address: 201,
      flags: {
        unstable: { bit: 1, active: 0 },
        underload: { bit: 2, active: 1 },
        overload: { bit: 3, active: 1 },
        zero: { bit: 4, active: 1 },
      },
    },
    commands: {},
    maxGap: 0,
  },
  id551pn: {
    id: 'id551pn',
    title: 'Tuna ID551PN weighing indicator (PROFINET/Modbus)',
    sources: [
      'device-protocols.md §1.6, Tuna ID551PN row: manualshive.com/ru/manual/tuna/id551pn/1179943?page=22',
    ],
    unconfirmed: [
      'word order of the floats (ABCD assumed)',
      'b9 "under zero" is read as underload (it may mean any negative indication)',
      'demand bits are written alone (other bits of 40006 written as 0) and left set until the next command',
    ],
    weight: { table: 'holding', address: 0, type: 'float32', order: 'ABCD' },
    gross: { table: 'holding', address: 2, type: 'float32', order: 'ABCD' },
    status: {
      table: 'holding',
      address: 4,
      flags: {
        zero: { bit: 8, active: 1 },
        underload: { bit: 9, active: 1 },
        overload: { bit: 10, active: 1 },
        unstable: { bit: 12, active: 1 },
        invalid: { bit: 15, active: 0 },
      },
    },
    commands: {
      zero: { kind: 'register-bit-edge', address: 5, bit: 11 },
      tare: { kind: 'register-bit-edge', address: 5, bit: 12 },
      clearTare: { kind: 'register-bit-edge', address: 5, bit: 13 },
    },
    maxGap: 0,
  },
  generic: {
    id: 'generic',
    title: "metrogate's reference layout (for indicators whose map can be configured)",
    sources: [
      'metrogate simulator layout; practical rules of device-protocols.md §1.6 (int32 weights, decimals register, status word, command register)',
    ],
    unconfirmed: [],
    weight: { table: 'holding', address: 0, type: 'int32', order: 'ABCD' },
    gross: { table: 'holding', address: 2, type: 'int32', order: 'ABCD' },
    status: {
      table: 'holding',
      address: 6,
      flags: {
        unstable: { bit: 0, active: 0 },
        overload: { bit: 1, active: 1 },
        underload: { bit: 2, active: 1 },
        zero: { bit: 3, active: 1 },
      },
    },
    decimalsRegister: { table: 'holding', address: 7 },
    commands: {
      zero: { kind: 'register-value', address: 8, value: 1 },
      tare: { kind: 'register-value', address: 8, value: 2 },
      clearTare: { kind: 'register-value', address: 8, value: 3 },
    },
    // Every register of this layout is readable, so the tare registers between gross and status
    // are read rather than costing a second request.
    maxGap: 4,
  },
} as const satisfies Record<string, ScalePreset>;

export type ScalePresetId = keyof typeof SCALE_PRESETS;
export const SCALE_PRESET_IDS = Object.keys(SCALE_PRESETS) as ScalePresetId[];
