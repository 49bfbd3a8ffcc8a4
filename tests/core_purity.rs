//! The core must stay pure: no browser crate may be named anywhere under src/core.
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn src_core_names_no_browser_crate() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
    let mut offenders = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("src/core") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        checked += 1;
        let text = std::fs::read_to_string(&path).expect("read");
        for (n, line) in text.lines().enumerate() {
            for krate in ["wasm_bindgen", "js_sys", "web_sys", "gloo"] {
                if line.contains(krate) {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        checked >= 5,
        "expected the core's modules in {}",
        dir.display()
    );
    assert!(
        offenders.is_empty(),
        "browser crates in the core:\n{}",
        offenders.join("\n")
    );
}
