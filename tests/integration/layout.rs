//! The code's layout, kept by tests: no import circle between the modules of the library,
//! one module map (ARCHITECTURE.md §11) that names every module, and a short README.
//!
//! How a circle is found: every `crate::…`, `super::…` and `self::…` path in a module's file is
//! resolved to the deepest module it names (`crate::store::StoreError` is `store`). A path from
//! module `a::x` to `a::y::z` is an edge `x -> y` among the children of `a`; a module naming its
//! own ancestors or descendants is not an edge (a parent declares its children, and children
//! use what their parent defines). Among the children of each module the edges must form no
//! circle: each level stays a stack of floors, whatever the nesting.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hookline_tests::root;

/// Module path (`["api", "webhooks"]`) of each source file under `src`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut m: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into()).collect();
            if matches!(m.last().map(String::as_str), Some("mod" | "lib")) {
                m.pop();
            }
            out.insert(m, std::fs::read_to_string(&p).unwrap());
        }
    }
    out
}

/// The modules each module's code names, resolved to the deepest module in the path.
fn references(mods: &BTreeMap<Vec<String>, String>) -> Vec<(Vec<String>, Vec<String>)> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (m, text) in mods {
        for line in text.lines() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for (i, _) in line.match_indices("::") {
                // The path this `::` belongs to starts at its first segment.
                let start = line[..i]
                    .rfind(|c: char| !(ident(c) || c == ':'))
                    .map_or(0, |s| s + 1);
                if line[start..i].contains("::") {
                    continue; // not the first `::` of its path
                }
                let path: Vec<&str> = line[start..]
                    .split(|c: char| !(ident(c) || c == ':'))
                    .next()
                    .unwrap()
                    .split("::")
                    .collect();
                let mut target: Vec<String> = match path[0] {
                    "crate" => Vec::new(),
                    // A mod.rs is its directory's module: `super` is the directory's parent.
                    "super" => m[..m.len().saturating_sub(1)].to_vec(),
                    "self" => m.clone(),
                    _ => continue,
                };
                for seg in &path[1..] {
                    if *seg == "super" {
                        target.pop();
                        continue;
                    }
                    let mut next = target.clone();
                    next.push(seg.to_string());
                    if !mods.contains_key(&next) {
                        break;
                    }
                    target = next;
                }
                out.push((m.clone(), target));
            }
        }
    }
    out
}

/// Circles among siblings: `parent: a -> b -> a`.
fn circles(refs: &[(Vec<String>, Vec<String>)]) -> Vec<String> {
    let mut edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (from, to) in refs {
        let k = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        if k == from.len() || k == to.len() {
            continue; // an ancestor or a descendant
        }
        edges
            .entry(from[..k].to_vec())
            .or_default()
            .entry(from[k].clone())
            .or_default()
            .insert(to[k].clone());
    }
    let mut found = Vec::new();
    for (parent, graph) in &edges {
        // Depth-first search; a node met again on the current path closes a circle.
        fn visit(
            n: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
            found: &mut Vec<Vec<String>>,
        ) {
            if let Some(i) = path.iter().position(|p| p == n) {
                let mut c = path[i..].to_vec();
                c.push(n.to_string());
                found.push(c);
                return;
            }
            if !done.insert(n.to_string()) {
                return;
            }
            path.push(n.to_string());
            for next in graph.get(n).into_iter().flatten() {
                visit(next, graph, path, done, found);
            }
            path.pop();
        }
        let mut done = BTreeSet::new();
        let mut cs = Vec::new();
        for n in graph.keys() {
            visit(n, graph, &mut Vec::new(), &mut done, &mut cs);
        }
        let at = if parent.is_empty() {
            "crate".into()
        } else {
            parent.join("::")
        };
        found.extend(cs.into_iter().map(|c| format!("{at}: {}", c.join(" -> "))));
    }
    found
}

#[test]
fn no_import_circle_between_modules() {
    let mods = modules(&root().join("shared/src"));
    assert!(mods.len() > 40, "read the library's modules");
    let found = circles(&references(&mods));
    assert!(
        found.is_empty(),
        "import circles between modules (each level must stay a stack of floors):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_circle_check_finds_a_circle() {
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let refs = vec![
        (m("api::webhooks"), m("api::openapi")),
        (m("api::openapi"), m("api::webhooks")),
        (m("store::dynamo"), m("store")),
        (m("error"), m("store")),
    ];
    assert_eq!(circles(&refs), ["api: openapi -> webhooks -> openapi"]);
    let refs = vec![(m("error"), m("store")), (m("store::dynamo"), m("error"))];
    assert_eq!(circles(&refs), ["crate: error -> store -> error"]);
}

#[test]
fn the_module_map_names_every_module() {
    let mods = modules(&root().join("shared/src"));
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let map = arch
        .split("## 11. Code layout")
        .nth(1)
        .expect("ARCHITECTURE.md has §11, the module map");
    let missing: Vec<String> = mods
        .keys()
        .filter(|m| !m.is_empty())
        .map(|m| m.join("/"))
        // Each by its path under shared/src: `api/webhooks.rs`, or `store/dynamo/` for a
        // directory's own module.
        .filter(|m| !(map.contains(&format!("`{m}.rs`")) || map.contains(&format!("`{m}/`"))))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md §11 does not name these modules: {missing:?}"
    );
}

/// README.md stays a short map for newcomers: at most 200 lines, with the two commands that
/// run Hookline and its tests; the reference lives under docs/.
#[test]
fn the_readme_is_a_short_map_with_the_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; move detail to docs/"
    );
    for command in [
        "cargo run --profile local -p hookline-cli -- serve",
        "tests/run.sh",
    ] {
        assert!(
            readme.lines().any(|l| l.trim() == command),
            "README.md shows `{command}` on its own line"
        );
    }
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.contains("tests/run.sh"),
        ".ci/run runs the README's test command"
    );
}
