//! HTML pages: contacts, a thread, opening a chat, posting without JavaScript, static files.

use chat_core::{MessageBody, MessageId, ThreadId, UserPair, Username};
use chat_transport::http::{Request, Response};
use chat_web::pages::{contacts::ContactsView, thread::ThreadView};
use http::StatusCode;

use super::forms;
use crate::app::{AppState, AuthUser, html, now};
use crate::error::AppError;
use crate::realtime::{self, PostError};
use crate::views;

/// Messages on one thread page.
const PAGE_SIZE: usize = 50;
/// Contacts without a thread shown in a thread page's sidebar.
const SIDEBAR_OTHERS: usize = 20;

/// `GET /`: the contact list.
pub async fn contacts(state: &AppState, req: &Request) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        return Ok(Response::see_other("/login?next=%2F"));
    };
    let id = user.id;
    let (contacts, last_id) = state
        .db(move |s| {
            // The resume point is read first: anything committed after it is
            // delivered live or by resume (the client drops duplicates by id).
            let last_id = s.latest_message_id(id, None)?;
            Ok((s.contacts(id)?, last_id))
        })
        .await?;
    let view = ContactsView {
        me: user.name.to_string(),
        csrf: user.csrf(),
        total_unread: contacts.iter().map(|c| c.unread).sum(),
        contacts: contacts
            .iter()
            .map(|c| views::contact_view(c, None))
            .collect(),
        last_id: last_id.get(),
    };
    for c in &contacts {
        state.remember_name(c.user.id, &c.user.username);
    }
    Ok(html(
        StatusCode::OK,
        chat_web::pages::contacts::render(&view).into_string(),
    ))
}

/// `GET /chat/{username}`: get or create the 1:1 thread, then go there.
pub async fn open_chat(state: &AppState, req: &Request, name: &str) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        return Ok(forms::login_redirect(req));
    };
    let name = Username::parse(name).map_err(|_| AppError::NotFound)?;
    let other = state
        .db(move |s| s.user_by_name(&name))
        .await?
        .ok_or(AppError::NotFound)?;
    let pair = UserPair::new(user.id, other.id)
        .map_err(|_| AppError::BadRequest("you cannot open a thread with yourself".to_owned()))?;
    let thread = state
        .db(move |s| s.get_or_create_direct_thread(pair, now()))
        .await?;
    Ok(Response::see_other(&format!("/threads/{}", thread.id)))
}

/// `GET /threads/{id}[?before=M]`: a page of the conversation, oldest first.
pub async fn thread(state: &AppState, req: &Request, raw_id: &str) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        return Ok(forms::login_redirect(req));
    };
    let thread_id = parse_thread_id(raw_id)?;
    let before = match req.query_params().get("before") {
        Some(b) => Some(
            b.parse::<MessageId>()
                .map_err(|_| bad("before must be a message id"))?,
        ),
        None => None,
    };
    let page = PageRequest {
        before,
        error: None,
        draft: String::new(),
    };
    render_thread(state, &user, thread_id, page, StatusCode::OK).await
}

/// What a thread page shows besides the messages.
struct PageRequest {
    before: Option<MessageId>,
    error: Option<String>,
    draft: String,
}

/// `POST /threads/{id}/messages`: stores a message from the no-JavaScript form.
pub async fn post_message(
    state: &AppState,
    req: &Request,
    raw_id: &str,
) -> Result<Response, AppError> {
    let Some(user) = state.auth(req).await? else {
        return Ok(forms::login_redirect(req));
    };
    let thread_id = parse_thread_id(raw_id)?;
    let form = req.form();
    forms::check_session_csrf(&user, &form)?;
    let raw_body = form.get("body").unwrap_or("").to_owned();
    let error = match MessageBody::parse(&raw_body) {
        Ok(body) => match realtime::post_message(state, user.id, thread_id, body, None).await {
            Ok(_) => return Ok(Response::see_other(&format!("/threads/{thread_id}"))),
            Err(PostError::NotMember) => return Err(AppError::NotFound),
            Err(PostError::RateLimited) => "You are sending too fast; wait a moment.".to_owned(),
            Err(PostError::App(e)) => return Err(e),
        },
        Err(e) => format!("Your message was not sent: {e}."),
    };
    let page = PageRequest {
        before: None,
        error: Some(error),
        draft: raw_body,
    };
    render_thread(
        state,
        &user,
        thread_id,
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `GET /static/{name}`: embedded, content-hashed assets.
pub fn static_asset(req: &Request, name: &str) -> Result<Response, AppError> {
    let asset = chat_web::find_asset(name).ok_or(AppError::NotFound)?;
    Ok(Response::static_asset(
        req,
        asset.bytes,
        asset.content_type,
        &asset.etag,
        true,
    ))
}

async fn render_thread(
    state: &AppState,
    user: &AuthUser,
    thread_id: ThreadId,
    request: PageRequest,
    status: StatusCode,
) -> Result<Response, AppError> {
    let PageRequest {
        before,
        error,
        draft,
    } = request;
    let thread = state
        .member_thread(user.id, thread_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let peer_id = thread.others(user.id).next().ok_or(AppError::NotFound)?;
    let peer = state.username(peer_id).await?;
    let me = user.id;
    let (page, read_up_to) = state
        .db(move |s| {
            let page = s.thread_page(me, thread_id, before, PAGE_SIZE, SIDEBAR_OTHERS)?;
            // Viewing the newest page reads the thread (a write only when it moves).
            let mine = page.cursors.iter().find(|(u, _)| *u == me).map(|(_, m)| *m);
            let newest = page
                .history
                .messages
                .last()
                .map(|m| m.id)
                .filter(|_| before.is_none());
            let read = match newest {
                Some(up_to) if mine.is_none_or(|m| m < up_to) => {
                    Some(s.mark_read(me, thread_id, up_to)?)
                }
                _ => None,
            };
            Ok((page, read))
        })
        .await?;
    let chat_store::ThreadPage {
        last_id,
        history: page,
        cursors,
        mut sidebar,
        more_contacts,
    } = page;
    if read_up_to.is_some() {
        // The snapshot was read before this page moved my cursor to its
        // newest message, the thread's newest in that snapshot: nothing in it
        // is unread any more.
        for contact in sidebar.iter_mut().filter(|c| c.thread == Some(thread_id)) {
            contact.unread = 0;
        }
    }
    if let Some(up_to) = read_up_to {
        realtime::publish_read(state, user, &thread, up_to);
    }
    let peer_read_up_to = cursors
        .iter()
        .find(|(u, _)| *u == peer_id)
        .map_or(0, |(_, m)| m.get());
    let older_href = page
        .messages
        .first()
        .filter(|_| page.has_more)
        .map(|m| format!("/threads/{thread_id}?before={}", m.id));
    let messages = page
        .messages
        .into_iter()
        .map(|m| {
            let sender = if m.sender == user.id {
                &user.name
            } else {
                &peer
            };
            views::message_view(m, sender.as_str(), user.id)
        })
        .collect();
    let newer_href = before.map(|_| format!("/threads/{thread_id}"));
    let active = Some(thread_id.get());
    // The sidebar shows everyone I have a thread with and a few others; the
    // full list (every user) is the contacts page, so a thread page stays small
    // (and its queries follow my threads, not the number of users).
    let view = ThreadView {
        me: user.name.to_string(),
        csrf: user.csrf(),
        thread_id: thread_id.get(),
        peer: peer.to_string(),
        total_unread: sidebar.iter().map(|c| c.unread).sum(),
        contacts: sidebar
            .iter()
            .map(|c| views::contact_view(c, active))
            .collect(),
        more_contacts,
        messages,
        older_href,
        newer_href,
        last_id: last_id.get(),
        peer_read_up_to,
        error,
        draft,
    };
    Ok(html(
        status,
        chat_web::pages::thread::render(&view).into_string(),
    ))
}

/// Parses a thread id from a path segment; garbage is simply "not found".
pub fn parse_thread_id(raw: &str) -> Result<ThreadId, AppError> {
    raw.parse::<ThreadId>()
        .ok()
        .filter(|id| id.get() > 0)
        .ok_or(AppError::NotFound)
}

fn bad(message: &str) -> AppError {
    AppError::BadRequest(message.to_owned())
}
