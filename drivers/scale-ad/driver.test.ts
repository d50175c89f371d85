import { describe, expect, it } from 'vitest';
import { describeScaleDriverContract } from '../../test/contract/scale-driver-contract.js';
import {
  memoryLinkOf,
  rejectionOf,
  type ScaleFixture,
  scriptedLineDevice,
  signal,
  testDeps,
  useScaleFixture,
  writtenBy,
} from '../../test/helpers/driver-kit.js';
import { FrameChannel } from '../transport/frame-channel.js';
import { adConfigSchema } from './config.js';
import { AdScaleDriver, adScanSupport } from './driver.js';
import { scaleAd } from './index.js';
import { createAdFramer } from './protocol.js';

const capabilities = {
  checksum: false,
  overload: true,
  underload: true,
  stability: true,
  commands: true,
  serial: true,
};

describe('poll mode (Q), no <AK>', () => {
  describeScaleDriverContract({
    driverId: 'scale-ad',
    protocol: 'ad',
    transports: ['memory', 'pty'],
    capabilities,
  });
});

describe('poll mode with <AK> on receipt and on completion', () => {
  describeScaleDriverContract({
    driverId: 'scale-ad',
    protocol: 'ad',
    transports: ['memory'],
    driverConfig: { acknowledge: 'ak', zeroCommand: 'R', tareCommand: 'TR' },
    protocolOptions: { acknowledge: 'receipt-and-completion' },
    capabilities,
  });
});

describe('stream mode', () => {
  describeScaleDriverContract({
    driverId: 'scale-ad',
    protocol: 'ad',
    transports: ['memory', 'pty'],
    driverConfig: { mode: 'stream' },
    protocolOptions: { mode: 'stream' },
    capabilities,
  });
});

describe('indicator format (ST,GS,…)', () => {
  describeScaleDriverContract({
    driverId: 'scale-ad',
    protocol: 'ad',
    transports: ['memory'],
    protocolOptions: { format: 'indicator' },
    capabilities,
  });
});

const AD = { driverId: 'scale-ad', protocol: 'ad' } as const;

/** Everything the driver of a memory fixture wrote, as one text. */
const written = (f: ScaleFixture) => writtenBy(memoryLinkOf(f)).join('');

/**
 * A scripted A&D device answering each command line with what `answer` returns, so that behaviours
 * the simulator does not have can be tested; `driver(config)` builds a driver on its link.
 */
function scriptedDevice(answer: (command: string) => string | undefined) {
  const device = scriptedLineDevice(answer);
  const driver = (config: Record<string, unknown> = {}) =>
    new AdScaleDriver(
      adConfigSchema.parse({ port: 'scripted', timeoutMs: 150, ...config }),
      testDeps({ link: device.gatewayEnd }),
    );
  return { ...device, driver };
}

describe('scale-ad driver specifics', () => {
  const start = useScaleFixture(AD);

  it('cancels a running stream, then reads ID number, serial number and model at connect', async () => {
    const f = await start({ protocolOptions: { idNumber: 'BENCH-7' } });
    const identity = await f.driver.connect(signal());
    expect(identity).toEqual({
      idNumber: 'BENCH-7',
      serialNumber: '0123456789',
      model: 'SIM-15K',
      unit: 'kg',
    });
    expect(written(f)).toBe('C\r\n?ID\r\n?SN\r\n?TN\r\nQ\r\n');
  });

  it('connects to a device that ignores identity queries, asking only once', async () => {
    const device = scriptedDevice((command) => (command === 'Q' ? 'ST,+00001.50 kg\r\n' : undefined));
    const driver = device.driver();
    const identity = await driver.connect(signal());
    expect(identity).toEqual({ unit: 'kg' });
    expect(device.commands).toEqual(['C', '?ID', 'Q']);
    await driver.close();
  });

  it('keeps going when the device refuses one identity query with EC,E01', async () => {
    const device = scriptedDevice((command) =>
      command === '?ID'
        ? 'EC,E01\r\n'
        : command === '?TN'
          ? 'TN,  GX-124A\r\n'
          : command === '?SN'
            ? 'SN,01234567\r\n'
            : command === 'Q'
              ? 'ST,+00012.34  g\r\n'
              : undefined,
    );
    const identity = await device.driver().connect(signal());
    expect(identity).toEqual({ serialNumber: '01234567', model: 'GX-124A', unit: 'g' });
  });

  it('fails to connect to a silent device with MG_ERR_TIMEOUT naming the port', async () => {
    const device = scriptedDevice(() => undefined);
    const error = await rejectionOf(device.driver({ identityCommands: [] }).connect(signal()));
    expect(error.code).toBe('MG_ERR_TIMEOUT');
    expect(error.message).toContain('scripted:a');
  });

  it('writes nothing to a streaming device when polling', async () => {
    const f = await start({ driverConfig: { mode: 'stream' }, protocolOptions: { mode: 'stream' } });
    await f.driver.connect(signal());
    const before = memoryLinkOf(f).written.length;
    f.sim.model.setLoad('7.5');
    for (let i = 0; i < 3; i++) await f.driver.poll(signal());
    expect(memoryLinkOf(f).written.length).toBe(before);
    const reading = (await f.driver.poll(signal())).readings[0]!;
    expect(reading).toMatchObject({ channel: 'weight', value: '7.50', unit: 'kg', quality: 'good' });
  });

  it('does not return the same stream frame twice', async () => {
    const f = await start({
      driverConfig: { mode: 'stream' },
      protocolOptions: { mode: 'stream', streamIntervalMs: 150 },
      timeoutMs: 400,
    });
    await f.driver.connect(signal());
    const t0 = performance.now();
    await f.driver.poll(signal());
    await f.driver.poll(signal());
    // Two polls in a row need a fresh frame each: at least one stream interval apart.
    expect(performance.now() - t0).toBeGreaterThan(100);
  });

  it('reports a stream of noise as MG_ERR_FRAME_GARBLED', async () => {
    const f = await start({ driverConfig: { mode: 'stream' }, protocolOptions: { mode: 'stream' } });
    await f.driver.connect(signal());
    f.sim.faults.inject({ kind: 'garble', count: 0 });
    await f.driver.poll(signal()).catch(() => undefined);
    const error = await rejectionOf(f.driver.poll(signal()));
    expect(error.code).toBe('MG_ERR_FRAME_GARBLED');
    expect(error.message).toContain('sim-ad:a');
  });

  it('reads the indicator format, net (NT) once a tare is active', async () => {
    const f = await start({ protocolOptions: { format: 'indicator' } });
    await f.driver.connect(signal());
    f.sim.model.setLoad('3');
    await f.driver.tare(signal());
    f.sim.model.setLoad('4.25');
    const reading = (await f.driver.poll(signal())).readings[0]!;
    expect(reading).toMatchObject({ value: '1.25', unit: 'kg', quality: 'good' });
  });

  it('maps EC,E11 (tare while unstable) to MG_ERR_DEVICE_BUSY', async () => {
    const f = await start({ params: { settlingMs: 2000 } });
    await f.driver.connect(signal());
    f.sim.model.setLoad('5');
    const error = await rejectionOf(f.driver.tare(signal()));
    expect(error.code).toBe('MG_ERR_DEVICE_BUSY');
    expect(error.message).toMatch(/"T" answered EC,E11/);
    expect(f.sim.model.indication().tare).toBe('0.00');
  });

  it('maps EC,E11 the same way when the device acknowledges with <AK>', async () => {
    const f = await start({
      params: { settlingMs: 2000 },
      driverConfig: { acknowledge: 'ak' },
      protocolOptions: { acknowledge: 'receipt-and-completion' },
    });
    await f.driver.connect(signal());
    f.sim.model.setLoad('5');
    expect((await rejectionOf(f.driver.zero(signal()))).code).toBe('MG_ERR_DEVICE_BUSY');
  });

  it('maps EC,E01 (a command the model does not know) to MG_ERR_COMMAND_UNSUPPORTED', async () => {
    const f = await start({ driverConfig: { clearTareCommand: 'XT' } });
    await f.driver.connect(signal());
    const error = await rejectionOf(f.driver.clearTare(signal()));
    expect(error.code).toBe('MG_ERR_COMMAND_UNSUPPORTED');
    expect(error.message).toContain('EC,E01');
  });

  it('refuses clearTare without I/O when no clear-tare command is configured', async () => {
    const f = await start({ driverConfig: { clearTareCommand: null } });
    await f.driver.connect(signal());
    const before = memoryLinkOf(f).written.length;
    expect((await rejectionOf(f.driver.clearTare(signal()))).code).toBe('MG_ERR_COMMAND_UNSUPPORTED');
    expect(memoryLinkOf(f).written.length).toBe(before);
  });

  it('says how to fix a missing <AK> when acknowledge is ak but the device sends none', async () => {
    const f = await start({ driverConfig: { acknowledge: 'ak' } });
    await f.driver.connect(signal());
    const error = await rejectionOf(f.driver.tare(signal()));
    expect(error.code).toBe('MG_ERR_TIMEOUT');
    expect(error.message).toContain('acknowledge: none');
  });

  it('sends the configured zero and tare commands', async () => {
    const f = await start({ driverConfig: { zeroCommand: 'R', tareCommand: 'TR' } });
    await f.driver.connect(signal());
    // Within the zero-setting range (2 % of 30 kg), so that both commands succeed.
    f.sim.model.setLoad('0.3');
    await f.driver.tare(signal());
    await f.driver.zero(signal());
    expect(written(f)).toMatch(/TR\r\nQ\r\nR\r\nQ\r\n$/);
  });

  it('waits for stability with S, which the device answers once stable', async () => {
    const f = await start({ params: { settlingMs: 600 } });
    await f.driver.connect(signal());
    f.sim.model.setLoad('8');
    const reading = await f.driver.readStable(signal(), 3000);
    expect(reading).toMatchObject({ value: '8.00', quality: 'good' });
    expect(written(f).endsWith('S\r\n')).toBe(true);
  });

  it('cancels S with C when no stable weight comes in time', async () => {
    const f = await start({ params: { settlingMs: 5000 } });
    await f.driver.connect(signal());
    f.sim.model.setLoad('8');
    const error = await rejectionOf(f.driver.readStable(signal(), 300));
    expect(error.code).toBe('MG_ERR_TIMEOUT');
    expect(error.message).toContain('no stable weight');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(written(f).endsWith('S\r\nC\r\n')).toBe(true);
  });

  it('falls back to polling with Q when the device refuses S', async () => {
    const device = scriptedDevice((command) =>
      command === 'S' ? 'EC,E01\r\n' : command === 'Q' ? 'ST,+00012.34  g\r\n' : undefined,
    );
    const driver = device.driver({ identityCommands: [] });
    await driver.connect(signal());
    const reading = await driver.readStable(signal(), 1000);
    expect(reading.value).toBe('12.34');
    expect(device.commands).toEqual(['C', 'Q', 'S', 'Q']);
  });

  it('polls with Q until stable when no stable-weight command is configured', async () => {
    const f = await start({ params: { settlingMs: 400 }, driverConfig: { stableCommand: null } });
    await f.driver.connect(signal());
    f.sim.model.setLoad('9');
    expect((await f.driver.readStable(signal(), 3000)).value).toBe('9.00');
    expect(written(f)).not.toContain('S\r\n');
  });

  it('leaves a pause of commandGapMs between a control command and its confirmation', async () => {
    const f = await start({ driverConfig: { commandGapMs: 120, identityCommands: [] } });
    await f.driver.connect(signal());
    const t0 = performance.now();
    await f.driver.clearTare(signal());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
  });
});

describe('scale-ad scan support', () => {
  const start = useScaleFixture(AD);
  const probeAgainst = async (answer: (command: string) => string | undefined, timeoutMs = 200) => {
    const device = scriptedLineDevice(answer);
    const channel = new FrameChannel(device.gatewayEnd, adScanSupport.createFramer());
    await channel.open();
    try {
      return await adScanSupport.probe(channel, { timeoutMs });
    } finally {
      await channel.close();
    }
  };

  it('recognises the simulator and reads its model name', async () => {
    const f = await start();
    const channel = new FrameChannel(memoryLinkOf(f), adScanSupport.createFramer());
    await channel.open();
    expect(await adScanSupport.probe(channel, { timeoutMs: 300 })).toEqual({
      unit: 'kg',
      model: 'SIM-15K',
    });
  });

  it('recognises an A&D device that answers Q but not ?TN', async () => {
    expect(await probeAgainst((c) => (c === 'Q' ? 'ST,GS,+0002130kg\r\n' : undefined))).toEqual({
      unit: 'kg',
    });
  });

  it('does not recognise other protocols', async () => {
    // MT-SICS answers an unknown command with ES; SBI prints a 16-character line; XK3190 sends STX…ETX.
    expect(await probeAgainst(() => 'ES\r\n')).toBeUndefined();
    expect(await probeAgainst(() => 'S S     100.00 g\r\n')).toBeUndefined();
    expect(await probeAgainst(() => '+   123.56 g  \r\n')).toBeUndefined();
    expect(
      await probeAgainst(() =>
        Buffer.from('022b303032303030323142 03'.replace(/ /g, ''), 'hex').toString('latin1'),
      ),
    ).toBeUndefined();
    expect(await probeAgainst(() => undefined)).toBeUndefined();
  });

  it('honours the probe deadline against a silent device', async () => {
    const t0 = performance.now();
    await probeAgainst(() => undefined, 150);
    expect(performance.now() - t0).toBeLessThan(400);
  });

  it('takes unsolicited A&D weight lines as its own, and nothing else', () => {
    const framer = adScanSupport.createFramer();
    const frames = framer
      .push(Buffer.from('ST,+00123.45  g\r\nUS,NT,-0000.12kg\r\nS S     100.00 g\r\nEC,E01\r\n', 'latin1'))
      .flatMap((output) => ('frame' in output ? [output.frame] : []));
    expect(frames.map((frame) => adScanSupport.isOwnFrame(frame))).toEqual([true, true, false, false]);
  });

  it('registers the scan support and the 2400 7E1 line in the definition', () => {
    expect(scaleAd.scan).toBe(adScanSupport);
    expect(scaleAd.defaultLineSettings).toEqual({ baudRate: 2400, dataBits: 7, parity: 'even', stopBits: 1 });
    expect(createAdFramer().idleFlushMs).toBeGreaterThan(0);
  });
});
