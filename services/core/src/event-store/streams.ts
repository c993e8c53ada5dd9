import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { StreamConfigMismatchError } from '../errors/errors';
import type { Topology } from './topology';

const DAY_NS = 24 * 60 * 60 * 1e9;
/** JetStream's dedupe window for Nats-Msg-Id; a retried command inside it is stored once. */
export const DEDUPE_WINDOW_MS = 2 * 60 * 1000;

export interface StreamOptions {
  readonly replicas: number;
  /** 0 keeps output forever. */
  readonly outputMaxAgeDays: number;
}

/** The settings we own for each stream; anything not listed is left to the operator. */
export function desiredStreams(
  topology: Topology,
  opts: StreamOptions,
): (Partial<StreamConfig> & { name: string })[] {
  const common = {
    storage: StorageType.File,
    num_replicas: opts.replicas,
    duplicate_window: DEDUPE_WINDOW_MS * 1e6,
    discard: DiscardPolicy.Old,
  };
  return [
    {
      ...common,
      name: topology.events.stream,
      subjects: [topology.events.subjects],
      retention: RetentionPolicy.Limits,
      max_age: 0,
      allow_direct: true,
      description: 'Flywheel domain events: one message per command commit, kept forever',
    },
    {
      ...common,
      name: topology.output.stream,
      subjects: [topology.output.subjects],
      retention: RetentionPolicy.Limits,
      max_age: Math.round(opts.outputMaxAgeDays * DAY_NS),
      allow_direct: true,
      description: 'Flywheel session output chunks',
    },
    {
      ...common,
      name: topology.work.stream,
      subjects: [topology.work.subjects],
      retention: RetentionPolicy.Workqueue,
      max_age: 0,
      description: 'Flywheel dispatch work items, removed when an agent acks',
    },
  ];
}

const COMPARED = ['subjects', 'retention', 'storage', 'num_replicas', 'max_age', 'allow_direct'] as const;

function differences(want: Partial<StreamConfig>, have: StreamConfig): string[] {
  const out: string[] = [];
  for (const key of COMPARED) {
    const w = want[key];
    const h = have[key];
    if (w === undefined) continue;
    if (JSON.stringify(w) !== JSON.stringify(h ?? (key === 'allow_direct' ? false : h))) {
      out.push(`${key} is ${JSON.stringify(h)}, expected ${JSON.stringify(w)}`);
    }
  }
  return out;
}

async function existingConfig(jsm: JetStreamManager, name: string): Promise<StreamConfig | null> {
  try {
    return (await jsm.streams.info(name)).config;
  } catch (err) {
    if ((err as Error).name !== 'StreamNotFoundError') throw err;
    return null;
  }
}

/** Checks the streams without changing anything: one line per missing stream or differing setting. */
export async function streamProblems(
  jsm: JetStreamManager,
  topology: Topology,
  opts: StreamOptions,
): Promise<string[]> {
  const problems: string[] = [];
  for (const want of desiredStreams(topology, opts)) {
    const existing = await existingConfig(jsm, want.name);
    if (existing === null)
      problems.push(`stream ${want.name} does not exist (the gateway creates it at start-up)`);
    else for (const d of differences(want, existing)) problems.push(`stream ${want.name}: ${d}`);
  }
  return problems;
}

/**
 * Creates the streams this install needs, once at start-up. An existing stream with the
 * same settings is left alone; one with different settings is reported, never changed:
 * changing retention or subjects under a running system can destroy data.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  topology: Topology,
  opts: StreamOptions,
): Promise<void> {
  const problems: string[] = [];
  for (const want of desiredStreams(topology, opts)) {
    const name = want.name;
    let existing = await existingConfig(jsm, name);
    if (existing === null) {
      try {
        await jsm.streams.add(want);
      } catch (err) {
        // Another process may have created it between our info and add: compare again.
        existing = (
          await jsm.streams.info(name).catch(() => {
            throw err;
          })
        ).config;
      }
    }
    if (existing !== null) {
      for (const d of differences(want, existing)) problems.push(`stream ${name}: ${d}`);
    }
  }
  if (problems.length > 0) {
    throw new StreamConfigMismatchError(
      `existing JetStream streams differ from what this gateway expects; fix or remove them (nats stream edit / rm), or set STREAM_PREFIX:\n  ${problems.join('\n  ')}`,
      { details: { problems } },
    );
  }
}
