// The build stamp's fingerprint of the compiler's build info (lib/.tsbuildinfo),
// which changes whenever tsc emits again. Shared by the build (manifest.js),
// which records it, and bin/run.js, which compares it at every start.
// FNV-1a rather than node:crypto: this only has to notice a recompile, and
// loading crypto costs every command about 5 ms that most never need.
'use strict';

const fs = require('node:fs');

/** "<bytes>-<fnv1a32 hex>" of a Buffer. */
function buildInfoStamp(buf) {
  let h = 0x811c9dc5;
  for (let i = 0; i < buf.length; i++) {
    h ^= buf[i];
    h = Math.imul(h, 0x01000193);
  }
  return `${buf.length}-${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** What the build records of the build info file: its fingerprint, and its size and mtime for the quick check. */
function stampOf(file) {
  const st = fs.statSync(file);
  return { tsBuildInfo: buildInfoStamp(fs.readFileSync(file)), tsBuildInfoStat: `${st.size}:${st.mtimeMs}` };
}

/**
 * Whether the build info is the one the build stamped. Same size and mtime
 * answer at once (a stat, not a read of ~100 KB); otherwise, such as in a
 * copy that did not keep mtimes, the content decides. A tree with no build
 * info (a packaged install) has nothing to compare.
 */
function buildInfoMatches(file, stamp) {
  let st;
  try {
    st = fs.statSync(file);
  } catch {
    return true;
  }
  if (stamp.tsBuildInfoStat === `${st.size}:${st.mtimeMs}`) return true;
  return stamp.tsBuildInfo === buildInfoStamp(fs.readFileSync(file));
}

module.exports = { buildInfoStamp, buildInfoMatches, stampOf };
