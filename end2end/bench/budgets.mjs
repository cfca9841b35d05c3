// Byte budgets of a first visit: JavaScript + WebAssembly + CSS the browser transfers
// (compressed, headers included) to show a staff page with an empty cache, and checks that
// every asset came compressed and that a repeat visit re-downloads no hashed asset.
// Exits 1 when a page exceeds its budget or a check fails.
//
// The budget: 200 KB per page, 300 KB for the segment builder. Pages render on the
// server and ship only their islands, so the bundle is the islands of the whole app.
//
//   E2E_BASE_URL=http://127.0.0.1:3000 E2E_ADMIN_EMAIL=… E2E_ADMIN_PASSWORD=… \
//     node end2end/bench/budgets.mjs [--json FILE]
//
// Service workers are blocked, so every byte counted is one the page itself fetched.
import { chromium } from "@playwright/test";
import { writeFileSync } from "node:fs";
import { signIn } from "./session.mjs";

const BASE = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const EMAIL = process.env.E2E_ADMIN_EMAIL ?? "admin@rapport.local";
const PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "rapport-demo";
const KB = 1000;
const PAGE_TARGET = 200 * KB;
// The segment builder carries the rule editor and its previews.
const SEGMENT_BUILDER_TARGET = 300 * KB;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic"],
});


/** Loads `path` in `page`, returning the asset requests it made and what they cost. */
async function visit(page, cdp, path) {
  const requests = new Map();
  const onResponse = (e) => {
    const r = requests.get(e.requestId) ?? {};
    r.url = e.response.url;
    r.encoding = e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"] ?? "";
    r.cached = r.cached || e.response.fromDiskCache || e.response.fromPrefetchCache || false;
    requests.set(e.requestId, r);
  };
  const onCache = (e) => {
    const r = requests.get(e.requestId) ?? {};
    r.cached = true;
    requests.set(e.requestId, r);
  };
  const onFinished = (e) => {
    const r = requests.get(e.requestId) ?? {};
    r.bytes = e.encodedDataLength;
    requests.set(e.requestId, r);
  };
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.requestServedFromCache", onCache);
  cdp.on("Network.loadingFinished", onFinished);
  await page.goto(path);
  await page.locator("body[data-hydrated='true']").waitFor({ timeout: 30_000 });
  await page.waitForLoadState("networkidle");
  cdp.off("Network.responseReceived", onResponse);
  cdp.off("Network.requestServedFromCache", onCache);
  cdp.off("Network.loadingFinished", onFinished);
  return [...requests.values()].filter((r) => r.url && /\.(js|wasm|css)(\?|$)/.test(new URL(r.url).pathname));
}

const { state, customer } = await signIn(browser, { base: BASE, email: EMAIL, password: PASSWORD });
const pages = [
  ["/", PAGE_TARGET],
  ["/customers", PAGE_TARGET],
  [customer, PAGE_TARGET],
  ["/segments/new", SEGMENT_BUILDER_TARGET],
  ["/rfm", PAGE_TARGET],
  ["/lifecycle", PAGE_TARGET],
  ["/feedback/analysis", PAGE_TARGET],
];

const rows = [];
let failed = false;
for (const [path, target] of pages) {
  const context = await browser.newContext({ baseURL: BASE, storageState: state, serviceWorkers: "block" });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.clearBrowserCache");
  const first = await visit(page, cdp, path);
  const bytes = first.reduce((sum, r) => sum + (r.bytes ?? 0), 0);
  const uncompressed = first.filter((r) => r.bytes > 1024 && !/^(br|gzip)$/.test(r.encoding)).map((r) => r.url);
  // A new navigation to the same page, as a returning user makes it.
  const second = await visit(page, cdp, path);
  const refetched = second
    .filter((r) => /\.[A-Za-z0-9_-]{22}\./.test(new URL(r.url).pathname) && !r.cached)
    .map((r) => new URL(r.url).pathname);
  const over = bytes > target;
  failed ||= over || refetched.length > 0 || uncompressed.length > 0;
  rows.push({ path, files: first.length, bytes, target, over, refetched, uncompressed });
  await context.close();
}
await browser.close();

console.log("first visit, empty cache: JS + WebAssembly + CSS transferred");
for (const r of rows) {
  const mark = r.over ? "OVER THE BUDGET" : "within the budget";
  console.log(
    `  ${r.path.padEnd(22)} ${String(r.files).padStart(3)} files ${(r.bytes / KB).toFixed(1).padStart(7)} KB` +
      `  (budget ${(r.target / KB).toFixed(0)} KB)  ${mark}`,
  );
  if (r.refetched.length) console.log(`    repeat visit downloaded again: ${r.refetched.join(", ")}`);
  if (r.uncompressed.length) console.log(`    sent uncompressed: ${r.uncompressed.join(", ")}`);
}
const jsonAt = process.argv.indexOf("--json");
if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1], JSON.stringify(rows, null, 2));
if (failed) {
  console.error("byte budget check failed");
  process.exit(1);
}
console.log("all pages within their budget, every asset compressed; repeat visits re-downloaded no hashed asset");
