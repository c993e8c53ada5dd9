import { z } from 'zod';
import { Provider } from '../common';

export const AGENT_STATUSES = ['Online', 'Draining', 'Offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const AgentRegistered = z.object({
  name: z.string().min(1).max(100),
  providers: z.array(Provider).min(1),
  maxConcurrent: z.number().int().min(1).max(1000),
  version: z.string().min(1).max(50),
});

export const AgentDrainStarted = z.object({});
export const AgentResumed = z.object({});
export const AgentWentOffline = z.object({ reason: z.string().min(1) });
