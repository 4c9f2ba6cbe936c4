/**
 * The streaming parser as a Web Streams `TransformStream`, so it runs on a
 * `fetch` body, a file stream or a socket in any runtime that has Web
 * Streams (browsers, Deno, Bun, Node 18+).
 *
 * @module
 */
import { createMessageParser, type MessageEvent, type MessageParserOptions } from "./message-parser.js";

/**
 * Creates a `TransformStream` that turns message bytes into parser events.
 * Body bytes in the events are copies, so they stay valid after the stream
 * moves on.
 *
 * @param options - limits and what a limit hit does (as for {@link createMessageParser})
 * @returns a transform stream: write `Uint8Array` chunks, read {@link MessageEvent}s
 * @throws {@link MimeError} `invalid-limit` for an invalid limit; the stream errors with `limit-exceeded` when `onLimit` is `"error"`
 * @example
 * ```ts
 * import { createMessageStream } from "@smtpkit/mime";
 * const response = await fetch("https://example.com/message.eml");
 * for await (const event of response.body!.pipeThrough(createMessageStream())) {
 *   if (event.type === "part-start") console.log(event.path, event.info.mediaType);
 * }
 * ```
 */
export function createMessageStream(options: MessageParserOptions = {}): TransformStream<Uint8Array, MessageEvent> {
  const parser = createMessageParser(options);
  const forward = (events: MessageEvent[], controller: TransformStreamDefaultController<MessageEvent>): void => {
    for (const event of events) {
      // The parser's body events may share memory with the chunk; a stream
      // consumer reads them later, when the writer may have reused it.
      if (event.type === "part-body" || event.type === "preamble" || event.type === "epilogue") {
        controller.enqueue({ ...event, bytes: event.bytes.slice() });
      } else {
        controller.enqueue(event);
      }
    }
  };
  return new TransformStream<Uint8Array, MessageEvent>({
    transform(chunk, controller) {
      forward(parser.push(chunk), controller);
    },
    flush(controller) {
      forward(parser.end(), controller);
    },
  });
}
