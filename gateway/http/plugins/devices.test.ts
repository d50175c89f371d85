import { get } from 'node:http';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetrogateError } from '../../../drivers/errors.js';
import type { ScheduledDevice } from '../../runtime/contracts.js';
import { fakeGateway, startTestApi, type TestApi } from '../test-support.js';

const scheduled = (id: string): ScheduledDevice =>
  ({
    id,
    bus: 'serial /dev/ttyUSB0',
    intervalMs: 500,
    timeoutMs: 300,
    meta: { kind: 'scale' },
  }) as ScheduledDevice;

/** Reads SSE events from a stream until `count` have arrived. */
async function readEvents(stream: Readable, count: number): Promise<{ event: string; data: unknown }[]> {
  const events: { event: string; data: unknown }[] = [];
  let buffer = '';
  for await (const chunk of stream) {
    buffer += String(chunk);
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
      if (events.length >= count) return events;
      end = buffer.indexOf('\n\n');
    }
  }
  return events;
}

describe('devices and live readings', () => {
  let api: TestApi;
  let gateway: ReturnType<typeof fakeGateway>;

  beforeEach(async () => {
    gateway = fakeGateway([
      { id: 'counter-1', region: '涪城区', instrumentId: 'SC-0042', polls: 120, pollErrors: 3 },
      { id: 'pump-1', driver: 'dispenser-dart', kind: 'dispenser', state: 'offline', pollIntervalMs: 1000 },
    ]);
    api = await startTestApi({ gateway });
  });
  afterEach(async () => {
    await api.close();
  });

  it('lists every device with its status, poll rate, errors and last reading', async () => {
    gateway.live.readings(scheduled('counter-1'), {
      readings: [
        {
          deviceId: 'counter-1',
          channel: 'weight',
          value: '1.250',
          unit: 'kg',
          quality: 'good',
          ts: new Date('2026-03-01T08:00:00Z'),
        },
      ],
      errors: [],
    });
    const response = await api.app.inject({
      method: 'GET',
      url: '/api/devices',
      headers: api.auth('technician'),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      gateway: 'test-gw',
      devices: [
        expect.objectContaining({
          id: 'counter-1',
          driver: 'scale-mtsics',
          state: 'online',
          pollRateHz: 2,
          polls: 120,
          pollErrors: 3,
          readings: [
            {
              device: 'counter-1',
              channel: 'weight',
              value: '1.250',
              unit: 'kg',
              quality: 'good',
              ts: '2026-03-01T08:00:00.000Z',
            },
          ],
        }),
        expect.objectContaining({ id: 'pump-1', state: 'offline', pollRateHz: 1, readings: [] }),
      ],
    });
  });

  it('shows one device with its recent readings, and 404 for an unknown one', async () => {
    for (const value of ['1.000', '1.005', '1.010']) {
      gateway.live.readings(scheduled('counter-1'), {
        readings: [
          { deviceId: 'counter-1', channel: 'weight', value, unit: 'kg', quality: 'good', ts: new Date() },
        ],
        errors: [],
      });
    }
    const one = await api.app.inject({
      method: 'GET',
      url: '/api/devices/counter-1',
      headers: api.auth('admin'),
    });
    expect(one.json().history.weight.map((r: { value: string }) => r.value)).toEqual([
      '1.000',
      '1.005',
      '1.010',
    ]);
    const none = await api.app.inject({
      method: 'GET',
      url: '/api/devices/ghost',
      headers: api.auth('admin'),
    });
    expect(none.statusCode).toBe(404);
    expect(none.json().error).toEqual({
      code: 'MG_ERR_NOT_FOUND',
      message: 'no device ghost',
      details: { device: 'ghost' },
    });
  });

  it('streams a snapshot, then readings, device states and poll errors as Server-Sent Events', async () => {
    const response = await api.app.inject({
      method: 'GET',
      url: `/api/live?device=counter-1&access_token=${api.tokens.technician}`,
      payloadAsStream: true,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const stream = response.stream();
    const reading = {
      deviceId: 'counter-1',
      channel: 'weight',
      value: '2.000',
      unit: 'kg',
      quality: 'unstable' as const,
      ts: new Date('2026-03-01T08:00:01Z'),
    };
    setImmediate(() => {
      // pump-1 is filtered out; counter-1's events arrive in order.
      gateway.live.readings(scheduled('pump-1'), {
        readings: [{ ...reading, deviceId: 'pump-1' }],
        errors: [],
      });
      gateway.live.readings(scheduled('counter-1'), { readings: [reading], errors: [] });
      gateway.live.deviceState(
        scheduled('counter-1'),
        'offline',
        new MetrogateError('MG_ERR_TIMEOUT', 'no answer on /dev/ttyUSB0'),
      );
      gateway.live.pollError(scheduled('counter-1'), new MetrogateError('MG_ERR_FRAME_GARBLED', 'garbage'));
    });
    const events = await readEvents(stream, 4);
    stream.destroy();
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'reading', 'device-state', 'poll-error']);
    expect((events[0]!.data as { devices: { id: string }[] }).devices.map((d) => d.id)).toEqual([
      'counter-1',
    ]);
    expect(events[1]!.data).toEqual({
      device: 'counter-1',
      channel: 'weight',
      value: '2.000',
      unit: 'kg',
      quality: 'unstable',
      ts: '2026-03-01T08:00:01.000Z',
    });
    expect(events[2]!.data).toMatchObject({
      device: 'counter-1',
      state: 'offline',
      error: { code: 'MG_ERR_TIMEOUT', message: 'no answer on /dev/ttyUSB0' },
    });
    expect(events[3]!.data).toMatchObject({ device: 'counter-1', error: { code: 'MG_ERR_FRAME_GARBLED' } });
  });

  it('limits open streams and releases a stream when its client goes away', async () => {
    await api.close();
    api = await startTestApi({ gateway, options: { maxLiveClients: 1 } });
    // Over a real socket: a client going away is a closed connection.
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const open = () =>
      new Promise<{ status: number; request: ReturnType<typeof get>; body: Readable }>((resolve, reject) => {
        const request = get(`${address}/api/live`, { headers: api.auth('admin') }, (response) =>
          resolve({ status: response.statusCode ?? 0, request, body: response }),
        );
        request.on('error', reject);
      });
    const first = await open();
    expect(first.status).toBe(200);
    await readEvents(first.body, 1);
    const second = await api.app.inject({ method: 'GET', url: '/api/live', headers: api.auth('admin') });
    expect(second.statusCode).toBe(429);
    expect(second.json().error.code).toBe('MG_ERR_RATE_LIMITED');
    first.request.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const third = await open();
    expect(third.status).toBe(200);
    third.request.destroy();
  });

  it('is closed to regulators, and answers an empty fleet when the gateway runs no devices', async () => {
    const regulator = await api.app.inject({
      method: 'GET',
      url: '/api/devices',
      headers: api.auth('regulator'),
    });
    expect(regulator.statusCode).toBe(403);
    const bare = await startTestApi();
    try {
      const response = await bare.app.inject({
        method: 'GET',
        url: '/api/devices',
        headers: bare.auth('admin'),
      });
      expect(response.json()).toEqual({ devices: [] });
    } finally {
      await bare.close();
    }
  });
});
