import { randomUUID } from 'node:crypto';
import { type AgentTokenSource, InfrastructureError, type Topology } from '@flywheel/core';
import { AGENT_REPLIES, type AgentReply, type AgentRequest, type AgentRpcOp } from '@flywheel/schemas';
import type { NatsConnection } from '@nats-io/transport-node';

/** What a request carries besides the agent's identity, which the client adds. */
export type RequestBody<Op extends AgentRpcOp> = Omit<AgentRequest<Op>, 'agentId' | 'token' | 'requestId'>;

export interface GatewayClientOptions {
  readonly nc: NatsConnection;
  readonly topology: Topology;
  readonly agentId: string;
  readonly tokens: AgentTokenSource;
  /** How long one try waits for a reply. */
  readonly timeoutMs?: number;
}

export interface CallOptions {
  /**
   * Tries in all while no gateway answers (timeout, no responders) or it answers that it
   * could not finish (`version_conflict`, `infrastructure_unavailable`, `internal`).
   */
  readonly attempts?: number;
  /** Called between tries, e.g. to tell JetStream the work item is still being handled. */
  readonly onRetry?: () => void;
}

const ENCODER = new TextEncoder();
/** Refusals that say "not now" rather than "no". */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'version_conflict',
  'infrastructure_unavailable',
  'internal',
]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends the agent's requests to the gateway (`fw.rpc.agent.<op>`). Every try of one call
 * carries the same request id, so the gateway applies a retried request once.
 */
export class GatewayClient {
  private readonly timeoutMs: number;

  constructor(private readonly opts: GatewayClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  /**
   * Sends one request and returns the gateway's reply, a refusal included. Throws
   * `InfrastructureError` only when no gateway answered in any try.
   */
  async call<Op extends AgentRpcOp>(
    op: Op,
    body: RequestBody<NoInfer<Op>>,
    options: CallOptions = {},
  ): Promise<AgentReply<Op>> {
    const attempts = options.attempts ?? 3;
    const requestId = randomUUID();
    const subject = this.opts.topology.subject('rpc', 'agent', op);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        options.onRetry?.();
        // Backoff: a gateway restarting or shedding load gets a moment before the next try.
        await sleep(Math.min(2_000, 100 * 2 ** (attempt - 2)));
      }
      const token = await this.opts.tokens.token();
      const payload = { ...body, agentId: this.opts.agentId, token, requestId };
      let data: Uint8Array;
      try {
        const msg = await this.opts.nc.request(subject, ENCODER.encode(JSON.stringify(payload)), {
          timeout: this.timeoutMs,
        });
        data = msg.data;
      } catch (err) {
        lastError = err;
        continue;
      }
      const reply = parseReply(op, data);
      // The gateway could not finish (a conflict it could not resolve, its own dependencies
      // down): the same request may well succeed in a moment.
      if (!reply.ok && TRANSIENT_CODES.has(reply.error.code) && attempt < attempts) {
        lastError = new Error(`${reply.error.code}: ${reply.error.message}`);
        continue;
      }
      return reply;
    }
    throw new InfrastructureError(
      `no gateway answered ${op} after ${attempts} tries: ${(lastError as Error).message}`,
      { cause: lastError },
    );
  }
}

function parseReply<Op extends AgentRpcOp>(op: Op, data: Uint8Array): AgentReply<Op> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch (cause) {
    throw new InfrastructureError(`the gateway's reply to ${op} is not JSON`, { cause });
  }
  const parsed = AGENT_REPLIES[op].safeParse(json);
  if (!parsed.success) {
    throw new InfrastructureError(`the gateway sent a malformed reply to ${op}: ${parsed.error.message}`);
  }
  return parsed.data as AgentReply<Op>;
}
