#!/usr/bin/env node
// The published entry point: the compiled CLI (built by `npm run build`, run on install via `prepare`).
import '../dist/core/cli/main.js'
