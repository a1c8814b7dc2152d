//! Architecture invariants checked from `cargo metadata`: dependency edges point down only.

// The metadata helper panics on purpose: in a test that is the failure report.
#![allow(clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// (crate, crates it must never reach through normal or build dependencies, directly or not).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "chat-core",
        &[
            "tokio",
            "hyper",
            "rusqlite",
            "r2d2",
            "maud",
            "tungstenite",
            "serde_json",
            "chat-store",
            "chat-transport",
            "chat-web",
            "chat-server",
        ],
    ),
    (
        "chat-store",
        &[
            "tokio",
            "hyper",
            "maud",
            "tungstenite",
            "chat-transport",
            "chat-web",
            "chat-server",
        ],
    ),
    (
        "chat-web",
        &[
            "tokio",
            "hyper",
            "rusqlite",
            "tungstenite",
            "chat-store",
            "chat-transport",
            "chat-server",
        ],
    ),
    (
        "chat-transport",
        &["rusqlite", "maud", "chat-store", "chat-web", "chat-server"],
    ),
];

#[test]
fn dependency_edges_point_down_only() {
    let graph = normal_dependency_graph();
    let mut violations = Vec::new();
    for (krate, banned) in FORBIDDEN {
        let reach = reachable(&graph, krate);
        assert!(!reach.is_empty(), "{krate} not found in cargo metadata");
        for b in *banned {
            if reach.contains(*b) {
                violations.push(format!("{krate} depends (maybe transitively) on {b}"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "forbidden edges:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_real_edges() {
    // Guards the test above against passing vacuously on an empty graph.
    let graph = normal_dependency_graph();
    let server = reachable(&graph, "chat-server");
    for expected in [
        "chat-core",
        "chat-store",
        "chat-transport",
        "chat-web",
        "tokio",
        "rusqlite",
    ] {
        assert!(
            server.contains(expected),
            "chat-server should reach {expected}"
        );
    }
    assert!(reachable(&graph, "chat-store").contains("chat-core"));
}

/// Package name → names of its normal/build dependencies (dev-dependencies excluded).
fn normal_dependency_graph() -> HashMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let mut graph = HashMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve.nodes") {
        let name = names[node["id"].as_str().expect("node id")].to_owned();
        let deps: BTreeSet<String> = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .expect("dep_kinds")
                    .iter()
                    .any(|k| k["kind"].as_str() != Some("dev"))
            })
            .map(|d| names[d["pkg"].as_str().expect("pkg")].to_owned())
            .collect();
        graph.entry(name).or_insert_with(BTreeSet::new).extend(deps);
    }
    graph
}

fn reachable(graph: &HashMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(krate) = stack.pop() {
        if let Some(deps) = graph.get(&krate) {
            for d in deps {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
    }
    seen
}
