import {
  type Logger,
  type NatsHandle,
  type ProviderCredential,
  type ProviderDriver,
  type RunOutcome,
  type Topology,
  withLogContext,
} from '@flywheel/core';
import { AGENT_DRAINING_REASON, OutputChunk, type Provider, type WorkItem } from '@flywheel/schemas';
import type { JsMsg } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import type { GatewayClient, RequestBody } from './gateway-client';
import { OutputPublisher, type PublishChunk } from './output-publisher';
import { type StopCause, watchSession } from './session-watch';

/** Why the agent stopped a run early: someone else ended the attempt, or the agent is shutting down. */
export type RunStop = StopCause | 'draining';

export interface SessionRunnerDeps {
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly gateway: GatewayClient;
  readonly driverFor: (provider: Provider) => ProviderDriver;
  readonly publishChunk: PublishChunk;
  readonly logger: Logger;
  readonly flushMs?: number;
}

/** Reports are worth waiting for: a lost one leaves the session Running until the dispatcher steps in. */
const REPORT_ATTEMPTS = 10;

/**
 * Runs one work item: start (which binds the session to this agent), ack, lease the
 * credential, run the driver while publishing output, then report what happened. Every
 * fact goes to the gateway as a request; the agent never writes EVENTS itself.
 */
export class SessionRun {
  private readonly controller = new AbortController();
  private stopped: RunStop | null = null;
  private reported = false;
  private readonly log: Logger;

  constructor(
    private readonly deps: SessionRunnerDeps,
    readonly item: WorkItem,
    private readonly msg: JsMsg,
  ) {
    // The session id comes from the log context `run` sets.
    this.log = deps.logger.child({ attempt: item.attempt, workspace: item.workspace });
  }

  /** Stops the driver (within the 2 s the driver contract allows) for `cause`. */
  stop(cause: RunStop): void {
    if (this.stopped !== null) return;
    this.stopped = cause;
    this.controller.abort(cause);
  }

  /** Runs the work item to its end; never rejects. */
  async run(): Promise<void> {
    await withLogContext({ sessionId: this.item.sessionId, correlationId: this.item.sessionId }, async () => {
      const { nc } = this.deps.nats;
      const subject = this.deps.topology.eventSubject(this.item.workspace, 'session', this.item.sessionId);
      let watch: Subscription | null = null;
      let started = false;
      try {
        watch = await watchSession(nc, subject, (cause) => this.stop(cause));
        started = await this.start();
        if (started) await this.execute();
      } catch (err) {
        this.log.error({ err }, 'session run failed unexpectedly');
        // Never leave a started session Running on an agent that has let it go.
        if (!started) this.msg.nak(5_000);
        else if (!this.reported) {
          const reason = `agent error: ${(err as Error).message}`.slice(0, 2000);
          await this.report('failed', { ...this.ref, reason, retryable: true });
        }
      } finally {
        watch?.unsubscribe();
      }
    });
  }

  private get ref(): RequestBody<'started'> {
    const { workspace, sessionId, attempt } = this.item;
    return { workspace, sessionId, attempt };
  }

  /** Claims the session; true when it is now this agent's to run. */
  private async start(): Promise<boolean> {
    const reply = await this.deps.gateway
      // While the gateway is slow, tell JetStream the item is in hand so it is not redelivered.
      .call('started', this.ref, { attempts: 5, onRetry: () => this.msg.working() })
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    if (reply instanceof Error) {
      this.log.warn({ err: reply }, 'no gateway answered the start; the work item goes back to the queue');
      this.msg.nak(5_000);
      return false;
    }
    if (!reply.ok) {
      // Stale attempt, cancelled session, draining agent: retrying the same item cannot help.
      // Acked rather than termed: nats-server 2.9 keeps a termed message of a work-queue
      // stream ack-pending forever, where it counts against the consumer's max_ack_pending.
      this.log.warn({ code: reply.error.code }, `work item refused: ${reply.error.message}`);
      this.msg.ack();
      return false;
    }
    // From here the session is bound to this agent; if the agent dies, the dispatcher's
    // heartbeat rule recovers it, not a redelivery.
    this.msg.ack();
    this.log.info('session started');
    return true;
  }

  private async execute(): Promise<void> {
    const { item } = this;
    const subject = this.deps.topology.outputSubject(item.workspace, item.sessionId);
    const out = new OutputPublisher({
      publish: this.deps.publishChunk,
      subject,
      sessionId: item.sessionId,
      attempt: item.attempt,
      firstSeq: (await this.lastStoredSeq(subject)) + 1,
      ...(this.deps.flushMs !== undefined && { flushMs: this.deps.flushMs }),
    });

    const outcome = await this.runDriver(out);
    const note = this.noteFor(outcome);
    if (note !== null) out.write('system', note);
    try {
      await out.flush();
    } catch (err) {
      this.log.error({ err }, 'session output could not be stored');
      if (outcome.kind !== 'cancelled' || this.stopped === 'draining') {
        await this.report('failed', { ...this.ref, reason: (err as Error).message, retryable: true });
      }
      return;
    }
    await this.reportOutcome(outcome, out.lastSeq);
  }

  /** Leases the credential and runs the driver; the credential lives only inside this call. */
  private async runDriver(out: OutputPublisher): Promise<RunOutcome> {
    let credential: ProviderCredential;
    try {
      const lease = await this.deps.gateway.call('lease', this.ref, { attempts: 5 });
      if (!lease.ok)
        return { kind: 'failed', reason: `no credential: ${lease.error.message}`, retryable: true };
      credential = { kind: lease.kind, secret: lease.secret, baseUrl: lease.baseUrl };
    } catch (err) {
      return { kind: 'failed', reason: `no credential: ${(err as Error).message}`, retryable: true };
    }
    if (this.stopped !== null) return { kind: 'cancelled' };
    try {
      return await this.deps.driverFor(this.item.provider).run(credential, {
        model: this.item.model,
        prompt: this.item.prompt,
        signal: this.controller.signal,
        onText: (text) => out.write('stdout', text),
      });
    } catch (err) {
      // The driver contract says it never throws; if one does, the attempt is still reported.
      this.log.error({ err }, 'driver threw');
      return { kind: 'failed', reason: `driver error: ${(err as Error).message}`, retryable: true };
    }
  }

  /** A line in the output that tells the reader why this attempt ends early. */
  private noteFor(outcome: RunOutcome): string | null {
    const ends = `attempt ${this.item.attempt} ends here`;
    switch (outcome.kind) {
      case 'completed':
        return null;
      case 'rate_limited':
        return `${ends}: the account is rate limited until ${outcome.until.toISOString()}`;
      case 'credential_rejected':
        return `${ends}: the provider refused the account's credential (${outcome.reason})`;
      case 'failed':
        return `${ends}: ${outcome.reason}`;
      case 'cancelled':
        return this.stopped === 'draining' ? `${ends}: the agent is shutting down and hands it back` : null;
    }
  }

  private async reportOutcome(outcome: RunOutcome, outputChunks: number): Promise<void> {
    switch (outcome.kind) {
      case 'completed':
        await this.report('completed', {
          ...this.ref,
          outputChunks,
          inputTokens: outcome.inputTokens,
          outputTokens: outcome.outputTokens,
        });
        return;
      case 'rate_limited':
        await this.report('outcome', {
          ...this.ref,
          outcome: {
            kind: 'rate_limited',
            until: outcome.until.toISOString(),
            source: outcome.source,
            message: outcome.message.slice(0, 2000),
          },
        });
        return;
      case 'credential_rejected':
        await this.report('outcome', {
          ...this.ref,
          outcome: { kind: 'credential_rejected', code: outcome.code, reason: outcome.reason.slice(0, 2000) },
        });
        return;
      case 'failed':
        await this.report('failed', {
          ...this.ref,
          reason: outcome.reason.slice(0, 2000),
          retryable: outcome.retryable,
        });
        return;
      case 'cancelled':
        // A cancel or a re-queue by someone else already ended the attempt; only a hand-back is news.
        if (this.stopped === 'draining') {
          await this.report('failed', { ...this.ref, reason: AGENT_DRAINING_REASON, retryable: true });
        }
        return;
    }
  }

  private async report<Op extends 'completed' | 'failed' | 'outcome'>(
    op: Op,
    body: RequestBody<Op>,
  ): Promise<void> {
    this.reported = true;
    try {
      const reply = await this.deps.gateway.call(op, body, { attempts: REPORT_ATTEMPTS });
      if (reply.ok) this.log.info(`session reported ${op}`);
      else this.log.warn({ code: reply.error.code }, `${op} refused: ${reply.error.message}`);
    } catch (err) {
      this.log.error({ err }, `${op} could not be reported`);
    }
  }

  /** The seq of the session's last stored chunk, so a later attempt continues the sequence. */
  private async lastStoredSeq(subject: string): Promise<number> {
    const msg = await this.deps.nats.jsm.direct.getMessage(this.deps.topology.output.stream, {
      last_by_subj: subject,
    });
    if (msg === null) return 0;
    return OutputChunk.parse(msg.json()).seq;
  }
}
