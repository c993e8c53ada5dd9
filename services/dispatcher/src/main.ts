import {
  connectNats,
  createDatabase,
  createTopology,
  createVault,
  ensureStreams,
  logConnectionError,
  runService,
} from '@flywheel/core';
import { startDispatcher } from './dispatcher';

runService('dispatcher', async ({ config, logger, onShutdown }) => {
  const nats = await connectNats(config.natsUrl, 'flywheel-dispatcher');
  onShutdown(() => nats.nc.drain());
  const db = createDatabase(config.databaseUrl, {
    applicationName: 'flywheel-dispatcher',
    onConnectionError: logConnectionError(logger),
  });
  onShutdown(() => db.destroy());
  const topology = createTopology(config.streamPrefix);
  await ensureStreams(nats.jsm, topology, {
    replicas: config.streamReplicas,
    outputMaxAgeDays: config.outputMaxAgeDays,
  });
  const dispatcher = await startDispatcher({
    nats,
    db,
    topology,
    logger,
    credentials: createVault(db, config.masterKey),
    timings: config.dispatch,
  });
  onShutdown(() => dispatcher.stop());
});
