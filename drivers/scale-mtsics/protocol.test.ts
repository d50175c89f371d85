import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../errors.js';
import type { FramerOutput } from '../transport/framers.js';
import {
  createMtsicsFramer,
  decodeMtsicsFrame,
  decodeMtsicsReply,
  encodeCommand,
  encodePresetTare,
  isGeneralError,
  type MtsicsCommand,
  parseBalanceData,
  parseTextReply,
  replyIdOf,
} from './protocol.js';

const ascii = (text: string) => Buffer.from(text, 'latin1');
const decode = (text: string) => decodeMtsicsReply(ascii(text));

describe('MT-SICS command encoding', () => {
  it.each<[MtsicsCommand, string]>([
    ['@', '40 0d 0a'],
    ['I1', '49 31 0d 0a'],
    ['I2', '49 32 0d 0a'],
    ['I3', '49 33 0d 0a'],
    ['I4', '49 34 0d 0a'],
    ['S', '53 0d 0a'],
    ['SI', '53 49 0d 0a'],
    ['SIR', '53 49 52 0d 0a'],
    ['Z', '5a 0d 0a'],
    ['ZI', '5a 49 0d 0a'],
    ['T', '54 0d 0a'],
    ['TI', '54 49 0d 0a'],
    ['TA', '54 41 0d 0a'],
    ['TAC', '54 41 43 0d 0a'],
  ])('%s is the command text followed by CR LF', (command, hex) => {
    expect(encodeCommand(command).toString('hex')).toBe(hex.replace(/ /g, ''));
  });

  it('encodes a preset tare as TA <value> <unit> CR LF', () => {
    expect(encodePresetTare('12.3', 'g').toString('latin1')).toBe('TA 12.3 g\r\n');
    expect(encodePresetTare(' 2.486 ', 'kg').toString('latin1')).toBe('TA 2.486 kg\r\n');
  });

  it('refuses a preset tare that is not a decimal or a unit', () => {
    for (const [value, unit] of [
      ['12,3', 'g'],
      ['1e3', 'g'],
      ['', 'g'],
      ['12.3', ''],
      ['12.3', 'k g'],
      ['12.3', 'g\r\nZ'],
    ] as const) {
      let caught: unknown;
      try {
        encodePresetTare(value, unit);
      } catch (error) {
        caught = error;
      }
      expect(isMetrogateError(caught, 'MG_ERR_INPUT_INVALID'), `${value} ${unit}`).toBe(true);
    }
  });
});

describe('MT-SICS weight replies', () => {
  it('reads the value of the 10-character field and the unit', () => {
    expect(decode('S S     100.00 g\r\n')).toEqual({
      ok: true,
      value: { kind: 'weight', id: 'S', status: 'S', value: '100.00', unit: 'g', quality: 'good' },
    });
  });

  it('accepts the frame with or without its CR LF', () => {
    expect(decode('S D      12.34 kg')).toEqual(decode('S D      12.34 kg\r\n'));
    expect(decode('S D      12.34 kg')).toMatchObject({ ok: true, value: { quality: 'unstable' } });
  });

  it('keeps the resolution and the sign', () => {
    expect(decode('S S      -0.05 kg')).toMatchObject({ ok: true, value: { value: '-0.05' } });
    expect(decode('S S      -0.00 kg')).toMatchObject({ ok: true, value: { value: '0.00' } });
    expect(decode('S S  12345.678 mg')).toMatchObject({
      ok: true,
      value: { value: '12345.678', unit: 'mg' },
    });
    expect(decode('S S 1234567.890 g')).toMatchObject({ ok: true, value: { value: '1234567.890' } });
  });

  it('reads a sign printed apart from the digits (column rule UNCONFIRMED)', () => {
    expect(decode('S S -     0.05 kg')).toMatchObject({ ok: true, value: { value: '-0.05', unit: 'kg' } });
  });

  it('takes SI and SIR as reply ids too (firmwares that echo the command)', () => {
    expect(decode('SI S     1.00 g')).toMatchObject({ ok: true, value: { id: 'SI', quality: 'good' } });
    expect(decode('SIR D     1.00 g')).toMatchObject({ ok: true, value: { id: 'SIR', quality: 'unstable' } });
  });

  it('turns S + and S - into overload and underload readings, not errors', () => {
    expect(decode('S +')).toEqual({
      ok: true,
      value: { kind: 'weight', id: 'S', status: '+', quality: 'overload' },
    });
    expect(decode('S -')).toMatchObject({ ok: true, value: { quality: 'underload' } });
  });

  it('reports S I as busy', () => {
    expect(decode('S I')).toMatchObject({ ok: false, code: 'MG_ERR_DEVICE_BUSY' });
  });

  it.each([
    ['S S', 'no value'],
    ['S S     100.00', 'no unit'],
    ['S S     1p0.00 g', 'noise in the digits'],
    ['S S     100.00 g extra', 'a parameter too many'],
    ['S A     100.00 g', 'status A in a weight reply'],
    ['S + 100.00 g', 'parameters after +'],
    ['S S     100.00 "g"', 'quoted unit'],
    ['S S     100.00 k`', 'noise in the unit'],
    ['S\x13S     100.00 g', 'control byte'],
    ['s S     100.00 g', 'lower-case id'],
    ['', 'empty line'],
  ])('rejects %j as garbled (%s)', (line) => {
    expect(decode(line)).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
  });
});

describe('MT-SICS error replies', () => {
  it.each([
    ['ES', /syntax error/],
    ['ET', /transmission error.*line settings/],
    ['EL', /logical error/],
  ])('%s is a device error that says what it means', (line, meaning) => {
    const result = decode(`${line}\r\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe('MG_ERR_DEVICE_ERROR');
      expect(result.reason).toMatch(meaning);
    }
  });

  it('rejects a general error followed by parameters as garbled', () => {
    expect(decode('ES A')).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
  });

  it.each([
    ['Z +', /upper limit.*outside the zero range/],
    ['Z -', /lower limit.*outside the zero range/],
    ['ZI +', /outside the zero range/],
    ['T +', /upper limit.*outside the taring range/],
    ['TI -', /lower limit.*outside the taring range/],
    ['TA L', /logical error/],
    ['D L', /logical error/],
  ])('%s is a device error (%s)', (line, meaning) => {
    const result = decode(line);
    expect(result).toMatchObject({ ok: false, code: 'MG_ERR_DEVICE_ERROR' });
    if (!result.ok) expect(result.reason).toMatch(meaning);
  });

  it.each(['Z I', 'ZI I', 'T I', 'TI I', 'TA I', 'TAC I', 'I4 I', 'I2 I'])('%s is busy', (line) => {
    expect(decode(line)).toMatchObject({ ok: false, code: 'MG_ERR_DEVICE_BUSY' });
  });
});

describe('MT-SICS command replies', () => {
  it('reads zero and clear-tare acknowledgements', () => {
    expect(decode('Z A')).toEqual({ ok: true, value: { kind: 'reply', id: 'Z', status: 'A', params: [] } });
    expect(decode('ZI D')).toMatchObject({ ok: true, value: { id: 'ZI', status: 'D' } });
    expect(decode('TAC A')).toMatchObject({ ok: true, value: { id: 'TAC', status: 'A' } });
  });

  it('reads the tare value of T, TI and TA replies', () => {
    expect(decode('T S       5.00 kg')).toEqual({
      ok: true,
      value: { kind: 'tare', id: 'T', status: 'S', value: '5.00', unit: 'kg' },
    });
    expect(decode('TI D       0.51 kg')).toMatchObject({ ok: true, value: { kind: 'tare', status: 'D' } });
    expect(decode('TA A 12.3 g')).toMatchObject({
      ok: true,
      value: { kind: 'tare', value: '12.3', unit: 'g' },
    });
    expect(decode('TA A 2.486 g')).toMatchObject({ ok: true, value: { value: '2.486' } });
    expect(decode('TA A 12,3 g')).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
  });

  it('reads quoted and unquoted identification texts', () => {
    expect(decode('I4 A "1234567"')).toEqual({
      ok: true,
      value: { kind: 'reply', id: 'I4', status: 'A', params: ['1234567'] },
    });
    expect(decode('I4 A 0123456789')).toMatchObject({ ok: true, value: { params: ['0123456789'] } });
    expect(decode('I1 A "01" "2.20" "2.20" "1.00" "1.00"')).toMatchObject({
      ok: true,
      value: { params: ['01', '2.20', '2.20', '1.00', '1.00'] },
    });
    expect(decode('I3 A "aa-bb-cc.cc.cc-dd-e"')).toMatchObject({
      ok: true,
      value: { params: ['aa-bb-cc.cc.cc-dd-e'] },
    });
    expect(decode('I0 B 1 "D"')).toMatchObject({ ok: true, value: { status: 'B', params: ['1', 'D'] } });
  });

  it('keeps Latin-1 text inside quotes and rejects broken quoting', () => {
    expect(decodeMtsicsReply(Buffer.from('I2 A "Waage \xb5 5 g"', 'latin1'))).toMatchObject({
      ok: true,
      value: { params: ['Waage \u00b5 5 g'] },
    });
    expect(decode('I4 A "1234567')).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decode('I4 A "12"34')).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decode('I4 A 12"34"')).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
  });

  it('needs a status after the id', () => {
    expect(decode('Z')).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decode('Z X')).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
  });
});

describe('MT-SICS reply ids and identity texts', () => {
  it('finds the reply id without judging the rest of the line', () => {
    expect(replyIdOf(ascii('S S     1p0.00 g'))).toBe('S');
    expect(replyIdOf(ascii('I4 A "1"\r\n'))).toBe('I4');
    expect(replyIdOf(ascii('ET\r\n'))).toBe('ET');
    expect(replyIdOf(ascii('ST,+00123.45  g'))).toBeUndefined();
    expect(replyIdOf(Buffer.from([0x02, 0x53, 0x03]))).toBeUndefined();
    expect(isGeneralError('ES')).toBe(true);
    expect(isGeneralError('S')).toBe(false);
    expect(isGeneralError('toString')).toBe(false);
  });

  it('splits I2 balance data into type, capacity and unit', () => {
    expect(parseBalanceData(['XS204 Excellence 220.0090 g'])).toEqual({
      model: 'XS204 Excellence',
      capacity: '220.0090',
      unit: 'g',
    });
    expect(parseBalanceData(['ICS469 OU 60.18 kg'])).toEqual({
      model: 'ICS469 OU',
      capacity: '60.18',
      unit: 'kg',
    });
    expect(parseBalanceData(['WMS404C', '410.1120 g'])).toEqual({
      model: 'WMS404C',
      capacity: '410.1120',
      unit: 'g',
    });
    expect(parseBalanceData(['PG5002-S'])).toEqual({ model: 'PG5002-S' });
    expect(parseBalanceData([])).toEqual({});
  });

  it('joins identification texts and ignores empty ones', () => {
    expect(parseTextReply(['1234567'])).toBe('1234567');
    expect(parseTextReply(['01', '2.20'])).toBe('01 2.20');
    expect(parseTextReply(['  '])).toBeUndefined();
  });
});

describe('MT-SICS framing', () => {
  const framesOf = (outputs: FramerOutput[]) =>
    outputs.flatMap((output) => ('frame' in output ? [output.frame.toString('latin1')] : []));

  it('cuts lines at CR LF and leaves the terminator out', () => {
    const framer = createMtsicsFramer();
    expect(framesOf(framer.push(ascii('S S     100.00 g\r\nZ A\r\nI4 A "1')))).toEqual([
      'S S     100.00 g',
      'Z A',
    ]);
    expect(framesOf(framer.push(ascii('234567"\r\n')))).toEqual(['I4 A "1234567"']);
  });

  it('reports a line left without its terminator as garbage when the line goes idle', () => {
    const framer = createMtsicsFramer();
    expect(framer.idleFlushMs).toBeGreaterThan(0);
    framer.push(ascii('S S     10'));
    expect(framer.flushIdle()).toEqual([{ garbage: ascii('S S     10'), reason: expect.any(String) }]);
  });

  it('gives the same frames whatever the chunking', () => {
    const line = fc.constantFrom(
      'S S     100.00 g\r\n',
      'S D      -1.25 kg\r\n',
      'S +\r\n',
      'ES\r\n',
      'I4 A "1234567"\r\n',
      'TA A 12.3 g\r\n',
      '\r\n',
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            line,
            fc.string({ maxLength: 20 }).map((s) => s.replace(/\r\n/g, '')),
          ),
          {
            maxLength: 12,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }),
        (parts, cuts) => {
          const stream = ascii(parts.join(''));
          const whole = framesOf(createMtsicsFramer().push(stream));
          const framer = createMtsicsFramer();
          const chunked: string[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            chunked.push(...framesOf(framer.push(stream.subarray(offset, offset + size))));
            offset += size;
          }
          expect(chunked).toEqual(whole);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes whatever random bytes come through the framer without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        for (const output of createMtsicsFramer().push(Buffer.from(bytes))) {
          if (!('frame' in output)) continue;
          const result = decodeMtsicsFrame(output.frame);
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(result.code).toMatch(/^MG_ERR_(FRAME_GARBLED|DEVICE_BUSY|DEVICE_ERROR)$/);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never takes printable noise for a weight without a decimal value and a unit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const result = decode(text);
        if (result.ok && result.value.kind === 'weight' && result.value.value !== undefined) {
          expect(result.value.value).toMatch(/^-?\d+(\.\d+)?$|^-?\d+\.$|^-?\.\d+$/);
          expect(result.value.unit).toMatch(/^[A-Za-z%\u00b5]/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
