/**
 * The register files of contracts.md §5 as text: header rows in English or Chinese, RFC 4180
 * quoting (the registry's own writer, so the import reads exactly what is written here), and a
 * buffered writer that keeps memory flat however many rows are written.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export { csvField, csvLine } from '../gateway/registry/csv.js';

export const INSTRUMENT_COLUMNS = [
  'id',
  'kind',
  'category',
  'region',
  'owner',
  'site',
  'status',
  'registered',
  'scrapped',
  'period_months',
] as const;

/** contracts.md §5, column by column. */
export const INSTRUMENT_COLUMNS_CHINESE = [
  '器具编号',
  '种类',
  '类别',
  '区域',
  '使用单位',
  '地点',
  '状态',
  '登记日期',
  '停用日期',
  '检定周期',
] as const;

/**
 * contracts.md §5 names the history columns only in English, so history.csv keeps these headers
 * even with --chinese-headers.
 */
export const HISTORY_COLUMNS = ['instrument', 'date', 'verdict', 'record'] as const;

/**
 * Appends text to a file through a buffer of about a megabyte, with synchronous writes: a million
 * instruments stream out in constant memory, and the file is complete when `close` returns.
 */
export class BufferedFileWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private pending = 0;
  private written = 0;

  constructor(
    readonly path: string,
    private readonly flushAt = 1 << 20,
  ) {
    this.fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= this.flushAt) this.flush();
  }

  /** Bytes written so far (after close: the file's size). */
  get bytes(): number {
    return this.written;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    const buffer = Buffer.from(this.parts.join(''), 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset, buffer.length - offset);
    this.written += buffer.length;
    this.parts = [];
    this.pending = 0;
  }
}
