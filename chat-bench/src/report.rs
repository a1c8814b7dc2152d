//! `report`: turns the JSON lines of a benchmark run into the Markdown table of
//! BENCHMARKS.md (medians of the runs of each scenario, next to the targets),
//! optionally rewriting that file's "Latest figures" section in place.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::BenchError;

/// Marks where the generated section starts in BENCHMARKS.md.
pub const BEGIN: &str = "<!-- figures:begin (written by bench/run.sh; do not edit by hand) -->";
/// Marks where it ends.
pub const END: &str = "<!-- figures:end -->";

/// What `report` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// JSON lines written by the scenarios (one per run).
    pub results: PathBuf,
    /// Replace the generated section of this Markdown file.
    #[arg(long)]
    pub update: Option<PathBuf>,
    /// The date the figures were taken.
    #[arg(long, default_value = "")]
    pub date: String,
    /// Lines added under the table (repeatable).
    #[arg(long)]
    pub note: Vec<String>,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    scenario: &'static str,
    target: &'static str,
    figure: String,
    met: Option<bool>,
    integrity: String,
    generator: String,
    server: String,
    runs: usize,
}

/// Runs `report`: prints the section and, with `--update`, writes it into the file.
pub fn run(args: &ReportArgs) -> Result<(), BenchError> {
    let text = std::fs::read_to_string(&args.results)?;
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let section = render(&lines, &args.date, &args.note);
    println!("{section}");
    if let Some(path) = &args.update {
        update_file(path, &section)?;
        println!("(updated {})", path.display());
    }
    Ok(())
}

/// The Markdown section for these result lines.
fn render(lines: &[Value], date: &str, notes: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Taken {date} on {}.\n", machine());
    out.push_str("| scenario | target | measured (median) | met | lost / dup / out-of-order | generator CPU | server CPU | runs |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for row in rows(lines) {
        let met = match row.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {met} | {} | {} | {} | {} |",
            row.scenario,
            row.target,
            row.figure,
            row.integrity,
            row.generator,
            row.server,
            row.runs
        );
    }
    for note in notes {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

fn rows(lines: &[Value]) -> Vec<Row> {
    let by = |label: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|v| v.get("label").and_then(Value::as_str) == Some(label))
            .filter_map(|v| v.get("result"))
            .collect()
    };
    vec![
        chat_closed_row(&by("chat-closed")),
        chat_rate_row(&by("chat-rate")),
        idle_row(&by("idle")),
        connect_row(&by("connect")),
        http_row(&by("http")),
        startup_row(&by("startup")),
    ]
}

fn chat_closed_row(closed: &[&Value]) -> Row {
    let d = median(closed, "/delivered_per_s");
    Row {
        scenario: "1,000 users / 500 threads, closed loop, stored (FULL) then delivered to both",
        target: "≥ 60,000 msg/s, 0 lost/dup/ooo",
        figure: d.map_or_else(dash, |v| {
            format!(
                "{v:.0} msg/s (p99 peer {}; {:.0} users)",
                ms(median(closed, "/peer_latency/p99_us")),
                median(closed, "/users").unwrap_or(0.0)
            )
        }),
        met: d.map(|v| v >= 60_000.0 && integrity_clean(closed)),
        integrity: integrity(closed),
        ..cpu_cells(closed)
    }
}

fn chat_rate_row(rate: &[&Value]) -> Row {
    let p99 = median(rate, "/peer_latency/p99_us");
    Row {
        scenario: "same users, 5,000 msg/s offered",
        target: "p99 send → peer ≤ 3 ms",
        figure: p99.map_or_else(dash, |v| {
            format!(
                "p99 {} (p50 {}, p99.9 {}, max {}; {:.0} msg/s, {:.0} users)",
                ms(Some(v)),
                ms(median(rate, "/peer_latency/p50_us")),
                ms(median(rate, "/peer_latency/p999_us")),
                ms(median(rate, "/peer_latency/max_us")),
                median(rate, "/delivered_per_s").unwrap_or(0.0),
                median(rate, "/users").unwrap_or(0.0)
            )
        }),
        met: p99.map(|v| v <= 3_000.0 && integrity_clean(rate)),
        integrity: integrity(rate),
        ..cpu_cells(rate)
    }
}

fn idle_row(idle: &[&Value]) -> Row {
    let (held, per) = (median(idle, "/held"), median(idle, "/rss_per_socket_kib"));
    let requested = median(idle, "/requested");
    Row {
        scenario: "idle authenticated sockets, one server process",
        target: "19,000 held; ≤ 10 KiB RSS per socket",
        figure: held.map_or_else(dash, |h| {
            let per = per.map_or_else(dash, |p| format!("{p:.2}"));
            format!(
                "{h:.0} of {:.0} held; {per} KiB/socket",
                requested.unwrap_or(0.0)
            )
        }),
        met: held
            .zip(per)
            .map(|(h, p)| h >= 19_000.0 && requested.is_some_and(|r| h >= r) && p <= 10.0),
        integrity: "n/a".to_owned(),
        ..cpu_cells(idle)
    }
}

fn connect_row(connect: &[&Value]) -> Row {
    let rate = median(connect, "/upgrades_per_s");
    let hs = median(connect, "/handshake_latency/p99_us");
    Row {
        scenario: "authenticated WebSocket connects",
        target: "≥ 3,000/s, handshake p99 ≤ 20 ms",
        figure: rate.map_or_else(dash, |r| format!("{r:.0}/s, handshake p99 {}", ms(hs))),
        met: rate.zip(hs).map(|(r, h)| r >= 3_000.0 && h <= 20_000.0),
        integrity: "n/a".to_owned(),
        ..cpu_cells(connect)
    }
}

fn http_row(http: &[&Value]) -> Row {
    let rps = median(http, "/requests_per_s");
    Row {
        scenario: "`GET /threads/{id}` with 50 messages, keep-alive",
        target: "≥ 10,000 req/s",
        figure: rps.map_or_else(dash, |r| {
            format!("{r:.0} req/s (p99 {})", ms(median(http, "/latency/p99_us")))
        }),
        met: rps.map(|r| r >= 10_000.0),
        integrity: "n/a".to_owned(),
        ..cpu_cells(http)
    }
}

fn startup_row(startup: &[&Value]) -> Row {
    let (boot, rss) = (
        median(startup, "/healthz_ms"),
        median(startup, "/rss_idle_kib"),
    );
    Row {
        scenario: "server start → `/healthz` answering; idle RSS",
        target: "≤ 100 ms; ≤ 15 MB",
        figure: boot.map_or_else(dash, |b| {
            let rss = rss.map_or_else(dash, |r| format!("{:.1} MB", r * 1024.0 / 1e6));
            format!("{b:.1} ms; {rss}")
        }),
        met: boot.zip(rss).map(|(b, r)| b <= 100.0 && r * 1024.0 <= 15e6),
        integrity: "n/a".to_owned(),
        generator: "n/a".to_owned(),
        server: "n/a".to_owned(),
        runs: startup.len(),
    }
}

/// Generator and server CPU shares (medians) and the run count.
fn cpu_cells(results: &[&Value]) -> Row {
    let pct = |v: Option<f64>| v.map_or_else(dash, |v| format!("{:.0}%", v * 100.0));
    Row {
        scenario: "",
        target: "",
        figure: String::new(),
        met: None,
        integrity: String::new(),
        generator: pct(median(results, "/cpu/generator_share")),
        server: pct(median(results, "/cpu/server_share")),
        runs: results.len(),
    }
}

/// Summed lost / duplicated / out-of-order over all runs.
fn integrity(results: &[&Value]) -> String {
    if results.is_empty() {
        return dash();
    }
    let sum = |p: &str| {
        results
            .iter()
            .filter_map(|r| r.pointer(p)?.as_u64())
            .sum::<u64>()
    };
    format!(
        "{} / {} / {}",
        sum("/lost"),
        sum("/duplicated"),
        sum("/out_of_order")
    )
}

fn integrity_clean(results: &[&Value]) -> bool {
    results
        .iter()
        .all(|r| r.get("counts").and_then(Value::as_bool) == Some(true))
}

/// The median of a numeric field over the runs that have it.
fn median(results: &[&Value], pointer: &str) -> Option<f64> {
    let mut values: Vec<f64> = results
        .iter()
        .filter_map(|r| r.pointer(pointer)?.as_f64())
        .collect();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some(f64::midpoint(values[n / 2 - 1], values[n / 2])),
    }
}

fn ms(us: Option<f64>) -> String {
    us.map_or_else(dash, |us| format!("{:.2} ms", us / 1000.0))
}

fn dash() -> String {
    "–".to_owned()
}

/// CPU count and model from /proc/cpuinfo, kernel from /proc.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let n = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim())
        })
        .unwrap_or("unknown CPU");
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{n} × {model}, Linux {}", kernel.trim())
}

/// Replaces the text between `BEGIN` and `END` (appending both if absent).
fn update_file(path: &Path, section: &str) -> Result<(), BenchError> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, splice(&old, section))?;
    Ok(())
}

fn splice(old: &str, section: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}", section.trim_end());
    match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => format!("{}{block}{}", &old[..b], &old[e + END.len()..]),
        _ => format!("{}\n\n{block}\n", old.trim_end()),
    }
}

#[cfg(test)]
mod tests;
