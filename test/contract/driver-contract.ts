/**
 * The lifecycle contract of any Driver (drivers/contract.ts), whatever it measures: `init` does no
 * I/O, `connect` then `poll` returns the device's readings, a silent device is MG_ERR_TIMEOUT and
 * the driver recovers when it speaks again, an aborted signal is honoured, `close` is idempotent
 * and a closed driver refuses to poll or connect. Each driver family calls
 * `describeDriverContract` once with a setup per transport; the device-specific checks live in the
 * setup's `expectReadings`.
 */
import { describe, expect, it } from 'vitest';
import type { Driver, PollResult } from '../../drivers/contract.js';
import { rejectionOf, signal, useCleanup } from '../helpers/driver-kit.js';

export interface DriverContractSession {
  driver: Driver;
  /** Asserts that a poll returned what the simulated device holds (throws on mismatch). */
  expectReadings(result: PollResult): void;
  /** Makes the device stop answering (it stays connected: a dead slave, a cut RS-485 pair). */
  makeSilent(): void;
  /** Lets the device answer again. */
  restore(): void;
  /** Closes the driver's transport and the simulated device. */
  close(): Promise<void>;
  /** Transport operations performed so far, when the setup can count them (init must add none). */
  ioCount?(): number;
}

export interface DriverContractTarget<Transport extends string> {
  name: string;
  transports: readonly Transport[];
  setup(transport: Transport): Promise<DriverContractSession>;
  /** How long a silent device takes to be declared dead (the driver's timeout); default 5 s. */
  pollTimeoutMs?: number;
}

/** Polls until a poll succeeds (a driver may need a reconnect after a failure). */
async function pollUntilOk(driver: Driver, timeoutMs: number): Promise<PollResult> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await driver.poll(signal());
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }
  throw new Error(`no successful poll within ${timeoutMs} ms; last error ${String(lastError)}`);
}

export function describeDriverContract<Transport extends string>(
  target: DriverContractTarget<Transport>,
): void {
  for (const transport of target.transports) {
    describe(`${target.name} driver contract over ${transport}`, () => {
      const cleanup = useCleanup();
      const start = async () => {
        const session = await target.setup(transport);
        cleanup(() => session.close());
        return session;
      };

      it('does no I/O in init() and refuses to poll before connect()', async () => {
        const s = await start();
        const before = s.ioCount?.();
        s.driver.init();
        if (before !== undefined) expect(s.ioCount!()).toBe(before);
        await rejectionOf(s.driver.poll(signal()), ['MG_ERR_NOT_CONNECTED']);
      });

      it('connects and polls the expected readings', async () => {
        const s = await start();
        s.driver.init();
        await s.driver.connect(signal());
        const result = await s.driver.poll(signal());
        expect(result.readings.length).toBeGreaterThan(0);
        for (const reading of result.readings) {
          expect(reading.deviceId).toBe(s.driver.deviceId);
          expect(reading.ts).toBeInstanceOf(Date);
        }
        s.expectReadings(result);
      });

      it('reports a silent device as MG_ERR_TIMEOUT naming the port, then recovers', async () => {
        const s = await start();
        await s.driver.connect(signal());
        s.expectReadings(await s.driver.poll(signal()));
        s.makeSilent();
        const error = await rejectionOf(s.driver.poll(signal()), ['MG_ERR_TIMEOUT']);
        expect(error.message).toMatch(/port|modbus|unit|\/dev|tty/i);
        s.restore();
        s.expectReadings(await pollUntilOk(s.driver, target.pollTimeoutMs ?? 5000));
      });

      it('honours an aborted signal', async () => {
        const s = await start();
        await s.driver.connect(signal());
        const controller = new AbortController();
        controller.abort();
        await rejectionOf(s.driver.poll(controller.signal), ['MG_ERR_ABORTED']);
        // An abort costs that poll only.
        s.expectReadings(await s.driver.poll(signal()));
      });

      it('closes idempotently and refuses to poll or connect after close', async () => {
        const s = await start();
        await s.driver.connect(signal());
        await s.driver.close();
        await s.driver.close();
        await rejectionOf(s.driver.poll(signal()), ['MG_ERR_PORT_CLOSED', 'MG_ERR_NOT_CONNECTED']);
        await rejectionOf(s.driver.connect(signal()), ['MG_ERR_PORT_CLOSED', 'MG_ERR_NOT_CONNECTED']);
      });
    });
  }
}
