/**
 * `npm run demo` is the README's main command: it must start on this machine, read every simulated
 * scale through its real driver, and stop cleanly when given --duration.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('metrogate demo', () => {
  it('reads every simulated scale through its driver and stops after --duration', async () => {
    const result = await runCli(['demo', '--duration', '4', '--interval', '300', '--json'], {
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    const readings = lines.filter((line) => line.channel === 'weight');
    const devices = new Set(readings.map((r) => r.device));
    expect([...devices].sort()).toEqual([
      'bench-modbus',
      'counter-1',
      'counter-2',
      'lab-balance',
      'platform-1',
    ]);
    for (const reading of readings) {
      expect(['good', 'unstable', 'overload', 'underload']).toContain(reading.quality);
      if (reading.quality !== 'overload' && reading.quality !== 'underload')
        expect(reading.value).toMatch(/^-?\d+(\.\d+)?$/);
    }
    // Every device answered most polls: at least three polls each in four seconds.
    for (const device of devices)
      expect(readings.filter((r) => r.device === device).length).toBeGreaterThanOrEqual(3);
    expect(lines.filter((line) => 'error' in line)).toEqual([]);
    expect(result.stderr).toContain('metrogate demo: 5 simulated scales');
  });

  it('falls back to in-memory links when socat is not installed', async () => {
    // An empty PATH hides socat (and everything else); node itself is run by absolute path.
    const result = await runCli(['demo', '--duration', '2', '--interval', '300', '--json'], {
      env: { PATH: '/nonexistent' },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('in-memory links');
    const devices = new Set(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { device: string }).device),
    );
    expect(devices.size).toBe(5);
  });

  it('rejects a bad --duration with exit code 2', async () => {
    const result = await runCli(['demo', '--duration', 'soon']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--duration');
  });
});
