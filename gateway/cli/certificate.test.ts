import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../drivers/logger.js';
import { pdfFlatText } from '../certificates/pdf-text.js';
import { dispenserFailRecord, scalePassRecord } from '../certificates/sample-records.js';
import type { NewVerificationRecord, StoredVerificationRecord } from '../store/record-types.js';
import { MetrogateStore } from '../store/store.js';
import { type CertificateCommandDeps, registerCertificate } from './certificate.js';

const SOFTWARE = { name: 'metrogate', version: '0.1.0-test', checksum: 'ab'.repeat(32) } as const;

/** The part of a sample record a bench hands to the store. */
function asNew(record: StoredVerificationRecord): NewVerificationRecord {
  const { instrument, bench, result, validUntil, operator, standards, performedAt } = record;
  return {
    instrument,
    bench,
    result,
    ...(validUntil ? { validUntil } : {}),
    operator,
    standards,
    performedAt,
  };
}

interface Run {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

async function run(args: string[], deps?: CertificateCommandDeps): Promise<Run> {
  const program = new Command('metrogate').exitOverride();
  // As main.ts builds it: another module owns `records`, certificate joins it.
  program.command('records').command('verify');
  registerCertificate(program, { logger: silentLogger() }, ...(deps ? [deps] : []));
  const out: Buffer[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(Buffer.from(chunk));
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'metrogate', 'records', 'certificate', ...args]);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  const bytes = Buffer.concat(out);
  return { code, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: err.join('') };
}

describe('metrogate records certificate', () => {
  let dataDir: string;
  let pass: StoredVerificationRecord;
  let fail: StoredVerificationRecord;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrogate-cert-'));
    const store = MetrogateStore.open({
      dataDir,
      software: SOFTWARE,
      now: () => new Date('2026-03-06T08:00:00Z'),
    });
    try {
      pass = store.records.append(asNew(scalePassRecord()));
      fail = store.records.append(asNew(dispenserFailRecord()));
    } finally {
      store.close();
    }
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes the certificate of a stored passing record into <data-dir>/certificates', async () => {
    const result = await run([pass.id, '--data-dir', dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const file = join(dataDir, 'certificates', `${pass.id}.pdf`);
    expect(result.stdout).toContain(`verification certificate of ${pass.id} (pass) written to ${file}`);
    expect(result.stdout).toContain(pass.hash);
    const text = pdfFlatText(readFileSync(file));
    expect(text).toContain('检定证书 Verification Certificate');
    expect(text).toContain(pass.hash);
    expect(text).toContain(`metrogate ${SOFTWARE.version}`);
    expect(text).toContain('2027-03-04');
  });

  it('writes a notice of rejection for a failing record, in the language asked, to --out', async () => {
    const out = join(dataDir, 'elsewhere', 'notice.pdf');
    const result = await run([fail.id, '--data-dir', dataDir, '--lang', 'zh', '--out', out, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      record: fail.id,
      verdict: 'fail',
      document: 'notice of rejection',
      file: out,
      hash: fail.hash,
    });
    const text = pdfFlatText(readFileSync(out));
    expect(text).toContain('检定结果通知书');
    expect(text).toContain('检定结论：不合格');
    expect(text).not.toContain('Notice of Rejection');
    expect(text).toContain(fail.hash);
    expect(existsSync(join(dataDir, 'certificates'))).toBe(false);
  });

  it('prints the PDF to standard output with --out -, naming the institute', async () => {
    const result = await run([
      pass.id,
      '--data-dir',
      dataDir,
      '--out',
      '-',
      '--lang',
      'en',
      '--institute',
      'Jiangyou Institute of Metrology',
      '--accreditation',
      'FJ-2021-01015',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdoutBytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfFlatText(result.stdoutBytes);
    expect(text).toContain('Jiangyou Institute of Metrology');
    expect(text).toContain('Accreditation: FJ-2021-01015');
    expect(text).toContain('Verdict: PASS');
  });

  it('reports an unknown record id as MG_ERR_NOT_FOUND and exits 1', async () => {
    const result = await run(['VR-999999', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_NOT_FOUND');
    expect(result.stderr).toContain('VR-999999');
    expect(existsSync(join(dataDir, 'certificates'))).toBe(false);
  });

  it('rejects an unknown language with exit 2 before opening the store', async () => {
    const openRecords = vi.fn();
    const result = await run([pass.id, '--data-dir', dataDir, '--lang', 'fr'], { openRecords });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MG_ERR_INPUT_INVALID');
    expect(result.stderr).toContain('--lang');
    expect(openRecords).not.toHaveBeenCalled();
  });

  it('does not create a data directory that does not exist', async () => {
    const missing = join(dataDir, 'typo');
    const result = await run([pass.id, '--data-dir', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_STORE_FAILED');
    expect(existsSync(missing)).toBe(false);
  });

  it('closes the record source after use', async () => {
    const close = vi.fn();
    const record = scalePassRecord();
    const result = await run([record.id, '--out', join(dataDir, 'x.pdf')], {
      openRecords: () => ({ get: (id) => (id === record.id ? record : undefined), close }),
    });
    expect(result.code).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
  });
});
