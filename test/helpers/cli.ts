/**
 * Runs the metrogate CLI as a user does (a subprocess through bin/metrogate.js), and simulators as
 * long-running subprocesses whose ready line tells where to connect.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { useCleanup } from './cleanup.js';

const BIN = new URL('../../bin/metrogate.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`metrogate ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningSimulator {
  ready: Record<string, unknown>;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Calls the simulator's control API. */
  control(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
}

/** Starts `metrogate sim …  --json` and resolves with its ready line. */
export async function startSimulatorProcess(args: string[]): Promise<RunningSimulator> {
  const child = spawn(process.execPath, [BIN, 'sim', ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${stderr}`)), 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`simulator printed ${line}; stderr ${stderr}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited with ${code}: ${stderr}`));
    });
  });
  child.removeAllListeners('exit');
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${ready.control as string}${path}`, {
      method,
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  return {
    ready,
    process: child,
    control,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Registers the afterEach that stops every simulator process a test started, and returns the
 * function that starts one (as `startSimulatorProcess`).
 */
export function useSimulatorProcesses(): (args: string[]) => Promise<RunningSimulator> {
  const cleanup = useCleanup();
  return async (args) => {
    const sim = await startSimulatorProcess(args);
    cleanup(() => sim.stop());
    return sim;
  };
}
