#!/usr/bin/env node
// The `draftbridge` command: check the Node version first, then load the TypeScript CLI.
import './require-node.mjs';

await import('../src/cli.ts');
