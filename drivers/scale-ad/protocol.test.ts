import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FramerOutput } from '../transport/framers.js';
import {
  AD_IDENTITY_COMMANDS,
  type AdFrame,
  createAdFramer,
  decodeAdFrame,
  decodeAdWeight,
  encodeAdCommand,
  isAdWeightFrame,
} from './protocol.js';

const line = (text: string) => Buffer.from(text, 'latin1');

function decodeOk(text: string): AdFrame {
  const result = decodeAdFrame(line(text));
  if (!result.ok) throw new Error(`rejected "${text}": ${result.reason}`);
  return result.value;
}

function rejectionOf(text: string | Buffer): string {
  const result = decodeAdFrame(typeof text === 'string' ? line(text) : text);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(result.value)}`);
  expect(result.code).toBe('MG_ERR_FRAME_GARBLED');
  return result.reason;
}

describe('encodeAdCommand', () => {
  it('appends CR LF to the command text', () => {
    expect(encodeAdCommand('Q').toString('hex')).toBe('510d0a');
    expect(encodeAdCommand('TR').toString('hex')).toBe('54520d0a');
    expect(encodeAdCommand('?TN').toString('hex')).toBe('3f544e0d0a');
  });

  it('knows the identity queries of the reference', () => {
    expect([...AD_IDENTITY_COMMANDS]).toEqual(['?ID', '?SN', '?TN']);
  });
});

describe('decodeAdFrame: standard format', () => {
  it('decodes header, value with the device resolution, unit and quality', () => {
    expect(decodeOk('ST,+00123.45  g')).toEqual({
      kind: 'weight',
      format: 'standard',
      header: 'ST',
      value: '123.45',
      unit: 'g',
      quality: 'good',
    });
    expect(decodeOk('ST,+00000.00 kg')).toMatchObject({ value: '0.00', unit: 'kg' });
    expect(decodeOk('ST,-00000.10 kg')).toMatchObject({ value: '-0.10' });
    expect(decodeOk('ST,+12345678  g')).toMatchObject({ value: '12345678' });
  });

  it('accepts the line with or without its CR LF', () => {
    expect(decodeAdFrame(line('ST,+00123.45  g\r\n'))).toEqual(decodeAdFrame(line('ST,+00123.45  g')));
  });

  it('maps the headers to qualities: US unstable, QT a count, OL + overload, OL - underload', () => {
    expect(decodeOk('US,+00123.45  g')).toMatchObject({ quality: 'unstable', value: '123.45' });
    expect(decodeOk('QT,+00012345 PC')).toMatchObject({
      header: 'QT',
      quality: 'good',
      unit: 'PC',
      value: '12345',
    });
    expect(decodeOk('OL,+999999.9 g')).toMatchObject({ quality: 'overload', value: '999999.9' });
    expect(decodeOk('OL,-999999.9 g')).toMatchObject({ quality: 'underload', value: '-999999.9' });
  });

  it('keeps OL a quality when the data field is not a number or the unit is blank', () => {
    expect(decodeOk('OL,+9999999E  g')).toMatchObject({ quality: 'overload', value: '' });
    expect(decodeOk('OL,-99999.99   ')).toMatchObject({ quality: 'underload', unit: '' });
  });

  it('accepts the 2-character unit field of the EK-L examples', () => {
    expect(decodeOk('ST,+001234.5 g')).toMatchObject({ value: '1234.5', unit: 'g' });
    expect(decodeOk('QT,+00012345PC')).toMatchObject({ value: '12345', unit: 'PC' });
  });

  it('decodes a comparator result between the headers', () => {
    expect(decodeOk('ST,HI,+0001.234 kg')).toMatchObject({ comparison: 'HI', value: '1.234', unit: 'kg' });
    expect(decodeOk('ST,--,+0001.234 kg')).toMatchObject({ comparison: '--' });
  });

  it('rejects frames whose fields do not have the widths of the format', () => {
    expect(rejectionOf('ST,+0123.45 g')).toContain('9-character data field');
    // A digit lost from the data field shifts a space into it: caught by the data-field rule.
    expect(rejectionOf('ST,+0123.45  g')).toContain('bad data field');
    expect(rejectionOf('ST,+00123.45')).toContain('unit');
    expect(rejectionOf('ST,+00123.45    g')).toContain('unit');
  });

  it('rejects a data field without sign, with two decimal points or with letters', () => {
    expect(rejectionOf('ST,000123.45  g')).toContain('data field');
    expect(rejectionOf('ST,+0012.3.4  g')).toContain('data field');
    expect(rejectionOf('ST,+001r3.45  g')).toContain('data field');
    expect(rejectionOf('OL,x999999.9 g')).toContain('out-of-range');
  });

  it('rejects a missing or malformed unit, except for OL', () => {
    expect(rejectionOf('ST,+00123.45   ')).toContain('unit');
    expect(rejectionOf('ST,+00123.45 k1')).toContain('unit');
    expect(rejectionOf('ST,+00123.45 k g')).toContain('unit');
  });

  it('rejects unknown headers', () => {
    expect(rejectionOf('XX,+00123.45  g')).toContain('unknown header');
  });
});

describe('decodeAdFrame: indicator format', () => {
  it('decodes header1, header2 (gross / net / tare), 8-character data and the unit', () => {
    expect(decodeOk('ST,GS,+0002130kg')).toEqual({
      kind: 'weight',
      format: 'indicator',
      header: 'ST',
      weighing: 'gross',
      value: '2130',
      unit: 'kg',
      quality: 'good',
    });
    expect(decodeOk('US,NT,-0000.12kg')).toMatchObject({
      weighing: 'net',
      value: '-0.12',
      quality: 'unstable',
    });
    expect(decodeOk('ST,TR,+0001.50 kg')).toMatchObject({ weighing: 'tare', value: '1.50', unit: 'kg' });
  });

  it('accepts a decimal comma and leading zeros shown as spaces', () => {
    expect(decodeOk('ST,GS,+002,130kg')).toMatchObject({ value: '2.130' });
    expect(decodeOk('ST,GS,+  4.876kg')).toMatchObject({ value: '4.876' });
  });

  it('takes HD (hold) as a stale value and OL with a sign as overload or underload', () => {
    expect(decodeOk('HD,GS,+0002130kg')).toMatchObject({ header: 'HD', quality: 'stale' });
    expect(decodeOk('OL,GS,-9999.99kg')).toMatchObject({ quality: 'underload' });
  });
});

describe('decodeAdFrame: DP (dump print) format', () => {
  it('decodes WT / US / QT with leading zeros as spaces', () => {
    expect(decodeOk('WT   +123.45  g')).toEqual({
      kind: 'weight',
      format: 'dump-print',
      header: 'WT',
      value: '123.45',
      unit: 'g',
      quality: 'good',
    });
    expect(decodeOk('WT    +123.45  g')).toMatchObject({ value: '123.45' });
    expect(decodeOk('US     -1.27  g')).toMatchObject({ value: '-1.27', quality: 'unstable' });
    expect(decodeOk('WT        0.00  g')).toMatchObject({ value: '0.00' });
  });

  it('rejects lines that look like DP but are not', () => {
    expect(rejectionOf('ST   +123.45  g')).toContain('not an A&D frame');
    expect(rejectionOf('WT   +123.45')).toContain('not an A&D frame');
  });
});

describe('decodeAdFrame: acknowledge, errors, identity', () => {
  it('decodes <AK> with and without its CR LF', () => {
    expect(decodeOk('\x06')).toEqual({ kind: 'ack' });
    expect(decodeAdFrame(Buffer.from([0x06, 0x0d, 0x0a]))).toEqual({ ok: true, value: { kind: 'ack' } });
  });

  it('maps EC,Exx to error codes: E01 unsupported, E02 and E11 busy, others device errors', () => {
    expect(decodeOk('EC,E01')).toMatchObject({ code: '01', errorCode: 'MG_ERR_COMMAND_UNSUPPORTED' });
    expect(decodeOk('EC,E02')).toMatchObject({ errorCode: 'MG_ERR_DEVICE_BUSY' });
    expect(decodeOk('EC,E11')).toMatchObject({ errorCode: 'MG_ERR_DEVICE_BUSY' });
    expect(decodeOk('EC,E07')).toMatchObject({
      errorCode: 'MG_ERR_DEVICE_ERROR',
      description: 'setting value out of range',
    });
    expect(decodeOk('EC,E20')).toEqual({
      kind: 'error',
      code: '20',
      errorCode: 'MG_ERR_DEVICE_ERROR',
      description: 'device error E20',
    });
    expect(rejectionOf('EC,E1')).toContain('malformed error');
  });

  it('decodes identity answers with their text trimmed', () => {
    expect(decodeOk('ID,LAB-0123')).toEqual({ kind: 'identity', field: 'ID', text: 'LAB-0123' });
    expect(decodeOk('TN,  GX-124A')).toEqual({ kind: 'identity', field: 'TN', text: 'GX-124A' });
    expect(decodeOk('SN,01234567')).toMatchObject({ field: 'SN', text: '01234567' });
  });

  it('rejects empty lines, control bytes and overlong lines', () => {
    expect(rejectionOf(Buffer.from('\r\n'))).toBe('empty line');
    expect(rejectionOf(Buffer.from('ST,+00\x00123.45  g'))).toContain('non-printable');
    expect(rejectionOf(Buffer.from('ST,+00123.45  \xb5g', 'latin1'))).toContain('non-printable');
    expect(rejectionOf('ID,'.padEnd(80, 'x'))).toContain('80 characters');
  });

  it('tells weights from the other replies', () => {
    expect(isAdWeightFrame(line('US,+00123.45  g\r\n'))).toBe(true);
    expect(isAdWeightFrame(line('EC,E11'))).toBe(false);
    expect(isAdWeightFrame(line('\x06'))).toBe(false);
    const notWeight = decodeAdWeight(line('TN,GX-124A'));
    expect(notWeight.ok).toBe(false);
  });
});

describe('decodeAdFrame never throws', () => {
  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        const result = decodeAdFrame(bytes);
        if (!result.ok) expect(result.code).toBe('MG_ERR_FRAME_GARBLED');
      }),
      { numRuns: 3000 },
    );
  });

  it('on printable text built from A&D pieces', () => {
    const piece = fc.constantFrom(
      'ST',
      'US',
      'OL',
      'QT',
      'WT',
      'EC',
      'GS',
      'NT',
      ',',
      '+',
      '-',
      '.',
      ' ',
      '0',
      '9',
      'E',
      'kg',
      'g',
      'PC',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const result = decodeAdFrame(line(pieces.join('')));
        // Whatever decodes as a weight carries an exact decimal (or an empty OL value).
        if (result.ok && result.value.kind === 'weight' && result.value.header !== 'OL') {
          expect(result.value.value).toMatch(/^-?\d+(\.\d+)?$/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('createAdFramer', () => {
  const framesOf = (outputs: FramerOutput[]) =>
    outputs.flatMap((output) => ('frame' in output ? [output.frame.toString('latin1')] : []));

  it('cuts lines at CR LF, CR or LF, without the terminator, skipping empty lines', () => {
    const framer = createAdFramer();
    const out = framer.push(line('ST,+00123.45  g\r\n\x06\r\nEC,E11\rID,LAB-0123\n\r\n'));
    expect(framesOf(out)).toEqual(['ST,+00123.45  g', '\x06', 'EC,E11', 'ID,LAB-0123']);
  });

  it('reports an overlong line as garbage and resumes at the next line end', () => {
    const framer = createAdFramer({ maxLength: 16 });
    const out = framer.push(line(`${'x'.repeat(20)}\r\nST,+00123.45  g\r\n`));
    expect(framesOf(out)).toEqual(['ST,+00123.45  g']);
    const garbage = out.flatMap((o) => ('garbage' in o ? [o.garbage.toString('latin1')] : []));
    expect(garbage.join('')).toBe('x'.repeat(20));
  });

  it('turns a partial line into garbage when the line goes idle, and forgets it on reset', () => {
    const framer = createAdFramer();
    expect(framer.idleFlushMs).toBe(100);
    expect(framer.push(line('ST,+0012'))).toEqual([]);
    expect(framer.flushIdle()).toEqual([
      { garbage: line('ST,+0012'), reason: 'partial line without terminator' },
    ]);
    expect(framer.flushIdle()).toEqual([]);
    framer.push(line('ST,+0012'));
    framer.reset();
    expect(framesOf(framer.push(line('3.45  g\r\n')))).toEqual(['3.45  g']);
  });

  it('gives the same frames and garbage however the bytes are chunked', () => {
    const lineArb = fc.oneof(
      fc.constantFrom(
        'ST,+00123.45  g\r\n',
        '\x06\r\n',
        'EC,E01\r\n',
        'US,NT,-0000.12kg\r',
        'WT   +123.45  g\n',
      ),
      fc.uint8Array({ maxLength: 90 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    );
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (lines, cuts) => {
          const bytes = line(lines.join(''));
          const whole = createAdFramer().push(bytes);
          const chunked = createAdFramer();
          const positions = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort(
            (a, b) => a - b,
          );
          const pieces: FramerOutput[] = [];
          let from = 0;
          for (const at of [...positions, bytes.length]) {
            pieces.push(...chunked.push(bytes.subarray(from, at)));
            from = at;
          }
          expect(
            pieces.map((o) =>
              'frame' in o ? `F${o.frame.toString('hex')}` : `G${o.garbage.toString('hex')}`,
            ),
          ).toEqual(
            whole.map((o) =>
              'frame' in o ? `F${o.frame.toString('hex')}` : `G${o.garbage.toString('hex')}`,
            ),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
