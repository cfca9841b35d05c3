// Lighthouse on a phone profile (its default mobile emulation and throttling), signed in,
// median of three runs per page: performance, time to interactive, LCP, total blocking
// time, accessibility and bytes transferred. A figure for the README, not a gate.
//
//   E2E_BASE_URL=http://127.0.0.1:3000 E2E_ADMIN_EMAIL=t1.east@rapport.local \
//     E2E_ADMIN_PASSWORD=rapport-demo node end2end/bench/lighthouse.mjs [runs]
import { chromium } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { signIn } from "./session.mjs";

const BASE = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const EMAIL = process.env.E2E_ADMIN_EMAIL ?? "t1.east@rapport.local";
const PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "rapport-demo";
const RUNS = Number(process.argv[2] ?? 3);
const CHROME = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LIGHTHOUSE = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".bin", "lighthouse");

const browser = await chromium.launch({ executablePath: CHROME, args: ["--no-sandbox"] });
const { cookie, customer } = await signIn(browser, { base: BASE, email: EMAIL, password: PASSWORD });
await browser.close();

const dir = mkdtempSync(join(tmpdir(), "rapport-lighthouse-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const path of ["/", "/customers", customer]) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const out = join(dir, `run-${rows.length}-${i}.json`);
    execFileSync(
      LIGHTHOUSE,
      [
        BASE + path,
        "--quiet",
        "--output=json",
        `--output-path=${out}`,
        "--only-categories=performance,accessibility",
        `--extra-headers=${JSON.stringify({ Cookie: cookie })}`,
        '--chrome-flags=--headless=new --no-sandbox',
      ],
      { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, CHROME_PATH: CHROME } },
    );
    const report = JSON.parse(readFileSync(out, "utf8"));
    runs.push({
      performance: report.categories.performance.score * 100,
      accessibility: report.categories.accessibility.score * 100,
      tti: report.audits.interactive.numericValue / 1000,
      lcp: report.audits["largest-contentful-paint"].numericValue / 1000,
      tbt: report.audits["total-blocking-time"].numericValue,
      kib: report.audits["total-byte-weight"].numericValue / 1024,
    });
  }
  const m = (k) => median(runs.map((r) => r[k]));
  rows.push({
    path,
    performance: m("performance"),
    tti: m("tti"),
    lcp: m("lcp"),
    tbt: m("tbt"),
    accessibility: m("accessibility"),
    kib: m("kib"),
  });
}
console.log(`Lighthouse mobile, median of ${RUNS} runs, signed in as ${EMAIL}`);
console.log("| page | performance | TTI | LCP | TBT | accessibility | transferred |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.path} | ${r.performance.toFixed(0)} | ${r.tti.toFixed(1)} s | ${r.lcp.toFixed(1)} s | ` +
      `${r.tbt.toFixed(0)} ms | ${r.accessibility.toFixed(0)} | ${r.kib.toFixed(0)} KiB |`,
  );
}
