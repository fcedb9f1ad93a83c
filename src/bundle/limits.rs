//! What a bundle may ask for. A bundle can come from anywhere (a page loads one by URL), so each
//! size it declares is checked against these before anything is allocated for it, and a bundle
//! past one is refused with a message naming the limit. They sit far above any model we export
//! (news: 8,000 terms; rf-classification: 100 trees, ~40,000 nodes) and far below what would
//! take a server, a Worker isolate or a tab down.

/// Bytes of one bundle file, the manifest included (checked before a file is read).
pub const MAX_FILE_BYTES: usize = 512 << 20;
/// Columns the graph reads (`n_features`); a row is allocated at this width.
pub const MAX_FEATURES: usize = 1 << 22;
/// Classes of a classifier, targets of a regressor.
pub const MAX_OUTPUTS: usize = 1 << 16;
/// Nodes of one tree ensemble, all trees together.
pub const MAX_TREE_NODES: usize = 1 << 24;
/// Leaves × outputs of one tree ensemble: the leaf table the evaluator lays out.
pub const MAX_LEAF_VALUES: usize = 1 << 26;
/// Depth of a tree that is explained: TreeSHAP's path memory grows with its square, and its
/// walk recurses once per level.
pub const MAX_EXPLAINED_DEPTH: usize = 512;
/// Elements of one tensor a graph makes tract build while loading (initializers, and the
/// constants that ConstantOfShape, Expand, Tile and Range fold into).
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 26;
/// The degree of one `PolynomialFeatures` term (the sum of its powers).
pub const MAX_POLYNOMIAL_DEGREE: usize = 64;
/// Feature values of one request (rows × `n_features`, dense): the batch is refused past it
/// with `too_many_rows`, naming how many rows this model takes.
pub const MAX_BATCH_VALUES: usize = 1 << 27;

/// `what` is within `limit`, or the refusal that says so. Counted in u64, so that the number in
/// the message is the same on 32-bit wasm as natively.
pub fn check(what: &str, value: u64, limit: usize) -> Result<(), String> {
    if value > limit as u64 {
        return Err(format!(
            "{what}: {value}, past this build's limit of {limit} (src/bundle/limits.rs)"
        ));
    }
    Ok(())
}
