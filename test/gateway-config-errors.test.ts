/**
 * Malformed gateway configs through `metrogate config check` and `metrogate start` (issue 5;
 * ARCHITECTURE.md: errors name the file, field or port at fault and exit non-zero). Each case is
 * run through both commands as a subprocess: both exit 2 with MG_ERR_CONFIG_INVALID and a message
 * that names the file and the field, and `start` creates no data dir for a config it refuses.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'metrogate-config-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scale = (id: string, port: string) => `  - { id: ${id}, driver: scale-mtsics, port: ${port} }`;

const VALID_DEVICES = [
  scale('counter-1', '/dev/ttyUSB0'),
  scale('counter-2', '/dev/ttyUSB1'),
  '  - { id: platform-1, driver: scale-modbus, host: 127.0.0.1, tcpPort: 502, unitId: 1 }',
];

interface Case {
  name: string;
  yaml: string[];
  /** Text the message must hold: the field at fault and what is wrong with it. */
  expected: RegExp[];
  env?: NodeJS.ProcessEnv;
  /** Whether the message names the file too (the env-variable message names only the field). */
  namesFile?: false;
}

const CASES: Case[] = [
  {
    name: 'a device without its port',
    yaml: [
      'version: 1',
      'devices:',
      ...VALID_DEVICES,
      '  - { id: counter-3, driver: scale-mtsics, baudRate: 9600 }',
    ],
    expected: [/devices\[3\]\.port: is required/],
  },
  {
    name: 'a device whose port is not a path',
    yaml: [
      'version: 1',
      'devices:',
      ...VALID_DEVICES,
      '  - { id: counter-3, driver: scale-mtsics, port: 7 }',
    ],
    expected: [/devices\[3\]\.port: /, /string/i],
  },
  {
    name: 'an InfluxDB URL that is not one',
    yaml: ['version: 1', 'devices:', ...VALID_DEVICES, 'sinks:', '  influx: { url: "influx at port 8086" }'],
    expected: [/sinks\.influx\.url: expected http:\/\/host:port\/DATABASE/],
  },
  {
    name: 'an MQTT broker URL with the wrong scheme',
    yaml: ['version: 1', 'devices:', ...VALID_DEVICES, 'sinks:', '  mqtt: { url: "http://broker:1883" }'],
    expected: [/sinks\.mqtt\.url: expected mqtt:\/\/host:port/],
  },
  {
    name: 'an unknown driver',
    yaml: [
      'version: 1',
      'devices:',
      VALID_DEVICES[0]!,
      '  - { id: counter-2, driver: scale-acme, port: /dev/ttyUSB1 }',
    ],
    expected: [/devices\[1\]\.driver: unknown driver "scale-acme"; known: .*scale-mtsics/],
  },
  {
    name: 'a missing environment variable',
    yaml: [
      'version: 1',
      'devices:',
      ...VALID_DEVICES,
      'sinks:',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${ENV} syntax
      '  mqtt: { url: "mqtt://127.0.0.1:1883", password: "${METROGATE_TEST_UNSET_PASSWORD}" }',
    ],
    expected: [/sinks\.mqtt\.password: environment variable METROGATE_TEST_UNSET_PASSWORD is not set/],
    namesFile: false,
  },
  {
    name: 'bad YAML',
    yaml: [
      'version: 1',
      'devices:',
      '  - id: counter-1',
      '   driver: scale-mtsics',
      '    port: /dev/ttyUSB0',
    ],
    expected: [/not valid YAML/, /line 4/],
  },
  {
    name: 'a scheduler option out of range',
    yaml: ['version: 1', 'devices:', ...VALID_DEVICES, 'scheduler:', '  backoff: { factor: 0 }'],
    expected: [/scheduler\.backoff\.factor: /],
  },
];

function expectRefused(result: CliResult, file: string, c: Case): void {
  const message = result.stderr.trim();
  expect(result.code, message).toBe(2);
  expect(message).toMatch(/^error MG_ERR_CONFIG_INVALID: /);
  if (c.namesFile !== false) expect(message).toContain(file);
  for (const pattern of c.expected) expect(message).toMatch(pattern);
}

describe('malformed gateway configs', () => {
  it.each(CASES)('$name: config check and start both name the field and exit 2', async (c) => {
    const file = join(dir, `${c.name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, `${c.yaml.join('\n')}\n`);
    const dataDir = join(dir, `${c.name.replace(/\W+/g, '-')}-data`);
    const env = { METROGATE_TEST_UNSET_PASSWORD: undefined, ...c.env };
    const [check, start] = await Promise.all([
      runCli(['config', 'check', file], { env }),
      runCli(['start', '-c', file, '--data-dir', dataDir, '--duration', '1'], { env }),
    ]);
    expectRefused(check, file, c);
    expectRefused(start, file, c);
    expect(check.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('the same file made valid passes config check, naming its devices (so the cases above fail for their fault only)', async () => {
    const file = join(dir, 'valid.yaml');
    writeFileSync(
      file,
      `${['version: 1', 'devices:', ...VALID_DEVICES, scale('counter-3', '/dev/ttyUSB2')].join('\n')}\n`,
    );
    const check = await runCli(['config', 'check', file, '--json']);
    expect(check.code, check.stderr).toBe(0);
    const summary = JSON.parse(check.stdout) as { ok: boolean; devices: { id: string }[] };
    expect(summary.ok).toBe(true);
    expect(summary.devices.map((d) => d.id)).toEqual(['counter-1', 'counter-2', 'platform-1', 'counter-3']);
  });
});
