// Assembles the served site from a finished browser bundle: the files of `public/`, the
// style sheet, and wasm-bindgen's output, each bundle file renamed after its content
// (`rapport.<md5, base64url>.<ext>`, the names `hash-files` gives) and the hashes written to
// `hash.txt` beside the server binary, where Leptos reads them to name the files in pages.
//
//   node .ci/site.mjs BINDGEN_OUT SITE_ROOT BIN_DIR
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [bindgen, site, binDir] = process.argv.slice(2);
if (!bindgen || !site || !binDir) {
  console.error("usage: node .ci/site.mjs BINDGEN_OUT SITE_ROOT BIN_DIR");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const name = "rapport";
const pkg = join(site, "pkg");

rmSync(site, { recursive: true, force: true });
mkdirSync(pkg, { recursive: true });
cpSync(join(root, "public"), site, { recursive: true });
cpSync(join(root, "style", "main.css"), join(pkg, `${name}.css`));
cpSync(join(bindgen, `${name}.js`), join(pkg, `${name}.js`));
cpSync(join(bindgen, `${name}_bg.wasm`), join(pkg, `${name}.wasm`));
// Inline JavaScript of crates (`#[wasm_bindgen(module = …)]`), referenced by relative path.
if (existsSync(join(bindgen, "snippets"))) {
  cpSync(join(bindgen, "snippets"), join(pkg, "snippets"), { recursive: true });
}

const hashes = {};
for (const ext of ["js", "wasm", "css"]) {
  const file = join(pkg, `${name}.${ext}`);
  const hash = createHash("md5").update(readFileSync(file)).digest("base64url");
  renameSync(file, join(pkg, `${name}.${hash}.${ext}`));
  hashes[ext] = hash;
}
mkdirSync(binDir, { recursive: true });
writeFileSync(
  join(binDir, "hash.txt"),
  Object.entries(hashes).map(([ext, hash]) => `${ext}: ${hash}\n`).join(""),
);
console.log(`site assembled in ${site}: ${Object.entries(hashes).map(([e, h]) => `${name}.${h}.${e}`).join(", ")}`);
