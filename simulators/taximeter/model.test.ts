/**
 * The meter model against metrology-rules.md §3: distance from pulses and k, the errors it can be
 * given, time, modes S and D around the cross-over speed, the night tariff, the trip record, and a
 * cross-check with the verification engine's fare (computed there in closed form, here step by step).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../drivers/decimal.js';
import { expectedFare, fareOf } from '../../gateway/verification/taximeter/fare.js';
import { tariffSchema } from '../../gateway/verification/taximeter/schema.js';
import { TaximeterModel, type TaximeterModelParamsInput } from './model.js';

const CLOCK = '2026-03-02T10:00:00';

function meter(params: TaximeterModelParamsInput = {}): TaximeterModel {
  return new TaximeterModel({ clock: CLOCK, distanceDisplayStep: '1', ...params });
}

/** T9 of metrology-rules.md §3(f): 30.00/h, 2.00/km, v_c = 15 km/h, no flag fall. */
const T9 = {
  flagFall: '0',
  includedDistance: '0',
  distanceRate: '2.00',
  timeRate: '30.00',
  fareResolution: '0.01',
} as const;

describe('distance', () => {
  it('shows N × 1000 / k m for N bench pulses (k = 640: 640 pulses = 1000 m, 639 = 998.4 m)', () => {
    const m = meter({ k: '640' });
    m.startTrip();
    m.feedPulses(639, 30);
    expect(m.display().distance).toBe('998');
    m.feedPulses(1, 1);
    expect(m.display()).toMatchObject({ distance: '1000', pulses: 640 });
  });

  it('shows the distance truncated to its display step (0.1 km by default)', () => {
    const m = new TaximeterModel({ clock: CLOCK });
    m.startTrip();
    m.feedPulses(1099, 60);
    expect(m.display().distance).toBe('1000');
    m.feedPulses(1, 1);
    expect(m.display().distance).toBe('1100');
  });

  it('adds its own distance error (bench): +0.5 % shows 1005 m for k pulses', () => {
    const m = meter({ k: '1000', distanceErrorPercent: '0.5' });
    m.startTrip();
    m.feedPulses(1000, 50);
    expect(m.display().distance).toBe('1005');
  });

  it('over-reads when the vehicle makes more pulses per km than programmed (installation)', () => {
    const m = meter({ k: '1000', vehicleK: '1010' });
    m.startTrip();
    m.drive(60, 1000);
    expect(m.display().distance).toBe('1010');
    expect(m.snapshot()).toMatchObject({ truth: { distance: '1000', pulses: 1010 } });
  });

  it('keeps the fraction of a pulse between drives', () => {
    const m = meter({ k: '1000', vehicleK: '999' });
    m.startTrip();
    for (let i = 0; i < 10; i++) m.drive(10, 100);
    // 1000 true m × 999 / 1000 = 999 pulses exactly, not 10 × floor(99.9).
    expect(m.display().pulses).toBe(999);
  });
});

describe('time', () => {
  it('counts waiting time on its own clock: +0.1 % shows 600.6 s for 600 s', () => {
    const m = meter({ timeErrorPercent: '0.1', timeDisplayStep: '0.1' });
    m.startTrip();
    m.wait(600);
    expect(m.display()).toMatchObject({ waitingTime: '600.6', elapsedTime: '600.6' });
  });

  it('counts no waiting time above the cross-over speed, all of it below', () => {
    const m = meter({ tariff: T9 });
    m.startTrip();
    m.drive(60, 500); // 30 km/h > 15 km/h
    expect(m.display().waitingTime).toBe('0');
    m.drive(60, 100); // 6 km/h
    expect(m.display().waitingTime).toBe('60');
  });

  it('keeps the wall clock of the meter, across midnight and with its rate error', () => {
    const m = new TaximeterModel({ clock: '2026-12-31T23:59:30', timeErrorPercent: '10' });
    m.wait(100);
    expect(m.clock()).toBe('2027-01-01T00:01:20');
  });
});

describe('fare modes (MID MI-007)', () => {
  it('T9: 10 min at 6 km/h costs 5.00 in mode S (time only) and 7.00 in mode D', () => {
    for (const [mode, fare] of [
      ['S', '5.00'],
      ['D', '7.00'],
    ] as const) {
      const m = meter({ k: '1000', tariff: { ...T9, mode } });
      m.startTrip();
      m.drive(600, 1000);
      expect(m.display().fare, mode).toBe(fare);
    }
  });

  it('charges distance only above v_c in mode S: 5 km in 300 s from a 10.00 flag fall covering 2 km', () => {
    const m = meter({
      k: '640',
      tariff: {
        flagFall: '10.00',
        includedDistance: '2000',
        distanceRate: '2.00',
        timeRate: '30.00',
        mode: 'S',
      },
    });
    m.startTrip();
    m.drive(300, 5000);
    expect(m.display().fare).toBe('16.0');
  });

  it('lets the flag fall buy waiting time too in mode S: 1080 s at standstill costs 15.0', () => {
    const m = meter({
      tariff: { flagFall: '10.00', includedDistance: '2000', distanceRate: '2.00', timeRate: '30.00' },
    });
    m.startTrip();
    m.wait(479);
    expect(m.display().fare).toBe('10.0');
    m.wait(601);
    expect(m.display().fare).toBe('15.0');
  });

  it('charges both in mode D, distance only beyond the included distance: 5 km in 600 s costs 21.0', () => {
    const m = meter({
      tariff: {
        flagFall: '10.00',
        includedDistance: '2000',
        distanceRate: '2.00',
        timeRate: '30.00',
        mode: 'D',
      },
    });
    m.startTrip();
    m.drive(600, 5000);
    expect(m.display().fare).toBe('21.0');
  });

  it('rounds the shown fare as configured', () => {
    // 10.00 + 15 s × 60.00/h = 10.25
    const shown = (fareRounding: 'half-up' | 'down' | 'up') => {
      const m = meter({
        tariff: { flagFall: '10', includedDistance: '0', timeRate: '60', mode: 'D', fareRounding },
      });
      m.startTrip();
      m.wait(15);
      return m.display().fare;
    };
    expect([shown('half-up'), shown('down'), shown('up')]).toEqual(['10.3', '10.2', '10.3']);
  });

  it('shows an exact fare: no binary rounding at a fare boundary (k = 637)', () => {
    const m = meter({
      k: '637',
      tariff: {
        flagFall: '0',
        includedDistance: '0',
        distanceRate: '1',
        timeRate: '0',
        fareRounding: 'down',
      },
    });
    m.startTrip();
    m.feedPulses(637, 10);
    expect(m.display().fare).toBe('1.0');
  });
});

describe('night tariff', () => {
  const NIGHT = {
    flagFall: '10.00',
    nightFlagFall: '12.00',
    includedDistance: '0',
    timeRate: '30.00',
    mode: 'D' as const,
    fareResolution: '0.01',
    nightStart: '23:00',
    nightEnd: '05:00',
    nightSurchargePercent: '50',
  };

  it('switches rates at nightStart on the meter clock; the flag fall is the one at hire', () => {
    const m = meter({ clock: '2026-03-02T22:59:00', tariff: NIGHT });
    m.startTrip();
    expect(m.display().period).toBe('day');
    m.wait(120);
    // 10.00 + 60 s at 30.00/h + 60 s at 45.00/h
    expect(m.display()).toMatchObject({ fare: '11.25', period: 'night' });
  });

  it('takes the night flag fall for a hire at night, and night runs past midnight to nightEnd', () => {
    const m = meter({ clock: '2026-03-03T04:58:00', tariff: NIGHT });
    m.startTrip();
    m.wait(240);
    // 12.00 + 120 s at 45.00/h + 120 s at 30.00/h
    expect(m.display()).toMatchObject({ fare: '14.50', period: 'day' });
  });

  it('has no night without a surcharge or a night flag fall', () => {
    const m = meter({ clock: '2026-03-02T23:30:00', tariff: { nightSurchargePercent: '0' } });
    expect(m.display().period).toBe('day');
  });
});

describe('trips and records', () => {
  it('records a trip in the units of JT/T 905, with the empty distance driven before it', () => {
    const m = meter({
      k: '1000',
      tripCounter: 41,
      plate: 'AA3333',
      paymentType: 1,
      tariff: { surcharge: '1.00', fareResolution: '0.01', flagFall: '12.34', includedDistance: '5000' },
    });
    m.drive(600, 3456);
    m.startTrip();
    m.drive(30, 1099);
    m.wait(150);
    const record = m.stopTrip()!;
    expect(record).toMatchObject({
      tripNumber: 42,
      plate: 'AA3333',
      boarding: '2026-03-02T10:10:00',
      alighting: '2026-03-02T10:13:00',
      distanceTenthsKm: 10,
      emptyDistanceTenthsKm: 34,
      surchargeTenths: 10,
      waitingSeconds: 150,
      fareTenths: 123,
      paymentType: 1,
      pulses: 1099,
    });
    expect(m.records).toHaveLength(1);
    expect(m.tripsRecorded).toBe(42);
  });

  it('freezes the display when stopped and clears it at the next hire', () => {
    const m = meter();
    m.startTrip();
    m.drive(60, 1000);
    m.stopTrip();
    const frozen = m.display();
    m.drive(60, 1000);
    expect(m.display()).toEqual(frozen);
    expect(frozen.state).toBe('stopped');
    m.startTrip();
    expect(m.display()).toMatchObject({ state: 'hired', distance: '0', pulses: 0 });
  });

  it('refuses a second hire and a stop while free; keeps storeCapacity records', () => {
    const m = meter({ storeCapacity: 2 });
    expect(m.stopTrip()).toBeUndefined();
    expect(m.startTrip()).toBe(true);
    expect(m.startTrip()).toBe(false);
    m.stopTrip();
    for (let i = 0; i < 2; i++) {
      m.startTrip();
      m.stopTrip();
    }
    expect(m.records.map((r) => r.tripNumber)).toEqual([2, 3]);
  });

  it('tells listeners of the start and the end of a trip', () => {
    const m = meter();
    const events: string[] = [];
    m.onEvent((event) =>
      events.push(event.type === 'trip-start' ? event.occupiedAt : `end ${event.record.tripNumber}`),
    );
    m.startTrip();
    m.wait(5);
    m.stopTrip();
    expect(events).toEqual([CLOCK, 'end 1']);
  });

  it('rejects nonsense parameters', () => {
    expect(() => meter({ k: '0' })).toThrow();
    expect(() => meter().configure({ tariff: { nightStart: '25:00' } })).toThrow();
    expect(() => meter().configure({ plate: 'TOO-LONG' })).toThrow();
  });
});

describe('against the verification engine (fare.ts)', () => {
  it('computes the same exact fare for uniform trips clearly on one side of v_c', () => {
    fc.assert(
      fc.property(
        fc.record({
          flagFall: fc.integer({ min: 0, max: 2000 }),
          includedDistance: fc.integer({ min: 0, max: 50 }),
          distanceRate: fc.integer({ min: 0, max: 500 }),
          timeRate: fc.integer({ min: 0, max: 9999 }),
          mode: fc.constantFrom('S' as const, 'D' as const),
        }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 15_000 }),
        (raw, duration, distance) => {
          const tariff = {
            flagFall: new Dec(raw.flagFall).div(100).toFixed(2),
            includedDistance: String(raw.includedDistance * 100),
            distanceRate: new Dec(raw.distanceRate).div(100).toFixed(2),
            timeRate: new Dec(raw.timeRate).div(100).toFixed(2),
            mode: raw.mode,
            fareResolution: '0.01',
          };
          // With k = 1000 a 1 s step counts floor or ceil of distance / duration pulses; keep
          // every step on the same side of v_c (compared × 1000 × 3600 without division).
          const rate = raw.distanceRate * 36;
          const slowest = Math.floor(distance / duration) * rate;
          const fastest = Math.ceil(distance / duration) * rate;
          if (
            raw.mode === 'S' &&
            !(fastest < raw.timeRate * 10 || (slowest >= raw.timeRate * 10 && slowest > 0))
          )
            return;
          const m = meter({ k: '1000', tariff });
          m.startTrip();
          m.drive(duration, distance);
          const simulated = new Dec((m.snapshot().truth as { trip: { exactFare: string } }).trip.exactFare);
          const engine = fareOf(
            expectedFare(tariffSchema.parse(tariff), new Dec(distance), new Dec(duration), 'exact'),
          );
          expect(simulated.minus(engine).abs().lessThan('1e-15'), `${simulated} vs ${engine}`).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never lowers the running fare during a trip', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ seconds: fc.integer({ min: 1, max: 120 }), metres: fc.integer({ min: 0, max: 3000 }) }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.constantFrom('S' as const, 'D' as const),
        (legs, mode) => {
          const m = meter({ tariff: { mode, fareResolution: '0.01' } });
          m.startTrip();
          let last = new Dec(0);
          for (const leg of legs) {
            m.drive(leg.seconds, leg.metres);
            const fare = new Dec(m.display().fare);
            expect(fare.greaterThanOrEqualTo(last)).toBe(true);
            last = fare;
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
