/**
 * `GET /metrics`: the gateway's health counters in the Prometheus text format (prom-client), read
 * from the service at each scrape: polls and poll errors per device, device state, bus utilisation,
 * readings taken, outbox depth and drops, each sink's counters, and the API's own request times.
 * Needs a technician or admin token unless `publicMetrics` is set (Prometheus sends one with
 * `authorization: { credentials: … }`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Counter, Gauge, type Registry } from 'prom-client';
import { BENCH } from '../auth.js';
import type { ApiContext, AreaOptions } from '../context.js';
import type { GatewayStats } from '../deps.js';

/** Sink stats exported as metrics: name in the sink's stats → metric suffix, and its type. */
const SINK_METRICS: readonly { stat: string; name: string; type: 'counter' | 'gauge'; help: string }[] = [
  { stat: 'connected', name: 'connected', type: 'gauge', help: '1 while the sink is connected' },
  { stat: 'written', name: 'points_written_total', type: 'counter', help: 'Points written to InfluxDB' },
  { stat: 'batches', name: 'batches_total', type: 'counter', help: 'Batches written to InfluxDB' },
  {
    stat: 'retries',
    name: 'retries_total',
    type: 'counter',
    help: 'Writes retried after a 5xx or network error',
  },
  {
    stat: 'dropped',
    name: 'points_dropped_total',
    type: 'counter',
    help: 'Points InfluxDB refused (4xx) and were dropped',
  },
  { stat: 'lagMs', name: 'lag_seconds', type: 'gauge', help: 'Age of the oldest point not yet delivered' },
  { stat: 'published', name: 'published_total', type: 'counter', help: 'Messages published to MQTT' },
  { stat: 'queued', name: 'queued', type: 'gauge', help: 'Durable MQTT events waiting for the broker' },
  {
    stat: 'droppedReadings',
    name: 'readings_dropped_total',
    type: 'counter',
    help: 'Live readings not published while the broker was away',
  },
  { stat: 'reconnects', name: 'reconnects_total', type: 'counter', help: 'Reconnections to the MQTT broker' },
];

function numeric(value: number | string | boolean | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

/** Counters computed elsewhere: set to the current total at each scrape. */
function setCounter<L extends string>(
  counter: Counter<L>,
  labels: Partial<Record<L, string>>,
  value: number,
): void {
  counter.inc(labels, Math.max(0, value));
}

export function registerGatewayMetrics(registry: Registry, api: ApiContext): void {
  // One snapshot per scrape, shared by every metric's collect().
  let snapshot: { at: number; stats: GatewayStats | undefined } = { at: -1, stats: undefined };
  const stats = (): GatewayStats | undefined => {
    const now = performance.now();
    if (now - snapshot.at > 50) snapshot = { at: now, stats: api.gateway?.stats() };
    return snapshot.stats;
  };
  const registers = [registry];

  type DeviceStats = NonNullable<GatewayStats['scheduler']['devices']>[number];
  const deviceCounters: { name: string; help: string; value: (device: DeviceStats) => number }[] = [
    { name: 'metrogate_polls_total', help: 'Polls of a device (successful or not)', value: (d) => d.polls },
    {
      name: 'metrogate_poll_errors_total',
      help: 'Polls of a device that failed',
      value: (d) => d.pollErrors,
    },
    {
      name: 'metrogate_polls_skipped_total',
      help: 'Ticks skipped because the previous poll of the device was still running',
      value: (d) => d.skipped,
    },
  ];
  for (const metric of deviceCounters) {
    new Counter({
      name: metric.name,
      help: metric.help,
      labelNames: ['device'] as const,
      registers,
      collect() {
        this.reset();
        for (const device of stats()?.scheduler.devices ?? [])
          setCounter(this, { device: device.id }, metric.value(device));
      },
    });
  }
  new Gauge({
    name: 'metrogate_device_up',
    help: '1 while the device answers its polls (online), 0 when offline or demoted',
    labelNames: ['device', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const device of stats()?.scheduler.devices ?? [])
        this.set({ device: device.id, state: device.state }, device.state === 'online' ? 1 : 0);
    },
  });
  type BusStats = NonNullable<GatewayStats['scheduler']['buses']>[number];
  const busGauges: { name: string; help: string; value: (bus: BusStats) => number }[] = [
    {
      name: 'metrogate_bus_utilisation_ratio',
      help: 'Share of time the bus spent in transactions since start (0–1)',
      value: (bus) => bus.utilisation,
    },
    { name: 'metrogate_bus_queued', help: 'Polls waiting for the bus', value: (bus) => bus.queued },
  ];
  for (const metric of busGauges) {
    new Gauge({
      name: metric.name,
      help: metric.help,
      labelNames: ['bus'] as const,
      registers,
      collect() {
        this.reset();
        for (const bus of stats()?.scheduler.buses ?? []) this.set({ bus: bus.bus }, metric.value(bus));
      },
    });
  }
  new Counter({
    name: 'metrogate_readings_taken_total',
    help: 'Readings committed to the outbox',
    registers,
    collect() {
      this.reset();
      setCounter(this, {}, stats()?.readingsTaken ?? 0);
    },
  });
  new Gauge({
    name: 'metrogate_outbox_depth',
    help: 'Points in the outbox waiting for InfluxDB',
    registers,
    collect() {
      this.set(stats()?.outboxDepth ?? api.store.outbox.depth());
    },
  });
  new Counter({
    name: 'metrogate_outbox_dropped_total',
    help: 'Points dropped because the outbox reached its size cap',
    registers,
    collect() {
      this.reset();
      setCounter(this, {}, stats()?.outboxDropped ?? api.store.outbox.dropped());
    },
  });
  new Gauge({
    name: 'metrogate_live_clients',
    help: 'Open Server-Sent-Event streams',
    registers,
    collect() {
      this.set(api.liveStreams.size);
    },
  });
  for (const metric of SINK_METRICS) {
    const name = `metrogate_sink_${metric.name}`;
    const collectInto = (set: (labels: { sink: string }, value: number) => void) => {
      for (const [sink, values] of Object.entries(stats()?.sinks ?? {})) {
        let value = numeric(values[metric.stat]);
        if (value === undefined) continue;
        if (metric.stat === 'lagMs') value /= 1000;
        set({ sink }, value);
      }
    };
    if (metric.type === 'counter') {
      new Counter({
        name,
        help: metric.help,
        labelNames: ['sink'] as const,
        registers,
        collect() {
          this.reset();
          collectInto((labels, value) => setCounter(this, labels, value));
        },
      });
    } else {
      new Gauge({
        name,
        help: metric.help,
        labelNames: ['sink'] as const,
        registers,
        collect() {
          this.reset();
          collectInto((labels, value) => this.set(labels, value));
        },
      });
    }
  }
}

export const metricsPlugin: FastifyPluginAsyncZod<AreaOptions> = async (app, { api }) => {
  registerGatewayMetrics(api.metrics, api);
  app.get(
    '/metrics',
    {
      config: { access: api.options.publicMetrics ? 'public' : BENCH },
      schema: {
        tags: ['metrics'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const text = await api.metrics.metrics();
      return reply.type(api.metrics.contentType).send(text);
    },
  );
};
