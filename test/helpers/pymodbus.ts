/**
 * Debian's pymodbus (3.0.0rc1, /usr/bin/python3) as an independent Modbus peer: a TCP server on a
 * port the OS picks, or an RTU server on the device end of a fresh socat pty. The server script is
 * test/peers/pymodbus_server.py; it is always killed on close.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPtyPair, type PtyPair } from '../../simulators/pty.js';

/** The Debian interpreter: the pyenv `python3` on PATH does not have python3-pymodbus. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../peers/pymodbus_server.py', import.meta.url));

export interface PymodbusTables {
  holding?: number[];
  input?: number[];
  coils?: boolean[];
  discrete?: boolean[];
}

export interface RtuLine {
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

export interface PymodbusPeer {
  /** TCP: where to connect. */
  host?: string;
  port?: number;
  /** RTU: the pty path a client opens. */
  path?: string;
  close(): Promise<void>;
}

/** Rejects with the apt package to install when Debian's pymodbus cannot be imported. */
export function requirePymodbus(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      DEBIAN_PYTHON,
      ['-c', 'import pymodbus, serial_asyncio'],
      { timeout: 10_000 },
      (error, _out, stderr) => {
        if (!error) resolve();
        else {
          reject(
            new Error(
              `Debian's pymodbus is needed as the independent Modbus peer but ${DEBIAN_PYTHON} cannot import it ` +
                `(${(stderr || error.message).trim().split('\n').pop()}); install it with: apt-get install python3-pymodbus python3-serial-asyncio`,
            ),
          );
        }
      },
    );
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts the script and resolves with its READY line's words. */
function startScript(config: Record<string, unknown>): Promise<{ child: ChildProcess; words: string[] }> {
  const child = spawn(DEBIAN_PYTHON, [SCRIPT, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.end(JSON.stringify(config));
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(deadline);
      void stop(child);
      reject(new Error(`pymodbus server ${why}: ${stderr.trim().slice(-800)}`));
    };
    const deadline = setTimeout(() => fail('did not start within 15 s'), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        clearTimeout(deadline);
        resolve({ child, words: line.trim().split(/\s+/) });
      }
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'ENOENT' ? `cannot run ${DEBIAN_PYTHON} (apt-get install python3)` : error.message),
    );
    child.once('exit', (code) => fail(`exited with code ${code}`));
  });
}

export async function startPymodbusTcp(tables: PymodbusTables): Promise<PymodbusPeer> {
  await requirePymodbus();
  const { child, words } = await startScript({ mode: 'tcp', host: '127.0.0.1', port: 0, ...tables });
  child.removeAllListeners('exit');
  return { host: words[2]!, port: Number(words[3]), close: () => stop(child) };
}

const PARITY_LETTER = { none: 'N' } as const;

export async function startPymodbusRtu(tables: PymodbusTables, line: RtuLine): Promise<PymodbusPeer> {
  await requirePymodbus();
  const pty: PtyPair = await createPtyPair();
  try {
    const { child } = await startScript({
      mode: 'rtu',
      device: pty.devicePath,
      baudrate: line.baudRate,
      bytesize: 8,
      // A Linux pty cannot carry parity (it clears PARENB) and pyserial refuses to open one with
      // parity (EINVAL), so the peer runs 8N1 on its end whatever the client's line is.
      parity: PARITY_LETTER.none,
      stopbits: line.stopBits,
      ...tables,
    });
    child.removeAllListeners('exit');
    return {
      path: pty.gatewayPath,
      close: async () => {
        await stop(child);
        await pty.close();
      },
    };
  } catch (error) {
    await pty.close();
    throw error;
  }
}
