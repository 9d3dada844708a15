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
    rust_files(&root.join("shared"), &mut files);
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
            "\"CALENDAR#",
            "#APP#",
        ] {
            assert!(
                !text.contains(prefix),
                "{} spells a key ({prefix}); use store::keys",
                file.display()
            );
        }
    }
}

/// axum's own extractors whose rejection is a bare-text response, not problem+json.
const PLAIN_TEXT_REJECTIONS: [&str; 5] = ["Path", "Json", "Query", "Form", "Multipart"];

/// The names a file takes from `axum::extract` (`axum::extract::Name` or `axum::extract::{…}`)
/// and from `axum::` directly (`axum::Json`).
fn axum_extractors(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in text.split("axum::").skip(1) {
        let part = part.strip_prefix("extract::").unwrap_or(part);
        let list = match part.strip_prefix('{') {
            // The whole `use` group, nested groups included (`{extract::{Path}, Json}`).
            Some(braced) => braced.split(';').next().unwrap_or_default(),
            None => part
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default(),
        };
        // `axum::{extract::Path, …}` names the extractor by its last segment.
        names.extend(
            list.split([',', '{', '}'])
                .filter_map(|name| name.rsplit("::").next())
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned),
        );
    }
    // `use axum::extract;` then `extract::Path(…)`: the module itself taken from axum makes
    // every bare `extract::Name` axum's.
    if names.iter().any(|name| name == "extract") {
        for (start, _) in text.match_indices("extract::") {
            if !text[..start].ends_with("::") {
                let rest = &text[start + "extract::".len()..];
                let name = rest
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next();
                names.extend(name.filter(|n| !n.is_empty()).map(str::to_owned));
            }
        }
    }
    names
}

#[test]
fn handlers_take_only_extractors_that_answer_problem_json() {
    assert_eq!(
        axum_extractors("use axum::extract::{Path, State};"),
        ["Path", "State"]
    );
    assert_eq!(axum_extractors("axum::Json(x)"), ["Json"]);
    assert_eq!(
        axum_extractors("use axum::{extract::Query, http};"),
        ["Query", "http"]
    );
    assert_eq!(
        axum_extractors("use axum::{extract::{Path, State}, Json};"),
        ["Path", "State", "Json"]
    );
    assert_eq!(
        axum_extractors("use axum::extract;\nfn f(extract::Json(x): extract::Json<X>) {}"),
        ["extract", "Json", "Json"]
    );
    // The project's own `api::extract` is not axum's.
    assert!(axum_extractors("use api::extract;\nfn f(extract::Json(x): J) {}").is_empty());
    for file in request_path_sources() {
        // The one place that wraps axum's extractors, mapping their rejections to `ApiError`.
        if file.ends_with("api/src/extract.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for name in axum_extractors(&text) {
            assert!(
                !PLAIN_TEXT_REJECTIONS.contains(&name.as_str()),
                "{} takes axum's {name}, whose rejection is bare text; use api::extract",
                file.display()
            );
        }
    }
}

/// The modules a file names with `crate::…` or `super::…` (one level), its own excluded.
fn module_uses(file: &Path, text: &str) -> Vec<String> {
    let own = file.file_stem().unwrap().to_string_lossy().to_string();
    let mut used = Vec::new();
    for prefix in ["crate::", "super::"] {
        for part in text.split(prefix).skip(1) {
            // `crate::a::b` names `a`; `crate::{a::b, c}` names `a` and `c`.
            let names: Vec<&str> = match part.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap().split(',').collect(),
                None => vec![part],
            };
            for name in names {
                let name: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != own && !used.contains(&name) {
                    used.push(name);
                }
            }
        }
    }
    used
}

/// Inside each crate under `shared/`, the modules (files beside `lib.rs`) use one another in
/// one direction only: no file reaches, through any chain of `crate::`/`super::` uses, back to
/// itself. `lib.rs` (which declares and re-exports) is the root, not a module of the graph.
/// Between crates the direction domain ← store ← api is the compiler's: each `Cargo.toml`
/// names only the layers below it.
#[test]
fn modules_inside_each_shared_crate_use_each_other_without_circles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    for krate in ["domain", "store", "api"] {
        let src = root.join("shared").join(krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let graph: std::collections::BTreeMap<String, Vec<String>> = files
            .iter()
            .filter(|file| !file.ends_with("lib.rs"))
            .map(|file| {
                let text = std::fs::read_to_string(file).unwrap();
                let text = text.split("#[cfg(test)]").next().unwrap().to_owned();
                let name = file.file_stem().unwrap().to_string_lossy().to_string();
                (name, module_uses(file, &text))
            })
            .collect();
        for start in graph.keys() {
            let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
            while let Some((node, path)) = stack.pop() {
                for next in graph.get(&node).into_iter().flatten() {
                    assert!(
                        next != start,
                        "shared/{krate}: import circle {} -> {next}",
                        path.join(" -> ")
                    );
                    if graph.contains_key(next) && !path.contains(next) {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push((next.clone(), longer));
                    }
                }
            }
        }
    }
}

#[test]
fn layers_depend_only_downwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let manifest = |krate: &str| {
        std::fs::read_to_string(root.join("shared").join(krate).join("Cargo.toml")).unwrap()
    };
    let depends = |krate: &str, on: &str| manifest(krate).contains(&format!("\n{on}.workspace"));
    for (krate, forbidden) in [
        (
            "domain",
            &["store", "api", "axum", "lambda_http", "aws-sdk-dynamodb"][..],
        ),
        ("store", &["api", "axum", "lambda_http"][..]),
    ] {
        for dependency in forbidden {
            assert!(
                !depends(krate, dependency),
                "{krate} must not depend on {dependency}"
            );
        }
    }
    assert!(depends("store", "domain") && depends("api", "store") && depends("api", "domain"));
}

/// `make sam-api` builds every function with the `local-claims` feature, which lets `sam local
/// start-api` pass a locally signed token's claims on; a function without it answers 401 to
/// every token there.
#[test]
fn every_function_has_the_local_claims_feature() {
    let functions = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("functions");
    let mut checked = 0;
    for entry in std::fs::read_dir(functions).unwrap().flatten() {
        let manifest = std::fs::read_to_string(entry.path().join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("\n[features]\nlocal-claims = [\"api/local-claims\"]\n"),
            "{} has no local-claims feature",
            entry.path().display()
        );
        checked += 1;
    }
    assert!(checked >= 8, "found the function crates");
}
