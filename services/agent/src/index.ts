export { type AgentIdentity, AgentWorker, type AgentWorkerOptions, workConsumerName } from './agent-worker';
export { GatewayClient, type GatewayClientOptions, type RequestBody } from './gateway-client';
export { OutputPublisher, type OutputPublisherOptions, type PublishChunk } from './output-publisher';
