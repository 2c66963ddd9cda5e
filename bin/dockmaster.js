#!/usr/bin/env node
// Entry point of the built package: runs the compiled CLI. On Node.js 22.1 and later, V8's
// compile cache (kept in the OS temp folder) spares later starts the parsing of every module.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/cli/entry.js');
