// Rapport service worker: caches the app shell and static assets so the installed app
// opens offline. Pages always come from the network (they hold live, private data and
// are never cached); without a connection the offline page answers instead.
const CACHE = "rapport-shell-v1";
const SHELL = [
  "/offline.html",
  "/pkg/rapport.css",
  "/pkg/rapport.js",
  "/pkg/rapport.wasm",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (req.mode === "navigate") {
    event.respondWith(
      fetch(req).catch(() => caches.match("/offline.html")),
    );
    return;
  }
  if (url.pathname.startsWith("/pkg/") || url.pathname.startsWith("/icons/")) {
    // Static assets: serve from cache, refresh in the background.
    event.respondWith(
      caches.open(CACHE).then((c) =>
        c.match(req).then((hit) => {
          const fresh = fetch(req).then((res) => {
            if (res.ok) c.put(req, res.clone());
            return res;
          });
          return hit || fresh;
        }),
      ),
    );
  }
});
