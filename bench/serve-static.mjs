// A small static server for the browser benchmark: build/site at /, bench/web at /bench/,
// onnxruntime-web's dist at /ort/. Compresses with gzip (level 9, as `gzip -9`) like a CDN,
// sends Cache-Control so a warm reload is served from the browser's HTTP cache.
//   node bench/serve-static.mjs [port]
import { createServer } from "node:http";
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { extname, join, normalize } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
const MOUNTS = [
  ["/bench/", join(ROOT, "bench/web")],
  ["/ort/", join(ROOT, "bench/node_modules/onnxruntime-web/dist")],
  ["/", join(ROOT, "build/site")],
];
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".onnx": "application/octet-stream", ".css": "text/css", ".svg": "image/svg+xml" };
const cache = new Map();

export function startServer(port = 0) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const [prefix, dir] = MOUNTS.find(([p]) => url.pathname.startsWith(p));
    const file = normalize(join(dir, decodeURIComponent(url.pathname.slice(prefix.length)) || "index.html"));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    let st;
    try { st = statSync(file); } catch { return res.writeHead(404).end("not found"); }
    if (st.isDirectory()) return res.writeHead(404).end("not found");
    const key = `${file}:${st.mtimeMs}`;
    if (!cache.has(key)) cache.set(key, gzipSync(readFileSync(file), { level: 9 }));
    const body = cache.get(key);
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "content-encoding": "gzip",
      "content-length": body.length,
      "cache-control": "public, max-age=3600",
      // Cross-origin isolation: browsers then time with performance.now() at 5 us instead of
      // 100 us. Every resource here is same-origin, so nothing else changes.
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startServer(Number(process.argv[2] || 8090));
  console.log(`serving on http://127.0.0.1:${s.address().port}`);
}
