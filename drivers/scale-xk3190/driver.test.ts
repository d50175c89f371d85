import { describe, expect, it } from 'vitest';
import { startScaleSimulator } from '../../simulators/scale/index.js';
import { describeScaleDriverContract } from '../../test/contract/scale-driver-contract.js';
import { rejectionOf, signal, useScaleFixture } from '../../test/helpers/driver-kit.js';
import { FrameChannel } from '../transport/frame-channel.js';
import { createMemoryLinkPair } from '../transport/link.js';
import { scaleXk3190 } from './index.js';

const RANGE = { max: '30', e: '0.01' };

describeScaleDriverContract({
  driverId: 'scale-xk3190',
  protocol: 'xk3190',
  transports: ['memory', 'pty'],
  driverConfig: RANGE,
  capabilities: {
    checksum: true,
    overload: true,
    underload: true,
    stability: true,
    commands: false,
    serial: true,
  },
});

// The `=` formats carry no check: the same contract, without the checksum test, over memory.
for (const format of ['eq-reversed', 'eq'] as const) {
  describeScaleDriverContract({
    driverId: 'scale-xk3190',
    protocol: 'xk3190',
    transports: ['memory'],
    driverConfig: { ...RANGE, format },
    protocolOptions: { format },
    capabilities: {
      checksum: false,
      overload: true,
      underload: true,
      stability: true,
      commands: false,
      serial: true,
    },
  });
}

describe('scale-xk3190 driver', () => {
  const start = useScaleFixture({ driverId: 'scale-xk3190', protocol: 'xk3190' });

  it('reports the configured unit and format as identity, and good without max/e configured', async () => {
    const f = await start({ driverConfig: { unit: 't' } });
    expect(await f.driver.connect(signal())).toEqual({ format: 'tf0', unit: 't' });
    f.sim.model.setLoad('31');
    // No Max configured: nothing to call overload.
    const reading = await f.driver.readStable(signal(), 2000);
    expect(reading).toMatchObject({ value: '31.00', unit: 't', quality: 'good' });
  });

  it('needs stableFrames equal values before a weight is good', async () => {
    // Frames 40 ms apart: 8 equal frames take about 300 ms, more than one poll may wait.
    const f = await start({
      driverConfig: { stableFrames: 8 },
      protocolOptions: { intervalMs: 40 },
      timeoutMs: 150,
    });
    await f.driver.connect(signal());
    f.sim.model.setLoad('7');
    const qualities: string[] = [];
    const startedAt = Date.now();
    while (Date.now() - startedAt < 1500) {
      const { readings } = await f.driver.poll(signal());
      if (readings[0]?.value === '7.00') qualities.push(readings[0].quality);
      if (qualities.at(-1) === 'good') break;
    }
    expect(qualities[0]).toBe('unstable');
    expect(qualities.at(-1)).toBe('good');
  });

  it('applies the OIML limits: overload above Max + 9 e, underload below -20 e', async () => {
    const f = await start({ driverConfig: RANGE });
    await f.driver.connect(signal());
    f.sim.model.setLoad('30.09');
    expect((await f.driver.readStable(signal(), 2000)).quality).toBe('good');
    f.sim.model.setLoad('30.10');
    await expect(f.driver.readStable(signal(), 600)).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
    expect((await f.driver.poll(signal())).readings[0]).toMatchObject({
      value: '30.10',
      quality: 'overload',
    });
    f.sim.model.setLoad('-0.20');
    expect((await f.driver.readStable(signal(), 2000)).value).toBe('-0.20');
    f.sim.model.setLoad('-0.21');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await f.driver.poll(signal())).readings[0]).toMatchObject({
      value: '-0.21',
      quality: 'underload',
    });
  });

  it('refuses zero, tare and clearTare with MG_ERR_COMMAND_UNSUPPORTED naming the port', async () => {
    const f = await start();
    await f.driver.connect(signal());
    for (const command of [f.driver.zero(signal()), f.driver.tare(signal()), f.driver.clearTare(signal())]) {
      const error = await rejectionOf(command);
      expect(error.code).toBe('MG_ERR_COMMAND_UNSUPPORTED');
      expect(error.message).toContain('sim-xk3190');
    }
  });

  it('does not return one frame to two polls: a silent line after one frame is a timeout', async () => {
    const f = await start();
    await f.driver.connect(signal());
    f.sim.model.setLoad('1');
    await f.driver.readStable(signal(), 2000);
    f.sim.faults.inject({ kind: 'silence', count: 0 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await f.driver.poll(signal()).catch(() => undefined);
    expect((await rejectionOf(f.driver.poll(signal()))).code).toBe('MG_ERR_TIMEOUT');
  });

  it('fails connect with MG_ERR_TIMEOUT when the indicator is silent', async () => {
    const f = await start({ protocolOptions: { intervalMs: 0 } });
    const error = await rejectionOf(f.driver.connect(signal()));
    expect(error.code).toBe('MG_ERR_TIMEOUT');
    expect(error.message).toContain('sim-xk3190');
  });

  it('fails connect with MG_ERR_FRAME_GARBLED when the indicator sends another format', async () => {
    const f = await start({ protocolOptions: { format: 'eq' } });
    const error = await rejectionOf(f.driver.connect(signal()));
    expect(error.code).toBe('MG_ERR_FRAME_GARBLED');
  });

  it('rejects a config with max but no e, naming e', () => {
    const result = scaleXk3190.configSchema.safeParse({ port: '/dev/ttyUSB0', max: 30 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['e']);
    const parsed = scaleXk3190.configSchema.parse({ port: '/dev/ttyUSB0', max: 30, e: 0.01 });
    expect(parsed).toMatchObject({ max: '30', e: '0.01', format: 'tf0', stableFrames: 3, unit: 'kg' });
  });

  describe('instruction mode', () => {
    const instruction = (address = 'A') => ({
      driverConfig: { mode: 'instruction', address, ...RANGE },
      protocolOptions: { mode: 'instruction', address },
    });

    it('shakes hands, reads net by default and gross when configured', async () => {
      const f = await start(instruction('C'));
      expect(await f.driver.connect(signal())).toEqual({ address: 'C', unit: 'kg' });
      f.sim.model.setLoad('8');
      f.sim.model.tare(true);
      f.sim.model.setLoad('10');
      const net = await f.driver.readStable(signal(), 2000);
      expect(net).toMatchObject({ value: '2.00', quality: 'good' });
      await f.driver.close();
      const gross = await start({ ...instruction(), driverConfig: { mode: 'instruction', weight: 'gross' } });
      await gross.driver.connect(signal());
      gross.sim.model.setLoad('10');
      expect((await gross.driver.readStable(signal(), 2000)).value).toBe('10.00');
    });

    it('times out when no indicator has the configured address', async () => {
      const f = await start({
        driverConfig: { mode: 'instruction', address: 'B' },
        protocolOptions: { mode: 'instruction', address: 'A' },
      });
      expect((await rejectionOf(f.driver.connect(signal()))).code).toBe('MG_ERR_TIMEOUT');
    });

    it('reports bad XOR replies as MG_ERR_FRAME_CHECKSUM', async () => {
      const f = await start(instruction());
      await f.driver.connect(signal());
      f.sim.faults.inject({ kind: 'bad-checksum', count: 0 });
      expect((await rejectionOf(f.driver.poll(signal()))).code).toBe('MG_ERR_FRAME_CHECKSUM');
      f.sim.faults.clear();
      expect((await f.driver.poll(signal())).readings[0]?.value).toBe('0.00');
    });

    it('marks a settling load unstable', async () => {
      const f = await start({ ...instruction(), params: { settlingMs: 2000 } });
      await f.driver.connect(signal());
      f.sim.model.setLoad('20');
      expect((await f.driver.poll(signal())).readings[0]?.quality).toBe('unstable');
    });
  });
});

describe('scale-xk3190 scan probe', () => {
  const scan = scaleXk3190.scan!;

  async function probeWith(
    reply: (written: Buffer) => Buffer | undefined,
    stream?: Buffer,
  ): Promise<Record<string, string | undefined> | undefined> {
    const [gatewayEnd, deviceEnd] = createMemoryLinkPair('scan');
    await deviceEnd.open();
    deviceEnd.onData((chunk) => {
      const answer = reply(chunk);
      if (answer) void deviceEnd.write(answer);
    });
    const channel = new FrameChannel(gatewayEnd, scan.createFramer());
    await channel.open();
    const timer = stream ? setInterval(() => void deviceEnd.write(stream), 20) : undefined;
    try {
      return await scan.probe(channel, { timeoutMs: 200 });
    } finally {
      if (timer) clearInterval(timer);
      await channel.close();
      await deviceEnd.close();
    }
  }

  it('recognises a streaming indicator in format 0 and in an = format', async () => {
    const tf0 = Buffer.from('022b30303230303032314203', 'hex');
    expect(await probeWith(() => undefined, tf0)).toEqual({ format: 'tf0 (continuous format 0)' });
    expect(await probeWith(() => undefined, Buffer.from('=000.3000'))).toEqual({
      format: 'eq-reversed or eq (continuous format 1 or 2)',
    });
  });

  it('recognises an indicator in instruction mode by its handshake reply', async () => {
    const result = await probeWith((written) =>
      written.equals(Buffer.from('024141303003', 'hex')) ? Buffer.from('024141303003', 'hex') : undefined,
    );
    expect(result).toEqual({ mode: 'instruction', address: 'A' });
  });

  it('does not take other protocols for an XK3190', async () => {
    const others = [
      Buffer.from('S S     100.00 g\r\n'),
      Buffer.from('ST,GS,+0001.234kg\r\n'),
      Buffer.from('+     12.34 g  \r\n'),
      Buffer.from('ES\r\n'),
    ];
    for (const bytes of others) {
      expect(await probeWith(() => bytes, bytes)).toBeUndefined();
      expect(scan.isOwnFrame(bytes)).toBe(false);
    }
  });

  it.each([
    [{}, { format: 'tf0 (continuous format 0)' }],
    [{ format: 'eq' }, { format: 'eq-reversed or eq (continuous format 1 or 2)' }],
    [{ mode: 'instruction' }, { mode: 'instruction', address: 'A' }],
  ])('recognises the simulator with options %j', async (protocolOptions, identity) => {
    const sim = await startScaleSimulator({ protocol: 'xk3190', transport: 'memory', protocolOptions });
    try {
      if (sim.endpoint.kind !== 'memory') throw new Error('expected a memory endpoint');
      const channel = new FrameChannel(sim.endpoint.link, scan.createFramer());
      await channel.open();
      expect(await scan.probe(channel, { timeoutMs: 300 })).toEqual(identity);
      await channel.close();
    } finally {
      await sim.close();
    }
  });
});
