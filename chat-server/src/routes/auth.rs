//! Accounts: signup, login, logout and password change.

use std::time::Duration;

use chat_core::Username;
use chat_core::password::{self, Verification};
use chat_store::{Session, StoreError, User};
use chat_transport::http::{Request, Response};
use chat_web::pages::{
    login::LoginView,
    password::PasswordView,
    signup::{SignupErrors, SignupView},
};
use http::StatusCode;

use super::forms::{self, AnonCsrf};
use crate::app::{AppState, AuthUser, html, millis, now};
use crate::error::AppError;
use crate::secrets;

/// The one message for every failed login, so names cannot be probed.
const INVALID_LOGIN: &str = "invalid username or password";
/// Failures further apart than this start a new count.
const LOGIN_FAILURE_WINDOW: Duration = Duration::from_hours(1);
/// The window of the per-address signup limit.
const SIGNUP_WINDOW: Duration = Duration::from_hours(1);

/// `GET /signup`.
pub fn signup_form(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let csrf = forms::anon_csrf(state, req)?;
    let view = SignupView {
        csrf: csrf.token.clone(),
        username: String::new(),
        errors: SignupErrors::default(),
    };
    Ok(with_anon_cookie(
        html(
            StatusCode::OK,
            chat_web::pages::signup::render(&view).into_string(),
        ),
        csrf,
    ))
}

/// `POST /signup`: validates every field, creates the user, logs them in.
pub async fn signup(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let form = req.form();
    forms::check_anon_csrf(req, &form)?;
    if let Some(response) = signup_throttled(state, req).await? {
        return Ok(response);
    }
    let raw_name = form.get("username").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    let password2 = form.get("password2").unwrap_or("");
    let mut errors = SignupErrors::default();
    let username = Username::parse(&raw_name)
        .map_err(|e| errors.username.push(capitalise(&e.to_string())))
        .ok();
    if let Err(problems) = password::check_password(&password, &raw_name) {
        errors
            .password
            .extend(problems.iter().map(|p| capitalise(&p.to_string())));
    }
    if password != password2 {
        errors
            .password2
            .push("The two passwords do not match.".to_owned());
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let Some(username) = username.filter(|_| no_errors(&errors)) else {
        return signup_again(state, req, raw_name, errors, status);
    };
    let hash = hash_password(state, password).await?;
    let name = username.clone();
    let created = state.db(move |s| s.create_user(&name, &hash, now())).await;
    let user = match created {
        Ok(user) => user,
        Err(AppError::Store(StoreError::UsernameTaken)) => {
            errors.username.push("That username is taken.".to_owned());
            return signup_again(state, req, raw_name, errors, StatusCode::CONFLICT);
        }
        Err(e) => return Err(e),
    };
    tracing::info!(user = %user.id, "signed up");
    start_session(state, req, &user, "/").await
}

/// `GET /login`.
pub fn login_form(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let next = req.query_params().get("next").map(str::to_owned);
    login_page(state, req, String::new(), next, None, StatusCode::OK)
}

/// `POST /login`: a new session on success; one generic error otherwise.
pub async fn login(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let form = req.form();
    forms::check_anon_csrf(req, &form)?;
    let raw_name = form.get("username").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("").to_owned();
    let next = form.get("next").map(str::to_owned);
    let credentials = match Username::parse(&raw_name) {
        Ok(name) => state.db(move |s| s.credentials(&name)).await?,
        Err(_) => None,
    };
    // Unknown users are verified against a dummy hash so both failures take as long.
    let phc = credentials.as_ref().map_or_else(
        || password::dummy_hash().to_owned(),
        |c| c.password_hash.clone(),
    );
    if let Some(c) = &credentials
        && let Some(wait) = lockout(state, c.user.id).await?
    {
        return locked_out(state, req, raw_name, next, wait);
    }
    let verdict = verify_password(state, password.clone(), phc).await?;
    let Some(credentials) = credentials else {
        return failed_login(state, req, raw_name, next);
    };
    let user = credentials.user;
    let Verification::Valid { needs_rehash } = verdict else {
        let id = user.id;
        state
            .db(move |s| s.record_login_failure(id, now(), LOGIN_FAILURE_WINDOW))
            .await?;
        return failed_login(state, req, raw_name, next);
    };
    let id = user.id;
    state.db(move |s| s.clear_login_failures(id)).await?;
    if needs_rehash {
        let hash = hash_password(state, password).await?;
        let id = user.id;
        state.db(move |s| s.set_password_hash(id, &hash)).await?;
    }
    tracing::info!(user = %user.id, "logged in");
    start_session(state, req, &user, &forms::safe_next(next.as_deref())).await
}

/// `POST /logout`: deletes the session, closes the user's sockets, clears the cookie.
pub async fn logout(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        // Already logged out: nothing to protect, just go to the login page.
        return Ok(Response::see_other("/login").with_cookie(&forms::clear_session_cookie(state)));
    };
    forms::check_session_csrf(&user, &req.form())?;
    let hash = secrets::token_hash(&user.token);
    state.sessions.remove(&hash);
    state.db(move |s| s.delete_session(&hash)).await?;
    crate::realtime::close_user_sockets(state, user.id, "logged out");
    Ok(Response::see_other("/login").with_cookie(&forms::clear_session_cookie(state)))
}

/// `GET /account/password`.
pub async fn password_form(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        return Ok(forms::login_redirect(req));
    };
    Ok(password_page(&user, Vec::new(), false, StatusCode::OK))
}

/// `POST /account/password`: checks the current password, sets the new one and
/// ends every other session of the user.
pub async fn change_password(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        return Ok(forms::login_redirect(req));
    };
    let form = req.form();
    forms::check_session_csrf(&user, &form)?;
    let current = form.get("current_password").unwrap_or("").to_owned();
    let new = form.get("new_password").unwrap_or("").to_owned();
    let mut errors = Vec::new();
    let name = user.name.clone();
    let creds = state.db(move |s| s.credentials(&name)).await?;
    let phc = creds.map(|c| c.password_hash).ok_or(AppError::NotFound)?;
    if !matches!(
        verify_password(state, current, phc).await?,
        Verification::Valid { .. }
    ) {
        errors.push("Your current password is wrong.".to_owned());
    }
    if let Err(problems) = password::check_password(&new, user.name.as_str()) {
        errors.extend(problems.iter().map(|p| capitalise(&p.to_string())));
    }
    if Some(new.as_str()) != form.get("new_password2") {
        errors.push("The two new passwords do not match.".to_owned());
    }
    if !errors.is_empty() {
        return Ok(password_page(
            &user,
            errors,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let hash = hash_password(state, new).await?;
    let (id, keep) = (user.id, secrets::token_hash(&user.token));
    let session = state.db(move |s| s.session(&keep)).await?;
    state
        .db(move |s| {
            s.set_password_hash(id, &hash)?;
            s.delete_user_sessions(id)?;
            // Keep the session that made the change.
            if let Some(session) = session {
                s.create_session(&keep, &session)?;
            }
            Ok(())
        })
        .await?;
    state.sessions.remove_user(user.id);
    crate::realtime::close_user_sockets(state, user.id, "password changed");
    Ok(password_page(&user, Vec::new(), true, StatusCode::OK))
}

/// Creates a brand-new session (never reusing a token sent before login), drops
/// the pre-login one, and redirects.
async fn start_session(
    state: &AppState,
    req: &Request,
    user: &User,
    to: &str,
) -> Result<Response, AppError> {
    state.remember_name(user.id, &user.username);
    let token = secrets::new_token().map_err(|e| AppError::Internal(e.to_string()))?;
    let now = now();
    let session = Session {
        user: user.id,
        created_at: now,
        last_seen: now,
        expires_at: now.plus_millis(millis(state.config.session_ttl)),
    };
    let hash = secrets::token_hash(&token);
    let old = req
        .cookie(crate::app::SESSION_COOKIE)
        .map(|t| secrets::token_hash(&t));
    state
        .db(move |s| {
            if let Some(old) = old {
                // Records a revocation only when that session existed.
                s.delete_session(&old)?;
            }
            s.create_session(&hash, &session)
        })
        .await?;
    Ok(Response::see_other(to).with_cookie(&forms::session_cookie(state, token)))
}

fn failed_login(
    state: &AppState,
    req: &Request,
    username: String,
    next: Option<String>,
) -> Result<Response, AppError> {
    tracing::info!("failed login");
    let error = Some(INVALID_LOGIN.to_owned());
    login_page(state, req, username, next, error, StatusCode::UNAUTHORIZED)
}

fn login_page(
    state: &AppState,
    req: &Request,
    username: String,
    next: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let csrf = forms::anon_csrf(state, req)?;
    let next = next.filter(|n| forms::is_local_path(n));
    let view = LoginView {
        csrf: csrf.token.clone(),
        username,
        next,
        error,
    };
    Ok(with_anon_cookie(
        html(status, chat_web::pages::login::render(&view).into_string()),
        csrf,
    ))
}

fn signup_again(
    state: &AppState,
    req: &Request,
    username: String,
    errors: SignupErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let csrf = forms::anon_csrf(state, req)?;
    let view = SignupView {
        csrf: csrf.token.clone(),
        username,
        errors,
    };
    Ok(with_anon_cookie(
        html(status, chat_web::pages::signup::render(&view).into_string()),
        csrf,
    ))
}

fn password_page(user: &AuthUser, errors: Vec<String>, done: bool, status: StatusCode) -> Response {
    let view = PasswordView {
        me: user.name.to_string(),
        csrf: user.csrf(),
        errors,
        done,
    };
    html(
        status,
        chat_web::pages::password::render(&view).into_string(),
    )
}

fn with_anon_cookie(response: Response, csrf: AnonCsrf) -> Response {
    match csrf.set {
        Some(cookie) => response.with_cookie(&cookie),
        None => response,
    }
}

/// Hashes on the hashing pool.
async fn hash_password(state: &AppState, password: String) -> Result<String, AppError> {
    state.hasher.hash(password).await
}

/// Verifies on the hashing pool. A malformed stored hash counts as a failed
/// verification (and is logged).
async fn verify_password(
    state: &AppState,
    password: String,
    phc: String,
) -> Result<Verification, AppError> {
    match state.hasher.verify(password, phc).await {
        Err(AppError::Internal(e)) => {
            tracing::error!(error = %e, "password verification failed");
            Ok(Verification::Invalid)
        }
        other => other,
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

fn no_errors(errors: &SignupErrors) -> bool {
    errors.username.is_empty()
        && errors.password.is_empty()
        && errors.password2.is_empty()
        && errors.form.is_empty()
}

/// How long `user` must still wait before another login attempt, if at all.
async fn lockout(state: &AppState, user: chat_core::UserId) -> Result<Option<Duration>, AppError> {
    let failures = state.db(move |s| s.login_failures(user)).await?;
    Ok(failures
        .last
        .and_then(|last| chat_core::rate::login_lockout(failures.count, last, now())))
}

fn locked_out(
    state: &AppState,
    req: &Request,
    username: String,
    next: Option<String>,
    wait: Duration,
) -> Result<Response, AppError> {
    tracing::info!("login refused: account throttled");
    let secs = wait.as_secs().max(1);
    let error = Some(format!(
        "Too many failed attempts for this account. Try again in {secs} seconds."
    ));
    let page = login_page(
        state,
        req,
        username,
        next,
        error,
        StatusCode::TOO_MANY_REQUESTS,
    )?;
    Ok(page.with_header(http::header::RETRY_AFTER, &secs.to_string()))
}

/// Counts this signup attempt against the client address; a 429 page when over the limit.
async fn signup_throttled(state: &AppState, req: &Request) -> Result<Option<Response>, AppError> {
    let limit = state.config.signup_limit;
    if limit == 0 {
        return Ok(None);
    }
    let client = forms::client_address(state, req);
    let attempts = state
        .db(move |s| s.record_signup_attempt(&client, now(), SIGNUP_WINDOW))
        .await?;
    if attempts <= limit {
        return Ok(None);
    }
    tracing::info!("signup refused: address throttled");
    let errors = SignupErrors {
        form: vec!["Too many signups from your network. Try again later.".to_owned()],
        ..SignupErrors::default()
    };
    let page = signup_again(
        state,
        req,
        String::new(),
        errors,
        StatusCode::TOO_MANY_REQUESTS,
    )?;
    Ok(Some(page.with_header(http::header::RETRY_AFTER, "3600")))
}
