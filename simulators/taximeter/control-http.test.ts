/**
 * The taximeter simulator driven as `metrogate verify --auto` and a trainer drive it: the control
 * API over HTTP, and both pulse generators (in-process and over HTTP), including aborts that must
 * leave an exact pulse count.
 */
import { describe, expect, it } from 'vitest';
import {
  emitDistance,
  HttpPulseGenerator,
  pulseRateForSpeed,
  pulsesForDistance,
} from '../../drivers/transport/pulse-generator.js';
import { rejectionOf, useCleanup } from '../../test/helpers/driver-kit.js';
import { startTaximeterControlServer } from './control-http.js';
import { startTaximeterSimulator, type TaximeterSimulatorOptions } from './index.js';
import { SimulatorPulseGenerator } from './pulse-generator.js';

describe('taximeter control API', () => {
  const cleanup = useCleanup();

  async function start(options: Partial<TaximeterSimulatorOptions> = {}) {
    const sim = await startTaximeterSimulator({
      transport: 'memory',
      timeScale: 0,
      params: { clock: '2026-05-01T09:00:00', k: '1000', distanceDisplayStep: '1' },
      ...options,
    });
    cleanup(() => sim.close());
    const control = await startTaximeterControlServer(sim);
    cleanup(() => control.close());
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${control.url}${path}`, {
        method,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
          : {}),
      });
      // biome-ignore lint/suspicious/noExplicitAny: replies are JSON read field by field in the tests
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    return { sim, control, call };
  }

  it('hires, drives, waits and ends a trip, with the display readable at every step', async () => {
    const { call } = await start();
    expect((await call('GET', '/display')).body).toMatchObject({ state: 'free', fare: '0.0' });
    expect((await call('POST', '/trip/start')).status).toBe(200);
    expect((await call('POST', '/trip/start')).status).toBe(409);
    const drove = await call('POST', '/drive', { speed: 60, distance: 5000 });
    expect(drove.body.display).toMatchObject({
      state: 'hired',
      distance: '5000',
      waitingTime: '0',
      fare: '16.0',
    });
    const waited = await call('POST', '/wait', { duration: '120' });
    // 120 s at 30.00/h = 1.00 more.
    expect(waited.body.display).toMatchObject({ waitingTime: '120', fare: '17.0' });
    const stopped = await call('POST', '/trip/stop');
    expect(stopped.body.record).toMatchObject({
      tripNumber: 1,
      distanceTenthsKm: 50,
      fareTenths: 170,
      waitingSeconds: 120,
    });
    expect((await call('POST', '/trip/stop')).status).toBe(409);
    expect((await call('GET', '/trips')).body.trips).toHaveLength(1);
    const state = (await call('GET', '/state')).body;
    expect(state).toMatchObject({
      protocol: 'jtt905',
      busy: false,
      tripsRecorded: 1,
      truth: { distance: '5000' },
    });
  });

  it('drives a speed profile of several legs', async () => {
    const { call } = await start();
    await call('POST', '/trip/start');
    const result = await call('POST', '/drive', {
      segments: [
        { speed: 36, duration: 100 },
        { speed: 0, duration: 60 },
        { distance: 500, duration: 50 },
      ],
    });
    expect(result.body.display).toMatchObject({ distance: '1500', waitingTime: '60', elapsedTime: '210' });
  });

  it('counts bench pulses and answers with the number emitted', async () => {
    const { call } = await start({ params: { k: '640', distanceDisplayStep: '1' } });
    await call('POST', '/trip/start');
    const fed = await call('POST', '/pulses', { count: 1280, ratePerSecond: 20 });
    expect(fed.body).toMatchObject({ emitted: 1280, display: { distance: '2000', pulses: 1280 } });
    expect((await call('GET', '/state')).body.truth.benchPulses).toBe(1280);
  });

  it('changes parameters and the time scale at run time', async () => {
    const { call, sim } = await start();
    const changed = await call('POST', '/params', {
      distanceErrorPercent: '1',
      tariff: { mode: 'D' },
      timeScale: 5,
    });
    expect(changed.body).toMatchObject({
      timeScale: 5,
      params: { distanceErrorPercent: '1', tariff: { mode: 'D' } },
    });
    expect(sim.timeScale).toBe(5);
  });

  it('rejects bad input with 400 naming the field, and unknown routes with 404', async () => {
    const { call } = await start();
    const badDrive = await call('POST', '/drive', { speed: -3, duration: 10 });
    expect(badDrive).toMatchObject({ status: 400, body: { code: 'MG_ERR_INPUT_INVALID', path: 'speed' } });
    const incomplete = await call('POST', '/drive', { speed: 30 });
    expect(incomplete).toMatchObject({ status: 400, body: { code: 'MG_ERR_INPUT_INVALID' } });
    expect(incomplete.body.message).toMatch(/two of speed/);
    const badPulses = await call('POST', '/pulses', { count: 10, ratePerSecond: 0 });
    expect(badPulses.body.path).toBe('ratePerSecond');
    const badParams = await call('POST', '/params', { k: 'fast' });
    expect(badParams.body.path).toBe('k');
    expect((await call('GET', '/nowhere')).status).toBe(404);
  });

  it('injects and clears faults', async () => {
    const { call } = await start();
    const injected = await call('POST', '/fault', { kind: 'bad-checksum', count: 0 });
    expect(injected.body.fault).toEqual({ kind: 'bad-checksum', remaining: 0 });
    expect((await call('DELETE', '/fault')).body.fault).toBeNull();
  });

  it('runs an action in the background and aborts it, keeping what was driven', async () => {
    const { call } = await start({ timeScale: 1 });
    await call('POST', '/trip/start');
    const started = await call('POST', '/wait', { duration: 60, background: true });
    expect(started).toMatchObject({ status: 202, body: { busy: true } });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await call('POST', '/abort');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const state = (await call('GET', '/state')).body;
    expect(state.busy).toBe(false);
    expect(Number(state.display.waitingTime)).toBeGreaterThanOrEqual(1);
    expect(Number(state.display.waitingTime)).toBeLessThan(5);
  });
});

describe('pulse generators', () => {
  const cleanup = useCleanup();

  async function hiredMeter(timeScale: number) {
    const sim = await startTaximeterSimulator({ transport: 'memory', timeScale, params: { k: '1000' } });
    cleanup(() => sim.close());
    await sim.startTrip();
    return sim;
  }

  it('in process: emits N pulses that the meter counts', async () => {
    const sim = await hiredMeter(0);
    const generator = new SimulatorPulseGenerator(sim);
    await generator.emit(1000, 25);
    await generator.emit(500, 25);
    expect(generator.emitted).toBe(1500);
    expect(sim.display()).toMatchObject({ pulses: 1500, distance: '1500' });
    expect(generator.description).toMatch(/simulat/);
  });

  it('drives a distance at a speed through any generator, at the bench constant k', async () => {
    expect(pulsesForDistance(1000, 640)).toBe(640);
    expect(pulsesForDistance('2500', '637')).toBe(1593); // 1592.5 rounds half-up
    expect(pulseRateForSpeed(36, 1000)).toBe(10);
    const sim = await hiredMeter(0);
    sim.model.configure({ k: '640', distanceDisplayStep: '1' });
    const generator = new SimulatorPulseGenerator(sim);
    expect(await emitDistance(generator, 640, 5000, 60)).toBe(3200);
    // 3200 pulses at 10.67/s: 300 s on the meter's clock, all above the cross-over speed.
    expect(sim.display()).toMatchObject({
      distance: '5000',
      elapsedTime: '300',
      waitingTime: '0',
      fare: '16.0',
    });
  });

  it('in process: an abort stops the pulses and leaves emitted equal to what the meter counted', async () => {
    // 200 pulses at 20/s = 10 s of bench time, 1 s real at time scale 10.
    const sim = await hiredMeter(10);
    const generator = new SimulatorPulseGenerator(sim);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await rejectionOf(generator.emit(200, 20, controller.signal), ['MG_ERR_ABORTED']);
    expect(generator.emitted).toBeGreaterThan(0);
    expect(generator.emitted).toBeLessThan(200);
    expect(sim.display().pulses).toBe(generator.emitted);
  });

  it('in process: refuses a negative count or a zero rate with MG_ERR_INPUT_INVALID', async () => {
    const generator = new SimulatorPulseGenerator(await hiredMeter(0));
    await rejectionOf(generator.emit(-1, 10), ['MG_ERR_INPUT_INVALID']);
    await rejectionOf(generator.emit(10, 0), ['MG_ERR_INPUT_INVALID']);
  });

  it('over HTTP: emits in batches through POST /pulses', async () => {
    const sim = await hiredMeter(0);
    const control = await startTaximeterControlServer(sim);
    cleanup(() => control.close());
    const generator = new HttpPulseGenerator({ url: `${control.url}/pulses` });
    await generator.emit(1234, 100);
    expect(generator.emitted).toBe(1234);
    expect(sim.display().pulses).toBe(1234);
  });

  it('over HTTP: an abort takes effect between batches, with an exact count', async () => {
    // Batches of 20 pulses = 1 s bench time = 100 ms real at time scale 10.
    const sim = await hiredMeter(10);
    const control = await startTaximeterControlServer(sim);
    cleanup(() => control.close());
    const generator = new HttpPulseGenerator({ url: `${control.url}/pulses` });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 350);
    await rejectionOf(generator.emit(400, 20, controller.signal), ['MG_ERR_ABORTED']);
    expect(generator.emitted % 20).toBe(0);
    expect(generator.emitted).toBeGreaterThan(0);
    expect(sim.display().pulses).toBe(generator.emitted);
  });

  it('over HTTP: says which endpoint failed (refused connection, HTTP error)', async () => {
    const sim = await hiredMeter(0);
    const control = await startTaximeterControlServer(sim);
    const url = control.url;
    const notFound = new HttpPulseGenerator({ url: `${url}/no-such-route` });
    const error = await rejectionOf(notFound.emit(5, 5), ['MG_ERR_DEVICE_ERROR']);
    expect(error.message).toContain('/no-such-route');
    await control.close();
    const refused = await rejectionOf(new HttpPulseGenerator({ url: `${url}/pulses` }).emit(5, 5), [
      'MG_ERR_CONNECT_FAILED',
    ]);
    expect(refused.message).toContain(url);
  });
});
