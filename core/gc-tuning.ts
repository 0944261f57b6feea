/**
 * V8 settings for a process that serves the gateway, applied by whoever owns
 * the process (`gateway start`, the bench's gateway process), never by the
 * library on its own.
 *
 * Allocation-site pretenuring is off. V8 learns from warm-up (many requests
 * in flight at once) that objects made at some sites survive, and from then
 * on allocates them straight in the old generation. A request's objects then
 * sit in old space, dead but uncollected until a full GC, and keep the young
 * objects they point to alive through every scavenge, so those are promoted
 * too. For the full bench chain at 500 req/s (its JSONata rules' frames are
 * such sites) that was 0.45 MB promoted per scavenge; without pretenuring,
 * 0.05 MB, with fewer scavenges and no loss of throughput (bench/PROFILE.md).
 */
import { setFlagsFromString } from 'node:v8'

export function tuneGarbageCollection(): void {
  setFlagsFromString('--no-allocation-site-pretenuring')
}
