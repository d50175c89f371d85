import { describe, expect, it } from 'vitest';
import {
  startTaximeterSimulator,
  type TaximeterSimulator,
  type TaximeterSimulatorOptions,
} from '../../simulators/taximeter/index.js';
import { type MeterTripRecord, TaximeterModel } from '../../simulators/taximeter/model.js';
import { describeDriverContract } from '../../test/contract/driver-contract.js';
import { runCli } from '../../test/helpers/cli.js';
import { rejectionOf, signal, testDeps, useCleanup } from '../../test/helpers/driver-kit.js';
import { loadGoldenCases } from '../../test/helpers/testcases.js';
import type { PollResult, Reading } from '../contract.js';
import { silentLogger } from '../logger.js';
import { getDriver } from '../registry.js';
import { createDriverDeps } from '../transport/factory.js';
import { createMemoryLinkPair, type MemoryLink } from '../transport/link.js';
import { ModbusBusPool } from '../transport/modbus-client.js';
import type { TaximeterJtt905Driver } from './driver.js';
import { decodeJtt905Frame, encodeAck, type Jtt905FareParameters } from './protocol.js';

const golden = Object.fromEntries(loadGoldenCases('taximeter-jtt905').map((c) => [c.name, c.frame]));

const METER = {
  clock: '2026-06-01T08:00:00',
  k: '1000',
  plate: 'AB1234',
  tripCounter: 41,
  tariff: {
    flagFall: '10.00',
    includedDistance: '2000',
    distanceRate: '2.00',
    timeRate: '30.00',
    mode: 'S' as const,
  },
};

interface Fixture {
  sim: TaximeterSimulator;
  driver: TaximeterJtt905Driver;
  link: MemoryLink | undefined;
  close(): Promise<void>;
}

interface FixtureOptions {
  transport?: 'memory' | 'pty';
  sim?: Partial<TaximeterSimulatorOptions>;
  driverConfig?: Record<string, unknown>;
  /** Trips the meter has completed before the driver starts. */
  trips?: number;
}

/** One trip: 5 km at 60 km/h, then 2 min of waiting (16.0 + 1.0 = 17.0 with METER's tariff). */
async function driveTrip(sim: TaximeterSimulator): Promise<MeterTripRecord> {
  await sim.startTrip();
  await sim.drive([{ speed: 60, distance: 5000 }]);
  await sim.wait(120);
  return (await sim.stopTrip())!;
}

/** The same trip on a bare model (no line attached: nothing is pushed). */
function driveTripOn(model: TaximeterModel): void {
  model.startTrip();
  model.drive(300, 5000);
  model.wait(120);
  model.stopTrip();
}

async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const transport = options.transport ?? 'memory';
  // Trips before the driver starts are driven before the meter joins the line: a frame pushed while
  // the pty's gateway end is being opened may be read at the wrong line settings by the line emulator.
  const model = new TaximeterModel(options.sim?.params ?? METER);
  for (let i = 0; i < (options.trips ?? 0); i++) driveTripOn(model);
  const sim = await startTaximeterSimulator({ transport, timeScale: 0, ...options.sim, model });
  const definition = getDriver('taximeter-jtt905');
  const endpoint = sim.endpoint;
  const port = endpoint.kind === 'serial' ? endpoint.path : endpoint.link.description;
  const config = definition.configSchema.parse({
    port,
    ...sim.line,
    timeoutMs: 300,
    ...options.driverConfig,
  });
  const busPool = new ModbusBusPool();
  const deps =
    endpoint.kind === 'memory'
      ? testDeps({ link: endpoint.link })
      : createDriverDeps(definition, config, {
          logger: silentLogger(),
          busPool,
          reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
        });
  const driver = definition.create(config, deps) as TaximeterJtt905Driver;
  return {
    sim,
    driver,
    link: endpoint.kind === 'memory' ? endpoint.link : undefined,
    close: async () => {
      await driver.close();
      await busPool.closeAll();
      await sim.close();
    },
  };
}

/** The readings a poll should give for a record, in JT/T 905 units converted by hand. */
function expectTrip(result: PollResult, record: MeterTripRecord): void {
  const values = Object.fromEntries(result.readings.map((r) => [r.channel, `${r.value}|${r.unit}`]));
  expect(values).toMatchObject({
    distance: `${record.distanceTenthsKm * 100}|m`,
    emptyDistance: `${record.emptyDistanceTenthsKm * 100}|m`,
    waitingTime: `${Math.floor(record.waitingSeconds / 60) * 60}|s`,
    fare: `${(record.fareTenths / 10).toFixed(1)}|CNY`,
    surcharge: `${(record.surchargeTenths / 10).toFixed(1)}|CNY`,
    boardingTime: `${record.boarding.slice(0, 16)}|`,
    alightingTime: `${record.alighting.slice(0, 16)}|`,
    tripNumber: `${record.tripNumber}|`,
    paymentType: 'cash|',
  });
  for (const reading of result.readings) expect(reading.quality).toBe('good');
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeDriverContract({
  name: 'taximeter-jtt905',
  transports: ['memory', 'pty'] as const,
  pollTimeoutMs: 5000,
  async setup(transport) {
    const fixture = await startFixture({ transport, trips: 1 });
    const record = fixture.sim.model.records.at(-1)!;
    return {
      driver: fixture.driver,
      expectReadings: (result) => expectTrip(result, record),
      makeSilent: () => fixture.sim.faults.inject({ kind: 'silence', count: 0 }),
      restore: () => fixture.sim.faults.clear(),
      close: () => fixture.close(),
      ...(fixture.link ? { ioCount: () => fixture.link!.written.length } : {}),
    };
  },
});

describe('taximeter-jtt905 driver', () => {
  const cleanup = useCleanup();
  const start = async (options: FixtureOptions = {}) => {
    const fixture = await startFixture(options);
    cleanup(() => fixture.close());
    return fixture;
  };

  it('reports the status reply as identity on connect', async () => {
    const f = await start({ sim: { params: { ...METER, serialNumber: '000777', softwareVersion: '0203' } } });
    expect(await f.driver.connect(signal())).toEqual({
      manufacturer: '01',
      model: 'JT/T 905 device type 02',
      serialNumber: '000777',
      hardwareVersion: '10',
      softwareVersion: '02.03',
      deviceState: 'normal',
      workState: 'signed-in',
      plate: 'AB1234',
      tripCount: '41',
    });
  });

  it('asks for the newest trip on every poll (trip: request), also for trips that ended before connect', async () => {
    const f = await start({ trips: 1 });
    await f.driver.connect(signal());
    const first = f.sim.model.records.at(-1)!;
    expectTrip(await f.driver.poll(signal()), first);
    expect(first).toMatchObject({
      tripNumber: 42,
      distanceTenthsKm: 50,
      fareTenths: 170,
      waitingSeconds: 120,
    });
    const second = await driveTrip(f.sim);
    expectTrip(await f.driver.poll(signal()), second);
    expect(await f.driver.lastTrip(signal())).toEqual({
      tripNumber: '43',
      boardingTime: second.boarding.slice(0, 16),
      alightingTime: second.alighting.slice(0, 16),
      distance: '5000',
      emptyDistance: '0',
      waitingTime: '120',
      fare: '17.0',
      surcharge: '0.0',
      paymentType: 'cash',
    });
  });

  it('reports no trip readings and lastTrip undefined while the meter has no trip', async () => {
    const f = await start();
    await f.driver.connect(signal());
    expect(await f.driver.poll(signal())).toEqual({ readings: [], errors: [] });
    expect(await f.driver.lastTrip(signal())).toBeUndefined();
  });

  it('acknowledges the trip start and record the meter pushes, and keeps them (trip: notifications)', async () => {
    const f = await start({ driverConfig: { trip: 'notifications' } });
    await f.driver.connect(signal());
    expect((await f.driver.poll(signal())).readings).toEqual([]);
    await f.sim.startTrip();
    await until(() => f.driver.tripInProgressSince !== undefined);
    expect(f.driver.tripInProgressSince).toBe('2026-06-01T08:00:00');
    await f.sim.drive([{ speed: 30, duration: 600 }]);
    const record = (await f.sim.stopTrip())!;
    await until(() => f.sim.undelivered.length === 0);
    expect(f.driver.tripInProgressSince).toBeUndefined();
    expectTrip(await f.driver.poll(signal()), record);
    const written = f.link!.written.map((chunk) => chunk.toString('hex'));
    expect(written).toContain(encodeAck(0x00e7).toString('hex'));
    expect(written).toContain(encodeAck(0x00e8).toString('hex'));
    expect(written.some((chunk) => chunk.includes('00f2'))).toBe(false);
  });

  it('takes a record the meter resends (0x00F2) after its 0x00E8 was lost', async () => {
    const f = await start({
      driverConfig: { trip: 'notifications' },
      sim: { protocolOptions: { resendAfterMs: 150 } },
    });
    await f.driver.connect(signal());
    await f.sim.startTrip();
    await f.sim.wait(60);
    // The trip start goes through; the record is lost on the line.
    await until(() => f.driver.tripInProgressSince !== undefined);
    f.sim.faults.inject({ kind: 'silence', count: 1 });
    const record = (await f.sim.stopTrip())!;
    await until(() => f.sim.undelivered.length === 0);
    expectTrip(await f.driver.poll(signal()), record);
    expect(f.link!.written.map((chunk) => chunk.toString('hex'))).toContain(
      encodeAck(0x00f2).toString('hex'),
    );
  });

  it('reports status and fare parameters as channels with status: true', async () => {
    const f = await start({
      trips: 1,
      sim: {
        params: {
          ...METER,
          workState: 0x01,
          tariff: { ...METER.tariff, nightSurchargePercent: '20', nightFlagFall: '11.00' },
        },
      },
      driverConfig: { status: true },
    });
    await f.driver.connect(signal());
    const result = await f.driver.poll(signal());
    expect(result.errors).toEqual([]);
    const value = (channel: string) => result.readings.find((r) => r.channel === channel);
    expect(value('deviceState')).toMatchObject({ value: 'normal' });
    expect(value('workState')).toMatchObject({ value: 'signed-out' });
    expect(value('dayFlagFall')).toMatchObject({ value: '10.00', unit: 'CNY' });
    expect(value('nightFlagFall')).toMatchObject({ value: '11.00' });
    expect(value('dayOneWayRate')).toMatchObject({ value: '2.00', unit: 'CNY/km' });
    expect(value('nightOneWayRate')).toMatchObject({ value: '2.40' });
    expect(value('nightWaitingRate')).toMatchObject({ value: '36.00' });
    expect(value('includedDistance')).toMatchObject({ value: '2000', unit: 'm' });
    expect(value('nightStart')).toMatchObject({ value: '23:00' });
    expect(value('tariffEnabledAt')).toMatchObject({ value: '2026-01-01T00:00' });
    expect(value('fare')).toMatchObject({ value: '17.0' });
    const declared = getDriver('taximeter-jtt905').channels.map((c) => c.name);
    for (const reading of result.readings) expect(declared).toContain(reading.channel);
    expect(new Set(result.readings.map((r) => r.channel)).size).toBe(declared.length);
  });

  it('programs a tariff with 0x0005; the meter then charges by it', async () => {
    const f = await start();
    await f.driver.connect(signal());
    const decoded = decodeJtt905Frame(golden['fare-parameters-set']!);
    if (!decoded.ok || decoded.value.message.kind !== 'fare-parameters-set') throw new Error('golden case');
    const tariff: Jtt905FareParameters = decoded.value.message.parameters;
    expect(await f.driver.setFareParameters(tariff, signal())).toBe('ok');
    expect(await f.driver.setFareParameters(tariff, signal())).toBe('same-version');
    expect(await f.driver.fareParameters(signal())).toMatchObject({
      enabledAt: '2026-07-01T00:00',
      dayFlagFall: '13.00',
      nightFlagFall: '14.00',
      dayOneWayRate: '2.30',
      includedDistance: '3000',
      dayWaitingRate: '27.60',
    });
    // 08:00 is day: 13.00 covers 3 km; 5 km at 60 km/h adds 2 km × 2.30.
    await f.sim.startTrip();
    await f.sim.drive([{ speed: 60, distance: 5000 }]);
    expect(f.sim.display().fare).toBe('17.6');
    await rejectionOf(f.driver.setFareParameters({ ...tariff, dayFlagFall: '1000' }, signal()), [
      'MG_ERR_INPUT_INVALID',
    ]);
  });

  it('names a wrong XOR (MG_ERR_FRAME_CHECKSUM) and a frame cut short (MG_ERR_FRAME_GARBLED), then recovers', async () => {
    const f = await start({ trips: 1 });
    await f.driver.connect(signal());
    f.sim.faults.inject({ kind: 'bad-checksum', count: 0 });
    expect((await rejectionOf(f.driver.poll(signal()))).code).toBe('MG_ERR_FRAME_CHECKSUM');
    f.sim.faults.inject({ kind: 'partial', count: 0 });
    const cut = await rejectionOf(f.driver.poll(signal()));
    expect(cut.code).toBe('MG_ERR_FRAME_GARBLED');
    expect(cut.message).toContain('sim-taximeter-jtt905');
    f.sim.faults.clear();
    expectTrip(await f.driver.poll(signal()), f.sim.model.records.at(-1)!);
  });

  it('refuses calls before connect and after close', async () => {
    const f = await start();
    f.driver.init();
    await rejectionOf(f.driver.lastTrip(signal()), ['MG_ERR_NOT_CONNECTED']);
    await rejectionOf(f.driver.status(signal()), ['MG_ERR_NOT_CONNECTED']);
    await f.driver.connect(signal());
    await f.driver.close();
    await rejectionOf(f.driver.fareParameters(signal()), ['MG_ERR_PORT_CLOSED']);
  });

  it('at the wrong baud rate over a pty, fails to connect naming the settings', async () => {
    const f = await start({ transport: 'pty', driverConfig: { baudRate: 19200 } });
    const error = await rejectionOf(f.driver.connect(signal()), ['MG_ERR_FRAME_GARBLED', 'MG_ERR_TIMEOUT']);
    expect(error.message).toContain('19200');
  });
});

describe('taximeter-jtt905 driver against a meter that only answers status queries', () => {
  const cleanup = useCleanup();

  /**
   * A scripted meter: the golden status reply to any status query, and with `answerResend` the
   * SmallChi record (trip 12) to a resend request; nothing to anything else.
   */
  function statusOnlyMeter(answerResend = false) {
    const [gatewayEnd, deviceEnd] = createMemoryLinkPair('scripted-meter');
    void deviceEnd.open();
    deviceEnd.onData((chunk) => {
      const frame = decodeJtt905Frame(chunk);
      if (!frame.ok) return;
      if (frame.value.message.kind === 'status-query') void deviceEnd.write(golden['status-reply']!);
      if (answerResend && frame.value.message.kind === 'trip-resend-request') {
        void deviceEnd.write(golden['trip-resend-smallchi-record']!);
      }
    });
    const push = (name: string) => deviceEnd.write(golden[name]!);
    return { gatewayEnd, push };
  }

  function driverOn(link: MemoryLink, config: Record<string, unknown>) {
    const definition = getDriver('taximeter-jtt905');
    const driver = definition.create(
      definition.configSchema.parse({ port: 'scripted', timeoutMs: 200, ...config }),
      testDeps({ link }),
    ) as TaximeterJtt905Driver;
    cleanup(() => driver.close());
    return driver;
  }

  it('keeps the status channels and reports the parameter and trip channels as errors', async () => {
    const meter = statusOnlyMeter();
    const driver = driverOn(meter.gatewayEnd, { status: true });
    await driver.connect(signal());
    const result = await driver.poll(signal());
    expect(result.readings.map((r: Reading) => r.channel)).toEqual(['deviceState', 'workState']);
    expect(result.errors.map((e) => e.channel)).toContain('dayFlagFall');
    expect(result.errors.map((e) => e.channel)).toContain('fare');
    const tripError = result.errors.find((e) => e.channel === 'fare')!;
    expect(tripError.code).toBe('MG_ERR_TIMEOUT');
    expect(tripError.message).toContain('trip: notifications');
  });

  it('with trip: notifications, reports the golden trip record it was sent', async () => {
    const meter = statusOnlyMeter();
    const driver = driverOn(meter.gatewayEnd, { trip: 'notifications' });
    await driver.connect(signal());
    await meter.push('trip-record-smallchi');
    await until(() => meter.gatewayEnd.written.length >= 2);
    expect(await driver.lastTrip(signal())).toEqual({
      tripNumber: '12',
      boardingTime: '2023-07-26T19:41',
      alightingTime: '2023-07-26T19:41',
      distance: '100',
      emptyDistance: '56700',
      waitingTime: '0',
      fare: '8.0',
      surcharge: '0.0',
      paymentType: 'cash',
    });
  });

  it('believes a lower trip number when nothing else answers the resend request (counter reset)', async () => {
    const meter = statusOnlyMeter(true);
    const driver = driverOn(meter.gatewayEnd, {});
    await driver.connect(signal());
    // Trip 15 seen first: the answer (trip 12) looks like an old resend and waits for the timeout.
    await meter.push('trip-resend-overnight-0b05-record');
    await until(() => meter.gatewayEnd.written.length >= 2);
    const slow = performance.now();
    expect((await driver.lastTrip(signal()))?.tripNumber).toBe('12');
    expect(performance.now() - slow).toBeGreaterThanOrEqual(190);
    const fast = performance.now();
    expect((await driver.lastTrip(signal()))?.tripNumber).toBe('12');
    expect(performance.now() - fast).toBeLessThan(150);
  });
});

describe('metrogate read taximeter-jtt905 (subprocess, simulator on a pty)', () => {
  const cleanup = useCleanup();

  async function meterOnPty() {
    const model = new TaximeterModel(METER);
    driveTripOn(model);
    const sim = await startTaximeterSimulator({ transport: 'pty', timeScale: 0, model });
    cleanup(() => sim.close());
    if (sim.endpoint.kind !== 'serial') throw new Error('pty expected');
    return { sim, record: model.records.at(-1)!, port: sim.endpoint.path };
  }

  it('prints the last trip as contract JSON lines', async () => {
    const { port, record } = await meterOnPty();
    const result = await runCli(['read', 'taximeter-jtt905', '--port', port, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(lines.map((l) => l.channel)).toEqual([
      'distance',
      'emptyDistance',
      'waitingTime',
      'fare',
      'surcharge',
      'boardingTime',
      'alightingTime',
      'tripNumber',
      'paymentType',
    ]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['device', 'channel', 'value', 'unit', 'quality', 'ts']);
      expect(line.device).toBe(`taximeter-jtt905@${port}`);
    }
    expect(lines.find((l) => l.channel === 'fare')).toMatchObject({
      value: '17.0',
      unit: 'CNY',
      quality: 'good',
    });
    expect(lines.find((l) => l.channel === 'distance')).toMatchObject({ value: '5000', unit: 'm' });
    expect(lines.find((l) => l.channel === 'tripNumber')?.value).toBe(String(record.tripNumber));
  });

  it('adds status and fare parameters with -o status=true, and exits 1 on a silent meter', async () => {
    const { sim, port } = await meterOnPty();
    const withStatus = await runCli([
      'read',
      'taximeter-jtt905',
      '--port',
      port,
      '--json',
      '-o',
      'status=true',
    ]);
    expect(withStatus.code).toBe(0);
    const channels = withStatus.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { channel: string }).channel);
    expect(channels).toEqual(expect.arrayContaining(['deviceState', 'dayFlagFall', 'nightEnd', 'fare']));
    sim.faults.inject({ kind: 'silence', count: 0 });
    const silent = await runCli(['read', 'taximeter-jtt905', '--port', port, '--timeout', '300']);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain('MG_ERR_TIMEOUT');
    expect(silent.stderr).toContain(port);
  });
});
