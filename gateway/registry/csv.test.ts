import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvReader, type CsvRecord, csvField, csvLine, parseCsv } from './csv.js';

function chunked(text: string, sizes: readonly number[]): CsvRecord[] {
  const records: CsvRecord[] = [];
  const reader = new CsvReader((record) => records.push(record));
  let at = 0;
  let turn = 0;
  while (at < text.length) {
    const size = Math.max(1, sizes[turn++ % sizes.length] ?? 1);
    reader.push(text.slice(at, at + size));
    at += size;
  }
  reader.end();
  return records;
}

describe('CsvReader', () => {
  it('splits fields and keeps quoted commas, doubled quotes and line breaks', () => {
    const records = parseCsv('a,b,c\n1,"x, y","he said ""hi"""\n2,"two\nlines",z\n');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'], problems: [] },
      { line: 2, fields: ['1', 'x, y', 'he said "hi"'], problems: [] },
      { line: 3, fields: ['2', 'two\nlines', 'z'], problems: [] },
    ]);
  });

  it('numbers records by the physical line they start on, across CRLF, CR, blank lines and multi-line fields', () => {
    const records = parseCsv('h1,h2\r\n\r\n"a\r\nb",1\r\n\nc,2\rd,3');
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['h1', 'h2']],
      [3, ['a\r\nb', '1']],
      [6, ['c', '2']],
      [7, ['d', '3']],
    ]);
  });

  it('drops a byte-order mark at the start only', () => {
    expect(parseCsv('\uFEFFid,kind\n\uFEFFx,y')[0]!.fields).toEqual(['id', 'kind']);
    expect(parseCsv('\uFEFFid,kind\n\uFEFFx,y')[1]!.fields).toEqual(['\uFEFFx', 'y']);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(parseCsv('a,,c,\n,,\n').map((r) => r.fields)).toEqual([
      ['a', '', 'c', ''],
      ['', '', ''],
    ]);
  });

  it('keeps a quote inside an unquoted field as a character', () => {
    expect(parseCsv('5" screen,ok')[0]).toEqual({ line: 1, fields: ['5" screen', 'ok'], problems: [] });
  });

  it('reports text after a closing quote on its field and reads on', () => {
    const records = parseCsv('a,b\n1,"abc"x\n2,3\n');
    expect(records[1]).toEqual({
      line: 2,
      fields: ['1', 'abcx'],
      problems: [{ field: 1, message: expect.stringMatching(/text follows the closing quote/) }],
    });
    expect(records[2]).toEqual({ line: 3, fields: ['2', '3'], problems: [] });
  });

  it('reports a quoted field that is never closed with the line it opened on', () => {
    const records = parseCsv('a,b\n1,2\n3,"open\nrest,4\n');
    expect(records).toHaveLength(3);
    expect(records[2]!.line).toBe(3);
    expect(records[2]!.problems).toEqual([
      { field: 1, message: 'the quoted field opened on line 3 is never closed' },
    ]);
  });

  it('gives the same records however the text is cut into chunks', () => {
    const text = '\uFEFFa,b\r\n1,"x,""y"""\r\n\r\n"multi\r\nline",2\r3,"q"z\n4,"never';
    const whole = parseCsv(text);
    for (const size of [1, 2, 3, 5, 7, 11]) expect(chunked(text, [size])).toEqual(whole);
  });

  it('reads back what csvLine writes, in any chunking (property)', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'Z', '区', ',', '"', '\n', '\r', ' ', '1'),
      maxLength: 8,
    });
    // A record of one empty field is an empty line, which is no record.
    const record = fc
      .array(field, { minLength: 1, maxLength: 5 })
      .filter((r) => !(r.length === 1 && r[0] === ''));
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        (records, sizes) => {
          const text = records.map((r) => csvLine(r)).join('');
          expect(chunked(text, sizes).map((r) => r.fields)).toEqual(records);
          expect(chunked(text, sizes).every((r) => r.problems.length === 0)).toBe(true);
        },
      ),
    );
  });
});

describe('csvField', () => {
  it('quotes only what needs it', () => {
    expect(csvField('plain 文本')).toBe('plain 文本');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "x"')).toBe('"say ""x"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvLine(['a', '', 'b,c'])).toBe('a,,"b,c"\n');
  });
});
