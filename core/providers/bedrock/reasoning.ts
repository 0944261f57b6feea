/**
 * Bedrock's reasoning blocks <-> the canonical `thinking_blocks` (Anthropic's
 * shape, signatures included), so a conversation through any surface can
 * hand Claude-on-Bedrock its earlier reasoning back, as Bedrock requires on
 * tool-use turns. Redacted reasoning is opaque bytes on Bedrock (base64 in
 * JSON) and an opaque string in Anthropic's shape: the bytes carry that string.
 */
import type { ThinkingBlock } from '../../canonical/chat.js'

export type BedrockReasoningContent =
  | { reasoningText: { text: string; signature?: string } }
  | { redactedContent: string }

export function toReasoningContent(block: ThinkingBlock): BedrockReasoningContent {
  if (block.type === 'redacted_thinking') return { redactedContent: Buffer.from(block.data, 'utf8').toString('base64') }
  return { reasoningText: { text: block.thinking, ...(block.signature && { signature: block.signature }) } }
}

export function fromReasoningContent(content: {
  reasoningText?: { text?: string; signature?: string }
  redactedContent?: string
}): ThinkingBlock | undefined {
  if (typeof content.redactedContent === 'string')
    return { type: 'redacted_thinking', data: fromBase64(content.redactedContent) }
  if (!content.reasoningText) return undefined
  return {
    type: 'thinking',
    thinking: content.reasoningText.text ?? '',
    signature: content.reasoningText.signature ?? '',
  }
}

/** A streamed `redactedContent` delta: base64 bytes, as in a whole answer. */
export function fromBase64(bytes: string): string {
  return Buffer.from(bytes, 'base64').toString('utf8')
}
