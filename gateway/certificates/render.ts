/**
 * `renderCertificate(record)`: the PDF a verification ends with — a verification certificate
 * (检定证书) when the verdict is pass, a notice of rejection (检定结果通知书) when it is fail — in
 * Chinese, English or both. It carries the record hash and the command that checks it, so anyone
 * holding the paper can compare it with the gateway's hash chain.
 *
 * The same record always gives the same bytes: the PDF's dates come from the record's performedAt
 * (pdfkit derives the file ID from them), fonts are subset deterministically, and nothing reads the
 * clock, the locale or the time zone.
 */
import PDFDocument from 'pdfkit';
import { MetrogateError } from '../../drivers/errors.js';
import type { RecordStandard, StoredVerificationRecord } from '../store/record-types.js';
import { RULE_SETS } from '../verification/rules/index.js';
import type { RuleSetId } from '../verification/types.js';
import { loadCertificateFonts } from './fonts.js';
import {
  type Bilingual,
  type CertificateLanguage,
  FIELD_LABELS,
  KIND_LABELS,
  pick,
  STAGE_LABELS,
  TABLE_HEADERS,
  TITLES,
  VERDICT_NOTES,
  VERDICT_SENTENCES,
} from './labels.js';
import { groupRows, resultRows } from './result-rows.js';

export interface CertificateInstitute {
  name: string;
  address?: string;
  /** Accreditation or authorisation number (计量授权证书号). */
  accreditation?: string;
}

export interface CertificateOptions {
  /** Default `both`: Chinese first, English beside or below it. */
  language?: CertificateLanguage;
  institute?: CertificateInstitute;
}

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = { top: 48, bottom: 60, left: 50, right: 50 };
const CONTENT_WIDTH = PAGE_WIDTH - MARGIN.left - MARGIN.right;
const CONTENT_BOTTOM = PAGE_HEIGHT - MARGIN.bottom;
const CELL_PAD_X = 4;
const CELL_PAD_Y = 2.5;
const BORDER_COLOR = '#8a8a8a';
const HEADER_FILL = '#ececec';
const FAIL_COLOR = '#a40000';
const TEXT_COLOR = '#000000';
const DASH = '—';
const HEADING_SIZE = 11;
const HEADING_GAP_ABOVE = 6;
const HEADING_GAP_BELOW = 3;

type FontName = 'regular' | 'bold';

interface Column {
  header: string;
  width: number;
}

interface Cell {
  text: string;
  font?: FontName;
  color?: string;
}

interface TableStyle {
  size: number;
  /** Text indent of the first cell of each row (nested rows such as eccentricity positions). */
  indents?: readonly number[];
}

/**
 * Keeps the write position and breaks pages before a block that would not fit, so that pdfkit never
 * breaks a page on its own in the middle of a table cell.
 */
class Layout {
  y = MARGIN.top;

  constructor(readonly doc: PDFKit.PDFDocument) {}

  font(name: FontName, size: number): PDFKit.PDFDocument {
    return this.doc.font(name).fontSize(size);
  }

  heightOf(text: string, font: FontName, size: number, width: number): number {
    return this.font(font, size).heightOfString(text === '' ? ' ' : text, { width });
  }

  /** Starts a new page unless `height` fits below the cursor. */
  reserve(height: number): void {
    if (this.y + height > CONTENT_BOTTOM) this.newPage();
  }

  newPage(): void {
    this.doc.addPage();
    this.y = MARGIN.top;
  }

  gap(points: number): void {
    this.y += points;
  }

  paragraph(
    text: string,
    options: { font?: FontName; size?: number; align?: 'left' | 'center' | 'right'; color?: string } = {},
  ): void {
    const font = options.font ?? 'regular';
    const size = options.size ?? 9.5;
    const height = this.heightOf(text, font, size, CONTENT_WIDTH);
    this.reserve(height);
    this.font(font, size)
      .fillColor(options.color ?? TEXT_COLOR)
      .text(text, MARGIN.left, this.y, { width: CONTENT_WIDTH, align: options.align ?? 'left' });
    this.y += height;
  }

  /** A section heading; `keepWith` is the height that must follow it on the same page. */
  heading(text: string, keepWith = 30): void {
    this.reserve(
      HEADING_GAP_ABOVE +
        this.heightOf(text, 'bold', HEADING_SIZE, CONTENT_WIDTH) +
        HEADING_GAP_BELOW +
        keepWith,
    );
    this.gap(HEADING_GAP_ABOVE);
    this.paragraph(text, { font: 'bold', size: HEADING_SIZE });
    this.gap(HEADING_GAP_BELOW);
  }

  rule(): void {
    this.doc
      .moveTo(MARGIN.left, this.y)
      .lineTo(MARGIN.left + CONTENT_WIDTH, this.y)
      .lineWidth(0.8)
      .strokeColor(TEXT_COLOR)
      .stroke();
  }

  private rowHeight(
    cells: readonly Cell[],
    columns: readonly Column[],
    style: TableStyle,
    indent = 0,
  ): number {
    const heights = cells.map((cell, i) => {
      const shift = i === 0 ? indent : 0;
      return this.heightOf(
        cell.text,
        cell.font ?? 'regular',
        style.size,
        columns[i]!.width - 2 * CELL_PAD_X - shift,
      );
    });
    return Math.max(...heights) + 2 * CELL_PAD_Y;
  }

  private drawRow(
    cells: readonly Cell[],
    columns: readonly Column[],
    style: TableStyle,
    fill?: string,
    indent = 0,
  ): void {
    const height = this.rowHeight(cells, columns, style, indent);
    let x = MARGIN.left;
    cells.forEach((cell, i) => {
      const width = columns[i]!.width;
      if (fill) this.doc.rect(x, this.y, width, height).fillColor(fill).fill();
      this.doc.rect(x, this.y, width, height).lineWidth(0.5).strokeColor(BORDER_COLOR).stroke();
      const shift = i === 0 ? indent : 0;
      this.font(cell.font ?? 'regular', style.size)
        .fillColor(cell.color ?? TEXT_COLOR)
        .text(cell.text, x + CELL_PAD_X + shift, this.y + CELL_PAD_Y, {
          width: width - 2 * CELL_PAD_X - shift,
        });
      x += width;
    });
    this.y += height;
  }

  /**
   * A bordered table under an optional caption; the caption, header row and first row stay on one
   * page, and the header row (when the columns have headers) repeats after a page break.
   */
  table(
    columns: readonly Column[],
    rows: readonly (readonly Cell[])[],
    style: TableStyle,
    caption?: string,
  ): void {
    const header: Cell[] | undefined = columns.some((c) => c.header !== '')
      ? columns.map((c) => ({ text: c.header, font: 'bold' as const }))
      : undefined;
    const headerHeight = header ? this.rowHeight(header, columns, style) : 0;
    const drawHeader = () => {
      if (header) this.drawRow(header, columns, style, HEADER_FILL);
    };
    const firstRowHeight = rows[0] ? this.rowHeight(rows[0], columns, style, style.indents?.[0] ?? 0) : 0;
    if (caption === undefined) this.reserve(headerHeight + firstRowHeight);
    else this.heading(caption, headerHeight + firstRowHeight);
    drawHeader();
    rows.forEach((row, index) => {
      const indent = style.indents?.[index] ?? 0;
      const height = this.rowHeight(row, columns, style, indent);
      if (this.y + height > CONTENT_BOTTOM) {
        this.newPage();
        drawHeader();
      }
      this.drawRow(row, columns, style, undefined, indent);
    });
  }
}

/** Chinese text takes the full-width colon; English and bilingual labels end in an ASCII one. */
function colon(language: CertificateLanguage): string {
  return language === 'zh' ? '：' : ': ';
}

function present(value: string | undefined): string {
  return value === undefined || value.trim() === '' ? DASH : value;
}

function ruleSetTitle(id: string): string {
  const entry = (RULE_SETS as Partial<Record<string, (typeof RULE_SETS)[RuleSetId]>>)[id];
  const title = entry?.ruleSet.title;
  return title && title !== id ? `${id} ${title}` : id;
}

function performedDate(performedAt: string): Date {
  const date = new Date(performedAt);
  if (Number.isNaN(date.getTime())) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `performedAt: "${performedAt}" is not an ISO 8601 time`,
      {
        path: 'performedAt',
      },
    );
  }
  return date;
}

/** The date as the record wrote it (its own offset), so the printed day never depends on the printer's zone. */
function performedDay(performedAt: string): string {
  const day = /^\d{4}-\d{2}-\d{2}/.exec(performedAt)?.[0];
  return day && day !== performedAt ? `${day} (${performedAt})` : performedAt;
}

function benchUnit(record: StoredVerificationRecord): string | undefined {
  const instrument = record.bench.instrument;
  if (typeof instrument !== 'object' || instrument === null) return undefined;
  const unit = (instrument as Record<string, unknown>).unit;
  return typeof unit === 'string' && unit !== '' ? unit : undefined;
}

function drawHeader(layout: Layout, options: CertificateOptions, language: CertificateLanguage): void {
  const say = (text: Bilingual) => pick(language, text);
  const institute = options.institute;
  if (institute) {
    layout.paragraph(institute.name, { font: 'bold', size: 14, align: 'center' });
    const details = [
      institute.address,
      institute.accreditation
        ? `${say(FIELD_LABELS.accreditation)}${colon(language)}${institute.accreditation}`
        : undefined,
    ].filter((line): line is string => line !== undefined && line !== '');
    if (details.length > 0) layout.paragraph(details.join('    '), { size: 8.5, align: 'center' });
  } else {
    layout.paragraph(
      `${say(FIELD_LABELS.institute)}${colon(language)}${say(FIELD_LABELS.instituteMissing)}`,
      {
        size: 9,
        align: 'center',
      },
    );
  }
  layout.gap(6);
  layout.rule();
  layout.gap(12);
}

function drawTitle(layout: Layout, record: StoredVerificationRecord, language: CertificateLanguage): void {
  const title = TITLES[record.result.verdict];
  if (language !== 'en') layout.paragraph(title.zh, { font: 'bold', size: 22, align: 'center' });
  if (language !== 'zh') {
    layout.paragraph(title.en, { font: 'bold', size: language === 'en' ? 20 : 13, align: 'center' });
  }
  layout.gap(8);
  layout.paragraph(`${pick(language, FIELD_LABELS.certificateNo)}${colon(language)}${record.id}`, {
    size: 9.5,
    align: 'right',
  });
  layout.gap(4);
}

function drawFields(layout: Layout, record: StoredVerificationRecord, language: CertificateLanguage): void {
  const say = (text: Bilingual) => pick(language, text);
  const { instrument, result } = record;
  const pass = result.verdict === 'pass';
  const fields: [Bilingual, string][] = [
    [FIELD_LABELS.owner, present(instrument.owner)],
    [
      FIELD_LABELS.instrument,
      present(instrument.category) === DASH ? say(KIND_LABELS[instrument.kind]) : instrument.category!,
    ],
    [FIELD_LABELS.instrumentId, instrument.id],
    [FIELD_LABELS.manufacturer, present(instrument.manufacturer)],
    [FIELD_LABELS.model, present(instrument.model)],
    [FIELD_LABELS.serialNumber, present(instrument.serialNumber)],
    [FIELD_LABELS.site, present(instrument.site)],
    [FIELD_LABELS.ruleSet, ruleSetTitle(result.ruleSet)],
    [FIELD_LABELS.stage, say(STAGE_LABELS[result.stage] ?? { zh: result.stage, en: result.stage })],
    [FIELD_LABELS.performed, performedDay(record.performedAt)],
    ...(pass ? [[FIELD_LABELS.validUntil, present(record.validUntil)] as [Bilingual, string]] : []),
    [FIELD_LABELS.operator, present(record.operator)],
  ];
  layout.table(
    [
      { header: '', width: 150 },
      { header: '', width: CONTENT_WIDTH - 150 },
    ],
    fields.map(([label, value]) => [{ text: say(label), font: 'bold' }, { text: value }]),
    { size: 9 },
  );
  layout.gap(10);
  const verdict = VERDICT_SENTENCES[result.verdict];
  layout.paragraph(pick(language, verdict, '    '), {
    font: 'bold',
    size: 12,
    ...(pass ? {} : { color: FAIL_COLOR }),
  });
  layout.gap(2);
  layout.paragraph(pick(language, VERDICT_NOTES[result.verdict], '\n'), { size: 8.5 });
}

function drawResults(layout: Layout, record: StoredVerificationRecord, language: CertificateLanguage): void {
  const header = (text: Bilingual) => pick(language, text, '\n');
  const { result } = record;
  const rows = resultRows(result, { language, kind: record.instrument.kind, unit: benchUnit(record) });
  const failCell = (pass: boolean | undefined) =>
    pass === false ? { font: 'bold' as const, color: FAIL_COLOR } : {};
  layout.table(
    [
      { header: header(TABLE_HEADERS.test), width: 120 },
      { header: header(TABLE_HEADERS.subject), width: 80 },
      { header: header(TABLE_HEADERS.error), width: 80 },
      { header: header(TABLE_HEADERS.limit), width: 76 },
      { header: header(TABLE_HEADERS.result), width: 58 },
      { header: header(TABLE_HEADERS.reason), width: CONTENT_WIDTH - 414 },
    ],
    rows.map((row) => [
      { text: row.test },
      { text: row.subject },
      { text: row.error },
      { text: row.limit },
      { text: row.result, ...failCell(row.pass) },
      { text: row.reason },
    ]),
    { size: 8.5, indents: rows.map((row) => (row.level === 1 ? 10 : 0)) },
    `${pick(language, FIELD_LABELS.results)} (${result.ruleSet})`,
  );

  if (result.groups && result.groups.length > 0) {
    const width = CONTENT_WIDTH / 5;
    layout.table(
      [
        { header: header(TABLE_HEADERS.flow), width },
        { header: header(TABLE_HEADERS.runs), width },
        { header: header(TABLE_HEADERS.range), width },
        { header: header(TABLE_HEADERS.groupLimit), width },
        { header: header(TABLE_HEADERS.result), width },
      ],
      groupRows(result.groups, language).map((row) => [
        { text: row.flow },
        { text: row.runs },
        { text: row.range },
        { text: row.limit },
        { text: row.result, ...failCell(row.pass) },
      ]),
      { size: 8.5 },
      pick(language, FIELD_LABELS.groups),
    );
  }

  const overrides = Object.entries(result.overrides ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (overrides.length > 0) {
    layout.table(
      [
        { header: header(TABLE_HEADERS.parameter), width: 250 },
        { header: header(TABLE_HEADERS.value), width: CONTENT_WIDTH - 250 },
      ],
      overrides.map(([name, value]) => [{ text: name }, { text: value }]),
      { size: 8.5 },
      pick(language, FIELD_LABELS.overrides),
    );
  }
}

function drawStandards(
  layout: Layout,
  standards: readonly RecordStandard[],
  language: CertificateLanguage,
): void {
  const header = (text: Bilingual) => pick(language, text, '\n');
  const rows: Cell[][] =
    standards.length === 0
      ? [[{ text: DASH }, { text: DASH }, { text: DASH }, { text: DASH }]]
      : standards.map((s) => [
          { text: s.id },
          { text: s.description },
          { text: s.certificateNumber, font: 'bold' },
          { text: s.dueDate },
        ]);
  layout.table(
    [
      { header: header(TABLE_HEADERS.standardId), width: 90 },
      { header: header(TABLE_HEADERS.description), width: 190 },
      { header: header(TABLE_HEADERS.standardCertificate), width: 135 },
      { header: header(TABLE_HEADERS.due), width: CONTENT_WIDTH - 415 },
    ],
    rows,
    { size: 8.5 },
    pick(language, FIELD_LABELS.standards),
  );
}

function drawIntegrity(
  layout: Layout,
  record: StoredVerificationRecord,
  language: CertificateLanguage,
): void {
  const say = (text: Bilingual) => pick(language, text);
  // Heading, software id, hash and check command belong together on one page.
  layout.heading(say(FIELD_LABELS.integrity), 110);
  const { software } = record;
  layout.paragraph(
    `${say(FIELD_LABELS.software)}${colon(language)}${software.name} ${software.version}, SHA-256:`,
    { size: 8.5 },
  );
  layout.paragraph(software.checksum, { size: 8.5 });
  layout.gap(3);
  layout.paragraph(`${say(FIELD_LABELS.recordHash)}${colon(language).trimEnd()}`, { size: 8.5 });
  layout.paragraph(record.hash, { font: 'bold', size: 9 });
  layout.gap(3);
  layout.paragraph(`${say(FIELD_LABELS.checkWith)}${colon(language)}metrogate records verify`, {
    font: 'bold',
    size: 9,
  });
  layout.paragraph(pick(language, FIELD_LABELS.checkHint, '\n').replaceAll('{id}', record.id), { size: 8.5 });
}

function drawSignatures(
  layout: Layout,
  record: StoredVerificationRecord,
  language: CertificateLanguage,
): void {
  const say = (text: Bilingual) => pick(language, text);
  const height = 38;
  layout.gap(12);
  layout.reserve(height);
  const width = CONTENT_WIDTH / 3;
  const signers: [Bilingual, string][] = [
    [FIELD_LABELS.operator, record.operator],
    [FIELD_LABELS.checkedBy, ''],
    [FIELD_LABELS.approvedBy, ''],
  ];
  signers.forEach(([label, name], i) => {
    const x = MARGIN.left + i * width;
    layout
      .font('regular', 8.5)
      .fillColor(TEXT_COLOR)
      .text(`${say(label)}${colon(language).trimEnd()}`, x, layout.y, { width: width - 12 });
    if (name !== '') layout.font('regular', 9).text(name, x, layout.y + 14, { width: width - 12 });
    layout.doc
      .moveTo(x, layout.y + height - 6)
      .lineTo(x + width - 16, layout.y + height - 6)
      .lineWidth(0.5)
      .strokeColor(BORDER_COLOR)
      .stroke();
  });
  layout.y += height;
}

function pageLabel(page: number, count: number, language: CertificateLanguage): string {
  const zh = `第 ${page} 页 共 ${count} 页`;
  const en = `Page ${page} of ${count}`;
  return pick(language, { zh, en }, '  ');
}

function drawFooters(
  doc: PDFKit.PDFDocument,
  record: StoredVerificationRecord,
  language: CertificateLanguage,
): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i += 1) {
    doc.switchToPage(i);
    // Text below the bottom margin would make pdfkit open a new page; the footer lives there.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('regular')
      .fontSize(7.5)
      .fillColor('#444444')
      .text(
        `${record.id}    ${record.hash.slice(0, 16)}…    ${pageLabel(i - range.start + 1, range.count, language)}`,
        MARGIN.left,
        PAGE_HEIGHT - MARGIN.bottom + 24,
        { width: CONTENT_WIDTH, align: 'center', lineBreak: false },
      );
    doc.page.margins.bottom = bottom;
  }
}

export async function renderCertificate(
  record: StoredVerificationRecord,
  options: CertificateOptions = {},
): Promise<Buffer> {
  const language = options.language ?? 'both';
  const performedAt = performedDate(record.performedAt);
  const fonts = loadCertificateFonts();
  const title = TITLES[record.result.verdict];
  const doc = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    compress: true,
    lang: language === 'en' ? 'en' : 'zh-CN',
    displayTitle: true,
    info: {
      Title: `${pick(language, title)} ${record.id}`,
      Author: options.institute?.name ?? 'metrogate',
      Subject: `${record.result.ruleSet} ${record.instrument.id} ${record.result.verdict}`,
      Keywords: `record ${record.id}; sha256 ${record.hash}`,
      Creator: `${record.software.name} ${record.software.version}`,
      Producer: `${record.software.name} ${record.software.version}`,
      CreationDate: performedAt,
      ModDate: performedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', fonts.regular);
  doc.registerFont('bold', fonts.bold);

  const layout = new Layout(doc);
  drawHeader(layout, options, language);
  drawTitle(layout, record, language);
  drawFields(layout, record, language);
  drawResults(layout, record, language);
  drawStandards(layout, record.standards, language);
  drawIntegrity(layout, record, language);
  drawSignatures(layout, record, language);
  drawFooters(doc, record, language);
  doc.end();
  return done;
}
