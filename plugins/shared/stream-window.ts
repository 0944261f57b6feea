/**
 * The carry-over window shared by the text guardrails (plugins/pii,
 * plugins/regex-guard): checks a streamed text incrementally, chunk by chunk,
 * without holding the whole stream.
 *
 * It holds back the last `window` characters of what has arrived (the longest
 * match a detector can produce), since the next chunk may complete a match
 * that starts there; everything before is final and sent. A match that starts
 * in the sent part but reaches into the held part holds back from its start.
 * The `context` characters already sent before the held part are kept too and
 * shown to the detectors (never sent again), so boundary checks such as "not
 * preceded by a digit" still see what came before. `push(text, true)` at the
 * end of the stream lets everything out.
 *
 * Why nothing is missed: a match found in the final part ends at least
 * `window` characters before the end of what has arrived; a longer match at
 * the same place would have to be longer than `window`, which no detector
 * produces. (Regex-guard rules cannot prove a bound: there `window` is an
 * option, and longer matches may be missed in streams; see its README.)
 */

/** One match in a text: [start, end) and what to do with it. */
export interface Span<K extends string = string> {
  start: number
  end: number
  kind: K
  /** The text to put in its place; null or absent leaves it (a match that is only reported). */
  replacement?: string | null
}

/**
 * Finds the matches in `text` that start at or after `from` (the text before
 * `from` is context only), left to right, not overlapping.
 */
export type Finder<K extends string = string> = (text: string, from: number) => Span<K>[]

export interface WindowOutput<K extends string = string> {
  /** What may be sent now. */
  text: string
  /** The matches that became final with this push (positions in this push's buffer: held text + the new text). */
  spans: Span<K>[]
}

/** How many characters already sent stay visible to the detectors (for lookbehind boundaries). */
export const DEFAULT_CONTEXT = 16

export class StreamWindow<K extends string = string> {
  readonly #find: Finder<K>
  readonly #window: number
  readonly #context: number
  /** Arrived, not yet sent. */
  #pending = ''
  /** The last characters already sent (original text, not replacements). */
  #before = ''

  constructor(find: Finder<K>, window: number, context = DEFAULT_CONTEXT) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError('stream window must be a positive integer')
    this.#find = find
    this.#window = window
    this.#context = context
  }

  /** Characters held back right now (for tests and diagnostics). */
  get held(): number {
    return this.#pending.length
  }

  /** Adds a piece of the stream; returns the text to send now and the matches made final. */
  push(text: string, end = false): WindowOutput<K> {
    const buffer = this.#pending + text
    const lead = this.#before
    let cut = end ? buffer.length : Math.max(0, buffer.length - this.#window)
    let out = ''
    let sent = 0
    const spans: Span<K>[] = []
    if (cut > 0) {
      for (const span of this.#find(lead + buffer, lead.length)) {
        const start = span.start - lead.length
        const stop = span.end - lead.length
        if (start >= cut) break
        if (stop > cut && !end) {
          // Reaches into the held part: the next chunk could still change it. Hold it whole.
          cut = start
          break
        }
        out += buffer.slice(sent, start) + (span.replacement ?? buffer.slice(start, stop))
        sent = stop
        spans.push({ ...span, start, end: stop })
      }
    }
    // Never split a surrogate pair between what is sent and what is held.
    if (cut > sent && cut < buffer.length && isHighSurrogate(buffer.charCodeAt(cut - 1))) cut--
    if (cut > sent) out += buffer.slice(sent, cut)
    if (cut > 0) this.#before = (this.#before + buffer.slice(0, cut)).slice(-this.#context)
    this.#pending = buffer.slice(cut)
    return { text: out, spans }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
