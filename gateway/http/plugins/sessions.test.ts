/**
 * Verification sessions over HTTP against a real scale driver talking to the scale simulator over
 * an in-memory line: the technician's loads are put on the simulated platform by the test (or by an
 * assisting operator, as in the demo), every reading comes from the driver.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dec } from '../../../drivers/decimal.js';
import { type ScaleFixture, startScaleFixture } from '../../../test/contract/scale-fixture.js';
import { historyOf } from '../../registry/index.js';
import { changePointByStepping, type ScaleOperator } from '../../verification/guided-scale.js';
import { fakeGateway, startTestApi, type TestApi } from '../test-support.js';

const INSTRUMENT = {
  id: 'SC-0042',
  accuracyClass: 'III',
  max: '30',
  e: '0.01',
  unit: 'kg',
  owner: '城东市场',
};

/** Moves loads on the simulated platform, as the demo's simulator operator does over its control API. */
function modelOperator(fixture: ScaleFixture): ScaleOperator {
  let current = { load: '0', position: 'center' };
  const set = (load: string, position: string) => fixture.sim.model.setLoad(load, position);
  return {
    async place(step, load, position) {
      if (step.kind === 'repeatability') set('0', 'center');
      current = { load, position };
      set(load, position);
    },
    findRoundingLoad: (_step, indication, roundingWeight, read) =>
      changePointByStepping(
        indication,
        roundingWeight,
        async (extra) => set(new Dec(current.load).plus(extra).toFixed(), current.position),
        read,
      ),
    async addExtraLoad(_step, extraLoad) {
      set(new Dec(current.load).plus(extraLoad).toFixed(), current.position);
    },
  };
}

describe('verification sessions: scales through their driver', () => {
  let fixture: ScaleFixture;
  let api: TestApi;
  let assist = false;

  beforeEach(async () => {
    fixture = await startScaleFixture({ driverId: 'scale-mtsics', protocol: 'mt-sics', transport: 'memory' });
    fixture.driver.init();
    await fixture.driver.connect(AbortSignal.timeout(5000));
  });

  afterEach(async () => {
    await api?.close();
    await fixture.close();
  });

  async function start(options: { assist: boolean; stableTimeoutMs?: number }) {
    assist = options.assist;
    api = await startTestApi({
      gateway: fakeGateway([
        { id: 'bench-1', scale: fixture.driver },
        { id: 'pump-1', driver: 'dispenser-dart', kind: 'dispenser' },
      ]),
      ...(assist
        ? { scaleAssist: (id: string) => (id === 'bench-1' ? modelOperator(fixture) : undefined) }
        : {}),
      options: { stableTimeoutMs: options.stableTimeoutMs ?? 3000 },
    });
  }

  const post = (url: string, payload?: object) =>
    api.app.inject({ method: 'POST', url, headers: api.auth('technician'), ...(payload ? { payload } : {}) });

  it('walks the whole procedure with an assisting operator, completes, and stores the record', async () => {
    await start({ assist: true });
    const started = await post('/api/sessions', {
      device: 'bench-1',
      ruleSet: 'JJG539-2016',
      instrument: INSTRUMENT,
    });
    expect(started.statusCode).toBe(201);
    let session = started.json();
    expect(session).toMatchObject({
      kind: 'scale',
      device: 'bench-1',
      ruleSet: 'JJG539-2016',
      stage: 'initial',
      operator: 'Li Wei',
      state: 'awaiting-load',
      step: 0,
      prompt: { action: 'place-load', step: 0, load: '0', position: 'center' },
    });
    expect(session.totalSteps).toBeGreaterThan(20);
    expect(session.steps[0].instruction.zh).toContain('置零');
    const kinds = new Set(session.steps.map((s: { kind: string }) => s.kind));
    expect([...kinds].sort()).toEqual([
      'discrimination',
      'eccentricity',
      'repeatability',
      'weighing',
      'zero',
    ]);

    let captures = 0;
    while (session.state !== 'ready') {
      expect(['awaiting-load', 'awaiting-extra-load']).toContain(session.state);
      const next = await post(`/api/sessions/${session.id}/capture`);
      expect(next.statusCode, next.body).toBe(200);
      session = next.json();
      captures++;
      expect(captures).toBeLessThan(200);
    }
    // Every step was captured from the driver and judged as it came.
    for (const step of session.steps) {
      expect(step.captured?.indication, step.id).toMatch(/^-?\d+\.\d{2}$/);
      expect(step.result, step.id).toMatchObject({ pass: expect.any(Boolean) });
    }
    const weighing = session.steps.find((s: { id: string }) => s.id.startsWith('up-'));
    expect(weighing.captured.roundingLoad).toMatch(/^\d+(\.\d+)?$/);
    expect(weighing.result).toMatchObject({
      test: 'weighing',
      error: expect.any(String),
      mpe: expect.any(String),
    });

    const completed = await post(`/api/sessions/${session.id}/complete`);
    expect(completed.statusCode, completed.body).toBe(200);
    const body = completed.json();
    expect(body.session.state).toBe('completed');
    expect(body.record).toMatchObject({
      id: 'VR-000001',
      instrument: { id: 'SC-0042', kind: 'scale', owner: '城东市场' },
      operator: 'Li Wei',
      device: { driverId: 'scale-mtsics' },
    });
    expect(body.result.verdict).toBe(body.record.result.verdict);
    expect(body.session.record).toEqual({
      id: 'VR-000001',
      hash: body.record.hash,
      verdict: body.result.verdict,
      ...(body.record.validUntil ? { validUntil: body.record.validUntil } : {}),
    });
    // The stored record is the one the API returned, sealed in the chain, and in the history.
    expect(api.store.records.require('VR-000001').hash).toBe(body.record.hash);
    expect(api.store.verify().intact).toBe(true);
    expect(historyOf(api.store, 'SC-0042')).toHaveLength(1);
    const again = await post(`/api/sessions/${session.id}/complete`);
    expect(again.statusCode).toBe(409);
  });

  it('lets the technician place each load, enter ΔL, and retry a capture the scale refused', async () => {
    await start({ assist: false, stableTimeoutMs: 400 });
    const started = await post('/api/sessions', {
      device: 'bench-1',
      instrument: INSTRUMENT,
      rounding: true,
    });
    let session = started.json();
    expect(session.ruleSet).toBe('JJG539-2016');
    // Zero: nothing on the platform, then ΔL.
    fixture.sim.model.setLoad('0');
    session = (await post(`/api/sessions/${session.id}/capture`)).json();
    expect(session).toMatchObject({
      state: 'awaiting-rounding-load',
      prompt: { action: 'rounding-load', indication: '0.00', roundingWeight: '0.001' },
    });
    const bad = await post(`/api/sessions/${session.id}/reference`, { value: 'a little' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.path).toBe('body.value');
    const wrongAction = await post(`/api/sessions/${session.id}/capture`);
    expect(wrongAction.statusCode).toBe(409);
    session = (await post(`/api/sessions/${session.id}/reference`, { value: '0.005' })).json();
    expect(session.steps[0].captured).toEqual({ indication: '0.00', roundingLoad: '0.005' });
    expect(session.steps[0].result).toMatchObject({ test: 'zero', pass: expect.any(Boolean) });
    expect(session).toMatchObject({ state: 'awaiting-load', step: 1, prompt: { action: 'place-load' } });

    // An overload is not a reading: the same step asks again, with the reason.
    fixture.sim.model.setLoad('99');
    session = (await post(`/api/sessions/${session.id}/capture`)).json();
    expect(session).toMatchObject({
      state: 'awaiting-load',
      step: 1,
      prompt: { retry: { code: expect.any(String) } },
    });
    expect(session.prompt.retry.message).toMatch(/overload|stable/);
    fixture.sim.model.setLoad(session.prompt.load);
    session = (await post(`/api/sessions/${session.id}/capture`)).json();
    expect(session.state).toBe('awaiting-rounding-load');
    expect(session.steps[1].captured).toBeUndefined();

    const notReady = await post(`/api/sessions/${session.id}/complete`);
    expect(notReady.statusCode).toBe(409);
    expect(notReady.json().error.message).toMatch(/once every step is captured/);

    const cancelled = await api.app.inject({
      method: 'DELETE',
      url: `/api/sessions/${session.id}`,
      headers: api.auth('technician'),
    });
    expect(cancelled.json().state).toBe('cancelled');
    expect(api.store.records.count()).toBe(0);
    const list = await api.app.inject({ method: 'GET', url: '/api/sessions', headers: api.auth('admin') });
    expect(list.json().sessions.map((s: { id: string; state: string }) => [s.id, s.state])).toEqual([
      [session.id, 'cancelled'],
    ]);
  });

  it('refuses a second session on a busy device, a device that is not a scale, and an unknown one', async () => {
    await start({ assist: false });
    const first = await post('/api/sessions', { device: 'bench-1', instrument: INSTRUMENT });
    expect(first.statusCode).toBe(201);
    const busy = await post('/api/sessions', { device: 'bench-1', instrument: INSTRUMENT });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.message).toContain(first.json().id);
    const pump = await post('/api/sessions', { device: 'pump-1', instrument: INSTRUMENT });
    expect(pump.statusCode).toBe(400);
    expect(pump.json().error.message).toMatch(/not a scale/);
    const none = await post('/api/sessions', { device: 'ghost', instrument: INSTRUMENT });
    expect(none.statusCode).toBe(404);
    const noDevice = await post('/api/sessions', { instrument: INSTRUMENT, kind: 'scale' });
    expect(noDevice.statusCode).toBe(400);
    expect(noDevice.json().error.details.path).toBe('body.device');
  });

  it('names the instrument field at fault, and refuses a past-due standard before the first load', async () => {
    await start({ assist: false });
    const bad = await post('/api/sessions', {
      device: 'bench-1',
      instrument: { ...INSTRUMENT, accuracyClass: 'V' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.path).toMatch(/^body\.instrument\.accuracyClass/);
    api.store.standards.add(
      {
        id: 'T-OLD',
        kind: 'thermometer',
        mpe: '0.2',
        certificateNumber: 'X-1',
        calibrationDate: '2020-01-01',
        dueDate: '2021-01-01',
      },
      { actor: 'test' },
    );
    const old = await post('/api/sessions', {
      device: 'bench-1',
      instrument: INSTRUMENT,
      standards: ['T-OLD'],
    });
    expect(old.statusCode).toBe(422);
    expect(old.json().error.code).toBe('MG_ERR_STANDARD_INVALID');
    const unknown = await post('/api/sessions', {
      device: 'bench-1',
      instrument: INSTRUMENT,
      standards: ['W-9'],
    });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('verification sessions: dispensers by entered values', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  const VALUES: Record<string, string> = {
    indicatedVolume: '20.00',
    canVolume: '20.01',
    fuelTemperature: '20',
    canTemperature: '20',
    unitPrice: '7.50',
    indicatedAmount: '150.00',
    referenceVolume: '20.01',
  };

  it('asks for each step, judges it as it comes, and stores the record on completion', async () => {
    const post = (url: string, payload?: object) =>
      api.app.inject({
        method: 'POST',
        url,
        headers: api.auth('technician'),
        ...(payload ? { payload } : {}),
      });
    const started = await post('/api/sessions', {
      ruleSet: 'JJG443-2023',
      stage: 'subsequent',
      operator: 'Zhang San',
      instrument: { id: 'D-7', fuel: 'gasoline', canMaterial: 'stainless-steel', site: '江油加油站' },
    });
    expect(started.statusCode, started.body).toBe(201);
    let session = started.json();
    expect(session).toMatchObject({
      kind: 'dispenser',
      state: 'awaiting-values',
      prompt: { action: 'values' },
    });
    const missing = await post(`/api/sessions/${session.id}/reference`, { values: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details.path).toMatch(/^body\.values\./);
    while (session.state === 'awaiting-values') {
      const fields: { name: string }[] = session.prompt.fields;
      const values = Object.fromEntries(fields.map((f) => [f.name, VALUES[f.name] ?? '1']));
      const next = await post(`/api/sessions/${session.id}/reference`, { values });
      expect(next.statusCode, next.body).toBe(200);
      session = next.json();
    }
    expect(session.state).toBe('ready');
    const delivery = session.steps.find((s: { kind: string }) => s.kind === 'delivery');
    expect(delivery.result).toMatchObject({ test: 'delivery', errorPercent: expect.any(String) });
    const done = await post(`/api/sessions/${session.id}/complete`);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().record).toMatchObject({
      instrument: { id: 'D-7', kind: 'dispenser', site: '江油加油站' },
      operator: 'Zhang San',
      bench: { ruleSet: 'JJG443-2023', stage: 'subsequent' },
    });
    expect(done.json().record.bench.tests).toHaveLength(session.totalSteps);
  });

  it('refuses a device where the gateway runs none, and a regulator token altogether', async () => {
    const device = await api.app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: api.auth('technician'),
      payload: { ruleSet: 'JJG443-2023', device: 'pump-1', instrument: { id: 'D-7' } },
    });
    expect(device.statusCode).toBe(409);
    expect(device.json().error.message).toMatch(/runs no devices/);
    const regulator = await api.app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: api.auth('regulator'),
      payload: { ruleSet: 'JJG443-2023', instrument: { id: 'D-7' } },
    });
    expect(regulator.statusCode).toBe(403);
  });
});

describe('verification sessions: taximeters by entered values', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  const post = (url: string, payload?: object) =>
    api.app.inject({ method: 'POST', url, headers: api.auth('technician'), ...(payload ? { payload } : {}) });

  /** Walks a bench session entering what a correct meter shows, except `fare` for the fare steps. */
  async function walk(fare?: string) {
    const started = await post('/api/sessions', {
      kind: 'taximeter',
      stage: 'initial',
      variant: 'bench',
      instrument: {
        id: 'TX-9',
        k: '1000',
        tariff: {
          flagFall: '8',
          includedDistance: '2000',
          distanceRate: '1.9',
          timeRate: '30',
          mode: 'S',
          fareResolution: '0.1',
        },
      },
    });
    expect(started.statusCode, started.body).toBe(201);
    let session = started.json();
    expect(session).toMatchObject({ kind: 'taximeter', ruleSet: 'JJG517-2016', state: 'awaiting-values' });
    const steps: string[] = [];
    while (session.state === 'awaiting-values') {
      const step = session.steps[session.step];
      steps.push(step.kind);
      const values = Object.fromEntries(
        (session.prompt.fields as { name: string }[]).map((f) => [
          f.name,
          f.name === 'indicatedFare' && fare !== undefined ? fare : step.expected[f.name],
        ]),
      );
      const next = await post(`/api/sessions/${session.id}/reference`, { values });
      expect(next.statusCode, next.body).toBe(200);
      session = next.json();
    }
    expect(steps).toEqual(expect.arrayContaining(['distance', 'time', 'fare']));
    const done = await post(`/api/sessions/${session.id}/complete`);
    expect(done.statusCode, done.body).toBe(200);
    return done.json();
  }

  it('walks distance, time and fare steps and stores a passing record for a correct meter', async () => {
    const done = await walk();
    expect(done.result.verdict).toBe('pass');
    expect(done.record).toMatchObject({ instrument: { id: 'TX-9', kind: 'taximeter' }, operator: 'Li Wei' });
    expect(api.store.records.count()).toBe(1);
  });

  it('fails the record when the meter shows the wrong fare', async () => {
    const done = await walk('999.9');
    expect(done.result.verdict).toBe('fail');
    expect(
      done.result.tests.filter((t: { test: string; pass: boolean }) => t.test === 'fare' && !t.pass).length,
    ).toBeGreaterThan(0);
  });
});
