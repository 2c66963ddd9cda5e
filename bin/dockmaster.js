#!/usr/bin/env node
// Entry point of the built package: runs the compiled CLI.
import '../dist/cli/entry.js';
