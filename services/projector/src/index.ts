export { type Projector, type ProjectorDeps, startProjector } from './projector';
export { createProgressBar, type ReplayProgress, silentProgress } from './replay/progress-bar';
export { type ReplayDeps, type ReplayResult, replay } from './replay/replay';
