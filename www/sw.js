// Offline support: after one online visit, the app shell, its wasm, the JS predictor it predicts
// with (/pkg/predictor.js and the compact wasm) and every bundle are cached and the app predicts
// with the network off. The tract-enabled predictor is left out of the precache (a page fetches
// it only for a bundle that needs it) and cached by the fetch handler when it is first served.
// scripts/build-web.sh replaces the two placeholders with this build's version (a hash of the
// site) and the list of its files, so a new build installs a new cache and deletes the old one.
const VERSION = "__WASMPREDICT_VERSION__";
const PRECACHE = __WASMPREDICT_PRECACHE__;
const CACHE = `wasmpredict-${VERSION}`;

function pageKey(pathname) {
  const path = pathname.replace(/\.html$/, "").replace(/\/index$/, "/");
  return path === "" ? "/" : path;
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("wasmpredict-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  // The HTTP API is never served from the cache.
  if (/^\/(predict|models|v2)(\/|$)/.test(url.pathname)) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      // Pages are cached under their extension-less URL (Cloudflare's assets redirect
      // /page.html to /page, and a redirected response cannot answer a navigation).
      const key = event.request.mode === "navigate" ? pageKey(url.pathname) : event.request;
      const hit = await cache.match(key, { ignoreSearch: true });
      if (hit) return hit;
      const response = await fetch(event.request);
      if (response.ok) cache.put(event.request, response.clone());
      return response;
    }),
  );
});
