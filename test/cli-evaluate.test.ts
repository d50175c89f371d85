/**
 * `metrogate evaluate FILE` as scripts use it (contracts.md §1–2): JSON in, JSON out, exit codes,
 * and errors that name the file and the JSON path at fault.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-evaluate-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The contract's own example record (contracts.md §1). */
const CONTRACT_EXAMPLE = {
  ruleSet: 'JJG539-2016',
  stage: 'initial',
  instrument: { kind: 'scale', accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' },
  tests: [{ test: 'weighing', load: '2000', indication: '2000', roundingLoad: '1.5' }],
};

describe('metrogate evaluate', () => {
  it('gives the contract example its result', async () => {
    const result = await runCli(['evaluate', file('example.json', CONTRACT_EXAMPLE)]);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      verdict: 'pass',
      ruleSet: 'JJG539-2016',
      stage: 'initial',
      tests: [{ test: 'weighing', load: '2000', error: '1', mpe: '2.5', pass: true }],
    });
  });

  it('exits 0 on a failing verdict, and 1 with --strict', async () => {
    const failing = file('s2.json', {
      ...CONTRACT_EXAMPLE,
      ruleSet: 'OIML-R76-1:2006',
      tests: [{ test: 'weighing', load: 5000, indication: 5005, roundingLoad: 0.5 }],
    });
    const plain = await runCli(['evaluate', failing]);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).verdict).toBe('fail');
    const strict = await runCli(['evaluate', failing, '--strict']);
    expect(strict.code).toBe(1);
  });

  it('prints a table for people with --table', async () => {
    const result = await runCli(['evaluate', file('table.json', CONTRACT_EXAMPLE), '--table']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/weighing\s+2000\s+1\s+2\.5\s+pass/);
    expect(result.stdout).toContain('verdict: PASS (JJG539-2016, initial)');
  });

  it('lists the known rule sets for an unknown one (exit 2)', async () => {
    const result = await runCli([
      'evaluate',
      file('unknown.json', { ...CONTRACT_EXAMPLE, ruleSet: 'JJG539-1997' }),
    ]);
    expect(result.code).toBe(2);
    const error = JSON.parse(result.stderr).error;
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(error.details.path).toBe('ruleSet');
    for (const id of ['OIML-R76-1:2006', 'JJG539-2016', 'JJG443-2023', 'JJG517-2016'])
      expect(error.message).toContain(id);
  });

  it('names the JSON path at fault (exit 2)', async () => {
    const bad = {
      ...CONTRACT_EXAMPLE,
      tests: [CONTRACT_EXAMPLE.tests[0], { test: 'weighing', load: 'heavy', indication: '1' }],
    };
    const result = await runCli(['evaluate', file('bad.json', bad)]);
    expect(result.code).toBe(2);
    const error = JSON.parse(result.stderr).error;
    expect(error.details.path).toBe('tests[1].load');
    expect(error.message).toContain('bad.json');
  });

  it('rejects malformed JSON naming the file (exit 2)', async () => {
    const result = await runCli(['evaluate', file('broken.json', '{"ruleSet": ')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('broken.json');
    expect(result.stderr).toContain('malformed JSON');
  });

  it('applies config overrides of UNCONFIRMED parameters and lists them in the result', async () => {
    const config = file(
      'gateway.yaml',
      'verification:\n  overrides:\n    JJG539-2016:\n      mpeMultiplierInService: "3"\n',
    );
    const record = file('inservice.json', {
      ...CONTRACT_EXAMPLE,
      stage: 'in-service',
      tests: [{ test: 'weighing', load: '5000', indication: '5015', roundingLoad: '2.5' }],
    });
    const without = JSON.parse((await runCli(['evaluate', record])).stdout);
    expect(without.tests[0]).toMatchObject({ error: '15', mpe: '10', pass: false });
    const result = await runCli(['evaluate', record, '--config', config]);
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.tests[0]).toMatchObject({ error: '15', mpe: '15', pass: true });
    expect(output.overrides).toEqual({ mpeMultiplierInService: '3' });
  });

  it('refuses to override a confirmed limit, naming the config field', async () => {
    const config = file(
      'bad-gateway.yaml',
      'verification:\n  overrides:\n    OIML-R76-1:2006:\n      mpeMultiplierInService: "3"\n',
    );
    const result = await runCli([
      'evaluate',
      file('r76.json', { ...CONTRACT_EXAMPLE, ruleSet: 'OIML-R76-1:2006' }),
      '--config',
      config,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('verification.overrides.OIML-R76-1:2006.mpeMultiplierInService');
  });
});
