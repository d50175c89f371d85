/**
 * The web dashboards (dashboards/web/) at `/`: index.html and the hashed bundle under `/assets/`,
 * held in memory with gzip and brotli copies made once. Any other GET outside /api, /docs and
 * /metrics answers index.html too (the app routes by the hash; a deep link or a reload still opens
 * it). `dashboards/web/dist/` is what `npm run build:web` wrote; a fresh checkout running from
 * source has none (or an older one than its source), so the bundle is then built in memory with
 * esbuild on the first request.
 *
 * The page runs under the CSP that helmet sets for the whole app (script-src 'self', connect-src
 * 'self'): one external script and stylesheet, no inline script, fetch and EventSource to this
 * origin only. Nothing here needs a token; the app asks for one before it calls the API.
 */
import { createHash } from 'node:crypto';
import { type Dirent, existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
// The augmentation that lets a route say schema.hide (kept out of the OpenAPI document).
import type {} from '@fastify/swagger';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isMetrogateError, MetrogateError } from '../../../drivers/errors.js';
import { ApiError } from '../errors.js';

/** One file of the web app as served. */
export interface WebFile {
  /** URL path: `/index.html`, `/assets/app-3FQ2K.js`. */
  path: string;
  contents: Uint8Array;
}

export interface WebBundle {
  files: WebFile[];
  /** Where it came from: the dist directory, or `memory` when esbuild built it just now. */
  source: string;
}

export interface WebOptions {
  /** The dashboards/web directory (its src/ and dist/); found from this file's place by default. */
  webDir?: string;
  /** Build in memory even when dist/ exists (development). */
  alwaysBuild?: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths the SPA fallback never answers: they belong to the API, its docs and the metrics. */
const NOT_THE_APP = /^\/(api|docs|metrics)(\/|$|\?)/;

/**
 * The dashboards/web directory: the first ancestor of this file holding one, so that both the
 * source (gateway/http/plugins/) and the compiled copy (dist/gateway/http/plugins/) find it.
 */
export function findWebDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'dashboards', 'web');
    if (existsSync(join(candidate, 'src')) || existsSync(join(candidate, 'dist'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function indexHtml(
  script: string,
  stylesheet: string | undefined,
  preloads: readonly string[] = [],
): string {
  return [
    '<!doctype html>',
    '<html lang="zh-CN">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>metrogate</title>',
    stylesheet ? `<link rel="stylesheet" href="${stylesheet}">` : '',
    `<script type="module" src="${script}"></script>`,
    // The chunks the script imports at once: fetched alongside it, not after it has been parsed.
    ...preloads.map((path) => `<link rel="modulepreload" href="${path}">`),
    '</head>',
    '<body>',
    '<div id="app"><p>metrogate …</p></div>',
    '<noscript>metrogate needs JavaScript. 需要启用 JavaScript。</noscript>',
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * Bundles dashboards/web/src with esbuild into index.html plus `/assets/app-<hash>.js` and `.css`
 * (and `chunk-<hash>.js` files the app imports when it needs them), in memory. esbuild is a development dependency: an installed package ships dist/ instead.
 */
export async function bundleWeb(webDir: string, options: { minify?: boolean } = {}): Promise<WebBundle> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_DEPENDENCY_MISSING',
      `the web dashboards are not built (${join(webDir, 'dist')} is missing) and esbuild is not installed to build them: run npm run build:web`,
      { cause: (error as Error).message },
    );
  }
  const outdir = join(webDir, 'dist', 'assets');
  const result = await esbuild.build({
    entryPoints: { app: join(webDir, 'src', 'main.tsx') },
    bundle: true,
    minify: options.minify ?? true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // Code loaded later (the chart library) goes into chunks fetched when first needed.
    splitting: true,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    outdir,
    write: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    metafile: true,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files: WebFile[] = result.outputFiles.map((file) => ({
    path: `/assets/${relative(outdir, file.path).split(sep).join('/')}`,
    contents: file.contents,
  }));
  const script = files.find((file) => /^\/assets\/app-[^/]+\.js$/.test(file.path));
  if (!script)
    throw new MetrogateError('MG_ERR_INTERNAL', `esbuild gave no script for ${webDir}/src/main.tsx`);
  const stylesheet = files.find((file) => file.path.endsWith('.css'));
  const entry = Object.entries(result.metafile.outputs).find(
    ([, output]) => output.entryPoint !== undefined,
  )?.[1];
  const preloads = (entry?.imports ?? [])
    .filter((imported) => imported.kind === 'import-statement')
    .map((imported) => `/assets/${imported.path.split('/').pop()}`);
  files.push({
    path: '/index.html',
    contents: new TextEncoder().encode(indexHtml(script.path, stylesheet?.path, preloads)),
  });
  return { files, source: 'memory' };
}

/** The files of a built dist/ directory, or undefined when it has no index.html. */
export async function readWebDist(distDir: string): Promise<WebBundle | undefined> {
  if (!existsSync(join(distDir, 'index.html'))) return undefined;
  const files: WebFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        files.push({
          path: `/${relative(distDir, full).split(sep).join('/')}`,
          contents: await readFile(full),
        });
      }
    }
  };
  await walk(distDir);
  return { files, source: distDir };
}

/**
 * Whether a file under `sourceDir` was changed after `builtFile` was written: a checkout whose
 * dist/ is older than its source serves what the source says (built in memory), not an old build.
 * False when either is missing (an installed package has dist/ and no source).
 */
export async function newerThan(sourceDir: string, builtFile: string): Promise<boolean> {
  let builtAt: number;
  try {
    builtAt = (await stat(builtFile)).mtimeMs;
  } catch {
    return false;
  }
  const walk = async (dir: string): Promise<boolean> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory() ? await walk(full) : (await stat(full)).mtimeMs > builtAt) return true;
    }
    return false;
  };
  return walk(sourceDir);
}

interface ServedFile {
  type: string;
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  etag: string;
  /** Hashed names never change content: cached for a year. */
  immutable: boolean;
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? path.slice(dot) : '';
}

function prepare(bundle: WebBundle): Map<string, ServedFile> {
  const served = new Map<string, ServedFile>();
  for (const file of bundle.files) {
    const body = Buffer.from(file.contents);
    const type = TYPES[extensionOf(file.path)] ?? 'application/octet-stream';
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
    served.set(file.path, {
      type,
      body,
      ...(compressible
        ? {
            gzip: gzipSync(body, { level: 9 }),
            br: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
          }
        : {}),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      immutable: /^\/assets\/.+-[A-Za-z0-9]{8,}\.\w+$/.test(file.path),
    });
  }
  return served;
}

function send(request: FastifyRequest, reply: FastifyReply, file: ServedFile) {
  reply
    .type(file.type)
    .header('etag', file.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff')
    // index.html is checked each time (it names the current bundle); hashed assets never change.
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (file.br && /\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(file.br);
  if (file.gzip && /\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

/**
 * Serves the dashboards. The bundle is loaded (or built) once per app, on the first request that
 * needs it, so that building the API for a test or a benchmark costs nothing.
 */
export function createWebPlugin(options: WebOptions = {}): FastifyPluginAsync {
  return async (app) => {
    const webDir = options.webDir ?? findWebDir();
    let loading: Promise<Map<string, ServedFile>> | undefined;
    const files = () => {
      loading ??= (async () => {
        if (!webDir) {
          throw new MetrogateError(
            'MG_ERR_DEPENDENCY_MISSING',
            'the web dashboards (dashboards/web) are not installed',
          );
        }
        const distDir = join(webDir, 'dist');
        const stale =
          options.alwaysBuild || (await newerThan(join(webDir, 'src'), join(distDir, 'index.html')));
        const built = stale ? undefined : await readWebDist(distDir);
        return prepare(built ?? (await bundleWeb(webDir)));
      })().catch((error: unknown) => {
        // Not built and nothing to build with: the gateway works, this part of it is unavailable.
        if (isMetrogateError(error, 'MG_ERR_DEPENDENCY_MISSING')) {
          throw new ApiError(503, 'MG_ERR_DEPENDENCY_MISSING', error.message, error.details);
        }
        throw error;
      });
      // A failed build is tried again on the next request (the source may have been fixed).
      loading.catch(() => {
        loading = undefined;
      });
      return loading;
    };

    const hide = { schema: { hide: true } };
    const index = async (request: FastifyRequest, reply: FastifyReply) => {
      const file = (await files()).get('/index.html');
      if (!file) return reply.callNotFound();
      return send(request, reply, file);
    };

    app.get('/', hide, index);
    app.get('/index.html', hide, index);
    app.get('/*', hide, async (request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      if (NOT_THE_APP.test(path)) return reply.callNotFound();
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        return reply.callNotFound();
      }
      const file = (await files()).get(decoded);
      if (file) return send(request, reply, file);
      // A missing file (an old bundle name, a favicon) is a 404; any other path is a page of the app.
      if (decoded.startsWith('/assets/') || extensionOf(decoded) !== '') return reply.callNotFound();
      return index(request, reply);
    });
  };
}

export const webPlugin: FastifyPluginAsync = createWebPlugin();
