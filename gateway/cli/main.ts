/**
 * The `metrogate` command. Each command lives in its own module and registers itself here; the
 * logger writes JSON lines to stderr so that stdout carries only the command's output.
 */
import { Command } from 'commander';
import { stderrLogger } from '../../drivers/logger.js';
import { registerCertificate } from './certificate.js';
import { registerConfig } from './config.js';
import type { CliContext } from './context.js';
import { registerCoverage } from './coverage.js';
import { registerDemo } from './demo.js';
import { registerDrivers } from './drivers.js';
import { registerEvaluate } from './evaluate.js';
import { EXIT_BAD_INPUT } from './output.js';
import { registerRead } from './read.js';
import { registerRecords } from './records.js';
import { registerRegistry } from './registry.js';
import { registerScan } from './scan.js';
import { registerServe } from './serve.js';
import { registerSim } from './sim.js';
import { registerStandards } from './standards.js';
import { registerStart } from './start.js';
import { registerToken } from './token.js';
import { registerVerify } from './verify.js';
import { VERSION } from './version.js';

export function buildProgram(context: CliContext): Command {
  const program = new Command('metrogate')
    .version(VERSION)
    .description(
      'Gateway for legal metrology: reads weighing scales, fuel dispensers and taximeters over serial ' +
        'lines and Modbus, verifies them against OIML and JJG rules, and records the results.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) })
    .exitOverride((error) => {
      // commander's own usage errors (unknown option, missing argument) are bad input: exit 2.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      ) {
        process.exit(0);
      }
      process.exit(EXIT_BAD_INPUT);
    });
  registerDemo(program, context);
  registerEvaluate(program, context);
  registerStart(program, context);
  registerRead(program, context);
  registerScan(program, context);
  registerSim(program, context);
  registerVerify(program, context);
  registerRecords(program, context);
  // Adds `records certificate` to the records command, so it comes after it.
  registerCertificate(program, context);
  registerStandards(program, context);
  registerRegistry(program, context);
  registerCoverage(program, context);
  registerServe(program, context);
  registerToken(program, context);
  registerConfig(program, context);
  registerDrivers(program);
  return program;
}

const context: CliContext = { logger: stderrLogger(process.env.METROGATE_LOG_LEVEL ?? 'warn') };
await buildProgram(context).parseAsync(process.argv);
