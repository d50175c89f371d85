/**
 * A seeded InfluxDB for the Grafana dashboards' test (dashboards/grafana/): what a gateway in
 * Mianyang would have written over the last days, produced by the gateway's own code wherever that
 * code exists, so that a dashboard query is tested against the points the gateway really writes:
 *
 * - readings of scales, a dispenser and a taximeter in several districts through ReadingPointMapper;
 * - health through gatewayPoint, with the extra counters `metrogate start` adds (GATEWAY_HEALTH_EXTRAS);
 * - verification records appended to a real store (hash chain and all) from benches that `evaluate`
 *   judged, and turned into points by the service's RecordExporter (pass and fail for every
 *   district × kind, under several rule sets);
 * - coverage rows (contracts.md §6) per district × kind × day for the nine districts of Mianyang.
 *   `coveragePointFromRow` maps them through the gateway's own `coveragePoint` (the one
 *   gateway/coverage/service.ts publishes with); the test checks it against MEASUREMENT_SCHEMAS.
 *
 * All of it goes into the store's SQLite outbox and reaches influxd through the gateway's InfluxSink.
 * Values come from a seeded generator: the same `now` gives the same points. The first value of
 * every dashboard variable (三台县, dispenser, JJG443-2023, pump-st-01: InfluxDB lists tag values
 * in byte order) has data for every panel, pass and fail included, so the test can demand rows
 * with those selected too.
 */
import type { Reading } from '../../drivers/contract.js';
import type { DeviceState, OutboxPoint, SchedulerStats } from '../../gateway/runtime/contracts.js';
import { RecordExporter } from '../../gateway/runtime/record-export.js';
import { InfluxSink } from '../../gateway/sinks/influx.js';
import { coveragePoint, gatewayPoint, ReadingPointMapper } from '../../gateway/sinks/points.js';
import type { NewVerificationRecord, RecordStandard } from '../../gateway/store/record-types.js';
import { MetrogateStore } from '../../gateway/store/store.js';
import { evaluate } from '../../gateway/verification/evaluate.js';
import type { InstrumentKind, RuleSetId } from '../../gateway/verification/types.js';
import { TEST_SOFTWARE, tempDataDir } from './records.js';

/** The nine county-level divisions of Mianyang (绵阳市). */
export const MIANYANG_DISTRICTS = [
  '涪城区',
  '游仙区',
  '安州区',
  '江油市',
  '三台县',
  '盐亭县',
  '梓潼县',
  '北川羌族自治县',
  '平武县',
] as const;

export const KINDS: readonly InstrumentKind[] = ['scale', 'dispenser', 'taximeter'];

export const GATEWAY_ID = 'mianyang-gw-01';

/**
 * Integer fields `GatewayService.writeHealth` adds to `gateway` points beyond gatewayPoint's own
 * (gateway/runtime/service.ts); the test checks that the service still names them.
 */
export const GATEWAY_HEALTH_EXTRAS = ['readings', 'bus_utilisation_permille'] as const;

/** A coverage row as `metrogate coverage --json` prints it (contracts.md §6); rates are decimal text. */
export interface CoverageRow {
  region: string;
  kind: InstrumentKind;
  inUse: number;
  due: number;
  inspected: number;
  inspectionRate: string | null;
  valid: number;
  validRate: string | null;
  overdue: number;
  passRate: string | null;
}

/**
 * A coverage row → one `coverage` point, by the gateway's own mapper (gateway/sinks/points.ts
 * `coveragePoint`, which gateway/coverage/service.ts publishes with).
 */
export function coveragePointFromRow(row: CoverageRow, at: Date): OutboxPoint {
  return coveragePoint(row, at);
}

/** mulberry32: small, seeded, good enough to vary test data. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** contracts.md §6: 4 places, half-up; null when the denominator is 0. */
function rate(numerator: number, denominator: number): string | null {
  if (denominator === 0) return null;
  return (Math.round((numerator / denominator) * 10_000) / 10_000).toFixed(4);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface SeedOptions {
  /** Points end one minute before this (influxd's own clock decides what `now()` is). */
  now: Date;
  /** Days of coverage and verification history (default 14). */
  days?: number;
  /** Hours of readings and health (default 48), one poll every `pollMinutes` (default 5). */
  hours?: number;
  pollMinutes?: number;
}

interface SeedDevice {
  id: string;
  kind: InstrumentKind;
  region: string;
  channels: { name: string; unit: string; value: (random: () => number) => string }[];
}

const DEVICES: readonly SeedDevice[] = [
  {
    id: 'scale-jy-01',
    kind: 'scale',
    region: '江油市',
    channels: [{ name: 'weight', unit: 'kg', value: (r) => (r() * 15).toFixed(3) }],
  },
  {
    id: 'scale-fc-02',
    kind: 'scale',
    region: '涪城区',
    channels: [
      { name: 'weight', unit: 'kg', value: (r) => (r() * 30).toFixed(2) },
      { name: 'zero', unit: '', value: (r) => (r() < 0.2 ? '1' : '0') },
    ],
  },
  {
    id: 'scale-st-03',
    kind: 'scale',
    region: '三台县',
    channels: [{ name: 'weight', unit: 'kg', value: (r) => (r() * 6).toFixed(3) }],
  },
  {
    id: 'pump-st-01',
    kind: 'dispenser',
    region: '三台县',
    channels: [
      { name: 'volume', unit: 'L', value: (r) => (r() * 60).toFixed(2) },
      { name: 'amount', unit: 'CNY', value: (r) => (r() * 470).toFixed(2) },
      { name: 'nozzle', unit: '', value: (r) => String(Math.floor(r() * 3)) },
      { name: 'status', unit: '', value: (r) => (r() < 0.5 ? 'idle' : 'filling') },
    ],
  },
  {
    id: 'taxi-yx-01',
    kind: 'taximeter',
    region: '游仙区',
    channels: [
      { name: 'distance', unit: 'm', value: (r) => String(Math.floor(r() * 20_000)) },
      { name: 'fare', unit: 'CNY', value: (r) => (8 + r() * 50).toFixed(2) },
    ],
  },
];

/** The devices whose readings are seeded. */
export const SEED_DEVICE_IDS: readonly string[] = DEVICES.map((device) => device.id);

const CHANNEL_TYPES: Record<string, 'decimal' | 'boolean' | 'integer' | 'text'> = {
  weight: 'decimal',
  zero: 'boolean',
  volume: 'decimal',
  amount: 'decimal',
  nozzle: 'integer',
  status: 'text',
  distance: 'decimal',
  fare: 'decimal',
};

function qualityOf(random: () => number, device: SeedDevice): Reading['quality'] {
  const draw = random();
  if (draw < 0.06) return 'unstable';
  if (draw < 0.08 && device.kind === 'scale') return 'overload';
  if (draw < 0.1) return 'comm-error';
  return 'good';
}

/** Readings and health: one poll of every device every `pollMinutes`, health at each poll. */
function livePoints(options: Required<SeedOptions>, random: () => number): OutboxPoint[] {
  const mapper = new ReadingPointMapper({ channelType: (_device, channel) => CHANNEL_TYPES[channel] });
  const end = options.now.getTime() - MINUTE;
  const step = options.pollMinutes * MINUTE;
  const polls = Math.floor((options.hours * HOUR) / step);
  const points: OutboxPoint[] = [];
  const totals = { polls: 0, pollErrors: 0, skipped: 0, readings: 0, dropped: 0 };
  for (let i = polls; i >= 0; i--) {
    const at = new Date(end - i * step);
    const states: { id: string; state: DeviceState; consecutiveFailures: number }[] = [];
    for (const device of DEVICES) {
      totals.polls += 1;
      // The taximeter is away for a stretch of the first day (a taxi on the road), then back.
      const away = device.kind === 'taximeter' && i > polls / 2 && i < (polls * 3) / 4;
      if (away) {
        totals.pollErrors += 1;
        states.push({ id: device.id, state: i % 7 === 0 ? 'demoted' : 'offline', consecutiveFailures: 3 });
        continue;
      }
      states.push({ id: device.id, state: 'online', consecutiveFailures: 0 });
      const quality = qualityOf(random, device);
      const readings: Reading[] = device.channels.map((channel) => ({
        deviceId: device.id,
        channel: channel.name,
        value: quality === 'comm-error' ? '' : channel.value(random),
        unit: channel.unit,
        quality,
        ts: at,
      }));
      if (quality === 'comm-error') totals.pollErrors += 1;
      totals.readings += readings.length;
      points.push(...mapper.fromReadings(readings, { kind: device.kind, region: device.region }));
    }
    if (random() < 0.03) totals.skipped += 1;
    if (random() < 0.02) totals.dropped += 1;
    const scheduler: SchedulerStats = {
      polls: totals.polls,
      pollErrors: totals.pollErrors,
      skipped: totals.skipped,
      devices: states,
      buses: [{ bus: '/dev/ttyUSB0', polls: totals.polls, pollErrors: totals.pollErrors, busyMs: 0 }],
    };
    // An InfluxDB outage in the middle of the second day: the outbox fills, then drains.
    const outage = i > polls / 5 && i < polls / 4;
    points.push(
      gatewayPoint({
        gatewayId: GATEWAY_ID,
        at,
        scheduler,
        outbox: {
          depth: outage ? 200 + (polls - i) * 5 : Math.floor(random() * 20),
          dropped: totals.dropped,
        },
        extra: {
          readings: totals.readings,
          bus_utilisation_permille: 150 + Math.floor(random() * 250),
        } satisfies Record<(typeof GATEWAY_HEALTH_EXTRAS)[number], number>,
      }),
    );
  }
  return points;
}

const WEIGHT_SET: RecordStandard = {
  id: 'STD-M1-MY-01',
  kind: 'weight-set',
  description: 'M1 weight set 1 mg – 20 kg',
  certificateNumber: 'MY2026-0101',
  dueDate: '2099-12-31',
};
const STANDARD_CAN: RecordStandard = {
  id: 'STD-CAN-20L-MY',
  kind: 'can',
  description: 'standard can 20 L',
  certificateNumber: 'MY2026-0202',
  dueDate: '2099-12-31',
};
const PULSE_GENERATOR: RecordStandard = {
  id: 'STD-PG-MY',
  kind: 'pulse-generator',
  description: 'taximeter test bench',
  certificateNumber: 'MY2026-0303',
  dueDate: '2099-12-31',
};

/** A bench of `kind` under `ruleSet` whose errors pass (`pass`) or exceed the MPE. */
function bench(kind: InstrumentKind, ruleSet: RuleSetId, pass: boolean, random: () => number) {
  if (kind === 'scale') {
    const error = pass ? Math.floor(random() * 2) : 10 + Math.floor(random() * 10);
    return {
      ruleSet,
      stage: 'subsequent',
      instrument: { kind, accuracyClass: 'III', max: '15000', e: '5', d: '5', unit: 'g' },
      tests: [
        { test: 'zero', indication: '0' },
        ...[500, 2000, 5000, 15000].map((load) => ({
          test: 'weighing',
          load: String(load),
          indication: String(load + error),
        })),
      ],
    };
  }
  if (kind === 'dispenser') {
    const indicated = pass ? (20 + random() * 0.04).toFixed(2) : (20.1 + random() * 0.04).toFixed(2);
    return {
      ruleSet,
      stage: 'subsequent',
      instrument: {
        kind,
        fuel: 'gasoline',
        canMaterial: 'stainless-steel',
        ...(ruleSet === 'OIML-R117-1:2019' ? { accuracyClass: '0.5', mmq: '2', scaleInterval: '0.01' } : {}),
      },
      tests: ['max', 'max', 'max', 'min', 'min', 'min'].map((flow) => ({
        test: 'delivery',
        flow,
        indicatedVolume: indicated,
        referenceVolume: '20.00',
      })),
    };
  }
  const indicated = pass ? 1000 + Math.floor(random() * 8) : 1020 + Math.floor(random() * 20);
  return {
    ruleSet,
    stage: 'initial',
    instrument: { kind, k: '1000' },
    tests: [{ test: 'distance', indicatedDistance: String(indicated), trueDistance: '1000' }],
  };
}

const RULE_SETS: Record<InstrumentKind, readonly RuleSetId[]> = {
  scale: ['JJG539-2016', 'OIML-R76-1:2006'],
  dispenser: ['JJG443-2023', 'OIML-R117-1:2019'],
  taximeter: ['JJG517-2016'],
};

const STANDARDS: Record<InstrumentKind, RecordStandard> = {
  scale: WEIGHT_SET,
  dispenser: STANDARD_CAN,
  taximeter: PULSE_GENERATOR,
};

/**
 * Verification records, oldest first: for every district × kind two passes and one failure, on
 * different instruments and days, under the kind's rule sets in turn.
 */
function verificationRecords(options: Required<SeedOptions>, random: () => number): NewVerificationRecord[] {
  const end = options.now.getTime() - HOUR;
  const records: { at: number; record: NewVerificationRecord }[] = [];
  let n = 0;
  MIANYANG_DISTRICTS.forEach((region, r) => {
    KINDS.forEach((kind, k) => {
      for (let i = 0; i < 3; i++) {
        n += 1;
        const pass = i !== 1;
        // The first two (a pass and the failure) share a rule set, so that every district × kind ×
        // rule set a dashboard's first variable values pick has both verdicts.
        const ruleSet = RULE_SETS[kind][(r + Math.floor(i / 2)) % RULE_SETS[kind].length]!;
        const benchRecord = bench(kind, ruleSet, pass, random);
        const result = evaluate(benchRecord);
        if ((result.verdict === 'pass') !== pass) {
          throw new Error(`seed bench for ${kind} under ${ruleSet} did not ${pass ? 'pass' : 'fail'}`);
        }
        const at = end - Math.floor(random() * (options.days - 1) * DAY) - (r * 3 + k) * MINUTE;
        records.push({
          at,
          record: {
            instrument: {
              id: `MY-${String(r + 1).padStart(2, '0')}-${kind.slice(0, 2).toUpperCase()}-${String(n).padStart(4, '0')}`,
              kind,
              region,
            },
            bench: benchRecord,
            result,
            ...(pass ? { validUntil: '2099-01-01' } : {}),
            operator: `检定员 ${1 + (n % 4)}`,
            standards: [STANDARDS[kind]],
            performedAt: new Date(at).toISOString(),
          },
        });
      }
    });
  });
  return records.sort((a, b) => a.at - b.at).map((entry) => entry.record);
}

/**
 * Coverage rows per district × kind for each of the last `days` days (computed at 02:00 China time,
 * period = year to date): counts grow day by day; 平武县 has no taximeters, so its rates are null.
 */
export function coverageRows(options: Required<SeedOptions>): { at: Date; row: CoverageRow }[] {
  const random = seededRandom(0xc0ffee);
  const rows: { at: Date; row: CoverageRow }[] = [];
  const now = options.now.getTime();
  // 02:00 in UTC+8 is 18:00 UTC of the previous day.
  const today = Math.floor(now / DAY) * DAY - 6 * HOUR;
  const latest = today <= now - MINUTE ? today : today - DAY;
  const sizes: Record<InstrumentKind, number> = { scale: 400, dispenser: 60, taximeter: 40 };
  MIANYANG_DISTRICTS.forEach((region, r) => {
    for (const kind of KINDS) {
      const inUse =
        region === '平武县' && kind === 'taximeter' ? 0 : Math.round(sizes[kind] * (0.4 + random()));
      const dueShare = 0.5 + random() * 0.3;
      const finalInspection = 0.82 + random() * 0.16;
      for (let d = options.days - 1; d >= 0; d--) {
        const progress = (options.days - d) / options.days;
        const due = Math.round(inUse * dueShare * (0.9 + 0.1 * progress));
        const inspected = Math.min(due, Math.round(due * finalInspection * (0.85 + 0.15 * progress)));
        const valid = Math.min(inUse, Math.round(inUse * (0.8 + 0.15 * progress) - r));
        const verifications = inspected + Math.round(inspected * 0.1);
        const passes = Math.round(verifications * (0.9 + random() * 0.08));
        rows.push({
          at: new Date(latest - d * DAY),
          row: {
            region,
            kind,
            inUse,
            due,
            inspected,
            inspectionRate: rate(inspected, due),
            valid: Math.max(0, valid),
            validRate: rate(Math.max(0, valid), inUse),
            overdue: due - inspected,
            passRate: rate(passes, verifications),
          },
        });
      }
    }
  });
  return rows;
}

export interface SeededInflux {
  /** Points the sink wrote (readings, health, coverage, verification). */
  written: number;
  readings: number;
  verifications: number;
  /** The coverage rows written, with the time of their point. */
  coverage: { at: Date; row: CoverageRow }[];
}

/**
 * Fills `database` at `baseUrl` through a store's outbox and the gateway's InfluxSink; resolves
 * once every point was confirmed by influxd, and fails if the sink dropped any.
 */
export async function fillInflux(
  baseUrl: string,
  database: string,
  seed: SeedOptions,
): Promise<SeededInflux> {
  const options: Required<SeedOptions> = { days: 14, hours: 48, pollMinutes: 5, ...seed };
  const random = seededRandom(20260501);
  const data = tempDataDir('metrogate-grafana-');
  const store = MetrogateStore.open({ dataDir: data.dir, software: TEST_SOFTWARE });
  const sink = new InfluxSink({
    url: `${baseUrl}/${encodeURIComponent(database)}`,
    outbox: store.outbox,
    idleIntervalMs: 20,
    retry: { initialMs: 50, maxMs: 500, jitterMs: 20 },
  });
  try {
    const live = livePoints(options, random);
    store.outbox.append(live);
    const records = verificationRecords(options, random);
    for (const record of records) store.records.append(record);
    const exported = new RecordExporter(store, { influx: true }).exportNew();
    const coverage = coverageRows(options);
    store.outbox.append(coverage.map(({ row, at }) => coveragePointFromRow(row, at)));
    const total = store.outbox.depth();

    await sink.start();
    const deadline = Date.now() + 20_000;
    while (store.outbox.depth() > 0) {
      if (Date.now() > deadline) {
        throw new Error(`influxd took too long: ${JSON.stringify(sink.stats())}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stats = sink.stats();
    if (stats.dropped !== 0 || stats.written !== total) {
      throw new Error(`the sink did not write all ${total} seeded points: ${JSON.stringify(stats)}`);
    }
    return {
      written: total,
      readings: live.filter((point) => point.measurement === 'reading').length,
      verifications: exported,
      coverage,
    };
  } finally {
    await sink.stop();
    store.close();
    data.remove();
  }
}
