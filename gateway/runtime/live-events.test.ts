import { describe, expect, it } from 'vitest';
import type { PollResult, Reading } from '../../drivers/contract.js';
import type { ScheduledDevice } from './contracts.js';
import { type LiveEvent, LiveEvents } from './live-events.js';

const device = { id: 'scale-1' } as ScheduledDevice;

function poll(values: Record<string, string>, at: number): PollResult {
  const readings: Reading[] = Object.entries(values).map(([channel, value]) => ({
    deviceId: 'scale-1',
    channel,
    value,
    unit: 'kg',
    quality: 'good',
    ts: new Date(at),
  }));
  return { readings, errors: [] } as unknown as PollResult;
}

describe('LiveEvents', () => {
  it('keeps the last historyLength readings per channel, oldest first, and the latest of each', () => {
    const live = new LiveEvents({ historyLength: 3 });
    for (let i = 1; i <= 5; i++)
      live.readings(device, poll({ weight: `${i}.00`, zero: '0' }, Date.UTC(2026, 0, 1, 0, 0, i)));
    const history = live.historyOf('scale-1');
    expect(history.weight?.map((r) => [r.value, r.ts])).toEqual([
      ['3.00', '2026-01-01T00:00:03.000Z'],
      ['4.00', '2026-01-01T00:00:04.000Z'],
      ['5.00', '2026-01-01T00:00:05.000Z'],
    ]);
    expect(history.zero).toHaveLength(3);
    expect(live.latestOf('scale-1')).toEqual([
      {
        device: 'scale-1',
        channel: 'weight',
        value: '5.00',
        unit: 'kg',
        quality: 'good',
        ts: '2026-01-01T00:00:05.000Z',
      },
      {
        device: 'scale-1',
        channel: 'zero',
        value: '0',
        unit: 'kg',
        quality: 'good',
        ts: '2026-01-01T00:00:05.000Z',
      },
    ]);
    expect(live.latestOf('other')).toEqual([]);
    expect(live.historyOf('other')).toEqual({});
  });

  it('hands readings and states to listeners, and drops a listener that throws', () => {
    const live = new LiveEvents({ now: () => new Date(Date.UTC(2026, 0, 1)) });
    const seen: LiveEvent[] = [];
    const unsubscribe = live.subscribe((event) => seen.push(event));
    live.subscribe(() => {
      throw new Error('client gone');
    });
    expect(live.listenerCount).toBe(2);
    live.readings(device, poll({ weight: '1.50' }, Date.UTC(2026, 0, 1)));
    expect(live.listenerCount).toBe(1);
    live.deviceState(device, 'offline');
    expect(seen.map((e) => e.type)).toEqual(['reading', 'device-state']);
    expect(seen[0]).toMatchObject({ type: 'reading', reading: { channel: 'weight', value: '1.50' } });
    unsubscribe();
    live.readings(device, poll({ weight: '2.00' }, Date.UTC(2026, 0, 1)));
    expect(seen).toHaveLength(2);
    expect(live.latestOf('scale-1')[0]?.value).toBe('2.00');
  });

  it('keeps the unit and quality of each reading, also after hundreds of distinct ones', () => {
    const live = new LiveEvents({ historyLength: 4 });
    for (let i = 0; i < 600; i++) {
      const result = poll({ weight: `${i}` }, Date.UTC(2026, 0, 1, 0, 0, 0, i));
      const reading = result.readings[0] as { unit: string; quality: string };
      reading.unit = `u${i % 300}`;
      reading.quality = i % 2 ? 'unstable' : 'good';
      live.readings(device, result);
    }
    expect(live.historyOf('scale-1').weight?.map((r) => [r.value, r.unit, r.quality])).toEqual([
      ['596', 'u296', 'good'],
      ['597', 'u297', 'unstable'],
      ['598', 'u298', 'good'],
      ['599', 'u299', 'unstable'],
    ]);
  });
});
