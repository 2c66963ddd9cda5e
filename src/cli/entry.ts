import { EXIT_FAILURE } from './exit-codes.js';
import { main } from './main.js';

// The process entry point: bin/dockmaster.js (built) and `npm run dockmaster` (tsx) both land here.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
