import { describe, expect, it } from 'vitest';
import { DartBusSpeaker } from '../../simulators/dispenser/dart.js';
import {
  type DispenserPumpOptions,
  type DispenserSimTransport,
  type DispenserSimulator,
  startDispenserSimulator,
} from '../../simulators/dispenser/index.js';
import { DispenserModel } from '../../simulators/dispenser/model.js';
import { describeDriverContract } from '../../test/contract/driver-contract.js';
import { runCli } from '../../test/helpers/cli.js';
import { rejectionOf, signal, useCleanup } from '../../test/helpers/driver-kit.js';
import { type DispenserDriver, isDispenserDriver, type PollResult } from '../contract.js';
import { silentLogger } from '../logger.js';
import { createDriverDeps } from '../transport/factory.js';
import { type ByteLink, createMemoryLinkPair, type MemoryLink } from '../transport/link.js';
import { ModbusBusPool } from '../transport/modbus-client.js';
import { SharedLink, SharedLinkPool } from '../transport/shared-link.js';
import { dispenserDart } from './index.js';
import { decodeLineFrame } from './protocol.js';

const PUMPS: DispenserPumpOptions[] = [
  { address: 0x50, params: { identity: '5000000050' } },
  {
    address: 0x51,
    params: {
      identity: '5100000051',
      decimals: { volume: 2, amount: 2, unitPrice: 3 },
      nozzles: [
        { nozzle: 1, grade: '95#', unitPrice: '8.123', volumeTotal: '1000.00', amountTotal: '8123.00' },
      ],
    },
  },
  {
    address: 0x52,
    params: {
      identity: '5200000052',
      decimals: { volume: 3, amount: 2, unitPrice: 2 },
      nozzles: [{ nozzle: 1, grade: '0#', unitPrice: '6.50', volumeTotal: '2.000', amountTotal: '13.00' }],
    },
  },
];

interface Bench {
  sim: DispenserSimulator;
  /** A driver for `address` on this bus (a shared link per bus, as the gateway will build them). */
  driver(address: number, config?: Record<string, unknown>): DispenserDriver;
  /** The link each driver was given, in creation order. */
  links: ByteLink[];
  close(): Promise<void>;
}

async function startBench(
  transport: DispenserSimTransport,
  pumps: DispenserPumpOptions[] = [PUMPS[0]!],
  protocolOptions: Record<string, unknown> = {},
): Promise<Bench> {
  const sim = await startDispenserSimulator({ protocol: 'dart', transport, pumps, protocolOptions });
  const sharedLinks = new SharedLinkPool();
  const busPool = new ModbusBusPool();
  const drivers: DispenserDriver[] = [];
  const links: ByteLink[] = [];
  let memoryLink: SharedLink | undefined;
  const logger = silentLogger();
  const now = () => new Date();
  return {
    sim,
    links,
    driver(address, extra = {}) {
      const endpoint = sim.endpoint;
      const port = endpoint.kind === 'serial' ? endpoint.path : 'sim-dart:a';
      const config = dispenserDart.configSchema.parse({ port, address, timeoutMs: 500, ...extra });
      let deps: ReturnType<typeof createDriverDeps>;
      if (endpoint.kind === 'memory') {
        memoryLink ??= new SharedLink(endpoint.link);
        deps = { link: memoryLink, logger, now };
      } else {
        deps = createDriverDeps(dispenserDart, config, {
          logger,
          busPool,
          sharedLinks,
          reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
          now,
        });
      }
      if (deps.link) links.push(deps.link);
      const driver = dispenserDart.create(config, deps);
      if (!isDispenserDriver(driver)) throw new Error('dispenser-dart is not a dispenser driver');
      drivers.push(driver);
      return driver;
    },
    async close() {
      for (const driver of drivers) await driver.close();
      await sharedLinks.closeAll();
      await sim.close();
    },
  };
}

function values(result: PollResult): Record<string, string> {
  return Object.fromEntries(result.readings.map((r) => [r.channel, r.value]));
}

describeDriverContract({
  name: 'dispenser-dart',
  transports: ['memory', 'pty'] as const,
  pollTimeoutMs: 5000,
  async setup(transport) {
    const bench = await startBench(transport, [PUMPS[1]!]);
    const driver = bench.driver(0x51);
    const link = bench.sim.endpoint.kind === 'memory' ? bench.sim.endpoint.link : undefined;
    return {
      driver,
      expectReadings(result) {
        const model = bench.sim.pumps.get(0x51)!.snapshot();
        expect(values(result)).toEqual({
          status: model.state,
          nozzle: String(model.nozzle),
          nozzleOut: model.nozzleOut ? '1' : '0',
          volume: model.volume,
          amount: model.amount,
          unitPrice: '8.123',
        });
        expect(result.readings.find((r) => r.channel === 'unitPrice')?.unit).toBe('CNY/L');
        expect(result.errors).toEqual([]);
      },
      makeSilent: () => bench.sim.faults.inject({ kind: 'silence', count: 0 }),
      restore: () => bench.sim.faults.clear(),
      close: () => bench.close(),
      ...(link ? { ioCount: () => (link as MemoryLink).written.length } : {}),
    };
  },
});

describe('dispenser-dart driver', () => {
  const cleanup = useCleanup();
  const start = async (...args: Parameters<typeof startBench>) => {
    const bench = await startBench(...args);
    cleanup(() => bench.close());
    return bench;
  };

  it('reads the decimals (DC7) and identity (DC9) at connect, or takes configured decimals', async () => {
    const b = await start('memory', [PUMPS[2]!]);
    const driver = b.driver(0x52);
    expect(await driver.connect(signal())).toEqual({
      model: 'Wayne DART pump',
      address: '0x52',
      serialNumber: '5200000052',
      decimals: 'volume 3, amount 2, unitPrice 2',
      decimalsFrom: 'DC7',
    });
    expect(values(await driver.poll(signal()))).toMatchObject({
      volume: '0.000',
      amount: '0.00',
      unitPrice: '6.50',
    });
    await driver.close();
    const configured = b.driver(0x52, { decimals: { volume: 1, amount: 1, unitPrice: 1 } });
    const link = b.sim.endpoint.kind === 'memory' ? b.sim.endpoint.link : undefined;
    const sentBefore = link!.written.length;
    await configured.connect(signal());
    // No RETURN PUMP PARAMETERS (CD1 02) was sent: the configured decimals are used as they are.
    const sent = link!.written.slice(sentBefore).map((frame) => decodeLineFrame(frame));
    expect(sent.some((f) => f.ok && f.value.payload?.toString('hex') === '010102')).toBe(false);
    // The pump's 3-decimal volume 0000 read with 1 decimal: the configured value wins.
    expect(values(await configured.poll(signal())).volume).toBe('0.0');
  });

  it('follows a delivery: reset, authorize, filling (unstable), stop, completed, totals advanced', async () => {
    const b = await start('memory', [PUMPS[0]!]);
    const driver = b.driver(0x50, { totals: true, nozzles: [1, 2] });
    await driver.connect(signal());
    const model = b.sim.pumps.get(0x50)!;
    model.configure({ timeScale: 60 });
    await driver.reset(signal());
    await driver.authorize(signal());
    expect((await driver.readTransaction(signal())).status).toBe('authorized');
    model.liftNozzle(1);
    model.setFlow('30');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const during = await driver.poll(signal());
    expect(values(during)).toMatchObject({
      status: 'filling',
      nozzle: '1',
      nozzleOut: '1',
      unitPrice: '7.89',
    });
    expect(during.readings.find((r) => r.channel === 'volume')?.quality).toBe('unstable');
    await driver.stop(signal());
    const done = await driver.readTransaction(signal());
    const shown = model.snapshot();
    expect(done).toEqual({
      status: 'completed',
      nozzle: 1,
      nozzleOut: true,
      volume: shown.volume,
      amount: shown.amount,
      unitPrice: '7.89',
    });
    expect(Number(done.volume)).toBeGreaterThan(0);
    const totals = await driver.readTotals(signal());
    expect(totals).toEqual(
      shown.totals.map((t) => ({ nozzle: t.nozzle, volumeTotal: t.volume, amountTotal: t.amount })),
    );
    expect(await driver.readTotals(signal(), 2)).toEqual([
      { nozzle: 2, volumeTotal: '65432.10', amountTotal: '550283.96' },
    ]);
    const after = await driver.poll(signal());
    expect(values(after)).toMatchObject({
      status: 'completed',
      volume: done.volume,
      'volumeTotal.1': totals[0]!.volumeTotal,
      'amountTotal.2': '550283.96',
    });
    expect(after.readings.find((r) => r.channel === 'volume')?.quality).toBe('good');
  });

  it('refuses AUTHORIZE outside RESET and RESET during a delivery with MG_ERR_DEVICE_BUSY', async () => {
    const b = await start('memory');
    const driver = b.driver(0x50);
    await driver.connect(signal());
    const model = b.sim.pumps.get(0x50)!;
    await driver.authorize(signal());
    // Authorizing an authorized pump reaches the state asked for: not an error.
    await driver.authorize(signal());
    model.liftNozzle(1);
    const reset = await rejectionOf(driver.reset(signal()), ['MG_ERR_DEVICE_BUSY']);
    expect(reset.message).toMatch(/pump 0x50 .*RESET not carried out, the pump is filling/);
    await driver.stop(signal());
    const again = await rejectionOf(driver.authorize(signal()), ['MG_ERR_DEVICE_BUSY']);
    expect(again.message).toMatch(/AUTHORIZE not carried out, the pump is completed; .*reset\(\)/);
    await driver.reset(signal());
    expect((await driver.readTransaction(signal())).status).toBe('reset');
    await driver.authorize(signal());
    expect((await driver.readTransaction(signal())).status).toBe('filling');
  });

  it('reports a nozzle the pump has no counter for as channel errors, the other channels intact', async () => {
    const b = await start('memory');
    const driver = b.driver(0x50, { totals: true, nozzles: [1, 7], timeoutMs: 150 });
    await driver.connect(signal());
    const result = await driver.poll(signal());
    expect(values(result)).toMatchObject({ status: 'reset', 'volumeTotal.1': '123456.78' });
    expect(result.errors.map((e) => [e.channel, e.code])).toEqual([
      ['volumeTotal.7', 'MG_ERR_TIMEOUT'],
      ['amountTotal.7', 'MG_ERR_TIMEOUT'],
    ]);
    expect(result.errors[0]!.message).toMatch(/pump 0x50 .*no DC101/);
    await rejectionOf(driver.readTotals(signal(), 7), ['MG_ERR_TIMEOUT']);
    await rejectionOf(driver.readTotals(signal(), 12), ['MG_ERR_INPUT_INVALID']);
  });

  it('retransmits through a NAK storm, and reports a pump that NAKs every attempt as busy', async () => {
    const b = await start('memory', [PUMPS[0]!], { nakStorm: 3 });
    const driver = b.driver(0x50, { decimals: { volume: 2, amount: 2, unitPrice: 2 }, retries: 3 });
    await driver.connect(signal());
    expect(values(await driver.poll(signal())).status).toBe('reset');
    const sim = b.sim as DispenserSimulator & { nakStorm(count: number, address?: number): void };
    sim.nakStorm(4);
    const error = await rejectionOf(driver.poll(signal()), ['MG_ERR_DEVICE_BUSY']);
    expect(error.message).toMatch(/pump 0x50 .*NAK 4 times/);
    expect(values(await driver.poll(signal())).status).toBe('reset');
  });

  it('NAKs a block with a bad CRC and takes it again; reports CRC trouble as MG_ERR_FRAME_CHECKSUM', async () => {
    const b = await start('memory');
    const driver = b.driver(0x50, { responseTimeoutMs: 40 });
    await driver.connect(signal());
    b.sim.faults.inject({ kind: 'bad-checksum', count: 1 });
    // Whichever frame the fault hits (an ACK is garbled, a DATA block gets a wrong CRC), it is retried.
    expect(values(await driver.poll(signal())).status).toBe('reset');
    b.sim.faults.inject({ kind: 'bad-checksum', count: 0 });
    const error = await rejectionOf(driver.poll(signal()), ['MG_ERR_FRAME_CHECKSUM', 'MG_ERR_FRAME_GARBLED']);
    expect(error.message).toMatch(/pump 0x50 on port sim-dart/);
    b.sim.faults.clear();
    expect(values(await driver.poll(signal())).status).toBe('reset');
  });

  it('matches late answers by address and TX#: a reply after the timeout is never taken for another', async () => {
    // A line whose pumps answer some frames after the driver stopped waiting for them.
    const [gatewayEnd, deviceEnd] = createMemoryLinkPair('late-line');
    await deviceEnd.open();
    let lateFrames = 0;
    const speaker = new DartBusSpeaker(
      new Map([
        [0x50, new DispenserModel({ identity: '5000000050' })],
        [
          0x51,
          new DispenserModel({
            identity: '5100000051',
            nozzles: [{ nozzle: 1, grade: '95#', unitPrice: '8.41' }],
          }),
        ],
      ]),
      {
        emit: (frame) => {
          const copy = Buffer.from(frame);
          if (lateFrames > 0 && lateFrames-- % 2 === 1) setTimeout(() => void deviceEnd.write(copy), 35);
          else void deviceEnd.write(copy);
        },
        now: () => Date.now(),
      },
    );
    deviceEnd.onData((chunk) => speaker.receive(chunk));
    const shared = new SharedLink(gatewayEnd);
    const make = (address: number) =>
      dispenserDart.create(
        dispenserDart.configSchema.parse({ port: 'late-line', address, responseTimeoutMs: 20, retries: 4 }),
        { link: shared, logger: silentLogger(), now: () => new Date() },
      ) as DispenserDriver;
    const a = make(0x50);
    const b = make(0x51);
    cleanup(async () => {
      await a.close();
      await b.close();
    });
    await Promise.all([a.connect(signal()), b.connect(signal())]);
    const framesPerRound: number[] = [];
    for (let round = 0; round < 6; round++) {
      lateFrames = round === 0 ? 0 : 6;
      const before = gatewayEnd.written.length;
      const [ra, rb] = await Promise.all([a.poll(signal()), b.poll(signal())]);
      framesPerRound.push(gatewayEnd.written.length - before);
      expect(values(ra)).toMatchObject({ status: 'reset', unitPrice: '7.89' });
      expect(values(rb)).toMatchObject({ status: 'reset', unitPrice: '8.41' });
    }
    // The late answers did cost retransmissions (round 0 had none).
    expect(Math.min(...framesPerRound.slice(1))).toBeGreaterThan(framesPerRound[0]!);
  });

  it('recovers from a garbled and a cut frame by retransmission', async () => {
    const b = await start('memory');
    const driver = b.driver(0x50, { responseTimeoutMs: 40 });
    await driver.connect(signal());
    for (const kind of ['garble', 'partial'] as const) {
      b.sim.faults.inject({ kind, count: 1 });
      expect(values(await driver.poll(signal())).status).toBe('reset');
      expect(b.sim.faults.counters[kind]).toBe(1);
    }
    b.sim.faults.inject({ kind: 'partial', count: 0 });
    const error = await rejectionOf(driver.poll(signal()), ['MG_ERR_FRAME_GARBLED']);
    expect(error.message).toMatch(/pump 0x50 .*not a valid frame/);
  });

  it('comes back after the line was unplugged (pty)', async () => {
    const b = await start('pty');
    const driver = b.driver(0x50);
    await driver.connect(signal());
    const unplugged = b.sim.disconnect(600);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await rejectionOf(driver.poll(signal()), [
      'MG_ERR_PORT_CLOSED',
      'MG_ERR_PORT_DISCONNECTED',
      'MG_ERR_TIMEOUT',
    ]);
    await unplugged;
    const deadline = Date.now() + 5000;
    let result: PollResult | undefined;
    while (!result && Date.now() < deadline) {
      result = await driver.poll(signal()).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return undefined;
      });
    }
    expect(values(result!).status).toBe('reset');
  });

  it('refuses two devices for one pump address on one bus', async () => {
    const b = await start('memory');
    await b.driver(0x50, { id: 'first' }).connect(signal());
    const error = await rejectionOf(b.driver(0x50, { id: 'second' }).connect(signal()), [
      'MG_ERR_CONFIG_INVALID',
    ]);
    expect(error.message).toContain('0x50 is configured for both first and second');
  });

  it('accepts the address as 0x50, "0x51" or 82 and names the pump in the default device id', () => {
    const parse = (address: unknown) =>
      dispenserDart.configSchema.safeParse({ port: '/dev/ttyUSB0', address });
    expect(parse('0x51').data?.address).toBe(0x51);
    expect(parse(82).data?.address).toBe(0x52);
    expect(parse(0x6f).data?.address).toBe(0x6f);
    expect(parse('0x70').success).toBe(false);
    expect(parse('pump').success).toBe(false);
    const driver = dispenserDart.create(dispenserDart.configSchema.parse({ port: '/dev/ttyUSB0' }), {
      logger: silentLogger(),
      now: () => new Date(),
    });
    expect(driver.deviceId).toBe('dispenser-dart@/dev/ttyUSB0:0x50');
    expect(() => driver.init()).toThrow(/needs a serial link/);
  });
});

describe('dispenser-dart: several pumps on one RS-485 line (pty)', () => {
  const cleanup = useCleanup();

  it('shares one link and one queue, gives each driver its own pump, and a dead pump costs only its timeouts', async () => {
    const bench = await startBench('pty', PUMPS);
    cleanup(() => bench.close());
    const responseTimeoutMs = 60;
    const retries = 1;
    const drivers = [0x50, 0x51, 0x52].map((address) => bench.driver(address, { totals: true }));
    const dead = bench.driver(0x53, { responseTimeoutMs, retries });
    // One link for the whole port: the factory handed every device the same SharedLink.
    const links = new Set(bench.links);
    expect(bench.links).toHaveLength(4);
    expect(links.size).toBe(1);
    const [shared] = [...links] as SharedLink[];
    expect(shared).toBeInstanceOf(SharedLink);

    const identities = await Promise.all(drivers.map((d) => d.connect(signal())));
    expect(identities.map((i) => i.serialNumber)).toEqual(['5000000050', '5100000051', '5200000052']);
    // The port was opened once, by the bus the drivers share.
    expect(shared!.userCount).toBe(1);

    // Give each pump a different state.
    const models = [0x50, 0x51, 0x52].map((a) => bench.sim.pumps.get(a)!);
    models[1]!.configure({ timeScale: 1000 });
    await models[1]!.deliver({ nozzle: 1, flow: '50', trueVolume: '5' });
    models[2]!.authorize();

    const deadCost = (retries + 1) * responseTimeoutMs;
    for (let round = 0; round < 4; round++) {
      const started = performance.now();
      const outcome = await Promise.allSettled([
        dead.connect(signal()),
        ...drivers.map((d) => d.poll(signal())),
      ]);
      const elapsed = performance.now() - started;
      expect(outcome[0]!.status).toBe('rejected');
      const deadError = (outcome[0] as PromiseRejectedResult).reason;
      expect(deadError.code).toBe('MG_ERR_TIMEOUT');
      expect(deadError.message).toContain('pump 0x53');
      const polled = outcome.slice(1).map((o) => {
        if (o.status !== 'fulfilled') throw o.reason;
        return values(o.value as PollResult);
      });
      expect(polled[0]).toMatchObject({
        status: 'reset',
        unitPrice: '7.89',
        volume: '0.00',
        'volumeTotal.1': '123456.78',
      });
      expect(polled[1]).toMatchObject({
        status: 'completed',
        unitPrice: '8.123',
        volume: '5.00',
        amount: '40.62',
        'volumeTotal.1': '1005.00',
        'amountTotal.1': '8163.62',
      });
      expect(polled[2]).toMatchObject({
        status: 'authorized',
        unitPrice: '6.50',
        volume: '0.000',
        'volumeTotal.1': '2.000',
      });
      // The three live pumps take a few ms each; the dead one adds its timeouts and nothing else
      // (loose here: a pty on a loaded machine; the memory test below holds it tightly).
      expect(elapsed).toBeLessThan(deadCost + 1500);
    }
  });

  it('a dead pump costs the others (retries + 1) x responseTimeoutMs per exchange, no more', async () => {
    const bench = await startBench('memory', [PUMPS[0]!, PUMPS[1]!]);
    cleanup(() => bench.close());
    const live = [bench.driver(0x50), bench.driver(0x51)];
    await Promise.all(live.map((d) => d.connect(signal())));
    const dead = bench.driver(0x5e, { responseTimeoutMs: 50, retries: 2 });
    const round = async (withDead: boolean) => {
      const started = performance.now();
      const outcome = await Promise.allSettled([
        ...(withDead ? [dead.connect(signal())] : []),
        ...live.map((d) => d.poll(signal())),
      ]);
      expect(outcome.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
      return performance.now() - started;
    };
    const alone = await round(false);
    const withDead = await round(true);
    expect(withDead).toBeGreaterThanOrEqual(150 - 5);
    expect(withDead - alone).toBeLessThan(150 + 100);
  });

  it('refuses two devices on one port at different baud rates', async () => {
    const bench = await startBench('pty', [PUMPS[0]!]);
    cleanup(() => bench.close());
    bench.driver(0x50);
    expect(() => bench.driver(0x51, { baudRate: 19200 })).toThrow(/9600 8O1 and another at 19200 8O1/);
  });

  it('two pumps sharing an in-memory line never get each other’s answers', async () => {
    const bench = await startBench('memory', [PUMPS[0]!, PUMPS[1]!]);
    cleanup(() => bench.close());
    const a = bench.driver(0x50);
    const b = bench.driver(0x51);
    await Promise.all([a.connect(signal()), b.connect(signal())]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).readTransaction(signal())),
    );
    expect(results.map((t) => t.unitPrice)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? '7.89' : '8.123')),
    );
  });
});

describe('metrogate read dispenser-dart (subprocess over a pty)', () => {
  const cleanup = useCleanup();

  it('prints the pump readings as JSON lines, with totals when asked', async () => {
    const sim = await startDispenserSimulator({
      protocol: 'dart',
      transport: 'pty',
      pumps: [PUMPS[0]!, PUMPS[1]!],
    });
    cleanup(() => sim.close());
    if (sim.endpoint.kind !== 'serial') throw new Error('serial endpoint expected');
    const port = sim.endpoint.path;
    const result = await runCli(['read', 'dispenser-dart', '--port', port, '-o', 'address=0x51', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(lines.map((l) => [l.channel, l.value, l.unit, l.quality])).toEqual([
      ['status', 'reset', '', 'good'],
      ['nozzle', '0', '', 'good'],
      ['nozzleOut', '0', '', 'good'],
      ['volume', '0.00', 'L', 'good'],
      ['amount', '0.00', 'CNY', 'good'],
      ['unitPrice', '8.123', 'CNY/L', 'good'],
    ]);
    expect(lines[0]!.device).toBe(`dispenser-dart@${port}:0x51`);

    const totals = await runCli([
      'read',
      'dispenser-dart',
      '--port',
      port,
      '-o',
      'address=80',
      '-o',
      'totals=true',
      '-o',
      'nozzles=1,2',
      '--json',
    ]);
    expect(totals.code).toBe(0);
    const channels = Object.fromEntries(
      totals.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, string>)
        .map((l) => [l.channel, l.value]),
    );
    expect(channels).toMatchObject({
      unitPrice: '7.89',
      'volumeTotal.1': '123456.78',
      'amountTotal.1': '974073.99',
      'volumeTotal.2': '65432.10',
      'amountTotal.2': '550283.96',
    });
  });

  it('reports an address with no pump as MG_ERR_TIMEOUT naming the pump and the port, exit 1', async () => {
    const sim = await startDispenserSimulator({ protocol: 'dart', transport: 'pty' });
    cleanup(() => sim.close());
    if (sim.endpoint.kind !== 'serial') throw new Error('serial endpoint expected');
    const result = await runCli([
      'read',
      'dispenser-dart',
      '--port',
      sim.endpoint.path,
      '-o',
      'address=0x5f',
      '-o',
      'retries=1',
      '--json',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MG_ERR_TIMEOUT');
    expect(result.stderr).toContain('pump 0x5F');
    expect(result.stderr).toContain(sim.endpoint.path);
  });
});
