// Offline support: after one online visit, the app shell, its wasm, the JS predictor it predicts
// with (/pkg/predictor.js and the compact wasm) and every bundle are cached and the app predicts
// with the network off. The tract-enabled predictor is left out of the precache (a page fetches
// it only for a bundle that needs it) and cached by the fetch handler when it is first served.
// `cargo xtask build web` fills in the three placeholders below: this build's version (a hash of
// the site), the list of its files (so a new build installs a new cache and deletes the old
// one), and the API's first path segments from the core's route table
// (`wasmpredict::http::routes::API_ROOTS`).
//
// Live versions: when online, the worker asks the API which version of each model is live
// (GET /models/{name}: `live` and the sha256 of its files). When that is not the version the
// page predicts with, it fetches that version's files from /bundles/{name}/{version}/, checks
// every sha256 against what the API said, and only then stores them (cache LIVE) as the files
// the app loads from /bundles/{name}/; until then, and if a check fails, the old files stay.
// The page asks for a check at start and when the browser comes back online, and is told
// ("bundle-updated" / "bundle-rejected") so it reloads the model.
const VERSION = "__WASMPREDICT_VERSION__";
// File paths, as the build lists them; each is cached under its pageKey.
const PRECACHE = __WASMPREDICT_PRECACHE__;
// The HTTP API is never served from the cache.
const API_PATH = new RegExp(`^/(${__WASMPREDICT_API_ROOTS__.join("|")})(/|$)`);
const CACHE = `wasmpredict-${VERSION}`;
const LIVE = `wasmpredict-live-${VERSION}`;

// The one page-key rule: pages are cached under their extension-less URL (Cloudflare's assets
// redirect /page.html to /page, and a redirected response cannot answer a navigation).
function pageKey(pathname) {
  const path = pathname.replace(/\.html$/, "").replace(/\/index$/, "/");
  return path === "" ? "/" : path;
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.map(pageKey))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("wasmpredict-") && k !== CACHE && k !== LIVE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function sha256(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function tell(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}

/** The version the app predicts with now: the verified live one, else the build's. */
async function currentVersion(name) {
  const live = await (await caches.open(LIVE)).match(`/bundles/${name}/`);
  if (live) return (await live.json()).version;
  const built = await caches.match(`/bundles/${name}/manifest.json`);
  return built ? (await built.json()).version : null;
}

/** Fetches, verifies and stores the live version of one model, when it changed. */
async function updateModel(name) {
  const info = await fetch(`/models/${name}`, { cache: "no-store" });
  if (!info.ok) return;
  const { live, files } = await info.json();
  if (!live || live === (await currentVersion(name))) return;
  const base = `/bundles/${name}/${live}/`;
  const bodies = {};
  // The manifest and every file the server lists for the version (model, goldens, explanations).
  const names = ["manifest.json", ...Object.keys(files ?? {})];
  for (const file of names) {
    const r = await fetch(base + file, { cache: "no-store" });
    if (!r.ok) return tell({ type: "bundle-rejected", name, version: live, reason: `${base}${file}: HTTP ${r.status}` });
    bodies[file] = await r.arrayBuffer();
  }
  const manifest = JSON.parse(new TextDecoder().decode(bodies["manifest.json"]));
  const problems = [];
  if (manifest.name !== name || manifest.version !== live) problems.push(`the manifest is ${manifest.name} ${manifest.version}`);
  if (JSON.stringify(manifest.files) !== JSON.stringify(files)) problems.push("the manifest's files differ from the server's");
  for (const [file, hash] of Object.entries(files)) {
    if (!bodies[file] || (await sha256(bodies[file])) !== hash) problems.push(`sha256 of ${file} differs`);
  }
  if (problems.length) return tell({ type: "bundle-rejected", name, version: live, reason: problems.join("; ") });
  const cache = await caches.open(LIVE);
  for (const file of names) {
    const type = file.endsWith(".json") ? "application/json" : "application/octet-stream";
    await cache.put(`/bundles/${name}/${file}`, new Response(bodies[file], { headers: { "content-type": type } }));
  }
  await cache.put(`/bundles/${name}/`, new Response(JSON.stringify({ version: live }), { headers: { "content-type": "application/json" } }));
  await tell({ type: "bundle-updated", name, version: live });
}

async function checkLiveVersions() {
  const index = await caches.match("/bundles/index.json");
  if (!index) return;
  const { bundles } = await index.json();
  for (const b of bundles) {
    try {
      await updateModel(b.name);
    } catch (e) {
      // Offline, or the API is not there (a static host): keep what is cached.
    }
  }
}

// One check at a time; a request that arrives during a check runs another one after it (the
// traffic may have changed since the running check read it).
let running = null;
let again = false;
function requestCheck() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await checkLiveVersions();
    } while (again);
  })().finally(() => { running = null; });
  return running;
}

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "check-updates") event.waitUntil(requestCheck());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (API_PATH.test(url.pathname)) return;
  event.respondWith(
    (async () => {
      // A verified live version's files first.
      if (url.pathname.startsWith("/bundles/")) {
        const live = await (await caches.open(LIVE)).match(url.pathname);
        if (live) return live;
      }
      const cache = await caches.open(CACHE);
      const key = event.request.mode === "navigate" ? pageKey(url.pathname) : event.request;
      const hit = await cache.match(key, { ignoreSearch: true });
      if (hit) return hit;
      const response = await fetch(event.request);
      if (response.ok) cache.put(event.request, response.clone());
      return response;
    })(),
  );
});
