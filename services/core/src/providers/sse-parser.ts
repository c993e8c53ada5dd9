import { ProviderProtocolError } from '../errors/errors';

/** One server-sent event as dispatched by the WHATWG event-stream algorithm. */
export interface SseEvent {
  /** The `event:` field; `message` when the server sent none. */
  readonly event: string;
  /** The `data:` lines joined by `\n`. */
  readonly data: string;
  readonly id: string | null;
}

/** Bounds that keep a hostile stream from growing memory without end. */
export interface SseParserOptions {
  /** Longest single line or event (characters) before the stream is rejected. */
  readonly maxEventLength?: number;
}

const DEFAULT_MAX_EVENT_LENGTH = 1024 * 1024;

/**
 * An incremental `text/event-stream` parser (WHATWG HTML, "Interpreting an event stream").
 * Feed it decoded text in whatever pieces the network delivers; it returns the events each
 * piece completes. Handles CRLF, CR and LF line ends (including a CRLF split across two
 * pieces), comments, a leading BOM, multi-line data and field values without a space.
 * Throws ProviderProtocolError when a line or event exceeds `maxEventLength`.
 */
export class SseParser {
  private readonly maxEventLength: number;
  private buffer = '';
  private started = false;
  /** The previous piece ended in CR: a LF opening the next piece belongs to that line end. */
  private pendingCr = false;
  private eventType = '';
  private dataLines: string[] = [];
  private dataLength = 0;
  private lastEventId: string | null = null;

  constructor(options: SseParserOptions = {}) {
    this.maxEventLength = options.maxEventLength ?? DEFAULT_MAX_EVENT_LENGTH;
  }

  /** Parses the next piece of the stream; returns the events it completed, in order. */
  push(piece: string): SseEvent[] {
    let text = piece;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      const line = this.buffer + text.slice(start, i);
      this.buffer = '';
      const event = this.processLine(line);
      if (event) events.push(event);
      if (c === 0x0d) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 0x0a) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
    }
    this.buffer += text.slice(start);
    if (this.buffer.length > this.maxEventLength) {
      throw new ProviderProtocolError(`event-stream line longer than ${this.maxEventLength} characters`);
    }
    return events;
  }

  /**
   * The stream ended. Per the specification an event without its closing blank line is
   * discarded; returns whether such an incomplete event (or line) was pending, which for
   * protocols that always finish their events means the stream was cut short.
   */
  end(): { readonly incomplete: boolean } {
    const incomplete = this.buffer.length > 0 || this.dataLines.length > 0 || this.eventType !== '';
    this.buffer = '';
    this.resetEvent();
    return { incomplete };
  }

  private processLine(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.dataLength += value.length + 1;
        if (this.dataLength > this.maxEventLength) {
          throw new ProviderProtocolError(`event-stream event longer than ${this.maxEventLength} characters`);
        }
        this.dataLines.push(value);
        break;
      case 'id':
        // The specification ignores ids containing NUL.
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      default:
        // `retry` and unknown fields carry nothing a request/response client acts on.
        break;
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    if (this.dataLines.length === 0) {
      this.resetEvent();
      return null;
    }
    const event: SseEvent = {
      event: this.eventType === '' ? 'message' : this.eventType,
      data: this.dataLines.join('\n'),
      id: this.lastEventId,
    };
    this.resetEvent();
    return event;
  }

  private resetEvent(): void {
    this.eventType = '';
    this.dataLines = [];
    this.dataLength = 0;
  }
}
