// Abuse under load, measured from outside against a running release server:
//   node end2end/bench/abuse.mjs http://127.0.0.1:3000 <server pid>
// 1. resident memory before and after 200 concurrent anonymous sign-ins with 1 MB bodies;
// 2. the staff customers page (tier-1 manager) p50/p99, idle and during a flood of wrong
//    passwords from 20 parallel clients.
// Figures, not a test: the README's bench section reports them.
import http from "node:http";
import fs from "node:fs";

const base = new URL(process.argv[2] ?? "http://127.0.0.1:3000");
const pid = process.argv[3];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function rssMb() {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function request(method, path, { body, headers = {} } = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      { host: base.hostname, port: base.port, method, path, agent, headers: { Origin: base.origin, ...headers } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - started) / 1e6 }),
        );
      },
    );
    req.on("error", () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    if (body) req.write(body);
    req.end();
  });
}

const form = { "Content-Type": "application/x-www-form-urlencoded" };

async function signIn(email, password) {
  const r = await request("POST", "/api/auth/login", { body: `email=${encodeURIComponent(email)}&password=${encodeURIComponent(password)}`, headers: form });
  const cookie = (r.headers?.["set-cookie"] ?? []).find((c) => c.includes("rapport_session="));
  return cookie?.split(";")[0];
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function pageTimes(cookie, seconds, workers = 8) {
  const times = [];
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const r = await request("GET", "/customers", { headers: { Cookie: cookie } });
        if (r.status === 200) times.push(r.ms);
      }
    }),
  );
  times.sort((a, b) => a - b);
  return { n: times.length, p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

const mib = Buffer.alloc(1024 * 1024, "a");
const before = rssMb();
const big = await Promise.all(
  Array.from({ length: 200 }, () =>
    request("POST", "/api/auth/login", { body: Buffer.concat([Buffer.from("email="), mib, Buffer.from("&password=x")]), headers: form }),
  ),
);
await new Promise((r) => setTimeout(r, 1000));
const after = rssMb();
const statuses = {};
for (const r of big) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
console.log(`200 concurrent 1 MB sign-ins: answers ${JSON.stringify(statuses)}; RSS ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB (+${(after - before).toFixed(1)} MB)`);

const cookie = await signIn("t1.east@rapport.local", "rapport-demo");
if (!cookie) throw new Error("cannot sign in as the demo tier-1 manager");
await pageTimes(cookie, 2); // warm-up
const idle = await pageTimes(cookie, 10);
let stop = false;
let guesses = 0;
const flood = Array.from({ length: 20 }, async (_, i) => {
  while (!stop) {
    await request("POST", "/api/auth/login", { body: `email=victim${i % 3}%40rapport.local&password=guess${guesses++}`, headers: { ...form, "X-Forwarded-For": `10.9.${i}.1` } });
  }
});
const loaded = await pageTimes(cookie, 10);
stop = true;
await Promise.all(flood);
console.log(`/customers idle: ${idle.n} pages, p50 ${idle.p50.toFixed(1)} ms, p99 ${idle.p99.toFixed(1)} ms`);
console.log(`/customers during ${guesses} wrong sign-ins: ${loaded.n} pages, p50 ${loaded.p50.toFixed(1)} ms, p99 ${loaded.p99.toFixed(1)} ms (${(loaded.p99 / idle.p99).toFixed(2)}x idle p99)`);
agent.destroy();
