//! Keeps the direction of imports true (ARCHITECTURE.md, "Layers"): no file of `app/src`
//! imports another in a circle, no `model.rs` imports a service, no logic (services, SQL,
//! models) imports another feature's components, and the logic of feature folders never
//! goes round in a circle. What a file is comes from what it defines (`#[component]`,
//! `#[server]`), not from its name. Paths are read
//! wherever they are written — `use` lines and inline paths such as
//! `crate::tasks::pages::TaskBadge` inside `view!` — with comments left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One source file: its path under `app/src` (`customers/model.rs`) and its text.
struct Source {
    path: String,
    text: String,
}

fn read_tree(root: &Path) -> Vec<Source> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<Source>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(Source {
                    path: rel,
                    text: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// The text without `//` comments and without the file's inline unit tests.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines()
        .map(|line| match line.find("//") {
            // `//` inside a string (a URL) is rare in paths we read; a line comment is not.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file names: `crate::a::b…` written anywhere (also expanded from
/// `use crate::{a::b, c::d}` groups), and `super::x` resolved against the file's folder.
fn named_paths(file: &str, code: &str) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut paths = Vec::new();
    let folder: Vec<String> = {
        let mut parts: Vec<String> = file
            .trim_end_matches(".rs")
            .split('/')
            .map(String::from)
            .collect();
        parts.pop();
        parts
    };
    for (prefix, base) in [("crate::", Vec::new()), ("super::", folder)] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(ident) {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let body = &group[..group.find('}').unwrap_or(group.len())];
                for item in body.split(',') {
                    let segs: Vec<String> = item
                        .trim()
                        .split("::")
                        .map(|s| s.trim().to_string())
                        .take_while(|s| !s.is_empty() && s.chars().all(ident))
                        .collect();
                    if !segs.is_empty() {
                        paths.push([base.clone(), segs].concat());
                    }
                }
                continue;
            }
            let end = rest
                .find(|c: char| !(ident(c) || c == ':'))
                .unwrap_or(rest.len());
            let segs: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if !segs.is_empty() {
                paths.push([base.clone(), segs].concat());
            }
        }
    }
    paths
}

/// The file a module path lands in: the longest prefix that is a file of the tree.
fn resolve(files: &BTreeSet<String>, path: &[String]) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let stem = path[..n].join("/");
        [format!("{stem}.rs"), format!("{stem}/mod.rs")]
            .into_iter()
            .find(|f| files.contains(f))
    })
}

/// The feature folder of a file (`customers` for `customers/model.rs`), if it is in one.
fn folder_of(file: &str) -> Option<&str> {
    file.split_once('/').map(|(folder, _)| folder)
}

/// What a file is, read from what it defines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Components (`#[component]`, `#[island]`): pages, cards, forms, the frame.
    Component,
    /// The edge: server functions, plain routes, module lists.
    Edge,
    /// Services, SQL and models.
    Logic,
}

fn role(path: &str, code: &str) -> Role {
    if code.contains("#[component]") || code.contains("#[island]") {
        Role::Component
    } else if code.contains("#[server")
        || matches!(
            file_name(path),
            "http.rs" | "upload.rs" | "public.rs" | "mod.rs" | "lib.rs"
        )
    {
        Role::Edge
    } else {
        Role::Logic
    }
}

fn file_name(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

/// Every violation of the direction rules in a tree, in words.
fn violations(sources: &[Source]) -> Vec<String> {
    let files: BTreeSet<String> = sources.iter().map(|s| s.path.clone()).collect();
    let roles: BTreeMap<&str, Role> = sources
        .iter()
        .map(|s| (s.path.as_str(), role(&s.path, &code_of(&s.text))))
        .collect();
    let is_logic = |file: &str| roles.get(file) == Some(&Role::Logic);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for source in sources {
        let code = code_of(&source.text);
        for path in named_paths(&source.path, &code) {
            let Some(target) = resolve(&files, &path) else {
                continue;
            };
            if target == source.path {
                continue;
            }
            let is_model = file_name(&source.path) == "model.rs";
            if is_model && file_name(&target) == "service.rs" {
                out.push(format!(
                    "{} (a model) imports the service {target}",
                    source.path
                ));
            }
            let other_feature = folder_of(&target) != folder_of(&source.path);
            if is_logic(&source.path)
                && roles.get(target.as_str()) == Some(&Role::Component)
                && other_feature
            {
                out.push(format!(
                    "{} (logic) imports another feature's components {target}",
                    source.path
                ));
            }
            edges.entry(source.path.clone()).or_default().insert(target);
        }
    }
    for circle in circles(&edges) {
        out.push(format!(
            "files import each other in a circle: {}",
            circle.join(" → ")
        ));
    }
    // Between folders only the logic counts: a page may show another feature's card and a
    // server function may ask two services, but services and models must not go round.
    let mut folder_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in edges.iter().filter(|(from, _)| is_logic(from)) {
        for to in tos.iter().filter(|to| is_logic(to)) {
            if let (Some(a), Some(b)) = (folder_of(from), folder_of(to)) {
                if a != b {
                    folder_edges.entry(a.into()).or_default().insert(b.into());
                }
            }
        }
    }
    for group in circles(&folder_edges) {
        out.push(format!(
            "the logic of feature folders {} reaches itself in a circle",
            group.join(", ")
        ));
    }
    out
}

/// The groups of nodes that reach each other (strongly connected, more than one node),
/// each sorted.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.keys().chain(edges.values().flatten()).collect();
    let reach = |start: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(n) = stack.pop() {
            for next in edges.get(&n).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for n in &nodes {
        if !reaches[n].contains(*n) {
            continue;
        }
        let group: Vec<String> = nodes
            .iter()
            .filter(|m| reaches[n].contains(**m) && reaches[*m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    groups.into_iter().collect()
}

#[test]
fn imports_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&read_tree(&root));
    assert!(
        found.is_empty(),
        "import direction broken:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_planted_violation_is_found() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut tree = read_tree(&root);
    let plant = |tree: &mut Vec<Source>, file: &str, line: &str| {
        let source = tree.iter_mut().find(|s| s.path == file).expect(file);
        // At the top: a file's inline unit tests, at its end, are not read.
        source.text = format!("{line}\n{}", source.text);
    };
    // Written inline, as inside `view!`, not as a `use` line.
    plant(
        &mut tree,
        "customers/model.rs",
        "fn f() { let _ = crate::orders::service::delete; }",
    );
    plant(
        &mut tree,
        "segments/service.rs",
        "fn g() { view! { <crate::tasks::pages::TaskBadge /> } }",
    );
    // A circle between two files (orders/model.rs is imported by orders/service.rs).
    plant(
        &mut tree,
        "orders/model.rs",
        "use super::service::{record_order};",
    );
    // Complaints' logic reaching back up into feedback, which opens complaints.
    plant(
        &mut tree,
        "complaints/service.rs",
        "fn h() { let _ = crate::feedback::answers::response_answers; }",
    );
    let found = violations(&tree);
    let has = |needle: &str| found.iter().any(|v| v.contains(needle));
    assert!(
        has("customers/model.rs (a model) imports the service orders/service.rs"),
        "{found:#?}"
    );
    assert!(
        has("segments/service.rs (logic) imports another feature's components tasks/pages.rs"),
        "{found:#?}"
    );
    assert!(has("files import each other in a circle"), "{found:#?}");
    assert!(
        has("the logic of feature folders complaints, feedback reaches itself"),
        "{found:#?}"
    );
    assert!(
        has("orders/model.rs (a model) imports the service orders/service.rs"),
        "{found:#?}"
    );
}

#[test]
fn paths_are_read_wherever_they_are_written() {
    let code = code_of(
        "use crate::{a::b, c::d::E};\n// crate::commented::out\nlet x = crate::f::g::h(1); view! { <crate::p::Q /> }",
    );
    let paths = named_paths("x/y.rs", &code);
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert!(joined.contains(&"a::b".to_string()), "{joined:?}");
    assert!(joined.contains(&"c::d::E".to_string()), "{joined:?}");
    assert!(joined.contains(&"f::g::h".to_string()), "{joined:?}");
    assert!(joined.contains(&"p::Q".to_string()), "{joined:?}");
    assert!(
        !joined.iter().any(|p| p.starts_with("commented")),
        "{joined:?}"
    );
}
