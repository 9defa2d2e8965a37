//! The shape of the two pure crates, checked from their sources: the modules of `scenes` and of
//! `facts` form no cycle (each module only uses modules below it), and no source reaches the
//! file system, the network, processes or the clock (`docs/architecture.md`).
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module name (first path component under `src/`) → the crate modules its code names.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    collect(src, &mut files);
    let top = |p: &Path| -> String {
        let rel = p.strip_prefix(src).expect("under src");
        let first = rel.components().next().expect("a component");
        first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top(f))
        .filter(|m| m != "lib")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = top(f);
        if m == "lib" {
            continue;
        }
        let code = code_of(f);
        let used = graph.entry(m.clone()).or_default();
        for name in crate_paths(&code) {
            if modules.contains(&name) && name != m {
                used.insert(name);
            }
        }
    }
    graph
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file without comments (doc links name modules without using them).
fn code_of(f: &Path) -> String {
    let text = std::fs::read_to_string(f).expect("readable source");
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names after `crate::`, including each item of `crate::{a, b::c}` groups.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = k;
                    break;
                }
            }
            let body = &group[..end];
            let mut d = 0;
            let mut item = String::new();
            for c in body.chars().chain(std::iter::once(',')) {
                match c {
                    '{' => d += 1,
                    '}' => d -= 1,
                    ',' if d == 0 => {
                        out.push(ident(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// A cycle through `graph`, if there is one (depth-first search).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == m).expect("on the stack");
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn crate_src(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn scenes_modules_form_no_cycle() {
    let g = module_graph(&crate_src("src"));
    assert!(
        g.contains_key("storyboard") && g.contains_key("narration"),
        "{g:?}"
    );
    assert_eq!(find_cycle(&g), None, "module graph of scenes: {g:#?}");
}

#[test]
fn facts_modules_form_no_cycle() {
    let g = module_graph(&crate_src("facts/src"));
    assert!(g.contains_key("facts") && g.contains_key("report"), "{g:?}");
    assert_eq!(find_cycle(&g), None, "module graph of facts: {g:#?}");
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    g.get_mut("c").expect("c").clear();
    assert_eq!(find_cycle(&g), None);
    assert_eq!(
        crate_paths("use crate::{a::X, b, c::{d, e}}; crate::f::g(); crate::H"),
        ["a", "b", "c", "f", "H"]
    );
}

/// What a pure crate must not name: files, sockets, processes, threads, the clock, env.
const IMPURE: [&str; 9] = [
    "std::fs",
    "std::net",
    "std::process",
    "std::thread",
    "std::env",
    "SystemTime",
    "Instant::now",
    "Utc::now",
    "Local::now",
];

#[test]
fn pure_crates_reach_no_file_network_process_or_clock() {
    for rel in ["src", "facts/src"] {
        let mut files = Vec::new();
        collect(&crate_src(rel), &mut files);
        for f in files {
            let code = code_of(&f);
            for bad in IMPURE {
                assert!(
                    !code.contains(bad),
                    "{} names `{bad}`: scenes and facts stay pure (data comes in as contents)",
                    f.display()
                );
            }
        }
    }
}
