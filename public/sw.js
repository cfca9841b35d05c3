// Rapport service worker. The server fills in this build's id and its entry files, so a
// new build is a new worker with its own cache: the browser installs it on the next
// visit or start of the installed app, it takes over at once and deletes the caches of
// older builds. Pages always come from the network (they hold live, private data and are
// never cached); without a connection the offline page answers instead.
const BUILD = "__RAPPORT_BUILD__";
const CACHE = `rapport-${BUILD}`;
const SHELL = __RAPPORT_SHELL__;
// A file name that carries a content hash never changes content: cache first.
const HASHED = /\.[A-Za-z0-9_-]{22}\./;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k.startsWith("rapport-") && k !== CACHE).map((k) => caches.delete(k))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "build") event.source?.postMessage({ build: BUILD });
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (req.mode === "navigate") {
    event.respondWith(fetch(req).catch(() => caches.match("/offline.html")));
    return;
  }
  const file = url.pathname.split("/").pop();
  if (url.pathname.startsWith("/pkg/") && HASHED.test(file)) {
    event.respondWith(
      caches.open(CACHE).then((c) =>
        c.match(req).then(
          (hit) =>
            hit ||
            fetch(req).then((res) => {
              if (res.ok) c.put(req, res.clone());
              return res;
            }),
        ),
      ),
    );
    return;
  }
  if (url.pathname.startsWith("/pkg/") || url.pathname.startsWith("/icons/") || SHELL.includes(url.pathname)) {
    // Unhashed files: the network first, the cached copy when offline.
    event.respondWith(
      caches.open(CACHE).then((c) =>
        fetch(req)
          .then((res) => {
            if (res.ok) c.put(req, res.clone());
            return res;
          })
          .catch(() => c.match(req)),
      ),
    );
  }
});
