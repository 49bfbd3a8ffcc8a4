//! The browser layer's modules import in one direction: no module of `src/web` reaches,
//! through `super::…`, a module that reaches it back (no import circle). Leaves such as
//! `env` (clock, warnings, ids) and `host` (catching DOM calls) import nothing above them.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

/// Module name → the sibling modules it names as `super::<name>`.
fn imports() -> BTreeMap<String, Vec<String>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("src/web") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let mut deps: Vec<String> = text
            .match_indices("super::")
            .map(|(i, _)| {
                text[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .filter(|d| !d.is_empty() && *d != name)
            .collect();
        deps.sort();
        deps.dedup();
        graph.insert(name, deps);
    }
    graph
}

/// A cycle through `start`, if any (depth-first).
fn cycle(graph: &BTreeMap<String, Vec<String>>, path: &mut Vec<String>) -> Option<Vec<String>> {
    let last = path.last()?.clone();
    for next in graph.get(&last).into_iter().flatten() {
        if path.first() == Some(next) {
            let mut c = path.clone();
            c.push(next.clone());
            return Some(c);
        }
        if path.contains(next) || !graph.contains_key(next) {
            continue;
        }
        path.push(next.clone());
        if let Some(c) = cycle(graph, path) {
            return Some(c);
        }
        path.pop();
    }
    None
}

#[test]
fn web_modules_import_without_circles() {
    let graph = imports();
    assert!(graph.len() >= 8, "expected the web modules: {graph:?}");
    for start in graph.keys() {
        if let Some(c) = cycle(&graph, &mut vec![start.clone()]) {
            panic!("import circle in src/web: {}", c.join(" → "));
        }
    }
    for leaf in ["env", "host", "dom"] {
        let deps = &graph[leaf];
        assert!(
            deps.iter().all(|d| d == "host"),
            "{leaf} must stay a leaf, imports {deps:?}"
        );
    }
}
