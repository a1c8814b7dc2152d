//! Static files (CSS, JS, icon) embedded in the binary and served under content-hashed names.
//!
//! Every asset's public name carries a hash of its bytes (`app.css` → `app.<hash>.css`), so the
//! server can send them with a far-future `Cache-Control: immutable` and a new build can never
//! be served a stale copy. Hashes are computed once, on first use.

use std::sync::OnceLock;

/// URL prefix under which the server mounts [`static_assets`].
pub const STATIC_PREFIX: &str = "/static/";

/// One embedded file, ready to be served.
#[derive(Debug)]
pub struct StaticAsset {
    /// Public, content-hashed file name, e.g. `app.1a2b3c4d5e6f7a8b.js` (no directory).
    pub name: String,
    /// Value for the `Content-Type` header.
    pub content_type: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// Strong entity tag, quotes included (`"1a2b…"`), for `ETag` / `If-None-Match`.
    pub etag: String,
    /// The unhashed name the templates ask for, e.g. `app.js`.
    logical: &'static str,
}

/// Every embedded asset, in a fixed order.
pub fn static_assets() -> &'static [StaticAsset] {
    static ASSETS: OnceLock<Vec<StaticAsset>> = OnceLock::new();
    ASSETS.get_or_init(|| SOURCES.iter().map(build).collect())
}

/// The asset served under the hashed `name` (without the `/static/` prefix), if any.
pub fn find_asset(name: &str) -> Option<&'static StaticAsset> {
    static_assets().iter().find(|asset| asset.name == name)
}

/// The URL of an asset by its logical name: `"app.js"` → `"/static/app.<hash>.js"`.
///
/// An unknown logical name yields `/static/<logical>` unchanged (which the server answers with
/// 404); the layout only asks for names that a test checks exist.
pub fn asset_url(logical: &str) -> String {
    let name = static_assets()
        .iter()
        .find(|asset| asset.logical == logical)
        .map_or(logical, |asset| asset.name.as_str());
    format!("{STATIC_PREFIX}{name}")
}

/// A file as compiled in: logical name, content type, bytes.
struct Source {
    logical: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const SOURCES: &[Source] = &[
    Source {
        logical: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../static/app.css"),
    },
    Source {
        logical: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../static/app.js"),
    },
    Source {
        logical: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../static/favicon.svg"),
    },
];

fn build(source: &Source) -> StaticAsset {
    let hash = format!("{:016x}", fnv1a_64(source.bytes));
    StaticAsset {
        name: hashed_name(source.logical, &hash),
        content_type: source.content_type,
        bytes: source.bytes,
        etag: format!("\"{hash}\""),
        logical: source.logical,
    }
}

/// `app.js` + `abc` → `app.abc.js`; a name without extension gets the hash appended.
fn hashed_name(logical: &str, hash: &str) -> String {
    match logical.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{logical}.{hash}"),
    }
}

/// 64-bit FNV-1a: tiny, stable across builds and platforms, good enough to bust caches.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests;
