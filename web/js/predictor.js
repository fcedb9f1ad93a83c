// wasmpredict in any web page: `await Predictor.load(url)` then `predictor.predict(body)`, with
// the same request and response objects as POST /predict, computed in the page.
import init, { WasmPredictor } from "./wasmpredict_web.js";

let ready = null;

/** Loads the wasm once. Pass `{ module_or_path }` to load it from elsewhere (e.g. bytes in Node). */
export function initialize(options) {
  ready ??= init(options);
  return ready;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw Object.assign(new Error(`cannot fetch ${url}: HTTP ${r.status}`), { code: "invalid_bundle" });
  return new Uint8Array(await r.arrayBuffer());
}

export class Predictor {
  #inner;

  constructor(inner) {
    this.#inner = inner;
  }

  /**
   * Loads a bundle: a base URL (a directory with manifest.json and the files it lists), or
   * `{ manifest: Uint8Array, files: { name: Uint8Array } }` already in memory.
   */
  static async load(source) {
    await initialize();
    let manifest, files;
    if (typeof source === "string" || source instanceof URL) {
      const base = String(source).replace(/\/?$/, "/");
      manifest = await fetchBytes(new URL("manifest.json", new URL(base, globalThis.location?.href)));
      const listed = Object.keys(JSON.parse(new TextDecoder().decode(manifest)).files ?? {});
      files = Object.fromEntries(
        await Promise.all(listed.map(async (name) => [name, await fetchBytes(new URL(name, new URL(base, globalThis.location?.href)))])),
      );
    } else {
      ({ manifest, files } = source);
    }
    const names = Object.keys(files);
    return new Predictor(WasmPredictor.fromFiles(manifest, names, names.map((n) => files[n])));
  }

  /** Same body shapes and answers as POST /predict; throws an Error with `code` and `field`. */
  predict(body) {
    let text;
    try {
      text = JSON.stringify(body);
    } catch (e) {
      throw Object.assign(new Error(`the body must be JSON-serializable: ${e.message}`), { code: "invalid_json" });
    }
    if (text === undefined) throw Object.assign(new Error("the body must be a JSON object"), { code: "unknown_body_shape" });
    // JSON text crosses into wasm: much faster than value-by-value conversion for big batches.
    return JSON.parse(this.#inner.predictJson(text));
  }

  /** The raw input schema: `[{ name, type, nullable, stats }]`. */
  schema() {
    return this.#inner.schema();
  }

  /** Name, version, task, classes, schema, file hashes and size (as GET /models/{name}). */
  info() {
    return this.#inner.info();
  }
}
