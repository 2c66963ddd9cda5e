/**
 * The import rules of src/ (docs/architecture.md draws them). Checked by
 * test/unit/architecture/import-rules.test.ts on every test run; `npx depcruise src` prints
 * the same verdict by hand.
 */
const LIBRARY_LAYERS = '^src/(api|registry|retention|gc|admission|runtime|config|managed-registry|logging|errors)(/|\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A circle makes load order matter and hides which module owns a concept.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'libraries-never-import-controllers-or-cli',
      severity: 'error',
      comment: 'Controllers and the CLI are the top layers: they use the libraries, never the other way round.',
      from: { path: LIBRARY_LAYERS },
      to: { path: '^src/(controllers|cli|operator)/' },
    },
    {
      name: 'no-import-between-controllers',
      severity: 'error',
      comment: 'Controllers never import each other: what two share belongs in managed-registry/, runtime/ or api/.',
      from: { path: '^src/controllers/([^/]+)/' },
      to: { path: '^src/controllers/', pathNot: '^src/controllers/$1/' },
    },
    {
      name: 'runtime-is-business-free',
      severity: 'error',
      comment: 'The controller runtime (queue, informers, leader election, status plumbing) knows no Registry or policy.',
      from: { path: '^src/runtime/' },
      to: { path: '^src/(api|registry|retention|gc|admission|config|managed-registry)/' },
    },
    {
      name: 'api-is-the-bottom',
      severity: 'error',
      comment: 'The API types are the contract everything else follows from; they import no other layer.',
      from: { path: '^src/api/' },
      to: { path: '^src/', pathNot: '^src/(api/|errors)' },
    },
    {
      name: 'managed-registry-below-its-users',
      severity: 'error',
      comment: 'The Registry\'s cluster shape is used by gc, retention, admission and controllers; it uses none of them.',
      from: { path: '^src/managed-registry/' },
      to: { path: '^src/(gc|retention|admission|config|runtime)/' },
    },
    {
      name: 'admission-below-config',
      severity: 'error',
      comment: 'The operator configuration composes the admission section; admission never reads the whole configuration.',
      from: { path: '^src/admission/' },
      to: { path: '^src/config/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
