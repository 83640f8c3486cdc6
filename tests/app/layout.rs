//! The code keeps the shape the README's architecture section describes: only the HTTP layer
//! knows Rocket, no handler performs what a commit makes happen (the database bridge does), no
//! handler spends a rate limit (the command's admission does), and no two modules import each
//! other, however indirectly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its text (test modules cut off: they may use anything).
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let text = match text.find("#[cfg(test)]\nmod tests") {
                    Some(at) => text[..at].to_string(),
                    None => text,
                };
                out.push((path, text));
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&src, &mut out);
    out.sort();
    out
}

/// The path of `file` under `src/`, with `/` separators.
fn relative(file: &Path) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/")
}

/// The HTTP handlers and the helpers they share (`shared.rs`).
fn is_handler(rel: &str) -> bool {
    rel.ends_with("/api.rs") || rel.ends_with("/pages.rs") || rel.ends_with("/shared.rs")
}

#[test]
fn only_the_http_layer_imports_rocket() {
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        let rel = relative(&path);
        let file = rel.rsplit('/').next().unwrap();
        let domain = matches!(file, "service.rs" | "repo.rs" | "model.rs" | "views.rs")
            || rel.contains("/service/")
            || rel == "error.rs";
        if domain && (text.contains("use rocket") || text.contains("rocket::")) {
            offenders.push(rel);
        }
    }
    assert!(offenders.is_empty(), "domain files that import rocket: {offenders:?}");
}

#[test]
fn no_handler_performs_what_a_commit_makes_happen_or_spends_a_rate_limit() {
    let forbidden = [
        ".wake_outbox(",
        "outbox.wake(",
        "notify_one(",
        ".publish(",
        ".disconnect",
        "set_club_name(",
        "set_public(",
        "limits.",
        ".hit(",
    ];
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        let rel = relative(&path);
        if !is_handler(&rel) {
            continue;
        }
        for call in forbidden {
            if text.contains(call) {
                offenders.push(format!("{rel}: {call}"));
            }
        }
    }
    assert!(offenders.is_empty(), "handlers doing the bridge's or a command's work: {offenders:?}");
}

/// The module a file is (`accounts::codes`); the files of a split `service/` folder are one
/// module with it.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> =
        rel.trim_end_matches(".rs").split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn unit_of(module: &[String]) -> String {
    match module.iter().position(|p| p == "service") {
        Some(at) => module[..=at].join("::"),
        None => module.join("::"),
    }
}

/// Every `crate::`, `super::` and `self::` path in `text`, expanded from `use` groups.
fn paths_in(text: &str) -> Vec<String> {
    fn expand(prefix: &str, body: &str, out: &mut Vec<String>) {
        let (mut depth, mut item) = (0, String::new());
        let mut items = Vec::new();
        for ch in body.chars() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(ch);
        }
        items.push(item);
        for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            match item.split_once('{') {
                Some((head, rest)) => {
                    let inner = rest.rsplit_once('}').map_or(rest, |(inner, _)| inner);
                    expand(&format!("{prefix}::{}", head.trim_end_matches("::")), inner, out);
                }
                None if item == "self" => out.push(prefix.to_string()),
                None => out.push(format!("{prefix}::{}", item.split(" as ").next().unwrap())),
            }
        }
    }
    let mut out = Vec::new();
    for statement in text.split("use ").skip(1) {
        let statement = statement.split(';').next().unwrap_or("");
        if let Some((prefix, rest)) = statement.split_once("::{") {
            if ["crate", "super", "self"].iter().any(|r| prefix.starts_with(r)) {
                expand(prefix, rest.rsplit_once('}').map_or(rest, |(b, _)| b), &mut out);
            }
        }
    }
    let bytes = text.as_bytes();
    for root in ["crate::", "super::", "self::"] {
        for (at, _) in text.match_indices(root) {
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let end = text[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(text.len(), |e| at + e);
            out.push(text[at..end].trim_end_matches(':').to_string());
        }
    }
    out
}

/// The unit `path` (seen from `module`) names, if it is one of `units`.
fn resolve(module: &[String], path: &str, units: &BTreeSet<String>) -> Option<String> {
    let mut parts = path.split("::");
    let mut full: Vec<String> = match parts.next()? {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    for part in parts {
        if part == "super" {
            full.pop();
        } else {
            full.push(part.to_string());
        }
    }
    (1..=full.len()).rev().map(|k| full[..k].join("::")).find(|u| units.contains(u))
}

#[test]
fn no_two_modules_import_each_other() {
    let files: Vec<(Vec<String>, String)> =
        sources().into_iter().map(|(p, t)| (module_of(&relative(&p)), t)).collect();
    let units: BTreeSet<String> = files.iter().map(|(m, _)| unit_of(m)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &files {
        let from = unit_of(module);
        for path in paths_in(text) {
            let Some(to) = resolve(module, &path, &units) else { continue };
            let nested =
                to.starts_with(&format!("{from}::")) || from.starts_with(&format!("{to}::"));
            if to != from && !nested {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // A cycle exists when some module reaches itself again.
    let mut cycles = Vec::new();
    for start in edges.keys() {
        let (mut seen, mut stack) = (BTreeSet::new(), vec![(start.clone(), vec![start.clone()])]);
        while let Some((at, trail)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    cycles.push(trail.join(" -> ") + " -> " + start);
                } else if seen.insert(next.clone()) {
                    let mut longer = trail.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "modules that import each other: {cycles:#?}");
    assert!(edges.len() > 50, "the imports were found: {}", edges.len());
}
