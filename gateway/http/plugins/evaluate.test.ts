import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluate } from '../../verification/evaluate.js';
import { startTestApi, type TestApi } from '../test-support.js';

const BENCH = {
  ruleSet: 'JJG539-2016',
  stage: 'initial',
  instrument: { kind: 'scale', accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' },
  tests: [{ test: 'weighing', load: '2000', indication: '2000', roundingLoad: '1.5' }],
};

describe('POST /api/evaluate', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('gives the result of contracts.md §2, the same as the CLI, and stores nothing', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: api.auth('technician'),
      payload: BENCH,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      verdict: 'pass',
      ruleSet: 'JJG539-2016',
      stage: 'initial',
      tests: [
        expect.objectContaining({ test: 'weighing', load: '2000', error: '1', mpe: '2.5', pass: true }),
      ],
    });
    expect(response.json()).toEqual(JSON.parse(JSON.stringify(evaluate(BENCH))));
    expect(api.store.records.count()).toBe(0);
  });

  it('reads JSON numbers as exact decimals and judges a failing record (still 200)', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: api.auth('admin'),
      payload: { ...BENCH, tests: [{ test: 'weighing', load: 2000, indication: 2005, roundingLoad: 0.5 }] },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      verdict: 'fail',
      tests: [{ error: '7', mpe: '2.5', pass: false }],
    });
  });

  it('names the JSON path inside the body for an error the evaluator finds', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: api.auth('technician'),
      payload: { ...BENCH, tests: [{ test: 'weighing', indication: '2000' }] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'MG_ERR_INPUT_INVALID',
      details: { path: 'body.tests[0].load' },
    });
    expect(response.json().error.message).toMatch(/^body\.tests\[0\]\.load/);
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: api.auth('technician'),
      payload: { ...BENCH, ruleSet: 'JJG000-1999' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.path).toBe('body.ruleSet');
    expect(unknown.json().error.message).toContain('JJG539-2016');
  });

  it('applies the configured rule overrides', async () => {
    const subsequent = {
      ...BENCH,
      ruleSet: 'OIML-R76-1:2006',
      stage: 'subsequent',
      tests: [{ test: 'weighing', load: '5000', indication: '5005', roundingLoad: '0.5' }],
    };
    const plain = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: api.auth('technician'),
      payload: subsequent,
    });
    expect(plain.json()).toMatchObject({ verdict: 'fail', tests: [{ mpe: '5' }] });
    await api.close();
    api = await startTestApi({ overrides: { 'OIML-R76-1:2006': { mpeMultiplierSubsequent: '2' } } });
    const overridden = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: api.auth('technician'),
      payload: subsequent,
    });
    expect(overridden.json()).toMatchObject({
      verdict: 'pass',
      tests: [{ mpe: '10' }],
      overrides: { mpeMultiplierSubsequent: '2' },
    });
  });
});
