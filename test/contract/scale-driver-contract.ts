/**
 * The contract every weighing driver must keep, run against its simulator over every transport it
 * supports (MQTT.js abstract-suite style). A driver test file calls `describeScaleDriverContract`
 * once; adding a driver adds a call, not a copy of these tests.
 */
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../drivers/errors.js';
import type { ScaleProtocolId, ScaleSimTransport } from '../../simulators/scale/index.js';
import { rejectionOf, useScaleFixture } from '../helpers/driver-kit.js';
import { type ScaleFixture, signal } from './scale-fixture.js';

export interface ScaleContractTarget {
  driverId: string;
  protocol: ScaleProtocolId;
  transports: ScaleSimTransport[];
  driverConfig?: Record<string, unknown>;
  protocolOptions?: Record<string, unknown>;
  capabilities: {
    /** Frames carry a checksum or CRC the driver verifies. */
    checksum: boolean;
    /** The protocol can say "overload" / "underload" (or the driver infers it from config). */
    overload: boolean;
    underload: boolean;
    /** The protocol reports stability (else the driver infers it from repeated frames). */
    stability: boolean;
    /** Zero and tare commands exist in the protocol. */
    commands: boolean;
    /** Serial protocol (line settings matter; wrong-baud test applies over a pty). */
    serial: boolean;
  };
}

/** Polls until the weight reading satisfies `predicate` (streaming devices need a frame or two). */
async function pollUntil(
  fixture: ScaleFixture,
  predicate: (value: string, quality: string) => boolean,
  timeoutMs = 3000,
): Promise<{ value: string; quality: string; unit: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: string; quality: string; unit: string } | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await fixture.driver.poll(signal());
      const reading = result.readings.find((r) => r.channel === 'weight');
      if (reading) {
        last = reading;
        if (predicate(reading.value, reading.quality)) return reading;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  throw new Error(`condition not met; last reading ${JSON.stringify(last)}, last error ${String(lastError)}`);
}

export function describeScaleDriverContract(target: ScaleContractTarget): void {
  for (const transport of target.transports) {
    describe(`${target.driverId} driver contract over ${transport}`, () => {
      const start = useScaleFixture({
        driverId: target.driverId,
        protocol: target.protocol,
        transport,
        ...(target.driverConfig ? { driverConfig: target.driverConfig } : {}),
        ...(target.protocolOptions ? { protocolOptions: target.protocolOptions } : {}),
      });

      it('does no I/O in init()', async () => {
        const f = await start();
        f.driver.init();
        // A poll before connect must be refused, not silently open the port.
        await rejectionOf(f.driver.poll(signal()), ['MG_ERR_NOT_CONNECTED']);
      });

      it('reads the exact indication with unit and quality', async () => {
        const f = await start();
        await f.driver.connect(signal());
        f.sim.model.setLoad('12.345');
        const expected = f.sim.model.indication().net;
        expect(expected).toBe('12.35'); // half-up to d = 0.01
        const reading = await pollUntil(f, (value) => value === expected);
        expect(reading.unit).toBe('kg');
        expect(reading.quality).toBe('good');
        f.sim.model.setLoad('0.1');
        expect((await pollUntil(f, (value) => value === '0.10')).value).toBe('0.10');
      });

      it('reports a negative indication', async () => {
        const f = await start();
        await f.driver.connect(signal());
        f.sim.model.configure({ zeroOffset: '-0.05' });
        f.sim.model.setLoad('0');
        const reading = await pollUntil(f, (value) => value === '-0.05');
        expect(reading.value).toBe('-0.05');
      });

      it('marks a settling load unstable, then good', async () => {
        const f = await start({ params: { settlingMs: 1500 } });
        await f.driver.connect(signal());
        f.sim.model.setLoad('20');
        await pollUntil(f, (_value, quality) => quality === 'unstable', 1200);
        const stable = await f.driver.readStable(signal(8000), 6000);
        expect(stable.value).toBe('20.00');
        expect(stable.quality).toBe('good');
      });

      if (target.capabilities.overload) {
        it('reports overload as a quality, not an error', async () => {
          const f = await start();
          await f.driver.connect(signal());
          f.sim.model.setLoad('31');
          const reading = await pollUntil(f, (_value, quality) => quality === 'overload');
          expect(reading.quality).toBe('overload');
        });
      }

      if (target.capabilities.underload) {
        it('reports underload as a quality, not an error', async () => {
          const f = await start();
          await f.driver.connect(signal());
          f.sim.model.configure({ zeroOffset: '-1' });
          f.sim.model.setLoad('0');
          const reading = await pollUntil(f, (_value, quality) => quality === 'underload');
          expect(reading.quality).toBe('underload');
        });
      }

      if (target.capabilities.commands) {
        it('tares, clears the tare and zeroes through the protocol', async () => {
          const f = await start();
          await f.driver.connect(signal());
          f.sim.model.setLoad('5');
          await pollUntil(f, (value) => value === '5.00');
          await f.driver.tare(signal());
          expect(f.sim.model.indication().tare).toBe('5.00');
          await pollUntil(f, (value) => value === '0.00');
          await f.driver.clearTare(signal());
          await pollUntil(f, (value) => value === '5.00');
          f.sim.model.setLoad('0');
          f.sim.model.configure({ zeroOffset: '0.2' });
          f.sim.model.setLoad('0');
          await pollUntil(f, (value) => value === '0.20');
          await f.driver.zero(signal());
          await pollUntil(f, (value) => value === '0.00');
        });
      }

      it('reports a silent device as MG_ERR_TIMEOUT naming the port, then recovers', async () => {
        const f = await start();
        await f.driver.connect(signal());
        f.sim.model.setLoad('1');
        await pollUntil(f, (value) => value === '1.00');
        f.sim.faults.inject({ kind: 'silence', count: 0 });
        const error = await rejectionOf(
          (async () => {
            // A streaming device may have one frame in flight; the next poll must see the silence.
            for (let i = 0; i < 3; i++) await f.driver.poll(signal());
          })(),
          ['MG_ERR_TIMEOUT'],
        );
        expect(error.message).toMatch(/port|modbus|unit/);
        f.sim.faults.clear();
        await pollUntil(f, (value) => value === '1.00');
      });

      it('rejects a garbled frame with a clear error and reads the next one', async () => {
        const f = await start();
        await f.driver.connect(signal());
        f.sim.model.setLoad('2.5');
        await pollUntil(f, (value) => value === '2.50');
        f.sim.faults.inject({ kind: 'garble', count: 0 });
        await rejectionOf(
          (async () => {
            for (let i = 0; i < 3; i++) await f.driver.poll(signal());
          })(),
          ['MG_ERR_FRAME_GARBLED', 'MG_ERR_FRAME_CHECKSUM', 'MG_ERR_TIMEOUT', 'MG_ERR_DEVICE_ERROR'],
        );
        f.sim.faults.clear();
        await pollUntil(f, (value) => value === '2.50');
      });

      if (target.capabilities.checksum) {
        it('rejects a bad checksum with MG_ERR_FRAME_CHECKSUM', async () => {
          const f = await start();
          await f.driver.connect(signal());
          f.sim.model.setLoad('3');
          await pollUntil(f, (value) => value === '3.00');
          f.sim.faults.inject({ kind: 'bad-checksum', count: 0 });
          await rejectionOf(
            (async () => {
              for (let i = 0; i < 3; i++) await f.driver.poll(signal());
            })(),
            ['MG_ERR_FRAME_CHECKSUM'],
          );
          f.sim.faults.clear();
          await pollUntil(f, (value) => value === '3.00');
        });
      }

      it('survives a partial frame and reads the next whole one', async () => {
        const f = await start();
        await f.driver.connect(signal());
        f.sim.model.setLoad('4');
        await pollUntil(f, (value) => value === '4.00');
        f.sim.faults.inject({ kind: 'partial', count: 1 });
        await f.driver.poll(signal()).catch((error) => expect(isMetrogateError(error)).toBe(true));
        const reading = await pollUntil(f, (value) => value === '4.00');
        expect(reading.quality).toBe('good');
      });

      if (transport === 'pty' || transport === 'rtu-pty') {
        it('reconnects after the device is unplugged and plugged back', async () => {
          const f = await start();
          await f.driver.connect(signal());
          f.sim.model.setLoad('6');
          await pollUntil(f, (value) => value === '6.00');
          const unplugged = f.sim.disconnect(400);
          await unplugged;
          const reading = await pollUntil(f, (value) => value === '6.00', 6000);
          expect(reading.value).toBe('6.00');
        });
      }

      if (transport === 'pty' && target.capabilities.serial) {
        it('names the port and settings when the driver is at the wrong baud rate', async () => {
          const f = await start({
            driverLine: { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 },
          });
          f.sim.model.setLoad('1');
          const error = await rejectionOf(
            (async () => {
              await f.driver.connect(signal());
              for (let i = 0; i < 3; i++) await f.driver.poll(signal());
            })(),
            ['MG_ERR_FRAME_GARBLED', 'MG_ERR_TIMEOUT', 'MG_ERR_FRAME_CHECKSUM'],
          );
          expect(error.message).toContain('115200');
        });
      }

      it('honours an aborted signal', async () => {
        const f = await start();
        await f.driver.connect(signal());
        const controller = new AbortController();
        controller.abort();
        await rejectionOf(f.driver.poll(controller.signal), ['MG_ERR_ABORTED']);
      });

      it('refuses to poll after close, and close is idempotent', async () => {
        const f = await start();
        await f.driver.connect(signal());
        await f.driver.close();
        await f.driver.close();
        await rejectionOf(f.driver.poll(signal()), ['MG_ERR_PORT_CLOSED', 'MG_ERR_NOT_CONNECTED']);
      });
    });
  }
}
