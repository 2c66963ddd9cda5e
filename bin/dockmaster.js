#!/usr/bin/env node
// Entry point of the built package: runs the bundle `npm run build` writes to dist/. On Node.js
// 22.1 and later, V8's compile cache (kept in the OS temp folder) spares later starts the
// compiling of the bundle's code.
import module from 'node:module';

// Two deprecations raised inside @kubernetes/client-node's dependencies (node-fetch 2 and its URL
// library: the punycode built-in, url.parse()), which Node 22+ prints at every start of the
// operator and the webhook. Users cannot act on them; every other warning is printed as usual.
const THIRD_PARTY_DEPRECATIONS = new Set(['DEP0040', 'DEP0169']);
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? rest[0].code : rest[1];
  if (THIRD_PARTY_DEPRECATIONS.has(code)) return;
  emitWarning(warning, ...rest);
};

module.enableCompileCache?.();
await import('../dist/dockmaster.mjs');
