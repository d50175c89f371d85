/**
 * `metrogate verify --auto` for a fuel dispenser: the DART driver authorizes the simulated pump and
 * reads its volume, amount and price; the simulator fills the standard can and gives its reading
 * and temperatures. The meter's error curve decides the verdict.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, runCli, startSimulatorProcess } from './helpers/cli.js';

describe('metrogate verify --auto against a DART dispenser simulator', { timeout: 120_000 }, () => {
  let dataDir: string;
  let instrumentFile: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrogate-verify-dispenser-'));
    instrumentFile = join(dataDir, 'dispenser.json');
    writeFileSync(
      instrumentFile,
      JSON.stringify({ fuel: 'gasoline', canMaterial: 'stainless-steel', owner: '江油加油站' }),
    );
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const withSimulator = async (meterError: string, body: (sim: RunningSimulator) => Promise<void>) => {
    const sim = await startSimulatorProcess([
      'dispenser',
      '--protocol',
      'dart',
      '--pumps',
      '0x50',
      '--time-scale',
      '500',
      '--meter-error',
      meterError,
    ]);
    try {
      await body(sim);
    } finally {
      await sim.stop();
    }
  };
  const verify = (sim: RunningSimulator, extra: string[] = []) =>
    runCli(
      [
        'verify',
        '--device',
        'dispenser-dart',
        '--port',
        sim.ready.port as string,
        '--address',
        '0x50',
        '--auto',
        '--sim-control',
        sim.ready.control as string,
        '--rule-set',
        'JJG443-2023',
        '--instrument-id',
        'JY-D-001',
        '--instrument-file',
        instrumentFile,
        '--operator',
        'tester',
        '--data-dir',
        dataDir,
        '--json',
        ...extra,
      ],
      { timeoutMs: 100_000 },
    );

  it('passes a meter within ±0.30 % at both flows, with the totalizer advancing by the deliveries', async () => {
    await withSimulator('5:0.2,50:-0.1', async (sim) => {
      const result = await verify(sim);
      expect(result.code, result.stderr).toBe(0);
      const record = JSON.parse(result.stdout);
      // No --rule-set: a dispenser is judged by JJG 443-2023.
      expect(record.result.ruleSet).toBe('JJG443-2023');
      const deliveries = record.result.tests.filter((t: { test: string }) => t.test === 'delivery');
      expect(deliveries.map((t: { flow: string; errorPercent: string }) => [t.flow, t.errorPercent])).toEqual(
        [
          ['max', '-0.1'],
          ['max', '-0.1'],
          ['max', '-0.1'],
          ['q2', '0.1'],
          ['q2', '0.1'],
          ['q2', '0.1'],
        ],
      );
      expect(record.result.tests.find((t: { test: string }) => t.test === 'payment')).toMatchObject({
        unitPrice: '7.89',
        pass: true,
      });
      const totalizer = record.result.tests.find((t: { test: string }) => t.test === 'totalizer');
      expect(totalizer).toMatchObject({ nozzle: 1, deliveredVolume: '120', pass: true });
      expect(record.device).toMatchObject({ driverId: 'dispenser-dart' });
    });
  });

  it('fails a meter reading 0.4 % high at the maximum flow', async () => {
    await withSimulator('5:0,50:0.4', async (sim) => {
      const result = await verify(sim, ['--flows', 'max=50,q2=5']);
      expect(result.code, result.stderr).toBe(1);
      const record = JSON.parse(result.stdout);
      expect(record.result.verdict).toBe('fail');
      const atMax = record.result.tests.find(
        (t: { test: string; flow?: string }) => t.test === 'delivery' && t.flow === 'max',
      );
      expect(atMax).toMatchObject({ errorPercent: '0.4', mpePercent: '0.30', pass: false });
      const atQ2 = record.result.tests.find(
        (t: { test: string; flow?: string }) => t.test === 'delivery' && t.flow === 'q2',
      );
      expect(atQ2).toMatchObject({ errorPercent: '0', pass: true });
      expect(record.validUntil).toBeUndefined();
    });
  });
});
