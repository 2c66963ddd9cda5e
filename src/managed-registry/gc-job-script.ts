/**
 * The shell the garbage-collect Job runs: distribution's `registry garbage-collect` between two
 * measurements of the blob files, so the status can say how many bytes the window freed.
 *
 * What is measured: the sum of the sizes of the regular files under `<root>/docker/registry/v2/blobs`
 * before and after garbage-collect. The registry is read-only meanwhile and garbage-collect is
 * the only writer, so the difference is exactly the bytes of the blobs (layers, configs and
 * manifests) it removed. Directory entries and filesystem blocks are not counted. On s3 there is
 * no filesystem in the Job to measure (the image has no S3 client), so bytesFreed stays unset
 * and the status says so rather than guess.
 *
 * `--delete-untagged` is passed on only when the binary itself says it is distribution 3 or later
 * (`registry --version`): the image's tag can lie (a mirror's retag) or say nothing (a digest),
 * and 2.x deletes the platforms of tagged multi-arch indexes with it. Otherwise the flag is
 * dropped and a `delete-untagged-refused` line says why (gc-job-output.ts).
 *
 * POSIX sh with busybox's find/stat/awk/sed (the registry image is Alpine); `printf %.0f`
 * because some awks print %d through a 32-bit int.
 */
import { GC_MARKER } from './gc-job-output.js';

export const GC_SCRIPT = [
  'config="$1"; blobs="$2"; shift 2',
  'if [ "$1" = "--delete-untagged" ]; then',
  '  version=$(registry --version 2>&1 | head -n 1)',
  // The last "N.N.N" of the line: `registry github.com/docker/distribution 2.8.2+ds1` → 2,
  // `registry github.com/distribution/distribution/v3 v3.1.2` → 3.
  `  major=$(echo "$version" | sed -n 's/.*[ v]\\([0-9][0-9]*\\)\\.[0-9][0-9]*\\.[0-9].*/\\1/p')`,
  '  if [ -z "$major" ] || [ "$major" -lt 3 ]; then',
  `    echo "${GC_MARKER} delete-untagged-refused \${version:-registry --version printed nothing}"`,
  '    shift',
  '  fi',
  'fi',
  `blob_bytes() { find "$blobs" -type f -exec stat -c %s {} + 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }`,
  '[ -z "$blobs" ] || before=$(blob_bytes)',
  // The exit code travels through the pipe as a line: POSIX sh has no pipefail.
  `{ registry garbage-collect "$config" "$@" 2>&1; echo "${GC_MARKER} exit-code $?"; } | awk '` +
    `/^${GC_MARKER} exit-code / { rc = $3; next } / blobs marked, / { summary = $0 } { print } ` +
    `END { if (summary != "") print "${GC_MARKER} summary " summary; exit rc }'`,
  'rc=$?',
  // Both figures last, where a tail of a long log (one line per marked blob) still has them.
  'if [ -n "$blobs" ]; then',
  `  echo "${GC_MARKER} blob-bytes-before \${before:-0}"`,
  `  echo "${GC_MARKER} blob-bytes-after $(blob_bytes)"`,
  'else',
  `  echo "${GC_MARKER} blob-bytes-not-measured s3 storage has no filesystem the Job could measure"`,
  'fi',
  'exit $rc',
].join('\n');

/** `$0` of the script, as it shows in process listings. */
export const GC_SCRIPT_NAME = 'dockmaster-gc';
