/**
 * The taximeter's side of JT/T 905.2 (device-protocols.md §3.1), written from the reference and not
 * from the driver: it shares golden frames with drivers/taximeter-jtt905, never code.
 *
 *   55 AA | length BE | device type | flag | command BE | body | XOR(length..body) | 55 AA
 *
 * The meter answers the ISU's status query (0x0000), fare parameter query (0x0004) and set (0x0005),
 * and pushes a trip start (0x00E7) when hired and the trip record (0x00E8) when the trip ends. A
 * record the ISU has not acknowledged (0x90) is resent as 0x00F2 after `resendAfterMs`, up to
 * `resendAttempts` times (when and how often a real meter resends is UNCONFIRMED). metrogate's resend
 * request (0x00F2 with a 4-byte trip number, 0 = newest) is answered with that record, or with an
 * empty 0x00F2 when the meter has none.
 *
 * Options (`-o key=value`): resendAfterMs (3000; 0 = never), resendAttempts (3), deviceType (2).
 */
import type { Decimal } from 'decimal.js';
import { Dec } from '../../drivers/decimal.js';
import type { DeviceSpeaker, SpeakerIo } from '../serial-host.js';
import type { MeterTripRecord, TaximeterModel, TaximeterTariff } from './model.js';

const START = [0x55, 0xaa] as const;
const COMMAND = {
  status: 0x0000,
  fareQuery: 0x0004,
  fareSet: 0x0005,
  tripStart: 0x00e7,
  tripRecord: 0x00e8,
  resend: 0x00f2,
} as const;
const ACK_DONE = 0x90;
/** Longest frame the meter accepts from the ISU. */
const MAX_INCOMING = 1024;
/** Records kept waiting for an acknowledgement; older ones are given up (they stay stored). */
const MAX_OUTSTANDING = 32;
/** Size of the fare parameter block (0x0004 reply, 0x0005 request) without the vendor part. */
const PARAMETER_BLOCK = 61;

export interface Jtt905SpeakerOptions {
  resendAfterMs: number;
  resendAttempts: number;
  deviceType: number;
}

export const DEFAULT_JTT905_OPTIONS: Jtt905SpeakerOptions = {
  resendAfterMs: 3000,
  resendAttempts: 3,
  deviceType: 0x02,
};

export function jtt905Options(raw: Record<string, unknown>): Jtt905SpeakerOptions {
  const options = { ...DEFAULT_JTT905_OPTIONS };
  for (const key of Object.keys(options) as (keyof Jtt905SpeakerOptions)[]) {
    const value = raw[key];
    if (value === undefined) continue;
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0)
      throw new RangeError(`protocol option ${key}: ${String(value)}`);
    options[key] = number;
  }
  return options;
}

// ------------------------------------------------------------------------------------------------
// Bytes

function xor(bytes: Uint8Array): number {
  return bytes.reduce((check, byte) => check ^ byte, 0);
}

/** A whole frame: the length field counts device type, flag, command and body. */
export function jtt905Frame(deviceType: number, command: number, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.from([0, 0, deviceType, 0x00, command >> 8, command & 0xff]);
  head.writeUInt16BE(4 + body.length, 0);
  const checked = Buffer.concat([head, body]);
  return Buffer.concat([Buffer.from(START), checked, Buffer.from([xor(checked), ...START])]);
}

/** Decimal digits packed two per byte, zero-padded on the left to `bytes` bytes. */
function bcd(value: string | number, bytes: number): Buffer {
  const digits = String(value).padStart(bytes * 2, '0');
  if (!/^\d+$/.test(digits) || digits.length !== bytes * 2)
    throw new RangeError(`${value} is not ${bytes} BCD bytes`);
  return Buffer.from(digits, 'hex');
}

function unbcd(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes).toString('hex');
  return /^\d*$/.test(text) ? text : undefined;
}

/** ASCII, NUL-padded to `width` bytes. */
function ascii(text: string, width: number): Buffer {
  const out = Buffer.alloc(width);
  out.write(text.replace(/[^\x20-\x7e]/g, '?').slice(0, width), 'latin1');
  return out;
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

/** A decimal with two implied decimals in BCD[2] (rounded half-up, held at 99.99). */
function price(value: Decimal.Value): Buffer {
  const hundredths = Dec.min(new Dec(value).mul(100).toDecimalPlaces(0, Dec.ROUND_HALF_UP), 9999);
  return bcd(hundredths.toFixed(0), 2);
}

/** `YYYY-MM-DDThh:mm:ss` → its digits. */
function clockDigits(text: string): string {
  return text.replace(/\D/g, '');
}

// ------------------------------------------------------------------------------------------------
// Bodies

/** Trip record (0x00E8 / 0x00F2): 66 bytes. */
export function tripRecordBody(record: MeterTripRecord): Buffer {
  const boarding = clockDigits(record.boarding);
  const alighting = clockDigits(record.alighting);
  const waitingMinutes = Math.floor(record.waitingSeconds / 60);
  const waitingHours = Math.min(99, Math.floor(waitingMinutes / 60));
  return Buffer.concat([
    ascii(record.plate, 6),
    ascii(record.operatingLicence, 16),
    ascii(record.driverCertificate, 19),
    bcd(boarding.slice(2, 12), 5),
    bcd(alighting.slice(8, 12), 2),
    bcd(record.distanceTenthsKm, 3),
    bcd(record.emptyDistanceTenthsKm, 2),
    bcd(record.surchargeTenths, 3),
    bcd(`${String(waitingHours).padStart(2, '0')}${String(waitingMinutes % 60).padStart(2, '0')}`, 2),
    bcd(record.fareTenths, 3),
    uint32(record.tripNumber),
    Buffer.from([record.paymentType & 0xff]),
  ]);
}

/** Status reply (0x0000), SmallChi's 55-byte layout. */
function statusBody(model: TaximeterModel, deviceType: number): Buffer {
  const p = model.parameters;
  return Buffer.concat([
    bcd(p.manufacturer, 1),
    bcd(deviceType.toString(16).padStart(2, '0').replace(/[^\d]/g, '0'), 1),
    bcd(p.serialNumber, 3),
    bcd(p.hardwareVersion, 1),
    bcd(p.softwareVersion, 2),
    Buffer.from([p.deviceState, p.workState]),
    ascii(p.plate, 6),
    ascii(p.operatingLicence, 16),
    ascii(p.driverCertificate, 19),
    uint32(model.tripsRecorded),
  ]);
}

/** The fare parameter block (0x0004 reply): this meter has one distance rate and one waiting rate. */
function fareParameterBody(model: TaximeterModel): Buffer {
  const p = model.parameters;
  const day = model.rates('day');
  const night = model.rates('night');
  const hhmm = (text: string) => bcd(text.replace(':', ''), 2);
  return Buffer.concat([
    bcd(clockDigits(p.tariffEnabledAt).slice(0, 10), 5),
    price(day.distance), // round trip, day
    price(night.distance),
    price(day.distance), // one way
    price(night.distance),
    price(day.distance), // second empty run
    price(night.distance),
    price(model.flagFall('day')),
    price(model.flagFall('night')),
    price(0), // continuation mileage: not modelled
    price(new Dec(p.tariff.includedDistance).div(1000)),
    price(0), // second empty-run km
    price(day.time),
    price(night.time),
    bcd('0000', 2), // free waiting mmss
    bcd('0000', 2), // surcharge time mmss
    hhmm(p.tariff.nightStart),
    hhmm(p.tariff.nightEnd),
    Buffer.alloc(22),
  ]);
}

/** Reads a 0x0005 block into tariff changes; undefined when it is not one. */
function parseParameterBlock(
  body: Buffer,
): { enabledAt: string; tariff: Partial<TaximeterTariff> } | undefined {
  if (body.length < PARAMETER_BLOCK) return undefined;
  const digits = unbcd(body.subarray(0, 5 + 13 * 2 + 4 * 2));
  if (digits === undefined) return undefined;
  const word = (index: number) => digits.slice(10 + index * 4, 14 + index * 4);
  const money = (index: number) => new Dec(word(index)).div(100);
  const dayRate = money(2);
  const nightRate = money(3);
  const dayFlag = money(6);
  const nightFlag = money(7);
  const clock = (index: number) => `${word(index).slice(0, 2)}:${word(index).slice(2)}`;
  const enabledAt = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${digits.slice(8, 10)}:00`;
  return {
    enabledAt,
    tariff: {
      distanceRate: dayRate.toFixed(2),
      flagFall: dayFlag.toFixed(2),
      nightFlagFall: nightFlag.equals(dayFlag) ? '' : nightFlag.toFixed(2),
      includedDistance: money(9).mul(1000).toFixed(0),
      timeRate: money(11).toFixed(2),
      nightSurchargePercent: dayRate.isZero() ? '0' : nightRate.div(dayRate).minus(1).mul(100).toFixed(),
      nightStart: clock(15),
      nightEnd: clock(16),
    },
  };
}

// ------------------------------------------------------------------------------------------------
// The speaker

interface Outstanding {
  record: MeterTripRecord;
  command: number;
  sentAt: number;
  resends: number;
}

export class Jtt905MeterSpeaker implements DeviceSpeaker {
  private readonly model: TaximeterModel;
  private readonly io: SpeakerIo;
  private readonly options: Jtt905SpeakerOptions;
  private incoming = Buffer.alloc(0);
  /** Records sent and not yet acknowledged, in the order sent (acknowledgements carry no number). */
  private readonly outstanding: Outstanding[] = [];
  /** Trip numbers the ISU has acknowledged. */
  private readonly delivered = new Set<number>();

  constructor(model: TaximeterModel, io: SpeakerIo, options: Jtt905SpeakerOptions = DEFAULT_JTT905_OPTIONS) {
    this.model = model;
    this.io = io;
    this.options = options;
    model.onEvent((event) => {
      if (event.type === 'trip-start') {
        this.send(COMMAND.tripStart, bcd(clockDigits(event.occupiedAt), 7));
      } else this.sendRecord(COMMAND.tripRecord, event.record);
    });
  }

  get streamIntervalMs(): number {
    if (this.options.resendAfterMs === 0 || this.outstanding.length === 0) return 0;
    return Math.max(10, Math.min(100, this.options.resendAfterMs));
  }

  /** Trip numbers of stored records the ISU has not acknowledged. */
  get undelivered(): number[] {
    return this.model.records.map((r) => r.tripNumber).filter((n) => !this.delivered.has(n));
  }

  tick(): void {
    const now = this.io.now();
    for (const entry of [...this.outstanding]) {
      if (now - entry.sentAt < this.options.resendAfterMs) continue;
      this.outstanding.splice(this.outstanding.indexOf(entry), 1);
      if (entry.resends < this.options.resendAttempts && !this.delivered.has(entry.record.tripNumber)) {
        this.sendRecord(COMMAND.resend, entry.record, entry.resends + 1);
      }
    }
  }

  private send(command: number, body: Buffer): void {
    this.io.emit(jtt905Frame(this.options.deviceType, command, body), {
      corruptChecksum: (frame) => {
        frame[frame.length - 3] = frame[frame.length - 3]! ^ 0xff;
        return frame;
      },
    });
  }

  private sendRecord(command: number, record: MeterTripRecord, resends = 0): void {
    this.outstanding.push({ record, command, sentAt: this.io.now(), resends });
    if (this.outstanding.length > MAX_OUTSTANDING) this.outstanding.shift();
    this.send(command, tripRecordBody(record));
  }

  receive(chunk: Buffer): void {
    this.incoming = Buffer.concat([this.incoming, chunk]);
    for (;;) {
      let start = -1;
      for (let i = 0; i + 1 < this.incoming.length; i++) {
        if (this.incoming[i] === START[0] && this.incoming[i + 1] === START[1]) {
          start = i;
          break;
        }
      }
      if (start < 0) {
        this.incoming = this.incoming.subarray(Math.max(0, this.incoming.length - 1));
        return;
      }
      this.incoming = this.incoming.subarray(start);
      if (this.incoming.length < 4) return;
      const size = this.incoming.readUInt16BE(2) + 7;
      if (size < 11 || size > MAX_INCOMING) {
        this.incoming = this.incoming.subarray(1);
        continue;
      }
      if (this.incoming.length < size) return;
      const frame = this.incoming.subarray(0, size);
      if (frame[size - 2] !== START[0] || frame[size - 1] !== START[1]) {
        this.incoming = this.incoming.subarray(1);
        continue;
      }
      this.incoming = this.incoming.subarray(size);
      // A frame hit by noise is ignored, as a device does: the ISU asks again.
      if (xor(frame.subarray(2, size - 3)) !== frame[size - 3]) continue;
      if (frame[4] !== this.options.deviceType) continue;
      this.handle(frame.readUInt16BE(6), Buffer.from(frame.subarray(8, size - 3)));
    }
  }

  private handle(command: number, body: Buffer): void {
    switch (command) {
      case COMMAND.status:
        if (body.length === 7) this.send(COMMAND.status, statusBody(this.model, this.options.deviceType));
        return;
      case COMMAND.fareQuery:
        if (body.length === 0) this.send(COMMAND.fareQuery, fareParameterBody(this.model));
        return;
      case COMMAND.fareSet:
        this.setParameters(body);
        return;
      case COMMAND.tripStart:
        return;
      case COMMAND.tripRecord:
        if (body.length === 1) this.acknowledged(COMMAND.tripRecord, body[0]!);
        return;
      case COMMAND.resend:
        if (body.length === 1) this.acknowledged(COMMAND.resend, body[0]!);
        else if (body.length === 4) this.resendOnRequest(body.readUInt32BE(0));
        return;
      default:
        return;
    }
  }

  private acknowledged(command: number, result: number): void {
    const index = this.outstanding.findIndex((entry) => entry.command === command);
    if (index < 0) return;
    const [entry] = this.outstanding.splice(index, 1);
    // A failure answer (0xFF) leaves the record to the resend timer.
    if (result === ACK_DONE) this.delivered.add(entry!.record.tripNumber);
    else this.outstanding.push({ ...entry!, sentAt: 0 });
  }

  private resendOnRequest(tripNumber: number): void {
    const records = this.model.records;
    const record = tripNumber === 0 ? records.at(-1) : records.find((r) => r.tripNumber === tripNumber);
    if (record) this.sendRecord(COMMAND.resend, record, this.options.resendAttempts);
    else this.send(COMMAND.resend, Buffer.alloc(0));
  }

  private setParameters(body: Buffer): void {
    const parsed = parseParameterBlock(body);
    const current = this.model.parameters.tariffEnabledAt;
    let result = 0x01;
    if (parsed && parsed.enabledAt === current) result = 0x02;
    else if (parsed) {
      try {
        this.model.configure({ tariff: parsed.tariff, tariffEnabledAt: parsed.enabledAt });
        result = 0x00;
      } catch {
        result = 0x01;
      }
    }
    const enabled = parsed?.enabledAt ?? current;
    this.send(
      COMMAND.fareSet,
      Buffer.concat([Buffer.from([result]), bcd(clockDigits(enabled).slice(0, 10), 5)]),
    );
  }
}
