/**
 * The API next to a running gateway, over a real socket: a simulated scale on a pseudo-terminal
 * polled by the GatewayService, the fleet and its live readings served from the scheduler and the
 * live fan-out, and a verification session taking its readings through the same driver the
 * scheduler polls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { Dec } from '../../drivers/decimal.js';
import { silentLogger } from '../../drivers/logger.js';
import { type ScaleSimulator, startScaleSimulator } from '../../simulators/scale/index.js';
import { parseGatewayConfig } from '../config/gateway-config.js';
import { GatewayService } from '../runtime/service.js';
import { TokenStore } from '../store/tokens.js';
import { changePointByStepping, type ScaleOperator } from '../verification/guided-scale.js';
import { type HttpServer, serveGateway } from './server.js';

let sim: ScaleSimulator;
let service: GatewayService;
let server: HttpServer;
let dataDir: string;
let token: string;

function simOperator(): ScaleOperator {
  let current = { load: '0', position: 'center' };
  return {
    async place(step, load, position) {
      if (step.kind === 'repeatability') sim.model.setLoad('0');
      current = { load, position };
      sim.model.setLoad(load, position);
    },
    findRoundingLoad: (_step, indication, weight, read) =>
      changePointByStepping(
        indication,
        weight,
        async (extra) => sim.model.setLoad(new Dec(current.load).plus(extra).toFixed(), current.position),
        read,
      ),
    async addExtraLoad(_step, extra) {
      sim.model.setLoad(new Dec(current.load).plus(extra).toFixed(), current.position);
    },
  };
}

beforeAll(async () => {
  sim = await startScaleSimulator({
    protocol: 'mt-sics',
    transport: 'pty',
    params: { max: '15', e: '0.005', d: '0.005', unit: 'kg', settlingMs: 0, seed: 3 },
  });
  if (sim.endpoint.kind !== 'serial') throw new Error('expected a pty');
  dataDir = mkdtempSync(join(tmpdir(), 'metrogate-http-service-'));
  const yaml = stringifyYaml({
    version: 1,
    gateway: { id: 'bench-gw', region: '涪城区' },
    devices: [
      {
        id: 'bench-1',
        driver: 'scale-mtsics',
        port: sim.endpoint.path,
        ...sim.line,
        instrumentId: 'SC-0042',
        pollIntervalMs: 100,
      },
    ],
    http: { port: 0, rateLimit: false },
  });
  const loaded = parseGatewayConfig(yaml, 'gateway.yaml');
  service = await GatewayService.start(loaded, { dataDir, logger: silentLogger() });
  token = new TokenStore(service.store).create({ role: 'technician', name: 'bench', actor: 'test' }).token;
  server = await serveGateway(service, silentLogger(), {}, { scaleAssist: () => simOperator() });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await service?.stop(1000);
  await sim?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });

describe('the API over a running gateway', () => {
  it('listens on the loopback address and reports the device polled online with its reading', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    sim.model.setLoad('2.5');
    let device: { state: string; readings: { value: string; quality: string }[]; polls: number } | undefined;
    for (let i = 0; i < 50; i++) {
      const body = (await (await api('/api/devices')).json()) as {
        gateway: string;
        devices: (typeof device)[];
      };
      expect(body.gateway).toBe('bench-gw');
      device = body.devices[0];
      if (device?.state === 'online' && device.readings[0]?.value === '2.500') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(device).toMatchObject({
      id: 'bench-1',
      driver: 'scale-mtsics',
      kind: 'scale',
      region: '涪城区',
      instrumentId: 'SC-0042',
      pollRateHz: 10,
      state: 'online',
      readings: [{ channel: 'weight', value: '2.500', unit: 'kg' }],
    });
    expect(device!.polls).toBeGreaterThan(0);
  });

  it('refuses a port already in use with MG_ERR_PORT_BUSY naming the address', async () => {
    const port = Number(new URL(server.url).port);
    const second = serveGateway(service, silentLogger(), { port, host: '127.0.0.1' });
    await expect(second).rejects.toMatchObject({
      code: 'MG_ERR_PORT_BUSY',
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
  });

  it('streams the readings the scheduler takes', async () => {
    const abort = new AbortController();
    const response = await fetch(`${server.url}/api/live?access_token=${token}`, { signal: abort.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!/event: reading\ndata: \{"device":"bench-1"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    abort.abort();
    expect(text).toMatch(/^retry: 3000\n\nevent: snapshot\ndata: \{"devices":\[\{"id":"bench-1"/);
    expect(text).toMatch(
      /event: reading\ndata: \{"device":"bench-1","channel":"weight","value":"\d+\.\d{3}","unit":"kg"/,
    );
  });

  it('runs a verification session through the driver the scheduler polls', async () => {
    let response = await api('/api/sessions', {
      method: 'POST',
      body: JSON.stringify({
        device: 'bench-1',
        instrument: { id: 'SC-0042', accuracyClass: 'III', max: '15', e: '0.005', unit: 'kg' },
      }),
    });
    expect(response.status).toBe(201);
    let session = (await response.json()) as { id: string; state: string; ruleSet: string };
    expect(session.ruleSet).toBe('JJG539-2016');
    while (session.state !== 'ready') {
      response = await api(`/api/sessions/${session.id}/capture`, { method: 'POST' });
      expect(response.status).toBe(200);
      session = (await response.json()) as typeof session;
      expect(session.state).not.toBe('failed');
    }
    const done = (await (await api(`/api/sessions/${session.id}/complete`, { method: 'POST' })).json()) as {
      record: { id: string; device: { driverId: string } };
      result: { verdict: string };
    };
    expect(done.record).toMatchObject({ id: 'VR-000001', device: { driverId: 'scale-mtsics' } });
    expect(['pass', 'fail']).toContain(done.result.verdict);
    // The scheduler kept polling the same scale meanwhile.
    const metrics = await (await api('/metrics')).text();
    expect(metrics).toMatch(/metrogate_polls_total\{device="bench-1"\} [1-9]\d*/);
    expect(metrics).toMatch(/metrogate_device_up\{device="bench-1",state="online"\} 1/);
  }, 60_000);
});
