/**
 * `gateway start` as a real child process, for tests that need separate
 * processes (signals, replicas): its JSON log lines are parsed as they come,
 * and `next(msg)` waits for the next line with that message.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('../..', import.meta.url))

export interface CliProcess {
  child: ChildProcess
  lines: Array<Record<string, unknown>>
  next: (msg: string) => Promise<Record<string, unknown>>
}

/** Runs `gateway start` as a real process and collects its JSON log lines. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'core/cli/main.ts', 'start', ...args], {
    cwd: repo,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Array<Record<string, unknown>> = []
  const waiters: Array<{ msg: string; from: number; resolve: (line: Record<string, unknown>) => void }> = []
  let buffered = ''
  child.stdout?.on('data', (data: Buffer) => {
    buffered += data.toString()
    const complete = buffered.split('\n')
    buffered = complete.pop() ?? ''
    for (const text of complete.filter(Boolean)) {
      lines.push(JSON.parse(text) as Record<string, unknown>)
      for (const waiter of [...waiters]) {
        const found = lines.slice(waiter.from).find((line) => line.msg === waiter.msg)
        if (found) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(found)
        }
      }
    }
  })
  const next = (msg: string) => {
    const from = lines.length
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ msg, from, resolve })
      setTimeout(() => reject(new Error(`no '${msg}' log line within 15 s`)), 15_000).unref()
    })
  }
  return { child, lines, next }
}
