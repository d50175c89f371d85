import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadGoldenCases, parseHex } from '../../test/helpers/testcases.js';
import type { FramerOutput } from '../transport/framers.js';
import {
  CD1,
  crc16Arc,
  createDartFramer,
  DLE,
  dartFrameOptions,
  decodeBcd,
  decodeControllerTransaction,
  decodeDartFrame,
  decodeLineFrame,
  decodePumpPayload,
  decodePumpTransaction,
  encodeBcd,
  encodeCd1,
  encodeCd3PresetVolume,
  encodeCd4PresetAmount,
  encodeCd5Prices,
  encodeCd101,
  encodeControlFrame,
  encodeDataFrame,
  encodePoll,
  encodeTransaction,
  escapeData,
  nextSeq,
  SF,
  splitTransactions,
  totalsCounter,
  unescapeData,
} from './protocol.js';

const hex = (text: string) => parseHex(text).toString('hex');

/**
 * CRC-16/ARC written the other way round from the driver's: the textbook MSB-first CRC with
 * polynomial 0x8005 over bit-reversed input bytes, its result bit-reversed.
 */
function referenceCrcArc(bytes: Uint8Array): number {
  const reflect = (value: number, bits: number) => {
    let out = 0;
    for (let i = 0; i < bits; i++) if (value & (1 << i)) out |= 1 << (bits - 1 - i);
    return out;
  };
  let crc = 0;
  for (const byte of bytes) {
    crc ^= reflect(byte, 8) << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
  }
  return reflect(crc, 16);
}

/** Payloads that often hold SF and DLE bytes, where transparency bugs live. */
const awkwardBytes = fc.uint8Array({ maxLength: 60 }).chain((bytes) =>
  fc.array(fc.constantFrom(SF, DLE, 0x03, 0x50), { maxLength: 6 }).chain((specials) =>
    fc.array(fc.nat(), { minLength: specials.length, maxLength: specials.length }).map((positions) => {
      const out = [...bytes];
      specials.forEach((byte, i) => {
        out.splice(positions[i]! % (out.length + 1), 0, byte);
      });
      return Uint8Array.from(out);
    }),
  ),
);

function framesOf(outputs: FramerOutput[]): string[] {
  return outputs.flatMap((o) => ('frame' in o ? [o.frame.toString('hex')] : []));
}

describe('DART level 2', () => {
  it('computes CRC-16/ARC: check value of "123456789" and the captured frames', () => {
    expect(crc16Arc(Buffer.from('123456789'))).toBe(0xbb3d);
    expect(crc16Arc(parseHex('51 30 65 01 01'))).toBe(0x8322);
    expect(crc16Arc(parseHex('51 35 01 01 00'))).toBe(0x50a2);
  });

  it('agrees with a bitwise MSB-first reference CRC on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc16Arc(bytes)).toBe(referenceCrcArc(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes the controller frames of the reference byte for byte', () => {
    expect(encodeDataFrame(0x51, 0, encodeCd101(totalsCounter(1, 'volume'))).toString('hex')).toBe(
      hex('51 30 65 01 01 22 83 03 FA'),
    );
    expect(encodeDataFrame(0x51, 5, encodeCd1(CD1.returnStatus)).toString('hex')).toBe(
      hex('51 35 01 01 00 A2 50 03 FA'),
    );
    expect(encodeDataFrame(0x50, 1, encodeCd1(CD1.authorize)).toString('hex')).toBe(
      hex('50 31 01 01 06 1E A2 03 FA'),
    );
    expect(encodeDataFrame(0x50, 2, encodeCd1(CD1.reset)).toString('hex')).toBe(
      hex('50 32 01 01 05 5E E7 03 FA'),
    );
    expect(encodeDataFrame(0x50, 3, encodeCd5Prices(['12.345', '12.345'], 3)).toString('hex')).toBe(
      hex('50 33 05 06 01 23 45 01 23 45 BD 96 03 FA'),
    );
    expect(encodeDataFrame(0x50, 5, encodeCd3PresetVolume('20.00', 2)).toString('hex')).toBe(
      hex('50 35 03 04 00 00 20 00 88 0C 03 FA'),
    );
    expect(encodePoll(0x50).toString('hex')).toBe(hex('50 20 FA'));
    expect(encodeControlFrame(0x50, 'EOT', 0).toString('hex')).toBe(hex('50 70 FA'));
    expect(encodeControlFrame(0x50, 'ACK', 1).toString('hex')).toBe(hex('50 C1 FA'));
    expect(encodeControlFrame(0x6f, 'NAK', 0xf).toString('hex')).toBe(hex('6F 5F FA'));
    expect(encodeControlFrame(0x52, 'ACKPOLL', 3).toString('hex')).toBe(hex('52 E3 FA'));
  });

  it('escapes a CRC byte equal to 0xFA and leaves it out of the CRC', () => {
    const frame = encodeDataFrame(0x5b, 1, encodeTransaction(0x01, Buffer.from([1])));
    expect(frame.toString('hex')).toBe(hex('5B 31 01 01 01 10 FA A1 03 FA'));
    expect(decodeLineFrame(frame)).toMatchObject({ ok: true, value: { address: 0x5b, seq: 1 } });
  });

  it('round-trips DLE escaping, and an escaped stream has no bare SF', () => {
    fc.assert(
      fc.property(awkwardBytes, (bytes) => {
        const escaped = escapeData(bytes);
        expect([...unescapeData(escaped)]).toEqual([...bytes]);
        escaped.forEach((byte, i) => {
          if (byte === SF) expect(escaped[i - 1]).toBe(DLE);
        });
      }),
    );
  });

  it('round-trips DATA frames whatever 0xFA and 0x10 bytes the data or the CRC holds', () => {
    let crcWithSf = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0x50, max: 0x6f }),
        fc.integer({ min: 0, max: 15 }),
        awkwardBytes,
        (a, s, data) => {
          const frame = encodeDataFrame(a, s, data);
          const crc = crc16Arc(Buffer.concat([Buffer.from([a, 0x30 | s]), data]));
          if ((crc & 0xff) === SF || crc >> 8 === SF) crcWithSf++;
          const result = decodeLineFrame(frame);
          expect(result).toEqual({
            ok: true,
            value: { address: a, kind: 'DATA', seq: s, payload: Buffer.from(data) },
          });
          // The framer cuts exactly this frame out of a stream.
          expect(framesOf(createDartFramer().push(frame))).toEqual([frame.toString('hex')]);
        },
      ),
      { numRuns: 3000 },
    );
    // The property must have met CRCs that needed escaping (1 in ~128 frames).
    expect(crcWithSf).toBeGreaterThan(0);
  });

  it('cuts the same frames from a stream however it is chunked', () => {
    const frame = fc.oneof(
      fc
        .tuple(fc.integer({ min: 0x50, max: 0x6f }), fc.integer({ min: 0, max: 15 }), awkwardBytes)
        .map(([a, s, d]) => encodeDataFrame(a, s, d)),
      fc
        .tuple(
          fc.integer({ min: 0x50, max: 0x6f }),
          fc.constantFrom('POLL', 'EOT', 'ACK', 'NAK', 'ACKPOLL') as fc.Arbitrary<'POLL'>,
          fc.integer({ min: 0, max: 15 }),
        )
        .map(([a, k, s]) => encodeControlFrame(a, k, s)),
    );
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40 })),
        (frames, cuts) => {
          const stream = Buffer.concat(frames);
          const whole = framesOf(createDartFramer().push(stream));
          expect(whole).toEqual(frames.map((f) => f.toString('hex')));
          const framer = createDartFramer();
          const chunked: string[] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts.length > 0 ? cuts[i % cuts.length]! : stream.length;
            chunked.push(...framesOf(framer.push(stream.subarray(at, at + size))));
            at += size;
          }
          expect(chunked).toEqual(whole);
        },
      ),
    );
  });

  it('resynchronises after noise: bytes that cannot start a frame are garbage', () => {
    const framer = createDartFramer();
    const out = framer.push(Buffer.concat([parseHex('00 FF 03'), encodePoll(0x50)]));
    expect(out).toEqual([
      { garbage: parseHex('00 FF 03'), reason: 'byte outside a DART frame' },
      { frame: encodePoll(0x50) },
    ]);
    framer.push(parseHex('50 31 01'));
    expect(framer.flushIdle()).toEqual([{ garbage: parseHex('50 31 01'), reason: 'partial DART frame' }]);
  });

  it('wraps TX# from F to 1, never back to 0', () => {
    expect(nextSeq(0)).toBe(1);
    expect(nextSeq(14)).toBe(15);
    expect(nextSeq(15)).toBe(1);
  });

  it('rejects frames that are not DART with the right code', () => {
    expect(decodeLineFrame(parseHex('50 20'))).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decodeLineFrame(parseHex('40 20 FA'))).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decodeLineFrame(parseHex('50 30 FA'))).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decodeLineFrame(parseHex('50 70 00 FA'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeLineFrame(parseHex('50 31 01 01 06 1E A2 03 10 FA'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeLineFrame(parseHex('50 31 01 01 06 1E A3 03 FA'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_CHECKSUM',
    });
    expect(decodeLineFrame(Buffer.alloc(300, 0x50))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_TOO_LONG',
    });
  });
});

describe('DART level 3', () => {
  it('round-trips packed BCD, most significant digit first', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((n) => fc.tuple(fc.constant(n), fc.stringMatching(new RegExp(`^\\d{0,${2 * n}}$`)))),
        ([bytes, digits]) => {
          const encoded = encodeBcd(digits, bytes);
          expect(encoded.length).toBe(bytes);
          expect(decodeBcd(encoded)).toBe(digits.padStart(2 * bytes, '0'));
        },
      ),
    );
    expect(encodeBcd('428', 4).toString('hex')).toBe('00000428');
    expect(decodeBcd(parseHex('12 3A'))).toBeUndefined();
    expect(() => encodeBcd('123', 1)).toThrow(RangeError);
  });

  it('decodes every DC transaction with the pump decimals', () => {
    const d = { decimals: { volume: 2, amount: 2, unitPrice: 3 } };
    const tx = (text: string) => {
      const bytes = parseHex(text);
      return { trans: bytes[0]!, data: bytes.subarray(2) };
    };
    expect(decodePumpTransaction(tx('01 01 05'))).toEqual({
      ok: true,
      value: { type: 'DC1', statusCode: 5, status: 'completed' },
    });
    expect(decodePumpTransaction(tx('01 01 03'))).toMatchObject({ ok: true, value: { status: 'unknown-3' } });
    expect(decodePumpTransaction(tx('02 08 00 00 04 28 00 00 34 77'), d)).toEqual({
      ok: true,
      value: { type: 'DC2', volume: '4.28', amount: '34.77' },
    });
    expect(decodePumpTransaction(tx('03 04 00 78 90 02'), d)).toEqual({
      ok: true,
      value: { type: 'DC3', unitPrice: '7.890', nozzle: 2, nozzleOut: false },
    });
    expect(decodePumpTransaction(tx('05 01 09'))).toEqual({
      ok: true,
      value: { type: 'DC5', alarmCode: 9, alarm: 'emergency-stop' },
    });
    expect(decodePumpTransaction(tx('65 10 11 00 97 40 73 99 00 97 40 73 99 00 00 00 00 00'), d)).toEqual({
      ok: true,
      value: {
        type: 'DC101',
        counter: 0x11,
        nozzle: 1,
        quantity: 'amount',
        total: '974073.99',
        meter1: '974073.99',
        meter2: '0.00',
      },
    });
    expect(decodePumpTransaction(tx('66 02 AB CD'))).toEqual({
      ok: true,
      value: { type: 'unknown', trans: 0x66, data: 'abcd' },
    });
    expect(decodePumpTransaction(tx('02 04 00 00 04 28'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodePumpTransaction(tx('02 08 00 00 04 2A 00 00 34 77'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
  });

  it('reads DPVOL/DPAMO/DPUNP from both DC7 layouts, and refuses implausible ones', () => {
    const grades = Buffer.from([1, 2, ...new Array(13).fill(0)]);
    const short = Buffer.concat([Buffer.from([3, 2, 3]), encodeBcd('500000', 4), grades]);
    const long = Buffer.concat([
      Buffer.alloc(22),
      Buffer.from([3, 2, 3]),
      Buffer.alloc(5),
      encodeBcd('500000', 4),
      Buffer.alloc(1),
      grades,
    ]);
    const expected = {
      type: 'DC7',
      decimals: { volume: 3, amount: 2, unitPrice: 3 },
      maxAmount: '5000.00',
      grades: [1, 2, ...new Array(13).fill(0)],
    };
    expect(decodePumpTransaction({ trans: 7, data: short })).toEqual({ ok: true, value: expected });
    expect(decodePumpTransaction({ trans: 7, data: long })).toEqual({ ok: true, value: expected });
    expect(decodePumpTransaction({ trans: 7, data: Buffer.alloc(30) })).toMatchObject({ ok: false });
    const moved = Buffer.concat([Buffer.alloc(4), short]);
    expect(decodePumpTransaction({ trans: 7, data: moved }, { dc7DecimalsOffset: 4 })).toEqual({
      ok: true,
      value: { type: 'DC7', decimals: expected.decimals },
    });
    const wild = Buffer.from(short);
    wild[2] = 9;
    expect(decodePumpTransaction({ trans: 7, data: wild })).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
  });

  it('encodes and decodes controller transactions', () => {
    const decimals = { volume: 2, amount: 2, unitPrice: 2 };
    const decode = (bytes: Buffer) => {
      const split = splitTransactions(bytes);
      if (!split.ok) throw new Error(split.reason);
      return split.value.map((t) => decodeControllerTransaction(t, decimals));
    };
    expect(
      decode(Buffer.concat([encodeCd1(CD1.stop), encodeCd4PresetAmount('100.00', 2), encodeCd101(0x12)])),
    ).toEqual([
      { ok: true, value: { type: 'CD1', command: 8, name: 'stop' } },
      { ok: true, value: { type: 'CD4', presetAmount: '100.00' } },
      { ok: true, value: { type: 'CD101', counter: 0x12, nozzle: 2, quantity: 'amount' } },
    ]);
    expect(() => totalsCounter(10, 'volume')).toThrow(RangeError);
    expect(() => encodeCd5Prices(['1.234'], 2)).toThrow(RangeError);
  });

  it('rejects a transaction whose length runs past the frame', () => {
    expect(splitTransactions(parseHex('01 05 00'))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(splitTransactions(parseHex('01'))).toMatchObject({ ok: false });
    expect(decodePumpPayload(parseHex('01 01 04 02 08 00'))).toMatchObject({ ok: false });
  });

  it('reads decodeFrame options defensively', () => {
    expect(dartFrameOptions(undefined)).toEqual({});
    expect(dartFrameOptions({ direction: 'sideways', decimals: { volume: -1 } })).toEqual({});
    expect(
      dartFrameOptions({ direction: 'controller', decimals: { volume: 1, amount: 2, unitPrice: 3 } }),
    ).toEqual({
      direction: 'controller',
      decimals: { volume: 1, amount: 2, unitPrice: 3 },
    });
  });
});

describe('DART decoders under fuzzing', () => {
  const options = [
    {},
    { direction: 'controller' as const },
    { decimals: { volume: 2, amount: 2, unitPrice: 3 } },
    { dc7DecimalsOffset: 3 },
  ];

  it('never throw on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...options), (bytes, o) => {
        for (const result of [
          decodeLineFrame(bytes),
          decodeDartFrame(bytes, o),
          splitTransactions(bytes),
          decodePumpPayload(bytes, o),
          ...(bytes.length > 0
            ? [
                decodePumpTransaction({ trans: bytes[0]!, data: Buffer.from(bytes.subarray(1)) }, o),
                decodeControllerTransaction({ trans: bytes[0]!, data: Buffer.from(bytes.subarray(1)) }),
              ]
            : []),
        ]) {
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(result.code).toMatch(/^MG_ERR_/);
        }
        expect(decodeBcd(bytes) === undefined || /^\d*$/.test(decodeBcd(bytes)!)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throw on valid DATA frames around random transactions (CRC right, content random)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(...options), (payload, o) => {
        const result = decodeDartFrame(encodeDataFrame(0x50, 1, payload), o);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('the framer keeps every byte: frames plus garbage give back the stream', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const framer = createDartFramer();
        const out = [...framer.push(Buffer.from(bytes)), ...framer.flushIdle()];
        const rebuilt = Buffer.concat(out.map((o) => ('frame' in o ? o.frame : o.garbage)));
        expect(rebuilt.toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('DART golden frames', () => {
  const cases = loadGoldenCases('dispenser-dart');

  it('holds every verified frame of device-protocols.md §2.1', () => {
    const frames = cases.map((c) => c.frame.toString('hex'));
    for (const verified of [
      '51 30 65 01 01 22 83 03 FA',
      '51 35 01 01 00 A2 50 03 FA',
      '51 31 01 01 04 03 04 00 81 23 11 02 08 00 00 04 28 00 00 34 77 03 04 00 81 23 11 83 55 03 FA',
      '50 31 01 01 06 1E A2 03 FA',
      '50 32 01 01 05 5E E7 03 FA',
      '50 33 05 06 01 23 45 01 23 45 BD 96 03 FA',
      '50 35 03 04 00 00 20 00 88 0C 03 FA',
      '50 20 FA',
      '50 70 FA',
    ]) {
      expect(frames).toContain(hex(verified));
    }
  });

  it('re-encodes every valid controller frame from its decoded transactions', () => {
    for (const c of cases.filter((c) => (c.config as { direction?: string })?.direction === 'controller')) {
      const line = decodeLineFrame(c.frame);
      if (!line.ok) throw new Error(`${c.name}: ${line.reason}`);
      expect(
        encodeDataFrame(line.value.address, line.value.seq, line.value.payload!).toString('hex'),
        c.name,
      ).toBe(c.frame.toString('hex'));
    }
  });
});
