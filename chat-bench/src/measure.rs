//! Measuring tools: CPU time of this process and of the server (from
//! `/proc/PID/stat`), the server's RSS (from `/proc/PID/status`), and latency
//! histogram summaries.

use std::fmt;
use std::fs;
use std::io;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Clock ticks per second of `/proc/PID/stat` times (`getconf CLK_TCK`; 100 on Linux).
const CLK_TCK: f64 = 100.0;

/// Starts timing wall clock and CPU time of this process and, if known, the server.
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    started: Instant,
    own_ticks: u64,
    server: Option<(u32, u64)>,
}

/// CPU time used over a measured stretch; a share near 1.0 means that process
/// kept one core busy (a generator share near 1.0 means the run was generator-bound).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuUsage {
    /// Wall-clock seconds of the stretch.
    pub wall_s: f64,
    /// CPU seconds (user + system, all threads) of the generator.
    pub generator_cpu_s: f64,
    /// `generator_cpu_s / wall_s`.
    pub generator_share: f64,
    /// CPU seconds of the server, when its pid was given.
    pub server_cpu_s: Option<f64>,
    /// `server_cpu_s / wall_s`.
    pub server_share: Option<f64>,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

impl CpuMeter {
    /// Starts measuring now.
    pub fn start(server_pid: Option<u32>) -> CpuMeter {
        CpuMeter {
            started: Instant::now(),
            own_ticks: cpu_ticks("self").unwrap_or(0),
            server: server_pid.map(|pid| (pid, cpu_ticks(&pid.to_string()).unwrap_or(0))),
        }
    }

    /// The usage since `start`.
    pub fn finish(&self) -> CpuUsage {
        self.finish_with_children(0.0)
    }

    /// The usage since `start`, adding CPU seconds that helper processes reported.
    pub fn finish_with_children(&self, children_cpu_s: f64) -> CpuUsage {
        let wall_s = self.started.elapsed().as_secs_f64().max(1e-9);
        let own = ticks_to_s(
            cpu_ticks("self")
                .unwrap_or(0)
                .saturating_sub(self.own_ticks),
        );
        let generator_cpu_s = own + children_cpu_s;
        let server_cpu_s = self.server.and_then(|(pid, before)| {
            let now = cpu_ticks(&pid.to_string()).ok()?;
            Some(ticks_to_s(now.saturating_sub(before)))
        });
        CpuUsage {
            wall_s,
            generator_cpu_s,
            generator_share: generator_cpu_s / wall_s,
            server_cpu_s,
            server_share: server_cpu_s.map(|s| s / wall_s),
        }
    }
}

impl fmt::Display for CpuUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "generator cpu {:.2} s over {:.2} s wall ({:.0}% of a core)",
            self.generator_cpu_s,
            self.wall_s,
            self.generator_share * 100.0
        )?;
        if let (Some(cpu), Some(share)) = (self.server_cpu_s, self.server_share) {
            write!(
                f,
                "; server cpu {cpu:.2} s ({:.0}% of a core)",
                share * 100.0
            )?;
        }
        Ok(())
    }
}

impl LatencySummary {
    /// Summarises a histogram of microseconds.
    pub fn of(h: &Histogram<u64>) -> LatencySummary {
        LatencySummary {
            count: h.len(),
            p50_us: h.value_at_quantile(0.50),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
            mean_us: h.mean(),
        }
    }
}

impl fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n={} p50 {} p99 {} p99.9 {} max {}",
            self.count,
            ms(self.p50_us),
            ms(self.p99_us),
            ms(self.p999_us),
            ms(self.max_us)
        )
    }
}

/// A histogram of microseconds from 1 µs to 10 min at 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

/// Records a duration in microseconds, clamped into the histogram's range.
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    h.saturating_record(us.max(1));
}

/// `VmRSS` of a process in KiB.
pub fn rss_kib(pid: u32) -> io::Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::other("no VmRSS line"))
}

/// How many file descriptors a process holds.
pub fn open_fds(pid: u32) -> io::Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// user + system CPU ticks of a process (all its threads), `pid` a number or `self`.
fn cpu_ticks(pid: &str) -> io::Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat_ticks(&stat).ok_or_else(|| io::Error::other("unreadable /proc stat"))
}

/// utime + stime from a `/proc/PID/stat` line (fields 14 and 15; the command
/// name in parentheses may itself hold spaces and parentheses).
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_comm.split_ascii_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[allow(clippy::cast_precision_loss)]
fn ticks_to_s(ticks: u64) -> f64 {
    ticks as f64 / CLK_TCK
}

/// Microseconds as milliseconds with three decimals.
#[allow(clippy::cast_precision_loss)]
pub fn ms(us: u64) -> String {
    format!("{:.3} ms", us as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_are_utime_plus_stime_even_with_odd_command_names() {
        let line = "1234 (chat) server (x)) S 1 1234 1234 0 -1 4194560 500 0 0 0 \
                    250 50 0 0 20 0 3 0 100 1000000 200 18446744073709551615";
        assert_eq!(parse_stat_ticks(line), Some(300));
        assert_eq!(parse_stat_ticks("garbage"), None);
    }

    #[test]
    fn own_process_is_measurable() {
        assert!(cpu_ticks("self").is_ok());
        assert!(rss_kib(std::process::id()).is_ok_and(|kib| kib > 0));
    }
}
