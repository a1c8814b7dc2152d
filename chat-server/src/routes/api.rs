//! The JSON API: thread list and history pages.

use chat_core::MessageId;
use chat_transport::http::{Request, Response};
use http::StatusCode;
use serde::Serialize;

use super::pages::parse_thread_id;
use crate::app::AppState;
use crate::error::AppError;
use crate::views;

/// Default and largest page size of `/api/threads/{id}/messages`.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

#[derive(Serialize)]
struct ThreadsBody {
    threads: Vec<ThreadJson>,
}

#[derive(Serialize)]
struct ThreadJson {
    id: i64,
    members: Vec<String>,
    last_message: Option<chat_transport::wire::WireMessage>,
    unread: u64,
}

#[derive(Serialize)]
struct MessagesBody {
    messages: Vec<chat_transport::wire::WireMessage>,
    has_more: bool,
}

/// `GET /api/session`: who is signed in (`{"user":null}` when nobody), always 200,
/// so the client can check after a 1008 close without a console error.
pub async fn session(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let user = state.auth(req).await?.map(|u| u.name.to_string());
    Ok(Response::json(
        StatusCode::OK,
        &serde_json::json!({ "user": user }),
    ))
}

/// `GET /api/threads`.
pub async fn threads(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let user = state.auth(req).await?.ok_or(AppError::Unauthenticated)?;
    let id = user.id;
    let summaries = state.db(move |s| s.threads_of(id)).await?;
    let mut threads = Vec::with_capacity(summaries.len());
    for summary in summaries {
        let mut members = Vec::with_capacity(summary.thread.members.len());
        for m in &summary.thread.members {
            members.push(state.username(*m).await?.to_string());
        }
        let last_message = match &summary.last_message {
            Some(m) => Some(views::wire_message(
                m,
                state.username(m.sender).await?.as_str(),
            )),
            None => None,
        };
        threads.push(ThreadJson {
            id: summary.thread.id.get(),
            members,
            last_message,
            unread: summary.unread,
        });
    }
    Ok(Response::json(StatusCode::OK, &ThreadsBody { threads }))
}

/// `GET /api/threads/{id}/messages?before=ID&limit=N`.
pub async fn messages(state: &AppState, req: &Request, raw_id: &str) -> Result<Response, AppError> {
    let user = state.auth(req).await?.ok_or(AppError::Unauthenticated)?;
    let thread_id = parse_thread_id(raw_id)?;
    let params = req.query_params();
    let before = match params.get("before") {
        Some(b) => Some(
            b.parse::<MessageId>()
                .map_err(|_| AppError::BadRequest("before must be a message id".to_owned()))?,
        ),
        None => None,
    };
    let limit = match params.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| AppError::BadRequest("limit must be a positive number".to_owned()))?
            .min(MAX_LIMIT),
        None => DEFAULT_LIMIT,
    };
    state
        .member_thread(user.id, thread_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = state
        .db(move |s| s.history(thread_id, before, limit))
        .await?;
    let mut messages = Vec::with_capacity(page.messages.len());
    for m in &page.messages {
        messages.push(views::wire_message(
            m,
            state.username(m.sender).await?.as_str(),
        ));
    }
    let body = MessagesBody {
        messages,
        has_more: page.has_more,
    };
    Ok(Response::json(StatusCode::OK, &body))
}
