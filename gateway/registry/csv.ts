/**
 * A small streaming CSV reader and writer (RFC 4180), written here rather than taken from npm:
 * the import needs the physical line on which each record starts (errors must name it), must read
 * a file in chunks without holding it whole, and must report a stray quote on the record it belongs
 * to instead of stopping at the first one. The rules fit in one state machine.
 *
 * What it accepts:
 * - fields separated by `,`; records ended by `\n`, `\r\n` or a lone `\r`;
 * - a field in double quotes may hold commas, line breaks and `""` for one quote;
 * - a byte-order mark (U+FEFF) at the very start is dropped (Excel writes one);
 * - an empty physical line is no record at all (a blank line at the end is common);
 * - a quote inside an unquoted field (`5" screen`) is kept as a character, as most spreadsheet
 *   programs write it.
 * What it reports as a problem of the record (and keeps reading): text after a closing quote
 * (`"abc"x`), and a quoted field still open at the end of the file.
 */

/** A problem with one field of a record, found while splitting it. */
export interface CsvFieldProblem {
  /** Index of the field in the record (0-based). */
  field: number;
  message: string;
}

export interface CsvRecord {
  /** The physical line (1-based) on which the record starts. */
  line: number;
  fields: string[];
  /** Empty for a well-formed record. */
  problems: CsvFieldProblem[];
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

/** Where the reader is. */
const State = {
  /** At the start of a field. */
  FieldStart: 0,
  Unquoted: 1,
  Quoted: 2,
  /** A quote inside a quoted field: either the closing quote or the first of `""`. */
  QuoteInQuoted: 3,
  /** Just after a `\r` that ended a record: a following `\n` belongs to it. */
  AfterCr: 4,
} as const;
type State = (typeof State)[keyof typeof State];

/**
 * Splits text handed in chunks of any size into records. `push` every chunk in order, then `end`;
 * each complete record is passed to `emit` as soon as its end is seen.
 */
export class CsvReader {
  private state: State = State.FieldStart;
  private fields: string[] = [];
  /** Text of the current field that arrived in earlier chunks. */
  private field = '';
  private problems: CsvFieldProblem[] = [];
  private line = 1;
  private recordLine = 1;
  /** Where the current quoted field opened, for the message when it never closes. */
  private quoteLine = 1;
  private atStart = true;

  constructor(private readonly emit: (record: CsvRecord) => void) {}

  /** The physical line the reader has reached (for a message about the bytes themselves). */
  get currentLine(): number {
    return this.line;
  }

  push(chunk: string): void {
    const n = chunk.length;
    let i = 0;
    if (this.atStart && n > 0) {
      this.atStart = false;
      if (chunk.charCodeAt(0) === BOM) i = 1;
    }
    // Start of the current field's text within this chunk.
    let mark = i;
    while (i < n) {
      switch (this.state) {
        case State.AfterCr: {
          this.state = State.FieldStart;
          if (chunk.charCodeAt(i) === LF) i++;
          mark = i;
          break;
        }
        case State.FieldStart: {
          const c = chunk.charCodeAt(i);
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.quoteLine = this.line;
            i++;
            mark = i;
          } else if (c === LF || c === CR) {
            // A line break right after a comma ends a record whose last field is empty; on an
            // empty line there is no record at all.
            if (this.fields.length > 0) this.endRecord('');
            else this.recordLine = this.line + 1;
            i = this.lineBreak(chunk, i);
            mark = i;
          } else {
            this.state = State.Unquoted;
            mark = i;
          }
          break;
        }
        case State.Unquoted: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = chunk.charCodeAt(j);
            if (c === COMMA || c === LF || c === CR) break;
            j++;
          }
          if (j === n) {
            i = n;
            break;
          }
          const text = this.take(chunk, mark, j);
          if (c === COMMA) {
            this.fields.push(text);
            this.state = State.FieldStart;
            i = j + 1;
          } else {
            this.endRecord(text);
            i = this.lineBreak(chunk, j);
          }
          mark = i;
          break;
        }
        case State.Quoted: {
          const q = chunk.indexOf('"', i);
          const stop = q === -1 ? n : q;
          this.countLines(chunk, i, stop);
          if (q === -1) {
            i = n;
            break;
          }
          this.field += chunk.slice(mark, q);
          this.state = State.QuoteInQuoted;
          i = q + 1;
          mark = i;
          break;
        }
        case State.QuoteInQuoted: {
          const c = chunk.charCodeAt(i);
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            i++;
          } else if (c === COMMA) {
            this.fields.push(this.take(chunk, i, i));
            this.state = State.FieldStart;
            i++;
          } else if (c === LF || c === CR) {
            this.endRecord(this.take(chunk, i, i));
            i = this.lineBreak(chunk, i);
          } else {
            this.problems.push({
              field: this.fields.length,
              message: 'text follows the closing quote of a quoted field (write a quote inside one as "")',
            });
            this.state = State.Unquoted;
          }
          mark = i;
          break;
        }
      }
    }
    // Keep the unfinished field's text for the next chunk.
    if (this.state === State.Unquoted || this.state === State.Quoted) {
      this.field += chunk.slice(mark, n);
    }
  }

  /** Call after the last chunk: completes a record the file did not end with a line break. */
  end(): void {
    if (this.state === State.Quoted) {
      this.problems.push({
        field: this.fields.length,
        message: `the quoted field opened on line ${this.quoteLine} is never closed`,
      });
    }
    if (this.state === State.Unquoted || this.state === State.Quoted || this.state === State.QuoteInQuoted) {
      this.endRecord(this.take('', 0, 0));
    } else if (this.state === State.FieldStart && this.fields.length > 0) {
      this.endRecord('');
    }
    this.state = State.FieldStart;
  }

  /** The current field's complete text: what earlier chunks held plus chunk[from, to). */
  private take(chunk: string, from: number, to: number): string {
    const text = this.field === '' ? chunk.slice(from, to) : this.field + chunk.slice(from, to);
    this.field = '';
    return text;
  }

  private endRecord(lastField: string): void {
    this.fields.push(lastField);
    this.emit({ line: this.recordLine, fields: this.fields, problems: this.problems });
    this.fields = [];
    this.problems = [];
    this.state = State.FieldStart;
    this.recordLine = this.line + 1;
  }

  /** Steps over the line break at chunk[i] (`\n`, or `\r` and maybe a `\n` in the next chunk). */
  private lineBreak(chunk: string, i: number): number {
    this.line++;
    if (chunk.charCodeAt(i) === LF) {
      this.state = State.FieldStart;
      return i + 1;
    }
    if (i + 1 < chunk.length) {
      this.state = State.FieldStart;
      return chunk.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
    }
    this.state = State.AfterCr;
    return i + 1;
  }

  private countLines(chunk: string, from: number, to: number): void {
    let at = chunk.indexOf('\n', from);
    while (at !== -1 && at < to) {
      this.line++;
      at = chunk.indexOf('\n', at + 1);
    }
  }
}

/** Splits a whole text into records (for tests and small inputs). */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const reader = new CsvReader((record) => records.push(record));
  reader.push(text);
  reader.end();
  return records;
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One field as RFC 4180 writes it: quoted only when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One record and its line break (`\n`; the reader takes `\r\n` as well). */
export function csvLine(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\n`;
}
