export { type Projector, type ProjectorDeps, startProjector } from './projector';
