/**
 * The default config: runs offline on the built-in mock provider (model
 * `demo`), in memory, on 127.0.0.1:8787. Real providers switch on when their
 * key is in the environment. Edit and save: the running gateway reloads.
 */
import { defineConfig, env } from './core/index.js'

const hasKey = (name: string) => Boolean(process.env[name])

export default defineConfig({
  server: { host: '127.0.0.1', port: 8787, bodyLimit: '4mb' },
  admin: { token: env.optional('GATEWAY_ADMIN_TOKEN') },
  providers: {
    mock: { type: 'mock', models: ['demo'], latencyMs: 0 },
    ...(hasKey('OPENAI_API_KEY') && {
      openai: {
        type: 'openai',
        keys: [{ value: env('OPENAI_API_KEY') }],
        models: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'],
      },
    }),
    ...(hasKey('GROQ_API_KEY') && {
      groq: { type: 'groq', keys: [{ value: env('GROQ_API_KEY') }], models: ['llama-3.3-70b-versatile'] },
    }),
  },
  routes: {
    demo: { targets: ['mock/demo'], description: 'The offline demo model.' },
    ...(hasKey('OPENAI_API_KEY') && {
      smart: { strategy: 'fallback', targets: ['openai/gpt-4o', 'mock/demo'] },
    }),
  },
  policies: [
    { name: 'cap-output', when: 'body.max_tokens > 4096', set: { 'body.max_tokens': 4096 } },
    {
      name: 'one-choice',
      when: 'body.n > 1',
      deny: { status: 400, message: 'n > 1 is not served by this gateway', code: 'n_not_supported' },
    },
    { file: 'policies/model-aliases.jsonata' },
  ],
})
