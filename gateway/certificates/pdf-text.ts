/**
 * The text of a PDF as poppler reads it (`pdftotext`, `pdfinfo`, `pdffonts` from the Debian package
 * poppler-utils, installed by scripts/ensure-test-deps.mjs): an independent reader, so a certificate
 * test checks what a person's viewer would show rather than what pdfkit thinks it wrote. Tests only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetrogateError } from '../../drivers/errors.js';

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) {
    throw new MetrogateError(
      'MG_ERR_DEPENDENCY_MISSING',
      `${command} is not installed (Debian package poppler-utils): ${result.error.message}`,
      { dependency: 'poppler-utils' },
    );
  }
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

function withFile<T>(pdf: Buffer, use: (file: string) => T): T {
  const directory = mkdtempSync(join(tmpdir(), 'metrogate-pdf-'));
  try {
    const file = join(directory, 'document.pdf');
    writeFileSync(file, pdf);
    return use(file);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * The text of each page (pdftotext ends every page with a form feed). `-layout` keeps each table
 * row on its own line, cells left to right, so a test can read a table row by row.
 */
export function pdfPages(pdf: Buffer): string[] {
  const text = withFile(pdf, (file) => run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-']));
  const pages = text.split('\f');
  if (pages.at(-1)?.trim() === '') pages.pop();
  return pages;
}

/** All text of the document with every run of white space (no-break spaces too) made one space. */
export function pdfFlatText(pdf: Buffer): string {
  return pdfPages(pdf).join(' ').replace(/\s+/g, ' ');
}

/** `pdfinfo -isodates` as key/value pairs (Title, CreationDate, Pages, …). */
export function pdfInfo(pdf: Buffer): Record<string, string> {
  const text = withFile(pdf, (file) => run('pdfinfo', ['-isodates', file]));
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([^:]+):\s*(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!.trim(), match[2]!.trim()]),
  );
}

export interface PdfFont {
  name: string;
  type: string;
  embedded: boolean;
  subset: boolean;
  unicodeMap: boolean;
}

/** `pdffonts`: the fonts the document uses and whether they are embedded. */
export function pdfFonts(pdf: Buffer): PdfFont[] {
  const lines = withFile(pdf, (file) => run('pdffonts', [file]))
    .split('\n')
    .slice(2);
  return lines
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells.length >= 7)
    .map((cells) => {
      // name type... encoding emb sub uni object ID: the flags are the 5th-, 4th- and 3rd-last cells.
      const [emb, sub, uni] = cells.slice(-5, -2);
      return {
        name: cells[0]!,
        type: cells.slice(1, -6).join(' '),
        embedded: emb === 'yes',
        subset: sub === 'yes',
        unicodeMap: uni === 'yes',
      };
    });
}
