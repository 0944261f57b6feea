/**
 * The OpenAI-compatible family as data: each preset says where the API lives,
 * how it authenticates and what it supports. Adding a provider of this family
 * means adding a row here, not code.
 */
export interface OpenAIFamilyPreset {
  /** Base URL that `/chat/completions` and `/embeddings` are appended to. Absent: the config must give one. */
  readonly baseUrl?: string
  /** Header that carries the key; `authorization` sends `Bearer <key>`. */
  readonly authHeader: 'authorization' | 'api-key'
  /** Whether a request can be sent without any key (local servers). */
  readonly keyRequired: boolean
  /** Whether the provider serves `/embeddings`. */
  readonly embeddings: boolean
  /** Where the model goes: in the body (standard) or in a deployment URL (Azure). */
  readonly modelIn: 'body' | 'deployment-path'
  /** Where the provider documents this API, for the people maintaining this table. */
  readonly docs: string
}

export const OPENAI_FAMILY_PRESETS = {
  openai: {
    baseUrl: 'https://api.openai.com/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: true,
    modelIn: 'body',
    docs: 'https://platform.openai.com/docs/api-reference/chat',
  },
  groq: {
    baseUrl: 'https://api.groq.com/openai/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: false,
    modelIn: 'body',
    docs: 'https://console.groq.com/docs/openai',
  },
  mistral: {
    baseUrl: 'https://api.mistral.ai/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: true,
    modelIn: 'body',
    docs: 'https://docs.mistral.ai/api/',
  },
  deepseek: {
    baseUrl: 'https://api.deepseek.com/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: false,
    modelIn: 'body',
    docs: 'https://api-docs.deepseek.com/',
  },
  xai: {
    baseUrl: 'https://api.x.ai/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: true,
    modelIn: 'body',
    docs: 'https://docs.x.ai/docs/api-reference',
  },
  together: {
    baseUrl: 'https://api.together.xyz/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: true,
    modelIn: 'body',
    docs: 'https://docs.together.ai/docs/openai-api-compatibility',
  },
  fireworks: {
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: true,
    modelIn: 'body',
    docs: 'https://docs.fireworks.ai/tools-sdks/openai-compatibility',
  },
  openrouter: {
    baseUrl: 'https://openrouter.ai/api/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: false,
    modelIn: 'body',
    docs: 'https://openrouter.ai/docs/api-reference/overview',
  },
  perplexity: {
    baseUrl: 'https://api.perplexity.ai',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: false,
    modelIn: 'body',
    docs: 'https://docs.perplexity.ai/api-reference/chat-completions',
  },
  cerebras: {
    baseUrl: 'https://api.cerebras.ai/v1',
    authHeader: 'authorization',
    keyRequired: true,
    embeddings: false,
    modelIn: 'body',
    docs: 'https://inference-docs.cerebras.ai/resources/openai',
  },
  ollama: {
    baseUrl: 'http://127.0.0.1:11434/v1',
    authHeader: 'authorization',
    keyRequired: false,
    embeddings: true,
    modelIn: 'body',
    docs: 'https://github.com/ollama/ollama/blob/main/docs/openai.md',
  },
  vllm: {
    baseUrl: 'http://127.0.0.1:8000/v1',
    authHeader: 'authorization',
    keyRequired: false,
    embeddings: true,
    modelIn: 'body',
    docs: 'https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html',
  },
  'openai-compatible': {
    authHeader: 'authorization',
    keyRequired: false,
    embeddings: true,
    modelIn: 'body',
    docs: 'Any server speaking the OpenAI chat-completions wire format.',
  },
} as const satisfies Record<string, OpenAIFamilyPreset>

export type OpenAIFamilyPresetName = keyof typeof OPENAI_FAMILY_PRESETS
export const OPENAI_FAMILY_PRESET_NAMES = Object.keys(OPENAI_FAMILY_PRESETS) as OpenAIFamilyPresetName[]

/** Azure OpenAI: deployment URLs, `api-version` query and an `api-key` header. */
export const AZURE_OPENAI_PRESET: OpenAIFamilyPreset = {
  authHeader: 'api-key',
  keyRequired: true,
  embeddings: true,
  modelIn: 'deployment-path',
  docs: 'https://learn.microsoft.com/azure/ai-services/openai/reference',
}

/** Every provider `type` the config accepts. */
export const PROVIDER_TYPES = [
  ...OPENAI_FAMILY_PRESET_NAMES,
  'azure-openai',
  'anthropic',
  'gemini',
  'vertex',
  'cohere',
  'bedrock',
  'mock',
] as const
