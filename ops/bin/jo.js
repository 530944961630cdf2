#!/usr/bin/env node
// `jo` entry point: loads the TypeScript sources through tsx's ESM loader (no build step needed), then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
process.exitCode = await main(process.argv.slice(2));
// the command is done: a client still retrying in the background (a broker that went away) must not keep it alive
setTimeout(() => process.exit(), 1_000).unref();
