import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../drivers/logger.js';
import { installErrorHandling } from '../errors.js';
import { startTestApi, type TestApi } from '../test-support.js';
import { bundleWeb, createWebPlugin, findWebDir, newerThan, readWebDist } from './web.js';

const SCRIPT = '/assets/app-ABCDEFGH.js';
const STYLE = '/assets/app-IJKLMNOP.css';
const SCRIPT_TEXT = `console.log(${JSON.stringify('x'.repeat(2000))});\n`;

/** A dist/ directory as build.ts writes it, with a script big enough to be compressed. */
function fakeWebDir(): string {
  const webDir = mkdtempSync(join(tmpdir(), 'metrogate-web-'));
  mkdirSync(join(webDir, 'dist', 'assets'), { recursive: true });
  writeFileSync(
    join(webDir, 'dist', 'index.html'),
    `<!doctype html><html><head><script type="module" src="${SCRIPT}"></script><link rel="stylesheet" href="${STYLE}"></head><body><div id="app"></div></body></html>`,
  );
  writeFileSync(join(webDir, 'dist', SCRIPT), SCRIPT_TEXT);
  writeFileSync(join(webDir, 'dist', STYLE), 'body{margin:0}');
  return webDir;
}

async function bareApp(webDir: string, alwaysBuild = false): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installErrorHandling(app, silentLogger());
  await app.register(createWebPlugin({ webDir, alwaysBuild }));
  return app;
}

describe('web plugin over a built dist/', () => {
  let webDir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    webDir = fakeWebDir();
    app = await bareApp(webDir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('serves index.html at / for revalidation and the hashed bundle for a year', async () => {
    const index = await app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain(SCRIPT);

    const script = await app.inject({ url: SCRIPT });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe(SCRIPT_TEXT);
  });

  it('sends the compressed copy the client accepts, and 304 for a known etag', async () => {
    const br = await app.inject({ url: SCRIPT, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT_TEXT);
    expect(br.rawPayload.length).toBeLessThan(SCRIPT_TEXT.length / 4);

    const gzip = await app.inject({ url: SCRIPT, headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.rawPayload).toString()).toBe(SCRIPT_TEXT);

    const again = await app.inject({ url: SCRIPT, headers: { 'if-none-match': String(br.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers index.html for a page of the app, 404 for a missing file and for the API', async () => {
    for (const url of ['/coverage', '/records/VR-000042?lang=en', '/index.html']) {
      const page = await app.inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).toContain(SCRIPT);
    }
    for (const url of [
      '/assets/app-OLDHASH1.js',
      '/favicon.ico',
      '/api/nothing',
      '/api',
      '/docs/x',
      '/metrics',
    ]) {
      const missing = await app.inject({ url });
      expect(missing.statusCode, url).toBe(404);
      expect(missing.json(), url).toMatchObject({ error: { code: 'MG_ERR_NOT_FOUND' } });
    }
    const post = await app.inject({ method: 'POST', url: '/coverage' });
    expect(post.statusCode).toBe(404);
  });

  it('builds again when the source is newer than dist/, and only then', async () => {
    mkdirSync(join(webDir, 'src'), { recursive: true });
    writeFileSync(join(webDir, 'src', 'main.tsx'), '');
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(webDir, 'src', 'main.tsx'), past, past);
    expect(await newerThan(join(webDir, 'src'), join(webDir, 'dist', 'index.html'))).toBe(false);
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(webDir, 'src', 'main.tsx'), future, future);
    expect(await newerThan(join(webDir, 'src'), join(webDir, 'dist', 'index.html'))).toBe(true);
    expect(await newerThan(join(webDir, 'src'), join(webDir, 'dist', 'missing.html'))).toBe(false);
    rmSync(join(webDir, 'src'), { recursive: true });
  });

  it('reads every file of the dist directory', async () => {
    const bundle = await readWebDist(join(webDir, 'dist'));
    expect(bundle?.files.map((file) => file.path).sort()).toEqual(
      ['/assets/app-ABCDEFGH.js', STYLE, '/index.html'].sort(),
    );
    expect(await readWebDist(join(webDir, 'nothing'))).toBeUndefined();
  });
});

describe('web plugin without dist/', () => {
  it('builds the dashboards in memory with esbuild on the first request', async () => {
    const webDir = findWebDir();
    expect(webDir).toBeDefined();
    const app = await bareApp(webDir ?? '', true);
    try {
      const index = await app.inject({ url: '/' });
      expect(index.statusCode).toBe(200);
      const script = /<script type="module" src="(\/assets\/app-[A-Z0-9]+\.js)">/.exec(index.body)?.[1];
      const style = /<link rel="stylesheet" href="(\/assets\/app-[A-Z0-9]+\.css)">/.exec(index.body)?.[1];
      expect(script).toBeDefined();
      expect(style).toBeDefined();
      const bundle = await app.inject({ url: script ?? '' });
      expect(bundle.statusCode).toBe(200);
      // The app's own strings are in it (both languages); what it imports later is one of its chunks.
      expect(bundle.body).toContain('metrogate.lang');
      expect(bundle.body).toContain('切换到中文');
      const imports = [...bundle.body.matchAll(/\bimport\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1] ?? '');
      expect(imports.length).toBeGreaterThan(0);
      for (const specifier of imports) {
        expect(specifier).toMatch(/^\.\/chunk-[A-Z0-9]+\.js$/);
        expect((await app.inject({ url: `/assets/${specifier.slice(2)}` })).statusCode).toBe(200);
      }
      expect((await app.inject({ url: style ?? '' })).headers['content-type']).toBe(
        'text/css; charset=utf-8',
      );
    } finally {
      await app.close();
    }
  });

  it('answers 503 MG_ERR_DEPENDENCY_MISSING when there is neither dist/ nor a source to build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'metrogate-web-empty-'));
    const app = await bareApp(empty);
    try {
      const response = await app.inject({ url: '/' });
      expect(response.statusCode).toBeGreaterThanOrEqual(500);
      expect(response.json()).toMatchObject({ error: { code: expect.stringMatching(/^MG_ERR_/) } });
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('bundles the same files that build.ts writes', async () => {
    const webDir = findWebDir() ?? '';
    const bundle = await bundleWeb(webDir);
    expect([...new Set(bundle.files.map((file) => file.path.replace(/-[A-Z0-9]+\./, '-*.')))].sort()).toEqual(
      ['/assets/app-*.css', '/assets/app-*.js', '/assets/chunk-*.js', '/index.html'],
    );
  });
});

describe('web plugin in the API app', () => {
  let api: TestApi | undefined;
  afterEach(async () => {
    await api?.close();
  });

  it('serves the page under the CSP helmet sets, next to the API and its docs', async () => {
    api = await startTestApi();
    const index = await api.app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    const csp = String(index.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    expect(script).toBeDefined();
    expect((await api.app.inject({ url: script ?? '' })).statusCode).toBe(200);
    // No inline script, which that CSP would block.
    expect(index.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    expect((await api.app.inject({ url: '/api/health' })).json()).toMatchObject({ status: 'ok' });
    const unknown = await api.app.inject({ url: '/api/no-such-route', headers: api.auth('admin') });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'MG_ERR_NOT_FOUND' } });
    expect((await api.app.inject({ url: '/docs/json' })).statusCode).toBe(200);
    const spec = (await api.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths).filter((path) => !path.startsWith('/api') && path !== '/metrics')).toEqual(
      [],
    );
  });
});
