import {
  connectNats,
  createDatabase,
  createEventStore,
  createTopology,
  createVault,
  ensureStreams,
  logConnectionError,
  runService,
} from '@flywheel/core';
import { startAgentBridge } from './agent-bridge/agent-bridge';
import { createAgentHandlers } from './agent-bridge/agent-bridge.handlers';
import { buildApp } from './app';

runService('gateway', async ({ config, logger, onShutdown }) => {
  const nats = await connectNats(config.natsUrl, 'flywheel-gateway');
  onShutdown(() => nats.nc.drain());
  const topology = createTopology(config.streamPrefix);
  await ensureStreams(nats.jsm, topology, {
    replicas: config.streamReplicas,
    outputMaxAgeDays: config.outputMaxAgeDays,
  });
  const db = createDatabase(config.databaseUrl, {
    applicationName: 'flywheel-gateway',
    onConnectionError: logConnectionError(logger),
  });
  onShutdown(() => db.destroy());
  const eventStore = createEventStore(nats, topology);
  const vault = createVault(db, config.masterKey);
  const app = await buildApp({ logger, config, db, eventStore, vault, nats, topology });
  onShutdown(() => app.close());
  // Agents' NATS requests (lifecycle facts, credential leases); every gateway shares the load.
  const bridge = startAgentBridge({
    nats,
    topology,
    handlers: createAgentHandlers({ eventStore, vault, logger }),
    jwtSecret: config.jwtSecret,
    logger,
  });
  onShutdown(() => bridge.stop());
  await app.listen({ port: config.port, host: config.host });
});
