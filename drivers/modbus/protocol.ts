/**
 * Pure Modbus register-map logic: decoding register bytes into exact decimal text, planning as few
 * read requests as possible, predicting their time on an RTU line, and loading a map file. No I/O,
 * no timers; nothing here throws on device data.
 */
import { parse as parseYaml } from 'yaml';
import type { ChannelSpec } from '../contract.js';
import {
  Dec,
  decimalPlaces,
  float32ToDecimalText,
  float64ToDecimalText,
  formatFixed,
  powerOfTenExponent,
  shiftIntegerText,
} from '../decimal.js';
import { type DecodeResult, decoded, rejected } from '../decode-result.js';
import { MetrogateError } from '../errors.js';
import { bitsPerCharacter, formatLineSettings, type SerialSettings } from '../transport/serial-settings.js';
import {
  type ByteOrder,
  formatIssuePath,
  isBitTable,
  type QualityRule,
  type RegisterEntry,
  type RegisterMap,
  type RegisterTable,
  registerMapSchema,
  registerWidth,
} from './config.js';

export type { ByteOrder, RegisterEntry, RegisterMap, RegisterTable } from './config.js';
export { registerWidth } from './config.js';

// ---------------------------------------------------------------------------------------------
// Decoding

/** True when the low word of a multi-register value comes first on the wire (CDAB, DCBA). */
export function lowWordFirst(order: ByteOrder): boolean {
  return order === 'CDAB' || order === 'DCBA';
}

/** True when the two bytes of every register are swapped (BA, BADC, DCBA). */
export function bytesSwapped(order: ByteOrder): boolean {
  return order === 'BA' || order === 'BADC' || order === 'DCBA';
}

/**
 * Puts the registers of one value into big-endian (ABCD…) byte order: reverse the words for
 * low-word-first orders, swap the bytes of each word for byte-swapped orders. Word order does not
 * apply to strings, whose characters run from the first register on.
 */
export function toBigEndian(bytes: Uint8Array, order: ByteOrder, reverseWords = true): Buffer {
  const words = Math.floor(bytes.length / 2);
  const swap = bytesSwapped(order);
  const reverse = reverseWords && lowWordFirst(order);
  // Big-endian already (ABCD, AB, the usual case): a view, no copy, on every poll.
  if (!swap && !reverse) return Buffer.from(bytes.buffer, bytes.byteOffset, words * 2);
  const out = Buffer.allocUnsafe(words * 2);
  for (let i = 0; i < words; i++) {
    const from = (reverse ? words - 1 - i : i) * 2;
    out[i * 2] = swap ? bytes[from + 1]! : bytes[from]!;
    out[i * 2 + 1] = swap ? bytes[from]! : bytes[from + 1]!;
  }
  return out;
}

/** Exact integer × 10^-decimals × scale, keeping the decimals of both. */
function scaleInteger(raw: bigint | number, entry: Pick<RegisterEntry, 'scale' | 'decimals'>): string {
  const decimals = entry.decimals ?? 0;
  // Power-of-ten scales (the usual 0.1, 0.01) only move the decimal point: no arithmetic needed.
  const exponent = entry.scale === undefined ? 0 : powerOfTenExponent(entry.scale);
  if (exponent !== undefined) {
    const shifted = shiftIntegerText(
      raw,
      decimals - exponent,
      decimals + (entry.scale ? decimalPlaces(entry.scale) : 0),
    );
    if (shifted !== undefined) return shifted;
  }
  let value = new Dec(raw.toString());
  if (decimals > 0) value = value.div(new Dec(10).pow(decimals));
  let places = decimals;
  if (entry.scale !== undefined) {
    value = value.times(entry.scale);
    places += decimalPlaces(entry.scale);
  }
  return formatFixed(value, places);
}

function scaleFloat(text: string, entry: Pick<RegisterEntry, 'scale' | 'decimals'>): string {
  let value = new Dec(text);
  if (entry.scale !== undefined) value = value.times(entry.scale);
  return entry.decimals !== undefined
    ? formatFixed(value, entry.decimals)
    : formatFixed(value, value.decimalPlaces());
}

/** Text of a string register block: up to the first NUL, trailing blanks removed. */
function registerText(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes
    .subarray(0, end < 0 ? bytes.length : end)
    .toString('latin1')
    .replace(/\s+$/, '');
}

/**
 * Decodes the registers of one entry (exactly `registerWidth(entry) × 2` bytes, as read from the
 * wire) into the reading's text: a decimal for numbers, "1"/"0" for bools, the text of a string.
 */
export function decodeRegisterValue(
  entry: Pick<RegisterEntry, 'type' | 'order' | 'scale' | 'decimals' | 'bit' | 'length' | 'table'>,
  bytes: Uint8Array,
): DecodeResult<string> {
  const width = registerWidth(entry);
  if (isBitTable(entry.table))
    return rejected('MG_ERR_FRAME_GARBLED', 'bits are decoded with decodeBitValue');
  if (bytes.length !== width * 2) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `expected ${width * 2} bytes for ${entry.type}, got ${bytes.length}`,
    );
  }
  const data = toBigEndian(bytes, entry.order, entry.type !== 'string');
  switch (entry.type) {
    case 'bool': {
      const word = data.readUInt16BE(0);
      const on = entry.bit === undefined ? word !== 0 : ((word >> entry.bit) & 1) === 1;
      return decoded(on ? '1' : '0');
    }
    case 'int16':
      return decoded(scaleInteger(data.readInt16BE(0), entry));
    case 'uint16':
      return decoded(scaleInteger(data.readUInt16BE(0), entry));
    case 'int32':
      return decoded(scaleInteger(data.readInt32BE(0), entry));
    case 'uint32':
      return decoded(scaleInteger(data.readUInt32BE(0), entry));
    case 'float32':
    case 'float64': {
      const value = entry.type === 'float32' ? data.readFloatBE(0) : data.readDoubleBE(0);
      if (!Number.isFinite(value)) {
        return rejected('MG_ERR_DEVICE_ERROR', `${entry.type} register holds ${String(value)}, not a number`);
      }
      const text = entry.type === 'float32' ? float32ToDecimalText(value) : float64ToDecimalText(value);
      return decoded(scaleFloat(text, entry));
    }
    case 'string':
      return decoded(registerText(data));
  }
}

/** A coil or discrete input as reading text. */
export function decodeBitValue(on: boolean): string {
  return on ? '1' : '0';
}

/** Reading value type of an entry, as the gateway declares its channel. */
export function valueTypeOf(entry: RegisterEntry): 'boolean' | 'text' | 'integer' | 'decimal' {
  if (entry.type === 'bool') return 'boolean';
  if (entry.type === 'string') return 'text';
  if (entry.type === 'float32' || entry.type === 'float64') return 'decimal';
  return entry.scale === undefined && !entry.decimals ? 'integer' : 'decimal';
}

/** The channels a map produces, as the gateway declares them (one per entry). */
export function channelSpecsOfMap(map: Pick<RegisterMap, 'registers'>): ChannelSpec[] {
  return map.registers.map((entry) => ({
    name: entry.name,
    valueType: valueTypeOf(entry),
    ...(entry.unit ? { unit: entry.unit } : {}),
    description:
      entry.description ??
      `${entry.table} ${entry.address}${entry.type === 'string' ? ` (${entry.length} registers)` : ''} ${entry.type}`,
  }));
}

/** Whether a decoded value satisfies a rule's `equals` (numerically for numbers). */
function valueEquals(value: string, expected: string): boolean {
  if (value === expected) return true;
  try {
    return new Dec(value).equals(new Dec(expected));
  } catch {
    return false;
  }
}

/**
 * Quality of each channel from the map's status rules, given the decoded values by name. A rule
 * whose status register could not be read does not apply.
 */
export function qualityOf(
  channel: string,
  rules: readonly QualityRule[],
  values: ReadonlyMap<string, string>,
): 'good' | QualityRule['quality'] {
  for (const rule of rules) {
    if (rule.channels !== undefined ? !rule.channels.includes(channel) : rule.when === channel) continue;
    const value = values.get(rule.when);
    if (value !== undefined && valueEquals(value, rule.equals)) return rule.quality;
  }
  return 'good';
}

// ---------------------------------------------------------------------------------------------
// Request planning

export const FUNCTION_CODES: Record<RegisterTable, 1 | 2 | 3 | 4> = {
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
};

const TABLE_ORDER: readonly RegisterTable[] = ['holding', 'input', 'coil', 'discrete'];

export interface ReadRequest {
  table: RegisterTable;
  functionCode: 1 | 2 | 3 | 4;
  /** First register (or bit) address, 0-based. */
  address: number;
  /** Registers (or bits) read. */
  count: number;
  /** Indexes into the map's `registers` of the entries this request carries. */
  entries: number[];
}

export interface PlanOptions {
  maxGap?: number;
  maxRegistersPerRequest?: number;
  maxBitsPerRequest?: number;
}

/**
 * Plans the reads of a map: per table, entries sorted by address are merged into one request while
 * they are contiguous (or overlap, or the hole between them is at most `maxGap`) and the request
 * stays within the per-request limit (125 registers, 2000 bits). Each entry is carried by exactly
 * one request, whole (the map schema keeps every entry within the limit; one that is not gets a
 * request of its own). The output depends only on the input (ties broken by map order).
 */
export function planReads(
  registers: readonly Pick<RegisterEntry, 'table' | 'address' | 'type' | 'length'>[],
  options: PlanOptions = {},
): ReadRequest[] {
  const maxGap = Math.max(0, options.maxGap ?? 0);
  const requests: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const limit = isBitTable(table)
      ? Math.max(1, options.maxBitsPerRequest ?? 2000)
      : Math.max(1, options.maxRegistersPerRequest ?? 125);
    const members = registers
      .map((entry, index) => ({ index, start: entry.address, end: entry.address + registerWidth(entry) }))
      .filter(({ index }) => registers[index]!.table === table)
      .sort((a, b) => a.start - b.start || a.end - b.end || a.index - b.index);
    let current: ReadRequest | undefined;
    let currentEnd = 0;
    for (const member of members) {
      const fits =
        current !== undefined &&
        member.start - currentEnd <= maxGap &&
        Math.max(currentEnd, member.end) - current.address <= limit;
      if (current !== undefined && fits) {
        currentEnd = Math.max(currentEnd, member.end);
        current.count = currentEnd - current.address;
        current.entries.push(member.index);
      } else {
        current = {
          table,
          functionCode: FUNCTION_CODES[table],
          address: member.start,
          count: member.end - member.start,
          entries: [member.index],
        };
        currentEnd = member.end;
        requests.push(current);
      }
    }
  }
  return requests;
}

/** Plans the reads of a parsed map with the map's own limits. */
export function planMap(map: RegisterMap): ReadRequest[] {
  return planReads(map.registers, map);
}

/** What one request returned: register bytes (holding/input) or bits (coil/discrete). */
export type RequestData = { registers: Buffer } | { bits: readonly boolean[] };

/**
 * Decodes the entries of one request from its reply; one result per entry index. A reply shorter
 * than the request rejects the entries it does not cover.
 */
export function decodeRequest(
  map: Pick<RegisterMap, 'registers'>,
  request: ReadRequest,
  data: RequestData,
): Map<number, DecodeResult<string>> {
  const results = new Map<number, DecodeResult<string>>();
  for (const index of request.entries) {
    const entry = map.registers[index]!;
    const offset = entry.address - request.address;
    const width = registerWidth(entry);
    if ('bits' in data) {
      const bit = data.bits[offset];
      results.set(
        index,
        bit === undefined
          ? rejected('MG_ERR_FRAME_GARBLED', `reply holds ${data.bits.length} bits, bit ${offset} missing`)
          : decoded(decodeBitValue(bit)),
      );
    } else if (isBitTable(entry.table)) {
      results.set(index, rejected('MG_ERR_FRAME_GARBLED', `${entry.table} entry in a register reply`));
    } else if ((offset + width) * 2 > data.registers.length) {
      results.set(
        index,
        rejected(
          'MG_ERR_FRAME_GARBLED',
          `reply holds ${Math.floor(data.registers.length / 2)} registers, ${entry.name} needs ${offset + width}`,
        ),
      );
    } else {
      results.set(
        index,
        decodeRegisterValue(entry, data.registers.subarray(offset * 2, (offset + width) * 2)),
      );
    }
  }
  return results;
}

/** A decoded channel as golden cases show it. */
export interface DecodedChannel {
  channel: string;
  value: string;
  unit: string;
}

/**
 * Decodes one block of register bytes (a read starting at the map's lowest register address) into
 * the map's channels; coil/discrete entries are read from the same bytes as packed bits (LSB first,
 * as Modbus sends them) starting at the lowest bit address. The golden-frame runner and the fuzz
 * tests call this through `decodeFrame`.
 */
export function decodeRegisterBlock(map: RegisterMap, frame: Uint8Array): DecodeResult<DecodedChannel[]> {
  const registerEntries = map.registers.filter((entry) => !isBitTable(entry.table));
  const bitEntries = map.registers.filter((entry) => isBitTable(entry.table));
  const bytes = Buffer.from(frame);
  const channels: DecodedChannel[] = [];
  const registerBase = Math.min(...registerEntries.map((e) => e.address));
  const bitBase = Math.min(...bitEntries.map((e) => e.address));
  if (registerEntries.length > 0 && bytes.length % 2 !== 0) {
    return rejected(
      'MG_ERR_FRAME_GARBLED',
      `a register block has an even number of bytes, got ${bytes.length}`,
    );
  }
  for (const entry of map.registers) {
    let result: DecodeResult<string>;
    if (isBitTable(entry.table)) {
      const bit = entry.address - bitBase;
      const byte = bytes[bit >> 3];
      result =
        byte === undefined
          ? rejected('MG_ERR_FRAME_GARBLED', `block of ${bytes.length} bytes ends before bit ${bit}`)
          : decoded(decodeBitValue(((byte >> (bit & 7)) & 1) === 1));
    } else {
      const offset = entry.address - registerBase;
      const end = (offset + registerWidth(entry)) * 2;
      result =
        end > bytes.length
          ? rejected(
              'MG_ERR_FRAME_GARBLED',
              `block holds ${Math.floor(bytes.length / 2)} registers from ${registerBase}; ${entry.name} needs ${end / 2}`,
            )
          : decodeRegisterValue(entry, bytes.subarray(offset * 2, end));
    }
    if (!result.ok) return rejected(result.code, `${entry.name}: ${result.reason}`);
    channels.push({ channel: entry.name, value: result.value, unit: entry.unit });
  }
  return decoded(channels);
}

// ---------------------------------------------------------------------------------------------
// Wire time on an RTU line (peers.md §4.1)

export type LineTiming = Pick<SerialSettings, 'baudRate' | 'dataBits' | 'parity' | 'stopBits'>;

/** Request of FC 1–4: address, function, start, quantity, CRC. */
export const READ_REQUEST_BYTES = 8;

/** Reply bytes of a read: address, function, byte count, data, CRC. */
export function readResponseBytes(request: Pick<ReadRequest, 'table' | 'count'>): number {
  return 5 + (isBitTable(request.table) ? Math.ceil(request.count / 8) : 2 * request.count);
}

/** Silent interval between frames: 3.5 characters up to 19200 baud, fixed 1.75 ms above. */
export function t35Ms(line: LineTiming): number {
  if (line.baudRate > 19200) return 1.75;
  return (3.5 * bitsPerCharacter(line) * 1000) / line.baudRate;
}

export interface RequestWireTime {
  requestBytes: number;
  responseBytes: number;
  /** Time both frames occupy the wire. */
  wireMs: number;
  /** wire + 2 × t3.5 + turnaround: the shortest request→reply cycle. */
  cycleMs: number;
}

export interface WireTimePrediction {
  line: string;
  bitsPerCharacter: number;
  characterMs: number;
  t35Ms: number;
  turnaroundMs: number;
  requests: RequestWireTime[];
  /** Shortest time one poll (every request in turn) occupies the bus. */
  totalMs: number;
}

export function predictWireTime(
  requests: readonly Pick<ReadRequest, 'table' | 'count'>[],
  line: LineTiming,
  options: { turnaroundMs?: number } = {},
): WireTimePrediction {
  const bits = bitsPerCharacter(line);
  const characterMs = (bits * 1000) / line.baudRate;
  const gap = t35Ms(line);
  const turnaroundMs = options.turnaroundMs ?? 0;
  const perRequest = requests.map((request) => {
    const responseBytes = readResponseBytes(request);
    const wireMs = (READ_REQUEST_BYTES + responseBytes) * characterMs;
    return {
      requestBytes: READ_REQUEST_BYTES,
      responseBytes,
      wireMs,
      cycleMs: wireMs + 2 * gap + turnaroundMs,
    };
  });
  return {
    line: formatLineSettings(line),
    bitsPerCharacter: bits,
    characterMs,
    t35Ms: gap,
    turnaroundMs,
    requests: perRequest,
    totalMs: perRequest.reduce((sum, r) => sum + r.cycleMs, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// `metrogate read modbus --dry-run`

export interface DryRunRequest {
  functionCode: number;
  table: RegisterTable;
  address: number;
  count: number;
  registers: string[];
  requestBytes: number;
  responseBytes: number;
  cycleMs: number;
}

export interface DryRunReport {
  source: string;
  requests: DryRunRequest[];
  wireTime: WireTimePrediction;
  /** Human-readable rendering, one line per request and a summary. */
  text: string;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** Plans the map's reads and predicts their time on the given RTU line; prints nothing. */
export function formatDryRun(
  map: RegisterMap,
  line: LineTiming,
  options: { sourceName?: string; turnaroundMs?: number } = {},
): DryRunReport {
  const plan = planMap(map);
  const wireTime = predictWireTime(plan, line, options);
  const requests = plan.map((request, i) => ({
    functionCode: request.functionCode,
    table: request.table,
    address: request.address,
    count: request.count,
    registers: request.entries.map((index) => map.registers[index]!.name),
    requestBytes: wireTime.requests[i]!.requestBytes,
    responseBytes: wireTime.requests[i]!.responseBytes,
    cycleMs: wireTime.requests[i]!.cycleMs,
  }));
  const source = options.sourceName ?? 'register map';
  const lines = [
    `${source}: ${map.registers.length} registers in ${plan.length} request${plan.length === 1 ? '' : 's'} (maxGap ${map.maxGap})`,
    ...requests.map((r, i) => {
      const unit = isBitTable(r.table) ? 'bits' : 'registers';
      const last = r.address + r.count - 1;
      return `  ${i + 1}. FC${String(r.functionCode).padStart(2, '0')} ${r.table} ${r.address}..${last} (${r.count} ${unit}): ${r.registers.join(', ')} — ${r.requestBytes} + ${r.responseBytes} bytes, ${ms(r.cycleMs)}`;
    }),
    `predicted wire time at ${wireTime.line} (${wireTime.bitsPerCharacter}-bit characters, t3.5 ${ms(wireTime.t35Ms)}${wireTime.turnaroundMs ? `, turnaround ${ms(wireTime.turnaroundMs)}` : ''}): ${ms(wireTime.totalMs)} per poll, at most ${(1000 / wireTime.totalMs).toFixed(1)} polls/s on this bus`,
  ];
  return { source, requests, wireTime, text: lines.join('\n') };
}

// ---------------------------------------------------------------------------------------------
// Loading a map file

/**
 * Parses a register map from YAML or JSON text (`registers: [...]` plus the optional map options)
 * and validates it. Throws MG_ERR_INPUT_INVALID naming the file and the path at fault.
 */
export function loadRegisterMap(text: string, sourceName: string): RegisterMap {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${sourceName}: not valid YAML or JSON (${(error as Error).message})`,
      { path: sourceName },
      { cause: error },
    );
  }
  if (Array.isArray(document)) document = { registers: document };
  const result = registerMapSchema.safeParse(document ?? {});
  if (!result.success) {
    const first = result.error.issues[0]!;
    const path = formatIssuePath(first.path);
    const all = result.error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${sourceName}: ${all.join('; ')}`, {
      path: `${sourceName}:${path}`,
    });
  }
  return result.data;
}
