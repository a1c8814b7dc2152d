//! The route table: one function per route, grouped by area.

mod api;
mod auth;
mod forms;
mod pages;
mod realtime;

use std::sync::Arc;

use chat_transport::http::{Request, Response};
use http::{Method, StatusCode};

use crate::app::{AppState, is_get, method_not_allowed};
use crate::error::AppError;

/// Routes one request. Errors are rendered by the caller.
pub async fn dispatch(state: &Arc<AppState>, mut req: Request) -> Result<Response, AppError> {
    let segments = req.path_segments();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = is_get(&req.method);
    let post = req.method == Method::POST;
    match segs.as_slice() {
        ["healthz"] if get => Ok(Response::text(StatusCode::OK, "ok")),
        [] if get => pages::contacts(state, &req).await,
        ["static", name] if get => pages::static_asset(&req, name),
        ["signup"] if get => auth::signup_form(state, &req),
        ["signup"] if post => auth::signup(state, &req).await,
        ["login"] if get => auth::login_form(state, &req),
        ["login"] if post => auth::login(state, &req).await,
        ["logout"] if post => auth::logout(state, &req).await,
        ["account", "password"] if get => auth::password_form(state, &req).await,
        ["account", "password"] if post => auth::change_password(state, &req).await,
        ["chat", username] if get => pages::open_chat(state, &req, username).await,
        ["threads", id] if get => pages::thread(state, &req, id).await,
        ["threads", id, "messages"] if post => pages::post_message(state, &req, id).await,
        ["api", "session"] if get => api::session(state, &req).await,
        ["api", "threads"] if get => api::threads(state, &req).await,
        ["api", "threads", id, "messages"] if get => api::messages(state, &req, id).await,
        ["ws"] if get => realtime::upgrade(state, &mut req, None).await,
        ["ws", "threads", id] if get => realtime::upgrade(state, &mut req, Some(id)).await,
        []
        | ["healthz" | "signup" | "login" | "logout" | "ws"]
        | ["account", "password"]
        | ["static" | "chat" | "threads", _]
        | ["threads", _, "messages"]
        | ["ws", "threads", _]
        | ["api", "threads" | "session"]
        | ["api", "threads", _, "messages"] => Err(method_not_allowed(&req)),
        _ => Err(AppError::NotFound),
    }
}
