//! Same-origin checks for state-changing requests and WebSocket upgrades.
//!
//! Kanect's CSRF defence: a POST (every server function) or a WebSocket
//! handshake is accepted only when its `Origin` header (or, failing that, its
//! `Referer`) names Kanect's own origin: `public_origin` when configured,
//! otherwise the `Host` the request was sent to. Browsers set `Origin` on
//! cross-site requests and pages cannot forge it, so a form on another site
//! cannot post to Kanect with the victim's cookie.

use std::net::{IpAddr, SocketAddr};

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

/// The script nonce the server chose for a page response before rendering it
/// (left in the request's extensions by the server's page middleware, which
/// also sets the matching Content-Security-Policy on the response).
#[derive(Clone, Debug)]
pub struct PageNonce(pub String);

/// Hands this request's `PageNonce` to Leptos, so the hydration scripts carry
/// the nonce the response's policy names. Call once, while rendering the shell.
pub fn provide_page_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// The Content-Security-Policy of a rendered page: scripts only from Kanect
/// itself and the inline hydration script carrying this render's `nonce`;
/// WebAssembly may compile; no inline styles, no plugins, no framing. In
/// `cargo leptos watch` the live-reload socket (another port) may connect.
pub fn page_csp(nonce: &str, watch: bool) -> String {
    let connect = if watch { "'self' ws: wss:" } else { "'self'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src {connect}; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// True under `cargo leptos watch`, whose live-reload script Leptos adds to
/// pages (it reads the same variable, set by cargo-leptos).
pub fn live_reload() -> bool {
    static WATCH: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WATCH.get_or_init(|| std::env::var_os("LEPTOS_WATCH").is_some())
}

/// The file name of an asset in `pkg/` as built: `kanect.css`, or with
/// cargo-leptos' `hash-files`, `kanect.<hash>.css` (the hash read from the
/// hash file beside the server binary, where Leptos reads the script's).
pub fn asset_name(options: &leptos::config::LeptosOptions, ext: &str) -> String {
    use std::sync::OnceLock;
    static HASHES: OnceLock<String> = OnceLock::new();
    let name = &options.output_name;
    if !options.hash_files {
        return format!("{name}.{ext}");
    }
    let hashes = HASHES.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    });
    hashes
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(kind, _)| kind.trim() == ext)
        .map_or_else(
            || format!("{name}.{ext}"),
            |(_, hash)| format!("{name}.{}.{ext}", hash.trim()),
        )
}

/// The client's address: the connection's peer, or — only when that peer is
/// one of `trusted` reverse proxies — the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. A client that talks
/// to Kanect directly cannot choose its address with a header.
pub fn client_addr(headers: &HeaderMap, peer: SocketAddr, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.ip().to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(&client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// True when `Host` names this server: a loopback name or address, or the
/// address it listens on. Used when no `public_origin` is configured, so a
/// page on another site cannot reach Kanect through a DNS name it controls
/// (DNS rebinding).
pub fn is_local_host(headers: &HeaderMap, listen: SocketAddr) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || (!listen.ip().is_unspecified() && ip == listen.ip()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let h = headers(&[(
            header::HeaderName::from_static("x-forwarded-for"),
            "1.2.3.4, 203.0.113.9, 10.0.0.7",
        )]);
        let proxy: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let direct: SocketAddr = "198.51.100.1:5000".parse().unwrap();
        assert_eq!(
            client_addr(&h, proxy, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(&h, direct, &trusted), direct.ip());
        assert_eq!(client_addr(&h, proxy, &[]), proxy.ip());
        assert_eq!(client_addr(&HeaderMap::new(), proxy, &trusted), proxy.ip());
    }

    #[test]
    fn only_loopback_or_the_listen_address_is_a_local_host() {
        let any: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        let lan: SocketAddr = "192.168.1.5:3000".parse().unwrap();
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "[::1]:3000",
            "LOCALHOST",
        ] {
            assert!(
                is_local_host(&headers(&[(header::HOST, host)]), any),
                "{host}"
            );
        }
        assert!(is_local_host(
            &headers(&[(header::HOST, "192.168.1.5:3000")]),
            lan
        ));
        for host in ["evil.example", "evil.example:3000", "192.168.1.5:3000"] {
            assert!(
                !is_local_host(&headers(&[(header::HOST, host)]), any),
                "{host}"
            );
        }
        assert!(!is_local_host(&HeaderMap::new(), any));
    }

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
