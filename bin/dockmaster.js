#!/usr/bin/env node
// Entry point of the built package: runs the bundle `npm run build` writes to dist/. On Node.js
// 22.1 and later, V8's compile cache (kept in the OS temp folder) spares later starts the
// compiling of the bundle's code.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/dockmaster.mjs');
