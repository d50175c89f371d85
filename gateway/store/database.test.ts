import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { tempDataDir } from '../../test/helpers/records.js';
import { DATABASE_FILE, openDatabase, schemaVersion } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { MetrogateStore } from './store.js';

const cleanup = useCleanup();

function tempDir(): string {
  const data = tempDataDir('metrogate-db-');
  cleanup(data.remove);
  return data.dir;
}

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('openDatabase', () => {
  it('opens in WAL mode with the schema at the newest migration', () => {
    const path = join(tempDir(), DATABASE_FILE);
    const db = openDatabase(path);
    cleanup(() => db.close());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((row) => row.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'schema_version',
        'verification_records',
        'audit_trail',
        'chain_heads',
        'reference_standards',
      ]),
    );
  });

  it('applies only the missing migrations, in order, when reopened with a longer list', () => {
    const path = join(tempDir(), 'm.db');
    const first = [{ version: 1, description: 'a', sql: 'CREATE TABLE a (x INTEGER)' }];
    openDatabase(path, { migrations: first }).close();
    const longer = [
      ...first,
      { version: 2, description: 'b', sql: 'CREATE TABLE b (y INTEGER)' },
      { version: 3, description: 'c', sql: 'ALTER TABLE b ADD COLUMN z TEXT' },
    ];
    const db = openDatabase(path, { migrations: longer });
    cleanup(() => db.close());
    expect(schemaVersion(db)).toBe(3);
    expect((db.prepare('PRAGMA table_info(b)').all() as { name: string }[]).map((c) => c.name)).toEqual([
      'y',
      'z',
    ]);
  });

  it('rolls back a failing migration and names the database', () => {
    const path = join(tempDir(), 'm.db');
    const error = thrown(() =>
      openDatabase(path, {
        migrations: [
          { version: 1, description: 'ok', sql: 'CREATE TABLE a (x INTEGER)' },
          { version: 2, description: 'broken', sql: 'CREATE TABLE a (x INTEGER)' },
        ],
      }),
    );
    expect(isMetrogateError(error, 'MG_ERR_STORE_FAILED')).toBe(true);
    expect(error.message).toContain(path);
    const db = new Database(path);
    cleanup(() => db.close());
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'a'").get()).toEqual({ n: 0 });
  });

  it('refuses a database written by a newer metrogate', () => {
    const path = join(tempDir(), DATABASE_FILE);
    openDatabase(path).close();
    const raw = new Database(path);
    raw.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length + 1);
    raw.close();
    const error = thrown(() => openDatabase(path));
    expect(isMetrogateError(error, 'MG_ERR_STORE_FAILED')).toBe(true);
    expect(error.message).toMatch(/newer metrogate/);
    expect(error.message).toContain(path);
  });

  it('names the file when it is not a database', () => {
    const path = join(tempDir(), DATABASE_FILE);
    writeFileSync(path, 'this is not SQLite, just text long enough to look like a header page '.repeat(10));
    const error = thrown(() => openDatabase(path));
    expect(isMetrogateError(error, 'MG_ERR_STORE_FAILED')).toBe(true);
    expect(error.message).toContain(path);
  });
});

describe('MetrogateStore.open', () => {
  it('puts one database file in the data directory', () => {
    const dir = tempDir();
    const store = MetrogateStore.open({ dataDir: dir });
    cleanup(() => store.close());
    expect(store.databasePath).toBe(join(dir, DATABASE_FILE));
  });

  it('names a missing data directory', () => {
    const missing = join(tempDir(), 'nope');
    const error = thrown(() => MetrogateStore.open({ dataDir: missing }));
    expect(isMetrogateError(error, 'MG_ERR_STORE_FAILED')).toBe(true);
    expect(error.message).toContain(missing);
  });
});
