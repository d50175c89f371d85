import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../../test/helpers/records.js';
import { startTestApi, type TestApi } from '../test-support.js';

describe('records', () => {
  let api: TestApi;

  beforeEach(async () => {
    api = await startTestApi();
    api.store.records.append(sampleRecord(1));
    api.store.records.append(sampleRecord(2, { operator: 'Zhang San' }));
    const failing = sampleRecord(3);
    api.store.records.append({ ...failing, result: { ...failing.result, verdict: 'fail' } });
  });
  afterEach(async () => {
    await api.close();
  });

  it('lists records newest first, filtered by instrument or verdict, for a regulator too', async () => {
    const all = await api.app.inject({ method: 'GET', url: '/api/records', headers: api.auth('regulator') });
    expect(all.statusCode).toBe(200);
    expect(all.json().total).toBe(3);
    expect(all.json().records.map((r: { id: string }) => r.id)).toEqual([
      'VR-000003',
      'VR-000002',
      'VR-000001',
    ]);
    expect(all.json().records[1]).toMatchObject({
      instrument: { id: 'SC-0002', kind: 'scale' },
      ruleSet: 'JJG539-2016',
      verdict: 'pass',
      operator: 'Zhang San',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const byInstrument = await api.app.inject({
      method: 'GET',
      url: '/api/records?instrument=SC-0001',
      headers: api.auth('regulator'),
    });
    expect(byInstrument.json().records.map((r: { id: string }) => r.id)).toEqual(['VR-000001']);
    const failed = await api.app.inject({
      method: 'GET',
      url: '/api/records?verdict=fail&limit=1',
      headers: api.auth('admin'),
    });
    expect(failed.json().records.map((r: { id: string }) => r.id)).toEqual(['VR-000003']);
  });

  it('shows one record in full and 404 for an unknown id', async () => {
    const one = await api.app.inject({
      method: 'GET',
      url: '/api/records/VR-000002',
      headers: api.auth('regulator'),
    });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(api.store.records.require('VR-000002'));
    const none = await api.app.inject({
      method: 'GET',
      url: '/api/records/VR-000099',
      headers: api.auth('regulator'),
    });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('MG_ERR_NOT_FOUND');
  });

  it('checks both chains, and reports the record someone altered', async () => {
    const intact = await api.app.inject({
      method: 'GET',
      url: '/api/records/chain',
      headers: api.auth('regulator'),
    });
    expect(intact.json()).toMatchObject({
      intact: true,
      records: { chain: 'records', intact: true, count: 3, head: { id: 'VR-000003' } },
      audit: { chain: 'audit', intact: true },
    });
    // Someone edits the database file behind the gateway's back.
    api.store.db.exec('DROP TRIGGER verification_records_no_update');
    api.store.db
      .prepare(
        "UPDATE verification_records SET payload = replace(payload, 'Zhang San', 'Zhang Si') WHERE id = ?",
      )
      .run('VR-000002');
    const broken = await api.app.inject({
      method: 'GET',
      url: '/api/records/chain',
      headers: api.auth('regulator'),
    });
    expect(broken.json()).toMatchObject({
      intact: false,
      records: { intact: false, problem: { recordId: 'VR-000002', kind: 'content-altered' } },
    });
    const altered = await api.app.inject({
      method: 'GET',
      url: '/api/records/VR-000002',
      headers: api.auth('regulator'),
    });
    expect(altered.statusCode).toBe(500);
    expect(altered.json().error.code).toBe('MG_ERR_RECORD_CHAIN_BROKEN');
  });

  it('renders the certificate as a PDF carrying the record hash, with the token in the query', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: `/api/records/VR-000001/certificate?lang=en&access_token=${api.tokens.regulator}`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toBe('inline; filename="VR-000001-certificate.pdf"');
    expect(response.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'metrogate-pdf-'));
    try {
      const file = join(dir, 'c.pdf');
      writeFileSync(file, response.rawPayload);
      const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
      expect(info).toContain(api.store.records.require('VR-000001').hash);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const rejection = await api.app.inject({
      method: 'GET',
      url: '/api/records/VR-000003/certificate',
      headers: api.auth('technician'),
    });
    expect(rejection.headers['content-disposition']).toContain('VR-000003-rejection.pdf');
    const badLang = await api.app.inject({
      method: 'GET',
      url: '/api/records/VR-000001/certificate?lang=fr',
      headers: api.auth('technician'),
    });
    expect(badLang.statusCode).toBe(400);
    expect(badLang.json().error.details.path).toBe('query.lang');
  });
});
