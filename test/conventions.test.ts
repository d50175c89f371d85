/**
 * House rules that a machine can check (Home Assistant's hassfest, Telegraf's readme linter): every
 * driver folder has the same files, a README with the same headings, a sample config that parses,
 * golden test cases, a simulator protocol, and a test file that runs the contract suite.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ERROR_CODES } from '../drivers/errors.js';
import { DRIVERS } from '../drivers/registry.js';
import { DISPENSER_PROTOCOL_IDS } from '../simulators/dispenser/index.js';
import { SCALE_PROTOCOL_IDS } from '../simulators/scale/index.js';
import { TAXIMETER_PROTOCOL_IDS } from '../simulators/taximeter/index.js';

const REQUIRED_FILES = [
  'index.ts',
  'config.ts',
  'protocol.ts',
  'driver.ts',
  'README.md',
  'sample.config.yaml',
  'protocol.test.ts',
  'driver.test.ts',
];
const README_HEADINGS = ['## Configuration', '## Readings', '## Example output', '## Troubleshooting'];

describe.each(Object.entries(DRIVERS))('driver folder %s', (id, definition) => {
  const dir = join('drivers', id);

  it('is registered under its own id', () => {
    expect(definition.id).toBe(id);
  });

  it.each(REQUIRED_FILES)('has %s', (file) => {
    expect(existsSync(join(dir, file)), `${dir}/${file}`).toBe(true);
  });

  it('has golden test cases', () => {
    const cases = existsSync(join(dir, 'testcases')) ? readdirSync(join(dir, 'testcases')) : [];
    expect(cases.length).toBeGreaterThan(0);
  });

  it('has a README with the required headings', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme.startsWith(`# ${id}`)).toBe(true);
    for (const heading of README_HEADINGS) expect(readme).toContain(heading);
  });

  it('has a sample config that its schema accepts', () => {
    const sample = parseYaml(readFileSync(join(dir, 'sample.config.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(sample.driver).toBe(id);
    const { driver: _driver, ...config } = sample;
    const result = definition.configSchema.safeParse(config);
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
  });

  it('runs the driver contract suite in its driver.test.ts', () => {
    const test = readFileSync(join(dir, 'driver.test.ts'), 'utf8');
    expect(test).toMatch(/describe\w*DriverContract\(/);
  });

  it('names a simulator protocol that exists (or is a generic driver)', () => {
    if (definition.kind === 'generic') return;
    const protocols: Record<string, readonly string[]> = {
      scale: SCALE_PROTOCOL_IDS,
      dispenser: DISPENSER_PROTOCOL_IDS,
      taximeter: TAXIMETER_PROTOCOL_IDS,
    };
    expect(protocols[definition.kind]).toContain(definition.simulatorProtocol);
  });

  it('declares its channels', () => {
    expect(definition.channels.length).toBeGreaterThan(0);
  });
});

describe('documentation', () => {
  it('the README lists every error code', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const code of Object.keys(ERROR_CODES)) expect(readme, code).toContain(`\`${code}\``);
  });

  it('the README quick start has the two commands', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
  });

  it('the README drivers table lists every driver', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const id of Object.keys(DRIVERS))
      expect(readme, id).toContain(`[\`${id}\`](drivers/${id}/README.md)`);
  });
});

describe('source rules', () => {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(join(dir, entry.name))
        : entry.name.endsWith('.ts')
          ? [join(dir, entry.name)]
          : [],
    );
  const sources = ['drivers', 'simulators', 'gateway'].flatMap(walk).filter((f) => !f.endsWith('.test.ts'));

  it('drivers never import from gateway', () => {
    for (const file of sources.filter((f) => f.startsWith('drivers'))) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/from '\.\.\/(\.\.\/)*gateway\//);
    }
  });

  it('drivers never schedule themselves', () => {
    for (const file of sources.filter(
      (f) => f.startsWith('drivers/scale') || f.startsWith('drivers/modbus'),
    )) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/setInterval\(/);
    }
  });

  it('simulators do not import a driver protocol encoder', () => {
    for (const file of sources.filter((f) => f.startsWith('simulators'))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(
        /from '[./]*drivers\/(scale-[a-z0-9]+|modbus|scale-modbus)\/protocol\.js'/,
      );
    }
  });

  it('nothing outside the CLI writes to the console', () => {
    for (const file of sources.filter((f) => !f.startsWith('gateway/cli'))) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/console\.(log|error|warn|info)\(/);
    }
  });
});
