import { describe, expect, it } from 'vitest';
import { describeScaleDriverContract } from '../../test/contract/scale-driver-contract.js';
import {
  memoryLinkOf,
  rejectionOf,
  type ScaleFixtureDefaults,
  type ScaleFixtureOptions,
  scriptedLineDevice,
  signal,
  testDeps,
  useCleanup,
  useScaleFixture,
  writtenBy,
} from '../../test/helpers/driver-kit.js';
import { FrameChannel } from '../transport/frame-channel.js';
import type { MemoryLink } from '../transport/link.js';
import { mtsicsConfigSchema } from './config.js';
import { MtsicsDriver } from './driver.js';
import { scaleMtsics } from './index.js';

const capabilities = {
  checksum: false,
  overload: true,
  underload: true,
  stability: true,
  commands: true,
  serial: true,
};

describeScaleDriverContract({
  driverId: 'scale-mtsics',
  protocol: 'mt-sics',
  transports: ['memory', 'pty'],
  capabilities,
});

describeScaleDriverContract({
  driverId: 'scale-mtsics',
  protocol: 'mt-sics',
  transports: ['memory', 'pty'],
  driverConfig: { mode: 'stream' },
  capabilities,
});

// ---------------------------------------------------------------------------------------------
// Driver-specific behaviour

const MTSICS: ScaleFixtureDefaults = { driverId: 'scale-mtsics', protocol: 'mt-sics' };

/**
 * A scripted MT-SICS peer on a memory link: each command line gets the listed reply lines (the last
 * entry is reused; `*` answers any other command), so the tests can hold the driver to replies the
 * simulator never sends.
 */
function scriptedDevice(script: Record<string, string[] | string>) {
  return scriptedLineDevice((command) => {
    const entry = script[command] ?? script['*'];
    const replies = typeof entry === 'string' ? [entry] : (entry ?? []);
    return replies.length > 1 ? replies.shift()! : replies[0];
  });
}

const IDENTIFYING = {
  '@': 'I4 A "1234567"\r\n',
  I2: 'I2 A "XS204 Excellence 220.0090 g"\r\n',
  I3: 'I3 A "2.10"\r\n',
};

function scriptedDriver(script: Record<string, string[] | string>, config: Record<string, unknown> = {}) {
  const device = scriptedDevice({ ...IDENTIFYING, ...script });
  const driver = new MtsicsDriver(
    mtsicsConfigSchema.parse({ port: device.gatewayEnd.description, timeoutMs: 150, ...config }),
    testDeps({ link: device.gatewayEnd }),
  );
  return { driver, ...device };
}

describe('scale-mtsics identity', () => {
  const startFixture = useScaleFixture(MTSICS);
  const start = async (options: Partial<ScaleFixtureOptions> = {}) => {
    const fixture = await startFixture(options);
    return { fixture, link: memoryLinkOf(fixture) };
  };

  it('asks @ (serial number), I2, I3 and I1 (MT-SICS level) on connect', async () => {
    const { fixture, link } = await start();
    const identity = await fixture.driver.connect(signal());
    expect(identity).toEqual({
      serialNumber: '0123456789',
      model: 'SIM-15K',
      capacity: '30',
      unit: 'kg',
      softwareVersion: '1.0.0',
      mtsicsLevel: '01',
      mtsicsVersions: '2.20 2.20 1.00 1.00',
    });
    expect(writtenBy(link)).toEqual(['\r\n', '@\r\n', 'I2\r\n', 'I3\r\n', 'I1\r\n']);
  });

  it('falls back to I4 when @ gives no serial number, and tolerates ES to I2 and I3', async () => {
    const { fixture, link } = await start({
      protocolOptions: { busyCommands: ['@'], unsupportedCommands: ['I1', 'I2', 'I3'] },
    });
    expect(await fixture.driver.connect(signal())).toEqual({ serialNumber: '0123456789' });
    expect(writtenBy(link)).toEqual(['\r\n', '@\r\n', 'I2\r\n', 'I3\r\n', 'I1\r\n', 'I4\r\n']);
  });

  it('connects and weighs when the balance gives no identity at all', async () => {
    const { fixture } = await start({
      protocolOptions: { busyCommands: ['@', 'I4'], unsupportedCommands: ['I1', 'I2', 'I3'] },
    });
    expect(await fixture.driver.connect(signal())).toEqual({});
    fixture.sim.model.setLoad('1.5');
    const result = await fixture.driver.poll(signal());
    expect(result.readings[0]).toMatchObject({ value: '1.50', unit: 'kg', quality: 'good' });
  });

  it('fails to connect to a silent device with MG_ERR_TIMEOUT naming the port', async () => {
    const { fixture } = await start();
    fixture.sim.faults.inject({ kind: 'silence', count: 0 });
    const error = await rejectionOf(fixture.driver.connect(signal()));
    expect(error.code).toBe('MG_ERR_TIMEOUT');
    expect(error.message).toContain('sim-mt-sics');
  });

  it('fails to connect when @ is answered ET (the line settings are wrong)', async () => {
    const { driver } = scriptedDriver({ '@': 'ET\r\n' });
    const error = await rejectionOf(driver.connect(signal()));
    expect(error.code).toBe('MG_ERR_DEVICE_ERROR');
    expect(error.message).toMatch(/transmission error.*line settings/);
    expect(error.message).toContain('scripted:a');
  });
});

describe('scale-mtsics poll and stream modes', () => {
  const startFixture = useScaleFixture(MTSICS);
  const start = async (driverConfig: Record<string, unknown>, params = {}, protocolOptions = {}) => {
    const fixture = await startFixture({ driverConfig, params, protocolOptions });
    return { fixture, link: memoryLinkOf(fixture) };
  };

  it('sends SI per poll by default and reports a settling load unstable', async () => {
    const { fixture, link } = await start({}, { settlingMs: 2000 });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('10');
    const result = await fixture.driver.poll(signal());
    expect(result.readings[0]?.quality).toBe('unstable');
    expect(writtenBy(link).at(-1)).toBe('SI\r\n');
  });

  it('sends S per poll with weighCommand S: the balance answers once stable', async () => {
    const { fixture, link } = await start({ weighCommand: 'S', stabilityWaitMs: 3000 }, { settlingMs: 400 });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('10');
    const result = await fixture.driver.poll(signal());
    expect(result.readings[0]).toMatchObject({ value: '10.00', quality: 'good' });
    expect(writtenBy(link).at(-1)).toBe('S\r\n');
  });

  it('reports S I to a poll with S as MG_ERR_DEVICE_BUSY', async () => {
    const { fixture } = await start({ weighCommand: 'S' }, { settlingMs: 5000 }, { stabilityTimeoutMs: 50 });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('10');
    const error = await rejectionOf(fixture.driver.poll(signal()));
    expect(error.code).toBe('MG_ERR_DEVICE_BUSY');
    expect(error.message).toMatch(/S I/);
  });

  it('starts SIR on connect, polls without writing, and stops the stream with @ on close', async () => {
    const { fixture, link } = await start({ mode: 'stream' });
    await fixture.driver.connect(signal());
    expect(writtenBy(link)).toEqual(['\r\n', '@\r\n', 'I2\r\n', 'I3\r\n', 'I1\r\n', 'SIR\r\n']);
    fixture.sim.model.setLoad('3');
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const reading = (await fixture.driver.poll(signal())).readings[0]!;
      seen.add(reading.value);
    }
    expect(seen).toContain('3.00');
    expect(writtenBy(link)).toHaveLength(6);
    await fixture.driver.close();
    expect(writtenBy(link).at(-1)).toBe('@\r\n');
  });

  it('never reports the same streamed line twice: a poll waits for the next one', async () => {
    const { fixture } = await start({ mode: 'stream' }, {}, { streamIntervalMs: 150 });
    await fixture.driver.connect(signal());
    const started = performance.now();
    await fixture.driver.poll(signal());
    await fixture.driver.poll(signal());
    await fixture.driver.poll(signal());
    // The SIR reply was consumed by connect, so three polls need three new lines.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 150);
  });

  it('starts the stream again after a command and after a silent spell', async () => {
    const { fixture, link } = await start({ mode: 'stream' });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('5');
    await fixture.driver.tare(signal());
    expect(writtenBy(link).at(-1)).toBe('T\r\n');
    const reading = (await fixture.driver.poll(signal())).readings[0]!;
    expect(reading.value).toBe('0.00');
    expect(writtenBy(link).at(-1)).toBe('SIR\r\n');
    fixture.sim.faults.inject({ kind: 'silence', count: 0 });
    expect((await rejectionOf(fixture.driver.poll(signal()))).code).toBe('MG_ERR_TIMEOUT');
    fixture.sim.faults.clear();
    const before = writtenBy(link).length;
    await fixture.driver.poll(signal());
    expect(writtenBy(link).slice(before)).toEqual(['SIR\r\n']);
  });

  it('reads a stable weight with S in stream mode and ignores S D lines still in flight', async () => {
    const { fixture, link } = await start({ mode: 'stream' }, { settlingMs: 600 });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('7');
    const reading = await fixture.driver.readStable(signal(), 3000);
    expect(reading).toMatchObject({ value: '7.00', quality: 'good', unit: 'kg' });
    expect(writtenBy(link).at(-1)).toBe('S\r\n');
  });
});

describe('scale-mtsics readStable', () => {
  const start = useScaleFixture(MTSICS);

  it('retries S after S I until the weight is stable', async () => {
    const fixture = await start({
      params: { settlingMs: 700 },
      protocolOptions: { stabilityTimeoutMs: 150 },
    });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('12');
    const reading = await fixture.driver.readStable(signal(), 3000);
    expect(reading).toMatchObject({ value: '12.00', quality: 'good' });
    const weighCommands = writtenBy(memoryLinkOf(fixture)).filter((command) => command === 'S\r\n');
    expect(weighCommands.length).toBeGreaterThan(1);
  });

  it('gives up with MG_ERR_TIMEOUT at its deadline', async () => {
    const fixture = await start({
      params: { settlingMs: 10_000 },
      protocolOptions: { stabilityTimeoutMs: 100 },
    });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('12');
    const started = performance.now();
    const error = await rejectionOf(fixture.driver.readStable(signal(), 500));
    expect(error.code).toBe('MG_ERR_TIMEOUT');
    expect(error.message).toMatch(/no stable weight within 500 ms.*S I/);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('scale-mtsics commands through the simulator', () => {
  const start = useScaleFixture(MTSICS);

  it('zeroes and tares immediately, presets, queries and clears the tare', async () => {
    const fixture = await start();
    const driver = fixture.driver as MtsicsDriver;
    await driver.connect(signal());
    fixture.sim.model.configure({ zeroOffset: '0.1' });
    fixture.sim.model.setLoad('0');
    expect(await driver.zeroImmediately(signal())).toEqual({ stable: true });
    expect(fixture.sim.model.indication().net).toBe('0.00');
    fixture.sim.model.setLoad('2');
    expect(await driver.tareImmediately(signal())).toEqual({ value: '2.00', unit: 'kg', stable: true });
    expect(await driver.queryTare(signal())).toEqual({ value: '2.00', unit: 'kg' });
    expect(await driver.presetTare(signal(), '0.5', 'kg')).toEqual({ value: '0.50', unit: 'kg' });
    expect((await driver.poll(signal())).readings[0]?.value).toBe('1.50');
    const refused = await rejectionOf(driver.presetTare(signal(), '40', 'kg'));
    expect(refused.code).toBe('MG_ERR_DEVICE_ERROR');
    expect(refused.message).toMatch(/TA L/);
    await driver.clearTare(signal());
    expect(await driver.queryTare(signal())).toEqual({ value: '0.00', unit: 'kg' });
  });

  it('reports a zero outside the zero range as MG_ERR_DEVICE_ERROR', async () => {
    const fixture = await start();
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('5');
    const error = await rejectionOf(fixture.driver.zero(signal()));
    expect(error.code).toBe('MG_ERR_DEVICE_ERROR');
    expect(error.message).toMatch(/Z \+.*outside the zero range/);
  });
});

describe('scale-mtsics replies mapped to errors and qualities', () => {
  const cleanup = useCleanup();
  const connected = async (
    script: Record<string, string[] | string>,
    config: Record<string, unknown> = {},
  ) => {
    const device = scriptedDriver(script, config);
    cleanup(() => device.driver.close());
    await device.driver.connect(signal());
    return device;
  };

  it.each([
    ['ES\r\n', 'MG_ERR_DEVICE_ERROR', /ES: syntax error/],
    ['ET\r\n', 'MG_ERR_DEVICE_ERROR', /ET: transmission error/],
    ['EL\r\n', 'MG_ERR_DEVICE_ERROR', /EL: logical error/],
    ['S I\r\n', 'MG_ERR_DEVICE_BUSY', /S I: the balance cannot weigh now/],
    ['S S     1p0.00 g\r\n', 'MG_ERR_FRAME_GARBLED', /not an MT-SICS reply.*check the baud rate/],
    ['ST,+00123.45  g\r\n', 'MG_ERR_FRAME_GARBLED', /not an MT-SICS reply/],
  ])('a poll answered %j rejects with %s', async (reply, code, message) => {
    const { driver } = await connected({ SI: reply });
    const error = await rejectionOf(driver.poll(signal()));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('scripted:a');
  });

  it('reads S + and S - as overload and underload with the unit from I2', async () => {
    const { driver } = await connected({ SI: ['S +\r\n', 'S -\r\n'] });
    expect((await driver.poll(signal())).readings[0]).toMatchObject({
      value: '',
      unit: 'g',
      quality: 'overload',
    });
    expect((await driver.poll(signal())).readings[0]).toMatchObject({ quality: 'underload' });
  });

  it('accepts firmwares that echo SI as the reply id', async () => {
    const { driver } = await connected({ SI: 'SI S      12.50 g\r\n' });
    expect((await driver.poll(signal())).readings[0]).toMatchObject({ value: '12.50', unit: 'g' });
  });

  it.each([
    ['zero', 'Z', 'Z +\r\n', 'MG_ERR_DEVICE_ERROR', /upper limit.*outside the zero range/],
    ['zero', 'Z', 'Z -\r\n', 'MG_ERR_DEVICE_ERROR', /lower limit.*outside the zero range/],
    ['zero', 'Z', 'Z I\r\n', 'MG_ERR_DEVICE_BUSY', /Z I: the command is not executable now/],
    ['zero', 'Z', 'ES\r\n', 'MG_ERR_DEVICE_ERROR', /zero \(Z\): ES: syntax error/],
    ['tare', 'T', 'T +\r\n', 'MG_ERR_DEVICE_ERROR', /outside the taring range/],
    ['tare', 'T', 'T I\r\n', 'MG_ERR_DEVICE_BUSY', /T I/],
    ['clearTare', 'TAC', 'TAC I\r\n', 'MG_ERR_DEVICE_BUSY', /TAC I/],
    ['clearTare', 'TAC', 'EL\r\n', 'MG_ERR_DEVICE_ERROR', /logical error/],
  ] as const)('%s answered %j rejects with %s', async (method, command, reply, code, message) => {
    const { driver } = await connected({ [command]: reply });
    const error = await rejectionOf(driver[method](signal()));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('takes the answer to its own command among streamed lines', async () => {
    const { driver } = await connected({ Z: 'S D       1.00 g\r\nS D       1.01 g\r\nZ A\r\n' });
    await expect(driver.zero(signal())).resolves.toBeUndefined();
  });

  it('accepts Z replies to ZI (firmware variant, UNCONFIRMED)', async () => {
    const { driver } = await connected({ ZI: 'Z +\r\n' });
    const error = await rejectionOf(driver.zeroImmediately(signal()));
    expect(error.message).toMatch(/outside the zero range/);
  });

  it('sends a preset tare as TA <value> <unit> and refuses a bad value before sending', async () => {
    const { driver, commands } = await connected({ 'TA 12.3 g': 'TA A 12.3 g\r\n' });
    expect(await driver.presetTare(signal(), '12.3', 'g')).toEqual({ value: '12.3', unit: 'g' });
    expect(commands.at(-1)).toBe('TA 12.3 g');
    const error = await rejectionOf(driver.presetTare(signal(), '12,3', 'g'));
    expect(error.code).toBe('MG_ERR_INPUT_INVALID');
    expect(commands.at(-1)).toBe('TA 12.3 g');
  });
});

describe('scale-mtsics scan support', () => {
  const start = useScaleFixture(MTSICS);
  const scan = scaleMtsics.scan!;
  const line = (text: string) => Buffer.from(text, 'latin1');

  it('recognises streamed MT-SICS weight lines and nothing else', () => {
    expect(scan.isOwnFrame(line('S S     100.00 g'))).toBe(true);
    expect(scan.isOwnFrame(line('S D      -1.25 kg'))).toBe(true);
    expect(scan.isOwnFrame(line('S +'))).toBe(true);
    for (const other of [
      'Z A',
      'ST,+00123.45  g',
      'US,-00000.12 kg',
      'ST,GS,+0002130kg',
      '+   123.56 g  ',
      'N     +   123.56 g  ',
      'Stat     ERR  XYZ',
      'ww000.000kg',
      '=0003.000',
      'SI ?    0.1234 g',
    ]) {
      expect(scan.isOwnFrame(line(other)), other).toBe(false);
    }
    expect(scan.isOwnFrame(Buffer.from('022b30303230303032314203', 'hex'))).toBe(false);
  });

  const probeOver = async (link: MemoryLink, timeoutMs = 300) => {
    const channel = new FrameChannel(link, scan.createFramer());
    await channel.open();
    try {
      return await scan.probe(channel, { timeoutMs, signal: signal() });
    } finally {
      await channel.close();
    }
  };

  it('probes the simulator with I4 and I2', async () => {
    const link = memoryLinkOf(await start());
    expect(await probeOver(link)).toEqual({
      serialNumber: '0123456789',
      model: 'SIM-15K',
      capacity: '30',
      unit: 'kg',
    });
    expect(writtenBy(link)).toEqual(['\r\n', 'I4\r\n', 'I2\r\n']);
  });

  it('recognises a balance that answers ES to the identification queries', async () => {
    const { gatewayEnd } = scriptedDevice({ '*': 'ES\r\n' });
    expect(await probeOver(gatewayEnd)).toEqual({});
  });

  it.each([
    ['A&D standard format', 'ST,+00123.45  g\r\n'],
    ['A&D error', 'EC,E01\r\n'],
    ['Sartorius SBI', '+   123.56 g  \r\n'],
    ['XK3190 format 0', '\x02+0020002\x31\x42\x03'],
    ['MT-SICS transmission error', 'ET\r\n'],
    ['a Radwag-style reply', 'SI ?    0.1234 g\r\n'],
  ])('does not recognise %s', async (_name, reply) => {
    const { gatewayEnd } = scriptedDevice({ '*': reply });
    expect(await probeOver(gatewayEnd, 200)).toBeUndefined();
  });

  it('gives up on a silent port within its deadline', async () => {
    const { gatewayEnd } = scriptedDevice({});
    const started = performance.now();
    expect(await probeOver(gatewayEnd, 200)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
