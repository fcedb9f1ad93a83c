//! The wasmpredict core as a Python module, `wasmpredict._native`: a thin adapter, as `cli/`,
//! `web/` and `worker/` are. The Python package (`wasmpredict/model.py`) turns whatever table a
//! user has (pandas, pyarrow, polars, records, numpy) into one column buffer per schema field;
//! here those columns become the core's typed cells, slice by slice on every core with the GIL
//! released, and the answers go back as packed little-endian arrays numpy reads without a copy
//! per value.

mod columns;
mod errors;
mod model;
mod table;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<model::NativeModel>()?;
    m.add("FORMAT_VERSION", wasmpredict::bundle::FORMAT_VERSION)?;
    Ok(())
}
