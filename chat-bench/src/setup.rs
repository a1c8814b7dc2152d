//! `setup`: signs N users up over HTTP (GET the form for its CSRF token, POST
//! it), pairs user 2k with user 2k+1 through `GET /chat/{username}`, and writes
//! the state file the other scenarios reuse.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use futures_util::{StreamExt, stream};
use http::StatusCode;

use crate::BenchError;
use crate::http::{HttpConn, csrf_field};
use crate::measure::CpuMeter;
use crate::state::{BenchThread, BenchUser, State, random_hex};

/// What `setup` is asked to do.
#[derive(Debug, Clone, clap::Args)]
pub struct SetupArgs {
    /// Number of users (even: they are paired into N/2 threads).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Signups in flight at once (the server hashes on as many threads as it has cores).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

/// Runs `setup` against the server at `addr`, writing the state file to `out`.
pub async fn run(
    addr: SocketAddr,
    args: &SetupArgs,
    out: &Path,
) -> Result<serde_json::Value, BenchError> {
    let n = args.users + args.users % 2;
    let prefix = random_hex(3)?;
    let meter = CpuMeter::start(None);
    let started = Instant::now();
    let results: Vec<Result<BenchUser, BenchError>> = stream::iter(0..n)
        .map(|i| signup(addr, format!("b{prefix}_{i}")))
        .buffered(args.concurrency.max(1))
        .collect()
        .await;
    let users = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let signup_s = started.elapsed().as_secs_f64();
    println!("signed up {} users in {signup_s:.2} s", users.len());

    let pairs: Vec<(u32, u32)> = (0..u32::try_from(n / 2).unwrap_or(u32::MAX))
        .map(|k| (2 * k, 2 * k + 1))
        .collect();
    let threads: Vec<Result<BenchThread, BenchError>> = stream::iter(pairs)
        .map(|(a, b)| open_thread(addr, &users, a, b))
        .buffered(args.concurrency.max(1) * 4)
        .collect()
        .await;
    let threads = threads.into_iter().collect::<Result<Vec<_>, _>>()?;
    println!("opened {} threads", threads.len());

    let state = State {
        addr,
        users,
        threads,
    };
    state.save(out)?;
    let cpu = meter.finish();
    println!("wrote {}; {cpu}", out.display());
    Ok(serde_json::json!({
        "users": state.users.len(),
        "threads": state.threads.len(),
        "signup_s": signup_s,
        "total_s": started.elapsed().as_secs_f64(),
        "cpu": cpu,
    }))
}

/// Signs one user up; returns them with the session the signup started.
async fn signup(addr: SocketAddr, name: String) -> Result<BenchUser, BenchError> {
    let password = format!("Zq7!{}", random_hex(8)?);
    let mut conn = HttpConn::open(addr).await?;
    let form = conn
        .get("/signup", None)
        .await?
        .expect(StatusCode::OK, "GET /signup")?;
    let csrf_cookie = form
        .set_cookie("chat_csrf")
        .ok_or_else(|| BenchError::Protocol("GET /signup set no chat_csrf cookie".to_owned()))?;
    let html = form.text();
    let csrf = csrf_field(&html)
        .ok_or_else(|| BenchError::Protocol("GET /signup has no csrf field".to_owned()))?;
    let cookie = format!("chat_csrf={csrf_cookie}");
    let fields = [
        ("username", name.as_str()),
        ("password", password.as_str()),
        ("password2", password.as_str()),
        ("csrf", csrf),
    ];
    let done = conn.post_form("/signup", Some(&cookie), &fields).await?;
    if done.status == StatusCode::TOO_MANY_REQUESTS {
        return Err(BenchError::Protocol(
            "POST /signup: 429, the server throttles signups per address; \
             start it with --signup-limit 0 (CHAT_SIGNUP_LIMIT=0) for setup"
                .to_owned(),
        ));
    }
    let done = done.expect(StatusCode::SEE_OTHER, "POST /signup")?;
    let session = done
        .set_cookie("chat_session")
        .ok_or_else(|| BenchError::Protocol("POST /signup set no chat_session".to_owned()))?;
    Ok(BenchUser {
        name,
        password,
        session,
    })
}

/// Opens (or finds) the 1:1 thread of users `a` and `b` as `a`.
async fn open_thread(
    addr: SocketAddr,
    users: &[BenchUser],
    a: u32,
    b: u32,
) -> Result<BenchThread, BenchError> {
    let (ua, ub) = (&users[a as usize], &users[b as usize]);
    let mut conn = HttpConn::open(addr).await?;
    let cookie = format!("chat_session={}", ua.session);
    let answer = conn
        .get(&format!("/chat/{}", ub.name), Some(&cookie))
        .await?
        .expect(StatusCode::SEE_OTHER, "GET /chat/{username}")?;
    let location = answer.location().unwrap_or("");
    let id = location
        .strip_prefix("/threads/")
        .and_then(|rest| rest.split(['?', '#', '/']).next())
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| BenchError::Protocol(format!("GET /chat led to {location:?}")))?;
    Ok(BenchThread { id, a, b })
}
