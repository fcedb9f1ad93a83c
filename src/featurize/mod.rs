//! sklearn's fitted preprocessing, re-implemented from the manifest's parameters.
//!
//! A [`Featurizer`] is compiled once per bundle from its [`Step`] tree: column positions are
//! resolved, vocabularies hashed, and every column's raw field remembered (its lineage) so that
//! an error deep in a ColumnTransformer still names the field the caller sent. Each request row
//! is a slice of [`Cell`]s in schema order; the output is the `f32` row the ONNX graph reads,
//! dense, or sparse for a linear model that takes it (a 20-word review is ~40 non-zeros of an
//! 8000-wide tf-idf row: text, one-hot and DictVectorizer steps then write only their non-zeros).
//!
//! One file per step, each mirroring that sklearn transformer's `transform`.

mod categories;
mod column_transformer;
mod dict_vectorizer;
mod elementwise;
mod fast_hash;
mod imputer;
mod kbins;
mod normalizer;
mod one_hot;
mod ordinal;
mod polynomial;
mod power;
mod projection;
mod quantile;
mod scalers;
mod scratch;
mod select;
mod sparse;
mod target_encoder;
pub mod text;
mod word_chars;

use elementwise::PerValue;
pub use scratch::Scratch;
pub use sparse::SparseRows;

use crate::bundle::manifest::{Field, Step};
use crate::error::{ApiError, ErrorCode};
use crate::input::Cell;

/// What is known at compile time about the columns a step reads: how many, for each the raw
/// input field it still is (`lineage`: None once a transformer has encoded it, e.g. one-hot
/// outputs), and the raw field it is computed from (`origin`: kept through encodings, so that an
/// explanation can fold a one-hot column or a term back into its field).
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    pub lineage: Vec<Option<usize>>,
    pub origin: Vec<Option<usize>>,
}

impl Columns {
    /// The raw fields themselves.
    fn fields(n: usize) -> Columns {
        Columns {
            lineage: (0..n).map(Some).collect(),
            origin: (0..n).map(Some).collect(),
        }
    }

    /// An encoding's output columns: `sources[j]` is the input column output `j` is computed
    /// from.
    fn encoded(input: &Columns, sources: impl IntoIterator<Item = Option<usize>>) -> Columns {
        let origin: Vec<Option<usize>> = sources
            .into_iter()
            .map(|c| c.and_then(|c| input.origin.get(c).copied().flatten()))
            .collect();
        Columns {
            lineage: vec![None; origin.len()],
            origin,
        }
    }

    /// The columns at `positions` of these.
    fn select(&self, positions: &[usize]) -> Columns {
        Columns {
            lineage: positions.iter().map(|&c| self.lineage[c]).collect(),
            origin: positions.iter().map(|&c| self.origin[c]).collect(),
        }
    }

    fn width(&self) -> usize {
        self.lineage.len()
    }
}

/// Field names of the schema, to name fields in errors.
pub(crate) type FieldNames = [String];

/// The compiled featurizer of one bundle.
#[derive(Debug, Clone)]
pub struct Featurizer {
    root: Compiled,
    field_names: Vec<String>,
    out_lineage: Vec<Option<usize>>,
    out_origin: Vec<Option<usize>>,
    accepts_nan: bool,
}

#[derive(Debug, Clone)]
enum Compiled {
    Pipeline(Vec<Compiled>),
    Passthrough,
    ColumnTransformer(column_transformer::ColumnTransformer),
    StandardScaler(PerValue<scalers::StandardScaler>),
    MinMaxScaler(PerValue<scalers::MinMaxScaler>),
    Imputer(imputer::SimpleImputer),
    OneHot(one_hot::OneHotEncoder),
    Dict(dict_vectorizer::DictVectorizer),
    Text(text::TextVectorizer),
    Binarizer(PerValue<elementwise::Binarizer>),
    Function(PerValue<elementwise::Function>),
    Normalizer(normalizer::Normalizer),
    Ordinal(ordinal::OrdinalEncoder),
    Polynomial(polynomial::Polynomial),
    Projection(projection::Projection),
    Select(select::Select),
    MissingIndicator(select::MissingIndicator),
    Power(PerValue<power::Power>),
    Kbins(PerValue<kbins::Kbins>),
    TargetEncoder(target_encoder::TargetEncoder),
    Quantile(PerValue<quantile::Quantile>),
}

impl Featurizer {
    /// Compiles `step` for the raw `fields`; checks the output width against `n_features`.
    pub fn compile(
        step: &Step,
        fields: &[Field],
        n_features: usize,
        accepts_nan: bool,
    ) -> Result<Featurizer, String> {
        let field_names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
        let input = Columns::fields(fields.len());
        let (root, out) = compile(step, &input, &field_names)?;
        if out.width() != n_features {
            return Err(format!(
                "featurizer produces {} columns but n_features is {n_features}",
                out.width()
            ));
        }
        Ok(Featurizer {
            root,
            field_names,
            out_lineage: out.lineage,
            out_origin: out.origin,
            accepts_nan,
        })
    }

    pub fn n_features(&self) -> usize {
        self.out_lineage.len()
    }

    /// Per model feature: the raw field it is computed from (None: from several).
    pub fn column_fields(&self) -> Vec<Option<usize>> {
        self.out_origin.clone()
    }

    /// What a model feature stands for within its field, where an encoding says: a text's term,
    /// a category's value.
    pub fn column_label(&self, column: usize) -> Option<String> {
        self.root.label(column)
    }

    /// The compiled text vectorizer that reads raw field `field`, if one does.
    pub fn text_vectorizer(&self, field: &str) -> Option<&text::TextVectorizer> {
        self.root.text_vectorizer(field)
    }

    /// Whether the featurizer hands every raw field to the model unchanged, in order.
    pub fn is_passthrough(&self) -> bool {
        let identity = self
            .out_lineage
            .iter()
            .enumerate()
            .all(|(i, l)| *l == Some(i))
            && self.out_lineage.len() == self.field_names.len();
        identity
            && match &self.root {
                Compiled::Passthrough => true,
                Compiled::Pipeline(steps) => {
                    steps.iter().all(|s| matches!(s, Compiled::Passthrough))
                }
                _ => false,
            }
    }

    /// Transforms one raw row (cells in schema order) into the model's features, in float64 as
    /// sklearn computes them.
    pub fn transform(&self, row: &[Cell<'_>]) -> Result<Vec<f64>, ApiError> {
        let mut cells = Vec::with_capacity(self.n_features());
        self.root
            .transform(row, &mut cells, &self.field_names, &mut Scratch::default())?;
        cells
            .iter()
            .enumerate()
            .map(|(i, cell)| self.value(i, *cell))
            .collect()
    }

    /// Transforms one raw row and appends its features to `out` as the graph's float32 (the
    /// float64 of [`Featurizer::transform`], rounded), reusing `scratch`'s buffers; on error
    /// nothing is appended.
    pub fn transform_into<'a>(
        &'a self,
        row: &[Cell<'a>],
        out: &mut Vec<f32>,
        scratch: &mut Scratch<'a>,
    ) -> Result<(), ApiError> {
        let mut cells = std::mem::take(&mut scratch.row);
        cells.clear();
        let result = self
            .root
            .transform(row, &mut cells, &self.field_names, scratch)
            .and_then(|()| {
                let start = out.len();
                for (i, cell) in cells.iter().enumerate() {
                    match self.value(i, *cell) {
                        Ok(x) => out.push(x as f32),
                        Err(e) => {
                            out.truncate(start);
                            return Err(e);
                        }
                    }
                }
                Ok(())
            });
        scratch.row = cells;
        result
    }

    /// Transforms one raw row and appends it to `out` as a sparse row: the same values as
    /// [`Featurizer::transform_into`], zeros left out. On error nothing is appended.
    pub fn transform_sparse(&self, row: &[Cell<'_>], out: &mut SparseRows) -> Result<(), ApiError> {
        let mut entries = Vec::new();
        self.root
            .transform_sparse(row, 0, &mut entries, &self.field_names)?;
        // Every step writes its entries in column order and steps write disjoint, increasing
        // column ranges, so the row is in column order, as a linear model sums it.
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        for &(column, cell) in &entries {
            match self.value(column as usize, cell) {
                Ok(x) => out.push(column, x as f32),
                Err(e) => {
                    out.abandon_row();
                    return Err(e);
                }
            }
        }
        out.end_row();
        Ok(())
    }

    /// A featurized cell as the number the model reads, refusing what it cannot read.
    fn value(&self, column: usize, cell: Cell<'_>) -> Result<f64, ApiError> {
        let x = match cell {
            Cell::Num(x) => x,
            Cell::Bool(b) => f64::from(u8::from(b)),
            Cell::Missing => f64::NAN,
            Cell::Str(s) => {
                return Err(self.column_error(
                    column,
                    ErrorCode::WrongType,
                    format!("got the string {s:?} where the model needs a number"),
                ))
            }
        };
        if x.is_nan() && !self.accepts_nan {
            return Err(self.column_error(
                column,
                ErrorCode::MissingValue,
                "is missing and the model has no imputer for it".to_string(),
            ));
        }
        if x.is_finite() && (x as f32).is_infinite() {
            // sklearn computes this step in float64; the graph reads float32.
            return Err(match self.out_lineage.get(column).copied().flatten() {
                Some(f) => past_float32(&self.field_names[f], x),
                None => self.column_error(column, ErrorCode::NonFiniteNumber, past_float32_what(x)),
            });
        }
        Ok(x)
    }

    fn column_error(&self, column: usize, code: ErrorCode, what: String) -> ApiError {
        match self.out_lineage.get(column).copied().flatten() {
            Some(f) => {
                let name = &self.field_names[f];
                ApiError::for_field(code, name.clone(), format!("field '{name}' {what}"))
            }
            None => ApiError::new(code, format!("feature column {column} {what}")),
        }
    }
}

/// A finite number the graph cannot read: ONNX models take float32, and sklearn's own
/// check_array refuses a value "too large for dtype('float32')" where it computes in float32.
/// One wording for the raw value and the featurized one (the fast numeric path says the same).
pub(crate) fn past_float32(field: &str, x: f64) -> ApiError {
    ApiError::for_field(
        ErrorCode::NonFiniteNumber,
        field,
        format!("field '{field}' {}", past_float32_what(x)),
    )
}

fn past_float32_what(x: f64) -> String {
    format!("gives the model {x:e}, past float32's range (±3.4e38), which the model reads")
}

fn compile(
    step: &Step,
    input: &Columns,
    names: &FieldNames,
) -> Result<(Compiled, Columns), String> {
    Ok(match step {
        Step::Pipeline { steps } => {
            let mut current = input.clone();
            let mut compiled = Vec::with_capacity(steps.len());
            for s in steps {
                let (c, out) = compile(s, &current, names)?;
                compiled.push(c);
                current = out;
            }
            (Compiled::Pipeline(compiled), current)
        }
        Step::Passthrough => (Compiled::Passthrough, input.clone()),
        Step::ColumnTransformer { transformers } => {
            let (ct, out) =
                column_transformer::ColumnTransformer::compile(transformers, input, names)?;
            (Compiled::ColumnTransformer(ct), out)
        }
        Step::StandardScaler { mean, scale } => {
            let s = scalers::StandardScaler::compile(mean, scale, input)?;
            (
                Compiled::StandardScaler(PerValue::new(s, input)),
                input.clone(),
            )
        }
        Step::MinMaxScaler {
            scale,
            min,
            clip,
            feature_range,
        } => {
            let s = scalers::MinMaxScaler::compile(scale, min, *clip, *feature_range, input)?;
            (
                Compiled::MinMaxScaler(PerValue::new(s, input)),
                input.clone(),
            )
        }
        Step::SimpleImputer { statistics } => (
            Compiled::Imputer(imputer::SimpleImputer::compile(statistics, input)?),
            input.clone(),
        ),
        Step::OneHotEncoder {
            categories,
            handle_unknown,
            drop_idx,
        } => {
            let enc = one_hot::OneHotEncoder::compile(
                categories,
                *handle_unknown,
                drop_idx.as_deref(),
                input,
                names,
            )?;
            let out = Columns::encoded(input, enc.output_sources().into_iter().map(Some));
            (Compiled::OneHot(enc), out)
        }
        Step::DictVectorizer {
            feature_names,
            separator,
        } => {
            let dv =
                dict_vectorizer::DictVectorizer::compile(feature_names, separator, input, names)?;
            let out = Columns::encoded(input, dv.output_sources());
            (Compiled::Dict(dv), out)
        }
        Step::TextVectorizer(params) => {
            let tv = text::TextVectorizer::compile(params, input, names)?;
            let width = params.vocabulary.len();
            (
                Compiled::Text(tv),
                Columns::encoded(input, vec![Some(0); width]),
            )
        }
        Step::Binarizer { threshold } => (
            Compiled::Binarizer(PerValue::new(
                elementwise::Binarizer::compile(*threshold)?,
                input,
            )),
            input.clone(),
        ),
        Step::Function { func } => (
            Compiled::Function(PerValue::new(elementwise::Function::compile(*func), input)),
            input.clone(),
        ),
        Step::Normalizer { norm } => (
            Compiled::Normalizer(normalizer::Normalizer::compile(*norm, input)),
            input.clone(),
        ),
        Step::OrdinalEncoder {
            categories,
            handle_unknown,
            unknown_value,
            encoded_missing_value,
        } => {
            let enc = ordinal::OrdinalEncoder::compile(
                categories,
                *handle_unknown,
                *unknown_value,
                *encoded_missing_value,
                input,
                names,
            )?;
            let out = Columns::encoded(input, (0..input.width()).map(Some));
            (Compiled::Ordinal(enc), out)
        }
        Step::Polynomial { powers } => {
            let (p, sources) = polynomial::Polynomial::compile(powers, input)?;
            (Compiled::Polynomial(p), Columns::encoded(input, sources))
        }
        Step::Projection {
            components,
            offset,
            scale,
        } => {
            let p = projection::Projection::compile(components, offset, scale, input)?;
            let out = Columns::encoded(input, vec![None; p.width()]);
            (Compiled::Projection(p), out)
        }
        Step::Select { columns } => {
            let (s, out) = select::Select::compile(columns, input)?;
            (Compiled::Select(s), out)
        }
        Step::MissingIndicator {
            columns,
            error_on_new,
        } => {
            let (m, out) = select::MissingIndicator::compile(columns, *error_on_new, input)?;
            (Compiled::MissingIndicator(m), out)
        }
        Step::Power { method, lambdas } => (
            Compiled::Power(PerValue::new(
                power::Power::compile(*method, lambdas, input)?,
                input,
            )),
            input.clone(),
        ),
        Step::Kbins { edges } => {
            let k = kbins::Kbins::compile(edges, input)?;
            let out = Columns::encoded(input, (0..input.width()).map(Some));
            (Compiled::Kbins(PerValue::new(k, input)), out)
        }
        Step::TargetEncoder {
            categories,
            encodings,
            target_mean,
        } => {
            let (t, sources) = target_encoder::TargetEncoder::compile(
                categories,
                encodings,
                target_mean,
                input,
                names,
            )?;
            let out = Columns::encoded(input, sources.into_iter().map(Some));
            (Compiled::TargetEncoder(t), out)
        }
        Step::Quantile {
            output,
            quantiles,
            references,
        } => (
            Compiled::Quantile(PerValue::new(
                quantile::Quantile::compile(*output, quantiles, references, input)?,
                input,
            )),
            input.clone(),
        ),
    })
}

impl Compiled {
    fn transform<'a>(
        &'a self,
        input: &[Cell<'a>],
        out: &mut Vec<Cell<'a>>,
        names: &FieldNames,
        scratch: &mut Scratch<'a>,
    ) -> Result<(), ApiError> {
        match self {
            Compiled::Pipeline(steps) => {
                let mut current = scratch.take();
                current.extend_from_slice(input);
                let mut next = scratch.take();
                let mut result = Ok(());
                for step in steps {
                    next.clear();
                    result = step.transform(&current, &mut next, names, scratch);
                    if result.is_err() {
                        break;
                    }
                    std::mem::swap(&mut current, &mut next);
                }
                if result.is_ok() {
                    out.extend_from_slice(&current);
                }
                scratch.give(current);
                scratch.give(next);
                result
            }
            Compiled::Passthrough => {
                out.extend_from_slice(input);
                Ok(())
            }
            Compiled::ColumnTransformer(ct) => ct.transform(input, out, names, scratch),
            Compiled::StandardScaler(s) => s.transform(input, out, names),
            Compiled::MinMaxScaler(s) => s.transform(input, out, names),
            Compiled::Imputer(s) => {
                s.transform(input, out);
                Ok(())
            }
            Compiled::OneHot(s) => s.transform(input, out),
            Compiled::Dict(s) => {
                s.transform(input, out);
                Ok(())
            }
            Compiled::Text(s) => s.transform(input, out),
            Compiled::Binarizer(s) => s.transform(input, out, names),
            Compiled::Function(s) => s.transform(input, out, names),
            Compiled::Normalizer(s) => s.transform(input, out, names),
            Compiled::Ordinal(s) => s.transform(input, out),
            Compiled::Polynomial(s) => s.transform(input, out, names),
            Compiled::Projection(s) => s.transform(input, out, names),
            Compiled::Select(s) => {
                s.transform(input, out);
                Ok(())
            }
            Compiled::MissingIndicator(s) => s.transform(input, out, names),
            Compiled::Power(s) => s.transform(input, out, names),
            Compiled::Kbins(s) => s.transform(input, out, names),
            Compiled::TargetEncoder(s) => {
                s.transform(input, out);
                Ok(())
            }
            Compiled::Quantile(s) => s.transform(input, out, names),
        }
    }
}

impl Compiled {
    /// [`Featurizer::text_vectorizer`] within this step.
    fn text_vectorizer(&self, field: &str) -> Option<&text::TextVectorizer> {
        match self {
            Compiled::Text(t) if t.reads(field) => Some(t),
            Compiled::Pipeline(steps) => steps.iter().find_map(|s| s.text_vectorizer(field)),
            Compiled::ColumnTransformer(ct) => ct.steps().find_map(|s| s.text_vectorizer(field)),
            _ => None,
        }
    }

    /// [`Featurizer::column_label`] of this step's output `column`.
    fn label(&self, column: usize) -> Option<String> {
        match self {
            // The last step that encodes decides what a column stands for; steps that keep
            // their input's columns are looked through, and a selection maps the column back.
            Compiled::Pipeline(steps) => {
                let mut column = column;
                for step in steps.iter().rev() {
                    match step {
                        Compiled::Select(s) => column = s.source(column)?,
                        keeps if keeps.keeps_columns() => {}
                        encoding => return encoding.label(column),
                    }
                }
                None
            }
            Compiled::ColumnTransformer(ct) => ct.label(column),
            Compiled::OneHot(s) => s.label(column),
            Compiled::Dict(s) => s.label(column),
            Compiled::Text(s) => s.label(column),
            Compiled::MissingIndicator(_) => Some("missing".to_string()),
            _ => None,
        }
    }

    /// Whether output column `j` is input column `j`, transformed by itself.
    fn keeps_columns(&self) -> bool {
        matches!(
            self,
            Compiled::Passthrough
                | Compiled::StandardScaler(_)
                | Compiled::MinMaxScaler(_)
                | Compiled::Imputer(_)
                | Compiled::Binarizer(_)
                | Compiled::Function(_)
                | Compiled::Normalizer(_)
                | Compiled::Power(_)
                | Compiled::Quantile(_)
        )
    }
}

/// A featurized cell at an output column.
type Entry<'a> = (u32, Cell<'a>);

impl Compiled {
    /// Like [`Compiled::transform`], appending only the non-zero cells, each with its column
    /// (`offset` + its position in this step's output).
    fn transform_sparse<'a>(
        &'a self,
        input: &[Cell<'a>],
        offset: usize,
        out: &mut Vec<Entry<'a>>,
        names: &FieldNames,
    ) -> Result<(), ApiError> {
        match self {
            Compiled::Pipeline(steps) => match steps.split_last() {
                None => {
                    push_non_zero(input.iter().copied(), offset, out);
                    Ok(())
                }
                Some((last, first)) => {
                    let mut current: Vec<Cell<'a>> = input.to_vec();
                    let mut next = Vec::new();
                    let mut scratch = Scratch::default();
                    for step in first {
                        next.clear();
                        step.transform(&current, &mut next, names, &mut scratch)?;
                        std::mem::swap(&mut current, &mut next);
                    }
                    last.transform_sparse(&current, offset, out, names)
                }
            },
            Compiled::ColumnTransformer(ct) => ct.transform_sparse(input, offset, out, names),
            Compiled::OneHot(s) => s.transform_sparse(input, offset, out),
            Compiled::Dict(s) => {
                s.transform_sparse(input, offset, out);
                Ok(())
            }
            Compiled::Text(s) => s.transform_sparse(input, offset, out),
            dense => dense_entries(dense, input, offset, out, names),
        }
    }
}

/// The non-zero cells of a step that has no sparse form of its own.
fn dense_entries<'a>(
    step: &'a Compiled,
    input: &[Cell<'a>],
    offset: usize,
    out: &mut Vec<Entry<'a>>,
    names: &FieldNames,
) -> Result<(), ApiError> {
    let mut cells = Vec::new();
    step.transform(input, &mut cells, names, &mut Scratch::default())?;
    push_non_zero(cells, offset, out);
    Ok(())
}

fn push_non_zero<'a>(
    cells: impl IntoIterator<Item = Cell<'a>>,
    offset: usize,
    out: &mut Vec<Entry<'a>>,
) {
    let is_zero = |c: &Cell<'_>| matches!(c, Cell::Num(x) if *x == 0.0) || *c == Cell::Bool(false);
    out.extend(
        cells
            .into_iter()
            .enumerate()
            .filter(|(_, c)| !is_zero(c))
            .map(|(i, c)| ((offset + i) as u32, c)),
    );
}

/// Reads a cell as sklearn's float conversion would, or says which field held a string.
pub(crate) fn numeric(
    cell: Cell<'_>,
    lineage: Option<usize>,
    names: &FieldNames,
) -> Result<f64, ApiError> {
    match cell {
        Cell::Num(x) => Ok(x),
        Cell::Bool(b) => Ok(f64::from(u8::from(b))),
        Cell::Missing => Ok(f64::NAN),
        Cell::Str(s) => Err(match lineage.and_then(|f| names.get(f)) {
            Some(name) => ApiError::for_field(
                ErrorCode::WrongType,
                name.clone(),
                format!("field '{name}' must be a number, got the string {s:?}"),
            ),
            None => ApiError::new(
                ErrorCode::WrongType,
                format!("a numeric step got the string {s:?}"),
            ),
        }),
    }
}

/// An error about one input cell: "field 'x' {what}" when the cell comes from a field, else
/// "a value {what}".
pub(crate) fn field_error(
    code: ErrorCode,
    lineage: Option<usize>,
    names: &FieldNames,
    what: &str,
) -> ApiError {
    match lineage.and_then(|f| names.get(f)) {
        Some(name) => ApiError::for_field(code, name.clone(), format!("field '{name}' {what}")),
        None => ApiError::new(code, format!("a value {what}")),
    }
}

/// A row's cells as numbers ([`numeric`] each), for steps that combine several columns.
pub(crate) fn numeric_row(
    input: &[Cell<'_>],
    lineage: &[Option<usize>],
    names: &FieldNames,
) -> Result<Vec<f64>, ApiError> {
    input
        .iter()
        .zip(lineage)
        .map(|(c, l)| numeric(*c, *l, names))
        .collect()
}

/// Every input position a step reads (`what` names the step) exists.
fn check_positions(what: &str, columns: &[usize], input: &Columns) -> Result<(), String> {
    match columns.iter().find(|&&c| c >= input.width()) {
        Some(bad) => Err(format!("{what} reads column {bad} of {}", input.width())),
        None => Ok(()),
    }
}

fn check_width(what: &str, len: usize, input: &Columns) -> Result<(), String> {
    if len != input.width() {
        return Err(format!(
            "{what} has {len} entries for {} input columns",
            input.width()
        ));
    }
    Ok(())
}
