/**
 * The committed sample (seeds/sample/) is exactly what the command in seeds/README.md writes, it
 * imports into a fresh store through the registry, and its standards are accepted by
 * `metrogate standards add`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importHistoryFile, importInstrumentsFile } from '../gateway/registry/import.js';
import { parseReferenceStandard } from '../gateway/store/standards.js';
import { useCleanup } from '../test/helpers/cleanup.js';
import { openTestStore, tempDataDir } from '../test/helpers/records.js';
import { parseSeedArgs } from './generate.js';
import { readRegister } from './read-register.js';
import { generateRegister, HISTORY_FILE, INSTRUMENTS_FILE, STANDARDS_FILE } from './register.js';

const cleanup = useCleanup();
const SEEDS = import.meta.dirname;
const SAMPLE = join(SEEDS, 'sample');
const FILES = [INSTRUMENTS_FILE, HISTORY_FILE, STANDARDS_FILE];

/** The arguments of the one `npm run seed -- … --out seeds/sample` line in the README. */
function documentedArguments(): string[] {
  const readme = readFileSync(join(SEEDS, 'README.md'), 'utf8');
  const commands = [...readme.matchAll(/^npm run seed -- (.*--out seeds\/sample)\s*$/gm)];
  expect(commands, 'README.md must document exactly one command writing seeds/sample').toHaveLength(1);
  return commands[0]![1]!.trim().split(/\s+/);
}

describe('seeds/sample', () => {
  it('is byte for byte what the documented command writes', () => {
    const args = documentedArguments();
    const command = parseSeedArgs(args);
    expect(command.outDir).toBe('seeds/sample');
    const data = tempDataDir('metrogate-sample-');
    cleanup(data.remove);
    const summary = generateRegister(command.options, data.dir);
    expect(summary.files.map((file) => file.path.split('/').pop())).toEqual(FILES);
    for (const file of FILES) {
      const committed = readFileSync(join(SAMPLE, file));
      const regenerated = readFileSync(join(data.dir, file));
      expect(regenerated.equals(committed), `${file} differs from the committed sample; regenerate it`).toBe(
        true,
      );
    }
  });

  it('is small: a few hundred instruments over three years', () => {
    const sample = readRegister(SAMPLE);
    expect(sample.instruments.length).toBeGreaterThanOrEqual(300);
    expect(sample.instruments.length).toBeLessThanOrEqual(1000);
    const years = new Set(sample.history.map((row) => row.date.slice(0, 4)));
    expect(years.size).toBeGreaterThanOrEqual(3);
    for (const file of FILES) expect(readFileSync(join(SAMPLE, file)).length).toBeLessThan(200_000);
  });

  it('imports into a fresh register, history included, and its standards register', () => {
    const data = tempDataDir('metrogate-sample-import-');
    cleanup(data.remove);
    const store = openTestStore(data.dir);
    cleanup(() => store.close());
    const sample = readRegister(SAMPLE);

    const instruments = importInstrumentsFile(store, join(SAMPLE, INSTRUMENTS_FILE));
    expect(instruments.inserted).toBe(sample.instruments.length);
    const history = importHistoryFile(store, join(SAMPLE, HISTORY_FILE));
    expect(history.inserted).toBe(sample.history.length);

    const standards = JSON.parse(readFileSync(join(SAMPLE, STANDARDS_FILE), 'utf8')) as unknown[];
    expect(store.standards.addAll(standards, { actor: 'seed-test' })).toHaveLength(standards.length);
  });
});

describe('standards.json', () => {
  const standards = JSON.parse(readFileSync(join(SAMPLE, STANDARDS_FILE), 'utf8')) as unknown[];
  const parsed = standards.map((standard, index) => parseReferenceStandard(standard, `[${index}]`));
  const end = parseSeedArgs(documentedArguments()).options.end;

  it('covers every kind of instrument: weights, cans and thermometers, pulse generators', () => {
    const kinds = new Set(parsed.map((standard) => standard.kind));
    expect([...kinds].sort()).toEqual(['can', 'pulse-generator', 'thermometer', 'weight-set']);
    expect(new Set(parsed.map((standard) => standard.id)).size).toBe(parsed.length);
  });

  it('is in its calibration period at the end date, except one standard at each of two benches', () => {
    const expired = parsed.filter((standard) => standard.dueDate < end);
    expect(expired.map((standard) => standard.id).sort()).toEqual(['CAN-20L-PW-01', 'T-BC-01']);
    for (const standard of parsed) expect(standard.calibrationDate <= end, standard.id).toBe(true);
  });
});
