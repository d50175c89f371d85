import { describe, expect, it } from 'vitest';
import { describeScaleDriverContract } from '../../test/contract/scale-driver-contract.js';
import { signal, useScaleFixture } from '../../test/helpers/driver-kit.js';

const capabilities = {
  checksum: true,
  overload: true,
  underload: true,
  stability: true,
  commands: true,
  serial: false,
};

// Modbus TCP has no CRC of its own (TCP checks the bytes), so the bad-checksum case is RTU only.
describeScaleDriverContract({
  driverId: 'scale-modbus',
  protocol: 'modbus',
  transports: ['memory', 'rtu-pty'],
  protocolOptions: { preset: 'generic' },
  driverConfig: { preset: 'generic', unit: 'kg' },
  capabilities,
});
describeScaleDriverContract({
  driverId: 'scale-modbus',
  protocol: 'modbus',
  transports: ['tcp'],
  protocolOptions: { preset: 'generic' },
  driverConfig: { preset: 'generic', unit: 'kg' },
  capabilities: { ...capabilities, checksum: false },
});

// Tuna ID551PN: float weights rounded to the display resolution, demand bits on a 0→1 edge.
describeScaleDriverContract({
  driverId: 'scale-modbus',
  protocol: 'modbus',
  transports: ['memory', 'rtu-pty'],
  protocolOptions: { preset: 'id551pn', unitId: 7 },
  driverConfig: { preset: 'id551pn', unit: 'kg', decimals: 2, unitId: 7 },
  capabilities,
});

// Dini Argeo DGT4X: integer counts, negative weights as magnitude + sign bit, no command register.
describeScaleDriverContract({
  driverId: 'scale-modbus',
  protocol: 'modbus',
  transports: ['memory', 'tcp'],
  protocolOptions: { preset: 'dgt4x', negativeAs: 'magnitude' },
  driverConfig: { preset: 'dgt4x', unit: 'kg', decimals: 2 },
  capabilities: { ...capabilities, checksum: false, commands: false },
});

describe('scale-modbus specifics', () => {
  const startFixture = useScaleFixture({ driverId: 'scale-modbus', protocol: 'modbus' });
  /** A connected driver on the simulator running `preset`, with two decimals unless overridden. */
  const start = async (preset: string, driverConfig: Record<string, unknown> = {}) => {
    const fixture = await startFixture({
      protocolOptions: { preset },
      driverConfig: { preset, unit: 'kg', decimals: 2, ...driverConfig },
    });
    await fixture.driver.connect(signal());
    return fixture;
  };

  it('refuses zero and tare with MG_ERR_COMMAND_UNSUPPORTED when the preset has no command', async () => {
    const f = await start('dgt4x');
    await expect(f.driver.tare(signal())).rejects.toMatchObject({
      code: 'MG_ERR_COMMAND_UNSUPPORTED',
      message: expect.stringContaining('overrides.commands.tare'),
    });
    await expect(f.driver.zero(signal())).rejects.toMatchObject({ code: 'MG_ERR_COMMAND_UNSUPPORTED' });
  });

  it('sends a command configured in overrides', async () => {
    // The simulated DGT4X ignores writes; the generic layout's command register is at 8.
    const f = await start('generic', {
      overrides: { commands: { tare: { kind: 'register-value', address: 8, value: 2 } } },
    });
    f.sim.model.setLoad('4');
    await f.driver.tare(signal());
    expect(f.sim.model.indication().tare).toBe('4.00');
  });

  it('reports gross, the centre-of-zero flag and the status word as extra channels', async () => {
    const f = await start('id551pn', { channels: ['gross', 'zero', 'status'] });
    f.sim.model.setLoad('5');
    await f.driver.tare(signal());
    f.sim.model.setLoad('7.5');
    const result = await f.driver.poll(signal());
    expect(result.readings.map((r) => [r.channel, r.value, r.unit, r.quality])).toEqual([
      ['weight', '2.50', 'kg', 'good'],
      ['gross', '7.50', 'kg', 'good'],
      ['zero', '0', '', 'good'],
      ['status', String(0xa800), '', 'good'],
    ]);
  });

  it('gives up waiting for a stable weight with MG_ERR_TIMEOUT naming the bus', async () => {
    const fixture = await startFixture({
      params: { settlingMs: 60_000 },
      protocolOptions: { preset: 'generic' },
      driverConfig: { preset: 'generic', unit: 'kg' },
    });
    await fixture.driver.connect(signal());
    fixture.sim.model.setLoad('3');
    await expect(fixture.driver.readStable(signal(), 300)).rejects.toMatchObject({
      code: 'MG_ERR_TIMEOUT',
      message: expect.stringMatching(/modbus-memory.*unstable/),
    });
  });
});
