//! `GET /ws` and `GET /ws/threads/{id}`: checks before the 101, then hands over.

use std::sync::Arc;

use chat_transport::http::{OriginCheck, Request, Response, check_origin};
use chat_transport::hub::Scope;
use chat_transport::ws::{self, WsConfig};
use http::StatusCode;

use super::pages::parse_thread_id;
use crate::app::AppState;
use crate::error::AppError;
use crate::realtime::WsSession;

/// Upgrades to a WebSocket after checking, in order: the session (401), the
/// Origin (403), membership of the thread (404). A request without an Origin
/// header is not from a browser page (browsers always send one on WebSocket
/// handshakes) and is allowed: it still needs the session cookie.
pub async fn upgrade(
    state: &Arc<AppState>,
    req: &mut Request,
    thread: Option<&str>,
) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        return Ok(Response::text(
            StatusCode::UNAUTHORIZED,
            "authentication required\n",
        ));
    };
    let origin = check_origin(
        req,
        state.config.secure_cookies,
        &state.config.allowed_origins,
    );
    if matches!(origin, OriginCheck::Forbidden) {
        tracing::warn!("websocket from a foreign origin refused");
        return Ok(Response::text(
            StatusCode::FORBIDDEN,
            "origin not allowed\n",
        ));
    }
    let scope = match thread {
        Some(raw) => {
            let id = parse_thread_id(raw)?;
            state
                .member_thread(user.id, id)
                .await?
                .ok_or(AppError::NotFound)?;
            Scope::Thread(id)
        }
        None => Scope::All,
    };
    if !req.is_websocket_upgrade() {
        return Err(AppError::BadRequest(
            "expected a websocket upgrade".to_owned(),
        ));
    }
    let handler = Arc::new(WsSession {
        state: Arc::clone(state),
        token: crate::secrets::token_hash(&user.token),
    });
    Ok(ws::upgrade(
        req,
        Arc::clone(&state.hub),
        user.id,
        scope,
        handler,
        WsConfig::default(),
    ))
}
