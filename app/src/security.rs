//! Same-origin checks for state-changing requests and WebSocket upgrades.
//!
//! Kanect's CSRF defence: a POST (every server function) or a WebSocket
//! handshake is accepted only when its `Origin` header (or, failing that, its
//! `Referer`) names Kanect's own origin: `public_origin` when configured,
//! otherwise the `Host` the request was sent to. Browsers set `Origin` on
//! cross-site requests and pages cannot forge it, so a form on another site
//! cannot post to Kanect with the victim's cookie.

use axum::http::{HeaderMap, header};

/// `scheme://host[:port]` of a URL, without path.
fn origin_of(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    Some(&url[..end])
}

/// The origin the request claims to come from, if any.
pub fn request_origin(headers: &HeaderMap) -> Option<String> {
    let value = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match value(header::ORIGIN) {
        Some("null") => None,
        Some(origin) => Some(origin.trim_end_matches('/').to_owned()),
        None => value(header::REFERER)
            .and_then(origin_of)
            .map(str::to_owned),
    }
}

/// True when the request comes from Kanect's own origin.
pub fn is_same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Some(origin) = request_origin(headers) else {
        return false;
    };
    match public_origin {
        Some(expected) => origin.eq_ignore_ascii_case(expected),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let origin_host = origin.split_once("://").map(|(_, h)| h);
            matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn an_origin_matching_the_host_is_accepted_without_configuration() {
        let h = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ]);
        assert!(is_same_origin(&h, None));
    }

    #[test]
    fn another_site_or_no_origin_at_all_is_refused() {
        let evil = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        assert!(!is_same_origin(&evil, None));
        let none = headers(&[(header::HOST, "127.0.0.1:3000")]);
        assert!(!is_same_origin(&none, None));
        let null = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "null")]);
        assert!(!is_same_origin(&null, None));
    }

    #[test]
    fn the_referer_stands_in_when_origin_is_missing() {
        let h = headers(&[
            (header::HOST, "chat.example.com"),
            (header::REFERER, "https://chat.example.com/login?x=1"),
        ]);
        assert!(is_same_origin(&h, None));
        assert!(is_same_origin(&h, Some("https://chat.example.com")));
        assert!(!is_same_origin(&h, Some("https://other.example.com")));
    }

    #[test]
    fn a_configured_origin_must_match_exactly_including_scheme() {
        let h = headers(&[
            (header::HOST, "chat.example.com"),
            (header::ORIGIN, "http://chat.example.com"),
        ]);
        assert!(!is_same_origin(&h, Some("https://chat.example.com")));
    }
}
