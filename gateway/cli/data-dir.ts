/**
 * The data directory (contracts.md §0): `--data-dir DIR`, else the environment variable
 * METROGATE_DATA_DIR, else `./metrogate-data` in the working directory. The database, the record
 * key, certificates and logs live there, so two gateways never share state by accident. A new
 * directory is created owner-only (0700) because it holds the record key; an existing one keeps
 * the mode its owner gave it.
 */
import { accessSync, constants, mkdirSync, type Stats, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { MetrogateStore } from '../store/store.js';
import type { CliContext } from './context.js';

export const DATA_DIR_ENV = 'METROGATE_DATA_DIR';
export const DEFAULT_DATA_DIR = './metrogate-data';

/** The commander option every stateful command takes. */
export function dataDirOption(): Option {
  return new Option(
    '--data-dir <dir>',
    `data directory (database, keys, certificates); default $${DATA_DIR_ENV} or ${DEFAULT_DATA_DIR}`,
  );
}

/** The absolute data directory the option, the environment or the default names. */
export function resolveDataDir(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  if (option !== undefined) {
    if (option.trim() === '') {
      throw new MetrogateError('MG_ERR_INPUT_INVALID', '--data-dir must not be empty', {
        option: '--data-dir',
      });
    }
    return resolve(cwd, option);
  }
  const fromEnv = env[DATA_DIR_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return resolve(cwd, fromEnv);
  return resolve(cwd, DEFAULT_DATA_DIR);
}

/** Creates the directory (0700) if needed and checks that it is a writable directory. */
export function ensureDataDir(path: string): string {
  let existing: Stats | undefined;
  try {
    existing = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw dataDirError(path, 'cannot be created', error);
    if (code !== 'ENOENT') throw dataDirError(path, 'cannot be read', error);
  }
  if (existing && !existing.isDirectory()) {
    throw new MetrogateError(
      'MG_ERR_STORE_FAILED',
      `the data directory ${path} exists but is not a directory`,
      {
        path,
      },
    );
  }
  if (!existing) {
    try {
      mkdirSync(path, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw dataDirError(path, 'cannot be created', error);
    }
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw dataDirError(path, 'is not writable', error);
  }
  return path;
}

/** resolveDataDir + ensureDataDir: what a command calls before opening the store. */
export function prepareDataDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return ensureDataDir(resolveDataDir(option, env));
}

function dataDirError(path: string, what: string, cause: unknown): MetrogateError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOTDIR'
        ? 'a parent of it is a file'
        : code === 'EROFS'
          ? 'the file system is read-only'
          : cause instanceof Error
            ? cause.message
            : String(cause);
  return new MetrogateError(
    'MG_ERR_STORE_FAILED',
    `the data directory ${path} ${what}: ${why} (choose another with --data-dir or ${DATA_DIR_ENV})`,
    { path },
    { cause },
  );
}

/** Resolves and prepares the data directory and opens the store in it; the caller closes it. */
export function openCliStore(option: string | undefined, context: CliContext): MetrogateStore {
  const dataDir = prepareDataDir(option);
  const store = MetrogateStore.open({ dataDir });
  context.logger.debug({ dataDir, database: store.databasePath }, 'store opened');
  return store;
}
