import {
  FlywheelError,
  type Logger,
  type NatsHandle,
  type Topology,
  UnauthorizedError,
  ValidationError,
  verifyAgentToken,
  withLogContext,
} from '@flywheel/core';
import { AGENT_REQUESTS, type AgentRpcError, type AgentRpcOp, isAgentRpcOp } from '@flywheel/schemas';
import type { Msg, Subscription } from '@nats-io/transport-node';
import type { AgentHandler, AgentHandlers } from './agent-bridge.handlers';

export interface AgentBridgeOptions {
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly handlers: AgentHandlers;
  /** Verifies agent tokens; the same secret the agents sign with. */
  readonly jwtSecret: string;
  readonly logger: Logger;
  readonly clock?: () => Date;
}

export interface AgentBridge {
  /** Stops taking requests and waits for those in progress to be answered. */
  stop(): Promise<void>;
}

/** Every gateway joins this queue group, so each request is answered by exactly one of them. */
export const AGENT_BRIDGE_QUEUE = 'gateway-agent-bridge';

const ENCODER = new TextEncoder();

function refusal(err: unknown): { ok: false; error: AgentRpcError } {
  if (err instanceof FlywheelError) return { ok: false, error: { code: err.code, message: err.message } };
  return { ok: false, error: { code: 'internal', message: 'the gateway failed to handle the request' } };
}

/** Parses and validates a request for `op`; a bad one is a `ValidationError` naming each field. */
function parseRequest(op: AgentRpcOp, data: Uint8Array) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new ValidationError(`a ${op} request must be a JSON object`);
  }
  const parsed = AGENT_REQUESTS[op].safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(
      `invalid ${op} request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
      { details: { issues } },
    );
  }
  return parsed.data;
}

/**
 * Answers agents' requests on `fw.rpc.agent.<op>`: validates the body, verifies the agent
 * token and that it names the requesting agent, then runs the op's handler. Every outcome
 * is a reply (`{ ok: true, ... }` or `{ ok: false, error }`); nothing an agent sends can
 * crash the gateway. Replies are never logged: a lease reply holds a credential.
 */
export function startAgentBridge(opts: AgentBridgeOptions): AgentBridge {
  const { nc } = opts.nats;
  const clock = opts.clock ?? (() => new Date());
  const log = opts.logger.child({ component: 'agent-bridge' });
  const inFlight = new Set<Promise<void>>();

  const handle = async (msg: Msg): Promise<void> => {
    const op = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    let reply: object;
    try {
      if (!isAgentRpcOp(op)) throw new ValidationError(`unknown agent request "${op}"`);
      const request = parseRequest(op, msg.data);
      const agentId = await verifyAgentToken(opts.jwtSecret, request.token);
      if (agentId !== request.agentId) {
        throw new UnauthorizedError(`the agent token was issued to ${agentId}, not to ${request.agentId}`);
      }
      const ctx = { agentId, requestId: request.requestId, now: clock() };
      // Requests about a session correlate with the session's other events.
      const correlationId = (request as { readonly sessionId?: string }).sessionId ?? request.requestId;
      const handler = opts.handlers[op] as AgentHandler<AgentRpcOp>;
      const data = await withLogContext({ requestId: request.requestId, correlationId }, () =>
        handler(request as never, ctx),
      );
      reply = { ok: true, ...data };
    } catch (err) {
      reply = refusal(err);
      if (err instanceof FlywheelError)
        log.info({ op, code: err.code }, `agent request refused: ${err.message}`);
      else log.error({ err, op }, 'agent request failed');
    }
    if (msg.reply) msg.respond(ENCODER.encode(JSON.stringify(reply)));
  };

  const sub: Subscription = nc.subscribe(opts.topology.subject('rpc', 'agent', '*'), {
    queue: AGENT_BRIDGE_QUEUE,
    callback: (err, msg) => {
      if (err) {
        log.error({ err }, 'agent request subscription failed');
        return;
      }
      const p = handle(msg);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
  });

  return {
    async stop() {
      await sub.drain();
      await Promise.allSettled([...inFlight]);
    },
  };
}
