/**
 * `make replay` (`PROJECTION=name` for one): rebuilds the read models from the streams
 * into shadow tables and swaps them in; queries keep answering throughout.
 */
import {
  connectNats,
  createLogger,
  createPgPool,
  createTopology,
  describeDatabaseError,
  isProjectionName,
  loadConfig,
  logConnectionError,
  PROJECTION_NAMES,
  type ProjectionName,
  runCli,
} from '@flywheel/core';
import { createProgressBar } from './replay/progress-bar';
import { replay } from './replay/replay';

function selected(value: string | undefined): readonly ProjectionName[] {
  if (value === undefined || value.trim() === '' || value === 'all') return PROJECTION_NAMES;
  const names = value.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !isProjectionName(n));
  if (unknown.length > 0) {
    throw new Error(
      `PROJECTION: unknown projection ${unknown.join(', ')}; expected one or more of ${PROJECTION_NAMES.join(', ')} (comma-separated), or all`,
    );
  }
  return names as ProjectionName[];
}

runCli(async () => {
  const names = selected(process.env.PROJECTION);
  const config = loadConfig();
  const logger = createLogger('replay', config.logLevel === 'info' ? 'warn' : config.logLevel);
  const nats = await connectNats(config.natsUrl, 'flywheel-replay');
  const pool = createPgPool(config.databaseUrl, {
    max: 2,
    applicationName: 'flywheel-replay',
    onConnectionError: logConnectionError(logger),
  });
  try {
    // A server that is down or a database never migrated: say what to fix, not pg's bare error.
    await pool.query('select 1').catch((err: unknown) => {
      throw new Error(describeDatabaseError(err, config.databaseUrl), { cause: err });
    });
    await replay(
      { pool, nats, topology: createTopology(config.streamPrefix), logger, progress: createProgressBar() },
      names,
    );
  } finally {
    await pool.end();
    await nats.nc.close();
  }
});
