/**
 * Devices going away under `metrogate start` (issue 5): a serial scale unplugged (its socat pair
 * killed) and plugged back goes offline and online again on its retained MQTT device status, while
 * the scales on the other lines keep their rate; on one shared Modbus RTU line (wire time emulated)
 * a unit id that never answers is demoted and then costs the live units no more than its retries.
 * Rates are counted from the points in InfluxDB, whose timestamps are the gateway's poll times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCleanup } from './helpers/cleanup.js';
import { type Fleet, gatewayConfig, startFleet, useGateways } from './helpers/gateway.js';
import { type Influxd, startInfluxd } from './helpers/influxd.js';
import { type MosquittoBroker, readRetained, recordMessages, startMosquitto } from './helpers/mosquitto.js';

const cleanup = useCleanup();
const startGateway = useGateways();
const PREFIX = 'metrogate/gw-unplug';
const SERIAL_INTERVAL_MS = 200;
const RTU_INTERVAL_MS = 150;
const DEAD_TIMEOUT_MS = 100;
const BACKOFF_MS = 1000;
const DEAD_UNIT = 9;
const UNPLUGGED_MS = 3000;

let fleet: Fleet;
let influxd: Influxd;
let broker: MosquittoBroker;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  [fleet, influxd, broker] = await Promise.all([
    startFleet({
      serialScales: [{ protocol: 'mt-sics', count: 3 }],
      // Line 1 has a unit id nobody answers; line 2, the same live units without it, is the baseline.
      modbusRtuLines: [{ live: 3, deadUnits: [DEAD_UNIT] }, { live: 3 }],
    }),
    startInfluxd(),
    startMosquitto(),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([fleet?.close(), influxd?.stop(), broker?.stop()]);
});

/** Points per device with poll times in [from, to) (ms since the epoch). */
async function countsBetween(database: string, from: number, to: number): Promise<Record<string, number>> {
  const result = await influxd.query(
    `SELECT count(quality) FROM reading WHERE time >= ${from}ms AND time < ${to}ms GROUP BY device`,
    database,
  );
  return Object.fromEntries(
    (result.series ?? []).map((series) => [series.tags!.device!, Number(series.values[0]?.[1] ?? 0)]),
  );
}

describe('metrogate start with devices unplugged and a dead unit on a shared RTU line', () => {
  it('an unplugged scale goes offline then online, the other lines keep their rate, the dead unit costs only its retries', async () => {
    const database = 'unplug';
    const devices = fleet.devices.map((device) =>
      String(device.id).startsWith('rtu')
        ? {
            ...device,
            pollIntervalMs: RTU_INTERVAL_MS,
            // Generous for the live units (the simulators share this busy process); the dead unit's
            // timeout is what each of its retries costs the line.
            timeoutMs: device.id === `rtu1-${DEAD_UNIT}` ? DEAD_TIMEOUT_MS : 500,
          }
        : { ...device, pollIntervalMs: SERIAL_INTERVAL_MS, timeoutMs: 1000 },
    );
    const statuses = await recordMessages(broker.url, [`${PREFIX}/devices/+/status`]);
    cleanup(() => statuses.close());
    const stateOf = (device: string) =>
      statuses.messages
        .filter((m) => m.topic === `${PREFIX}/devices/${device}/status`)
        .map((m) => JSON.parse(m.payload) as { state: string; code?: string; ts: string });
    const gateway = await startGateway({
      config: gatewayConfig({
        id: 'gw-unplug',
        devices,
        influxUrl: `${influxd.baseUrl}/${database}`,
        mqttUrl: broker.url,
        scheduler: {
          failuresBeforeDemotion: 3,
          backoff: { initialMs: BACKOFF_MS, maxMs: BACKOFF_MS, factor: 1 },
        },
      }),
    });
    const demoted = await statuses.waitFor(
      (m) => m.topic === `${PREFIX}/devices/rtu1-${DEAD_UNIT}/status` && m.payload.includes('"demoted"'),
      15_000,
    );
    for (const id of ['mt-sics-1', 'mt-sics-2', 'mt-sics-3'])
      await statuses.waitFor(
        (m) => m.topic === `${PREFIX}/devices/${id}/status` && m.payload.includes('"online"'),
      );
    const demotedAt = Date.parse((JSON.parse(demoted.payload) as { ts: string }).ts);
    // Steady polling for a window as long as the outage, the baseline of the other scales' rate.
    await sleep(UNPLUGGED_MS + 500);

    const unpluggedAt = Date.now();
    await fleet.simulators.get('mt-sics-3')!.disconnect(UNPLUGGED_MS);
    const pluggedAt = Date.now();
    await statuses.waitFor(
      (m) =>
        m.topic === `${PREFIX}/devices/mt-sics-3/status` &&
        m.payload.includes('"online"') &&
        Date.parse(JSON.parse(m.payload).ts) >= pluggedAt - 500,
      15_000,
    );
    await sleep(1000);
    const stoppingAt = Date.now();
    const summary = await gateway.terminate();
    expect(summary.pointsLeft).toBe(0);

    // The unplugged scale: online, offline (with the error that says why), …, online again.
    const third = stateOf('mt-sics-3').map((s) => s.state);
    expect(third[0]).toBe('online');
    expect(third.slice(1, -1)).toContain('offline');
    expect(third.at(-1)).toBe('online');
    expect(stateOf('mt-sics-3').find((s) => s.state === 'offline')?.code).toMatch(
      /^MG_ERR_(TIMEOUT|PORT_CLOSED|PORT_DISCONNECTED|NOT_CONNECTED)$/,
    );
    expect(gateway.logs().some((l) => l.device === 'mt-sics-3' && l.msg === 'device offline')).toBe(true);
    expect(
      JSON.parse((await readRetained(broker.url, `${PREFIX}/devices/mt-sics-3/status`)) ?? '{}'),
    ).toMatchObject({
      state: 'online',
    });

    // The scales on the other lines kept their rate through the outage: compared with the same
    // scales over an equally long window just before it (same machine, same moment; no absolute
    // rate is asserted on a shared machine; half is the margin for a load spike, a scale held up by
    // its neighbour's dead line would read next to nothing), never changing state; the unplugged one
    // read nothing once its line was gone.
    const span = pluggedAt - unpluggedAt;
    const [before, outage] = await Promise.all([
      countsBetween(database, unpluggedAt - span, unpluggedAt),
      countsBetween(database, unpluggedAt, pluggedAt),
    ]);
    for (const id of ['mt-sics-1', 'mt-sics-2']) {
      expect(before[id], id).toBeGreaterThan(0);
      expect(
        outage[id],
        `${id}: ${outage[id]} readings while unplugged vs ${before[id]} before`,
      ).toBeGreaterThanOrEqual(Math.floor(before[id]! * 0.5));
    }
    expect((await countsBetween(database, unpluggedAt + 1000, pluggedAt - 200))['mt-sics-3'] ?? 0).toBe(0);

    // The dead unit: demoted (timeouts), retried once per back-off. Each retry can hold a live unit
    // of its line past one slot, so each loses at most one poll per retry more than the same units
    // on the line without a dead unit (the baseline: same machine, same moment), plus a tenth of
    // the slots for the two lines' scheduling noise on a loaded machine (a dead unit not demoted
    // would cost each live unit far more: its 100 ms timeout in every 150 ms cycle).
    const from = demotedAt + 500;
    const to = stoppingAt - 200;
    const window = await countsBetween(database, from, to);
    const slots = Math.floor((to - from) / RTU_INTERVAL_MS);
    const retries = Math.ceil((to - from) / (BACKOFF_MS + DEAD_TIMEOUT_MS)) + 1;
    const baselineLoss = Math.max(...[1, 2, 3].map((unit) => slots - (window[`rtu2-${unit}`] ?? 0)));
    const noise = Math.ceil(slots * 0.1);
    // The baseline line polled (the comparison means something), whatever the machine's load.
    expect(baselineLoss, 'line 2 (no dead unit) polled').toBeLessThan(slots);
    for (const unit of [1, 2, 3]) {
      const loss = slots - (window[`rtu1-${unit}`] ?? 0);
      expect(loss, `rtu1-${unit} lost ${loss} of ${slots} slots`).toBeLessThanOrEqual(
        baselineLoss + retries + noise,
      );
    }
    expect(window[`rtu1-${DEAD_UNIT}`] ?? 0).toBe(0);
    expect(stateOf(`rtu1-${DEAD_UNIT}`)[1]?.code).toBe('MG_ERR_TIMEOUT');

    // Nobody but the unplugged scale and the dead unit ever changed state.
    const others = ['mt-sics-1', 'mt-sics-2', 'rtu1-1', 'rtu1-2', 'rtu1-3', 'rtu2-1', 'rtu2-2', 'rtu2-3'];
    const histories = Object.fromEntries(
      [...others, `rtu1-${DEAD_UNIT}`].map((id) => [id, stateOf(id).map((s) => s.state)]),
    );
    expect(histories).toEqual({
      ...Object.fromEntries(others.map((id) => [id, ['online']])),
      [`rtu1-${DEAD_UNIT}`]: ['offline', 'demoted'],
    });
  }, 60_000);
});
