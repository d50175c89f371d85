import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduledBusStats, ScheduledDeviceStats } from '../../scheduler/index.js';
import { fakeGateway, startTestApi, type TestApi } from '../test-support.js';

const device = (
  id: string,
  state: 'online' | 'offline',
  polls: number,
  pollErrors: number,
): ScheduledDeviceStats => ({
  id,
  bus: 'serial /dev/ttyUSB0',
  state,
  phase: 'idle',
  consecutiveFailures: 0,
  polls,
  pollErrors,
  skipped: 1,
});

const bus: ScheduledBusStats = {
  bus: 'serial /dev/ttyUSB0',
  polls: 150,
  pollErrors: 7,
  busyMs: 300,
  devices: 2,
  queued: 1,
  utilisation: 0.25,
  interFrameDelayMs: 0,
};

/** The value of one sample line `name{labels} value`. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('GET /metrics', () => {
  let api: TestApi | undefined;
  afterEach(async () => {
    await api?.close();
  });

  it("exports the gateway's health counters in the Prometheus format", async () => {
    const gateway = fakeGateway([], {
      readingsTaken: 1234,
      pollsFailed: 7,
      outboxDepth: 42,
      outboxDropped: 5,
      scheduler: {
        polls: 150,
        pollErrors: 7,
        skipped: 2,
        elapsedMs: 1200,
        devices: [device('counter-1', 'online', 100, 2), device('pump-1', 'offline', 50, 5)],
        buses: [bus],
      },
      sinks: {
        influxdb: { connected: true, written: 900, retries: 2, lagMs: 1500, url: 'http://x' },
        mqtt: { connected: false, published: 77, droppedReadings: 3 },
      },
    });
    api = await startTestApi({ gateway });
    const response = await api.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: api.auth('technician'),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    expect(text).toContain('# TYPE metrogate_polls_total counter');
    expect(sample(text, 'metrogate_polls_total{device="counter-1"}')).toBe(100);
    expect(sample(text, 'metrogate_poll_errors_total{device="pump-1"}')).toBe(5);
    expect(sample(text, 'metrogate_device_up{device="counter-1",state="online"}')).toBe(1);
    expect(sample(text, 'metrogate_device_up{device="pump-1",state="offline"}')).toBe(0);
    expect(sample(text, 'metrogate_bus_utilisation_ratio{bus="serial /dev/ttyUSB0"}')).toBe(0.25);
    expect(sample(text, 'metrogate_readings_taken_total')).toBe(1234);
    expect(sample(text, 'metrogate_outbox_depth')).toBe(42);
    expect(sample(text, 'metrogate_outbox_dropped_total')).toBe(5);
    expect(sample(text, 'metrogate_sink_connected{sink="influxdb"}')).toBe(1);
    expect(sample(text, 'metrogate_sink_connected{sink="mqtt"}')).toBe(0);
    expect(sample(text, 'metrogate_sink_points_written_total{sink="influxdb"}')).toBe(900);
    expect(sample(text, 'metrogate_sink_lag_seconds{sink="influxdb"}')).toBe(1.5);
    expect(sample(text, 'metrogate_sink_readings_dropped_total{sink="mqtt"}')).toBe(3);
    // The request that was just answered before this one is timed too.
    const again = await api.app.inject({ method: 'GET', url: '/metrics', headers: api.auth('admin') });
    expect(again.body).toMatch(
      /metrogate_http_request_duration_seconds_count\{method="GET",route="\/metrics",status="200"\} 1/,
    );
  });

  it('follows the counters between scrapes, and reads the outbox when no gateway runs', async () => {
    const stats = { readingsTaken: 1 };
    const gateway = fakeGateway([]);
    const original = gateway.stats;
    gateway.stats = () => ({ ...original(), readingsTaken: stats.readingsTaken });
    api = await startTestApi({ gateway });
    const first = await api.app.inject({ method: 'GET', url: '/metrics', headers: api.auth('admin') });
    expect(sample(first.body, 'metrogate_readings_taken_total')).toBe(1);
    stats.readingsTaken = 10;
    await new Promise((resolve) => setTimeout(resolve, 60));
    const second = await api.app.inject({ method: 'GET', url: '/metrics', headers: api.auth('admin') });
    expect(sample(second.body, 'metrogate_readings_taken_total')).toBe(10);
    await api.close();
    api = await startTestApi();
    const bare = await api.app.inject({ method: 'GET', url: '/metrics', headers: api.auth('admin') });
    expect(sample(bare.body, 'metrogate_outbox_depth')).toBe(0);
  });

  it('needs a technician or admin token unless configured public', async () => {
    api = await startTestApi();
    expect((await api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect(
      (await api.app.inject({ method: 'GET', url: '/metrics', headers: api.auth('regulator') })).statusCode,
    ).toBe(403);
    await api.close();
    api = await startTestApi({ options: { publicMetrics: true } });
    expect((await api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });
});
