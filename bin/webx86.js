#!/usr/bin/env node
// Entry point of the `webx86` command. The sources are TypeScript; tsx compiles them on
// load so the command works right after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/host/node/cli.ts');
process.exitCode = await main(process.argv.slice(2));
