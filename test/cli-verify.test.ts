/**
 * `metrogate verify --auto`: a whole verification against the scale simulator, whose error model
 * decides the verdict. A span error of 0.07 % puts +1.4 e at 2000 e (Max 15 kg, e 5 g): beyond the
 * initial MPE there (1 e), within the in-service MPE (2 e), and within both everywhere below
 * 500 e. So initial verification must fail and in-service verification must pass, and the stored
 * records, their chain and the certificate must say so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSimulator, runCli, startSimulatorProcess } from './helpers/cli.js';

// A whole procedure is a few hundred load changes: give it time on a busy CI machine.
describe('metrogate verify --auto against the scale simulator', { timeout: 120_000 }, () => {
  let sim: RunningSimulator;
  let dataDir: string;
  const verify = (stage: string, extra: string[] = []) =>
    runCli(
      [
        'verify',
        '--device',
        'scale-mtsics',
        '--port',
        sim.ready.port as string,
        '--auto',
        '--sim-control',
        sim.ready.control as string,
        '--rule-set',
        'OIML-R76-1:2006',
        '--stage',
        stage,
        '--instrument-id',
        'SC-0042',
        '--class',
        'III',
        '--max',
        '15000',
        '--e',
        '5',
        '--unit',
        'g',
        '--owner',
        '涪城区农贸市场',
        '--operator',
        'tester',
        '--data-dir',
        dataDir,
        ...extra,
      ],
      { timeoutMs: 120_000 },
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrogate-verify-'));
    sim = await startSimulatorProcess([
      'scale',
      '--protocol',
      'mt-sics',
      '--max',
      '15000',
      '--e',
      '5',
      '--unit',
      'g',
      '--param',
      'settlingMs=0',
      '--param',
      'spanError=0.0007',
    ]);
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails initial verification where the span error exceeds the MPE', async () => {
    const certificate = join(dataDir, 'initial.pdf');
    const result = await verify('initial', ['--json', '--certificate', certificate]);
    expect(result.code, result.stderr).toBe(1);
    const record = JSON.parse(result.stdout);
    expect(record.result.verdict).toBe('fail');
    const weighings = record.result.tests.filter((t: { test: string }) => t.test === 'weighing');
    const at2000e = weighings.find((t: { load: string }) => t.load === '10000');
    expect(at2000e).toMatchObject({ error: '7', mpe: '5', pass: false });
    const atMin = weighings.find((t: { load: string }) => t.load === '100');
    expect(atMin).toMatchObject({ error: '0', pass: true });
    expect(record.validUntil).toBeUndefined();
    expect(record.instrument).toMatchObject({ id: 'SC-0042', owner: '涪城区农贸市场' });
    expect(record.device.driverId).toBe('scale-mtsics');
    expect(record.device.identity.serialNumber).toBe('0123456789');
    // The technician's view: each step's error against its MPE as it goes.
    expect(result.stderr).toMatch(/weighing 10000 g: I = 10005, ΔL = 0\.5 {2}E = 7, MPE ±5 OUT/);
    const text = execFileSync('pdftotext', ['-layout', certificate, '-']).toString();
    expect(text).toContain(record.hash);
    expect(text).toMatch(/检定结果通知书|Notice of rejection/i);
  });

  it('passes in-service verification with the same error model', async () => {
    const result = await verify('in-service', ['--json']);
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout);
    expect(record.result.verdict).toBe('pass');
    expect(
      record.result.tests.find(
        (t: { load?: string; test: string }) => t.test === 'weighing' && t.load === '10000',
      ),
    ).toMatchObject({
      error: '7',
      mpe: '10',
      pass: true,
    });
    expect(record.validUntil).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(record.previousHash).not.toMatch(/^0+$/);
  });

  it('keeps both records in an intact chain', async () => {
    const list = await runCli(['records', 'list', '--data-dir', dataDir, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const verified = await runCli(['records', 'verify', '--data-dir', dataDir]);
    expect(verified.code, verified.stderr + verified.stdout).toBe(0);
  });

  it('refuses a weight set past its due date before any load is placed', async () => {
    const file = join(dataDir, 'weights.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'W-OLD',
        kind: 'weight-set',
        description: 'M1 set 1 g – 10 kg',
        accuracyClass: 'M1',
        certificateNumber: 'JL-2024-001',
        calibrationDate: '2024-01-10',
        dueDate: '2025-01-09',
        pieces: [{ nominal: '10', unit: 'kg', mpe: '500' }],
      }),
    );
    const added = await runCli(['standards', 'add', '--file', file, '--data-dir', dataDir]);
    expect(added.code, added.stderr).toBe(0);
    const result = await verify('initial', ['--standards', 'W-OLD']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_STANDARD_INVALID');
    expect(result.stderr).toContain('W-OLD');
  });

  it('refuses a weight set that is not accurate enough for the scale', async () => {
    const file = join(dataDir, 'coarse.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'W-M3',
        kind: 'weight-set',
        description: 'M3 cast-iron set',
        accuracyClass: 'M3',
        certificateNumber: 'JL-2026-117',
        calibrationDate: '2026-06-01',
        dueDate: '2099-06-01',
        pieces: [
          { nominal: '10', unit: 'kg', mpe: '5000' },
          { nominal: '5', unit: 'kg', mpe: '2500' },
          { nominal: '2', unit: 'kg', mpe: '1000', count: 2 },
          { nominal: '1', unit: 'kg', mpe: '500' },
          { nominal: '500', unit: 'g', mpe: '250' },
          { nominal: '100', unit: 'g', mpe: '50' },
        ],
      }),
    );
    expect((await runCli(['standards', 'add', '--file', file, '--data-dir', dataDir])).code).toBe(0);
    const result = await verify('initial', ['--standards', 'W-M3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_STANDARD_INVALID');
    expect(result.stderr).toMatch(/W-M3.*(MPE|1\/3)/s);
  });

  it('names the flag at fault', async () => {
    const result = await runCli([
      'verify',
      '--rule-set',
      'JJG539-2016',
      '--instrument-id',
      'X',
      '--data-dir',
      dataDir,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--device');
  });
});

describe('metrogate verify for dispensers and taximeters (values entered per step)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrogate-verify-manual-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const write = (name: string, value: unknown) => {
    const path = join(dataDir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('judges a dispenser from its answers file and records the can it was checked with', async () => {
    const can = write('can.json', {
      id: 'CAN-20L-03',
      kind: 'can',
      description: '20 L stainless standard can',
      nominalVolume: '20',
      material: 'stainless-steel',
      relativeMpe: '0.025',
      certificateNumber: 'JL-RQ-2026-031',
      calibrationDate: '2026-03-01',
      dueDate: '2099-03-01',
    });
    expect((await runCli(['standards', 'add', '--file', can, '--data-dir', dataDir])).code).toBe(0);
    const instrument = write('dispenser.json', {
      fuel: 'gasoline',
      canMaterial: 'stainless-steel',
      owner: '中石油江油加油站',
    });
    // F1 of the reference and two close runs at Qmax; at Q2 a 0.13 % spread (F4) fails repeatability.
    const run = (v: string, can: string, tJ: string, tB: string) => ({
      indicatedVolume: v,
      canVolume: can,
      fuelTemperature: tJ,
      canTemperature: tB,
    });
    const answers = write('answers.json', [
      run('20.03', '20.000', '25.0', '25.0'),
      run('20.02', '20.000', '25.0', '25.0'),
      run('20.025', '20.000', '25.0', '25.0'),
      run('20.024', '20.000', '20.0', '20.0'),
      run('20.036', '20.000', '20.0', '20.0'),
      run('20.010', '20.000', '20.0', '20.0'),
      { unitPrice: '7.89', indicatedVolume: '20.03', indicatedAmount: '158.04' },
    ]);
    const result = await runCli([
      'verify',
      '--rule-set',
      'JJG443-2023',
      '--instrument-id',
      'JY-D-007',
      '--instrument-file',
      instrument,
      '--answers',
      answers,
      '--standards',
      'CAN-20L-03',
      '--operator',
      'tester',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(1);
    const record = JSON.parse(result.stdout);
    expect(record.result.groups).toEqual([
      { flow: 'max', runs: 3, rangePercent: expect.any(String), limitPercent: '0.10', pass: true },
      { flow: 'q2', runs: 3, rangePercent: '0.13', limitPercent: '0.10', pass: false },
    ]);
    expect(record.result.tests[0]).toMatchObject({ test: 'delivery', errorPercent: '0.125', pass: true });
    expect(record.standards).toEqual([
      expect.objectContaining({ id: 'CAN-20L-03', certificateNumber: 'JL-RQ-2026-031' }),
    ]);
    expect(record.instrument.owner).toBe('中石油江油加油站');
  });

  it('judges a taximeter on the bench and sets its valid-until a year ahead', async () => {
    const instrument = write('taxi.json', {
      k: '1000',
      tariff: {
        flagFall: '10.00',
        includedDistance: '2000',
        distanceRate: '2.00',
        timeRate: '30.00',
        mode: 'D',
        fareResolution: '0.10',
      },
    });
    const answers = write('taxi-answers.json', [
      { pulses: '1000' },
      { pulses: '1998' },
      { pulses: '2995' },
      { indicated: '600.4' },
      { indicatedFare: '21.00' },
    ]);
    const result = await runCli([
      'verify',
      '--rule-set',
      'JJG517-2016',
      '--instrument-id',
      'TX-川B-12345',
      '--instrument-file',
      instrument,
      '--answers',
      answers,
      '--operator',
      'tester',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout);
    expect(record.result.verdict).toBe('pass');
    expect(record.result.tests.map((t: { test: string }) => t.test)).toEqual([
      'distance',
      'distance',
      'distance',
      'time',
      'fare',
    ]);
    const year = Number(record.performedAt.slice(0, 4));
    expect(record.validUntil.slice(0, 4)).toBe(String(year + 1));
  });

  it('names the missing answer', async () => {
    const instrument = write('taxi2.json', {
      k: '1000',
      tariff: {
        flagFall: '10.00',
        includedDistance: '2000',
        distanceRate: '2.00',
        timeRate: '30.00',
        mode: 'D',
        fareResolution: '0.10',
      },
    });
    const answers = write('short.json', [{ pulses: '1000' }, {}]);
    const result = await runCli([
      'verify',
      '--rule-set',
      'JJG517-2016',
      '--instrument-id',
      'TX-2',
      '--instrument-file',
      instrument,
      '--answers',
      answers,
      '--data-dir',
      dataDir,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[1].pulses');
  });
});
