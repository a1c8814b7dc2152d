//! One module per page; each exposes a view model and `render(&View) -> Markup`, a pure
//! function of its argument (no clock, store or environment).

pub mod contacts;
pub mod error;
pub mod login;
pub mod password;
pub mod signup;
pub mod thread;
