/**
 * The parts of Google's GenerateContent wire format the gateway reads or
 * writes (AI Studio `v1beta` and Vertex `v1` share it). Field names are
 * Google's camelCase JSON names; only what the translations use is typed.
 */
import type { GeminiUsageMetadata } from './usage.js'

export interface GeminiFunctionCall {
  id?: string
  name: string
  args?: Record<string, unknown>
}

export interface GeminiPart {
  text?: string
  /** The text is the model's thinking, not the answer. */
  thought?: boolean
  thoughtSignature?: string
  inlineData?: { mimeType: string; data: string }
  fileData?: { fileUri: string; mimeType?: string }
  functionCall?: GeminiFunctionCall
  functionResponse?: { name: string; response: Record<string, unknown> }
  [field: string]: unknown
}

export interface GeminiContent {
  role: 'user' | 'model'
  parts: GeminiPart[]
}

export interface GeminiGenerationConfig {
  maxOutputTokens?: number
  temperature?: number
  topP?: number
  stopSequences?: string[]
  candidateCount?: number
  seed?: number
  presencePenalty?: number
  frequencyPenalty?: number
  responseMimeType?: string
  responseJsonSchema?: unknown
  thinkingConfig?: { thinkingBudget?: number; includeThoughts?: boolean }
}

export interface GeminiRequest {
  contents: GeminiContent[]
  systemInstruction?: { parts: GeminiPart[] }
  tools?: Array<{ functionDeclarations: Array<{ name: string; description?: string; parameters?: unknown }> }>
  toolConfig?: {
    functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] }
  }
  generationConfig?: GeminiGenerationConfig
}

export interface GeminiCandidate {
  index?: number
  content?: { role?: string; parts?: GeminiPart[] }
  finishReason?: string
  finishMessage?: string
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[]
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string }
  usageMetadata?: GeminiUsageMetadata
  modelVersion?: string
  responseId?: string
  [field: string]: unknown
}

/** Google's error body, for HTTP errors and for errors sent inside a stream. */
export interface GoogleErrorBody {
  error?: {
    code?: number
    message?: string
    status?: string
    details?: Array<{ '@type'?: string; reason?: string; retryDelay?: string; [field: string]: unknown }>
  }
}
