/**
 * `npm run bench`: benchmarks kept apart from the tests (speed is measured,
 * never asserted). Writes bench/RESULTS.md with the machine and the numbers.
 */
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { benchPolicies } from './policies.js'

const policy = await benchPolicies()
const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`

const report = `# Benchmark results

Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.

Machine: ${machine}

## JSONata policies per request

${policy.rules} typical rules (caps, denials by team and model, tags, routing by
metadata and time, a prompt-length check), compiled once as the gateway
compiles them, then evaluated in full with their actions over a typical chat
request, ${policy.requests.toLocaleString('en')} times after a warm-up
(\`bench/policies.ts\`).

| per request | µs |
|---|---|
| mean | ${policy.meanMicros.toFixed(1)} |
| p50 | ${policy.p50Micros.toFixed(1)} |
| p99 | ${policy.p99Micros.toFixed(1)} |

Target: 10 rules add < 100 µs (0.1 ms) per request.
`

writeFileSync(new URL('./RESULTS.md', import.meta.url), report)
process.stdout.write(report)
