import {
  connectNats,
  createPgPool,
  createTopology,
  ensureStreams,
  logConnectionError,
  runService,
} from '@flywheel/core';
import { startProjector } from './projector';

runService('projector', async ({ config, logger, onShutdown }) => {
  const nats = await connectNats(config.natsUrl, 'flywheel-projector');
  onShutdown(() => nats.nc.drain());
  const topology = createTopology(config.streamPrefix);
  await ensureStreams(nats.jsm, topology, {
    replicas: config.streamReplicas,
    outputMaxAgeDays: config.outputMaxAgeDays,
  });
  const pool = createPgPool(config.databaseUrl, {
    max: 8,
    applicationName: 'flywheel-projector',
    onConnectionError: logConnectionError(logger),
  });
  onShutdown(() => pool.end());
  const projector = await startProjector({
    pool,
    nats,
    topology,
    logger,
    onFatal(err) {
      logger.fatal({ err }, `projector stopped: ${err.message}`);
      process.exit(1);
    },
  });
  onShutdown(() => projector.stop());
});
