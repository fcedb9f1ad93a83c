//! Content-hash staleness: an output must be rebuilt when it is missing or when the hash of the
//! files it is built from differs from the one recorded after its last build (under
//! `TARGET/stamps/`). Content, not mtimes: an edit saved while a build was compiling is older
//! than the output yet missing from it, and mtimes would call the output up to date.

use crate::out::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// An output's inputs hash, and whether the output is there and was built from those inputs.
pub struct Stamp {
    file: PathBuf,
    hash: String,
    fresh: bool,
}

impl Stamp {
    /// The output exists and its inputs are the ones it was last built from.
    pub fn fresh(&self) -> bool {
        self.fresh
    }

    /// Records the inputs as built (hashed before the build began).
    pub fn record(self) -> Result {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&self.file, format!("{}\n", self.hash))
            .context(|| format!("cannot write {}", self.file.display()))
    }
}

/// The stamp of `output` built from `inputs` (files, or directories walked whole), kept in the
/// directory `stamps`.
pub fn check(stamps: &Path, output: &Path, inputs: &[PathBuf]) -> Result<Stamp> {
    let hash = inputs_hash(inputs)?;
    let absolute = std::path::absolute(output).unwrap_or_else(|_| output.to_path_buf());
    let name: String = absolute.to_string_lossy().replace('/', "_");
    let file = stamps.join(format!("{name}.inputs"));
    let recorded = std::fs::read_to_string(&file).unwrap_or_default();
    let fresh = output.exists() && recorded.trim() == hash;
    Ok(Stamp { file, hash, fresh })
}

/// sha256 over every file under `inputs` (paths sorted), of each path and its content.
pub fn inputs_hash(inputs: &[PathBuf]) -> Result<String> {
    let mut files = Vec::new();
    for input in inputs {
        walk(input, &mut files)?;
    }
    files.sort();
    let mut all = Sha256::new();
    for file in files {
        let bytes = std::fs::read(&file).context(|| format!("cannot read {}", file.display()))?;
        all.update(file.to_string_lossy().as_bytes());
        all.update([0]);
        all.update(Sha256::digest(&bytes));
    }
    Ok(hex(&all.finalize()))
}

fn walk(path: &Path, files: &mut Vec<PathBuf>) -> Result {
    let Ok(meta) = std::fs::metadata(path) else {
        // A missing input hashes as nothing (as an empty directory would).
        return Ok(());
    };
    if meta.is_file() {
        files.push(path.to_path_buf());
    } else if meta.is_dir() {
        for entry in
            std::fs::read_dir(path).context(|| format!("cannot list {}", path.display()))?
        {
            walk(&entry?.path(), files)?;
        }
    }
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn an_output_is_fresh_until_an_input_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-stamps-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).expect("dir");
        std::fs::write(dir.join("src/a.rs"), "one").expect("input");
        let (output, stamps, inputs) =
            (dir.join("out.wasm"), dir.join("stamps"), [dir.join("src")]);
        let stamp = check(&stamps, &output, &inputs).expect("hash");
        assert!(!stamp.fresh(), "no output yet");
        std::fs::write(&output, "built").expect("output");
        stamp.record().expect("record");
        assert!(check(&stamps, &output, &inputs).expect("hash").fresh());
        // Same length, same mtime second: content decides.
        std::fs::write(dir.join("src/a.rs"), "two").expect("edit");
        assert!(!check(&stamps, &output, &inputs).expect("hash").fresh());
        std::fs::write(dir.join("src/a.rs"), "one").expect("undo");
        assert!(check(&stamps, &output, &inputs).expect("hash").fresh());
        std::fs::write(dir.join("src/b.rs"), "").expect("new file");
        assert!(!check(&stamps, &output, &inputs).expect("hash").fresh());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
