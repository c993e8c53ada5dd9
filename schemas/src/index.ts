export * from './commands';
export * from './common';
export * from './envelope';
export * from './event-registry';
export * from './events/account.events';
export * from './events/agent.events';
export * from './events/session.events';
export * from './ws';
