import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { InfrastructureError } from '../errors/errors';

/** One NATS connection with its JetStream client and manager, created once per process. */
export interface NatsHandle {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/** Connects to NATS and checks that JetStream is enabled; errors say what to fix. */
export async function connectNats(url: string, name: string): Promise<NatsHandle> {
  let nc: NatsConnection;
  try {
    // noAsyncTraces: nats.js otherwise builds two Error objects (stack capture) per request
    // up front, which was a third of the CPU of a busy publisher.
    nc = await connect({
      servers: url,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      noAsyncTraces: true,
    });
  } catch (cause) {
    throw new InfrastructureError(
      `cannot connect to NATS at ${url}: ${(cause as Error).message}. Is nats-server running (make up starts one)?`,
      { cause },
    );
  }
  try {
    const jsm = await jetstreamManager(nc);
    return { nc, js: jetstream(nc), jsm };
  } catch (cause) {
    await nc.close();
    throw new InfrastructureError(
      `NATS at ${url} does not offer JetStream: start nats-server with -js or the repository's nats.conf`,
      { cause },
    );
  }
}
