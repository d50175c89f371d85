/**
 * Verification records and stores for tests: a temporary data directory with a store whose clock
 * and software id are fixed, and a plausible scale record that tests vary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewVerificationRecord, SoftwareId } from '../../gateway/store/record-types.js';
import { MetrogateStore } from '../../gateway/store/store.js';

export const TEST_SOFTWARE: SoftwareId = {
  name: 'metrogate',
  version: '0.0.0-test',
  checksum: 'c'.repeat(64),
};

export function tempDataDir(prefix = 'metrogate-store-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store in `dataDir` with a clock that advances one minute per call from 2025-05-01T08:00Z. */
export function openTestStore(dataDir: string): MetrogateStore {
  let minutes = 0;
  return MetrogateStore.open({
    dataDir,
    software: TEST_SOFTWARE,
    now: () => new Date(Date.UTC(2025, 4, 1, 8, minutes++)),
  });
}

/** A passing class III scale verification; `n` varies the instrument, operator and reading. */
export function sampleRecord(
  n: number,
  overrides: Partial<NewVerificationRecord> = {},
): NewVerificationRecord {
  const indication = `${2000 + (n % 3)}`;
  return {
    instrument: {
      id: `SC-${String(n).padStart(4, '0')}`,
      kind: 'scale',
      category: '电子计价秤',
      manufacturer: 'ACME',
      model: 'ACS-15',
      serialNumber: `SN${n}`,
      region: '330102',
    },
    bench: {
      ruleSet: 'JJG539-2016',
      stage: 'initial',
      instrument: { kind: 'scale', accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' },
      tests: [{ test: 'weighing', load: '2000', indication }],
    },
    result: {
      verdict: 'pass',
      ruleSet: 'JJG539-2016',
      stage: 'initial',
      tests: [
        { test: 'weighing', pass: true, load: '2000', error: String(Number(indication) - 2000), mpe: '5' },
      ],
    },
    validUntil: '2026-04-30',
    operator: `Operator-${String(n).padStart(3, '0')}`,
    standards: [
      {
        id: 'W-F1-01',
        kind: 'weight-set',
        description: 'F1 weight set 1 mg – 5 kg',
        certificateNumber: 'ZJ-2024-0117',
        dueDate: '2025-12-31',
      },
    ],
    performedAt: `2025-05-01T0${n % 10}:30:00+08:00`,
    ...overrides,
  };
}
