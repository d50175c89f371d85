/**
 * `npm run build:web`: bundles the dashboards (src/) with esbuild into dist/ — index.html and
 * `assets/app-<hash>.js|css` — which the gateway serves at `/` (gateway/http/plugins/web.ts, where
 * the bundling itself lives so that a checkout without dist/ is built the same way in memory).
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWeb } from '../../gateway/http/plugins/web.js';

const webDir = dirname(fileURLToPath(import.meta.url));
const distDir = join(webDir, 'dist');
const started = performance.now();
const bundle = await bundleWeb(webDir, { minify: process.env.WEB_MINIFY !== '0' });
await rm(distDir, { recursive: true, force: true });
for (const file of bundle.files) {
  const target = join(distDir, ...file.path.split('/').filter(Boolean));
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, file.contents);
}
for (const file of bundle.files) {
  const { size } = await stat(join(distDir, ...file.path.split('/').filter(Boolean)));
  process.stdout.write(`  dist${file.path}  ${(size / 1024).toFixed(1)} KiB\n`);
}
process.stdout.write(
  `web dashboards built into ${distDir} in ${Math.round(performance.now() - started)} ms\n`,
);
