#!/usr/bin/env node
// Launcher. In a checkout (TypeScript sources present, tsx installed) it runs the sources, so that
// `npx metrogate` never runs a stale build; an installed package runs the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}gateway/cli/main.ts`;
const compiled = `${root}dist/gateway/cli/main.js`;

async function loadTsx() {
  try {
    const api = await import('tsx/esm/api');
    api.register();
    return true;
  } catch {
    return false;
  }
}

if (existsSync(source) && process.env.METROGATE_USE_DIST !== '1' && (await loadTsx())) {
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write('metrogate: no build found; run `npm ci && npm run build` first\n');
  process.exit(1);
}
