/**
 * `metrogate verify --auto` for a taximeter on the bench: the simulator's pulse generator feeds the
 * meter at k until its display shows 1, 2 and 3 km, its clock holds it hired for the time test,
 * and the fare of a scripted trip is read from the meter's JT/T 905 trip record by the driver.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, runCli, startSimulatorProcess } from './helpers/cli.js';

const TARIFF = 'flagFall=10,includedDistance=2000,distanceRate=2,timeRate=30,mode=D,fareResolution=0.1';

describe('metrogate verify --auto against a JT/T 905 taximeter simulator', { timeout: 120_000 }, () => {
  let dataDir: string;
  let instrumentFile: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrogate-verify-taxi-'));
    instrumentFile = join(dataDir, 'taxi.json');
    writeFileSync(
      instrumentFile,
      JSON.stringify({
        k: '1000',
        tariff: {
          flagFall: '10.00',
          includedDistance: '2000',
          distanceRate: '2.00',
          timeRate: '30.00',
          mode: 'D',
          fareResolution: '0.10',
        },
        owner: '绵阳出租汽车公司',
      }),
    );
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const run = async (distanceError: string) => {
    const sim: RunningSimulator = await startSimulatorProcess([
      'taximeter',
      '--time-scale',
      '0',
      '--distance-error',
      distanceError,
      '--tariff',
      TARIFF,
    ]);
    try {
      return await runCli(
        [
          'verify',
          '--device',
          'taximeter-jtt905',
          '--port',
          sim.ready.port as string,
          '--auto',
          '--sim-control',
          sim.ready.control as string,
          '--rule-set',
          'JJG517-2016',
          '--instrument-id',
          `TX-${distanceError}`,
          '--instrument-file',
          instrumentFile,
          '--operator',
          'tester',
          '--data-dir',
          dataDir,
          '--json',
        ],
        { timeoutMs: 100_000 },
      );
    } finally {
      await sim.stop();
    }
  };

  it('passes an accurate meter, reading the fare from its trip record', async () => {
    const result = await run('0');
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout);
    const distances = record.result.tests.filter((t: { test: string }) => t.test === 'distance');
    expect(
      distances.map((t: { testDistance: string; pulses: string }) => [t.testDistance, t.pulses]),
    ).toEqual([
      ['1000', '1000'],
      ['2000', '2000'],
      ['3000', '3000'],
    ]);
    expect(record.result.tests.find((t: { test: string }) => t.test === 'fare')).toMatchObject({
      indicatedFare: '21',
      expectedFare: '21',
      pass: true,
    });
    expect(record.result.tests.find((t: { test: string }) => t.test === 'time')).toMatchObject({
      indicated: '600',
      pass: true,
    });
    expect(record.device.driverId).toBe('taximeter-jtt905');
  });

  it('fails a meter whose distance runs 0.5 % fast', async () => {
    const result = await run('0.5');
    expect(result.code, result.stderr).toBe(1);
    const record = JSON.parse(result.stdout);
    const distances = record.result.tests.filter((t: { test: string }) => t.test === 'distance');
    // The meter shows 1000 m after 996 pulses (4 m at the 4 m floor: passes); 2000 m after 1991 (9 m: fails).
    expect(distances.map((t: { pulses: string; pass: boolean }) => [t.pulses, t.pass])).toEqual([
      ['996', true],
      ['1991', false],
      ['2986', false],
    ]);
    expect(record.result.verdict).toBe('fail');
  });
});
