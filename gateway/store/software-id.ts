/**
 * The software identification every record carries (OIML D 31 software identification, WELMEC 7.2:
 * an identifier inextricably linked to the software that produced the result).
 *
 * `checksum` is the SHA-256 over the code that is running, computed like this:
 * - the code tree is `drivers/`, `simulators/` and `gateway/` of the checkout when metrogate runs
 *   from its TypeScript sources (files ending `.ts`, without `*.test.ts` and `*.d.ts`), or the same
 *   three folders under `dist/` when it runs compiled (files ending `.js`, without `*.test.js`);
 * - the files are taken in ascending order of their path relative to that root, written with `/`
 *   separators and compared by UTF-16 code units (plain ASCII order for our names);
 * - for each file the hash is fed the relative path (UTF-8), a NUL byte, the file's size in bytes
 *   as decimal digits, a NUL byte, and then the file's bytes.
 *
 * So any change to any line of running code (a driver, a rule set, this store) changes the checksum,
 * while tests, docs and golden frames do not. `sha256sum`-style tools can reproduce it with the
 * same recipe. It is computed once per `RecordStore` (the CLI and the gateway open one per process).
 */
import { createHash } from 'node:crypto';
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SoftwareId } from './record-types.js';

export const CODE_FOLDERS = ['drivers', 'simulators', 'gateway'] as const;

export interface CodeTree {
  /** The checkout (sources) or its dist/ folder (compiled). */
  root: string;
  mode: 'source' | 'compiled';
}

/** Where the running code is, judged from this module's own file. */
export function runningCodeTree(moduleUrl: string = import.meta.url): CodeTree {
  const file = fileURLToPath(moduleUrl);
  // This module is <root>/gateway/store/software-id.(ts|js).
  const root = dirname(dirname(dirname(file)));
  return { root, mode: file.endsWith('.ts') ? 'source' : 'compiled' };
}

/** The files that make up the running code, as sorted POSIX paths relative to the tree's root. */
export function codeFiles(tree: CodeTree): string[] {
  const wanted =
    tree.mode === 'source'
      ? (name: string) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')
      : (name: string) => name.endsWith('.js') && !name.endsWith('.test.js');
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (entry.isFile() && wanted(entry.name)) {
        files.push(relative(tree.root, path).split(sep).join('/'));
      }
    }
  };
  for (const folder of CODE_FOLDERS) walk(join(tree.root, folder));
  return files.sort();
}

export function computeCodeChecksum(tree: CodeTree): string {
  const hash = createHash('sha256');
  for (const path of codeFiles(tree)) {
    const bytes = readFileSync(join(tree.root, path));
    hash.update(Buffer.from(path, 'utf8'));
    hash.update(Buffer.from([0]));
    hash.update(Buffer.from(String(bytes.length), 'ascii'));
    hash.update(Buffer.from([0]));
    hash.update(bytes);
  }
  return hash.digest('hex');
}

export function computeSoftwareId(tree: CodeTree = runningCodeTree()): SoftwareId {
  return { name: 'metrogate', version: packageVersion(tree), checksum: computeCodeChecksum(tree) };
}

/** package.json sits at the checkout root, which is dist/.. when running compiled. */
function packageVersion(tree: CodeTree): string {
  const candidates =
    tree.mode === 'source' ? [join(tree.root, 'package.json')] : [join(tree.root, '..', 'package.json')];
  for (const path of candidates) {
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'metrogate' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // fall through to the unknown version
    }
  }
  return '0.0.0';
}
