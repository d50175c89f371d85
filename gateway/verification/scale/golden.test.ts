/**
 * Golden bench records: each `testcases/<case>/input.json` (a contracts.md §1 record) must evaluate
 * to its hand-computed `expected.json` (contracts.md §2 result).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate.js';

const DIR = join(import.meta.dirname, 'testcases');
const CASES = readdirSync(DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

const readJson = (name: string, file: string): unknown =>
  JSON.parse(readFileSync(join(DIR, name, file), 'utf8'));

describe('scale golden records', () => {
  it('has cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(3);
  });

  it.each(CASES)('%s', (name) => {
    expect(evaluate(readJson(name, 'input.json'))).toEqual(readJson(name, 'expected.json'));
  });
});
