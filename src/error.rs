//! Error types. [`ApiError`] is what a caller sees for a bad request (it maps to an HTTP 4xx and
//! a JSON body); [`BundleError`] is what an operator sees for a bad bundle.

use serde::{Deserialize, Serialize};

/// A request the predictor refuses, with a stable machine-readable `code`, a human message that
/// names the offending field and what was expected, and the field itself when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Every kind of request error. The serialized names are part of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not JSON.
    InvalidJson,
    /// The body is JSON but none of the accepted shapes.
    UnknownBodyShape,
    /// A row has the wrong number of positional values.
    WrongFeatureCount,
    /// A value has the wrong JSON type for its field.
    WrongType,
    /// A required field is absent from a record.
    MissingField,
    /// A record names a field the model does not have.
    UnknownField,
    /// A null/missing value where the model cannot impute one.
    MissingValue,
    /// A category never seen in training, under `handle_unknown='error'`.
    UnknownCategory,
    /// A text field that is empty or only whitespace.
    EmptyText,
    /// A request without any row.
    EmptyBatch,
    /// A number that is not finite.
    NonFiniteNumber,
    /// The model failed to evaluate (should not happen with a checked bundle).
    InferenceFailed,
    /// HTTP: no such route.
    RouteNotFound,
    /// HTTP: no model of that name.
    ModelNotFound,
    /// HTTP: the route exists but not for this method.
    MethodNotAllowed,
    /// HTTP: the body is larger than the configured cap.
    PayloadTooLarge,
    /// HTTP: the batch has more rows than the configured cap.
    TooManyRows,
    /// HTTP: the model's bundle could not be loaded.
    ModelUnavailable,
    /// Admin: a traffic body that names unknown versions, does not sum to 100, ...
    InvalidTraffic,
    /// Admin: no `Authorization: Bearer` token.
    Unauthorized,
    /// Admin: a wrong token, or no token configured.
    Forbidden,
    /// Feedback: an id that no prediction of this model answered with.
    InvalidPredictionId,
    /// Feedback: the prediction is older than the retention.
    FeedbackExpired,
    /// Feedback: this prediction already has an outcome.
    DuplicateFeedback,
    /// The deployment's state store (SQLite, a Durable Object, the traffic file) failed.
    StorageFailed,
    /// `"explain": true` for a model or bundle that has no explanations.
    ExplanationUnavailable,
    /// A setting of the deployment does not parse (a Worker variable set to `10k` rows): every
    /// request says which, until it is fixed.
    InvalidConfiguration,
    /// A number outside what a fitted transform accepts (Box-Cox needs values above 0).
    OutOfDomain,
}

/// A unit variant's name on the wire (its serde name): the one spelling adapters use, never a
/// string copy of it.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

impl ErrorCode {
    /// Every code, in declaration order: for what must cover them all (docs/api.md's error table
    /// and docs/openapi.yaml's code list are tested against it, tests/docs.rs). The compiler
    /// keeps it complete: see the check below the `impl`.
    pub const ALL: [ErrorCode; 28] = [
        ErrorCode::InvalidJson,
        ErrorCode::UnknownBodyShape,
        ErrorCode::WrongFeatureCount,
        ErrorCode::WrongType,
        ErrorCode::MissingField,
        ErrorCode::UnknownField,
        ErrorCode::MissingValue,
        ErrorCode::UnknownCategory,
        ErrorCode::EmptyText,
        ErrorCode::EmptyBatch,
        ErrorCode::NonFiniteNumber,
        ErrorCode::InferenceFailed,
        ErrorCode::RouteNotFound,
        ErrorCode::ModelNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::TooManyRows,
        ErrorCode::ModelUnavailable,
        ErrorCode::InvalidTraffic,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::InvalidPredictionId,
        ErrorCode::FeedbackExpired,
        ErrorCode::DuplicateFeedback,
        ErrorCode::StorageFailed,
        ErrorCode::ExplanationUnavailable,
        ErrorCode::InvalidConfiguration,
        ErrorCode::OutOfDomain,
    ];

    /// The code as the error body spells it (`invalid_json`).
    pub fn name(self) -> String {
        wire_name(&self)
    }

    /// The HTTP status this error answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::RouteNotFound | ErrorCode::ModelNotFound => 404,
            ErrorCode::DuplicateFeedback => 409,
            ErrorCode::FeedbackExpired => 410,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::PayloadTooLarge | ErrorCode::TooManyRows => 413,
            ErrorCode::InferenceFailed => 500,
            ErrorCode::ModelUnavailable
            | ErrorCode::StorageFailed
            | ErrorCode::InvalidConfiguration => 503,
            _ => 400,
        }
    }
}

// `ErrorCode::ALL` is complete, checked at compile time: its i-th entry is the i-th variant (a
// variant inserted or moved breaks this), and its last entry is the last variant, which
// `is_last` names in a match without a wildcard (a variant added at the end does not compile
// until it is sorted there, and once it is the last one, ALL must end with it).
const _: () = {
    const fn is_last(code: ErrorCode) -> bool {
        use ErrorCode::*;
        match code {
            OutOfDomain => true,
            InvalidJson
            | UnknownBodyShape
            | WrongFeatureCount
            | WrongType
            | MissingField
            | UnknownField
            | MissingValue
            | UnknownCategory
            | EmptyText
            | EmptyBatch
            | NonFiniteNumber
            | InferenceFailed
            | RouteNotFound
            | ModelNotFound
            | MethodNotAllowed
            | PayloadTooLarge
            | TooManyRows
            | ModelUnavailable
            | InvalidTraffic
            | Unauthorized
            | Forbidden
            | InvalidPredictionId
            | FeedbackExpired
            | DuplicateFeedback
            | StorageFailed
            | ExplanationUnavailable
            | InvalidConfiguration => false,
        }
    }
    let all = ErrorCode::ALL;
    let mut i = 0;
    while i < all.len() {
        assert!(
            all[i] as usize == i,
            "ErrorCode::ALL must list the variants in order"
        );
        i += 1;
    }
    assert!(
        is_last(all[all.len() - 1]),
        "ErrorCode::ALL must end with the last variant"
    );
};

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn for_field(
        code: ErrorCode,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// Prefixes the message with the row position, for batch requests.
    pub fn in_row(mut self, row: usize, rows: usize) -> Self {
        if rows > 1 {
            self.message = format!("row {row}: {}", self.message);
        }
        self
    }
}

/// A bundle that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("manifest.json is invalid: {0}")]
    Manifest(String),
    /// A file or a declared size past [`crate::bundle::limits`].
    #[error("the bundle asks too much: {0}")]
    TooLarge(String),
    #[error(
        "bundle format version {found} is newer than this wasmpredict supports ({supported}); \
         upgrade wasmpredict or re-export the model with a matching exporter"
    )]
    NewerFormat { found: u32, supported: u32 },
    #[error("file {0} is listed in the manifest but missing from the bundle")]
    MissingFile(String),
    #[error("sha256 mismatch for {file}: manifest says {expected}, file has {actual}")]
    HashMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("featurizer: {0}")]
    Featurizer(String),
    #[error("model.onnx: {0}")]
    Model(String),
    /// The graph is outside the compact engine and this build has no tract: load the bundle
    /// with a tract-enabled build (the browser predictor does so by itself).
    #[error("model.onnx: {0}")]
    NeedsTract(String),
    #[error("golden.json is invalid: {0}")]
    Golden(String),
}

/// What kind of refusal a [`BundleError`] is, for callers that branch on it (the browser
/// predictor loads its tract-enabled build on `needs_tract`). The serialized names are part of
/// the JS API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BundleErrorCode {
    InvalidBundle,
    NeedsTract,
}

impl BundleError {
    pub fn code(&self) -> BundleErrorCode {
        match self {
            BundleError::NeedsTract(_) => BundleErrorCode::NeedsTract,
            _ => BundleErrorCode::InvalidBundle,
        }
    }
}
