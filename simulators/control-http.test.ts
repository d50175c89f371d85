import { afterEach, describe, expect, it } from 'vitest';
import { type ControlServer, startControlServer } from './control-http.js';
import { type ScaleSimulator, startScaleSimulator } from './scale/index.js';

describe('scale simulator control API', () => {
  let sim: ScaleSimulator | undefined;
  let control: ControlServer | undefined;
  afterEach(async () => {
    await control?.close();
    await sim?.close();
  });

  const start = async () => {
    sim = await startScaleSimulator({
      protocol: 'mt-sics',
      transport: 'memory',
      params: { max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0 },
    });
    control = await startControlServer(sim);
    return control.url;
  };
  const call = async (url: string, method: string, body?: unknown) => {
    const response = await fetch(url, {
      method,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('places a load at a position and reports the indication', async () => {
    const url = await start();
    const { status, body } = await call(`${url}/load`, 'POST', { load: '12.345', position: 'q2' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      trueLoad: '12.345',
      position: 'q2',
      indication: { net: '12.35', unit: 'kg', stable: true },
    });
  });

  it('changes the error model and presses keys', async () => {
    const url = await start();
    await call(`${url}/params`, 'POST', { spanError: '0.001' });
    await call(`${url}/load`, 'POST', { load: 10 });
    expect((await call(`${url}/state`, 'GET')).body).toMatchObject({ indication: { net: '10.01' } });
    const tare = await call(`${url}/tare`, 'POST');
    expect(tare.body).toMatchObject({ result: 'ok', indication: { net: '0.00', tare: '10.01' } });
  });

  it('injects and clears faults', async () => {
    const url = await start();
    expect((await call(`${url}/fault`, 'POST', { kind: 'silence', count: 0 })).body).toMatchObject({
      fault: { kind: 'silence' },
    });
    expect((await call(`${url}/fault`, 'DELETE')).body).toMatchObject({ fault: null });
  });

  it('answers bad input with 400 naming the field, unknown routes with 404, malformed JSON with 400', async () => {
    const url = await start();
    const bad = await call(`${url}/load`, 'POST', { load: 'heavy' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'MG_ERR_INPUT_INVALID', path: 'load' });
    expect((await call(`${url}/params`, 'POST', { colour: 'red' })).status).toBe(400);
    expect((await call(`${url}/nope`, 'GET')).status).toBe(404);
    expect((await call(`${url}/load`, 'POST', '{"load":')).status).toBe(400);
  });
});
