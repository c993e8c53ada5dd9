import { type Config, loadConfig } from '../config/config';
import { ConfigError } from '../errors/errors';
import { createLogger, type Logger } from '../logging/logger';

export interface ServiceContext {
  readonly config: Config;
  readonly logger: Logger;
  /** Registers cleanup; hooks run in reverse order on SIGTERM/SIGINT. */
  onShutdown(hook: () => Promise<unknown> | unknown): void;
}

/**
 * The shell of every long-running service: validated config (problems printed one per
 * line, no stack trace), a structured logger, and an orderly shutdown on signals.
 */
export function runService(name: string, start: (ctx: ServiceContext) => Promise<void>): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${name}: configuration is invalid:`);
      for (const p of err.problems) console.error(`  ${p}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(name, config.logLevel);
  for (const w of config.warnings) logger.warn(w);
  const hooks: (() => Promise<unknown> | unknown)[] = [];
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${name} shutting down`);
    for (const hook of hooks.reverse()) {
      try {
        await hook();
      } catch (err) {
        logger.error({ err }, 'shutdown hook failed');
      }
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  start({ config, logger, onShutdown: (hook) => hooks.push(hook) }).then(
    () => logger.info(`${name} started`),
    (err: unknown) => {
      logger.fatal({ err }, `${name} failed to start: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
