import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_OUT, parseSeedArgs, runSeedCli } from './generate.js';
import { DEFAULT_END, DEFAULT_SEED } from './register.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs the CLI with stdout and stderr captured. */
function run(argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: runSeedCli(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('seed command line', () => {
  it('parses the flags, with documented defaults', () => {
    expect(parseSeedArgs(['--instruments', '1_000_000', '--years', '3'])).toEqual({
      options: {
        instruments: 1_000_000,
        years: 3,
        seed: DEFAULT_SEED,
        end: DEFAULT_END,
        chineseHeaders: false,
        standards: true,
      },
      outDir: DEFAULT_OUT,
      json: false,
    });
    const all = parseSeedArgs([
      '--instruments=50',
      '--years=2',
      '--seed=x',
      '--end=2025-12-31',
      '--out=/tmp/x',
      '--chinese-headers',
      '--no-standards',
      '--json',
    ]);
    expect(all).toEqual({
      options: {
        instruments: 50,
        years: 2,
        seed: 'x',
        end: '2025-12-31',
        chineseHeaders: true,
        standards: false,
      },
      outDir: '/tmp/x',
      json: true,
    });
  });

  it('exits 2 naming the flag at fault', () => {
    const cases: [string[], RegExp][] = [
      [['--years', '3'], /--instruments is required/],
      [['--instruments', 'many', '--years', '3'], /--instruments: expected a whole number/],
      [['--instruments', '10', '--years', '0'], /--years: expected a whole number from 1 to 20/],
      [['--instruments', '0', '--years', '1'], /--instruments: expected a whole number of at least 1/],
      [['--instruments', '10', '--years', '1', '--end', '2026-02-30'], /--end: expected a date/],
      [['--instruments', '10', '--years', '1', '--colour'], /colour/],
    ];
    for (const [argv, message] of cases) {
      const result = run([...argv, '--out', join(tmpdir(), 'metrogate-seed-never-written')]);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
    }
    expect(existsSync(join(tmpdir(), 'metrogate-seed-never-written'))).toBe(false);
  });

  it('writes the files and reports counts, time and memory as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-seed-cli-'));
    try {
      const result = run(['--instruments', '300', '--years', '2', '--out', dir, '--json']);
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({ instruments: 300, from: '2024-11-01', to: '2026-10-31', seed: '1' });
      expect(report.verifications).toBeGreaterThan(300);
      expect(report.peakRssMiB).toBeGreaterThan(0);
      for (const file of ['instruments.csv', 'history.csv', 'standards.json'])
        expect(existsSync(join(dir, file))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
