/**
 * A gateway with a plugin from npm: `gateway-plugin-word-filter`, the package
 * in examples/plugin-word-filter. It is a workspace of this repo, so `npm ci`
 * links it into node_modules exactly where `npm install gateway-plugin-word-filter`
 * would put it, and `use` finds it like any dependency.
 *
 *   npx tsx core/cli/main.ts check --config examples/word-filter.config.ts
 *   npx tsx core/cli/main.ts start --config examples/word-filter.config.ts
 *
 * Runs offline on mock providers: `demo` echoes the last user message (so you
 * see what left the gateway), `chatty` always answers with a fixed text that
 * contains a masked word (so you see answers masked, streamed or not).
 */
import { defineConfig } from '../core/index.js'

export default defineConfig({
  server: { host: '127.0.0.1', port: 8787 },
  providers: {
    mock: { type: 'mock', models: ['demo'] },
    chatty: {
      type: 'mock',
      models: ['demo'],
      reply: 'Sure: the staging password is Hunter2 until Friday, then ask ACME Corp.',
    },
  },
  routes: {
    demo: { targets: ['mock/demo'], description: 'Echoes the last user message.' },
    chatty: { targets: ['chatty/demo'], description: 'Always answers with the same text.' },
  },
  plugins: [
    {
      use: 'gateway-plugin-word-filter',
      options: {
        block: ['project titan'],
        mask: ['hunter2', 'acme corp'],
        replacement: '[redacted]',
      },
      // A pure-CPU plugin needs far less than the default 2000 ms; refuse rather than serve unfiltered.
      timeoutMs: 500,
      failOpen: false,
    },
  ],
})
