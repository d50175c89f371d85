import { describe, expect, it } from 'vitest';
import { describeScaleDriverContract } from '../../test/contract/scale-driver-contract.js';
import {
  memoryLinkOf,
  rejectionOf,
  signal,
  testDeps,
  useScaleFixture,
} from '../../test/helpers/driver-kit.js';
import { FrameChannel } from '../transport/frame-channel.js';
import { createMemoryLinkPair, type MemoryLink } from '../transport/link.js';
import { SbiScaleDriver } from './driver.js';
import { scaleSbi } from './index.js';

const capabilities = {
  checksum: false,
  overload: true,
  underload: true,
  stability: true,
  commands: true,
  serial: true,
} as const;

describeScaleDriverContract({
  driverId: 'scale-sbi',
  protocol: 'sbi',
  transports: ['memory', 'pty'],
  capabilities,
});

describeScaleDriverContract({
  driverId: 'scale-sbi',
  protocol: 'sbi',
  transports: ['memory', 'pty'],
  driverConfig: { mode: 'autoprint', format: 22 },
  protocolOptions: { mode: 'autoprint', format: 22, intervalMs: 50 },
  capabilities,
});

/**
 * A scripted balance on a memory link: answers each ESC P with the next of `prints` and the
 * identification commands from `identity` (absent entries are not answered, as an older balance
 * that does not know ESC x1_ stays silent).
 */
async function scriptedBalance(options: {
  prints?: string[];
  identity?: Partial<Record<'x1_' | 'x2_' | 'x3_', string>>;
  config?: Record<string, unknown>;
}) {
  const [gatewayEnd, deviceEnd] = createMemoryLinkPair('scripted-sbi');
  await deviceEnd.open();
  const received: Buffer[] = [];
  const prints = [...(options.prints ?? [])];
  let pending = '';
  deviceEnd.onData((chunk) => {
    received.push(chunk);
    pending += chunk.toString('latin1');
    for (;;) {
      const start = pending.indexOf('\u001b');
      if (start < 0) {
        pending = '';
        return;
      }
      pending = pending.slice(start);
      if (pending.startsWith('\u001bP')) {
        pending = pending.slice(2);
        const line = prints.shift();
        if (line !== undefined) void deviceEnd.write(Buffer.from(`${line}\r\n`, 'latin1'));
        continue;
      }
      const query = pending.slice(1, 4);
      if (query === 'x1_' || query === 'x2_' || query === 'x3_') {
        pending = pending.slice(4);
        const text = options.identity?.[query];
        if (text !== undefined) void deviceEnd.write(Buffer.from(`${text}\r\n`, 'latin1'));
        continue;
      }
      if (pending.length < 4) return;
      pending = pending.slice(1);
    }
  });
  const config = scaleSbi.configSchema.parse({ port: 'scripted', timeoutMs: 150, ...options.config });
  const driver = new SbiScaleDriver(config, testDeps({ link: gatewayEnd }));
  return { driver, deviceEnd, received };
}

/** The code of the MetrogateError `promise` must reject with. */
const rejectionCode = async (promise: Promise<unknown>) => (await rejectionOf(promise)).code;

describe('scale-sbi driver against a scripted balance', () => {
  it('reads model, serial number and software version on connect', async () => {
    const { driver } = await scriptedBalance({
      identity: { x1_: 'MSE3203S-100-DA', x2_: '0037454321', x3_: '"00-37-09"' },
    });
    await expect(driver.connect(signal())).resolves.toEqual({
      model: 'MSE3203S-100-DA',
      serialNumber: '0037454321',
      softwareVersion: '00-37-09',
    });
    await driver.close();
  });

  it('connects to a balance that ignores identification commands, asking only once', async () => {
    const { driver, received } = await scriptedBalance({ prints: ['+    12.50 kg '] });
    const started = performance.now();
    await expect(driver.connect(signal())).resolves.toEqual({});
    expect(performance.now() - started).toBeLessThan(1000);
    expect(Buffer.concat(received).toString('latin1')).toBe('\u001bx1_');
    const { readings } = await driver.poll(signal());
    expect(readings[0]).toMatchObject({ value: '12.50', unit: 'kg', quality: 'good', channel: 'weight' });
    await driver.close();
  });

  it('skips identification when identify is false', async () => {
    const { driver, received } = await scriptedBalance({ config: { identify: false } });
    await expect(driver.connect(signal())).resolves.toEqual({});
    expect(received).toHaveLength(0);
    await driver.close();
  });

  it('sends the configured zero, tare and clear-tare bytes', async () => {
    const { driver, received } = await scriptedBalance({
      config: {
        identify: false,
        confirmCommands: false,
        zeroCommand: 'ESC f3_',
        tareCommand: 'ESC f4_',
        clearTareCommand: 'ESC s3_',
      },
    });
    await driver.connect(signal());
    await driver.zero(signal());
    await driver.tare(signal());
    await driver.clearTare(signal());
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(Buffer.concat(received).toString('hex')).toBe('1b66335f' + '1b66345f' + '1b73335f');
    await driver.close();
  });

  it('by default sends ESC V to zero and ESC T to tare, each followed by a print request it waits for', async () => {
    const { driver, received } = await scriptedBalance({
      config: { identify: false },
      prints: ['+     0.00 kg ', '+     0.00 kg '],
    });
    await driver.connect(signal());
    await driver.zero(signal());
    await driver.tare(signal());
    expect(Buffer.concat(received).toString('hex')).toBe('1b56' + '1b50' + '1b54' + '1b50');
    await driver.close();
  });

  it('rejects a key command whose receipt the balance never confirms', async () => {
    const { driver } = await scriptedBalance({ config: { identify: false } });
    await driver.connect(signal());
    expect(await rejectionCode(driver.tare(signal()))).toBe('MG_ERR_TIMEOUT');
    await driver.close();
  });

  it('refuses clearTare with MG_ERR_COMMAND_UNSUPPORTED when no command is configured', async () => {
    const { driver } = await scriptedBalance({ config: { identify: false, clearTareCommand: null } });
    await driver.connect(signal());
    expect(await rejectionCode(driver.clearTare(signal()))).toBe('MG_ERR_COMMAND_UNSUPPORTED');
    await driver.close();
  });

  it('maps Err and Stat lines to device errors and limits to qualities', async () => {
    const { driver } = await scriptedBalance({
      config: { identify: false },
      prints: [
        '   Err  54    ',
        'Stat     ERR  54    ',
        'Stat       OFF      ',
        '      H       ',
        '      LL      ',
        '+   123.56 g  ',
        '+   124.00    ',
      ],
    });
    await driver.connect(signal());
    expect(await rejectionCode(driver.poll(signal()))).toBe('MG_ERR_DEVICE_ERROR');
    expect(await rejectionCode(driver.poll(signal()))).toBe('MG_ERR_DEVICE_ERROR');
    expect(await rejectionCode(driver.poll(signal()))).toBe('MG_ERR_DEVICE_BUSY');
    expect((await driver.poll(signal())).readings[0]).toMatchObject({ value: '', quality: 'overload' });
    expect((await driver.poll(signal())).readings[0]).toMatchObject({ value: '', quality: 'underload' });
    expect((await driver.poll(signal())).readings[0]).toMatchObject({
      value: '123.56',
      unit: 'g',
      quality: 'good',
    });
    // The unstable line prints no unit; the reading keeps the last one printed.
    expect((await driver.poll(signal())).readings[0]).toMatchObject({
      value: '124.00',
      unit: 'g',
      quality: 'unstable',
    });
    await driver.close();
  });

  it('names the port in a device error', async () => {
    const { driver } = await scriptedBalance({ config: { identify: false }, prints: ['   Err  54    '] });
    await driver.connect(signal());
    await expect(driver.poll(signal())).rejects.toThrow(/scripted-sbi.*Err 54/);
    await driver.close();
  });

  it('reports garbage as MG_ERR_FRAME_GARBLED and a wrong line length as garbage under a fixed format', async () => {
    const { driver } = await scriptedBalance({
      config: { identify: false, format: 16 },
      prints: ['+   1s3.56 g  ', 'N     +   123.56 g  '],
    });
    await driver.connect(signal());
    expect(await rejectionCode(driver.poll(signal()))).toBe('MG_ERR_FRAME_GARBLED');
    expect(await rejectionCode(driver.poll(signal()))).toBe('MG_ERR_FRAME_GARBLED');
    await driver.close();
  });

  it('reports a silent balance as MG_ERR_TIMEOUT', async () => {
    const { driver } = await scriptedBalance({ config: { identify: false } });
    await driver.connect(signal());
    expect(await rejectionCode(driver.poll(signal()))).toBe('MG_ERR_TIMEOUT');
    await driver.close();
  });

  it('reports the configured unit while the balance prints none', async () => {
    const { driver } = await scriptedBalance({
      config: { identify: false, unit: 'kg' },
      prints: ['+    12.50    '],
    });
    await driver.connect(signal());
    expect((await driver.poll(signal())).readings[0]).toMatchObject({ unit: 'kg', quality: 'unstable' });
    await driver.close();
  });
});

const SBI = { driverId: 'scale-sbi', protocol: 'sbi' } as const;

describe('scale-sbi in autoprint mode', () => {
  const start = useScaleFixture(SBI);

  it('never returns the same printed line twice, so a silent balance times out', async () => {
    const f = await start({
      protocolOptions: { mode: 'autoprint', intervalMs: 40 },
      driverConfig: { mode: 'autoprint', identify: false },
    });
    await f.driver.connect(signal());
    f.sim.model.setLoad('7');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await f.driver.poll(signal())).readings[0]?.value).toBe('7.00');
    f.sim.faults.inject({ kind: 'silence', count: 0 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    // At most one line can still be in flight; after it the driver must notice the silence.
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      await f.driver.poll(signal()).then(
        () => codes.push('ok'),
        (error: { code: string }) => codes.push(error.code),
      );
    }
    expect(codes.slice(-2)).toEqual(['MG_ERR_TIMEOUT', 'MG_ERR_TIMEOUT']);
  });

  it('reads identity while the balance keeps printing', async () => {
    const fixture = await start({
      protocolOptions: { mode: 'autoprint', intervalMs: 5 },
      driverConfig: { mode: 'autoprint' },
    });
    const identity = await fixture.driver.connect(signal());
    expect(identity).toEqual({ model: 'SIM-15K', serialNumber: '0123456789', softwareVersion: '1.0.0' });
  });

  it('works with a balance that autoprints while the driver polls (poll mode)', async () => {
    const f = await start({ protocolOptions: { mode: 'autoprint', intervalMs: 20 } });
    await f.driver.connect(signal());
    f.sim.model.setLoad('3.21');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await f.driver.poll(signal())).readings[0]?.value).toBe('3.21');
  });
});

describe('scale-sbi scan probe', () => {
  const start = useScaleFixture(SBI);
  const openChannel = async (): Promise<{ channel: FrameChannel; device: MemoryLink }> => {
    const [gatewayEnd, device] = createMemoryLinkPair('probe');
    await device.open();
    const channel = new FrameChannel(gatewayEnd, scaleSbi.scan!.createFramer());
    await channel.open();
    return { channel, device };
  };

  it('recognises the SBI simulator and reads its model', async () => {
    const channel = new FrameChannel(memoryLinkOf(await start()), scaleSbi.scan!.createFramer());
    await channel.open();
    const identity = await scaleSbi.scan!.probe(channel, { timeoutMs: 500 });
    expect(identity).toEqual({
      unit: 'kg',
      model: 'SIM-15K',
      serialNumber: '0123456789',
      softwareVersion: '1.0.0',
    });
    channel.detach();
  });

  it.each([
    ['MT-SICS', 'S S     100.00 g\r\n'],
    ['MT-SICS unknown command', 'ES\r\n'],
    ['A&D', 'ST,+00123.45  g\r\n'],
    ['A&D indicator', 'ST,GS,+0002130kg\r\n'],
    // device-protocols.md §1.5: +20.00 in continuous format 0, and format 2.
    ['XK3190', Buffer.from('022b303032303030323142030d0a', 'hex').toString('latin1')],
    ['XK3190 "=" format', '=0003.000\r\n'],
  ])('does not take a %s device for an SBI balance', async (_name, reply) => {
    const { channel, device } = await openChannel();
    device.onData(() => void device.write(Buffer.from(reply, 'latin1')));
    const started = performance.now();
    expect(await scaleSbi.scan!.probe(channel, { timeoutMs: 150 })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(400);
    expect(scaleSbi.scan!.isOwnFrame(Buffer.from(reply.replace(/\r\n$/, ''), 'latin1'))).toBe(false);
    await channel.close();
  });

  it('recognises unsolicited SBI lines', () => {
    expect(scaleSbi.scan!.isOwnFrame(Buffer.from('+   123.56 g  \r', 'latin1'))).toBe(true);
    expect(scaleSbi.scan!.isOwnFrame(Buffer.from('N     +   123.56 g  ', 'latin1'))).toBe(true);
    expect(scaleSbi.scan!.isOwnFrame(Buffer.from('Stat     ERR  54    ', 'latin1'))).toBe(true);
  });

  it('gives up within the deadline on a silent port', async () => {
    const { channel } = await openChannel();
    const started = performance.now();
    expect(await scaleSbi.scan!.probe(channel, { timeoutMs: 100 })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(300);
    await channel.close();
  });
});
