import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Framer } from '../transport/framers.js';
import {
  checkCharacters,
  createXk3190Framer,
  createXk3190ScanFramer,
  decodeEqFrame,
  decodeInstructionReply,
  decodeTf0Frame,
  decodeXk3190Frame,
  encodeInstructionCommand,
  instructionAddress,
  isXk3190Frame,
  xorOf,
} from './protocol.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const ascii = (text: string) => Buffer.from(text, 'latin1');

/** The reference's two format 0 examples (device-protocols.md §1.5). */
const PLUS_20_00 = hex('02 2B 30 30 32 30 30 30 32 31 42 03');
const PLUS_1_234 = hex('02 2B 30 30 31 32 33 34 33 31 43 03');

/** A format 0 frame built the long way round, to check the decoder against something independent. */
function tf0Frame(negative: boolean, digits: string, decimals: number): Buffer {
  const body = ascii(`${negative ? '-' : '+'}${digits}${decimals}`);
  let check = 0;
  for (const byte of body) check ^= byte;
  return Buffer.concat([
    hex('02'),
    body,
    ascii(check.toString(16).toUpperCase().padStart(2, '0')),
    hex('03'),
  ]);
}

function frames(framer: Framer, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    for (const output of framer.push(chunk)) if ('frame' in output) out.push(output.frame.toString('hex'));
  }
  return out;
}

/** Splits bytes at the given cut points. */
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

describe('XOR check', () => {
  it('is the XOR of bytes 2-9 as two upper-case hex characters', () => {
    expect(xorOf(PLUS_20_00.subarray(1, 9))).toBe(0x1b);
    expect(Buffer.from(checkCharacters(0x1b)).toString('latin1')).toBe('1B');
    expect(Buffer.from(checkCharacters(0x0a)).toString('latin1')).toBe('0A');
    expect(Buffer.from(checkCharacters(0xf0)).toString('latin1')).toBe('F0');
  });
});

describe('format 0 (tf0)', () => {
  it('decodes the reference examples', () => {
    expect(decodeTf0Frame(PLUS_20_00)).toEqual({
      ok: true,
      value: { kind: 'weight', format: 'tf0', value: '20.00' },
    });
    expect(decodeTf0Frame(PLUS_1_234)).toEqual({
      ok: true,
      value: { kind: 'weight', format: 'tf0', value: '1.234' },
    });
  });

  it('keeps the decimals digit as the resolution, including 0 and 4', () => {
    expect(decodeTf0Frame(tf0Frame(false, '123456', 0))).toMatchObject({ value: { value: '123456' } });
    expect(decodeTf0Frame(tf0Frame(false, '123456', 4))).toMatchObject({ value: { value: '12.3456' } });
    expect(decodeTf0Frame(tf0Frame(true, '000150', 2))).toMatchObject({ value: { value: '-1.50' } });
    expect(decodeTf0Frame(tf0Frame(true, '000000', 2))).toMatchObject({ value: { value: '0.00' } });
  });

  it('decodes every well-formed frame to its value', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 4 }),
        (negative, magnitude, decimals) => {
          const digits = String(magnitude).padStart(6, '0');
          const result = decodeTf0Frame(tf0Frame(negative, digits, decimals));
          const scaled = (magnitude / 10 ** decimals).toFixed(decimals);
          const expected = negative && magnitude !== 0 ? `-${scaled}` : scaled;
          expect(result).toEqual({ ok: true, value: { kind: 'weight', format: 'tf0', value: expected } });
        },
      ),
    );
  });

  it('rejects any single damaged byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const frame = Buffer.from(PLUS_20_00);
        frame[index] = frame[index]! ^ flip;
        const result = decodeTf0Frame(frame);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(['MG_ERR_FRAME_CHECKSUM', 'MG_ERR_FRAME_GARBLED']).toContain(result.code);
      }),
    );
  });

  it('calls a wrong XOR a checksum error and non-hex check characters garbled', () => {
    const wrong = Buffer.from(PLUS_20_00);
    wrong.write('1C', 9, 'latin1');
    expect(decodeTf0Frame(wrong)).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_CHECKSUM' });
    const lower = Buffer.from(PLUS_20_00);
    lower.write('1b', 9, 'latin1');
    expect(decodeTf0Frame(lower)).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decodeTf0Frame(PLUS_20_00.subarray(0, 11))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeTf0Frame(tf0Frame(false, '002000', 5))).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
  });
});

describe('continuous formats 1 and 2 (=)', () => {
  it('decodes the reference examples of format 1 (digits low first)', () => {
    expect(decodeEqFrame(ascii('=000.3000'), 'eq-reversed')).toEqual({
      ok: true,
      value: { kind: 'weight', format: 'eq-reversed', value: '3.000' },
    });
    expect(decodeEqFrame(ascii('=00.1000-'), 'eq-reversed')).toMatchObject({ value: { value: '-1.00' } });
  });

  it('decodes the reference examples of format 2 (reading order)', () => {
    expect(decodeEqFrame(ascii('=0003.000'), 'eq')).toEqual({
      ok: true,
      value: { kind: 'weight', format: 'eq', value: '3.000' },
    });
    expect(decodeEqFrame(ascii('=-0001.00'), 'eq')).toMatchObject({ value: { value: '-1.00' } });
  });

  it('reads the same bytes differently per format, which is why the format is configured', () => {
    expect(decodeEqFrame(ascii('=000.3000'), 'eq')).toMatchObject({ value: { value: '0.3000' } });
    expect(decodeXk3190Frame(ascii('=000.3000'))).toMatchObject({ value: { value: '3.000' } });
    expect(decodeXk3190Frame(ascii('=0003.000'), { format: 'eq' })).toMatchObject({
      value: { value: '3.000' },
    });
  });

  it('accepts a value without decimal point and rejects malformed ones', () => {
    expect(decodeEqFrame(ascii('=01234560'), 'eq')).toMatchObject({ value: { value: '1234560' } });
    expect(decodeEqFrame(ascii('=0000.0.0'), 'eq')).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeEqFrame(ascii('=+003.000'), 'eq')).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeEqFrame(ascii('=000.30000'), 'eq-reversed')).toMatchObject({ ok: false });
    expect(decodeEqFrame(ascii('=000.300+'), 'eq-reversed')).toMatchObject({ ok: false });
    expect(decodeEqFrame(ascii('=...'), 'eq')).toMatchObject({ ok: false });
  });

  it('decodes every value the = formats can show, both ways round', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 1, max: 5 }),
        (negative, magnitude, decimals) => {
          const text = (magnitude / 10 ** decimals).toFixed(decimals).padStart(7, '0');
          const sign = negative ? '-' : '0';
          const expected =
            negative && magnitude !== 0 ? `-${text.replace(/^0+(?=\d)/, '')}` : text.replace(/^0+(?=\d)/, '');
          expect(decodeEqFrame(ascii(`=${sign}${text}`), 'eq')).toMatchObject({ value: { value: expected } });
          const reversed = [...text].reverse().join('');
          expect(decodeEqFrame(ascii(`=${reversed}${sign}`), 'eq-reversed')).toMatchObject({
            value: { value: expected },
          });
        },
      ),
    );
  });
});

describe('instruction mode', () => {
  it('encodes the reference commands byte for byte', () => {
    expect(encodeInstructionCommand('A', 'A')).toEqual(hex('02 41 41 30 30 03'));
    expect(encodeInstructionCommand('A', 'B')).toEqual(hex('02 41 42 30 33 03'));
    expect(encodeInstructionCommand('A', 'C')).toEqual(hex('02 41 43 30 32 03'));
    expect(encodeInstructionCommand('A', 'D')).toEqual(hex('02 41 44 30 35 03'));
    expect(instructionAddress(0)).toBe('A');
    expect(instructionAddress(3)).toBe('D');
  });

  it('decodes the handshake echo and weight replies', () => {
    expect(decodeInstructionReply(hex('02 41 41 30 30 03'))).toEqual({
      ok: true,
      value: { kind: 'reply', address: 'A', command: 'A' },
    });
    const net = Buffer.concat([hex('02'), ascii('AD+0012352'), ascii('19'), hex('03')]);
    expect(decodeInstructionReply(net)).toEqual({
      ok: true,
      value: { kind: 'reply', address: 'A', command: 'D', value: '12.35' },
    });
    expect(decodeXk3190Frame(net)).toMatchObject({ value: { kind: 'reply', value: '12.35' } });
  });

  it('rejects wrong checks, non-letters and data on commands that carry none', () => {
    expect(decodeInstructionReply(hex('02 41 41 30 31 03'))).toMatchObject({ code: 'MG_ERR_FRAME_CHECKSUM' });
    expect(decodeInstructionReply(hex('02 31 41 37 30 03'))).toMatchObject({ code: 'MG_ERR_FRAME_GARBLED' });
    const handshakeWithData = Buffer.concat([hex('02'), ascii('AA+0012352'), ascii('1E'), hex('03')]);
    expect(decodeInstructionReply(handshakeWithData)).toMatchObject({ ok: false });
  });
});

describe('framers', () => {
  const garbage = fc.uint8Array({ maxLength: 8 }).map((bytes) =>
    // Noise between frames never holds a start byte, or it would open a frame by design.
    Buffer.from(bytes.filter((byte) => byte !== 0x02 && byte !== 0x3d && byte !== 0x03)),
  );

  it('cuts format 0 frames out of noise, whatever the chunking', () => {
    const frame = fc
      .tuple(fc.boolean(), fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 4 }))
      .map(([negative, magnitude, decimals]) =>
        tf0Frame(negative, String(magnitude).padStart(6, '0'), decimals),
      );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbage, frame), { maxLength: 6 }),
        fc.array(fc.nat(200)),
        (parts, cuts) => {
          const stream = Buffer.concat(parts.flat());
          const expected = parts.map(([, f]) => f.toString('hex'));
          expect(frames(createXk3190Framer('tf0'), [stream])).toEqual(expected);
          expect(frames(createXk3190Framer('tf0'), split(stream, cuts))).toEqual(expected);
          expect(frames(createXk3190ScanFramer(), split(stream, cuts))).toEqual(expected);
        },
      ),
    );
  });

  it('cuts = frames (no terminator) out of noise, whatever the chunking', () => {
    const frame = fc
      .stringMatching(/^[0-9]{3}\.[0-9]{3}$/)
      .chain((value) => fc.constantFrom(ascii(`=0${value}`), ascii(`=-${value}`), ascii(`=${value}0`)));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbage, frame), { maxLength: 6 }),
        fc.array(fc.nat(200)),
        (parts, cuts) => {
          const stream = Buffer.concat(parts.flat());
          const expected = parts.map(([, f]) => f.toString('hex'));
          for (const format of ['eq', 'eq-reversed'] as const) {
            expect(frames(createXk3190Framer(format), split(stream, cuts))).toEqual(expected);
          }
          expect(frames(createXk3190ScanFramer(), split(stream, cuts))).toEqual(expected);
        },
      ),
    );
  });

  it('drops a frame cut short and keeps the next whole one', () => {
    const eq = createXk3190Framer('eq');
    expect(eq.push(ascii('=0003.=0003.000'))).toEqual([
      { garbage: ascii('=0003.'), reason: 'frame restarted before its end' },
      { frame: ascii('=0003.000') },
    ]);
    const tf0 = createXk3190Framer('tf0');
    expect(frames(tf0, [PLUS_20_00.subarray(0, 6), PLUS_1_234])).toEqual([PLUS_1_234.toString('hex')]);
    const scan = createXk3190ScanFramer();
    expect(frames(scan, [PLUS_20_00.subarray(0, 6), ascii('=0003.000'), PLUS_20_00])).toEqual([
      ascii('=0003.000').toString('hex'),
      PLUS_20_00.toString('hex'),
    ]);
    expect(scan.flushIdle()).toEqual([]);
    scan.push(PLUS_20_00.subarray(0, 4));
    expect(scan.flushIdle()).toEqual([{ garbage: PLUS_20_00.subarray(0, 4), reason: 'partial frame' }]);
  });

  it('never lets an unterminated STX frame grow without bound', () => {
    const scan = createXk3190ScanFramer();
    const outputs = scan.push(Buffer.concat([hex('02'), ascii('A'.repeat(40))]));
    expect(
      outputs.some((output) => 'garbage' in output && output.reason === 'frame longer than the maximum'),
    ).toBe(true);
  });
});

describe('decoders never throw', () => {
  it('on random bytes, for every decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const frame = Buffer.from(bytes);
        for (const result of [
          decodeTf0Frame(frame),
          decodeEqFrame(frame, 'eq'),
          decodeEqFrame(frame, 'eq-reversed'),
          decodeInstructionReply(frame),
          decodeXk3190Frame(frame),
          decodeXk3190Frame(frame, { format: 'eq' }),
        ]) {
          if (!result.ok) expect(result.code).toMatch(/^MG_ERR_FRAME_/);
        }
        expect(typeof isXk3190Frame(frame)).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('on random bytes with a valid start byte and length', () => {
    const body = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
    fc.assert(
      fc.property(body(10), body(8), (tf0Body, eqBody) => {
        const tf0 = Buffer.concat([hex('02'), tf0Body, hex('03')]);
        const eq = Buffer.concat([ascii('='), eqBody]);
        expect(typeof decodeTf0Frame(tf0).ok).toBe('boolean');
        expect(typeof decodeEqFrame(eq, 'eq').ok).toBe('boolean');
        expect(typeof decodeEqFrame(eq, 'eq-reversed').ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
