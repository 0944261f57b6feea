/**
 * The one source of truth for the config's shape. TypeScript types are derived
 * from these TypeBox schemas (`Static<...>`), and the same schemas are what ajv
 * validates and what `gateway.schema.json` is written from, so the three can
 * never drift apart.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { OPENAI_FAMILY_PRESET_NAMES, type OpenAIFamilyPresetName } from '../providers/openai/presets.js'
import { ERROR_CLASSES } from '../providers/upstream-error.js'

/** `Type.Unsafe` keeps a precise static type while emitting plain JSON Schema. */
const stringEnum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) })

/** The pattern of provider and route names (and of record keys that are names). */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$'

const Name = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: NAME_PATTERN,
  description: 'Letters, digits, ".", "_" and "-"; starts with a letter or digit.',
})

/** A reference to an environment variable, written `env('NAME')` in a TS config. */
export const EnvRefSchema = Type.Object(
  {
    $env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Environment variable name.' }),
    optional: Type.Optional(Type.Boolean({ description: 'Resolve to nothing (or `default`) when unset.' })),
    default: Type.Optional(Type.String()),
  },
  { additionalProperties: false, description: 'Value read from the environment when the config is compiled.' },
)
export type EnvRef = Static<typeof EnvRefSchema>

/** A secret: an env reference (recommended) or a literal string (local development only). */
const Secret = Type.Union([EnvRefSchema, Type.String({ minLength: 1 })])
/** A plain setting that may also come from the environment. */
const StringOrEnv = Secret

const ProviderKey = Type.Object(
  {
    value: Secret,
    name: Type.Optional(Type.String({ description: 'Label used in logs instead of the key itself.' })),
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1 })),
    models: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Only these models may use this key.' }),
    ),
  },
  { additionalProperties: false },
)

const commonProviderFields = {
  keys: Type.Optional(Type.Array(ProviderKey, { description: 'Key pool; one key is picked per request by weight.' })),
  headers: Type.Optional(
    Type.Record(Type.String(), StringOrEnv, { description: 'Extra upstream headers (values are treated as secrets).' }),
  ),
  models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Models listed by /v1/models.' })),
  timeoutMs: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Upstream timeout per attempt (headers and each body read).' }),
  ),
  connections: Type.Optional(Type.Integer({ minimum: 1, description: 'Max keep-alive connections to this upstream.' })),
}

const OpenAIFamilyProvider = Type.Object(
  {
    type: stringEnum(OPENAI_FAMILY_PRESET_NAMES, 'An OpenAI-compatible preset; `openai-compatible` needs `baseUrl`.'),
    baseUrl: Type.Optional(StringOrEnv),
    ...commonProviderFields,
  },
  { additionalProperties: false },
)

const AzureOpenAIProvider = Type.Object(
  {
    type: stringEnum(['azure-openai'] as const),
    baseUrl: StringOrEnv,
    apiVersion: Type.String({ minLength: 1, description: 'Azure `api-version` query parameter, e.g. 2024-10-21.' }),
    deployments: Type.Optional(
      Type.Record(Type.String(), Type.String({ minLength: 1 }), {
        description: 'Model name -> Azure deployment name (default: the model name).',
      }),
    ),
    ...commonProviderFields,
  },
  { additionalProperties: false },
)

const AnthropicProvider = Type.Object(
  {
    type: stringEnum(['anthropic'] as const),
    baseUrl: Type.Optional(StringOrEnv),
    version: Type.Optional(
      Type.String({ minLength: 1, description: '`anthropic-version` header (default 2023-06-01).' }),
    ),
    maxTokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'max_tokens for requests that set none (Anthropic requires it; default 4096).',
      }),
    ),
    ...commonProviderFields,
  },
  { additionalProperties: false },
)

const GeminiProvider = Type.Object(
  {
    type: stringEnum(['gemini'] as const, 'Google AI Studio (Gemini API) with `x-goog-api-key` keys.'),
    baseUrl: Type.Optional(StringOrEnv),
    ...commonProviderFields,
  },
  { additionalProperties: false, description: 'Default baseUrl: https://generativelanguage.googleapis.com' },
)

/** Vertex AI authenticates with a service account (OAuth access tokens), not API keys: no `keys`. */
const { keys: _vertexHasNoKeys, ...vertexCommonFields } = commonProviderFields
const VertexProvider = Type.Object(
  {
    type: stringEnum(['vertex'] as const, 'Gemini on Google Cloud Vertex AI, authenticated by a service account.'),
    project: StringOrEnv,
    location: Type.String({
      minLength: 1,
      pattern: '^[a-z0-9-]+$',
      description: 'Vertex region, e.g. us-central1 (or `global`).',
    }),
    serviceAccount: Type.Union([EnvRefSchema, Type.String({ minLength: 1 })], {
      description: "The service account's JSON key file contents, normally env('GOOGLE_SERVICE_ACCOUNT_JSON').",
    }),
    baseUrl: Type.Optional(StringOrEnv),
    ...vertexCommonFields,
  },
  { additionalProperties: false, description: 'Default baseUrl: https://{location}-aiplatform.googleapis.com' },
)

const CohereProvider = Type.Object(
  {
    type: stringEnum(['cohere'] as const, "Cohere's native v2 API (chat and embed) with Bearer keys."),
    baseUrl: Type.Optional(StringOrEnv),
    ...commonProviderFields,
  },
  { additionalProperties: false, description: 'Default baseUrl: https://api.cohere.com' },
)

const AwsCredentials = Type.Object(
  {
    accessKeyId: Secret,
    secretAccessKey: Secret,
    sessionToken: Type.Optional(Secret),
  },
  {
    additionalProperties: false,
    description: 'Static AWS credentials for SigV4 signing (use env references; never logged or printed).',
  },
)

const BedrockProvider = Type.Object(
  {
    type: stringEnum(['bedrock'] as const),
    region: Type.Union([EnvRefSchema, Type.String({ minLength: 1, description: 'AWS region, e.g. us-east-1.' })]),
    baseUrl: Type.Optional(StringOrEnv),
    credentials: Type.Optional(AwsCredentials),
    ...commonProviderFields,
  },
  {
    additionalProperties: false,
    description:
      'Amazon Bedrock runtime (Converse API). Authenticates with `credentials` (SigV4) or with Bedrock API keys in `keys` (Bearer). `baseUrl` defaults to https://bedrock-runtime.{region}.amazonaws.com.',
  },
)

const MockFailure = Type.Object(
  {
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    message: Type.Optional(Type.String()),
    every: Type.Optional(Type.Integer({ minimum: 1, description: 'Fail every Nth call (1 = always).' })),
    probability: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'Fail this share of calls, at random (for soak tests).' }),
    ),
    match: Type.Optional(
      Type.String({ minLength: 1, description: 'Fail when the last user message contains this text.' }),
    ),
    retryAfterSeconds: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
)

const MockProvider = Type.Object(
  {
    type: stringEnum(['mock'] as const),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: ['demo'] })),
    reply: Type.Optional(Type.String({ description: 'Fixed reply text. Default: "You said: <last user message>".' })),
    latencyMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Delay before the answer (or first chunk).' })),
    chunkSize: Type.Optional(Type.Integer({ minimum: 1, description: 'Words per stream chunk.' })),
    chunkDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'Delay between stream chunks.' })),
    embeddingDimensions: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    failures: Type.Optional(Type.Array(MockFailure)),
  },
  { additionalProperties: false },
)

/**
 * Providers are a discriminated union on `type`. ajv's `discriminator` keyword
 * needs `oneOf`, so the union is emitted by hand; the static type stays precise.
 */
const providerVariants = [
  OpenAIFamilyProvider,
  AzureOpenAIProvider,
  AnthropicProvider,
  GeminiProvider,
  VertexProvider,
  CohereProvider,
  BedrockProvider,
  MockProvider,
] as const
type ProviderVariant = Static<(typeof providerVariants)[number]>
const Provider = Type.Unsafe<ProviderVariant>({
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: providerVariants,
})

export const ROUTE_STRATEGIES = ['single', 'fallback', 'weighted', 'conditional', 'least-latency', 'cheapest'] as const
export type RouteStrategy = (typeof ROUTE_STRATEGIES)[number]

const ErrorClassList = Type.Array(stringEnum(ERROR_CLASSES), { uniqueItems: true })

const TargetRef = Type.String({
  minLength: 1,
  description: 'A route name, or "provider/model" (the model may itself contain "/").',
})
const RouteTarget = Type.Union([
  TargetRef,
  Type.Object(
    {
      to: TargetRef,
      weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1 })),
      when: Type.Optional(
        Type.String({
          minLength: 1,
          description: 'conditional routes: JSONata over { body, caller, headers, metadata }; the first match wins.',
        }),
      ),
    },
    { additionalProperties: false },
  ),
])

const Retry = Type.Object(
  {
    attempts: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10, description: 'Tries per target, the first included (default 2).' }),
    ),
    initialDelayMs: Type.Optional(Type.Integer({ minimum: 0, description: 'First backoff (default 200 ms).' })),
    maxDelayMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Longest wait between tries (default 5 s). A Retry-After beyond it moves on to the next target instead.',
      }),
    ),
    on: Type.Optional(ErrorClassList),
  },
  { additionalProperties: false },
)

const Route = Type.Object(
  {
    strategy: Type.Optional(
      stringEnum(
        ROUTE_STRATEGIES,
        'single: the first target; fallback: in order; weighted: random by weight; conditional: the first target whose `when` matches; least-latency: the fastest recently (with exploration); cheapest: by price.',
      ),
    ),
    targets: Type.Array(RouteTarget, { minItems: 1 }),
    description: Type.Optional(Type.String()),
    retry: Type.Optional(Retry),
    fallbackOn: Type.Optional(ErrorClassList),
    onContextLength: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A route or "provider/model" with a larger context, tried when a prompt is too long.',
      }),
    ),
    timeouts: Type.Optional(
      Type.Object(
        {
          attemptMs: Type.Optional(
            Type.Integer({ minimum: 1, description: 'Per attempt, until the answer (or first chunk).' }),
          ),
          firstTokenMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Streams: until the first chunk.' })),
          totalMs: Type.Optional(Type.Integer({ minimum: 1, description: 'All attempts together.' })),
        },
        { additionalProperties: false },
      ),
    ),
    overrides: Type.Optional(
      Type.Object(
        {
          target: Type.Optional(Type.Boolean({ description: 'Honour `x-gateway-target: <one of the targets>`.' })),
          noFallback: Type.Optional(Type.Boolean({ description: 'Honour `x-gateway-fallback: off`.' })),
        },
        { additionalProperties: false, description: 'Per-request overrides a client may ask for; all off by default.' },
      ),
    ),
  },
  { additionalProperties: false },
)

const Breaker = Type.Object(
  {
    failures: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Failures within `windowMs` that open it (default 5).' }),
    ),
    windowMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Default 60 s.' })),
    cooldownMs: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Open this long, then one probe (default 30 s).' }),
    ),
  },
  { additionalProperties: false },
)

const PolicyDeny = Type.Object(
  {
    status: Type.Optional(Type.Integer({ minimum: 400, maximum: 499, default: 403 })),
    message: Type.String({ minLength: 1 }),
    code: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

/** What a policy may do when it matches. File policies return an object of this shape. */
export const PolicyActionsFields = {
  deny: Type.Optional(PolicyDeny),
  set: Type.Optional(
    // additionalProperties: without it a key like "max_tokens" passes and sets nothing sensible.
    Type.Record(Type.String({ pattern: '^(body|response)(\\.[A-Za-z0-9_]+)+$' }), Type.Unknown(), {
      additionalProperties: false,
      description: 'Fields to set: "body.*" in the request phase, "response.*" in the response phase.',
    }),
  ),
  unset: Type.Optional(
    Type.Array(Type.String({ pattern: '^(body|response)(\\.[A-Za-z0-9_]+)+$' }), {
      description: 'Fields to remove, e.g. ["body.logprobs"].',
    }),
  ),
  route: Type.Optional(Type.String({ minLength: 1, description: 'Send the request to this route (request phase).' })),
  tag: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: 'Labels for the log line and audit record.' }),
  ),
  require: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), { description: 'Plugins (by name) that must run for this request.' }),
  ),
}

const policyCommon = {
  phase: Type.Optional(
    stringEnum(
      ['request', 'response'] as const,
      'request (default): before routing; response: on the answer, with `response` and `usage` in the input.',
    ),
  ),
  onError: Type.Optional(
    stringEnum(
      ['deny', 'skip'] as const,
      'If the rule fails to evaluate: refuse the request (default) or skip the rule.',
    ),
  ),
}

const InlinePolicy = Type.Object(
  {
    name: Name,
    when: Type.String({
      minLength: 1,
      description: 'JSONata condition over { body, caller, metadata, headers, route, time } (+ response, usage).',
    }),
    ...policyCommon,
    ...PolicyActionsFields,
  },
  { additionalProperties: false },
)

const FilePolicy = Type.Object(
  {
    file: Type.String({
      minLength: 1,
      description: 'A .jsonata file (relative to the config) whose expression returns the actions to take, or nothing.',
    }),
    name: Type.Optional(Name),
    ...policyCommon,
  },
  { additionalProperties: false },
)

const Policy = Type.Union([InlinePolicy, FilePolicy])

/** Where a plugin runs, and how it behaves when it fails; common to both ways of listing one. */
const pluginPlacement = {
  scope: Type.Optional(
    Type.Object(
      {
        routes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Only for these routes.' })),
        teams: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Only for these teams.' })),
        keys: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Only for these keys.' })),
        required: Type.Optional(Type.Boolean({ description: 'Only when a policy requires it (`require: [name]`).' })),
      },
      { additionalProperties: false, description: 'Default: every request.' },
    ),
  ),
  failOpen: Type.Optional(
    Type.Boolean({
      description: 'When the plugin fails or runs out of time: serve anyway (true) or refuse (false, the default).',
    }),
  ),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Time budget per hook call (default 2000 ms).' })),
}

/** A plugin referenced by package name or path, usable from JSON/YAML configs. */
export const PluginUseSchema = Type.Object(
  {
    use: Type.String({ minLength: 1, description: 'npm package name or a path relative to the config file.' }),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    ...pluginPlacement,
  },
  { additionalProperties: false },
)
/** A plugin imported in a TS config: the value `myPlugin(options)` returns, optionally spread with placement. */
const PluginInstanceShape = Type.Object(
  { plugin: Type.Object({ name: Type.String() }), options: Type.Unknown(), ...pluginPlacement },
  {
    description:
      'A plugin value created in code, e.g. { ...secrets({ action: "block" }), scope: { teams: ["interns"] } }.',
  },
)
const PluginEntry = Type.Union([PluginUseSchema, PluginInstanceShape])

const Budget = Type.Object(
  {
    usd: Type.Number({ exclusiveMinimum: 0, description: 'Spend allowed per period, in US dollars.' }),
    period: stringEnum(['day', 'week', 'month', 'total'] as const),
    window: Type.Optional(
      stringEnum(
        ['calendar', 'rolling'] as const,
        'calendar (default): UTC day, ISO week from Monday, calendar month; rolling: the last 24 h / 7 d / 30 d.',
      ),
    ),
  },
  { additionalProperties: false },
)

const Limits = Type.Object(
  {
    rpm: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests per minute.' })),
    tpm: Type.Optional(Type.Integer({ minimum: 1, description: 'Tokens (prompt + completion) per minute.' })),
    concurrent: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests in flight at once.' })),
  },
  { additionalProperties: false },
)

/** What every level of the hierarchy (org, team, key) may set. */
const grantFields = {
  budget: Type.Optional(Budget),
  limits: Type.Optional(Limits),
  models: Type.Optional(
    Type.Array(Type.String({ minLength: 1 }), {
      description: 'Routes or "provider/model" names this level may use; "provider/*" and "*" match many.',
    }),
  ),
  metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  disabled: Type.Optional(Type.Boolean()),
  expiresAt: Type.Optional(Type.String({ minLength: 1, description: 'ISO 8601 date-time; refused from then on.' })),
}

const Org = Type.Object({ ...grantFields }, { additionalProperties: false })
const Team = Type.Object({ org: Type.Optional(Name), ...grantFields }, { additionalProperties: false })
const VirtualKey = Type.Object(
  {
    name: Name,
    hash: Type.String({
      pattern: '^sha256:[0-9a-f]{64}$',
      description: "The key's SHA-256, as `gateway keys new` prints it. The key itself never goes in the config.",
    }),
    team: Type.Optional(Name),
    ...grantFields,
  },
  { additionalProperties: false },
)

const ModelPriceOverride = Type.Object(
  {
    input: Type.Number({ minimum: 0, description: 'USD per million input tokens.' }),
    output: Type.Number({ minimum: 0, description: 'USD per million output tokens.' }),
    cachedInput: Type.Optional(Type.Number({ minimum: 0 })),
    cacheWrite: Type.Optional(Type.Number({ minimum: 0 })),
    reasoning: Type.Optional(Type.Number({ minimum: 0 })),
    maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)

const Store = Type.Union([
  Type.Object({ kind: Type.Literal('memory') }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('redis'),
      url: Secret,
      prefix: Type.Optional(Type.String({ minLength: 1, default: 'gw:' })),
      onUnavailable: Type.Optional(
        stringEnum(
          ['fail-closed', 'fail-open'] as const,
          'fail-closed (default): refuse governed requests while Redis is unreachable; fail-open: serve them unmetered.',
        ),
      ),
    },
    { additionalProperties: false },
  ),
])

/** OpenTelemetry tracing: spans per request and per upstream attempt, exported over OTLP/HTTP. */
const Tracing = Type.Object(
  {
    endpoint: Type.Union([EnvRefSchema, Type.String({ minLength: 1 })], {
      description: 'OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (JSON is sent).',
    }),
    serviceName: Type.Optional(Type.String({ minLength: 1, default: 'llm-gateway', description: '`service.name`.' })),
    sampleRatio: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        default: 1,
        description: "Share of new traces kept; a caller's `traceparent` decides for its own trace.",
      }),
    ),
    headers: Type.Optional(
      Type.Record(Type.String(), Secret, { description: 'Headers for the collector, e.g. its token (secrets).' }),
    ),
  },
  { additionalProperties: false },
)

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const GatewayConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    server: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ default: '127.0.0.1' })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 8787 })),
          bodyLimit: Type.Optional(
            Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\d+(b|kb|mb)$' })], {
              description: 'Largest accepted request body: bytes, or "512kb" / "4mb".',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    admin: Type.Optional(
      Type.Object(
        { token: Type.Optional(Secret) },
        { additionalProperties: false, description: 'Admin endpoints are off unless a token is set.' },
      ),
    ),
    log: Type.Optional(
      Type.Object(
        { level: Type.Optional(stringEnum(LOG_LEVELS)) },
        {
          additionalProperties: false,
          description:
            'The level applies on every reload; human-readable output is `gateway start --pretty` or LOG_PRETTY=1.',
        },
      ),
    ),
    telemetry: Type.Optional(
      Type.Object(
        { tracing: Type.Optional(Tracing) },
        {
          additionalProperties: false,
          description: 'OpenTelemetry. Tracing is off unless `tracing` is set; changing it needs a restart.',
        },
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          mode: stringEnum(
            ['none', 'keys'] as const,
            'none: anyone may call (local development); keys: every data-plane request needs a virtual key.',
          ),
        },
        { additionalProperties: false },
      ),
    ),
    store: Type.Optional(Store),
    orgs: Type.Optional(Type.Record(Name, Org, { additionalProperties: false })),
    teams: Type.Optional(Type.Record(Name, Team, { additionalProperties: false })),
    keys: Type.Optional(Type.Array(VirtualKey)),
    pricing: Type.Optional(
      Type.Object(
        {
          overrides: Type.Optional(
            Type.Record(Type.String({ minLength: 1 }), ModelPriceOverride, {
              description: 'Prices by "provider/model" or bare model name; they win over the built-in table.',
            }),
          ),
          defaultMaxOutputTokens: Type.Optional(
            Type.Integer({
              minimum: 1,
              description: 'Output tokens reserved when neither the request nor the table says.',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    routing: Type.Optional(
      Type.Object(
        {
          breaker: Type.Optional(Breaker),
          keyCooldownMs: Type.Optional(
            Type.Integer({
              minimum: 0,
              description: 'How long a key that got 429 without Retry-After rests (default 10 s).',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    providers: Type.Record(Name, Provider, { minProperties: 1, additionalProperties: false }),
    routes: Type.Optional(Type.Record(Name, Route, { additionalProperties: false })),
    policies: Type.Optional(Type.Array(Policy)),
    plugins: Type.Optional(Type.Array(PluginEntry)),
  },
  { additionalProperties: false, $id: 'https://llm-gateway.dev/gateway.schema.json', title: 'LLM gateway config' },
)

export type GatewayConfig = Static<typeof GatewayConfigSchema>
export type ProviderConfig = ProviderVariant
export type MockProviderConfig = Static<typeof MockProvider>
export type AzureOpenAIProviderConfig = Static<typeof AzureOpenAIProvider>
export type AnthropicProviderConfig = Static<typeof AnthropicProvider>
export type CohereProviderConfig = Static<typeof CohereProvider>
export type GeminiProviderConfig = Static<typeof GeminiProvider>
export type VertexProviderConfig = Static<typeof VertexProvider>
export type OpenAIFamilyProviderConfig = Static<typeof OpenAIFamilyProvider> & { type: OpenAIFamilyPresetName }
export type RouteConfig = Static<typeof Route>
export type RouteTargetConfig = Static<typeof RouteTarget>
export type RetryConfig = Static<typeof Retry>
export type BreakerConfig = Static<typeof Breaker>
export type PolicyConfig = Static<typeof Policy>
export type InlinePolicyConfig = Static<typeof InlinePolicy>
export type FilePolicyConfig = Static<typeof FilePolicy>
export type PluginUse = Static<typeof PluginUseSchema>
export type PluginScopeConfig = NonNullable<PluginUse['scope']>
export type LogLevel = (typeof LOG_LEVELS)[number]
export type BudgetConfig = Static<typeof Budget>
export type LimitsConfig = Static<typeof Limits>
export type OrgConfig = Static<typeof Org>
export type TeamConfig = Static<typeof Team>
export type VirtualKeyConfig = Static<typeof VirtualKey>
export type StoreConfig = Static<typeof Store>
export type TracingConfig = Static<typeof Tracing>
export type ModelPriceOverrideConfig = Static<typeof ModelPriceOverride>

/** Pure JSON of a schema (TypeBox adds symbol keys that editors don't need). */
export function toJsonSchema(schema: TSchema): object {
  return JSON.parse(JSON.stringify(schema))
}
