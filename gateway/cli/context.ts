import type { Logger } from '../../drivers/logger.js';

/** What every command gets from the program: the logger (stderr, JSON lines via pino). */
export interface CliContext {
  logger: Logger;
}
