#!/usr/bin/env node
// `npm test` needs real peers from Debian: socat (pseudo-terminals), mbpoll and python3-pymodbus
// (independent Modbus peers), poppler-utils (reads the certificate PDFs). As root this installs what
// is missing; otherwise it prints the one apt-get line to run and fails, so a test never silently
// skips its real peer.
import { spawnSync } from 'node:child_process';

const REQUIRED = [
  { pkg: 'socat', check: ['socat', ['-V']] },
  { pkg: 'mbpoll', check: ['mbpoll', ['-V']] },
  { pkg: 'python3-pymodbus', check: ['/usr/bin/python3', ['-c', 'import pymodbus']] },
  // Only a Recommends of python3-pymodbus, but its RTU server needs it.
  { pkg: 'python3-serial-asyncio', check: ['/usr/bin/python3', ['-c', 'import serial_asyncio']] },
  { pkg: 'influxdb', check: ['influxd', ['version']] },
  { pkg: 'mosquitto', check: ['test', ['-x', '/usr/sbin/mosquitto']] },
  // pdftotext, pdfinfo, pdffonts: the certificate tests read the PDFs with an independent reader.
  { pkg: 'poppler-utils', check: ['pdftotext', ['-v']] },
  // The web dashboards' end-to-end test drives Debian's chromium through playwright-core.
  { pkg: 'chromium', check: ['test', ['-x', '/usr/bin/chromium']] },
  // Chinese glyphs for the pages chromium renders (the screenshots kept as test artefacts).
  { pkg: 'fonts-wqy-microhei', check: ['sh', ['-c', 'fc-list :lang=zh | grep -q .']] },
];

function works([command, args]) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

const missing = REQUIRED.filter((r) => !works(r.check)).map((r) => r.pkg);
if (missing.length === 0) process.exit(0);

const line = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (process.getuid?.() !== 0) {
  console.error(
    `metrogate tests need Debian packages that are missing: ${missing.join(', ')}\nRun as root:\n  ${line}`,
  );
  process.exit(1);
}
console.error(`installing test dependencies: ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', '--no-install-recommends', ...missing],
]) {
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`apt-get ${args[0]} failed; run it by hand:\n  ${line}`);
    process.exit(1);
  }
}
const still = REQUIRED.filter((r) => missing.includes(r.pkg) && !works(r.check)).map((r) => r.pkg);
if (still.length > 0) {
  console.error(`still missing after install: ${still.join(', ')}`);
  process.exit(1);
}
