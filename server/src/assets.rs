//! Static files under `/pkg` (the wasm bundle, its JavaScript and the
//! stylesheet), served the way a CDN would.
//!
//! Release builds (`cargo leptos build --release --precompress`) leave a
//! brotli (`.br`) and a gzip (`.gz`) copy beside each file, made once at
//! build time; the file server sends the best one the browser accepts, as
//! is — no compression work per request (the compression layer skips
//! `/pkg`). With `hash-files`, names carry a content hash, so they are cached
//! for a year (`immutable`); unhashed names (debug builds) are revalidated on
//! every use (`no-cache`).

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, header},
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn pkg_service(site_root: &Path, pkg_dir: &str, hashed: bool) -> Router {
    let files = ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    let cache = if hashed { IMMUTABLE } else { "no-cache" };
    Router::new()
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache),
        ))
}
