//! Sparse featurized rows: what a wide featurizer (one-hot, tf-idf) produces and a linear
//! model reads without writing the zeros.

/// Row-major sparse rows (CSR): per row, `(column, value)` pairs in column order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    offsets: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
    cols: usize,
}

impl SparseRows {
    pub fn new(cols: usize) -> SparseRows {
        SparseRows {
            offsets: vec![0],
            columns: Vec::new(),
            values: Vec::new(),
            cols,
        }
    }

    pub fn from_dense(x: &[f32], cols: usize) -> SparseRows {
        let mut s = SparseRows::new(cols);
        for row in x.chunks_exact(cols.max(1)) {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    s.columns.push(j as u32);
                    s.values.push(v);
                }
            }
            s.end_row();
        }
        s
    }

    /// Appends one entry to the row being built (columns must come in increasing order).
    pub fn push(&mut self, column: u32, value: f32) {
        self.columns.push(column);
        self.values.push(value);
    }

    /// Closes the row being built.
    pub fn end_row(&mut self) {
        self.offsets.push(self.columns.len());
    }

    /// Drops the entries of the row being built (after an error in it).
    pub fn abandon_row(&mut self) {
        let start = self.offsets.last().copied().unwrap_or(0);
        self.columns.truncate(start);
        self.values.truncate(start);
    }

    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn row(&self, r: usize) -> impl Iterator<Item = (&u32, &f32)> {
        let (a, b) = (self.offsets[r], self.offsets[r + 1]);
        self.columns[a..b].iter().zip(&self.values[a..b])
    }

    pub fn to_dense(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows() * self.cols];
        for r in 0..self.rows() {
            for (&j, &v) in self.row(r) {
                out[r * self.cols + j as usize] = v;
            }
        }
        out
    }
}
