import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../test-support.js';

const REGISTER_ZH = [
  '器具编号,种类,类别,区域,使用单位,地点,状态,登记日期,停用日期,检定周期',
  'SC-0001,scale,电子计价秤,江油市,城东市场,摊位 12,in-use,2024-03-01,,',
  'SC-0002,scale,电子计价秤,涪城区,城西市场,摊位 3,in-use,2024-05-10,,',
  'D-0001,dispenser,加油机,江油市,江油加油站,1 号枪,scrapped,2023-01-01,2025-06-30,6',
].join('\n');

const HISTORY = [
  'instrument,date,verdict,record',
  'SC-0001,2025-03-02,pass,',
  'SC-0001,2026-02-27,fail,',
].join('\n');

describe('registry', () => {
  let api: TestApi;

  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  const importCsv = (url: string, body: string, role: 'admin' | 'technician' = 'admin') =>
    api.app.inject({
      method: 'POST',
      url,
      headers: { ...api.auth(role), 'content-type': 'text/csv; charset=utf-8' },
      payload: body,
    });

  it('imports a register with Chinese headers and its history, and writes the audit trail', async () => {
    const imported = await importCsv('/api/registry/import?file=register.csv', REGISTER_ZH);
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toEqual({
      file: 'register.csv',
      target: 'instruments',
      rows: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
    });
    const history = await importCsv('/api/registry/history/import', HISTORY);
    expect(history.json()).toMatchObject({ target: 'history', rows: 2, inserted: 2 });
    const audit = api.store.audit.list({ limit: 2 });
    expect(audit.map((entry) => [entry.action, entry.actor])).toEqual([
      ['registry.import', 'TK-000001'],
      ['registry.import', 'TK-000001'],
    ]);
  });

  it('lists with filters and shows one instrument with its history', async () => {
    await importCsv('/api/registry/import', REGISTER_ZH);
    await importCsv('/api/registry/history/import', HISTORY);
    const all = await api.app.inject({ method: 'GET', url: '/api/registry', headers: api.auth('regulator') });
    expect(all.json().total).toBe(3);
    expect(all.json().instruments.map((i: { id: string }) => i.id)).toEqual(['D-0001', 'SC-0001', 'SC-0002']);
    const jiangyou = await api.app.inject({
      method: 'GET',
      url: `/api/registry?region=${encodeURIComponent('江油市')}&kind=scale`,
      headers: api.auth('regulator'),
    });
    expect(jiangyou.json().instruments).toEqual([
      expect.objectContaining({
        id: 'SC-0001',
        owner: '城东市场',
        status: 'in-use',
        periodMonths: null,
        lastVerification: { date: '2026-02-27', verdict: 'fail', record: null },
      }),
    ]);
    const one = await api.app.inject({
      method: 'GET',
      url: '/api/registry/SC-0001',
      headers: api.auth('technician'),
    });
    expect(one.json().history.map((h: { date: string; verdict: string }) => [h.date, h.verdict])).toEqual([
      ['2025-03-02', 'pass'],
      ['2026-02-27', 'fail'],
    ]);
    const none = await api.app.inject({
      method: 'GET',
      url: '/api/registry/SC-9999',
      headers: api.auth('technician'),
    });
    expect(none.statusCode).toBe(404);
    const badKind = await api.app.inject({
      method: 'GET',
      url: '/api/registry?kind=boat',
      headers: api.auth('regulator'),
    });
    expect(badKind.statusCode).toBe(400);
    expect(badKind.json().error.details.path).toBe('query.kind');
  });

  it('refuses a bad file whole, naming the line and column', async () => {
    const bad = `${REGISTER_ZH}\nSC-0003,boat,?,江油市,x,y,in-use,2024-13-01,,`;
    const response = await importCsv('/api/registry/import?file=bad.csv', bad);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(response.json().error.message).toMatch(/bad\.csv/);
    expect(response.json().error.message).toMatch(/line 5/);
    const all = await api.app.inject({ method: 'GET', url: '/api/registry', headers: api.auth('admin') });
    expect(all.json().total).toBe(0);
  });

  it('exports the register as CSV that imports again unchanged', async () => {
    await importCsv('/api/registry/import', REGISTER_ZH);
    const exported = await api.app.inject({
      method: 'GET',
      url: `/api/registry/export?access_token=${api.tokens.regulator}`,
    });
    expect(exported.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(exported.body.split('\n')[0]).toBe(
      'id,kind,category,region,owner,site,status,registered,scrapped,period_months',
    );
    const again = await importCsv('/api/registry/import', exported.body);
    expect(again.json()).toMatchObject({ rows: 3, inserted: 0, updated: 0, unchanged: 3 });
  });

  it('imports only for admins, only as text/csv, and within the import size limit', async () => {
    expect((await importCsv('/api/registry/import', REGISTER_ZH, 'technician')).statusCode).toBe(403);
    const json = await api.app.inject({
      method: 'POST',
      url: '/api/registry/import',
      headers: api.auth('admin'),
      payload: { csv: REGISTER_ZH },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.message).toMatch(/text\/csv/);
    await api.close();
    api = await startTestApi({ options: { importBodyLimit: 1024 } });
    const big = await importCsv(
      '/api/registry/import',
      `${REGISTER_ZH}\n${'SC-9,scale,x,y,z,w,in-use,2024-01-01,,\n'.repeat(100)}`,
    );
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('MG_ERR_BODY_TOO_LARGE');
  });
});
