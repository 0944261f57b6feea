/**
 * `gateway check` on broken configs: every case asserts the exact problems
 * reported (JSON pointer, message, hint, and that nothing else is reported).
 * Most cases call runCheck() with an explicit `env`, so nothing depends on
 * the machine's environment; a few spawn the real CLI for exit codes and the
 * JSON output. Nothing here reaches the network.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { type CheckReport, formatCheckReport, runCheck } from '../../core/cli/check.js'
import type { ConfigProblem } from '../../core/config/problems.js'
import { PROVIDER_TYPES } from '../../core/providers/openai/presets.js'
import { CORE_ENTRY, makeConfigDir, tsConfig } from '../helpers/gateway.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = fileURLToPath(new URL('../fixtures/broken-configs/', import.meta.url))

const MOCK = `mock: { type: 'mock' }`
const OPENAI = `openai: { type: 'openai', keys: [{ value: 'sk-test' }] }`

const NAME_HINT = 'names use letters, digits, ".", "_" and "-", and start with a letter or digit'
const CYCLE_HINT = 'a route may target another route only if that never leads back to itself'
const JSONATA_HINT = 'try the expression at https://try.jsonata.org with a sample { body, caller, headers, time } input'
const KNOWN_TYPES_HINT = `known types: ${PROVIDER_TYPES.join(', ')}`
const envHint = (name: string) => `set ${name}, or write env.optional('${name}') if the config works without it`

const tempDirs: string[] = []
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

/** A fresh temp directory holding `files` (relative path -> text); removed after the file's tests. */
function configDir(files: Record<string, string> = {}): string {
  const dir = makeConfigDir('gateway-check-')
  tempDirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

async function checkFile(
  fileName: string,
  source: string,
  options: { env?: NodeJS.ProcessEnv; files?: Record<string, string> } = {},
): Promise<CheckReport> {
  const dir = configDir({ ...options.files, [fileName]: source })
  return runCheck({ configPath: path.join(dir, fileName), env: options.env ?? {} })
}

/** Checks a gateway.config.ts whose defineConfig argument is `objectLiteral`; `prelude` adds imports. */
function checkTs(
  objectLiteral: string,
  options: { env?: NodeJS.ProcessEnv; files?: Record<string, string>; prelude?: string } = {},
): Promise<CheckReport> {
  return checkFile('gateway.config.ts', (options.prelude ?? '') + tsConfig(objectLiteral), options)
}

function expectInvalid(report: CheckReport, problems: ConfigProblem[]): void {
  expect(report.loadError).toBeNull()
  // toStrictEqual: a problem without a hint must not carry `hint: undefined` either.
  expect(report.problems).toStrictEqual(problems)
  expect(report.exitCode).toBe(1)
}

function expectValid(report: CheckReport): void {
  expect(report.loadError).toBeNull()
  expect(report.problems).toStrictEqual([])
  expect(report.exitCode).toBe(0)
}

interface BrokenCase {
  name: string
  config: string
  problems: ConfigProblem[]
}

describe('gateway check: routes', () => {
  it.each<BrokenCase>([
    {
      name: 'unknown provider in a route target',
      config: `{ providers: { ${OPENAI} }, routes: { chat: { targets: ['opena/gpt-4o'] } } }`,
      problems: [
        {
          path: '/routes/chat/targets/0',
          message: "unknown provider 'opena' in target 'opena/gpt-4o'",
          hint: "did you mean 'openai'?",
        },
      ],
    },
    {
      name: 'unknown provider in a weighted target object (path ends in /to)',
      config: `{ providers: { ${OPENAI} }, routes: { chat: { strategy: 'weighted', targets: [{ to: 'openai/gpt-4o', weight: 3 }, { to: 'anthropic/claude', weight: 1 }] } } }`,
      problems: [
        {
          path: '/routes/chat/targets/1/to',
          message: "unknown provider 'anthropic' in target 'anthropic/claude'",
          hint: 'declared providers: openai',
        },
      ],
    },
    {
      name: 'a target that is neither a route nor provider/model',
      config: `{ providers: { ${MOCK} }, routes: { chat: { targets: ['gpt-4o'] } } }`,
      problems: [
        {
          path: '/routes/chat/targets/0',
          message: `'gpt-4o' is neither a route nor "provider/model"`,
          hint: 'write "provider/model", e.g. "openai/gpt-4o", or the name of a route',
        },
      ],
    },
    {
      name: 'a misspelt route name as a target',
      config: `{ providers: { ${MOCK} }, routes: { chat: { targets: ['mock/demo'] }, fast: { targets: ['chta'] } } }`,
      problems: [
        {
          path: '/routes/fast/targets/0',
          message: `'chta' is neither a route nor "provider/model"`,
          hint: "did you mean 'chat'?",
        },
      ],
    },
    {
      name: 'a fallback cycle a -> b -> a (reported once)',
      config: `{ providers: { ${MOCK} }, routes: { a: { strategy: 'fallback', targets: ['b', 'mock/demo'] }, b: { strategy: 'fallback', targets: ['a', 'mock/demo'] } } }`,
      problems: [{ path: '/routes/a', message: 'route cycle: a -> b -> a', hint: CYCLE_HINT }],
    },
    {
      name: 'a route that targets itself',
      config: `{ providers: { ${MOCK} }, routes: { loop: { strategy: 'fallback', targets: ['mock/demo', 'loop'] } } }`,
      problems: [{ path: '/routes/loop', message: 'route cycle: loop -> loop', hint: CYCLE_HINT }],
    },
    {
      name: 'a mock target model the mock does not serve',
      config: `{ providers: { mock: { type: 'mock', models: ['demo', 'fast'] } }, routes: { chat: { targets: ['mock/fsat'] } } }`,
      problems: [
        {
          path: '/routes/chat/targets/0',
          message: "mock provider 'mock' does not serve model 'fsat'",
          hint: "did you mean 'fast'?",
        },
      ],
    },
    {
      name: 'a mock model with no near miss (mock serves only demo by default)',
      config: `{ providers: { ${MOCK} }, routes: { chat: { targets: ['mock/gpt-4o-mini'] } } }`,
      problems: [
        {
          path: '/routes/chat/targets/0',
          message: "mock provider 'mock' does not serve model 'gpt-4o-mini'",
          hint: 'add it to /providers/mock/models',
        },
      ],
    },
    {
      name: 'a route name that is not a valid name',
      config: `{ providers: { ${MOCK} }, routes: { 'my route': { targets: ['mock/demo'] } } }`,
      problems: [{ path: '/routes/my route', message: "'my route' is not a valid name", hint: NAME_HINT }],
    },
    {
      name: "'single' strategy with several targets",
      config: `{ providers: { ${MOCK} }, routes: { chat: { strategy: 'single', targets: ['mock/demo', 'mock/demo', 'mock/demo'] } } }`,
      problems: [
        {
          path: '/routes/chat/strategy',
          message: "'single' uses only the first of 3 targets",
          hint: "use 'fallback' to try the others in order, or remove them",
        },
      ],
    },
    {
      name: 'targets that is not an array',
      config: `{ providers: { ${MOCK} }, routes: { chat: { targets: 'mock/demo' } } }`,
      problems: [{ path: '/routes/chat/targets', message: 'must be array' }],
    },
    {
      name: 'an empty targets array',
      config: `{ providers: { ${MOCK} }, routes: { chat: { targets: [] } } }`,
      problems: [{ path: '/routes/chat/targets', message: 'must have at least 1 item(s)' }],
    },
    {
      name: 'a target that is neither a string nor an object',
      config: `{ providers: { ${MOCK} }, routes: { chat: { targets: [42] } } }`,
      problems: [{ path: '/routes/chat/targets/0', message: 'must be a string or an object' }],
    },
    {
      name: 'a target object without `to`',
      config: `{ providers: { ${MOCK} }, routes: { chat: { strategy: 'weighted', targets: [{ weight: 2 }] } } }`,
      problems: [{ path: '/routes/chat/targets/0/to', message: 'is required' }],
    },
    {
      name: 'a weight of zero',
      config: `{ providers: { ${MOCK} }, routes: { chat: { strategy: 'weighted', targets: [{ to: 'mock/demo', weight: 0 }] } } }`,
      problems: [{ path: '/routes/chat/targets/0/weight', message: 'must be > 0' }],
    },
    {
      name: 'a misspelt strategy',
      config: `{ providers: { ${MOCK} }, routes: { chat: { strategy: 'fallbak', targets: ['mock/demo'] } } }`,
      problems: [
        {
          path: '/routes/chat/strategy',
          message: 'must be one of: single, fallback, weighted, conditional, least-latency, cheapest',
          hint: "did you mean 'fallback'?",
        },
      ],
    },
  ])('$name', async ({ config, problems }) => {
    expectInvalid(await checkTs(config), problems)
  })
})

describe('gateway check: providers', () => {
  it.each<BrokenCase>([
    {
      name: 'unknown provider type',
      config: `{ providers: { main: { type: 'opnai', keys: [{ value: 'sk-test' }] } } }`,
      problems: [
        { path: '/providers/main/type', message: "unknown provider type 'opnai'", hint: "did you mean 'openai'?" },
      ],
    },
    {
      name: 'a provider without a type (one problem, not one per keyword)',
      config: `{ providers: { main: { models: ['gpt-4o'] } } }`,
      problems: [{ path: '/providers/main/type', message: 'is required', hint: KNOWN_TYPES_HINT }],
    },
    {
      name: 'a provider type that is not a string',
      config: `{ providers: { main: { type: 5 } } }`,
      problems: [{ path: '/providers/main/type', message: 'must be a string', hint: KNOWN_TYPES_HINT }],
    },
    {
      name: 'azure-openai without baseUrl and apiVersion',
      config: `{ providers: { azure: { type: 'azure-openai', keys: [{ value: 'az-key' }] } } }`,
      problems: [
        { path: '/providers/azure/baseUrl', message: 'is required' },
        { path: '/providers/azure/apiVersion', message: 'is required' },
      ],
    },
    {
      name: 'openai-compatible without baseUrl',
      config: `{ providers: { local: { type: 'openai-compatible' } } }`,
      problems: [
        {
          path: '/providers/local/baseUrl',
          message: "is required for type 'openai-compatible'",
          hint: "the server's OpenAI-compatible base URL, e.g. 'http://127.0.0.1:8000/v1'",
        },
      ],
    },
    {
      name: 'a hosted provider with no keys',
      config: `{ providers: { groq: { type: 'groq' } } }`,
      problems: [
        {
          path: '/providers/groq/keys',
          message: "provider 'groq' (groq) has no key",
          hint: "keys: [{ value: env('GROQ_API_KEY') }]",
        },
      ],
    },
    {
      name: 'an anthropic provider with no keys',
      config: `{ providers: { claude: { type: 'anthropic', maxTokens: 1024 } } }`,
      problems: [
        {
          path: '/providers/claude/keys',
          message: "provider 'claude' (anthropic) has no key",
          hint: "keys: [{ value: env('CLAUDE_API_KEY') }]",
        },
      ],
    },
    {
      name: 'a hosted provider with an empty key pool (name with "-" in the hint)',
      config: `{ providers: { 'openai-eu': { type: 'openai', keys: [] } } }`,
      problems: [
        {
          path: '/providers/openai-eu/keys',
          message: "provider 'openai-eu' (openai) has no key",
          hint: "keys: [{ value: env('OPENAI_EU_API_KEY') }]",
        },
      ],
    },
    {
      name: 'a key that is neither a string nor an env reference',
      config: `{ providers: { openai: { type: 'openai', keys: [{ value: 42 }] } } }`,
      problems: [
        { path: '/providers/openai/keys/0/value', message: 'must be an env reference { "$env": "NAME" } or a string' },
      ],
    },
    {
      name: 'a misspelt provider field',
      config: `{ providers: { mock: { type: 'mock', replay: 'hello' } } }`,
      problems: [
        { path: '/providers/mock/replay', message: "unknown property 'replay'", hint: "did you mean 'reply'?" },
      ],
    },
    {
      name: 'a provider name with "/" (escaped as ~1 in the pointer)',
      config: `{ providers: { 'open/ai': { type: 'mock' } } }`,
      problems: [{ path: '/providers/open~1ai', message: "'open/ai' is not a valid name", hint: NAME_HINT }],
    },
    {
      name: 'no providers at all',
      config: `{ providers: {} }`,
      problems: [{ path: '/providers', message: 'must have at least 1 entry' }],
    },
  ])('$name', async ({ config, problems }) => {
    expectInvalid(await checkTs(config), problems)
  })
})

describe('gateway check: top level and server', () => {
  it.each<BrokenCase>([
    {
      name: 'unknown top-level property, with a did-you-mean hint',
      config: `{ providers: { ${MOCK} }, rutes: { chat: { targets: ['mock/demo'] } } }`,
      problems: [{ path: '/rutes', message: "unknown property 'rutes'", hint: "did you mean 'routes'?" }],
    },
    {
      name: 'unknown top-level property with no near miss lists what is allowed',
      config: `{ providers: { ${MOCK} }, observability: true }`,
      problems: [
        {
          path: '/observability',
          message: "unknown property 'observability'",
          hint: 'allowed here: $schema, server, admin, log, telemetry, auth, store, orgs, teams, keys, pricing, routing, providers, routes, policies, plugins',
        },
      ],
    },
    {
      name: 'missing providers',
      config: `{ routes: {} }`,
      problems: [{ path: '/providers', message: 'is required' }],
    },
    {
      name: 'port as a string',
      config: `{ server: { port: '8080' }, providers: { ${MOCK} } }`,
      problems: [{ path: '/server/port', message: 'must be integer' }],
    },
    {
      name: 'port out of range',
      config: `{ server: { port: 70000 }, providers: { ${MOCK} } }`,
      problems: [{ path: '/server/port', message: 'must be <= 65535' }],
    },
    {
      name: 'a bodyLimit with no unit the server knows',
      config: `{ server: { bodyLimit: '4gb' }, providers: { ${MOCK} } }`,
      problems: [{ path: '/server/bodyLimit', message: 'must match pattern "^\\d+(b|kb|mb)$"' }],
    },
    {
      name: 'a misspelt log level',
      config: `{ log: { level: 'wran' }, providers: { ${MOCK} } }`,
      problems: [
        {
          path: '/log/level',
          message: 'must be one of: fatal, error, warn, info, debug, trace, silent',
          hint: "did you mean 'warn'?",
        },
      ],
    },
  ])('$name', async ({ config, problems }) => {
    expectInvalid(await checkTs(config), problems)
  })

  it('a default export that is not an object', async () => {
    expectInvalid(await checkFile('gateway.config.ts', 'export default 42\n'), [
      { path: '', message: 'must be object' },
    ])
  })
})

describe('gateway check: policies', () => {
  it.each<BrokenCase>([
    {
      name: 'bad JSONata in `when`',
      config: `{ providers: { ${MOCK} }, policies: [{ name: 'no-gpt4', when: "body.model = ", deny: { message: 'no' } }] }`,
      problems: [
        {
          path: '/policies/0/when',
          message: 'JSONata does not compile: Unexpected end of expression (at character 13)',
          hint: JSONATA_HINT,
        },
      ],
    },
    {
      name: 'JSONata with an unterminated string',
      config: `{ providers: { ${MOCK} }, policies: [{ name: 'ok', when: 'true', deny: { message: 'x' } }, { name: 'no-gpt4', when: "body.model = 'gpt-4", deny: { message: 'no' } }] }`,
      problems: [
        {
          path: '/policies/1/when',
          message: 'JSONata does not compile: String literal must be terminated by a matching quote (at character 19)',
          hint: JSONATA_HINT,
        },
      ],
    },
    {
      name: 'an empty `when` (reported once, not again by the JSONata compiler)',
      config: `{ providers: { ${MOCK} }, policies: [{ name: 'p', when: '', deny: { message: 'no' } }] }`,
      problems: [{ path: '/policies/0/when', message: 'must not be empty' }],
    },
    {
      name: 'a policy with no action',
      config: `{ providers: { ${MOCK} }, policies: [{ name: 'audit', when: "body.model = 'gpt-4o'" }] }`,
      problems: [
        {
          path: '/policies/0',
          message: "policy 'audit' has no action",
          hint: 'add deny, set, unset, route, tag or require',
        },
      ],
    },
    {
      name: 'duplicate policy names',
      config: `{ providers: { ${MOCK} }, policies: [
        { name: 'cap', when: 'true', set: { 'body.max_tokens': 100 } },
        { name: 'other', when: 'true', set: { 'body.temperature': 0 } },
        { name: 'cap', when: 'false', deny: { message: 'no' } },
      ] }`,
      problems: [
        {
          path: '/policies/2/name',
          message: "duplicate policy name 'cap' (first used at /policies/0)",
          hint: 'give each policy its own name',
        },
      ],
    },
    {
      name: 'a `set` key without the body. prefix',
      config: `{ providers: { ${MOCK} }, policies: [{ name: 'cap', when: 'true', set: { max_tokens: 100 } }] }`,
      problems: [
        {
          path: '/policies/0/set/max_tokens',
          message: "'max_tokens' is not an allowed key here (must match ^(body|response)(\\.[A-Za-z0-9_]+)+$)",
          hint: 'Fields to set: "body.*" in the request phase, "response.*" in the response phase.',
        },
      ],
    },
    {
      name: 'a deny status outside 4xx',
      config: `{ providers: { ${MOCK} }, policies: [{ name: 'p', when: 'true', deny: { status: 500, message: 'no' } }] }`,
      problems: [{ path: '/policies/0/deny/status', message: 'must be <= 499' }],
    },
  ])('$name', async ({ config, problems }) => {
    expectInvalid(await checkTs(config), problems)
  })
})

describe('gateway check: environment', () => {
  const config = `{
    providers: { openai: { type: 'openai', keys: [{ value: env('OPENAI_API_KEY') }] } },
    routes: { chat: { targets: ['openai/gpt-4o'] } },
  }`

  it('a required env var that is not set (and no follow-on "has no key")', async () => {
    expectInvalid(await checkTs(config, { env: {} }), [
      {
        path: '/providers/openai/keys/0/value',
        message: 'environment variable OPENAI_API_KEY is not set',
        hint: envHint('OPENAI_API_KEY'),
      },
    ])
  })

  it('an env var set to the empty string counts as not set', async () => {
    const report = await checkTs(config, { env: { OPENAI_API_KEY: '' } })
    expect(report.problems.map((p) => p.message)).toStrictEqual(['environment variable OPENAI_API_KEY is not set'])
  })

  it('is valid once the env var is set', async () => {
    expectValid(await checkTs(config, { env: { OPENAI_API_KEY: 'sk-test' } }))
  })

  it('reports every missing variable, each at its own path', async () => {
    const report = await checkTs(
      `{
        admin: { token: env('ADMIN_TOKEN') },
        providers: {
          openai: { type: 'openai', keys: [{ value: env('OPENAI_KEY_A') }, { value: env('OPENAI_KEY_B') }] },
          local: { type: 'openai-compatible', baseUrl: env('LOCAL_URL'), headers: { 'x-team': env('TEAM') } },
        },
      }`,
      { env: { OPENAI_KEY_B: 'sk-b' } },
    )
    expectInvalid(report, [
      { path: '/admin/token', message: 'environment variable ADMIN_TOKEN is not set', hint: envHint('ADMIN_TOKEN') },
      {
        path: '/providers/openai/keys/0/value',
        message: 'environment variable OPENAI_KEY_A is not set',
        hint: envHint('OPENAI_KEY_A'),
      },
      {
        path: '/providers/local/baseUrl',
        message: 'environment variable LOCAL_URL is not set',
        hint: envHint('LOCAL_URL'),
      },
      {
        path: '/providers/local/headers/x-team',
        message: 'environment variable TEAM is not set',
        hint: envHint('TEAM'),
      },
    ])
  })

  it('env.optional does not error when the variable is unset', async () => {
    const report = await checkTs(
      `{
        admin: { token: env.optional('ADMIN_TOKEN') },
        providers: { local: { type: 'openai-compatible', baseUrl: env.optional('LOCAL_URL', 'http://127.0.0.1:8000/v1') } },
        routes: { chat: { targets: ['local/llama3'] } },
      }`,
      { env: {} },
    )
    expectValid(report)
  })

  it('env.optional leaves a hosted provider without a key, which is still reported', async () => {
    expectInvalid(
      await checkTs(`{ providers: { openai: { type: 'openai', keys: [{ value: env.optional('OPENAI_API_KEY') }] } } }`),
      [
        {
          path: '/providers/openai/keys',
          message: "provider 'openai' (openai) has no key",
          hint: "keys: [{ value: env('OPENAI_API_KEY') }]",
        },
      ],
    )
  })

  it('an $env name that is not a variable name (no follow-on "is not set")', async () => {
    expectInvalid(
      await checkTs(`{ providers: { openai: { type: 'openai', keys: [{ value: env('openai-key') }] } } }`),
      [{ path: '/providers/openai/keys/0/value/$env', message: 'must match pattern "^[A-Za-z_][A-Za-z0-9_]*$"' }],
    )
  })
})

describe('gateway check: plugins', () => {
  /** A local plugin with an options schema, as a user would write one next to the config. */
  const RATE_CAP = `import { definePlugin } from ${JSON.stringify(CORE_ENTRY)}
export default definePlugin({
  name: 'rate-cap',
  options: {
    type: 'object',
    properties: { max: { type: 'integer', minimum: 1 }, mode: { enum: ['block', 'warn'] } },
    required: ['max'],
    additionalProperties: false,
  },
  setup: () => ({}),
})
`
  const files = { 'plugins/rate-cap.ts': RATE_CAP }

  it('is valid with options that match the schema', async () => {
    expectValid(
      await checkTs(`{ providers: { ${MOCK} }, plugins: [{ use: './plugins/rate-cap.ts', options: { max: 10 } }] }`, {
        files,
      }),
    )
  })

  it('options that fail the plugin schema', async () => {
    const report = await checkTs(
      `{ providers: { ${MOCK} }, plugins: [{ use: './plugins/rate-cap.ts', options: { max: 0, mdoe: 'warn' } }] }`,
      { files },
    )
    expectInvalid(report, [
      {
        path: '/plugins/0/options/mdoe',
        message: "unknown option 'mdoe' for plugin 'rate-cap'",
        hint: "did you mean 'mode'?",
      },
      { path: '/plugins/0/options/max', message: 'must be >= 1' },
    ])
  })

  it('an option outside its allowed values lists them, with a did-you-mean', async () => {
    const report = await checkTs(
      `{ providers: { ${MOCK} }, plugins: [{ use: './plugins/rate-cap.ts', options: { max: 1, mode: 'blok' } }] }`,
      { files },
    )
    expectInvalid(report, [
      { path: '/plugins/0/options/mode', message: 'must be one of: block, warn', hint: "did you mean 'block'?" },
    ])
  })

  it('a required option that is missing', async () => {
    expectInvalid(await checkTs(`{ providers: { ${MOCK} }, plugins: [{ use: './plugins/rate-cap.ts' }] }`, { files }), [
      { path: '/plugins/0/options/max', message: 'is required' },
    ])
  })

  it('options of an imported plugin value are checked too', async () => {
    const report = await checkTs(`{ providers: { ${MOCK} }, plugins: [rateCap({ max: 'ten' })] }`, {
      files,
      prelude: `import rateCap from './plugins/rate-cap.ts'\n`,
    })
    expectInvalid(report, [{ path: '/plugins/0/options/max', message: 'must be integer' }])
  })

  it('options that are not an object (one problem, not one per union branch)', async () => {
    const report = await checkTs(
      `{ providers: { ${MOCK} }, plugins: [{ use: './plugins/rate-cap.ts', options: 'max=10' }] }`,
      { files },
    )
    expectInvalid(report, [{ path: '/plugins/0/options', message: 'must be object' }])
  })

  it('the same plugin listed twice, once by path and once imported', async () => {
    const report = await checkTs(
      `{ providers: { ${MOCK} }, plugins: [{ use: './plugins/rate-cap.ts', options: { max: 1 } }, rateCap({ max: 2 })] }`,
      { files, prelude: `import rateCap from './plugins/rate-cap.ts'\n` },
    )
    expectInvalid(report, [
      {
        path: '/plugins/1',
        message: "plugin 'rate-cap' is listed twice (first at /plugins/0)",
        hint: 'list each plugin once; give it all its options there',
      },
    ])
  })

  it('a `use` path that does not exist', async () => {
    expectInvalid(await checkTs(`{ providers: { ${MOCK} }, plugins: [{ use: './plugins/missing.ts' }] }`), [
      {
        path: '/plugins/0/use',
        message: "cannot find plugin './plugins/missing.ts'",
        hint: 'paths are relative to the config file',
      },
    ])
  })

  it('a `use` package that is not installed (resolved locally, never fetched)', async () => {
    expectInvalid(await checkTs(`{ providers: { ${MOCK} }, plugins: [{ use: 'gateway-plugin-not-installed' }] }`), [
      {
        path: '/plugins/0/use',
        message: "cannot find plugin 'gateway-plugin-not-installed'",
        hint: 'install it next to the config: npm install gateway-plugin-not-installed',
      },
    ])
  })

  it('a module that does not export a plugin', async () => {
    const report = await checkTs(`{ providers: { ${MOCK} }, plugins: [{ use: './not-a-plugin.ts' }] }`, {
      files: { 'not-a-plugin.ts': 'export default { name: "x" }\n' },
    })
    expectInvalid(report, [
      {
        path: '/plugins/0/use',
        message: "'./not-a-plugin.ts' does not export a plugin",
        hint: 'its default export must be the value definePlugin({ name, setup }) returns',
      },
    ])
  })

  it('a plugin module that throws while loading', async () => {
    const report = await checkTs(`{ providers: { ${MOCK} }, plugins: [{ use: './boom.ts' }] }`, {
      files: { 'boom.ts': 'throw new Error("plugin exploded")\n' },
    })
    expectInvalid(report, [
      {
        path: '/plugins/0/use',
        message: "plugin './boom.ts' failed to load: plugin exploded",
        hint: 'fix the error in the plugin module',
      },
    ])
  })

  it('a misspelt `use` (only the { use } branch is reported, and no follow-on)', async () => {
    expectInvalid(
      await checkTs(`{ providers: { ${MOCK} }, plugins: [{ uses: './plugins/rate-cap.ts' }] }`, { files }),
      [
        { path: '/plugins/0/use', message: 'is required' },
        { path: '/plugins/0/uses', message: "unknown property 'uses'", hint: "did you mean 'use'?" },
      ],
    )
  })
})

describe('gateway check: several problems in one run', () => {
  const SEVERAL: ConfigProblem[] = [
    { path: '/server/port', message: 'must be integer' },
    {
      path: '/routes/chat/targets/0',
      message: "unknown provider 'opena' in target 'opena/gpt-4o'",
      hint: "did you mean 'openai'?",
    },
    {
      path: '/providers/openai/keys/0/value',
      message: 'environment variable GATEWAY_CHECK_OPENAI_KEY is not set',
      hint: envHint('GATEWAY_CHECK_OPENAI_KEY'),
    },
    {
      path: '/policies/0/when',
      message: 'JSONata does not compile: Unexpected end of expression (at character 18)',
      hint: JSONATA_HINT,
    },
    {
      path: '/plugins/0/use',
      message: "cannot find plugin './plugins/missing.ts'",
      hint: 'paths are relative to the config file',
    },
  ]

  it('reports every problem, from every stage, not just the first (TS config)', async () => {
    const report = await checkTs(`{
      server: { port: '8080' },
      providers: { openai: { type: 'openai', keys: [{ value: env('GATEWAY_CHECK_OPENAI_KEY') }] } },
      routes: { chat: { targets: ['opena/gpt-4o'] } },
      policies: [{ name: 'cap-tokens', when: 'body.max_tokens > ', set: { 'body.max_tokens': 1024 } }],
      plugins: [{ use: './plugins/missing.ts' }],
    }`)
    expectInvalid(report, SEVERAL)
  })

  it('the same problems from the YAML fixture, and the text report lists them all', async () => {
    const configPath = path.join(FIXTURES, 'several-problems.yaml')
    const report = await runCheck({ configPath, env: {} })
    expectInvalid(report, SEVERAL)
    expect(formatCheckReport(report, 'text')).toBe(
      [
        `✗ ${configPath}: 5 problems`,
        '  /server/port: must be integer',
        "  /routes/chat/targets/0: unknown provider 'opena' in target 'opena/gpt-4o'",
        "      hint: did you mean 'openai'?",
        '  /providers/openai/keys/0/value: environment variable GATEWAY_CHECK_OPENAI_KEY is not set',
        `      hint: ${envHint('GATEWAY_CHECK_OPENAI_KEY')}`,
        '  /policies/0/when: JSONata does not compile: Unexpected end of expression (at character 18)',
        `      hint: ${JSONATA_HINT}`,
        "  /plugins/0/use: cannot find plugin './plugins/missing.ts'",
        '      hint: paths are relative to the config file',
      ].join('\n'),
    )
  })
})

describe('gateway check: JSON and YAML configs', () => {
  const ENV = { GATEWAY_CHECK_OPENAI_KEY: 'sk-test' }
  const validJson = {
    providers: { openai: { type: 'openai', keys: [{ value: { $env: 'GATEWAY_CHECK_OPENAI_KEY' } }] } },
    routes: { chat: { targets: ['openai/gpt-4o'] } },
  }
  const validYaml = [
    'providers:',
    '  openai:',
    '    type: openai',
    '    keys:',
    '      - value: { $env: GATEWAY_CHECK_OPENAI_KEY }',
    'routes:',
    '  chat:',
    '    targets: [openai/gpt-4o]',
    '',
  ].join('\n')

  it('a valid gateway.config.json with { "$env" } refs', async () => {
    expectValid(await checkFile('gateway.config.json', JSON.stringify(validJson), { env: ENV }))
  })

  it('a valid gateway.config.yaml with { $env } refs', async () => {
    expectValid(await checkFile('gateway.config.yaml', validYaml, { env: ENV }))
  })

  it('finds gateway.config.yaml by searching the working directory', async () => {
    const dir = configDir({ 'gateway.config.yaml': validYaml })
    const report = await runCheck({ cwd: dir, env: ENV })
    expectValid(report)
    expect(report.configPath).toBe(path.join(dir, 'gateway.config.yaml'))
  })

  it('a JSON { "$env" } ref that is not set', async () => {
    expectInvalid(await checkFile('gateway.config.json', JSON.stringify(validJson), { env: {} }), [
      {
        path: '/providers/openai/keys/0/value',
        message: 'environment variable GATEWAY_CHECK_OPENAI_KEY is not set',
        hint: envHint('GATEWAY_CHECK_OPENAI_KEY'),
      },
    ])
  })

  it('a JSON { "$env", "optional": true } ref that is not set is fine where nothing needs it', async () => {
    const config = {
      admin: { token: { $env: 'GATEWAY_CHECK_ADMIN_TOKEN', optional: true } },
      providers: { mock: { type: 'mock' } },
    }
    expectValid(await checkFile('gateway.config.json', JSON.stringify(config), { env: {} }))
  })

  it('a JSON env ref with an unknown field', async () => {
    const config = { providers: { openai: { type: 'openai', keys: [{ value: { $env: 'K', optinal: true } }] } } }
    expectInvalid(await checkFile('gateway.config.json', JSON.stringify(config), { env: { K: 'sk' } }), [
      {
        path: '/providers/openai/keys/0/value/optinal',
        message: "unknown property 'optinal'",
        hint: "did you mean 'optional'?",
      },
    ])
  })

  it('unknown-provider.json fixture', async () => {
    expectInvalid(await runCheck({ configPath: path.join(FIXTURES, 'unknown-provider.json'), env: ENV }), [
      {
        path: '/routes/chat/targets/0',
        message: "unknown provider 'opena' in target 'opena/gpt-4o'",
        hint: "did you mean 'openai'?",
      },
    ])
  })

  it('targets-not-array.yaml fixture', async () => {
    expectInvalid(await runCheck({ configPath: path.join(FIXTURES, 'targets-not-array.yaml'), env: ENV }), [
      { path: '/routes/chat/targets', message: 'must be array' },
    ])
  })
})

describe('gateway check: could not load (exit 2)', () => {
  function expectLoadError(report: CheckReport, pattern: RegExp): void {
    expect(report.exitCode).toBe(2)
    expect(report.problems).toStrictEqual([])
    expect(report.loadError).toMatch(pattern)
  }

  it('a missing file', async () => {
    const dir = configDir()
    const configPath = path.join(dir, 'gateway.config.ts')
    const report = await runCheck({ configPath, env: {} })
    expect(report.loadError).toBe(`config file not found: ${configPath}`)
    expect(report.exitCode).toBe(2)
  })

  it('no config found when searching a directory', async () => {
    const dir = configDir()
    const report = await runCheck({ cwd: dir, env: {} })
    expectLoadError(report, /^no config found in /)
    expect(report.loadError).toContain(dir)
  })

  it('a TS file with a syntax error', async () => {
    const report = await checkFile('gateway.config.ts', tsConfig(`{ providers: { ${MOCK} }, `))
    expectLoadError(report, /^could not load the config: [\s\S]*gateway\.config\.ts/)
  })

  it('a TS file that throws while evaluating', async () => {
    const report = await checkFile('gateway.config.ts', 'throw new Error("config exploded")\n')
    expectLoadError(report, /^could not load the config: [\s\S]*config exploded/)
  })

  it('a JSON file with a syntax error', async () => {
    const report = await checkFile('gateway.config.json', '{ "providers": ')
    expectLoadError(report, /^could not load the config: JSON Error in .*gateway\.config\.json/)
  })

  it('a YAML file with a syntax error', async () => {
    const report = await checkFile('gateway.config.yaml', 'providers:\n  mock: [\n')
    expectLoadError(report, /^could not load the config: YAML Error in .*gateway\.config\.yaml/)
  })

  it('an empty file', async () => {
    const report = await checkFile('gateway.config.json', '')
    expectLoadError(report, /^config file is empty: .*gateway\.config\.json$/)
  })
})

describe('gateway check: the CLI', () => {
  interface CliResult {
    code: number | string | null
    stdout: string
    stderr: string
  }

  /** The real command line; `--no` makes npx use the local tsx and never install anything. */
  function gatewayCheck(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        'npx',
        ['--no', 'tsx', 'core/cli/main.ts', 'check', ...args],
        { cwd: REPO_ROOT, env },
        (error, stdout, stderr) => resolve({ code: error ? (error.code ?? null) : 0, stdout, stderr }),
      )
    })
  }

  /** The machine's environment without the variable the fixtures read. */
  function envWithout(name: string): NodeJS.ProcessEnv {
    const env = { ...process.env }
    delete env[name]
    return env
  }

  it('exit 0 and { valid: true } for a valid config', async () => {
    const dir = configDir({
      'gateway.config.json': JSON.stringify({
        providers: { openai: { type: 'openai', keys: [{ value: { $env: 'GATEWAY_CHECK_OPENAI_KEY' } }] } },
        routes: { chat: { targets: ['openai/gpt-4o'] } },
      }),
    })
    const configPath = path.join(dir, 'gateway.config.json')
    const result = await gatewayCheck(['--config', configPath, '--format', 'json'], {
      ...process.env,
      GATEWAY_CHECK_OPENAI_KEY: 'sk-test',
    })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toStrictEqual({ valid: true, configPath, loadError: null, problems: [] })
  })

  it('exit 1 and every problem as JSON on stdout for an invalid config', async () => {
    const configPath = path.join(FIXTURES, 'unknown-provider.json')
    const result = await gatewayCheck(
      ['--config', path.relative(REPO_ROOT, configPath), '--format', 'json'],
      envWithout('GATEWAY_CHECK_OPENAI_KEY'),
    )
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toStrictEqual({
      valid: false,
      configPath,
      loadError: null,
      problems: [
        {
          path: '/routes/chat/targets/0',
          message: "unknown provider 'opena' in target 'opena/gpt-4o'",
          hint: "did you mean 'openai'?",
        },
        {
          path: '/providers/openai/keys/0/value',
          message: 'environment variable GATEWAY_CHECK_OPENAI_KEY is not set',
          hint: envHint('GATEWAY_CHECK_OPENAI_KEY'),
        },
      ],
    })
  })

  it('exit 1 with the text report on stderr by default', async () => {
    const configPath = path.join(FIXTURES, 'targets-not-array.yaml')
    const result = await gatewayCheck(['--config', configPath], {
      ...process.env,
      GATEWAY_CHECK_OPENAI_KEY: 'sk-test',
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(`✗ ${configPath}: 1 problem\n  /routes/chat/targets: must be array\n`)
  })

  it('exit 2 and a loadError for a missing file', async () => {
    const configPath = path.join(configDir(), 'gateway.config.ts')
    const result = await gatewayCheck(['--config', configPath, '--format', 'json'], process.env)
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout)).toStrictEqual({
      valid: false,
      configPath,
      loadError: `config file not found: ${configPath}`,
      problems: [],
    })
  })

  it('exit 2 for a TS config with a syntax error', async () => {
    const dir = configDir({ 'gateway.config.ts': tsConfig(`{ providers: { ${MOCK} }, `) })
    const configPath = path.join(dir, 'gateway.config.ts')
    const result = await gatewayCheck(['--config', configPath, '--format', 'json'], process.env)
    expect(result.code).toBe(2)
    const output = JSON.parse(result.stdout) as { valid: boolean; loadError: string; problems: unknown[] }
    expect(output.valid).toBe(false)
    expect(output.problems).toStrictEqual([])
    expect(output.loadError).toMatch(/^could not load the config: [\s\S]*gateway\.config\.ts/)
  })
})
