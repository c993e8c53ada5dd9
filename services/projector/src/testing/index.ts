export { appendWorkload, publishOutput, tableChecksums, waitForProjections } from './helpers';
export { generateWorkload, type WorkloadCommit, type WorkloadOptions } from './workload';
