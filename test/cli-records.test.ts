/**
 * `metrogate records` and `metrogate standards` as a user runs them: subprocesses on a temporary
 * data directory, records appended through RecordStore as `metrogate verify` will append them.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DATA_DIR_ENV, DEFAULT_DATA_DIR, ensureDataDir, resolveDataDir } from '../gateway/cli/data-dir.js';
import { DATABASE_FILE } from '../gateway/store/database.js';
import { useCleanup } from './helpers/cleanup.js';
import { runCli } from './helpers/cli.js';
import { openTestStore, sampleRecord, tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();

function dataDirWithRecords(count: number): string {
  const data = tempDataDir('metrogate-cli-');
  cleanup(data.remove);
  const store = openTestStore(data.dir);
  try {
    for (let i = 1; i <= count; i++) {
      store.records.append(
        sampleRecord(
          i,
          i === 2 ? { instrument: { id: 'SC-0042', kind: 'scale', category: '电子计价秤' } } : {},
        ),
      );
    }
    if (count > 0) store.appendAudit({ actor: 'admin', action: 'config.change', subject: 'gateway.yaml' });
  } finally {
    store.close();
  }
  return data.dir;
}

describe('metrogate records', () => {
  it('lists records newest first as a table, filters by instrument and limits as JSON', async () => {
    const dir = dataDirWithRecords(3);
    const [table, filtered, limited] = await Promise.all([
      runCli(['records', 'list', '--data-dir', dir]),
      runCli(['records', 'list', '--data-dir', dir, '--instrument', 'SC-0042', '--json']),
      runCli(['records', 'list', '--data-dir', dir, '--limit', '2', '--json']),
    ]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^record\s+performed\s+instrument\s+kind\s+rule set\s+stage\s+verdict\s+operator\s+seal$/,
    );
    expect(lines.slice(2).map((line) => line.split(/\s+/)[0])).toEqual([
      'VR-000003',
      'VR-000002',
      'VR-000001',
    ]);
    expect(lines[2]).toMatch(/SC-0003\s+scale\s+JJG539-2016\s+initial\s+pass\s+Operator-003\s+ok$/);

    expect(filtered.code).toBe(0);
    const onlyOne = JSON.parse(filtered.stdout) as { id: string; instrument: { id: string } }[];
    expect(onlyOne.map((r) => [r.id, r.instrument.id])).toEqual([['VR-000002', 'SC-0042']]);
    expect((JSON.parse(limited.stdout) as { id: string }[]).map((r) => r.id)).toEqual([
      'VR-000003',
      'VR-000002',
    ]);
  });

  it('shows one record for people and as JSON, and names an unknown id', async () => {
    const dir = dataDirWithRecords(2);
    const [human, json, missing] = await Promise.all([
      runCli(['records', 'show', 'VR-000002', '--data-dir', dir]),
      runCli(['records', 'show', 'VR-000002', '--data-dir', dir, '--json']),
      runCli(['records', 'show', 'VR-000009', '--data-dir', dir]),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^record\s+VR-000002 \(sequence 2\)$/m);
    expect(human.stdout).toMatch(/^instrument\s+SC-0042 \(scale, 电子计价秤\)$/m);
    expect(human.stdout).toMatch(/^verdict\s+PASS \(valid until 2026-04-30\)$/m);
    expect(human.stdout).toMatch(
      /^standards\s+W-F1-01: F1 weight set 1 mg – 5 kg, certificate ZJ-2024-0117, due 2025-12-31$/m,
    );
    expect(human.stdout).toMatch(/^1\s+weighing\s+pass\s+error=2 load=2000 mpe=5$/m);
    const record = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(record).toMatchObject({ id: 'VR-000002', sequence: 2, operator: 'Operator-002' });
    expect(human.stdout).toContain(`hash           ${record.hash as string}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error MG_ERR_NOT_FOUND: no verification record VR-000009\n');
  });

  it('verifies intact chains with exit 0', async () => {
    const dir = dataDirWithRecords(3);
    const [human, json] = await Promise.all([
      runCli(['records', 'verify', '--data-dir', dir]),
      runCli(['records', 'verify', '--data-dir', dir, '--json']),
    ]);
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^records\s+3\s+intact\s+VR-000003 [0-9a-f]{64}$/m);
    expect(human.stdout).toMatch(/^audit trail\s+1\s+intact\s+AU-000001 [0-9a-f]{64}$/m);
    expect(JSON.parse(json.stdout)).toMatchObject({
      intact: true,
      records: { chain: 'records', intact: true, count: 3, head: { id: 'VR-000003', sequence: 3 } },
      audit: { chain: 'audit', intact: true, count: 1 },
    });
  });

  it('exits 1 naming the first altered record with MG_ERR_RECORD_CHAIN_BROKEN', async () => {
    const dir = dataDirWithRecords(4);
    const db = new Database(join(dir, DATABASE_FILE));
    db.exec('DROP TRIGGER verification_records_no_update');
    db.prepare(
      `UPDATE verification_records SET payload = replace(payload, '"verdict":"pass"', '"verdict":"fail"') WHERE sequence IN (2, 4)`,
    ).run();
    db.close();
    const [human, json] = await Promise.all([
      runCli(['records', 'verify', '--data-dir', dir]),
      runCli(['records', 'verify', '--data-dir', dir, '--json']),
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^records\s+4\s+BROKEN at VR-000002 \(content-altered\)/m);
    expect(human.stderr).toMatch(
      /^error MG_ERR_RECORD_CHAIN_BROKEN: record VR-000002 \(content-altered\): VR-000002: its content does not match its hash/,
    );
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      intact: false,
      records: { intact: false, problem: { kind: 'content-altered', recordId: 'VR-000002', sequence: 2 } },
      audit: { intact: true },
    });
    expect(JSON.parse(json.stderr)).toMatchObject({
      error: {
        code: 'MG_ERR_RECORD_CHAIN_BROKEN',
        details: { record: 'VR-000002', problem: 'content-altered' },
      },
    });
  });

  it('takes the data directory from METROGATE_DATA_DIR and creates a new one owner-only', async () => {
    const dir = dataDirWithRecords(1);
    const fromEnv = await runCli(['records', 'list', '--json'], { env: { [DATA_DIR_ENV]: dir } });
    expect((JSON.parse(fromEnv.stdout) as unknown[]).length).toBe(1);

    const fresh = join(dataDirWithRecords(0), 'nested', 'data');
    const empty = await runCli(['records', 'verify', '--data-dir', fresh]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^records\s+0\s+intact\s+\(empty\)$/m);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
  });

  it('names a data directory that is a file, and a bad --limit', async () => {
    const parent = dataDirWithRecords(0);
    const file = join(parent, 'not-a-dir');
    writeFileSync(file, 'x');
    const [asFile, badLimit] = await Promise.all([
      runCli(['records', 'list', '--data-dir', file]),
      runCli(['records', 'list', '--data-dir', parent, '--limit', 'ten']),
    ]);
    expect(asFile.code).toBe(1);
    expect(asFile.stderr).toBe(
      `error MG_ERR_STORE_FAILED: the data directory ${file} exists but is not a directory\n`,
    );
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/MG_ERR_INPUT_INVALID: --limit must be a whole number/);
  });
});

describe('metrogate standards', () => {
  const YAML = `
- id: W-F1-2024-01
  kind: weight-set
  accuracyClass: F1
  certificateNumber: ZJ-2024-0117
  calibrationDate: 2024-06-01
  dueDate: 2099-05-31
  pieces:
    - { nominal: "2", unit: kg, mpe: "10", count: 2 }
    - { nominal: 500, unit: g, mpe: 2.5 }
- id: CAN-20L-07
  kind: can
  nominalVolume: "20"
  material: stainless-steel
  relativeMpe: "0.025"
  certificateNumber: ZJ-2024-0342
  calibrationDate: 2023-03-10
  dueDate: 2024-03-09
`;

  it('adds standards from YAML, lists, shows them, and audits each addition', async () => {
    const dir = dataDirWithRecords(0);
    const file = join(dir, 'standards.yaml');
    writeFileSync(file, YAML);
    const added = await runCli(['standards', 'add', '--file', file, '--actor', 'li', '--data-dir', dir]);
    expect(added.code).toBe(0);
    expect(added.stderr).toBe(`registered 2 standards in ${dir}\n`);
    expect(added.stdout).toMatch(
      /^W-F1-2024-01\s+weight-set\s+F1 weight set 500 g – 2 kg \(3 pieces\)\s+ZJ-2024-0117/m,
    );

    const [list, listJson, show, showJson, verify] = await Promise.all([
      runCli(['standards', 'list', '--data-dir', dir]),
      runCli(['standards', 'list', '--data-dir', dir, '--json']),
      runCli(['standards', 'show', 'W-F1-2024-01', '--data-dir', dir]),
      runCli(['standards', 'show', 'CAN-20L-07', '--data-dir', dir, '--json']),
      runCli(['records', 'verify', '--data-dir', dir, '--json']),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^CAN-20L-07\s+can\s+.*2024-03-09\s+OVERDUE$/m);
    expect(list.stdout).toMatch(/^W-F1-2024-01\s+weight-set\s+.*2099-05-31\s+valid$/m);
    expect((JSON.parse(listJson.stdout) as { id: string }[]).map((s) => s.id)).toEqual([
      'CAN-20L-07',
      'W-F1-2024-01',
    ]);
    expect(show.stdout).toMatch(/^class\s+F1$/m);
    expect(show.stdout).toMatch(/^2 kg\s+2\s+±10 mg$/m);
    expect(show.stdout).toMatch(/^500 g\s+1\s+±2\.5 mg$/m);
    expect(JSON.parse(showJson.stdout)).toEqual({
      id: 'CAN-20L-07',
      kind: 'can',
      nominalVolume: '20',
      material: 'stainless-steel',
      relativeMpe: '0.025',
      certificateNumber: 'ZJ-2024-0342',
      calibrationDate: '2023-03-10',
      dueDate: '2024-03-09',
    });
    expect(JSON.parse(verify.stdout)).toMatchObject({ intact: true, audit: { count: 2 } });
  });

  it('refuses a file with a bad field (exit 2, naming the file and the field) and adds nothing', async () => {
    const dir = dataDirWithRecords(0);
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        standards: [
          {
            id: 'PG-1',
            kind: 'pulse-generator',
            relativeMpe: '0.1',
            certificateNumber: 'c',
            calibrationDate: '2024-01-01',
            dueDate: '2025-01-01',
          },
          {
            id: 'T-1',
            kind: 'thermometer',
            mpe: 'warm',
            certificateNumber: 'c',
            calibrationDate: '2024-01-01',
            dueDate: '2025-01-01',
          },
        ],
      }),
    );
    const bad = await runCli(['standards', 'add', '--file', file, '--data-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      new RegExp(
        `^error MG_ERR_INPUT_INVALID: ${file}: reference standard: \\[1\\]\\.mpe: expected a decimal number`,
      ),
    );
    const [list, unknown] = await Promise.all([
      runCli(['standards', 'list', '--data-dir', dir, '--json']),
      runCli(['standards', 'show', 'PG-1', '--data-dir', dir]),
    ]);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error MG_ERR_NOT_FOUND: no reference standard PG-1 is registered\n');
  });
});

describe('data directory', () => {
  it('prefers --data-dir, then METROGATE_DATA_DIR, then ./metrogate-data', () => {
    expect(resolveDataDir('/srv/a', { [DATA_DIR_ENV]: '/srv/b' }, '/home/x')).toBe('/srv/a');
    expect(resolveDataDir('rel', {}, '/home/x')).toBe('/home/x/rel');
    expect(resolveDataDir(undefined, { [DATA_DIR_ENV]: '/srv/b' }, '/home/x')).toBe('/srv/b');
    expect(resolveDataDir(undefined, { [DATA_DIR_ENV]: '' }, '/home/x')).toBe('/home/x/metrogate-data');
    expect(DEFAULT_DATA_DIR).toBe('./metrogate-data');
    expect(() => resolveDataDir(' ', {}, '/home/x')).toThrow(/--data-dir must not be empty/);
  });

  it('creates the directory 0700 and names the path when it cannot', () => {
    const parent = dataDirWithRecords(0);
    const created = ensureDataDir(join(parent, 'a', 'b'));
    expect(statSync(created).mode & 0o777).toBe(0o700);
    const file = join(parent, 'file');
    writeFileSync(file, '');
    expect(() => ensureDataDir(join(file, 'sub'))).toThrow(
      new RegExp(`the data directory ${join(file, 'sub')} cannot be created: a parent of it is a file`),
    );
    mkdirSync(join(parent, 'existing'), { mode: 0o755 });
    ensureDataDir(join(parent, 'existing'));
    expect(statSync(join(parent, 'existing')).mode & 0o777).toBe(0o755);
  });
});
