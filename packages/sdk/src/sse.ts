/** One server-sent event. `event` is `message` when the server named none. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

// A lone CR ends a line only once the next character is known not to be LF.
const LINE_END = /\r\n|\n|\r(?=[^\n])/;

class EventBuilder {
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private touched = false;

  /** Applies one line; returns the finished event on a blank line. */
  line(line: string): SseEvent | undefined {
    if (line === '') return this.flush();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\u0000')) this.id = value;
    else return undefined;
    this.touched = true;
    return undefined;
  }

  private flush(): SseEvent | undefined {
    const out = this.touched ? { event: this.event || 'message', data: this.data.join('\n'), ...(this.id !== undefined ? { id: this.id } : {}) } : undefined;
    this.event = '';
    this.data = [];
    this.touched = false;
    return out;
  }
}

/**
 * Parses an event stream (WHATWG "server-sent events" framing) from byte chunks that may split
 * lines and multi-byte characters anywhere. An event left unfinished when the bytes end is
 * dropped, as the standard says; the caller decides whether an unfinished stream is an error.
 */
export async function* parseSse(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  const builder = new EventBuilder();
  let buffer = '';
  let first = true;
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    if (first && buffer.length > 0) {
      if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      first = false;
    }
    for (let match = LINE_END.exec(buffer); match; match = LINE_END.exec(buffer)) {
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const event = builder.line(line);
      if (event) yield event;
    }
  }
  buffer += decoder.decode();
  // A final CR (held back above) still ends its line.
  if (buffer.endsWith('\r')) {
    const event = builder.line(buffer.slice(0, -1));
    if (event) yield event;
  }
}

/** The chunks of a fetch body, read with a reader so that stopping early cancels the request. */
export async function* bodyChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
