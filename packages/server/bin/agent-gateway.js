#!/usr/bin/env node
// Committed so that `npm ci` links `agent-gateway` on a fresh clone, before anything is built.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
const shim = new URL('../../../scripts/bin-shim.mjs', import.meta.url);
if (existsSync(shim)) await (await import(shim.href)).runBuiltCli('agent-gateway', '@agent-gateway/server', cli);
else await import(cli.href);
