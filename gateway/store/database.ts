/**
 * Opening the gateway's SQLite database: one file in the data directory, WAL journal (readers never
 * block the writer, a crash never leaves a half-written record), full fsync on commit, and the
 * schema brought up to date by the numbered migrations.
 */
import Database from 'better-sqlite3';
import { MetrogateError } from '../../drivers/errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

/** File name of the database inside the data directory. */
export const DATABASE_FILE = 'metrogate.db';

export interface OpenDatabaseOptions {
  /** Defaults to the project's MIGRATIONS; tests pass their own lists. */
  migrations?: readonly Migration[];
  /** How long a writer waits for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(path);
  } catch (error) {
    throw storeError(`cannot open the database ${path}: ${errorText(error)}`, path, error);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      throw new Error(`the file system refused WAL mode (journal_mode is ${String(mode)})`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof MetrogateError) throw error;
    throw storeError(`cannot prepare the database ${path}: ${errorText(error)}`, path, error);
  }
}

/** The schema version recorded in the database (0 for a new file). */
export function schemaVersion(db: SqliteDatabase): number {
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

function migrate(db: SqliteDatabase, migrations: readonly Migration[], path: string): void {
  checkMigrationList(migrations);
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const latest = migrations.at(-1)?.version ?? 0;
  // IMMEDIATE: two processes opening a new database at once must not both run migration 1.
  db.transaction(() => {
    const current = schemaVersion(db);
    if (current > latest) {
      throw storeError(
        `the database ${path} has schema version ${current}, written by a newer metrogate; this one knows up to ${latest}`,
        path,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migration.version);
    }
  }).immediate();
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration ${index} has version ${migration.version}; versions must run 1, 2, 3 …`);
    }
  });
}

export function storeError(message: string, path: string, cause?: unknown): MetrogateError {
  return new MetrogateError('MG_ERR_STORE_FAILED', message, { path }, { cause });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
