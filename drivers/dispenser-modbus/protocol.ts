/**
 * Pure decoding of a dispenser's registers, on the shared register-map engine: the engine turns
 * register bytes into raw text per named entry, this file gives volumes and amounts their decimal
 * places (from a decimals register unless the map fixes them), the status code its word, readings
 * their quality, and builds the transaction and totalizers of the DispenserDriver. No I/O; nothing
 * here throws on device data.
 */
import type { DispenserTotals, DispenserTransaction, Quality } from '../contract.js';
import { Dec, formatFixed, shiftIntegerText } from '../decimal.js';
import { type DecodeResult, decoded, rejected } from '../decode-result.js';
import type { ErrorCode } from '../errors.js';
import { formatIssues, isBitTable } from '../modbus/config.js';
import { decodeRequest, planMap, type ReadRequest, type RequestData } from '../modbus/protocol.js';
import {
  type DispenserMap,
  decimalsRoleOf,
  layoutOptionsSchema,
  readingEntries,
  resolveDispenserMap,
  TOTAL_NAME,
} from './config.js';
import type { CommandSpec, DispenserCommand } from './presets.js';

export interface DispenserChannel {
  channel: string;
  value: string;
  unit: string;
  quality: Quality;
}

export interface ChannelFailure {
  channel: string;
  code: ErrorCode;
  reason: string;
}

export interface DecodedDispenser {
  channels: DispenserChannel[];
  failures: ChannelFailure[];
}

/** The pump state in words; a code the map does not know reads `unknown-<code>`. */
export function stateOf(code: string, statusCodes: Readonly<Record<string, string>>): string {
  const key = /^\d+$/.test(code) ? String(Number(code)) : code;
  return statusCodes[key] ?? `unknown-${code}`;
}

/** Implied decimals from a decimals register, on a raw integer (or the shortest text of a float). */
export function applyRegisterDecimals(raw: string, decimalsText: string, role: string): DecodeResult<string> {
  const places = Number(decimalsText);
  if (!Number.isInteger(places) || places < 0 || places > 9) {
    return rejected('MG_ERR_DEVICE_ERROR', `${role} register holds ${decimalsText}, not 0–9`);
  }
  if (/^-?\d+$/.test(raw)) {
    const shifted = shiftIntegerText(BigInt(raw), places, places);
    if (shifted !== undefined) return decoded(shifted);
  }
  return decoded(formatFixed(new Dec(raw), places));
}

/** Volume and amount of a delivery that is still running are not final: `unstable`. */
function qualityOf(channel: string, state: string | undefined): Quality {
  return state === 'filling' && (channel === 'volume' || channel === 'amount') ? 'unstable' : 'good';
}

/**
 * The readings of a map from the raw text the engine decoded per entry name. An entry missing from
 * `values` (its request failed) is left out; `unreadable` says why, for the entries whose decimals
 * register is among them.
 */
export function decodeDispenserValues(
  map: DispenserMap,
  values: ReadonlyMap<string, string>,
  unreadable: ReadonlyMap<string, { code: ErrorCode; message: string }> = new Map(),
): DecodedDispenser {
  const channels: DispenserChannel[] = [];
  const failures: ChannelFailure[] = [];
  const names = new Set(map.registers.map((entry) => entry.name));
  const statusRaw = values.get('status');
  const state = statusRaw === undefined ? undefined : stateOf(statusRaw, map.statusCodes);
  for (const entry of readingEntries(map)) {
    const raw = values.get(entry.name);
    if (raw === undefined) continue;
    let value = raw;
    if (entry.name === 'status') value = state!;
    else if (entry.name === 'nozzleOut') value = raw === '0' ? '0' : '1';
    else {
      const role = decimalsRoleOf(entry.name);
      const fixed = entry.decimals !== undefined || entry.scale !== undefined;
      const numeric = entry.type !== 'bool' && entry.type !== 'string' && !isBitTable(entry.table);
      if (role && !fixed && numeric && names.has(role)) {
        const decimals = values.get(role);
        if (decimals === undefined) {
          const why = unreadable.get(role);
          failures.push({
            channel: entry.name,
            code: why?.code ?? 'MG_ERR_DEVICE_ERROR',
            reason: `its decimals register ${role} could not be read${why ? `: ${why.message}` : ''}`,
          });
          continue;
        }
        const result = applyRegisterDecimals(raw, decimals, role);
        if (!result.ok) {
          failures.push({ channel: entry.name, code: result.code, reason: result.reason });
          continue;
        }
        value = result.value;
      }
    }
    channels.push({ channel: entry.name, value, unit: entry.unit, quality: qualityOf(entry.name, state) });
  }
  return { channels, failures };
}

/** The logical nozzle a totalizer reading belongs to; a name without a number is nozzle 1's. */
export function totalNozzleOf(name: string): { nozzle: number; quantity: 'volume' | 'amount' } | undefined {
  const match = TOTAL_NAME.exec(name);
  if (!match) return undefined;
  return { nozzle: match[2] === undefined ? 1 : Number(match[2]), quantity: match[1] as 'volume' | 'amount' };
}

/** Nozzles the map has totalizers for, ascending. */
export function totalizerNozzles(map: Pick<DispenserMap, 'registers'>): number[] {
  const nozzles = new Set<number>();
  for (const entry of map.registers) {
    const total = totalNozzleOf(entry.name);
    if (total) nozzles.add(total.nozzle);
  }
  return [...nozzles].sort((a, b) => a - b);
}

const channelValue = (channels: readonly DispenserChannel[], name: string) =>
  channels.find((channel) => channel.channel === name)?.value;

/** The transaction as the pump shows it; a quantity the map does not have is an empty string. */
export function transactionOf(channels: readonly DispenserChannel[]): DispenserTransaction {
  const nozzle = Number(channelValue(channels, 'nozzle') ?? '0');
  return {
    status: channelValue(channels, 'status') ?? '',
    nozzle: Number.isInteger(nozzle) ? nozzle : 0,
    nozzleOut: channelValue(channels, 'nozzleOut') === '1',
    volume: channelValue(channels, 'volume') ?? '',
    amount: channelValue(channels, 'amount') ?? '',
    unitPrice: channelValue(channels, 'unitPrice') ?? '',
  };
}

/** Totalizers per nozzle (ascending), of every nozzle or only `nozzle`. */
export function totalsOf(channels: readonly DispenserChannel[], nozzle?: number): DispenserTotals[] {
  const totals = new Map<number, DispenserTotals>();
  for (const channel of channels) {
    const total = totalNozzleOf(channel.channel);
    if (!total || (nozzle !== undefined && total.nozzle !== nozzle)) continue;
    const entry = totals.get(total.nozzle) ?? { nozzle: total.nozzle, volumeTotal: '', amountTotal: '' };
    if (total.quantity === 'volume') entry.volumeTotal = channel.value;
    else entry.amountTotal = channel.value;
    totals.set(total.nozzle, entry);
  }
  return [...totals.values()].sort((a, b) => a.nozzle - b.nozzle);
}

export type CommandWrite =
  | { kind: 'register'; address: number; value: number }
  | { kind: 'coil'; address: number; value: boolean };

/** The writes that send a command: one register value, a 0→1 edge of a bit, or a coil. */
export function commandWrites(command: CommandSpec): CommandWrite[] {
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

/**
 * Whether the pump state shows that a command took effect: reset → `reset`; authorize →
 * `authorized` (or `filling` when the nozzle was already out); stop → neither filling nor
 * authorized (a running delivery completes, an unused authorization falls back to reset).
 */
export function confirmsCommand(command: DispenserCommand, state: string): boolean {
  switch (command) {
    case 'reset':
      return state === 'reset';
    case 'authorize':
      return state === 'authorized' || state === 'filling';
    case 'stop':
      return state !== 'filling' && state !== 'authorized' && !state.startsWith('unknown-');
  }
}

/** Bytes a request's reply carries: two per register, or the bits packed eight to a byte. */
export function replyBytes(request: Pick<ReadRequest, 'table' | 'count'>): number {
  return isBitTable(request.table) ? Math.ceil(request.count / 8) : request.count * 2;
}

/**
 * Decodes one poll's register bytes: the data of every planned request of the map (in plan order,
 * without Modbus headers), concatenated. `options` is the layout part of the device config
 * (preset, nozzles, wordOrder, overrides, map). Never throws.
 */
export function decodeDispenserFrame(frame: Uint8Array, options: unknown): DecodeResult<DispenserChannel[]> {
  const parsed = layoutOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) return rejected('MG_ERR_CONFIG_INVALID', formatIssues(parsed.error));
  const resolved = resolveDispenserMap(parsed.data);
  if (!resolved.ok)
    return rejected('MG_ERR_CONFIG_INVALID', `${resolved.path.join('.')}: ${resolved.message}`);
  const map = resolved.map;
  const plan = planMap(map);
  const expected = plan.reduce((sum, request) => sum + replyBytes(request), 0);
  if (frame.length !== expected) {
    const ranges = plan.map((r) => `${r.table} ${r.address}+${r.count}`).join(', ');
    return rejected('MG_ERR_FRAME_GARBLED', `expected ${expected} bytes for ${ranges}, got ${frame.length}`);
  }
  const bytes = Buffer.from(frame);
  const values = new Map<string, string>();
  let offset = 0;
  for (const request of plan) {
    const size = replyBytes(request);
    const chunk = bytes.subarray(offset, offset + size);
    offset += size;
    const data: RequestData = isBitTable(request.table)
      ? { bits: Array.from({ length: request.count }, (_, i) => ((chunk[i >> 3]! >> (i & 7)) & 1) === 1) }
      : { registers: chunk };
    for (const [index, result] of decodeRequest(map, request, data)) {
      const name = map.registers[index]!.name;
      if (!result.ok) return rejected(result.code, `${name}: ${result.reason}`);
      values.set(name, result.value);
    }
  }
  const result = decodeDispenserValues(map, values);
  const failure = result.failures[0];
  if (failure) return rejected(failure.code, `${failure.channel}: ${failure.reason}`);
  return decoded(result.channels);
}
