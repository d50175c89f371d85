import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { tempDataDir } from '../../test/helpers/records.js';
import {
  type CodeTree,
  codeFiles,
  computeCodeChecksum,
  computeSoftwareId,
  runningCodeTree,
} from './software-id.js';

const cleanup = useCleanup();

function tree(files: Record<string, string>): string {
  const data = tempDataDir('metrogate-code-');
  cleanup(data.remove);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(data.dir, path)), { recursive: true });
    writeFileSync(join(data.dir, path), text);
  }
  return data.dir;
}

const SOURCES = {
  'drivers/b/protocol.ts': 'export const b = 2;\n',
  'drivers/a.ts': 'export const a = 1;\n',
  'gateway/store/x.ts': 'export const x = "数";\n',
  'gateway/store/x.test.ts': 'test',
  'gateway/README.md': '# docs',
  'simulators/s.ts': 'export {};\n',
  'simulators/types.d.ts': 'declare const d: number;\n',
  'bench/run.ts': 'not running code',
  'drivers/a/testcases/frame.json': '{}',
};

describe('software checksum', () => {
  it('hashes the sorted running source files as documented: path NUL size NUL bytes', () => {
    const root = tree(SOURCES);
    const source: CodeTree = { root, mode: 'source' };
    const files = ['drivers/a.ts', 'drivers/b/protocol.ts', 'gateway/store/x.ts', 'simulators/s.ts'];
    expect(codeFiles(source)).toEqual(files);
    const hash = createHash('sha256');
    for (const path of files) {
      const bytes = readFileSync(join(root, path));
      hash.update(`${path}\0${bytes.length}\0`);
      hash.update(bytes);
    }
    expect(computeCodeChecksum(source)).toBe(hash.digest('hex'));
  });

  it('changes with any code byte, not with tests or docs', () => {
    const base = computeCodeChecksum({ root: tree(SOURCES), mode: 'source' });
    expect(computeCodeChecksum({ root: tree(SOURCES), mode: 'source' })).toBe(base);
    const changedTest = {
      ...SOURCES,
      'gateway/store/x.test.ts': 'other test',
      'gateway/README.md': '# more',
    };
    expect(computeCodeChecksum({ root: tree(changedTest), mode: 'source' })).toBe(base);
    const changedCode = { ...SOURCES, 'drivers/a.ts': 'export const a = 2;\n' };
    expect(computeCodeChecksum({ root: tree(changedCode), mode: 'source' })).not.toBe(base);
    // Moving content between files changes the checksum too (the path and size are hashed).
    const moved = {
      ...SOURCES,
      'drivers/a.ts': '',
      'drivers/b/protocol.ts': 'export const a = 1;\nexport const b = 2;\n',
    };
    expect(computeCodeChecksum({ root: tree(moved), mode: 'source' })).not.toBe(base);
  });

  it('hashes the compiled .js files under dist when running compiled', () => {
    const root = tree({
      'gateway/cli/main.js': 'x',
      'gateway/cli/main.js.map': '{}',
      'drivers/a.d.ts': 'x',
      'drivers/a.js': 'y',
    });
    expect(codeFiles({ root, mode: 'compiled' })).toEqual(['drivers/a.js', 'gateway/cli/main.js']);
  });

  it('finds the checkout it runs from and its package version', () => {
    const running = runningCodeTree();
    const checkout = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
    expect(running).toEqual({ root: checkout, mode: 'source' });
    expect(codeFiles(running)).toContain('gateway/store/software-id.ts');
    expect(codeFiles(running).some((path) => path.endsWith('.test.ts'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { version: string };
    const id = computeSoftwareId(running);
    expect(id).toEqual({ name: 'metrogate', version: pkg.version, checksum: computeCodeChecksum(running) });
    expect(runningCodeTree('file:///opt/metrogate/dist/gateway/store/software-id.js')).toEqual({
      root: '/opt/metrogate/dist',
      mode: 'compiled',
    });
  });
});
