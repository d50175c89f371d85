/**
 * The CJK font embedded in certificates: Noto Sans SC (Adobe/Google, SIL Open Font License 1.1) as
 * shipped by the npm package @embedpdf/fonts-sc, a regular dependency, so certificates render on a
 * bare machine after `npm ci` with no system fonts. Despite the package's "GB2312" label the files
 * are the full Noto Sans SC: the whole CJK Unified Ideographs block (about 21,000 characters) plus
 * Latin, so owner and site names with characters outside GB2312 (堃, 喆, 犇) print.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MetrogateError } from '../../drivers/errors.js';

export const CERTIFICATE_FONT_PACKAGE = '@embedpdf/fonts-sc';

export interface CertificateFonts {
  regular: Buffer;
  bold: Buffer;
  /** Where the fonts came from, for error messages and the README. */
  source: string;
}

function fontDirectory(): string | undefined {
  try {
    // The package exports only its JS entry; the .otf files sit in fonts/ next to dist/.
    const entry = createRequire(import.meta.url).resolve(CERTIFICATE_FONT_PACKAGE);
    return join(dirname(entry), '..', 'fonts');
  } catch {
    return undefined;
  }
}

export function loadCertificateFonts(): CertificateFonts {
  const directory = fontDirectory();
  const regular = directory && join(directory, 'NotoSansHans-Regular.otf');
  const bold = directory && join(directory, 'NotoSansHans-Bold.otf');
  if (!regular || !bold || !existsSync(regular) || !existsSync(bold)) {
    throw new MetrogateError(
      'MG_ERR_DEPENDENCY_MISSING',
      `certificates need the CJK font of the npm package ${CERTIFICATE_FONT_PACKAGE} ` +
        `(NotoSansHans-Regular.otf and NotoSansHans-Bold.otf), which is not installed; run \`npm ci\` ` +
        `or \`npm install ${CERTIFICATE_FONT_PACKAGE}\``,
      { dependency: CERTIFICATE_FONT_PACKAGE, ...(directory ? { path: directory } : {}) },
    );
  }
  return { regular: readFileSync(regular), bold: readFileSync(bold), source: directory! };
}
