/**
 * The CLI as a technician uses it: a simulator in one process, `metrogate read` and `metrogate scan`
 * in others, over real pseudo-terminals.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningSimulator,
  runCli,
  startSimulatorProcess,
  useSimulatorProcesses,
} from './helpers/cli.js';

describe('metrogate read against a simulated MT-SICS balance', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulatorProcess([
      'scale',
      '--protocol',
      'mt-sics',
      '--max',
      '30',
      '--e',
      '0.01',
      '--unit',
      'kg',
    ]);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('prints the contract JSON line with the exact value', async () => {
    await sim.control('POST', '/load', { load: '12.345' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const result = await runCli(['read', 'scale-mtsics', '--port', sim.ready.port as string, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const reading = JSON.parse(lines[0]!);
    expect(Object.keys(reading)).toEqual(['device', 'channel', 'value', 'unit', 'quality', 'ts']);
    expect(reading).toMatchObject({
      device: `scale-mtsics@${sim.ready.port as string}`,
      channel: 'weight',
      value: '12.35',
      unit: 'kg',
      quality: 'good',
    });
    expect(Number.isNaN(Date.parse(reading.ts))).toBe(false);
  });

  it('reads --count times and prints a table without --json', async () => {
    await sim.control('POST', '/load', { load: '0.5' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const result = await runCli([
      'read',
      'scale-mtsics',
      '--port',
      sim.ready.port as string,
      '--count',
      '3',
      '--interval',
      '50',
    ]);
    expect(result.code).toBe(0);
    const rows = result.stdout
      .trim()
      .split('\n')
      .filter((line) => line.includes('weight'));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatch(/weight\s+0\.50\s+kg\s+good/);
  });

  it('reports a silent device with MG_ERR_TIMEOUT naming the port and exits 1', async () => {
    await sim.control('POST', '/fault', { kind: 'silence', count: 0 });
    try {
      const result = await runCli([
        'read',
        'scale-mtsics',
        '--port',
        sim.ready.port as string,
        '--timeout',
        '200',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('MG_ERR_TIMEOUT');
      expect(result.stderr).toContain(sim.ready.port as string);
    } finally {
      await sim.control('DELETE', '/fault');
    }
  });

  it('names the baud rate when the driver is at the wrong one', async () => {
    const result = await runCli([
      'read',
      'scale-mtsics',
      '--port',
      sim.ready.port as string,
      '--baud',
      '2400',
      '--timeout',
      '300',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/MG_ERR_(FRAME_GARBLED|TIMEOUT)/);
    expect(result.stderr).toContain('2400 8N1');
  });
});

describe('metrogate read: bad input', () => {
  it('names a port that does not exist', async () => {
    const result = await runCli(['read', 'scale-mtsics', '--port', '/dev/ttyMETROGATE404']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_PORT_NOT_FOUND');
    expect(result.stderr).toContain('/dev/ttyMETROGATE404 (9600 8N1)');
  });

  it('names the missing flag and exits 2', async () => {
    const result = await runCli(['read', 'scale-mtsics']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MG_ERR_INPUT_INVALID');
    expect(result.stderr).toContain('--port: is required');
  });

  it('lists the known drivers for an unknown one', async () => {
    const result = await runCli(['read', 'scale-nonesuch', '--port', '/dev/null']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MG_ERR_DRIVER_UNKNOWN');
    expect(result.stderr).toContain('scale-mtsics');
  });

  it('names the file and field of a bad --config', async () => {
    const file = join(tmpdir(), `metrogate-bad-${process.pid}.yaml`);
    writeFileSync(file, 'driver: scale-mtsics\nport: /dev/ttyUSB0\nbaudRate: fast\n');
    const result = await runCli(['read', 'scale-mtsics', '--config', file, '--json']);
    expect(result.code).toBe(2);
    const error = JSON.parse(result.stderr.trim().split('\n').pop()!).error;
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(error.message).toContain(`${file}: baudRate`);
    writeFileSync(file, 'port: [unclosed\n');
    const malformed = await runCli(['read', 'scale-mtsics', '--config', file]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(file);
  });

  it('rejects a driver option the schema does not know', async () => {
    const result = await runCli(['read', 'scale-mtsics', '--port', '/dev/null', '-o', 'mode=sideways']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('mode');
  });
});

describe('metrogate scan', () => {
  const startSimulator = useSimulatorProcesses();

  it('finds a continuous-output XK3190 indicator at 19200 baud', async () => {
    const sim = await startSimulator([
      'scale',
      '--protocol',
      'xk3190',
      '--line',
      '19200 8N1',
      '--max',
      '300',
      '--e',
      '0.1',
      '--unit',
      'kg',
      '--load',
      '25.5',
    ]);
    const result = await runCli([
      'scan',
      '--port',
      sim.ready.port as string,
      '--bauds',
      '9600,19200',
      '--framings',
      '8N1',
      '--json',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.matches[0]).toMatchObject({ driver: 'scale-xk3190', settings: { baudRate: 19200 } });
  });

  it('finds an MT-SICS balance by probing, with its serial number', async () => {
    const sim = await startSimulator(['scale', '--protocol', 'mt-sics', '--line', '4800 8N1']);
    const result = await runCli([
      'scan',
      '--port',
      sim.ready.port as string,
      '--bauds',
      '9600,4800',
      '--framings',
      '8N1',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/scale-mtsics\s+4800 8N1\s+probe/);
    expect(result.stdout).toContain('serialNumber=0123456789');
    expect(result.stdout).toContain('metrogate read scale-mtsics --port');
  });

  it('ends with MG_ERR_PROTOCOL_NOT_DETECTED on a silent port', async () => {
    const sim = await startSimulator(['scale', '--protocol', 'mt-sics']);
    await sim.control('POST', '/fault', { kind: 'silence', count: 0 });
    const result = await runCli([
      'scan',
      '--port',
      sim.ready.port as string,
      '--bauds',
      '9600,19200',
      '--listen',
      '100',
      '--timeout',
      '100',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_PROTOCOL_NOT_DETECTED');
  });

  it('fails at once on a port that does not exist', async () => {
    const result = await runCli(['scan', '--port', '/dev/ttyMETROGATE404']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_PORT_NOT_FOUND');
  });
});
