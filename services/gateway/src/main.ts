import { connectNats, createTopology, ensureStreams, runService } from '@flywheel/core';
import { buildApp } from './app';

runService('gateway', async ({ config, logger, onShutdown }) => {
  const nats = await connectNats(config.natsUrl, 'flywheel-gateway');
  onShutdown(() => nats.nc.drain());
  await ensureStreams(nats.jsm, createTopology(config.streamPrefix), {
    replicas: config.streamReplicas,
    outputMaxAgeDays: config.outputMaxAgeDays,
  });
  const app = await buildApp({ logger });
  onShutdown(() => app.close());
  await app.listen({ port: config.port, host: config.host });
});
