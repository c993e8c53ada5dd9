import type { AggregateType } from '@flywheel/schemas';

/**
 * Stream names and subjects. A prefix (tests, or two installs sharing one NATS account)
 * namespaces both, so that streams never overlap in subjects.
 */
export interface Topology {
  readonly prefix: string;
  readonly events: { readonly stream: string; readonly subjects: string };
  readonly output: { readonly stream: string; readonly subjects: string };
  readonly work: { readonly stream: string; readonly subjects: string };
  /** `fw.events.<workspace>.<aggregate>.<id>` */
  eventSubject(workspace: string, aggregate: AggregateType, id: string): string;
  /** `fw.output.<workspace>.<sessionId>` */
  outputSubject(workspace: string, sessionId: string): string;
  /** `fw.work.<provider>` */
  workSubject(provider: string): string;
  /** Any subject in this install's namespace, for request-reply and heartbeats. */
  subject(...tokens: string[]): string;
}

export function createTopology(prefix = ''): Topology {
  const s = prefix ? `${prefix}.fw` : 'fw';
  const n = (name: string) => (prefix ? `${prefix}_${name}` : name);
  return {
    prefix,
    events: { stream: n('EVENTS'), subjects: `${s}.events.>` },
    output: { stream: n('OUTPUT'), subjects: `${s}.output.>` },
    work: { stream: n('WORK'), subjects: `${s}.work.>` },
    eventSubject: (workspace, aggregate, id) => `${s}.events.${workspace}.${aggregate}.${id}`,
    outputSubject: (workspace, sessionId) => `${s}.output.${workspace}.${sessionId}`,
    workSubject: (provider) => `${s}.work.${provider}`,
    subject: (...tokens) => [s, ...tokens].join('.'),
  };
}
