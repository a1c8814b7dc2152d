//! HTML pages and embedded static assets of the chat, with no I/O of any kind.
//!
//! Every page is a pure function from a view model of plain strings and numbers to
//! [`maud::Markup`]: templates never read the clock, the store or the environment, splice
//! user text only through maud's escaping, and emit no inline script or style, so they run
//! under a strict Content-Security-Policy. The browser client (`static/app.js`) and the
//! stylesheet are compiled into the binary and served under content-hashed names.
//!
//! Public surface:
//! - [`layout`]: [`layout::page`] (the document shell), [`PageData`] (the `<body>` `data-*`
//!   attributes the client reads), [`layout::title_with_unread`].
//! - [`pages`]: one module per page, each with a view model and `render`:
//!   [`pages::login`], [`pages::signup`], [`pages::contacts`], [`pages::thread`],
//!   [`pages::password`], [`pages::error`]. The view models are re-exported here.
//! - [`components`]: the small `Render` pieces the pages share.
//! - Static files: [`StaticAsset`], [`static_assets`], [`find_asset`], [`asset_url`].

pub mod assets;
pub mod components;
pub mod layout;
pub mod pages;

pub use assets::{STATIC_PREFIX, StaticAsset, asset_url, find_asset, static_assets};
pub use components::{ContactView, MessageView};
pub use layout::PageData;
pub use pages::contacts::ContactsView;
pub use pages::error::ErrorView;
pub use pages::login::LoginView;
pub use pages::password::PasswordView;
pub use pages::signup::{SignupErrors, SignupView};
pub use pages::thread::ThreadView;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
