/**
 * CoverageService against a real influxd and a real mosquitto: the `coverage` points of a full
 * computation land with their region and kind tags and the values of contracts.md §6, one point per
 * region × kind × day; a verification recorded afterwards — through another connection to the
 * database, as `metrogate verify` in another process writes it — is followed by position and
 * overwrites the day's point of its group only; the retained MQTT topic carries the row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COVERAGE_CONFIG } from '../gateway/config/gateway-config.js';
import { CoverageService, type CoverageSink, msUntilDaily } from '../gateway/coverage/index.js';
import { importHistory, importInstruments } from '../gateway/registry/import.js';
import type { OutboxPoint } from '../gateway/runtime/contracts.js';
import { InfluxSink } from '../gateway/sinks/influx.js';
import { MqttSink } from '../gateway/sinks/mqtt.js';
import type { MetrogateStore } from '../gateway/store/store.js';
import { useCleanup } from './helpers/cleanup.js';
import { type Influxd, startInfluxd } from './helpers/influxd.js';
import { type MosquittoBroker, readRetained, startMosquitto } from './helpers/mosquitto.js';
import { openTestStore, sampleRecord, tempDataDir } from './helpers/records.js';

const cleanup = useCleanup();
let influxd: Influxd;
let broker: MosquittoBroker;

beforeAll(async () => {
  [influxd, broker] = await Promise.all([startInfluxd(), startMosquitto()]);
});
afterAll(async () => {
  await Promise.all([influxd?.stop(), broker?.stop()]);
});

const REGISTER = [
  'id,kind,category,region,owner,site,status,registered,scrapped,period_months',
  'S-1,scale,电子计价秤,江油市,王记蔬菜,城东市场 1 号,in-use,2020-01-01,,',
  'S-2,scale,电子计价秤,江油市,李记水果,城东市场 2 号,in-use,2026-02-10,,',
  'D-1,dispenser,加油机,江油市,江油加油站,1 号岛,in-use,2020-01-01,,',
  'S-3,scale,电子计价秤,涪城区,赵记调料,农贸市场 8 号,in-use,2020-01-01,,',
].join('\n');
const HISTORY = [
  'instrument,date,verdict,record',
  'S-1,2025-03-15,pass,',
  'S-1,2026-03-15,pass,',
  'D-1,2025-10-31,pass,',
  'S-3,2025-01-10,pass,',
  'S-3,2026-05-01,pass,',
].join('\n');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('CoverageService', { timeout: 60_000 }, () => {
  it('writes coverage points to InfluxDB and retained rows to MQTT, and follows new records', async () => {
    const data = tempDataDir('metrogate-coverage-service-');
    cleanup(data.remove);
    const store: MetrogateStore = openTestStore(data.dir);
    cleanup(() => store.close());
    importInstruments(store, [REGISTER], { file: 'register.csv' });
    importHistory(store, [HISTORY], { file: 'history.csv' });

    const database = 'coverage_test';
    const influx = new InfluxSink({
      url: `${influxd.baseUrl}/${database}`,
      outbox: store.outbox,
      idleIntervalMs: 20,
      retry: { initialMs: 50, maxMs: 500, jitterMs: 20 },
    });
    await influx.start();
    cleanup(() => influx.stop());
    const mqtt = new MqttSink({ url: broker.url, gatewayId: 'gw-cov', db: store.db });
    await mqtt.start();
    cleanup(() => mqtt.stop());

    // 10:00 on 2026-06-30 on this machine's clock: the period is 2026-01-01 – 2026-06-30.
    const now = new Date(2026, 5, 30, 10, 0, 0);
    const service = CoverageService.start({
      databasePath: store.databasePath,
      config: DEFAULT_COVERAGE_CONFIG,
      outbox: store.outbox,
      mqtt,
      onPoints: () => influx.notify(),
      now: () => now,
      pollIntervalMs: 0,
    });
    cleanup(() => service.stop());
    await service.ready;
    expect(service.period).toEqual({ from: '2026-01-01', to: '2026-06-30' });

    const day = BigInt(new Date(2026, 5, 30).getTime()) * 1_000_000n;
    const series = async () => {
      const result = await influxd.query('SELECT * FROM coverage GROUP BY region, kind', database, 'ns');
      return Object.fromEntries(
        (result.series ?? []).map((s) => [
          `${s.tags?.region}/${s.tags?.kind}`,
          s.values.map((values) => Object.fromEntries(s.columns.map((column, i) => [column, values[i]]))),
        ]),
      );
    };
    const first = await until('three series', async () => {
      const found = await series();
      return Object.keys(found).length === 3 ? found : undefined;
    });
    const point = (fields: Record<string, number | null>) => [{ time: day.toString(), ...fields }];
    expect(first).toEqual({
      // S-1 due 2026-03-15 and verified that day; S-2 registered 2026-02-10, never verified.
      '江油市/scale': point({
        due: 2,
        verified_on_time: 1,
        inspection_rate: 0.5,
        valid: 1,
        valid_rate: 0.5,
        in_use: 2,
        overdue: 1,
        pass_rate: 1,
      }),
      // No verification in the period: no pass rate (null), so no such field.
      '江油市/dispenser': point({
        due: 1,
        verified_on_time: 0,
        inspection_rate: 0,
        valid: 0,
        valid_rate: 0,
        in_use: 1,
        overdue: 1,
        pass_rate: null,
      }),
      '涪城区/scale': point({
        due: 1,
        verified_on_time: 1,
        inspection_rate: 1,
        valid: 1,
        valid_rate: 1,
        in_use: 1,
        overdue: 0,
        pass_rate: 1,
      }),
    });
    const retained = await readRetained(broker.url, 'metrogate/gw-cov/coverage/江油市/scale', 5000);
    expect(JSON.parse(retained ?? '{}')).toMatchObject({
      region: '江油市',
      kind: 'scale',
      from: '2026-01-01',
      to: '2026-06-30',
      inspectionRate: '0.5',
      target: '0.9',
      meetsTarget: false,
    });

    // S-2 verified through another connection (another process would write the same way).
    const other = openTestStore(data.dir);
    other.records.append(
      sampleRecord(7, {
        instrument: { ...sampleRecord(7).instrument, id: 'S-2' },
        performedAt: '2026-06-29T15:00:00+08:00',
      }),
    );
    other.close();
    expect(service.check()).toBe(1);
    expect(service.counters).toMatchObject({ recomputations: 1, incrementalUpdates: 1 });
    const second = await until('the updated point', async () => {
      const found = await series();
      return found['江油市/scale']?.[0]?.verified_on_time === 2 ? found : undefined;
    });
    // Overwritten, not added: still one point per region × kind × day.
    expect(second['江油市/scale']).toEqual(
      point({
        due: 2,
        verified_on_time: 2,
        inspection_rate: 1,
        valid: 2,
        valid_rate: 1,
        in_use: 2,
        overdue: 0,
        pass_rate: 1,
      }),
    );
    expect(second['涪城区/scale']).toEqual(first['涪城区/scale']);
    const updated = await readRetained(broker.url, 'metrogate/gw-cov/coverage/江油市/scale', 5000);
    expect(JSON.parse(updated ?? '{}')).toMatchObject({
      inspected: 2,
      inspectionRate: '1',
      meetsTarget: true,
    });
    expect(service.check()).toBe(0);
  });

  it('recomputes in full after a bulk import or new instruments, and publishes without InfluxDB', async () => {
    const data = tempDataDir('metrogate-coverage-service-');
    cleanup(data.remove);
    const store: MetrogateStore = openTestStore(data.dir);
    cleanup(() => store.close());
    importInstruments(store, [REGISTER], { file: 'register.csv' });
    importHistory(store, [HISTORY], { file: 'history.csv' });
    const points: OutboxPoint[] = [];
    const events: { region: string; kind: string }[] = [];
    const sink: CoverageSink = { publishCoverage: (row) => events.push(row) };
    const service = CoverageService.start({
      databasePath: store.databasePath,
      config: DEFAULT_COVERAGE_CONFIG,
      outbox: { append: (more) => points.push(...more) },
      mqtt: sink,
      now: () => new Date(2026, 5, 30, 10, 0, 0),
      pollIntervalMs: 0,
      incrementalLimit: 1,
    });
    cleanup(() => service.stop());
    await service.ready;
    expect(points.map((p) => `${p.tags.region}/${p.tags.kind}`).sort()).toEqual([
      '江油市/dispenser',
      '江油市/scale',
      '涪城区/scale',
    ]);
    expect(events).toHaveLength(3);

    // Two rows at once with a limit of one: a bulk import, recomputed in full.
    importHistory(store, ['instrument,date,verdict\nS-2,2026-06-01,pass\nD-1,2026-06-02,fail\n'], {
      file: 'more.csv',
    });
    expect(service.check()).toBe(0);
    await service.recompute();
    expect(service.counters).toMatchObject({ recomputations: 2, incrementalUpdates: 0 });
    expect(service.rows()?.find((row) => row.kind === 'dispenser')).toMatchObject({
      inspected: 1,
      passRate: '0',
    });

    // A new instrument in the register: recomputed in full too (its region appears).
    importInstruments(
      store,
      [
        'id,kind,category,region,owner,site,status,registered,scrapped,period_months\nT-1,taximeter,计价器,平武县,平武出租,川B-1,in-use,2026-03-01,,',
      ],
      {
        file: 'new.csv',
      },
    );
    service.check();
    await service.recompute();
    expect(service.counters.recomputations).toBe(3);
    expect(service.rows()?.map((row) => row.region)).toContain('平武县');

    // Without an outbox (no InfluxDB configured) only MQTT gets the rows.
    const quiet = CoverageService.start({
      databasePath: store.databasePath,
      config: DEFAULT_COVERAGE_CONFIG,
      mqtt: sink,
      now: () => new Date(2026, 5, 30, 10, 0, 0),
      pollIntervalMs: 0,
    });
    await quiet.ready;
    await quiet.stop();
    expect(quiet.counters).toMatchObject({ recomputations: 1, pointsWritten: 0 });
  });

  it('schedules the daily recomputation at the next local HH:MM', () => {
    expect(msUntilDaily(new Date(2026, 5, 30, 1, 0, 0), '02:00')).toBe(3_600_000);
    expect(msUntilDaily(new Date(2026, 5, 30, 2, 0, 0), '02:00')).toBe(24 * 3_600_000);
    expect(msUntilDaily(new Date(2026, 5, 30, 23, 30, 0), '00:15')).toBe(45 * 60_000);
  });
});
