import type { WsServerMessage, WsTopic } from '@flywheel/schemas';

export type { WsServerMessage, WsTopic };

/** What the client sends on `/ws`. */
export type WsClientMessage =
  | { readonly op: 'subscribe'; readonly topic: WsTopic; readonly after?: number }
  | { readonly op: 'unsubscribe'; readonly topic: WsTopic }
  | { readonly op: 'ping'; readonly id?: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads one frame from the server; null for anything that is not a message of the
 * protocol, so a newer server's extra messages are ignored rather than crashing the page.
 */
export function parseServerMessage(raw: unknown): WsServerMessage | null {
  if (typeof raw !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  switch (value.op) {
    case 'hello':
      return typeof value.workspace === 'string' ? (value as WsServerMessage) : null;
    case 'subscribed':
    case 'unsubscribed':
      return typeof value.topic === 'string' ? (value as WsServerMessage) : null;
    case 'event':
      return typeof value.topic === 'string' && typeof value.cursor === 'number'
        ? (value as WsServerMessage)
        : null;
    case 'error':
      return typeof value.code === 'string' && typeof value.message === 'string'
        ? (value as WsServerMessage)
        : null;
    case 'pong':
      return value as WsServerMessage;
    default:
      return null;
  }
}

/** The id that tells two items of one cursor apart: the event id, else the cursor itself. */
export function itemId(data: unknown, cursor: number): string {
  return isRecord(data) && typeof data.id === 'string' ? data.id : String(cursor);
}
