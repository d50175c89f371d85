/**
 * The gateway's record key: 32 random bytes that seal every verification record and audit entry
 * with an HMAC. A hash chain alone shows accidental change; someone who edits a record and
 * recomputes the hashes needs this key to forge the HMAC too. WELMEC 7.2 treats such keys as legally
 * relevant and secret, so the key lives in its own file readable by the owner only
 * (`<data-dir>/keys/record-hmac.key`, 0600, in a 0700 directory), is never logged and never leaves
 * this module except as the Buffer handed to createHmac. Back it up with the database: without it
 * the records can still be read and their hashes checked, but no HMAC can be verified.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetrogateError } from '../../drivers/errors.js';
import { errorText, storeError } from './database.js';

export const RECORD_KEY_DIR = 'keys';
export const RECORD_KEY_FILE = 'record-hmac.key';

const KEY_TEXT = /^[0-9a-f]{64}$/;

export function recordKeyPath(dataDir: string): string {
  return join(dataDir, RECORD_KEY_DIR, RECORD_KEY_FILE);
}

/** Reads the key; undefined when the file does not exist. */
export function readRecordKey(dataDir: string): Buffer | undefined {
  const path = recordKeyPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw storeError(`cannot read the record key ${path}: ${errorText(error)}`, path, error);
  }
  checkPrivate(path);
  const hex = text.trim();
  if (!KEY_TEXT.test(hex)) {
    throw storeError(`the record key ${path} is not 64 hexadecimal digits; restore it from the backup`, path);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Creates a new key. Fails if a key file appeared meanwhile ('wx'), so two processes starting on a
 * new data directory cannot each seal records with a different key: the loser reads the winner's.
 */
export function createRecordKey(dataDir: string): Buffer {
  const dir = join(dataDir, RECORD_KEY_DIR);
  const path = recordKeyPath(dataDir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is filtered by the umask, and an existing directory keeps its mode.
    if (process.platform !== 'win32') chmodSync(dir, 0o700);
  } catch (error) {
    throw storeError(`cannot create the key directory ${dir}: ${errorText(error)}`, dir, error);
  }
  const key = randomBytes(32);
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const existing = readRecordKey(dataDir);
      if (existing) return existing;
    }
    throw storeError(`cannot write the record key ${path}: ${errorText(error)}`, path, error);
  }
  return key;
}

/** A key anyone else can read is no longer secret: refuse it, as ssh refuses a readable private key. */
function checkPrivate(path: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new MetrogateError(
      'MG_ERR_STORE_FAILED',
      `the record key ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); ` +
        `run chmod 600 ${path}`,
      { path },
    );
  }
}
