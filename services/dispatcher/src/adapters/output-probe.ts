import type { NatsHandle, Topology } from '@flywheel/core';

/** Whether a session has published any output chunk yet: the last message on its output subject. */
export async function hasOutput(
  nats: NatsHandle,
  topology: Topology,
  workspace: string,
  sessionId: string,
): Promise<boolean> {
  const last = await nats.jsm.direct.getMessage(topology.output.stream, {
    last_by_subj: topology.outputSubject(workspace, sessionId),
  });
  return last !== null;
}
