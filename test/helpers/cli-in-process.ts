/**
 * Runs one CLI command in the test's own process (faster than a subprocess, and its modules can be
 * spied on): stdout and stderr are captured, the exit code read from `process.exitCode`.
 */
import { Command } from 'commander';
import { vi } from 'vitest';
import { silentLogger } from '../../drivers/logger.js';
import type { CliContext } from '../../gateway/cli/context.js';

export interface InProcessRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** What a running command has printed so far, for `whileRunning`. */
export interface CapturedOutput {
  stdout(): string;
  stderr(): string;
}

export async function runCommandInProcess(
  register: (program: Command, context: CliContext) => void,
  args: string[],
  whileRunning?: (output: CapturedOutput) => Promise<void>,
): Promise<InProcessRun> {
  const program = new Command('metrogate').exitOverride();
  register(program, { logger: silentLogger() });
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = 0;
  try {
    const running = program.parseAsync(['node', 'metrogate', ...args]);
    if (whileRunning) await whileRunning({ stdout: () => stdout, stderr: () => stderr });
    await running;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, code };
}
