import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadGoldenCases } from '../../test/helpers/testcases.js';
import type { Framer, FramerOutput } from '../transport/framers.js';
import {
  bcdDigits,
  bcdOfDateTimeText,
  bcdOfNumber,
  createJtt905Framer,
  decodeBcdDateTime,
  decodeBcdHoursMinutes,
  decodeFareParameters,
  decodeJtt905Frame,
  decodeMessage,
  decodeStatus,
  decodeTripRecord,
  encodeAck,
  encodeBcdDateTime,
  encodeFareParametersQuery,
  encodeFareParametersSet,
  encodeFrame,
  encodeResendRequest,
  encodeStatusQuery,
  JTT905_COMMANDS,
  type Jtt905FareParameters,
  parseFrame,
  toBcd,
  xorOf,
} from './protocol.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const golden = Object.fromEntries(loadGoldenCases('taximeter-jtt905').map((c) => [c.name, c]));
const frameOf = (name: string) => golden[name]!.frame;

/** A trip record body built field by field in the test, from the layout in device-protocols.md §3.1. */
function tripBody(fields: {
  boarding: string;
  alighting: string;
  distance: string;
  empty: string;
  surcharge: string;
  waiting: string;
  fare: string;
  trip: number;
  payment: number;
  card?: string;
}): Buffer {
  const trip = Buffer.alloc(4);
  trip.writeUInt32BE(fields.trip);
  return Buffer.concat([
    Buffer.from('AA3333', 'latin1'),
    Buffer.alloc(16),
    Buffer.from('42108319880906011X\0', 'latin1'),
    hex(
      fields.boarding +
        fields.alighting +
        fields.distance +
        fields.empty +
        fields.surcharge +
        fields.waiting +
        fields.fare,
    ),
    trip,
    Buffer.from([fields.payment]),
    hex(fields.card ?? ''),
  ]);
}

function framesOf(framer: Framer, chunks: Buffer[], flush = true): { frames: string[]; garbage: string } {
  const outputs: FramerOutput[] = [];
  for (const chunk of chunks) outputs.push(...framer.push(chunk));
  if (flush) outputs.push(...framer.flushIdle());
  return {
    frames: outputs.flatMap((o) => ('frame' in o ? [o.frame.toString('hex')] : [])),
    garbage: outputs.map((o) => ('garbage' in o ? o.garbage.toString('hex') : '')).join(''),
  };
}

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Arbitrary frames whose bodies may hold 55 AA, 55 alone, and any other byte. */
const bodyBytes = fc.array(fc.oneof(fc.constantFrom(0x55, 0xaa), fc.integer({ min: 0, max: 255 })), {
  maxLength: 120,
});
const anyFrame = fc
  .record({
    deviceType: fc.integer({ min: 0, max: 255 }),
    flag: fc.integer({ min: 0, max: 255 }),
    command: fc.oneof(
      fc.constantFrom(...Object.values(JTT905_COMMANDS)),
      fc.integer({ min: 0, max: 0xffff }),
    ),
    body: bodyBytes,
  })
  .map((packet) => encodeFrame({ ...packet, body: Buffer.from(packet.body) }));

describe('frame and XOR', () => {
  it('recomputes the reference checks: 0x29 (status query) and 0x22 (trip record)', () => {
    const query = frameOf('status-query-smallchi');
    const record = frameOf('trip-record-smallchi');
    expect(xorOf(query.subarray(2, -3))).toBe(0x29);
    expect(xorOf(record.subarray(2, -3))).toBe(0x22);
  });

  it('encodes what parses back, for any device type, flag, command and body', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        bodyBytes,
        (deviceType, flag, command, body) => {
          const frame = encodeFrame({ deviceType, flag, command, body: Buffer.from(body) });
          expect(frame.readUInt16BE(2)).toBe(4 + body.length);
          const parsed = parseFrame(frame);
          expect(parsed).toEqual({ ok: true, value: { deviceType, flag, command, body: Buffer.from(body) } });
        },
      ),
    );
  });

  it('rejects any single changed byte between the length field and the XOR', () => {
    fc.assert(
      fc.property(anyFrame, fc.nat(), fc.integer({ min: 1, max: 255 }), (frame, at, flip) => {
        const index = 4 + (at % (frame.length - 7));
        const changed = Buffer.from(frame);
        changed[index] = changed[index]! ^ flip;
        const result = parseFrame(changed);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.code).toBe('MG_ERR_FRAME_CHECKSUM');
      }),
    );
  });

  it('rejects a wrong length field, missing marks and short input as garbled', () => {
    expect(parseFrame(frameOf('status-query-length-mismatch'))).toMatchObject({
      code: 'MG_ERR_FRAME_GARBLED',
    });
    const query = frameOf('status-query-smallchi');
    expect(parseFrame(query.subarray(0, -1))).toMatchObject({ code: 'MG_ERR_FRAME_GARBLED' });
    expect(parseFrame(Buffer.concat([hex('00'), query.subarray(1)]))).toMatchObject({
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(parseFrame(hex('55aa0000'))).toMatchObject({ code: 'MG_ERR_FRAME_GARBLED' });
  });
});

describe('BCD', () => {
  it('round-trips digit strings and whole numbers', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(\d\d){0,12}$/), (digits) => {
        expect(bcdDigits(toBcd(digits))).toBe(digits);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), (bytes, raw) => {
        const value = raw % 10 ** (bytes * 2);
        const packed = bcdOfNumber(value, bytes);
        expect(packed).toHaveLength(bytes);
        expect(Number(bcdDigits(packed))).toBe(value);
      }),
    );
  });

  it('refuses nibbles above 9 and numbers that do not fit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 8 }), (bytes) => {
        const valid = [...bytes].every((b) => b >> 4 <= 9 && (b & 0x0f) <= 9);
        expect(bcdDigits(bytes) !== undefined).toBe(valid);
      }),
    );
    expect(() => bcdOfNumber(1000, 1)).toThrow(RangeError);
  });

  it('round-trips calendar times (BCD[7]) and refuses impossible dates', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(2000, 0, 1), max: new Date(2099, 11, 31), noInvalidDate: true }),
        (raw) => {
          const date = new Date(Math.floor(raw.getTime() / 1000) * 1000);
          const text = decodeBcdDateTime(encodeBcdDateTime(date));
          const pad = (n: number) => String(n).padStart(2, '0');
          expect(text).toBe(
            `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
              `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
          );
          expect(bcdOfDateTimeText(text!)?.toString('hex')).toBe(encodeBcdDateTime(date).toString('hex'));
        },
      ),
    );
    expect(decodeBcdDateTime(hex('20240229235959'))).toBe('2024-02-29T23:59:59');
    for (const impossible of [
      '20230229120000',
      '20241301000000',
      '20240431000000',
      '20240101240000',
      '2024010100006a',
    ]) {
      expect(decodeBcdDateTime(hex(impossible)), impossible).toBeUndefined();
    }
  });

  it('reads hh:mm as seconds and refuses minutes above 59', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), (hours, minutes) => {
        const bytes = toBcd(`${String(hours).padStart(2, '0')}${String(minutes).padStart(2, '0')}`);
        expect(decodeBcdHoursMinutes(bytes)).toBe(minutes > 59 ? undefined : hours * 3600 + minutes * 60);
      }),
    );
  });
});

describe('trip record', () => {
  it('converts every field: 0.1 km to m, 0.1 yuan with one decimal, hh:mm to s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 9_999 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(0, 1, 3, 9),
        fc.uint8Array({ maxLength: 20 }),
        (distance, empty, fare, surcharge, hours, minutes, trip, payment, card) => {
          const body = tripBody({
            boarding: '2307261941',
            alighting: '2005',
            distance: String(distance).padStart(6, '0'),
            empty: String(empty).padStart(4, '0'),
            surcharge: String(surcharge).padStart(6, '0'),
            waiting: `${String(hours).padStart(2, '0')}${String(minutes).padStart(2, '0')}`,
            fare: String(fare).padStart(6, '0'),
            trip,
            payment,
            card: Buffer.from(card).toString('hex'),
          });
          const result = decodeTripRecord(body);
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.value).toMatchObject({
            boardingTime: '2023-07-26T19:41',
            alightingTime: '2023-07-26T20:05',
            distance: String(distance * 100),
            emptyDistance: String(empty * 100),
            fare: (fare / 10).toFixed(1),
            surcharge: (surcharge / 10).toFixed(1),
            waitingTime: String(hours * 3600 + minutes * 60),
            tripNumber: String(trip),
            paymentType: { 0: 'cash', 1: 'm1-card', 3: 'cpu-card', 9: 'other' }[payment],
            cardData: Buffer.from(card).toString('hex'),
          });
        },
      ),
    );
  });

  it('dates an alighting before the boarding time on the next day, across months and years', () => {
    const cases = [
      ['2312312350', '0010', '2024-01-01T00:10'],
      ['2302282300', '0100', '2023-03-01T01:00'],
      ['2402282300', '0100', '2024-02-29T01:00'],
      ['2307261941', '1941', '2023-07-26T19:41'],
    ];
    for (const [boarding, alighting, expected] of cases) {
      const result = decodeTripRecord(
        tripBody({
          boarding: boarding!,
          alighting: alighting!,
          distance: '000000',
          empty: '0000',
          surcharge: '000000',
          waiting: '0000',
          fare: '000000',
          trip: 1,
          payment: 0,
        }),
      );
      expect(result.ok && result.value.alightingTime).toBe(expected);
    }
  });

  it('decodes a plate in GBK, as Chinese equipment writes it', () => {
    const body = tripBody({
      boarding: '2307261941',
      alighting: '1941',
      distance: '000001',
      empty: '0000',
      surcharge: '000000',
      waiting: '0000',
      fare: '000080',
      trip: 1,
      payment: 0x42,
    });
    hex('bea941313233').copy(body, 0);
    const result = decodeTripRecord(body);
    expect(result.ok && [result.value.plate, result.value.paymentType]).toEqual(['京A123', 'unknown-0x42']);
  });

  it('refuses short bodies and bodies with impossible times', () => {
    expect(decodeTripRecord(Buffer.alloc(65))).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    const bad = tripBody({
      boarding: '2313261941',
      alighting: '1941',
      distance: '000001',
      empty: '0000',
      surcharge: '000000',
      waiting: '0000',
      fare: '000080',
      trip: 1,
      payment: 0,
    });
    expect(decodeTripRecord(bad)).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
  });
});

describe('what the ISU sends', () => {
  it('encodes the reference status query for 2011-11-11 11:11:11', () => {
    expect(encodeStatusQuery(new Date(2011, 10, 11, 11, 11, 11)).toString('hex')).toBe(
      frameOf('status-query-smallchi').toString('hex'),
    );
  });

  it('encodes the acknowledgement, the resend request and the parameter query as in the golden cases', () => {
    expect(encodeAck(0x00e8).toString('hex')).toBe(frameOf('ack-trip-record').toString('hex'));
    expect(encodeResendRequest().toString('hex')).toBe(frameOf('trip-resend-request-newest').toString('hex'));
    expect(encodeFareParametersQuery().toString('hex')).toBe('55aa0004020000040255aa');
  });

  it('encodes a fare parameter set that decodes to the same parameters (golden case)', () => {
    const decoded = decodeJtt905Frame(frameOf('fare-parameters-set'));
    if (!decoded.ok || decoded.value.message.kind !== 'fare-parameters-set') throw new Error('golden case');
    const parameters = decoded.value.message.parameters;
    expect(encodeFareParametersSet(parameters).toString('hex')).toBe(
      frameOf('fare-parameters-set').toString('hex'),
    );
  });

  it('refuses fare parameters the block cannot carry exactly', () => {
    const decoded = decodeJtt905Frame(frameOf('fare-parameters-reply'));
    if (!decoded.ok || decoded.value.message.kind !== 'fare-parameters') throw new Error('golden case');
    const base: Jtt905FareParameters = decoded.value.message.parameters;
    for (const change of [
      { dayOneWayRate: '2.345' },
      { dayFlagFall: '100.00' },
      { includedDistance: '2005' },
      { nightStart: '2300' },
      { freeWaitingTime: '6000' },
      { enabledAt: '2026-01-01' },
    ]) {
      expect(() => encodeFareParametersSet({ ...base, ...change }), JSON.stringify(change)).toThrow(
        RangeError,
      );
    }
  });
});

describe('framer', () => {
  it('cuts frames by length although their bodies hold 55 AA, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(anyFrame, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames);
          const result = framesOf(createJtt905Framer(), split(stream, cuts));
          expect(result).toEqual({ frames: frames.map((f) => f.toString('hex')), garbage: '' });
        },
      ),
    );
  });

  it('gives the same frames and garbage for any chunking of any byte stream', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            anyFrame,
            fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
            fc.constant(hex('55aa')),
          ),
          {
            maxLength: 8,
          },
        ),
        fc.array(fc.nat(), { maxLength: 16 }),
        (parts, cuts) => {
          const stream = Buffer.concat(parts);
          const whole = framesOf(createJtt905Framer(), [stream]);
          const chunked = framesOf(createJtt905Framer(), split(stream, cuts));
          expect(chunked).toEqual(whole);
        },
      ),
    );
  });

  it('resynchronises: every frame after noise or a frame cut short is found', () => {
    // No 55 AA but the marks, so that no false start can (rarely, legitimately) swallow a good frame.
    const noise = fc
      .uint8Array({ maxLength: 30 })
      .map((bytes) => Buffer.from(bytes.filter((b) => b !== 0x55)));
    const cleanFrame = anyFrame.filter((frame) => frame.subarray(1, -2).indexOf(hex('55aa')) < 0);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(noise, cleanFrame, fc.boolean()), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (items, cuts) => {
          // A cut-short frame before a good one: its length field points past the good frame's start.
          const parts = items.flatMap(([garbage, frame, cut]) =>
            cut ? [garbage, frame.subarray(0, Math.max(4, frame.length - 3)), frame] : [garbage, frame],
          );
          const result = framesOf(createJtt905Framer(), split(Buffer.concat(parts), cuts));
          expect(result.frames).toEqual(items.map(([, frame]) => frame.toString('hex')));
        },
      ),
    );
  });

  it('drops a length field beyond the maximum at once instead of waiting for it', () => {
    const framer = createJtt905Framer({ maxFrameLength: 64 });
    const good = frameOf('status-query-smallchi');
    const result = framesOf(framer, [Buffer.concat([hex('55aa ffff 02'), good])], false);
    expect(result.frames).toEqual([good.toString('hex')]);
  });

  it('reports a frame left incomplete as garbage when the line goes idle', () => {
    const framer = createJtt905Framer();
    const good = frameOf('status-query-smallchi');
    expect(framer.push(good.subarray(0, 10))).toEqual([]);
    expect(framer.flushIdle()).toEqual([{ garbage: good.subarray(0, 10), reason: 'partial frame' }]);
    expect(framesOf(framer, [good]).frames).toEqual([good.toString('hex')]);
  });
});

describe('decoders never throw', () => {
  it('on random bytes, given to every decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 0xffff }), (raw, command) => {
        const bytes = Buffer.from(raw);
        for (const result of [
          parseFrame(bytes),
          decodeJtt905Frame(bytes),
          decodeTripRecord(bytes),
          decodeStatus(bytes),
          decodeFareParameters(bytes),
          decodeMessage({ deviceType: 2, flag: 0, command, body: bytes }),
        ]) {
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(result.code).toMatch(/^MG_ERR_FRAME_/);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('on well-formed frames with random bodies of every command and length', () => {
    const lengths = [0, 1, 4, 6, 7, 10, 55, 61, 66, 70];
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(JTT905_COMMANDS)),
        fc.constantFrom(...lengths),
        fc.uint8Array({ minLength: 70, maxLength: 70 }),
        fc.boolean(),
        (command, length, raw, digitsOnly) => {
          // BCD-looking bytes reach the deeper checks (calendar, minutes) more often than random ones.
          const body = Buffer.from(
            raw.subarray(0, length).map((b) => (digitsOnly ? ((b % 10) << 4) | ((b >> 4) % 10) : b)),
          );
          const result = decodeJtt905Frame(encodeFrame({ command, body }));
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 1500 },
    );
  });
});
