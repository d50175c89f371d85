/**
 * Pseudo-terminal pairs made by socat: what the simulator writes on one end, a driver reads on the
 * other, through the kernel's tty layer exactly as from a USB serial adapter. A pty ignores baud
 * rate and parity; the line emulator (line-emulation.ts) puts that behaviour back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetrogateError } from '../drivers/errors.js';

export interface PtyPair {
  /** The path a driver (or `metrogate read`) opens. */
  readonly gatewayPath: string;
  /** The path the simulated device opens. */
  readonly devicePath: string;
  /** Kills socat: both ends see the line drop. */
  unplug(): Promise<void>;
  /** Starts socat again with the same link paths (the cable plugged back). */
  plug(): Promise<void>;
  close(): Promise<void>;
}

export interface PtyPairOptions {
  gatewayPath?: string;
  devicePath?: string;
  socatPath?: string;
}

function removeStaleLink(path: string): void {
  try {
    if (lstatSync(path).isSymbolicLink()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function createPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const base = join(tmpdir(), `metrogate-${process.pid}-${randomBytes(3).toString('hex')}`);
  const gatewayPath = options.gatewayPath ?? `${base}-gw`;
  const devicePath = options.devicePath ?? `${base}-dev`;
  const socat = options.socatPath ?? 'socat';
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    removeStaleLink(gatewayPath);
    removeStaleLink(devicePath);
    const proc = spawn(
      socat,
      ['-d', '-d', `pty,raw,echo=0,link=${gatewayPath}`, `pty,raw,echo=0,link=${devicePath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => {
        clearInterval(poll);
        reject(
          new MetrogateError(
            'MG_ERR_DEPENDENCY_MISSING',
            `socat did not create the pty pair in time: ${stderr.trim()}`,
            {
              port: gatewayPath,
            },
          ),
        );
      }, 5000);
      const poll = setInterval(() => {
        if (
          stderr.includes('starting data transfer loop') &&
          existsSync(gatewayPath) &&
          existsSync(devicePath)
        ) {
          clearInterval(poll);
          clearTimeout(deadline);
          resolve();
        }
      }, 5);
      proc.once('error', (error: NodeJS.ErrnoException) => {
        clearInterval(poll);
        clearTimeout(deadline);
        reject(
          new MetrogateError(
            'MG_ERR_DEPENDENCY_MISSING',
            error.code === 'ENOENT'
              ? 'socat is not installed; install it with: apt-get install socat'
              : `socat failed to start: ${error.message}`,
            { program: socat },
          ),
        );
      });
      proc.once('exit', (code) => {
        clearInterval(poll);
        clearTimeout(deadline);
        reject(
          new MetrogateError(
            'MG_ERR_DEPENDENCY_MISSING',
            `socat exited with code ${code}: ${stderr.trim()}`,
            {},
          ),
        );
      });
    });
    proc.removeAllListeners('exit');
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc) return;
    proc.kill('SIGTERM');
    await waitForExit(proc);
  };

  await start();
  return {
    gatewayPath,
    devicePath,
    unplug: stop,
    plug: start,
    close: async () => {
      await stop();
      removeStaleLink(gatewayPath);
      removeStaleLink(devicePath);
    },
  };
}

/** True when socat can be run (the demo falls back to in-memory links without it). */
export function socatAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const proc = spawn('socat', ['-V'], { stdio: 'ignore' });
    proc.once('error', () => resolve(false));
    proc.once('exit', (code) => resolve(code === 0));
  });
}
