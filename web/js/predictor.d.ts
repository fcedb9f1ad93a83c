// Types of web/js/predictor.js.

export type RawValue = number | string | boolean | null;
export type PositionalRow = RawValue[];
export type RecordRow = Record<string, RawValue>;

export type PredictRequest =
  | { features: PositionalRow | PositionalRow[] }
  | { record: RecordRow }
  | { instances: Array<RecordRow | PositionalRow> }
  | { dataframe_split: { columns: string[]; data: PositionalRow[] } };

export type Label = number | string;

export interface SingleResponse {
  prediction: Label;
  probabilities?: number[];
  scores?: number[];
  classes?: Label[];
  model: string;
  version: string;
}

export interface BatchResponse {
  predictions: Label[];
  probabilities?: number[][];
  scores?: number[][];
  classes?: Label[];
  model: string;
  version: string;
}

export interface FieldStats {
  count: number;
  missing?: number;
  min?: number;
  max?: number;
  mean?: number;
  std?: number;
  frequencies?: Array<[RawValue, number]>;
  length?: { min: number; max: number; mean: number };
}

export interface Field {
  name: string;
  type: "number" | "category" | "text" | "bool";
  nullable: boolean;
  stats?: FieldStats | null;
}

export interface ModelInfo {
  name: string;
  version: string;
  description: string | null;
  format_version: number;
  created_by: string | null;
  task: "classification" | "regression";
  estimator: string;
  classes: Label[] | null;
  input: Field[];
  n_features: number;
  featurizer_steps: string[];
  files: Record<string, string>;
  size_bytes: number;
  /** Which engine evaluates the graph. */
  engine: Engine;
  /** When tract does: what the compact engine does not cover. */
  engine_reason: string | null;
}

/** "compact": linear models and tree ensembles (every scikit-learn bundle); "tract": any other ONNX graph. */
export type Engine = "compact" | "tract";

/** predictTyped's answer for a classifier. */
export interface TypedClassification {
  /** Per row, the index of the predicted class in `classes`. */
  labels: Uint32Array;
  /** Row-major, rows x classes. */
  probabilities?: Float32Array;
  /** Row-major decision scores, for classifiers without predict_proba. */
  scores?: Float32Array;
  classes: Label[];
}

/** predictTyped's answer for a regressor. */
export interface TypedRegression {
  values: Float32Array;
}

/** Thrown by load() and predict(): the core error's code and, when there is one, the field. */
export interface PredictorError extends Error {
  code: string;
  field?: string;
}

type WasmSource = { module_or_path?: BufferSource | URL | string | Response };

/** Loads the compact wasm (every page). */
export function initialize(options?: WasmSource): Promise<unknown>;
/** Loads the tract-enabled wasm (only for bundles that need it; in Node, pass its bytes first). */
export function initializeTract(options?: WasmSource): Promise<unknown>;

export class Predictor {
  static load(
    source: string | URL | { manifest: Uint8Array; files: Record<string, Uint8Array> },
    options?: { engine?: Engine },
  ): Promise<Predictor>;
  predict(body: { features: PositionalRow } | { record: RecordRow }): SingleResponse;
  predict(body: PredictRequest): SingleResponse | BatchResponse;
  /** predict() for a body already in JSON text; answers JSON text. */
  predictJson(text: string): string;
  /** Numeric rows, row-major (NaN = missing), no JSON. `rows` defaults to values.length / fields. */
  predictTyped(values: Float32Array, rows?: number): TypedClassification | TypedRegression;
  readonly engine: Engine;
  schema(): Field[];
  info(): ModelInfo;
  /** Rows against the bundle's training profile (docs/drift.md); throws code "no_profile" without one. */
  driftTally(): DriftTally;
}

export type Verdict = "stable" | "watch" | "drift";

/** One histogram against training: slots' labels and shares. */
export interface Distribution {
  psi: number;
  js: number;
  verdict: Verdict;
  labels: string[];
  training: number[];
  current: number[];
}

export interface FieldDrift {
  name: string;
  drifted: boolean;
  verdict: Verdict;
  psi: number;
  js: number;
  values: Distribution;
  /** Texts: the share of terms outside the vocabulary. */
  oov?: Distribution;
}

export interface DriftReport {
  drifted: boolean;
  verdict: Verdict;
  rows: number;
  training_rows: number;
  thresholds: { psi_watch: number; psi_act: number; js: number };
  fields: FieldDrift[];
  predictions: Distribution;
}

export interface DriftTally {
  /** Counts a record (a request's `record`) with the `prediction` the model gave it. */
  add(record: Record<string, unknown>, prediction: unknown): void;
  addJson(recordText: string, predictionText: string): void;
  readonly rows: number;
  /** The report of the rows so far; null before the first. */
  report(): DriftReport | null;
  reportJson(): string | null;
  free(): void;
}
