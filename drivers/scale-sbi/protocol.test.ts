import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FramerOutput } from '../transport/framers.js';
import {
  createSbiFramer,
  decodeSbiFrame,
  decodeSbiPrint,
  decodeSbiTextReply,
  encodeSbiCommand,
  isSbiPrintLine,
  parseSbiCommand,
  type SbiFormatSetting,
} from './protocol.js';

const line = (text: string) => Buffer.from(`${text}\r\n`, 'latin1');

describe('SBI commands', () => {
  it.each([
    ['ESC P', '1b50'],
    ['ESC T', '1b54'],
    ['ESC U', '1b55'],
    ['ESC V', '1b56'],
    ['ESC x1_', '1b78315f'],
    ['ESC x2_', '1b78325f'],
    ['ESC x3_', '1b78335f'],
    ['ESC f3_', '1b66335f'],
    ['ESC f4_', '1b66345f'],
    ['ESC s3_', '1b73335f'],
    ['ESCkP_', '1b6b505f'],
    ['\u001bP', '1b50'],
  ])('encodes %s', (text, hex) => {
    expect(parseSbiCommand(text)?.toString('hex')).toBe(hex);
  });

  it.each(['P', 'ESC', 'ESC ', 'ESC P Q', 'TARE', `ESC ${'x'.repeat(23)}`])('refuses %j', (text) => {
    expect(parseSbiCommand(text)).toBeUndefined();
  });

  it('names the commands of the reference', () => {
    expect(encodeSbiCommand('print').toString('hex')).toBe('1b50');
    expect(encodeSbiCommand('tareKey').toString('hex')).toBe('1b54');
    expect(encodeSbiCommand('model').toString('hex')).toBe('1b78315f');
    expect(encodeSbiCommand('softwareVersion').toString('hex')).toBe('1b78335f');
  });
});

describe('SBI print lines', () => {
  it('decodes the 16-character example of the reference', () => {
    expect(decodeSbiPrint(line('+   123.56 g  '))).toEqual({
      ok: true,
      value: { format: 16, value: '123.56', unit: 'g', quality: 'good' },
    });
  });

  it('decodes the 22-character example with its ID code', () => {
    expect(decodeSbiPrint(line('N     +   123.56 g  '))).toEqual({
      ok: true,
      value: { format: 22, idCode: 'N', value: '123.56', unit: 'g', quality: 'good' },
    });
  });

  it('accepts the line with or without its CR LF, and with LF only', () => {
    const expected = decodeSbiPrint(line('-    12.5  kg '));
    expect(expected).toMatchObject({ ok: true, value: { value: '-12.5', unit: 'kg' } });
    expect(decodeSbiPrint(Buffer.from('-    12.5  kg ', 'latin1'))).toEqual(expected);
    expect(decodeSbiPrint(Buffer.from('-    12.5  kg \n', 'latin1'))).toEqual(expected);
    expect(decodeSbiPrint(Buffer.from('-    12.5  kg \r', 'latin1'))).toEqual(expected);
  });

  it('keeps the resolution the balance printed', () => {
    expect(decodeSbiPrint(line('+   100.00 g  '))).toMatchObject({ value: { value: '100.00' } });
    expect(decodeSbiPrint(line('+  0.00010 g  '))).toMatchObject({ value: { value: '0.00010' } });
    expect(decodeSbiPrint(line('+      253 pcs'))).toMatchObject({ value: { value: '253', unit: 'pcs' } });
    expect(decodeSbiPrint(line('-     0.00 kg '))).toMatchObject({ value: { value: '0.00' } });
  });

  it('reads a blank unit field as unstable', () => {
    expect(decodeSbiPrint(line('+   123.56    '))).toEqual({
      ok: true,
      value: { format: 16, value: '123.56', unit: '', quality: 'unstable' },
    });
  });

  it('drops the brackets around non-verified digits', () => {
    expect(decodeSbiPrint(line('+  123.5[6]g  '))).toMatchObject({ value: { value: '123.56', unit: 'g' } });
    expect(decodeSbiPrint(line('+[  123.56]g  '))).toMatchObject({ value: { value: '123.56', unit: 'g' } });
  });

  it.each([
    ['      H       ', 'overload', 'H'],
    ['      HH      ', 'overload', 'HH'],
    ['      High    ', 'overload', 'High'],
    ['H             ', 'overload', 'H'],
    ['      L       ', 'underload', 'L'],
    ['       LL     ', 'underload', 'LL'],
    ['      Low     ', 'underload', 'Low'],
    ['Stat        H       ', 'overload', 'H'],
    ['Stat        LL      ', 'underload', 'LL'],
    ['Stat     High       ', 'overload', 'High'],
    ['N           L       ', 'underload', 'L'],
  ])('finds the limit code in %j wherever it stands', (text, quality, code) => {
    expect(decodeSbiPrint(line(text))).toMatchObject({
      ok: true,
      value: { value: '', unit: '', quality, code },
    });
  });

  it.each([
    ['   Err  54    ', 'MG_ERR_DEVICE_ERROR'],
    ['   Err 101    ', 'MG_ERR_DEVICE_ERROR'],
    ['  Err 02      ', 'MG_ERR_DEVICE_ERROR'],
    ['Stat     ERR  54    ', 'MG_ERR_DEVICE_ERROR'],
    ['Stat     Err 320    ', 'MG_ERR_DEVICE_ERROR'],
    ['Stat     APP.ER     ', 'MG_ERR_DEVICE_ERROR'],
    ['Stat       XYZ      ', 'MG_ERR_DEVICE_ERROR'],
    ['Stat       OFF      ', 'MG_ERR_DEVICE_BUSY'],
    ['Stat     Cal.Ext.   ', 'MG_ERR_DEVICE_BUSY'],
    ['      C       ', 'MG_ERR_DEVICE_BUSY'],
    ['              ', 'MG_ERR_DEVICE_BUSY'],
  ])('maps %j to %s', (text, code) => {
    const result = decodeSbiPrint(line(text));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(code);
  });

  it('names the error code in the reason', () => {
    expect(decodeSbiPrint(line('   Err  54    '))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('Err 54'),
    });
  });

  it.each([
    ['a digit turned into a letter', '+   1s3.56 g  '],
    ['a space inside the number', '+   12 .56 g  '],
    ['two numbers', '+  12  34  g  '],
    ['an invalid sign', '*   123.56 g  '],
    ['a unit with a gap', '+   123.56 k g'],
    ['an unknown code', '      X       '],
    ['a 15-character line', '+   123.56 g   '],
    ['an MT-SICS line', 'S S     100.00 g'],
    ['a control character', '+   123.56 g\u0000 '],
    ['a Stat line in 16 characters', 'Stat    H     '],
  ])('rejects %s as garbage', (_name, text) => {
    const result = decodeSbiPrint(line(text));
    expect(result).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
  });

  it('rejects the other length when the format is fixed', () => {
    expect(decodeSbiPrint(line('N     +   123.56 g  '), 16)).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeSbiPrint(line('+   123.56 g  '), 22)).toMatchObject({
      ok: false,
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect(decodeSbiPrint(line('+   123.56 g  '), 16)).toMatchObject({ ok: true });
  });

  it('tells SBI lines from other protocols for scan', () => {
    expect(isSbiPrintLine(line('+   123.56 g  '))).toBe(true);
    expect(isSbiPrintLine(line('Stat     ERR  54    '))).toBe(true);
    expect(isSbiPrintLine(line('S S     100.00 g'))).toBe(false);
    expect(isSbiPrintLine(line('ST,+00123.45  g'))).toBe(false);
    expect(isSbiPrintLine(line('MSE3203S'))).toBe(false);
  });
});

describe('SBI identification replies', () => {
  it('takes the text whole, without blanks and quotes', () => {
    expect(decodeSbiTextReply(line('MSE3203S-100-DA'))).toEqual({
      ok: true,
      value: { text: 'MSE3203S-100-DA' },
    });
    expect(decodeSbiTextReply(line('  "00-37-09"  '))).toEqual({ ok: true, value: { text: '00-37-09' } });
  });

  it('rejects an empty or binary reply', () => {
    expect(decodeSbiTextReply(line('   '))).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_GARBLED' });
    expect(decodeSbiTextReply(Buffer.from([0x4d, 0x00, 0xff, 0x0d, 0x0a]))).toMatchObject({ ok: false });
  });

  it('is what decodeFrame returns with { reply: "identity" }', () => {
    expect(decodeSbiFrame(line('SIM-15K'), { reply: 'identity' })).toEqual({
      ok: true,
      value: { text: 'SIM-15K' },
    });
    expect(decodeSbiFrame(line('SIM-15K'))).toMatchObject({ ok: false });
    expect(decodeSbiFrame(line('N     +   123.56 g  '), { format: 16 })).toMatchObject({ ok: false });
  });
});

describe('SBI framer', () => {
  const frames = (outputs: FramerOutput[]) =>
    outputs.flatMap((output) => ('frame' in output ? [output.frame.toString('latin1')] : []));

  it('cuts CR LF lines and keeps the CR for the decoder to drop', () => {
    const framer = createSbiFramer();
    expect(frames(framer.push(Buffer.from('+   123.56 g  \r\nN     +   ', 'latin1')))).toEqual([
      '+   123.56 g  \r',
    ]);
    expect(frames(framer.push(Buffer.from('123.56 g  \r\n', 'latin1')))).toEqual(['N     +   123.56 g  \r']);
  });

  it('drops a partial line after silence', () => {
    const framer = createSbiFramer();
    expect(framer.push(Buffer.from('+   12', 'latin1'))).toEqual([]);
    expect(framer.idleFlushMs).toBeGreaterThan(0);
    expect(framer.flushIdle()).toMatchObject([{ garbage: Buffer.from('+   12', 'latin1') }]);
  });

  it('yields the same frames whatever the chunking', () => {
    const lineText = fc.constantFrom(
      '+   123.56 g  ',
      'N     -     0.42    ',
      '      H       ',
      'Stat     ERR  54    ',
      'SIM-15K',
    );
    fc.assert(
      fc.property(
        fc.array(lineText, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        (lines, cuts) => {
          const stream = Buffer.from(lines.map((text) => `${text}\r\n`).join(''), 'latin1');
          const whole = frames(createSbiFramer().push(stream));
          const framer = createSbiFramer();
          const chunked: string[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            chunked.push(...frames(framer.push(stream.subarray(offset, offset + size))));
            offset += size;
          }
          expect(chunked).toEqual(whole);
          expect(whole).toHaveLength(lines.length);
          for (const [index, text] of lines.entries()) {
            expect(decodeSbiFrame(Buffer.from(whole[index]!, 'latin1'))).toEqual(decodeSbiFrame(line(text)));
          }
        },
      ),
    );
  });
});

describe('SBI decoders never throw', () => {
  it('on random bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom<SbiFormatSetting>(16, 22, 'auto'),
        (bytes, format) => {
          const buffer = Buffer.from(bytes);
          const print = decodeSbiPrint(buffer, format);
          if (!print.ok) expect(print.code).toMatch(/^MG_ERR_/);
          expect(typeof decodeSbiTextReply(buffer).ok).toBe('boolean');
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('on random printable 16- and 22-character lines, and never invents a weight from letters', () => {
    const printable = fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          printable.map((s) => s.padEnd(14).slice(0, 14)),
          printable.map((s) => s.padEnd(20).slice(0, 20)),
        ),
        (text) => {
          const result = decodeSbiPrint(line(text));
          if (result.ok && result.value.value !== '') {
            expect(result.value.value).toMatch(/^-?\d+(\.\d+)?$/);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('on random options', () => {
    fc.assert(
      fc.property(fc.anything(), (options) => {
        expect(typeof decodeSbiFrame(line('+   123.56 g  '), options).ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
