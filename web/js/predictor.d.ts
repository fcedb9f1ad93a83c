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
}

/** Thrown by load() and predict(): the core error's code and, when there is one, the field. */
export interface PredictorError extends Error {
  code: string;
  field?: string;
}

export function initialize(options?: { module_or_path?: BufferSource | URL | string | Response }): Promise<unknown>;

export class Predictor {
  static load(source: string | URL | { manifest: Uint8Array; files: Record<string, Uint8Array> }): Promise<Predictor>;
  predict(body: { features: PositionalRow } | { record: RecordRow }): SingleResponse;
  predict(body: PredictRequest): SingleResponse | BatchResponse;
  schema(): Field[];
  info(): ModelInfo;
}
