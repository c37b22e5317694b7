//! Accepting connections: hyper's HTTP/1 server with the limits axum's plain
//! `serve` lacks.
//!
//! - A request's head must arrive within `HEADER_READ_TIMEOUT`, counted from
//!   when the connection starts waiting for it — so a connection that never
//!   sends a byte, or idles between keep-alive requests, is closed after it.
//!   (Without this, ~1,000 silent connections exhaust a default file
//!   descriptor limit and Kanect stops answering.)
//! - Heads are capped at `MAX_HEADER_BYTES`.
//! - Upgrades (WebSockets) work; shutting down stops accepting, lets requests
//!   in flight finish, and waits at most `DRAIN_TIMEOUT` for them.
//!
//! Each request carries `ConnectInfo<SocketAddr>` like `axum::serve` adds.

use std::{future::Future, time::Duration};

use axum::{Router, extract::ConnectInfo};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tower::ServiceExt;

pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(20);
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // HTTP/1 only: hyper-util's protocol sniffing would wait for a first byte
    // with no timeout at all.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEADER_BYTES.max(8192));
    // Every connection task holds a clone of `open`; `closed` ends when all
    // are gone. `stop` tells them to finish their request and close.
    let (open, mut closed) = tokio::sync::mpsc::channel::<()>(1);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = router.clone();
        let service = tower::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let (open, mut stopping) = (open.clone(), stopping.clone());
        tokio::spawn(async move {
            tokio::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(open);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(open);
    if tokio::time::timeout(DRAIN_TIMEOUT, closed.recv())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after {DRAIN_TIMEOUT:?}");
    }
    Ok(())
}

/// Raises the open-file limit to the hard limit (each socket is a file) and
/// returns the new soft limit.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}
