import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { test, expect, ADMIN_EMAIL, ADMIN_PASSWORD, hydrated } from "./pages";

// An upgrade: the browser has build A's pages, code and service worker; the server is
// replaced by build B. On the next load build B's code must run, and the worker of build
// B must take over with a cache of its own. Build B is build A with new content hashes
// (the files renamed, the hash file rewritten), which is all a browser can tell apart.

// Relative paths are the repository's, as ./test.sh gives them.
const fromRepo = (p: string | undefined) => (p ? path.resolve(__dirname, "..", "..", p) : "");
const BINARY = fromRepo(process.env.E2E_BINARY);
const SITE_ROOT = fromRepo(process.env.E2E_SITE_ROOT);
const PORT = 3931;
const BASE = `http://127.0.0.1:${PORT}`;

function readHashes(dir: string): Record<string, string> {
  const lines = fs.readFileSync(path.join(dir, "hash.txt"), "utf8").split("\n");
  return Object.fromEntries(lines.filter((l) => l.includes(":")).map((l) => l.split(":").map((s) => s.trim())));
}

/** A copy of the site and of the binary (with its hash file) under new hashes. */
function makeBuildB(root: string): { bin: string; site: string; renamed: Record<string, string> } {
  const binDir = path.join(root, "bin-b");
  const site = path.join(root, "site-b");
  fs.mkdirSync(binDir, { recursive: true });
  fs.cpSync(SITE_ROOT, site, { recursive: true });
  fs.copyFileSync(BINARY, path.join(binDir, "rapport"));
  fs.chmodSync(path.join(binDir, "rapport"), 0o755);
  const hashes = readHashes(path.dirname(BINARY));
  const renamed: Record<string, string> = {};
  const next: string[] = [];
  for (const [kind, hash] of Object.entries(hashes)) {
    if (!["js", "wasm", "css"].includes(kind)) {
      next.push(`${kind}: ${hash}`);
      continue;
    }
    const newHash = hash.slice(0, 18) + "bbbb";
    for (const suffix of ["", ".br", ".gz"]) {
      const from = path.join(site, "pkg", `rapport.${hash}.${kind}${suffix}`);
      if (fs.existsSync(from)) fs.renameSync(from, path.join(site, "pkg", `rapport.${newHash}.${kind}${suffix}`));
    }
    renamed[`rapport.${hash}.${kind}`] = `rapport.${newHash}.${kind}`;
    next.push(`${kind}: ${newHash}`);
  }
  fs.writeFileSync(path.join(binDir, "hash.txt"), next.join("\n") + "\n");
  return { bin: path.join(binDir, "rapport"), site, renamed };
}

async function start(bin: string, site: string, data: string): Promise<ChildProcess> {
  const server = spawn(bin, ["serve", "--listen", `127.0.0.1:${PORT}`], {
    env: {
      ...process.env,
      DATABASE_URL: "",
      RAPPORT_DATA_DIR: data,
      LEPTOS_SITE_ROOT: site,
      RAPPORT_ADMIN_EMAIL: ADMIN_EMAIL,
      RAPPORT_ADMIN_PASSWORD: ADMIN_PASSWORD,
    },
    stdio: "ignore",
  });
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  server.kill();
  throw new Error("server did not start");
}

async function stop(server: ChildProcess) {
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGTERM");
  await exited;
}

test("after an upgrade the next load runs the new build, under a worker and cache of its own", async ({ page }) => {
  expect(BINARY && SITE_ROOT, "E2E_BINARY and E2E_SITE_ROOT name the release build").toBeTruthy();
  test.setTimeout(120_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "rapport-upgrade-"));
  const data = path.join(root, "data");
  fs.mkdirSync(data);
  const b = makeBuildB(root);
  let server = await start(BINARY, SITE_ROOT, data);
  await page.goto(`${BASE}/login`);
  await hydrated(page);
  const form = page.getByTestId("login-form");
  await form.locator("input[name='email']").fill(ADMIN_EMAIL);
  await form.locator("input[name='password']").fill(ADMIN_PASSWORD);
  await form.locator("button[type='submit']").click();
  await expect(page.getByTestId("current-user")).toBeVisible();
  try {
    await page.goto(`${BASE}/customers`);
    await hydrated(page);
    const buildA = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return reg.active?.scriptURL ?? "";
    });
    expect(buildA).toContain("/sw.js");
    const cachesA = await page.evaluate(() => caches.keys());
    expect(cachesA.filter((k) => k.startsWith("rapport-"))).toHaveLength(1);
    const wasmA = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => /\/rapport\.[^/]+\.wasm$/.test(p)),
    );
    expect(wasmA).toHaveLength(1);

    await stop(server);
    server = await start(b.bin, b.site, data);

    // A link followed in place fetches build B's page: the old code must not run against
    // it, so the page loads in full and build B's bundle starts.
    await page.locator("nav.main-nav a[href='/lifecycle']").click();
    await expect(page).toHaveURL(/\/lifecycle$/);
    await hydrated(page);
    const wasmAfterLink = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => /\/rapport\.[^/]+\.wasm$/.test(p)),
    );
    expect(wasmAfterLink, "build B's WebAssembly ran after a link").toEqual([`/pkg/${Object.values(b.renamed).find((n) => n.endsWith(".wasm"))}`]);

    await page.goto(`${BASE}/customers`);
    await hydrated(page);
    const wasmB = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname).filter((p) => /\/rapport\.[^/]+\.wasm$/.test(p)),
    );
    const expectedWasm = Object.values(b.renamed).find((n) => n.endsWith(".wasm"))!;
    expect(wasmB, "build B's WebAssembly ran").toEqual([`/pkg/${expectedWasm}`]);
    // The page works under build B: the search box narrows the list as one types.
    await page.getByTestId("customer-search").fill("zz-no-such-customer");
    await expect(page).toHaveURL(/q=zz-no-such-customer/);

    // Build B's worker took over and removed build A's cache.
    await expect
      .poll(async () => page.evaluate(() => caches.keys()), { timeout: 20_000 })
      .not.toEqual(cachesA);
    await expect
      .poll(async () => (await page.evaluate(() => caches.keys())).filter((k) => k.startsWith("rapport-")).length, {
        timeout: 20_000,
      })
      .toBe(1);
    const cached = await page.evaluate(async () => {
      const key = (await caches.keys()).find((k) => k.startsWith("rapport-"))!;
      const c = await caches.open(key);
      return (await c.keys()).map((r) => new URL(r.url).pathname);
    });
    expect(cached).toContain(`/pkg/${expectedWasm}`);
    expect(cached).toContain("/offline.html");

    // Without a connection the new worker answers a page with the offline page.
    await page.context().setOffline(true);
    await page.goto(`${BASE}/rfm`);
    await expect(page.getByRole("heading", { level: 1 }).first()).toHaveText("You are offline");
    await page.context().setOffline(false);
  } finally {
    await stop(server);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
