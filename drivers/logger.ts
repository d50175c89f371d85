/**
 * The logging surface drivers and simulators see. It is the subset of pino's Logger that we use,
 * so the gateway passes a real pino logger and tests pass `silentLogger()`.
 */
import { pino } from 'pino';

type LogFn = {
  (msg: string): void;
  (obj: object, msg?: string): void;
};

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A pino logger writing JSON lines to stderr, so that stdout stays free for command output. */
export function stderrLogger(level: string = process.env.METROGATE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'metrogate' } }, pino.destination(2));
}
