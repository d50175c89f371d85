/**
 * `metrogate records certificate ID`: the PDF verification certificate (pass) or notice of
 * rejection (fail) of a stored record, written to the data directory's certificates/ folder unless
 * --out names a file (`-` for standard output).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import {
  CERTIFICATE_LANGUAGES,
  type CertificateInstitute,
  type CertificateLanguage,
  renderCertificate,
} from '../certificates/index.js';
import type { StoredVerificationRecord } from '../store/record-types.js';
import { MetrogateStore } from '../store/store.js';
import type { CliContext } from './context.js';
import { dataDirOption, resolveDataDir } from './data-dir.js';
import { createOutput, EXIT_OK, reportError } from './output.js';

/** What the command needs of the record store (`RecordStore.get` of gateway/store/records.ts). */
export interface CertificateRecordSource {
  get(id: string): StoredVerificationRecord | undefined | Promise<StoredVerificationRecord | undefined>;
  close?(): void;
}

export interface CertificateCommandDeps {
  /** Opens the verification records of a data directory (read only is enough). */
  openRecords(dataDir: string): CertificateRecordSource | Promise<CertificateRecordSource>;
}

/**
 * The gateway's own store. It is opened, not prepared: printing a certificate must not create an
 * empty data directory where the user mistyped the path.
 */
export const storeRecords: CertificateCommandDeps = {
  openRecords(dataDir) {
    const store = MetrogateStore.open({ dataDir });
    return { get: (id) => store.records.get(id), close: () => store.close() };
  },
};

interface CertificateCliOptions {
  out?: string;
  lang: string;
  dataDir?: string;
  institute?: string;
  instituteAddress?: string;
  accreditation?: string;
  json?: boolean;
}

function languageOf(text: string): CertificateLanguage {
  if ((CERTIFICATE_LANGUAGES as readonly string[]).includes(text)) return text as CertificateLanguage;
  throw new MetrogateError(
    'MG_ERR_INPUT_INVALID',
    `--lang: "${text}" is not a certificate language; use ${CERTIFICATE_LANGUAGES.join(', ')}`,
    { path: '--lang' },
  );
}

function instituteOf(options: CertificateCliOptions): CertificateInstitute | undefined {
  const name = options.institute ?? process.env.METROGATE_INSTITUTE;
  if (name === undefined || name.trim() === '') return undefined;
  const address = options.instituteAddress ?? process.env.METROGATE_INSTITUTE_ADDRESS;
  const accreditation = options.accreditation ?? process.env.METROGATE_INSTITUTE_ACCREDITATION;
  return {
    name: name.trim(),
    ...(address ? { address } : {}),
    ...(accreditation ? { accreditation } : {}),
  };
}

/** A record id as a file name: ids are like VR-000042, but nothing in one may leave the folder. */
function fileNameOf(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`;
}

/** Finds the `records` command another module may already have made, or makes it. */
function recordsCommand(program: Command): Command {
  return (
    program.commands.find((command) => command.name() === 'records') ??
    program.command('records').summary('stored verification records: certificates, chain check')
  );
}

/**
 * Adds `certificate` to the `records` command. Call it after `registerRecords` so that both share
 * one `records` command (commander refuses a second command of the same name).
 */
export function registerCertificate(
  program: Command,
  context: CliContext,
  deps: CertificateCommandDeps = storeRecords,
): void {
  recordsCommand(program)
    .command('certificate')
    .argument('<id>', 'record id, e.g. VR-000042')
    .summary('write the PDF certificate (pass) or notice of rejection (fail) of a record')
    .description(
      'Renders the verification certificate (检定证书) of a passing record or the notice of rejection\n' +
        '(检定结果通知书) of a failing one, in Chinese, English or both. The PDF carries the record hash,\n' +
        'so it can be checked against the gateway with `metrogate records verify`.',
    )
    .option(
      '--out <file>',
      'where to write the PDF; - for standard output (default <data-dir>/certificates/<id>.pdf)',
    )
    .option('--lang <language>', `language of the certificate: ${CERTIFICATE_LANGUAGES.join(' | ')}`, 'both')
    .addOption(dataDirOption())
    .option('--institute <name>', 'name of the verification institute (env METROGATE_INSTITUTE)')
    .option('--institute-address <text>', 'its address (env METROGATE_INSTITUTE_ADDRESS)')
    .option('--accreditation <text>', 'its accreditation number (env METROGATE_INSTITUTE_ACCREDITATION)')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  metrogate records certificate VR-000042\n' +
        '  metrogate records certificate VR-000042 --lang zh --out /tmp/VR-000042.pdf --institute "江油市计量测试所"',
    )
    .action(async (id: string, options: CertificateCliOptions) => {
      process.exitCode = await runCertificate(id, options, context, deps);
    });
}

export async function runCertificate(
  id: string,
  options: CertificateCliOptions,
  context: CliContext,
  deps: CertificateCommandDeps,
): Promise<number> {
  const out = createOutput(options.json === true);
  let source: CertificateRecordSource | undefined;
  try {
    const language = languageOf(options.lang);
    const dataDir = resolveDataDir(options.dataDir);
    source = await deps.openRecords(dataDir);
    const record = await source.get(id);
    if (!record) {
      throw new MetrogateError('MG_ERR_NOT_FOUND', `no verification record ${id} in ${dataDir}`, {
        record: id,
        path: dataDir,
      });
    }
    const institute = instituteOf(options);
    const pdf = await renderCertificate(record, { language, ...(institute ? { institute } : {}) });
    if (options.out === '-') {
      process.stdout.write(pdf);
      return EXIT_OK;
    }
    const file = options.out ?? join(dataDir, 'certificates', fileNameOf(record.id));
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, pdf);
    } catch (error) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--out: cannot write ${file}: ${(error as Error).message}`,
        {
          path: file,
        },
      );
    }
    context.logger.info({ record: record.id, file, verdict: record.result.verdict }, 'certificate written');
    const kind = record.result.verdict === 'pass' ? 'verification certificate' : 'notice of rejection';
    if (out.json) {
      out.jsonLine({
        record: record.id,
        verdict: record.result.verdict,
        document: kind,
        file,
        hash: record.hash,
      });
    } else {
      out.line(`${kind} of ${record.id} (${record.result.verdict}) written to ${file}`);
      out.line(`record hash ${record.hash}`);
    }
    return EXIT_OK;
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    source?.close?.();
  }
}
