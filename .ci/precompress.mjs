// Writes brotli (quality 11) and gzip (level 9) copies beside every compressible file of
// the built site, for the server to send as they are (ServeDir precompressed). Run after
// the release build (`release_build` in .ci/toolchain.sh): node's zlib is native, so this takes seconds.
//
//   node .ci/precompress.mjs target/site
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const COMPRESSIBLE = /\.(wasm|js|css|html|json|webmanifest|svg|txt)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.test(name)) yield path;
  }
}

const root = process.argv[2];
if (!root) {
  console.error("usage: node .ci/precompress.mjs SITE_ROOT");
  process.exit(2);
}
let count = 0;
for (const path of files(root)) {
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  // A copy no smaller than the file is never sent.
  if (br.length < raw.length) writeFileSync(`${path}.br`, br);
  if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
  count++;
}
console.log(`precompressed ${count} files under ${root}`);
