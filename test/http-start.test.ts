/**
 * `metrogate start -c gateway.yaml --http-port 0` as its users run it (a child process through
 * bin/metrogate.js) over a small simulated fleet: the API comes up next to the polling gateway,
 * a token made by `metrogate token create` in another process opens it, the fleet, live readings and
 * /metrics show what the gateway polls, a regulator's token is refused the bench, and SIGTERM stops
 * both cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { type Fleet, gatewayConfig, startFleet, useGateways } from './helpers/gateway.js';

const startGateway = useGateways();
let fleet: Fleet;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  fleet = await startFleet({
    serialScales: [{ protocol: 'mt-sics', count: 1 }],
    modbusTcpScales: 2,
    pollIntervalMs: 200,
  });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('metrogate start --http-port', () => {
  it('serves the API next to the running gateway until SIGTERM', async () => {
    const gateway = await startGateway({
      config: gatewayConfig({ devices: fleet.devices }),
      args: ['--http-port', '0'],
    });
    const url = await until(
      '"HTTP API on" line',
      async () => /HTTP API on (http:\/\/\S+) /.exec(gateway.stderr())?.[1],
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const created = await runCli(['token', 'create', '--role', 'technician', '--data-dir', gateway.dataDir]);
    expect(created.code, created.stderr).toBe(0);
    const technician = created.stdout.trim();
    const regulator = (
      await runCli(['token', 'create', '--role', 'regulator', '--data-dir', gateway.dataDir])
    ).stdout.trim();
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });

    const health = await (await fetch(`${url}/api/health`)).json();
    expect(health).toMatchObject({ status: 'ok', database: 'ok', devices: { total: fleet.devices.length } });

    const ids = fleet.devices.map((device) => device.id as string).sort();
    const devices = await until('every device online with a reading', async () => {
      const body = (await (await fetch(`${url}/api/devices`, { headers: auth(technician) })).json()) as {
        devices: { id: string; state: string; readings: { value: string }[] }[];
      };
      return body.devices.length === ids.length &&
        body.devices.every((device) => device.state === 'online' && device.readings.length > 0)
        ? body.devices
        : undefined;
    });
    expect(devices.map((device) => device.id).sort()).toEqual(ids);

    // A live reading arrives on the stream (the token in the query, as an EventSource sends it).
    const abort = new AbortController();
    const live = await fetch(`${url}/api/live?access_token=${technician}`, { signal: abort.signal });
    expect(live.status).toBe(200);
    const reader = live.body?.getReader();
    let text = '';
    while (reader && !text.includes('event: reading')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    abort.abort();
    expect(text).toMatch(/event: reading\ndata: \{"device":"[^"]+","channel":/);

    const metrics = await (await fetch(`${url}/metrics`, { headers: auth(technician) })).text();
    for (const id of ids)
      expect(metrics).toMatch(new RegExp(`metrogate_polls_total\\{device="${id}"\\} [1-9]`));

    const refused = await fetch(`${url}/api/devices`, { headers: auth(regulator) });
    expect(refused.status).toBe(403);
    expect((await fetch(`${url}/api/records`, { headers: auth(regulator) })).status).toBe(200);

    const summary = await gateway.terminate();
    expect(summary.exitCode).toBe(0);
    expect(summary.readingsTaken).toBeGreaterThan(0);
    await expect(fetch(`${url}/api/health`)).rejects.toThrow();
  }, 90_000);
});
