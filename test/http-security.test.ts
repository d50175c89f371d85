/**
 * The HTTP API's bad-input list (issue 7, "Tests: Security") against a real listening server:
 * startHttpServer on a free port, every request through fetch over a socket, so that what is
 * asserted is what a client on the network sees (status, headers, one JSON error shape), not what
 * inject() would. The store holds the seeded register of seeds/sample and a few records, so that an
 * injection attempt has real rows to leak or destroy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { type HttpServer, startHttpServer } from '../gateway/http/server.js';
import {
  countHistory,
  countInstruments,
  importHistoryFile,
  importInstrumentsFile,
} from '../gateway/registry/index.js';
import { MetrogateStore } from '../gateway/store/store.js';
import { type TokenRole, TokenStore } from '../gateway/store/tokens.js';
import { sampleRecord } from './helpers/records.js';

const SEED_DIR = join(import.meta.dirname, '..', 'seeds', 'sample');
/** Every injection payload carries it, so that any SQL text built from a parameter would show it. */
const MARKER = 'mg_injection_probe';
const INJECTIONS = [
  `x' OR '1'='1' -- ${MARKER}`,
  `x'; DROP TABLE instruments; -- ${MARKER}`,
  `" OR ""=" ${MARKER}`,
  `x' UNION SELECT sql FROM sqlite_master -- ${MARKER}`,
  `%' ${MARKER}`,
];

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers of many shapes, each test reads its own fields
  json: () => any;
}

let dataDir: string;
let store: MetrogateStore;
let server: HttpServer;
let tokens: Record<TokenRole, string>;
let tokenStore: TokenStore;
let prepared: MockInstance;
const logLines: string[] = [];
/** Every error answer seen by any test, checked for the one shape at the end. */
const errorAnswers: { what: string; answer: Answer }[] = [];

async function call(
  method: string,
  path: string,
  options: {
    role?: TokenRole;
    token?: string;
    body?: string | object;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const abort = new AbortController();
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token ?? (options.role ? tokens[options.role] : undefined);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (typeof options.body === 'string') body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    signal: abort.signal,
    ...(body !== undefined ? { body } : {}),
  });
  // An event stream that was let through never ends: its status and headers are the answer.
  const streaming = response.ok && response.headers.get('content-type')?.startsWith('text/event-stream');
  if (streaming) abort.abort();
  const text = streaming ? '' : await response.text();
  const answer: Answer = {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text),
  };
  if (answer.status >= 400) errorAnswers.push({ what: `${method} ${path}`, answer });
  return answer;
}

interface ErrorJson {
  code: string;
  message: string;
  details?: Record<string, unknown> & { path?: string; role?: string; allowed?: string[] };
}

function expectError(answer: Answer, status: number, code: string): ErrorJson {
  expect(answer.status, answer.text).toBe(status);
  const body = answer.json() as { error: ErrorJson };
  expect(body.error.code).toBe(code);
  return body.error;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'metrogate-http-security-'));
  store = MetrogateStore.open({ dataDir });
  importInstrumentsFile(store, join(SEED_DIR, 'instruments.csv'), { actor: 'test' });
  importHistoryFile(store, join(SEED_DIR, 'history.csv'), { actor: 'test' });
  store.records.append(sampleRecord(1));
  store.records.append(sampleRecord(2));
  tokenStore = new TokenStore(store);
  tokens = {
    admin: tokenStore.create({ role: 'admin', name: 'security admin', actor: 'test' }).token,
    technician: tokenStore.create({ role: 'technician', name: 'security bench', actor: 'test' }).token,
    regulator: tokenStore.create({ role: 'regulator', name: 'security bureau', actor: 'test' }).token,
  };
  // Debug level: every request is logged, so that a token in any log line would be found.
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  // On the class: the coverage cache reads through a connection of its own.
  prepared = vi.spyOn(Database.prototype, 'prepare');
  server = await startHttpServer({ store, logger }, { port: 0, host: '127.0.0.1' });
}, 30_000);

afterAll(async () => {
  await server?.close();
  prepared?.mockRestore();
  store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Routes under /api (and /metrics) with a request each that would pass its schema. */
const PROTECTED: { method: string; path: string; body?: object }[] = [
  { method: 'GET', path: '/api/devices' },
  { method: 'GET', path: '/api/devices/bench-1' },
  { method: 'GET', path: '/api/live' },
  { method: 'GET', path: '/api/sessions' },
  { method: 'POST', path: '/api/sessions', body: { kind: 'dispenser', instrument: { id: 'D-1' } } },
  { method: 'GET', path: '/api/sessions/VS-000001' },
  { method: 'POST', path: '/api/sessions/VS-000001/capture' },
  { method: 'POST', path: '/api/sessions/VS-000001/reference', body: { value: '1' } },
  { method: 'POST', path: '/api/sessions/VS-000001/complete' },
  { method: 'DELETE', path: '/api/sessions/VS-000001' },
  { method: 'POST', path: '/api/evaluate', body: {} },
  { method: 'GET', path: '/api/standards' },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/api/registry' },
  { method: 'GET', path: '/api/registry/SC-000001' },
  { method: 'GET', path: '/api/registry/export' },
  { method: 'POST', path: '/api/registry/import' },
  { method: 'POST', path: '/api/registry/history/import' },
  { method: 'GET', path: '/api/coverage' },
  { method: 'GET', path: '/api/coverage/overdue' },
  { method: 'GET', path: '/api/records' },
  { method: 'GET', path: '/api/records/chain' },
  { method: 'GET', path: '/api/records/VR-000001' },
  { method: 'GET', path: '/api/records/VR-000001/certificate' },
];

/** What each role must not reach: every bench route for a regulator; imports and coverage for a technician. */
const FORBIDDEN: Record<TokenRole, string[]> = {
  regulator: [
    'GET /api/devices',
    'GET /api/devices/bench-1',
    'GET /api/live',
    'GET /api/sessions',
    'POST /api/sessions',
    'GET /api/sessions/VS-000001',
    'POST /api/sessions/VS-000001/capture',
    'POST /api/sessions/VS-000001/reference',
    'POST /api/sessions/VS-000001/complete',
    'DELETE /api/sessions/VS-000001',
    'POST /api/evaluate',
    'GET /api/standards',
    'GET /metrics',
    'POST /api/registry/import',
    'POST /api/registry/history/import',
  ],
  technician: [
    'POST /api/registry/import',
    'POST /api/registry/history/import',
    'GET /api/coverage',
    'GET /api/coverage/overdue',
  ],
  admin: [],
};

describe('HTTP API security over a real socket', () => {
  it('listens on the loopback address on the port the system gave', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers 401 MG_ERR_UNAUTHORIZED without a token on every protected route, and 200 on the public ones', async () => {
    for (const route of PROTECTED) {
      const answer = await call(route.method, route.path, route.body ? { body: route.body } : {});
      const error = expectError(answer, 401, 'MG_ERR_UNAUTHORIZED');
      expect(error.details, `${route.method} ${route.path}`).toEqual({ path: 'headers.authorization' });
      expect(answer.headers.get('www-authenticate') ?? '', 'no challenge leaks a realm').not.toContain(
        'mgt_',
      );
    }
    expect((await call('GET', '/api/health')).status).toBe(200);
    expect((await call('GET', '/docs/json')).status).toBe(200);
  });

  it('answers 403 MG_ERR_FORBIDDEN for every area a role must not reach, with no data in the answer', async () => {
    for (const role of ['regulator', 'technician', 'admin'] as const) {
      for (const route of PROTECTED) {
        const key = `${route.method} ${route.path}`;
        const answer = await call(route.method, route.path, {
          role,
          ...(route.body ? { body: route.body } : {}),
        });
        if (FORBIDDEN[role].includes(key)) {
          const error = expectError(answer, 403, 'MG_ERR_FORBIDDEN');
          expect(error.details, key).toMatchObject({ role });
          expect(error.details?.allowed, key).not.toContain(role);
          expect(Object.keys(answer.json()), key).toEqual(['error']);
        } else {
          // Allowed: whatever the route answers (200, 404 for a made-up id, 400 for an empty body), not 401/403.
          expect([401, 403], `${role} ${key} → ${answer.status} ${answer.text.slice(0, 200)}`).not.toContain(
            answer.status,
          );
        }
      }
    }
  });

  it('answers malformed JSON with 400 MG_ERR_INPUT_INVALID at path body', async () => {
    for (const path of ['/api/evaluate', '/api/sessions']) {
      for (const text of ['{"ruleSet": "JJG539-2016",', '{bad json}', '[1, 2', '"unterminated']) {
        const answer = await call('POST', path, {
          role: 'technician',
          body: text,
          headers: { 'content-type': 'application/json' },
        });
        const error = expectError(answer, 400, 'MG_ERR_INPUT_INVALID');
        expect(error.details?.path, `${path} ${text}`).toBe('body');
      }
    }
  });

  it('refuses a prototype-poisoning body instead of merging it', async () => {
    const answer = await call('POST', '/api/evaluate', {
      role: 'technician',
      body: '{"ruleSet":"JJG539-2016","stage":"initial","__proto__":{"admin":true},"instrument":{"kind":"scale"},"tests":[]}',
      headers: { 'content-type': 'application/json' },
    });
    expectError(answer, 400, 'MG_ERR_INPUT_INVALID');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('answers a schema violation with 400 naming the path, in the body, the query and the params', async () => {
    const cases: { method: string; path: string; role: TokenRole; body?: object; at: string }[] = [
      {
        method: 'POST',
        path: '/api/evaluate',
        role: 'technician',
        body: {
          ruleSet: 'JJG539-2016',
          stage: 'initial',
          instrument: { kind: 'scale' },
          tests: [{ test: 'zero' }, {}],
        },
        at: 'body.tests[1].test',
      },
      {
        method: 'POST',
        path: '/api/evaluate',
        role: 'technician',
        body: {
          ruleSet: 'OIML-R999',
          stage: 'initial',
          instrument: { kind: 'scale' },
          tests: [{ test: 'zero' }],
        },
        at: 'body.ruleSet',
      },
      {
        method: 'POST',
        path: '/api/sessions',
        role: 'technician',
        body: { kind: 'dispenser' },
        at: 'body.instrument',
      },
      {
        method: 'POST',
        path: '/api/sessions/VS-000001/reference',
        role: 'technician',
        body: { value: { nested: true } },
        at: 'body.value',
      },
      { method: 'GET', path: '/api/records?limit=lots', role: 'regulator', at: 'query.limit' },
      { method: 'GET', path: '/api/records?limit=0', role: 'regulator', at: 'query.limit' },
      { method: 'GET', path: '/api/registry?kind=ufo', role: 'regulator', at: 'query.kind' },
      { method: 'GET', path: `/api/records/${'9'.repeat(65)}`, role: 'regulator', at: 'params.id' },
    ];
    for (const c of cases) {
      const answer = await call(c.method, c.path, { role: c.role, ...(c.body ? { body: c.body } : {}) });
      const error = expectError(answer, 400, 'MG_ERR_INPUT_INVALID');
      expect(error.details?.path, `${c.method} ${c.path}`).toBe(c.at);
      expect(error.message.startsWith(`${c.at}: `), error.message).toBe(true);
    }
  });

  it('answers an oversized body with 413 MG_ERR_BODY_TOO_LARGE, with a length given or streamed', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(300 * 1024) });
    const declared = await call('POST', '/api/evaluate', { role: 'technician', body: big });
    expectError(declared, 413, 'MG_ERR_BODY_TOO_LARGE');
    // Chunked: no Content-Length to refuse up front, the limit counts the bytes as they come.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        const piece = new TextEncoder().encode('x'.repeat(64 * 1024));
        controller.enqueue(new TextEncoder().encode('{"padding":"'));
        for (let i = 0; i < 6; i++) controller.enqueue(piece);
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const response = await fetch(`${server.url}/api/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.technician}`, 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    expect(response.status, text).toBe(413);
    expect(JSON.parse(text).error.code).toBe('MG_ERR_BODY_TOO_LARGE');
  });

  it('answers an unknown route with 404 MG_ERR_NOT_FOUND, with or without a token', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing-here'],
      ['POST', '/api/records'],
      ['GET', '/api/records/VR-000001/nope'],
      ['PUT', '/api/registry'],
    ] as const) {
      for (const role of [undefined, 'admin'] as const) {
        const answer = await call(method, path, role ? { role } : {});
        const error = expectError(answer, 404, 'MG_ERR_NOT_FOUND');
        expect(error.message).toBe(`no route ${method} ${path}`);
      }
    }
    // A known route with an id that does not exist is also 404, in the same shape.
    expectError(await call('GET', '/api/records/VR-999999', { role: 'regulator' }), 404, 'MG_ERR_NOT_FOUND');
  });

  it('passes query and path parameters to SQLite only as bound values: injections match nothing and change nothing', async () => {
    const instrumentsBefore = countInstruments(store);
    const historyBefore = countHistory(store);
    const recordsBefore = store.records.count();
    expect(instrumentsBefore).toBeGreaterThan(500);
    const oneRegion = (
      await call('GET', `/api/registry?region=${encodeURIComponent('涪城区')}`, { role: 'regulator' })
    ).json();
    expect(oneRegion.instruments.length).toBeGreaterThan(0);
    prepared.mockClear();

    for (const payload of INJECTIONS) {
      const q = encodeURIComponent(payload);
      const registry = await call('GET', `/api/registry?region=${q}`, { role: 'regulator' });
      expect(registry.status).toBe(200);
      expect(registry.json().instruments).toEqual([]);
      expectError(await call('GET', `/api/registry/${q}`, { role: 'regulator' }), 404, 'MG_ERR_NOT_FOUND');
      const records = await call('GET', `/api/records?instrument=${q}`, { role: 'regulator' });
      expect(records.status).toBe(200);
      expect(records.json().records).toEqual([]);
      expectError(await call('GET', `/api/records/${q}`, { role: 'regulator' }), 404, 'MG_ERR_NOT_FOUND');
      expectError(
        await call('GET', `/api/records/${q}/certificate`, { role: 'regulator' }),
        404,
        'MG_ERR_NOT_FOUND',
      );
      const coverage = await call('GET', `/api/coverage?region=${q}`, { role: 'regulator' });
      if (coverage.status !== 404 || coverage.json().error.message !== 'no route GET /api/coverage') {
        expect(coverage.status, coverage.text).toBe(200);
        // No real district's figures come back for a region that does not exist.
        expect(coverage.text).not.toContain('涪城区');
      }
      const sessionStart = await call('POST', '/api/sessions', {
        role: 'technician',
        body: { kind: 'dispenser', instrument: { id: payload.slice(0, 60) } },
      });
      expect([201, 400, 404, 422]).toContain(sessionStart.status);
    }

    const sqlTexts = prepared.mock.calls.map((args) => String(args[0]));
    expect(sqlTexts.length).toBeGreaterThan(0);
    // The coverage cache's own connection was seen too (its queries name verification_history).
    expect(prepared.mock.contexts.filter((db) => db !== store.db).length).toBeGreaterThan(0);
    expect(sqlTexts.filter((sql) => sql.includes(MARKER))).toEqual([]);
    expect(countInstruments(store)).toBe(instrumentsBefore);
    expect(countHistory(store)).toBe(historyBefore);
    expect(store.records.count()).toBe(recordsBefore);
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['instruments', 'verification_history', 'api_tokens']),
    );
    expect(store.verify().intact).toBe(true);
  });

  it('refuses a revoked token with 401 from the next request on, and audits the issue and the revocation', async () => {
    const created = tokenStore.create({ role: 'regulator', name: 'to revoke', actor: 'security-test' });
    expect((await call('GET', '/api/records', { token: created.token })).status).toBe(200);
    tokenStore.revoke(created.info.id, 'security-test');
    const error = expectError(
      await call('GET', '/api/records', { token: created.token }),
      401,
      'MG_ERR_UNAUTHORIZED',
    );
    expect(error.message).toMatch(/revoked/);
    // Also where the token may come in the query (downloads).
    const download = await call('GET', `/api/records/VR-000001/certificate?access_token=${created.token}`);
    expectError(download, 401, 'MG_ERR_UNAUTHORIZED');
    const trail = store.audit.list({ subject: created.info.id });
    expect(trail.map((entry) => entry.action).sort()).toEqual(['token.create', 'token.revoke']);
    expect(JSON.stringify(trail)).not.toContain(created.token);
  });

  it('refuses malformed, unknown and non-bearer credentials with 401', async () => {
    for (const authorization of [
      'Basic dXNlcjpwYXNz',
      'Bearer',
      'Bearer not-a-token',
      `Bearer mgt_${'A'.repeat(43)}`,
      `Bearer ${tokens.admin}x`,
      `Bearer ${tokens.admin} ${tokens.admin}`,
    ]) {
      expectError(
        await call('GET', '/api/records', { headers: { authorization } }),
        401,
        'MG_ERR_UNAUTHORIZED',
      );
    }
    // A token in the query is taken only where a header cannot be sent.
    expectError(await call('GET', `/api/records?access_token=${tokens.admin}`), 401, 'MG_ERR_UNAUTHORIZED');
  });

  it('serves a query-token download and stream without writing the token to the log', async () => {
    const pdf = await fetch(
      `${server.url}/api/records/VR-000001/certificate?access_token=${tokens.regulator}`,
    );
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const abort = new AbortController();
    const live = await fetch(`${server.url}/api/live?access_token=${tokens.technician}`, {
      signal: abort.signal,
    });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = live.body?.getReader();
    let seen = '';
    while (reader && !seen.includes('event: snapshot')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    expect(seen).toContain('event: snapshot');
    abort.abort();
    await reader?.cancel().catch(() => undefined);
  });

  it('gives every error in one JSON shape with an MG_ERR_* code, with the security headers', async () => {
    // One of each kind here, so that this test stands alone; with the whole file it checks every error seen.
    await call('GET', '/api/records');
    await call('GET', '/api/standards', { role: 'regulator' });
    await call('POST', '/api/evaluate', {
      role: 'technician',
      body: '{',
      headers: { 'content-type': 'application/json' },
    });
    await call('POST', '/api/evaluate', { role: 'technician', body: { padding: 'x'.repeat(300 * 1024) } });
    await call('GET', '/api/nothing-here');
    const statuses = new Set(errorAnswers.map(({ answer }) => answer.status));
    expect([...statuses]).toEqual(expect.arrayContaining([400, 401, 403, 404, 413]));
    for (const { what, answer } of errorAnswers) {
      expect(answer.headers.get('content-type'), what).toMatch(/^application\/json/);
      const body = answer.json();
      expect(Object.keys(body), what).toEqual(['error']);
      expect(body.error.code, what).toMatch(/^MG_ERR_[A-Z_]+$/);
      expect(typeof body.error.message, what).toBe('string');
      for (const key of Object.keys(body.error)) expect(['code', 'message', 'details'], what).toContain(key);
      expect(answer.headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(answer.headers.get('access-control-allow-origin'), what).toBeNull();
    }
  });

  it('writes no token to the log, while logging every request with the token id', async () => {
    // Tokens in the header, in the query of a download, and refused ones, so that this test stands alone.
    await call('GET', '/api/records', { role: 'regulator' });
    await call('GET', `/api/records/VR-000001/certificate?access_token=${tokens.regulator}`);
    const unknown = `mgt_${'Z'.repeat(43)}`;
    await call('GET', '/api/records', { token: unknown });
    await call('GET', `/api/records/VR-000001/certificate?access_token=${unknown}`);
    const log = logLines.join('');
    expect(log).toContain('"msg":"api request"');
    expect(log).toContain('"msg":"API request with a bad token"');
    for (const token of [...Object.values(tokens), unknown]) expect(log).not.toContain(token);
    expect(log).not.toMatch(/mgt_[A-Za-z0-9_-]{20,}/);
    expect(log).toContain('access_token=…');
    const regulatorId = tokenStore.list().find((token) => token.role === 'regulator')?.id;
    expect(log).toContain(`"token":"${regulatorId}"`);
  });
});
