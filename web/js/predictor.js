// wasmpredict in any web page: `await Predictor.load(url)` then `predictor.predict(body)`, with
// the same request and response objects as POST /predict, computed in the page.
//
// Two builds of the same core sit beside this file: wasmpredict_web_bg.wasm, the compact engine
// (linear models and tree ensembles: every scikit-learn bundle), loaded by every page; and
// wasmpredict_web_tract_bg.wasm, which adds tract for any other ONNX graph (an MLP, a network
// from PyTorch or Keras). The tract build is fetched only when a bundle needs it.
import init, { WasmPredictor } from "./wasmpredict_web.js";

let ready = null;
let tractReady = null;

/** Loads the compact wasm once. Pass `{ module_or_path }` to load it from elsewhere (e.g. bytes in Node). */
export function initialize(options) {
  ready ??= init(options);
  return ready;
}

/**
 * Loads the tract-enabled wasm once (bigger; `Predictor.load` calls it only for a bundle that
 * needs it). In Node, pass `{ module_or_path: bytes }` before loading such a bundle.
 */
export function initializeTract(options) {
  tractReady ??= import("./wasmpredict_web_tract.js")
    .then(async (m) => {
      await m.default(options);
      return m;
    })
    .catch((e) => {
      // Not cached: a later bundle tries again (./run.sh serves before this build is there).
      tractReady = null;
      throw new Error(`the tract-enabled predictor (wasmpredict_web_tract) could not be loaded: ${e.message}`);
    });
  return tractReady;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw Object.assign(new Error(`cannot fetch ${url}: HTTP ${r.status}`), { code: "invalid_bundle" });
  return new Uint8Array(await r.arrayBuffer());
}

const fail = (code, message) => Object.assign(new Error(message), { code });

export class Predictor {
  #inner;
  #width;

  constructor(inner) {
    this.#inner = inner;
    this.#width = inner.schema().length;
  }

  /**
   * Loads a bundle: a base URL (a directory with manifest.json and the files it lists), or
   * `{ manifest: Uint8Array, files: { name: Uint8Array } }` already in memory.
   * `options.engine` ("compact" or "tract") forces an engine; by default the compact engine takes
   * every graph it covers and the tract build is fetched for the others.
   */
  static async load(source, { engine } = {}) {
    // Compile the wasm while the bundle downloads (a page's first prediction waits for both).
    const compact = engine !== "tract" ? initialize() : null;
    const tractFirst = engine === "tract" ? initializeTract() : null;
    // Their failures surface where they are awaited, below; not as unhandled rejections if a
    // download fails first.
    compact?.catch(() => {});
    tractFirst?.catch(() => {});
    let manifest, files;
    if (typeof source === "string" || source instanceof URL) {
      const base = new URL(String(source).replace(/\/?$/, "/"), globalThis.location?.href);
      manifest = await fetchBytes(new URL("manifest.json", base));
      const listed = Object.keys(JSON.parse(new TextDecoder().decode(manifest)).files ?? {});
      files = Object.fromEntries(await Promise.all(listed.map(async (name) => [name, await fetchBytes(new URL(name, base))])));
    } else {
      ({ manifest, files } = source);
    }
    const names = Object.keys(files);
    const contents = names.map((n) => files[n]);
    if (compact) {
      await compact;
      try {
        return new Predictor(WasmPredictor.fromFiles(manifest, names, contents, engine ?? null));
      } catch (e) {
        if (e.code !== "needs_tract" || engine === "compact") throw e;
      }
    }
    const tract = await (tractFirst ?? initializeTract());
    return new Predictor(tract.WasmPredictor.fromFiles(manifest, names, contents, engine ?? null));
  }

  /** Same body shapes and answers as POST /predict; throws an Error with `code` and `field`. */
  predict(body) {
    let text;
    try {
      text = JSON.stringify(body);
    } catch (e) {
      throw fail("invalid_json", `the body must be JSON-serializable: ${e.message}`);
    }
    if (text === undefined) throw fail("unknown_body_shape", "the body must be a JSON object");
    // JSON text crosses into wasm: much faster than value-by-value conversion for big batches.
    return JSON.parse(this.#inner.predictJson(text));
  }

  /** `predict` for a body that is already JSON text; answers JSON text. */
  predictJson(text) {
    return this.#inner.predictJson(text);
  }

  /**
   * Numeric rows as one Float32Array (row-major, the schema's fields in order; NaN = missing),
   * no JSON: `{ labels: Uint32Array (index into classes), probabilities (or scores):
   * Float32Array rows x classes, classes }`, or `{ values: Float32Array }` for regression.
   */
  predictTyped(values, rows) {
    if (!(values instanceof Float32Array)) throw fail("wrong_type", "predictTyped takes a Float32Array");
    return this.#inner.predictArray(values, rows ?? Math.floor(values.length / this.#width));
  }

  /** The engine evaluating this bundle: "compact" or "tract". */
  get engine() {
    return this.#inner.engine();
  }

  /** The raw input schema: `[{ name, type, nullable, stats }]`. */
  schema() {
    return this.#inner.schema();
  }

  /** Name, version, task, classes, schema, file hashes, size and engine (as GET /models/{name}). */
  info() {
    return this.#inner.info();
  }

  /**
   * Counts rows against the bundle's training profile, for a drift report computed in the page
   * (docs/drift.md): `add(record, prediction)` per answered row, then `report()`. Throws
   * `code: "no_profile"` for a bundle without a profile (format version 1).
   */
  driftTally() {
    const inner = this.#inner.driftTally();
    return {
      add(record, prediction) {
        inner.addJson(JSON.stringify(record), JSON.stringify(prediction));
      },
      addJson(recordText, predictionText) {
        inner.addJson(recordText, predictionText);
      },
      get rows() {
        return inner.rows();
      },
      report() {
        const text = inner.reportJson();
        return text === undefined ? null : JSON.parse(text);
      },
      reportJson() {
        return inner.reportJson() ?? null;
      },
      free() {
        inner.free();
      },
    };
  }
}
