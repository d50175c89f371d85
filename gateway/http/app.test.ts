/**
 * The API's security and error contract, route by route: no token 401, bad or revoked token 401,
 * wrong role 403, malformed JSON or schema violation 400 with the path, oversized body 413, unknown
 * route 404, too many requests 429, all in one JSON error shape; and the roles matrix.
 */

import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../drivers/logger.js';
import { TokenStore } from '../store/tokens.js';
import { buildApp } from './app.js';
import { installAuth, withAccess } from './auth.js';
import { installErrorHandling } from './errors.js';
import { startTestApi, type TestApi } from './test-support.js';

const ERROR_SHAPE = {
  error: { code: expect.stringMatching(/^MG_ERR_[A-Z_]+$/), message: expect.any(String) },
};

/** Every route of the API with a harmless request, and the roles that may call it. */
const ROUTES: { method: 'GET' | 'POST' | 'DELETE'; url: string; roles: string[]; body?: unknown }[] = [
  { method: 'GET', url: '/api/devices', roles: ['technician', 'admin'] },
  { method: 'GET', url: '/api/devices/x', roles: ['technician', 'admin'] },
  { method: 'GET', url: '/api/sessions', roles: ['technician', 'admin'] },
  { method: 'POST', url: '/api/sessions', roles: ['technician', 'admin'], body: {} },
  { method: 'GET', url: '/api/sessions/VS-x', roles: ['technician', 'admin'] },
  { method: 'POST', url: '/api/sessions/VS-x/capture', roles: ['technician', 'admin'] },
  {
    method: 'POST',
    url: '/api/sessions/VS-x/reference',
    roles: ['technician', 'admin'],
    body: { value: '1' },
  },
  { method: 'POST', url: '/api/sessions/VS-x/complete', roles: ['technician', 'admin'] },
  { method: 'DELETE', url: '/api/sessions/VS-x', roles: ['technician', 'admin'] },
  { method: 'POST', url: '/api/evaluate', roles: ['technician', 'admin'], body: {} },
  { method: 'GET', url: '/api/standards', roles: ['technician', 'admin'] },
  { method: 'GET', url: '/metrics', roles: ['technician', 'admin'] },
  { method: 'GET', url: '/api/registry', roles: ['regulator', 'technician', 'admin'] },
  { method: 'GET', url: '/api/registry/X-1', roles: ['regulator', 'technician', 'admin'] },
  { method: 'GET', url: '/api/registry/export', roles: ['regulator', 'technician', 'admin'] },
  { method: 'POST', url: '/api/registry/import', roles: ['admin'] },
  { method: 'POST', url: '/api/registry/history/import', roles: ['admin'] },
  { method: 'GET', url: '/api/coverage', roles: ['regulator', 'admin'] },
  { method: 'GET', url: '/api/coverage/overdue', roles: ['regulator', 'admin'] },
  { method: 'GET', url: '/api/records', roles: ['regulator', 'technician', 'admin'] },
  { method: 'GET', url: '/api/records/chain', roles: ['regulator', 'technician', 'admin'] },
  { method: 'GET', url: '/api/records/VR-000001', roles: ['regulator', 'technician', 'admin'] },
  { method: 'GET', url: '/api/records/VR-000001/certificate', roles: ['regulator', 'technician', 'admin'] },
];

describe('API security', () => {
  let api: TestApi;

  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('answers /api/health and /docs without a token', async () => {
    const health = await api.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', database: 'ok' });
    const docs = await api.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    const spec = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(spec.statusCode).toBe(200);
    const paths = Object.keys(spec.json().paths);
    for (const route of ROUTES) {
      const openApiPath = route.url.replace('/x', '/{id}').replace(/VS-x|X-1|VR-000001/, '{id}');
      expect(paths, route.url).toContain(openApiPath);
    }
  });

  it.each(ROUTES)('$method $url without a token: 401 MG_ERR_UNAUTHORIZED', async (route) => {
    const response = await api.app.inject({
      method: route.method,
      url: route.url,
      ...(route.body !== undefined ? { payload: route.body as object } : {}),
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'MG_ERR_UNAUTHORIZED' } });
  });

  it.each(ROUTES)('$method $url: only its roles pass, the others get 403', async (route) => {
    for (const role of ['regulator', 'technician', 'admin'] as const) {
      const response = await api.app.inject({
        method: route.method,
        url: route.url,
        headers: api.auth(role),
        ...(route.body !== undefined ? { payload: route.body as object } : {}),
      });
      if (route.roles.includes(role)) expect(response.statusCode, `${role}`).not.toBe(403);
      else {
        expect(response.statusCode, `${role}`).toBe(403);
        expect(response.json()).toMatchObject({
          error: { code: 'MG_ERR_FORBIDDEN', details: { role, allowed: route.roles } },
        });
      }
    }
  });

  it('refuses a malformed header, an unknown token and a revoked one with 401', async () => {
    const tokens = new TokenStore(api.store);
    const created = tokens.create({ role: 'admin', actor: 'test' });
    const cases: [string, RegExp][] = [
      ['Basic dXNlcjpwYXNz', /must be "Bearer <token>"/],
      ['Bearer not-a-token', /not a metrogate token/],
      [`Bearer mgt_${'A'.repeat(43)}`, /not known/],
    ];
    for (const [header, message] of cases) {
      const response = await api.app.inject({
        method: 'GET',
        url: '/api/records',
        headers: { authorization: header },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.message).toMatch(message);
    }
    const before = await api.app.inject({
      method: 'GET',
      url: '/api/records',
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(before.statusCode).toBe(200);
    tokens.revoke(created.info.id, 'test');
    const after = await api.app.inject({
      method: 'GET',
      url: '/api/records',
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toMatch(/revoked/);
  });

  it('does not accept the token in the query string except on streams and downloads', async () => {
    const records = await api.app.inject({
      method: 'GET',
      url: `/api/records?access_token=${api.tokens.admin}`,
    });
    expect(records.statusCode).toBe(401);
    const certificate = await api.app.inject({
      method: 'GET',
      url: `/api/records/VR-000001/certificate?access_token=${api.tokens.regulator}`,
    });
    expect(certificate.statusCode).toBe(404);
  });

  it('answers malformed JSON with 400 MG_ERR_INPUT_INVALID', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: { ...api.auth('technician'), 'content-type': 'application/json' },
      payload: '{"ruleSet": "JJG539-2016",',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: 'MG_ERR_INPUT_INVALID', details: { path: 'body' } },
    });
  });

  it('answers a schema violation with 400 naming the path', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: api.auth('technician'),
      payload: {
        ruleSet: 'JJG539-2016',
        stage: 'initial',
        instrument: { kind: 'scale' },
        tests: [{ test: 'weighing' }, { notATest: 1 }],
      },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body).toMatchObject({
      error: { code: 'MG_ERR_INPUT_INVALID', details: { path: 'body.tests[1].test' } },
    });
    expect(body.error.message).toMatch(/^body\.tests\[1\]\.test: /);
    const query = await api.app.inject({
      method: 'GET',
      url: '/api/records?limit=lots',
      headers: api.auth('regulator'),
    });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.details.path).toBe('query.limit');
  });

  it('answers an oversized body with 413 MG_ERR_BODY_TOO_LARGE', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: { ...api.auth('technician'), 'content-type': 'application/json' },
      payload: JSON.stringify({ padding: 'x'.repeat(300 * 1024) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: { code: 'MG_ERR_BODY_TOO_LARGE' } });
  });

  it('answers an unknown route with 404 MG_ERR_NOT_FOUND, with or without a token', async () => {
    for (const headers of [{}, api.auth('admin')]) {
      const response = await api.app.inject({ method: 'GET', url: '/api/nothing-here', headers });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        error: { code: 'MG_ERR_NOT_FOUND', message: 'no route GET /api/nothing-here' },
      });
    }
  });

  it('answers an unsupported content type with 415 in the same shape', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/evaluate',
      headers: { ...api.auth('technician'), 'content-type': 'application/xml' },
      payload: '<record/>',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject(ERROR_SHAPE);
  });

  it('sets the security headers and no CORS header', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/health',
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('writes no token into the audit trail when tokens are made', () => {
    const trail = JSON.stringify(api.store.db.prepare('SELECT payload FROM audit_trail').all());
    for (const token of Object.values(api.tokens)) expect(trail).not.toContain(token);
    expect(api.store.audit.list().filter((entry) => entry.action === 'token.create')).toHaveLength(3);
  });
});

describe('API rate limit', () => {
  it('answers 429 MG_ERR_RATE_LIMITED past the limit', async () => {
    const api = await startTestApi({ options: { rateLimit: { max: 3, timeWindowMs: 60_000 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await api.app.inject({ method: 'GET', url: '/api/health' })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await api.app.inject({ method: 'GET', url: '/api/health' });
      expect(limited.json()).toMatchObject({ error: { code: 'MG_ERR_RATE_LIMITED' } });
      expect(limited.headers['retry-after']).toBeDefined();
    } finally {
      await api.close();
    }
  });

  it('sends CORS headers only for configured origins', async () => {
    const api = await startTestApi({ options: { corsOrigins: ['https://dash.example'] } });
    try {
      const allowed = await api.app.inject({
        method: 'GET',
        url: '/api/health',
        headers: { origin: 'https://dash.example' },
      });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example');
      const other = await api.app.inject({
        method: 'GET',
        url: '/api/health',
        headers: { origin: 'https://x.example' },
      });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await api.close();
    }
  });
});

describe('buildApp', () => {
  it('does not listen: inject works without a port', async () => {
    const api = await startTestApi();
    try {
      expect(api.app.server.listening).toBe(false);
      expect(typeof buildApp).toBe('function');
      expect(silentLogger).toBeDefined();
    } finally {
      await api.close();
    }
  });
});

describe('withAccess', () => {
  it("gives every route of a mounted area the area's roles, keeping its prefix and other config", async () => {
    const api = await startTestApi();
    const app = Fastify();
    try {
      installErrorHandling(app, silentLogger());
      installAuth(app, new TokenStore(api.store), silentLogger());
      await app.register(
        withAccess(['regulator', 'admin'], async (area: import('fastify').FastifyInstance) => {
          area.get('/open', { config: { access: 'public', queryToken: true } }, async () => ({ ok: true }));
          area.get('/plain', async () => ({ ok: true }));
        }),
        { prefix: '/api' },
      );
      const statuses: Record<string, number[]> = {};
      for (const url of ['/api/open', '/api/plain']) {
        statuses[url] = [];
        for (const role of ['regulator', 'technician', 'admin'] as const) {
          const response = await app.inject({ method: 'GET', url, headers: api.auth(role) });
          statuses[url].push(response.statusCode);
        }
        statuses[url].push((await app.inject({ method: 'GET', url })).statusCode);
      }
      expect(statuses).toEqual({ '/api/open': [200, 403, 200, 401], '/api/plain': [200, 403, 200, 401] });
      const byQuery = await app.inject({
        method: 'GET',
        url: `/api/open?access_token=${api.tokens.regulator}`,
      });
      expect(byQuery.statusCode).toBe(200);
    } finally {
      await app.close();
      await api.close();
    }
  });
});
