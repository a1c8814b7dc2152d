//! `AppError` and the one place that maps errors to HTTP responses.

use chat_store::StoreError;
use chat_transport::http::Response;
use chat_web::pages::error::ErrorView;
use http::StatusCode;

/// A request that could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// Unknown route, or a resource the user may not know exists.
    #[error("not found")]
    NotFound,
    /// Known route, wrong method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// A form without a valid CSRF token, or a forbidden origin.
    #[error("forbidden")]
    Forbidden,
    /// The request needs a logged-in user.
    #[error("authentication required")]
    Unauthenticated,
    /// Too much work queued (password hashes); try again shortly.
    #[error("server busy")]
    Busy,
    /// Persistence failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("background task failed: {e}"))
    }
}

impl AppError {
    /// The status code for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Renders the error as an HTML page (`api == false`) or JSON, logging server faults.
    pub fn into_response(self, api: bool, me: Option<&str>) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let message = match &self {
            Self::Store(_) | Self::Internal(_) => "Something went wrong on our side.".to_owned(),
            Self::NotFound => "There is nothing here.".to_owned(),
            Self::Forbidden => {
                "The form expired or did not come from this site. Go back, reload and try again."
                    .to_owned()
            }
            other => capitalise(&other.to_string()),
        };
        if api {
            let code = match &self {
                Self::NotFound => "not_found",
                Self::MethodNotAllowed => "method_not_allowed",
                Self::BadRequest(_) => "bad_request",
                Self::Forbidden => "forbidden",
                Self::Unauthenticated => "unauthenticated",
                Self::Busy => "busy",
                Self::Store(_) | Self::Internal(_) => "internal",
            };
            return Response::json(
                status,
                &serde_json::json!({ "error": code, "message": message }),
            );
        }
        error_page(status, &message, me)
    }
}

/// An HTML error page with the given status.
pub fn error_page(status: StatusCode, message: &str, me: Option<&str>) -> Response {
    let view = ErrorView {
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        message: message.to_owned(),
        me: me.map(str::to_owned),
    };
    crate::app::html(status, chat_web::pages::error::render(&view).into_string())
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
