export {
  createPacer,
  type ProjectionProbe,
  pacedEventStore,
  probeProjections,
  readCheckpoints,
  waitForSessionsGone,
} from './crash-probe';
export {
  appendWorkload,
  publishOutput,
  publishUnchecked,
  tableChecksums,
  waitForProjections,
} from './helpers';
export { readAndDecode } from './read-ceiling';
export { generateWorkload, type WorkloadCommit, type WorkloadOptions } from './workload';
