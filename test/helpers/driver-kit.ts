/**
 * Scaffolding the driver tests share: scale fixtures that close themselves after each test, one way
 * to catch the MetrogateError a call must reject with, the bytes a driver wrote on a memory link, and
 * a scripted device for CR LF protocols, to hold a driver to replies the simulators never send.
 */
import { expect } from 'vitest';
import type { DriverDeps } from '../../drivers/contract.js';
import { type ErrorCode, isMetrogateError, type MetrogateError } from '../../drivers/errors.js';
import { silentLogger } from '../../drivers/logger.js';
import { createMemoryLinkPair, type MemoryLink } from '../../drivers/transport/link.js';
import { type ScaleFixture, type ScaleFixtureOptions, startScaleFixture } from '../contract/scale-fixture.js';
import { useCleanup } from './cleanup.js';

export { type ScaleFixture, type ScaleFixtureOptions, signal } from '../contract/scale-fixture.js';
export { useCleanup } from './cleanup.js';

/** What every fixture of a describe block has in common; the transport defaults to memory. */
export type ScaleFixtureDefaults = Omit<ScaleFixtureOptions, 'transport'> & {
  transport?: ScaleFixtureOptions['transport'];
};

/**
 * Registers the afterEach that closes every fixture a test started, and returns `start`, which
 * starts one from `defaults` with `overrides` laid over them (shallowly: an override's
 * `driverConfig` replaces the default one, it is not merged into it).
 */
export function useScaleFixture(
  defaults: ScaleFixtureDefaults,
): (overrides?: Partial<ScaleFixtureOptions>) => Promise<ScaleFixture> {
  const cleanup = useCleanup();
  return async (overrides = {}) => {
    const fixture = await startScaleFixture({ transport: 'memory', ...defaults, ...overrides });
    cleanup(() => fixture.close());
    return fixture;
  };
}

/** The link the driver of a memory fixture talks over; its `written` holds what the driver sent. */
export function memoryLinkOf(fixture: ScaleFixture): MemoryLink {
  const { endpoint } = fixture.sim;
  if (endpoint.kind !== 'memory') throw new Error('memory endpoint expected');
  return endpoint.link;
}

/** What was written on a memory link, one latin1 string per write. */
export function writtenBy(link: MemoryLink): string[] {
  return link.written.map((chunk) => chunk.toString('latin1'));
}

/**
 * Awaits a promise that must reject with a MetrogateError, with one of `codes` when they are given,
 * and returns the error so that the test can go on to check its code and message.
 */
export async function rejectionOf(
  promise: Promise<unknown>,
  codes?: readonly ErrorCode[],
): Promise<MetrogateError> {
  try {
    await promise;
  } catch (error) {
    expect(isMetrogateError(error), `expected a MetrogateError, got ${String(error)}`).toBe(true);
    const rejection = error as MetrogateError;
    if (codes) expect(codes).toContain(rejection.code);
    return rejection;
  }
  throw new Error(codes ? `expected a rejection with ${codes.join(' or ')}` : 'expected a rejection');
}

/** Dependencies for a driver a test builds by hand: the given transport, no log output, real time. */
export function testDeps(transport: Pick<DriverDeps, 'link' | 'modbus'>): DriverDeps {
  return { ...transport, logger: silentLogger(), now: () => new Date() };
}

/**
 * A scripted device on a memory link for protocols whose commands end in CR LF (A&D, MT-SICS):
 * records each command line and writes back what `answer` returns for it (nothing when undefined).
 * The driver goes on `gatewayEnd`.
 */
export function scriptedLineDevice(answer: (command: string) => string | undefined, name = 'scripted') {
  const [gatewayEnd, deviceEnd] = createMemoryLinkPair(name);
  const commands: string[] = [];
  let pending = '';
  void deviceEnd.open();
  deviceEnd.onData((chunk) => {
    pending += chunk.toString('latin1');
    let end = pending.indexOf('\r\n');
    while (end >= 0) {
      const command = pending.slice(0, end);
      pending = pending.slice(end + 2);
      commands.push(command);
      const reply = answer(command);
      if (reply !== undefined) void deviceEnd.write(Buffer.from(reply, 'latin1'));
      end = pending.indexOf('\r\n');
    }
  });
  return { gatewayEnd, deviceEnd, commands };
}
