/** SerialLink over real pseudo-terminals (socat): open errors, data, disconnect and reconnect. */
import { afterEach, describe, expect, it } from 'vitest';
import { createPtyPair, type PtyPair } from '../../simulators/pty.js';
import { isMetrogateError } from '../errors.js';
import type { LinkState } from './link.js';
import { classifyOpenError, SerialLink } from './serial-link.js';

const line = { baudRate: 9600, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const };

function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`${what} not met in ${timeoutMs} ms`));
      }
    }, 10);
  });
}

describe('SerialLink', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('names the port and settings when the port does not exist', async () => {
    const link = new SerialLink({ path: '/dev/ttyDOESNOTEXIST', ...line });
    const error = await link.open().catch((e) => e);
    expect(isMetrogateError(error, 'MG_ERR_PORT_NOT_FOUND')).toBe(true);
    expect(error.message).toContain('/dev/ttyDOESNOTEXIST');
    expect(error.message).toContain('9600 8N1');
    expect(error.details).toMatchObject({ port: '/dev/ttyDOESNOTEXIST', settings: '9600 8N1' });
  });

  it('classifies the OS errors a technician meets', () => {
    expect(classifyOpenError('Error: Permission denied, cannot open /dev/ttyS0').code).toBe(
      'MG_ERR_PORT_ACCESS',
    );
    expect(classifyOpenError('Error Resource temporarily unavailable Cannot lock port').code).toBe(
      'MG_ERR_PORT_BUSY',
    );
    expect(classifyOpenError('Error: No such file or directory, cannot open /dev/x').code).toBe(
      'MG_ERR_PORT_NOT_FOUND',
    );
  });

  it('refuses a second opener of a locked port with MG_ERR_PORT_BUSY', async () => {
    const pty: PtyPair = await createPtyPair();
    cleanups.push(() => pty.close());
    const first = new SerialLink({ path: pty.gatewayPath, ...line });
    await first.open();
    cleanups.push(() => first.close());
    const second = new SerialLink({ path: pty.gatewayPath, ...line });
    const error = await second.open().catch((e) => e);
    expect(isMetrogateError(error, 'MG_ERR_PORT_BUSY')).toBe(true);
  });

  it('carries bytes both ways over a pty', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const gateway = new SerialLink({ path: pty.gatewayPath, ...line });
    const device = new SerialLink({ path: pty.devicePath, ...line });
    await gateway.open();
    await device.open();
    cleanups.push(
      () => gateway.close(),
      () => device.close(),
    );
    const received: Buffer[] = [];
    device.onData((chunk) => received.push(chunk));
    await gateway.write(Buffer.from('SI\r\n'));
    await waitFor(() => Buffer.concat(received).toString() === 'SI\r\n');
  });

  it('reconnects with back-off after the port disappears and comes back', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.close());
    const gateway = new SerialLink(
      { path: pty.gatewayPath, ...line },
      { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } },
    );
    await gateway.open();
    cleanups.push(() => gateway.close());
    const states: LinkState[] = [];
    gateway.onStateChange((state) => states.push(state));
    await pty.unplug();
    await waitFor(() => states.includes('reconnecting'), 5000, `reconnecting (states ${states.join(',')})`);
    const error = await gateway.write(Buffer.from('x')).catch((e) => e);
    expect(isMetrogateError(error, 'MG_ERR_PORT_CLOSED')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pty.plug();
    await waitFor(() => gateway.state === 'open', 5000, `open again (states ${states.join(',')})`);
    const device = new SerialLink({ path: pty.devicePath, ...line });
    await device.open();
    cleanups.push(() => device.close());
    const received: Buffer[] = [];
    device.onData((chunk) => received.push(chunk));
    await gateway.write(Buffer.from('again'));
    await waitFor(() => Buffer.concat(received).toString() === 'again', 5000, 'bytes after reconnect');
  });
});
