import { afterEach, describe, expect, it } from 'vitest';
import { fakeGateway, startTestApi, type TestApi } from '../test-support.js';

describe('GET /api/health', () => {
  let api: TestApi | undefined;
  afterEach(async () => {
    await api?.close();
  });

  it('answers without a token, with the version and the devices online', async () => {
    api = await startTestApi({
      gateway: fakeGateway([
        { id: 'a', state: 'online' },
        { id: 'b', state: 'demoted' },
      ]),
    });
    const response = await api.app.inject({ method: 'GET', url: '/api/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      database: 'ok',
      devices: { total: 2, online: 1 },
    });
    expect(JSON.stringify(response.json())).not.toContain(api.dataDir);
  });

  it('answers 503 degraded when the database is gone', async () => {
    api = await startTestApi();
    api.store.close();
    const response = await api.app.inject({ method: 'GET', url: '/api/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'degraded', database: 'failed' });
  });
});
