#!/usr/bin/env node
// Launcher. In a checkout (TypeScript sources present, tsx installed) it runs the sources, so that
// `npx metrogate` never runs a stale build; an installed package runs the compiled dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// `metrogate start` is a long-running service: V8 by default lets its old generation grow to up to
// four times what survived the last full GC before collecting again, which with 1000 devices (about
// 60 MB live) put the RSS near 300 MB. Growing by 30 % instead keeps it under 200 MB for some more
// GC work. This sets no ceiling (unlike --max-old-space-size), so a larger fleet only collects more
// often and cannot run out of heap because of it. Flags of the user's own (NODE_OPTIONS or the
// command line) win.
if (
  process.argv[2] === 'start' &&
  !/heap-growing-percent/.test(`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`)
) {
  setFlagsFromString('--heap-growing-percent=30');
}

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
