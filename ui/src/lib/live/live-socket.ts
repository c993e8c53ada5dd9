import { type Readable, writable } from 'svelte/store';
import { reconnectDelay } from './backoff';
import { CursorTracker } from './cursor-tracker';
import {
  itemId,
  parseServerMessage,
  type WsClientMessage,
  type WsServerMessage,
  type WsTopic,
} from './protocol';

export const CONNECTION_STATUSES = ['idle', 'connecting', 'open', 'disconnected', 'unauthorized'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** What the connection indicator shows. */
export interface ConnectionState {
  readonly status: ConnectionStatus;
  /** While disconnected: when the next attempt starts (epoch ms); null while one is under way. */
  readonly retryAt: number | null;
  /** Attempts that failed since the socket was last open. */
  readonly failures: number;
  /** Why the server refused the socket, when it did. */
  readonly message: string | null;
  /** Who the server says we are, from its `hello`. */
  readonly workspace: string | null;
}

/** The part of the browser's WebSocket this client uses; tests pass a fake. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { readonly data: unknown }) => void) | null;
  onclose: ((ev: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Receives one topic's items. */
export interface TopicListener {
  /** A new item of the topic, in stream order, never a repeat. */
  event(data: unknown, cursor: number): void;
  /**
   * The server confirmed the subscription. `continued` is true when it resumed behind the
   * last cursor, so nothing was missed. False means the feed started afresh (the first
   * time, or a reconnect before any item arrived): a workspace feed then delivers only what
   * happens from now, so the listener reloads its snapshot; a one-session topic replays its
   * whole history, so the listener starts over.
   */
  subscribed(continued: boolean): void;
  /** The server reported a problem with this topic. */
  error?(code: string, message: string): void;
  /** The socket dropped: nothing arrives until the next `subscribed`, which resumes. */
  interrupted?(): void;
}

export interface LiveSocketOptions {
  readonly url: string;
  readonly connect?: (url: string) => WebSocketLike;
  /** How often to ping; a ping unanswered for `pongTimeoutMs` counts as a dead connection. */
  readonly pingIntervalMs?: number;
  readonly pongTimeoutMs?: number;
  /** Keep the socket this long after its last user left, so a page change does not reconnect. */
  readonly lingerMs?: number;
  readonly random?: () => number;
  readonly now?: () => number;
}

interface TopicState {
  readonly listeners: Set<TopicListener>;
  readonly tracker: CursorTracker;
  /** Whether the pending or current subscription continues behind a cursor. */
  continued: boolean;
  /** The server confirmed the current subscription; items before that belong to an old feed. */
  confirmed: boolean;
  retries: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
}

const OPEN = 1;
/** The close code the gateway uses for a refused token; reconnecting would not help. */
const UNAUTHORIZED_CLOSE = 4401;

const IDLE: ConnectionState = { status: 'idle', retryAt: null, failures: 0, message: null, workspace: null };

/**
 * One WebSocket shared by every live feed of the page, multiplexing topics. It connects for
 * its first user and closes after its last, reconnects with backoff, and resubscribes every
 * topic behind its last cursor, so a feed sees each item exactly once across reconnects.
 */
export class LiveSocket {
  readonly state: Readable<ConnectionState>;
  readonly #url: string;
  readonly #connect: (url: string) => WebSocketLike;
  readonly #pingIntervalMs: number;
  readonly #pongTimeoutMs: number;
  readonly #lingerMs: number;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #topics = new Map<WsTopic, TopicState>();
  readonly #state = writable<ConnectionState>(IDLE);
  #current: ConnectionState = IDLE;
  #socket: WebSocketLike | null = null;
  #open = false;
  #users = 0;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #lingerTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #pongTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(opts: LiveSocketOptions) {
    this.#url = opts.url;
    this.#connect = opts.connect ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
    this.#pingIntervalMs = opts.pingIntervalMs ?? 20_000;
    this.#pongTimeoutMs = opts.pongTimeoutMs ?? 10_000;
    this.#lingerMs = opts.lingerMs ?? 5_000;
    this.#random = opts.random ?? Math.random;
    this.#now = opts.now ?? Date.now;
    // Watching the connection keeps it up, so the indicator is truthful on any page.
    this.state = {
      subscribe: (run) => {
        this.#retain();
        const off = this.#state.subscribe(run);
        return () => {
          off();
          this.#release();
        };
      },
    };
  }

  /** Follows `topic`; the returned function stops following it. */
  subscribe(topic: WsTopic, listener: TopicListener): () => void {
    let t = this.#topics.get(topic);
    if (t) {
      t.listeners.add(listener);
      // Joining a running feed: only what comes next reaches this listener.
      if (t.confirmed) listener.subscribed(false);
    } else {
      t = {
        listeners: new Set([listener]),
        tracker: new CursorTracker(),
        continued: false,
        confirmed: false,
        retries: 0,
        retryTimer: null,
      };
      this.#topics.set(topic, t);
      if (this.#open) this.#sendSubscribe(topic, t);
    }
    this.#retain();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#unsubscribe(topic, listener);
      this.#release();
    };
  }

  /** Skips the backoff wait and reconnects now (the indicator's button, the browser coming online). */
  retryNow(): void {
    if (this.#socket || this.#users === 0 || this.#current.status === 'unauthorized') return;
    this.#clearRetry();
    this.#openSocket();
  }

  #unsubscribe(topic: WsTopic, listener: TopicListener): void {
    const t = this.#topics.get(topic);
    if (!t) return;
    t.listeners.delete(listener);
    if (t.listeners.size > 0) return;
    if (t.retryTimer) clearTimeout(t.retryTimer);
    this.#topics.delete(topic);
    if (this.#open) this.#send({ op: 'unsubscribe', topic });
  }

  #retain(): void {
    this.#users += 1;
    if (this.#lingerTimer) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = null;
    }
    if (!this.#socket && !this.#retryTimer && this.#current.status !== 'unauthorized') this.#openSocket();
  }

  #release(): void {
    this.#users -= 1;
    if (this.#users > 0) return;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = null;
      if (this.#users > 0) return;
      this.#clearRetry();
      const socket = this.#socket;
      this.#teardown();
      socket?.close(1000, 'no live feeds');
      this.#failures = 0;
      this.#setState(IDLE);
    }, this.#lingerMs);
  }

  #openSocket(): void {
    if (this.#failures === 0) this.#setState({ ...this.#current, status: 'connecting', retryAt: null });
    else this.#setState({ ...this.#current, retryAt: null });
    let socket: WebSocketLike;
    try {
      socket = this.#connect(this.#url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onmessage = (ev) => this.#onMessage(ev.data);
    socket.onclose = (ev) => this.#onClose(socket, ev.code, ev.reason);
    socket.onerror = () => undefined;
  }

  #onClose(socket: WebSocketLike, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    this.#teardown();
    if (this.#users === 0) {
      this.#setState(IDLE);
      return;
    }
    if (code === UNAUTHORIZED_CLOSE) {
      this.#setState({
        ...this.#current,
        status: 'unauthorized',
        retryAt: null,
        message: this.#current.message ?? (reason || 'the gateway refused the token'),
      });
      return;
    }
    this.#scheduleReconnect();
  }

  /** Forgets the socket and every timer tied to it; topics stay, to be resumed. */
  #teardown(): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#open = false;
    if (socket) {
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
    }
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    if (this.#pongTimer) clearTimeout(this.#pongTimer);
    this.#pingTimer = null;
    this.#pongTimer = null;
    for (const t of this.#topics.values()) {
      if (t.confirmed) for (const l of [...t.listeners]) l.interrupted?.();
      t.confirmed = false;
      if (t.retryTimer) clearTimeout(t.retryTimer);
      t.retryTimer = null;
    }
  }

  #scheduleReconnect(): void {
    const delay = reconnectDelay(this.#failures, this.#random);
    this.#failures += 1;
    this.#setState({
      ...this.#current,
      status: 'disconnected',
      retryAt: this.#now() + delay,
      failures: this.#failures,
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#openSocket();
    }, delay);
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #onMessage(raw: unknown): void {
    const msg = parseServerMessage(raw);
    if (this.#pongTimer) {
      // Any frame proves the connection alive.
      clearTimeout(this.#pongTimer);
      this.#pongTimer = null;
    }
    if (msg) this.#handle(msg);
  }

  #handle(msg: WsServerMessage): void {
    switch (msg.op) {
      case 'hello':
        this.#open = true;
        this.#failures = 0;
        this.#setState({
          status: 'open',
          retryAt: null,
          failures: 0,
          message: null,
          workspace: msg.workspace,
        });
        for (const [topic, t] of this.#topics) this.#sendSubscribe(topic, t);
        this.#startPing();
        return;
      case 'subscribed': {
        const t = this.#topics.get(msg.topic);
        if (!t || t.confirmed) return;
        t.confirmed = true;
        t.retries = 0;
        for (const l of [...t.listeners]) l.subscribed(t.continued);
        return;
      }
      case 'event': {
        const t = this.#topics.get(msg.topic);
        if (!t?.confirmed || !t.tracker.accept(msg.cursor, itemId(msg.data, msg.cursor))) return;
        for (const l of [...t.listeners]) l.event(msg.data, msg.cursor);
        return;
      }
      case 'error':
        this.#onError(msg.code, msg.message, msg.topic);
        return;
      default:
        return;
    }
  }

  #onError(code: string, message: string, topic: string | undefined): void {
    if (code === 'unauthorized') {
      this.#setState({ ...this.#current, message });
      return;
    }
    const t = topic === undefined ? undefined : this.#topics.get(topic as WsTopic);
    if (!t) return;
    for (const l of [...t.listeners]) l.error?.(code, message);
    if (code === 'feed_failed' || code === 'subscribe_failed') {
      // The server dropped this one feed; resubscribe behind its cursor after a pause.
      t.confirmed = false;
      if (t.retryTimer) clearTimeout(t.retryTimer);
      t.retryTimer = setTimeout(
        () => {
          t.retryTimer = null;
          if (this.#open && this.#topics.get(topic as WsTopic) === t)
            this.#sendSubscribe(topic as WsTopic, t);
        },
        reconnectDelay(t.retries++, this.#random),
      );
    }
  }

  #sendSubscribe(topic: WsTopic, t: TopicState): void {
    const after = t.tracker.resumeAfter();
    t.continued = after !== undefined;
    t.confirmed = false;
    this.#send(after === undefined ? { op: 'subscribe', topic } : { op: 'subscribe', topic, after });
  }

  #startPing(): void {
    this.#pingTimer = setInterval(() => {
      this.#send({ op: 'ping' });
      if (this.#pongTimer) return;
      this.#pongTimer = setTimeout(() => {
        // A half-open connection never reports its own death; stop waiting for it.
        const socket = this.#socket;
        if (!socket) return;
        this.#teardown();
        socket.close(4000, 'no answer to ping');
        this.#scheduleReconnect();
      }, this.#pongTimeoutMs);
    }, this.#pingIntervalMs);
  }

  #send(msg: WsClientMessage): void {
    if (this.#socket?.readyState === OPEN) this.#socket.send(JSON.stringify(msg));
  }

  #setState(next: ConnectionState): void {
    this.#current = next;
    this.#state.set(next);
  }
}
