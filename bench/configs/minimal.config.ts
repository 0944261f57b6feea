/**
 * Contender (c): the gateway with as little configured as can serve: one
 * openai-compatible provider on the mock upstream, one route, no auth, no
 * policies, no plugins. Log level warn, as in every bench config (the
 * runner's --log-level wins over it).
 */
import { defineConfig } from '../../core/index.js'
import { upstreamBaseUrl } from './shared.js'

export default defineConfig({
  log: { level: 'warn' },
  providers: {
    up: { type: 'openai-compatible', baseUrl: upstreamBaseUrl(), models: ['bench'] },
  },
  routes: {
    bench: { targets: ['up/bench'] },
  },
})
