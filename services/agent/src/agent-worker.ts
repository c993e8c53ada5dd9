import {
  AgentTokenSource,
  InfrastructureError,
  type Logger,
  type NatsHandle,
  type ProviderDriver,
  PublishMux,
  type Topology,
} from '@flywheel/core';
import { type AgentHeartbeat, HEARTBEAT_INTERVAL_MS, type Provider, WorkItem } from '@flywheel/schemas';
import { AckPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { GatewayClient } from './gateway-client';
import type { PublishChunk } from './output-publisher';
import { SessionRun } from './session-runner';
import { WorkSlots } from './work-slots';

/** Who this agent is and how much it takes on. */
export interface AgentIdentity {
  readonly id: string;
  readonly name: string;
  readonly providers: readonly Provider[];
  readonly maxConcurrent: number;
  readonly version: string;
}

export interface AgentWorkerOptions {
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly agent: AgentIdentity;
  /** The gateway's JWT secret: the agent signs its own agent token with it. */
  readonly jwtSecret: string;
  readonly driverFor: (provider: Provider) => ProviderDriver;
  readonly logger: Logger;
  /** How long a drain lets running sessions finish before it hands them back (default 30 s). */
  readonly drainTimeoutMs?: number;
  readonly heartbeatMs?: number;
  /** Output batching window (default 50 ms). */
  readonly flushMs?: number;
  /** How output chunks reach OUTPUT; defaults to a JetStream publish awaiting its ack. */
  readonly publishChunk?: PublishChunk;
  /** How long a pulled work item stays invisible to other agents before it is redelivered. */
  readonly ackWaitMs?: number;
  /** How long one request waits for the gateway's reply. */
  readonly requestTimeoutMs?: number;
}

/** The shared durable consumer every agent serving `provider` pulls from. */
export const workConsumerName = (provider: Provider): string => `agents-${provider}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The agent worker: registers with the gateway, heartbeats, pulls work items from its
 * providers' shared consumers while it has free slots, and runs each as a `SessionRun`.
 * `drain` stops pulling, lets running sessions finish within a bound, and hands the rest back.
 */
export class AgentWorker {
  private readonly gateway: GatewayClient;
  private readonly slots: WorkSlots;
  private readonly runs = new Set<SessionRun>();
  private readonly fetches = new Set<ConsumerMessages>();
  private readonly chunks: PublishMux;
  private readonly loops: Promise<void>[] = [];
  private readonly log: Logger;
  private heartbeat: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;

  constructor(private readonly opts: AgentWorkerOptions) {
    // Output is most of what an agent publishes: one shared ack inbox, not a request each.
    this.chunks = new PublishMux(opts.nats.nc);
    this.log = opts.logger.child({ agentId: opts.agent.id });
    this.slots = new WorkSlots(opts.agent.maxConcurrent);
    this.gateway = new GatewayClient({
      nc: opts.nats.nc,
      topology: opts.topology,
      agentId: opts.agent.id,
      tokens: new AgentTokenSource(opts.jwtSecret, opts.agent.id),
      ...(opts.requestTimeoutMs !== undefined && { timeoutMs: opts.requestTimeoutMs }),
    });
  }

  /** Sessions this agent is handling right now. */
  get running(): readonly string[] {
    return [...new Set([...this.runs].map((r) => r.item.sessionId))];
  }

  /** Registers, then starts heartbeats and the pull loops. Rejects if the gateway refuses the agent. */
  async start(): Promise<void> {
    const { agent } = this.opts;
    // The gateway may still be starting beside us (make up): keep asking for about a minute.
    const reply = await this.gateway.call(
      'register',
      {
        name: agent.name,
        providers: [...agent.providers],
        maxConcurrent: agent.maxConcurrent,
        version: agent.version,
      },
      { attempts: 30 },
    );
    if (!reply.ok) {
      throw new InfrastructureError(
        `the gateway refused to register agent ${agent.id}: ${reply.error.message}`,
      );
    }
    for (const provider of agent.providers) await this.ensureConsumer(provider);
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
    for (const provider of agent.providers) this.loops.push(this.pullLoop(provider));
    this.log.info({ providers: agent.providers, maxConcurrent: agent.maxConcurrent }, 'agent registered');
  }

  /**
   * Stops taking work, tells the gateway, waits for running sessions (bounded), then hands
   * the rest back as failed-retryable ("agent draining") so they are re-queued. Idempotent.
   */
  drain(): Promise<void> {
    this.draining ??= this.runDrain();
    return this.draining;
  }

  private async runDrain(): Promise<void> {
    for (const f of this.fetches) f.stop();
    const reply = await this.gateway.call('drain', {}, { attempts: 3 }).catch((err: unknown) => err as Error);
    if (reply instanceof Error || !reply.ok) {
      const why = reply instanceof Error ? reply.message : reply.error.message;
      this.log.warn(`drain not recorded by the gateway: ${why}`);
    }
    this.log.info({ running: this.running.length }, 'draining: no new work; waiting for running sessions');
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.slots.idle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.opts.drainTimeoutMs ?? 30_000);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.log.warn({ sessions: this.running }, 'drain timeout: handing running sessions back');
      for (const run of this.runs) run.stop('draining');
      await this.slots.idle();
    }
    await Promise.all(this.loops);
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.log.info('drained');
  }

  private beat(): void {
    const hb: AgentHeartbeat = {
      agentId: this.opts.agent.id,
      running: [...this.running],
      capacity: this.opts.agent.maxConcurrent,
      at: new Date().toISOString(),
    };
    this.opts.nats.nc.publish(
      this.opts.topology.subject('agents', 'heartbeat', hb.agentId),
      JSON.stringify(hb),
    );
  }

  /** Creates the provider's shared consumer if no agent has yet; an existing one is used as it is. */
  private async ensureConsumer(provider: Provider): Promise<void> {
    const { jsm } = this.opts.nats;
    const stream = this.opts.topology.work.stream;
    const name = workConsumerName(provider);
    const ackWait = (this.opts.ackWaitMs ?? 30_000) * 1_000_000;
    try {
      await jsm.consumers.add(stream, {
        durable_name: name,
        filter_subject: this.opts.topology.workSubject(provider),
        ack_policy: AckPolicy.Explicit,
        ack_wait: ackWait,
        max_deliver: -1,
      });
    } catch (err) {
      // Another agent created it with other settings (an older version, an operator's edit):
      // share it rather than fight over it.
      const info = await jsm.consumers.info(stream, name).catch(() => {
        throw err;
      });
      if (info.config.ack_wait !== ackWait) {
        this.log.warn(
          { consumer: name, ackWaitNs: info.config.ack_wait },
          'work consumer has another ack_wait',
        );
      }
    }
  }

  private async pullLoop(provider: Provider): Promise<void> {
    const { js } = this.opts.nats;
    const consumer = await js.consumers.get(this.opts.topology.work.stream, workConsumerName(provider));
    while (this.draining === null) {
      const free = await this.slots.reserveFree();
      let taken = 0;
      let batch: ConsumerMessages | null = null;
      try {
        if (this.draining !== null) continue;
        batch = await consumer.fetch({ max_messages: free, expires: 1_000 });
        this.fetches.add(batch);
        for await (const msg of batch) {
          if (this.draining !== null) {
            // Pulled as the drain began: another agent should have it now, not after ack_wait.
            msg.nak();
            continue;
          }
          taken++;
          this.slots.take();
          this.launch(msg);
        }
      } catch (err) {
        this.log.warn({ err, provider }, 'pulling work failed; retrying');
        await sleep(1_000);
      } finally {
        if (batch !== null) this.fetches.delete(batch);
        this.slots.unreserve(free - taken);
      }
    }
  }

  private launch(msg: JsMsg): void {
    const item = parseWorkItem(msg.data);
    if (item === null) {
      this.log.error({ seq: msg.seq, subject: msg.subject }, 'malformed work item dropped');
      // Removed, not termed: see SessionRun.start on nats-server 2.9 and terminated messages.
      msg.ack();
      this.slots.release();
      return;
    }
    const run = new SessionRun(
      {
        nats: this.opts.nats,
        topology: this.opts.topology,
        gateway: this.gateway,
        driverFor: this.opts.driverFor,
        publishChunk: this.opts.publishChunk ?? this.defaultPublish,
        logger: this.log,
        ...(this.opts.flushMs !== undefined && { flushMs: this.opts.flushMs }),
      },
      item,
      msg,
    );
    this.runs.add(run);
    void run.run().finally(() => {
      this.runs.delete(run);
      this.slots.release();
    });
  }

  private readonly defaultPublish: PublishChunk = async (subject, data, msgId) => {
    await this.chunks.publish(subject, data, msgId);
  };
}

function parseWorkItem(data: Uint8Array): WorkItem | null {
  try {
    const parsed = WorkItem.safeParse(JSON.parse(new TextDecoder().decode(data)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
