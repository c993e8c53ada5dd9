import type { NatsHandle, Topology } from '@flywheel/core';

/**
 * Whether the session's current attempt has published output yet. Agents give each chunk the
 * message id `<sessionId>.<attempt>.<seq>`; chunks of earlier attempts (the note an attempt
 * leaves when its account hit a limit) were already there when this attempt began, so they
 * do not count. A last chunk without that id counts as output: better a failed session than
 * output shown twice.
 */
export async function hasOutput(
  nats: NatsHandle,
  topology: Topology,
  workspace: string,
  sessionId: string,
  attempt: number,
): Promise<boolean> {
  const last = await nats.jsm.direct.getMessage(topology.output.stream, {
    last_by_subj: topology.outputSubject(workspace, sessionId),
  });
  if (last === null) return false;
  const [id, chunkAttempt] = (last.header?.get('Nats-Msg-Id') ?? '').split('.');
  return !(id === sessionId && Number(chunkAttempt) < attempt);
}
