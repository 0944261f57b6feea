/**
 * A team setup on the offline mock providers: virtual keys in teams, a
 * conditional route that sends each team to its own target, a fallback chain,
 * and policies. Used by docs/EXPLAIN.md (`gateway explain`) and its tests.
 * The key hashes below belong to throwaway example keys.
 */
import { defineConfig } from '../core/index.js'

export default defineConfig({
  auth: { mode: 'keys' },
  providers: {
    primary: { type: 'mock', models: ['large', 'small'] },
    backup: { type: 'mock', models: ['large'] },
  },
  pricing: {
    overrides: { 'primary/large': { input: 2.5, output: 10 }, 'primary/small': { input: 0.15, output: 0.6 } },
  },
  routes: {
    smart: { strategy: 'fallback', targets: ['primary/large', 'backup/large'] },
    assistant: {
      strategy: 'conditional',
      targets: [
        { to: 'smart', when: 'caller.team = "research"' },
        { to: 'primary/small', when: 'metadata.tier = "batch"' },
        'primary/small',
      ],
    },
  },
  orgs: { acme: { budget: { usd: 2000, period: 'month' } } },
  teams: {
    research: { org: 'acme', budget: { usd: 500, period: 'month' }, limits: { rpm: 600 } },
    interns: { org: 'acme', models: ['assistant'], budget: { usd: 5, period: 'day', window: 'rolling' } },
  },
  keys: [
    {
      name: 'lab-notebook',
      hash: 'sha256:6f4a0bc9b8de1d6d7f3bf93e2b3aa5f2ad53a8cb5fd8cd2c10b49e0a3a3e0b11',
      team: 'research',
    },
    {
      name: 'intern-1',
      hash: 'sha256:0c1b7bd9e42af2b8f0b7d38d2d2b5ea2d2e5cf6c0db3b1c59c6a3d0e4f1a2b3c',
      team: 'interns',
      limits: { rpm: 30 },
    },
  ],
  policies: [
    { name: 'cap-output', when: 'body.max_tokens > 2048', set: { 'body.max_tokens': 2048 } },
    {
      name: 'no-smart-for-interns',
      when: 'caller.team = "interns" and body.model = "smart"',
      deny: { status: 403, message: 'smart is not for interns', code: 'model_reserved' },
    },
    { name: 'tag-batch', when: 'metadata.tier = "batch"', tag: { workload: 'batch' } },
  ],
})
