//! Rules of the code base that a reader should not have to check by hand.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file a deployed function runs.
fn request_path_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    rust_files(&root.join("shared/src"), &mut files);
    rust_files(&root.join("functions"), &mut files);
    assert!(files.len() > 10, "found the sources");
    files
}

#[test]
fn no_request_path_scans_the_table() {
    for file in request_path_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in [".scan()", "ScanInput", "operation::scan"] {
            assert!(
                !text.contains(needle),
                "{} uses Scan ({needle})",
                file.display()
            );
        }
    }
}

#[test]
fn only_the_key_module_spells_keys() {
    for file in request_path_sources() {
        if file.ends_with("keys.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may spell keys to check them.
        let text = text.split("#[cfg(test)]").next().unwrap();
        for prefix in [
            "\"USER#",
            "\"FEEDBACK#",
            "\"REJECTION#",
            "\"IDEMPOTENCY#",
            "#APP#",
        ] {
            assert!(
                !text.contains(prefix),
                "{} spells a key ({prefix}); use shared::keys",
                file.display()
            );
        }
    }
}
