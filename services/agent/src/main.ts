import { connectNats, createTopology, driverFor, ensureStreams, runService } from '@flywheel/core';
import { AgentWorker } from './agent-worker';
import { VERSION } from './version';

runService('agent', async ({ config, logger, onShutdown }) => {
  const nats = await connectNats(config.natsUrl, `flywheel-agent-${config.agent.id}`);
  onShutdown(() => nats.nc.drain());
  const topology = createTopology(config.streamPrefix);
  // Idempotent: whichever service starts first creates the streams.
  await ensureStreams(nats.jsm, topology, {
    replicas: config.streamReplicas,
    outputMaxAgeDays: config.outputMaxAgeDays,
  });
  // One driver per provider, created up front so an unsupported provider stops start-up.
  const drivers = new Map(config.agent.providers.map((p) => [p, driverFor(p)] as const));
  const worker = new AgentWorker({
    nats,
    topology,
    agent: { ...config.agent, version: VERSION },
    jwtSecret: config.jwtSecret,
    drainTimeoutMs: config.agent.drainTimeoutMs,
    driverFor: (provider) => drivers.get(provider) ?? driverFor(provider),
    logger,
  });
  // Hooks run in reverse: the worker drains (SIGTERM) before the connection closes.
  onShutdown(() => worker.drain());
  await worker.start();
});
