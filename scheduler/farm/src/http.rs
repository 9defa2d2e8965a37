//! The HTTP server loop: hyper's HTTP/1 connections with a header-read timeout, an idle timeout
//! on every read and write, and graceful shutdown.
//!
//! `axum::serve` sets no timer, so hyper's header-read timeout never runs there, and it has no
//! idle timeout: a client that drips its headers, its body or its reading of a response one
//! byte at a time held a connection (and a task) forever. Here the headers must arrive within
//! `header_read` (hyper starts that clock whenever it waits for a request head, so it is also
//! the keep-alive idle limit), any single read or write that makes no progress for `idle` fails
//! the connection, and the body has `body_read` in all ([`buffer_body`], a middleware).
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Sleep;

use super::config::HttpTimeouts;

/// A stream whose reads and writes fail with `TimedOut` after `idle` without progress in
/// either direction. Progress either way resets both clocks: hyper keeps a read pending while it
/// writes a response (to notice a client hanging up), and a slow but steady download must not
/// be cut off by that read.
pub struct IdleIo<T> {
    inner: T,
    idle: Duration,
    read_stall: Option<Pin<Box<Sleep>>>,
    write_stall: Option<Pin<Box<Sleep>>>,
}

impl<T> IdleIo<T> {
    pub fn new(inner: T, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            read_stall: None,
            write_stall: None,
        }
    }
}

impl<T> IdleIo<T> {
    /// Bytes moved: both clocks restart. Reset, not dropped, so a task waiting on the other
    /// direction keeps its wake-up.
    fn progressed(&mut self) {
        let deadline = tokio::time::Instant::now() + self.idle;
        for sleep in [&mut self.read_stall, &mut self.write_stall]
            .into_iter()
            .flatten()
        {
            sleep.as_mut().reset(deadline);
        }
    }
}

/// `Pending` from the inner stream: arm (or check) the stall timer.
fn stalled(timer: &mut Option<Pin<Box<Sleep>>>, idle: Duration, cx: &mut Context<'_>) -> bool {
    let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
    sleep.as_mut().poll(cx).is_ready()
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} made no progress"))
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => {
                if stalled(&mut this.read_stall, this.idle, cx) {
                    Poll::Ready(Err(timed_out("read")))
                } else {
                    Poll::Pending
                }
            }
            ready => {
                this.progressed();
                ready
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Pending => {
                if stalled(&mut this.write_stall, this.idle, cx) {
                    Poll::Ready(Err(timed_out("write")))
                } else {
                    Poll::Pending
                }
            }
            ready => {
                this.progressed();
                ready
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => {
                if stalled(&mut this.write_stall, this.idle, cx) {
                    Poll::Ready(Err(timed_out("flush")))
                } else {
                    Poll::Pending
                }
            }
            ready => {
                this.progressed();
                ready
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serve `app` on `listener` until `stop` turns true, then finish the open connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    timeouts: HttpTimeouts,
    mut stop: watch::Receiver<bool>,
) {
    let (close_tx, close_rx) = watch::channel(());
    loop {
        if *stop.borrow() {
            break;
        }
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut stop_conn = stop.clone();
        let close_rx = close_rx.clone();
        tokio::spawn(async move {
            let io = TokioIo::new(IdleIo::new(stream, timeouts.idle));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(timeouts.header_read);
            let conn = builder.serve_connection(io, service);
            tokio::pin!(conn);
            let stopping = tokio::select! {
                res = conn.as_mut() => {
                    if let Err(e) = res {
                        tracing::debug!(error = %e, "connection ended");
                    }
                    false
                }
                _ = stop_conn.changed() => true,
            };
            if stopping {
                conn.as_mut().graceful_shutdown();
                if let Err(e) = conn.as_mut().await {
                    tracing::debug!(error = %e, "connection ended");
                }
            }
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
}

/// What [`buffer_body`] needs.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub read_timeout: Duration,
}

fn refusal(status: StatusCode, code: &str, message: String) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

/// Read every request body in full, within `read_timeout` and `max_bytes`, before its handler
/// runs (the API's bodies are small: reports, review decisions): 408 when it does not arrive
/// in time, 413 when it is too large.
pub async fn buffer_body(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    let max = limits.max_bytes;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > max {
            return refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("body is {len} bytes; at most {max} are accepted"),
            );
        }
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(limits.read_timeout, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(_)) => refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("body is larger than the {max} bytes accepted"),
        ),
        Err(_) => refusal(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!(
                "the request body did not arrive within {} s",
                limits.read_timeout.as_secs_f64()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn server(t: HttpTimeouts) -> (std::net::SocketAddr, watch::Sender<bool>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let limits = BodyLimits {
            max_bytes: 1 << 20,
            read_timeout: t.body_read,
        };
        let app = Router::new()
            .route("/", axum::routing::post(|b: String| async move { b }))
            .layer(axum::middleware::from_fn_with_state(limits, buffer_body));
        let (tx, rx) = watch::channel(false);
        tokio::spawn(serve(listener, app, t, rx));
        (addr, tx)
    }

    /// Drip `head` a byte every 200 ms, then read the reply; the time until the server closed.
    async fn drip(addr: std::net::SocketAddr, head: &[u8], dribble: &[u8]) -> (Duration, String) {
        let t = Instant::now();
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let _ = s.write_all(head).await;
        for b in dribble {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if t.elapsed() > Duration::from_secs(20) {
                break;
            }
        }
        let mut reply = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut reply)).await;
        (t.elapsed(), String::from_utf8_lossy(&reply).into_owned())
    }

    const T: HttpTimeouts = HttpTimeouts {
        header_read: Duration::from_millis(800),
        body_read: Duration::from_millis(800),
        idle: Duration::from_secs(5),
    };

    #[tokio::test]
    async fn slow_drip_clients_are_cut_off_in_bounded_time() {
        let (addr, _stop) = server(T).await;
        // Headers dripped forever: closed after the header-read timeout.
        let endless = vec![b'x'; 200];
        let (took, _) = drip(addr, b"POST / HTTP/1.1\r\nhost: a\r\nx-slow: ", &endless).await;
        assert!(took < Duration::from_secs(4), "headers: {took:?}");
        // A body dripped forever: 408 after the body-read timeout.
        let (took, reply) = drip(
            addr,
            b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 1000\r\n\r\n",
            &endless,
        )
        .await;
        assert!(took < Duration::from_secs(4), "body: {took:?}");
        assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
        // A connection that says nothing: closed after the header-read timeout too.
        let (took, _) = drip(addr, b"", &[]).await;
        assert!(took < Duration::from_secs(4), "idle: {took:?}");
        // A prompt client is served.
        let (_, reply) = drip(
            addr,
            b"POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
            &[],
        )
        .await;
        assert!(
            reply.starts_with("HTTP/1.1 200") && reply.ends_with("ok"),
            "{reply}"
        );
    }

    #[tokio::test]
    async fn a_slow_steady_download_is_not_cut_off_by_the_pending_read() {
        let (mut client, server) = tokio::io::duplex(8);
        let (mut r, mut w) = tokio::io::split(IdleIo::new(server, Duration::from_millis(300)));
        // The server waits for the client's next request the whole time, as hyper does.
        let reader = tokio::spawn(async move {
            let mut b = [0u8; 1];
            let t = Instant::now();
            let res = r.read(&mut b).await;
            (t.elapsed(), res.map_err(|e| e.kind()))
        });
        let writer = tokio::spawn(async move { w.write_all(&[7u8; 96]).await });
        // The client reads 8 bytes every 100 ms: 1.2 s in all, 4× the idle timeout.
        let mut got = 0;
        let mut buf = [0u8; 8];
        while got < 96 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            got += client.read(&mut buf).await.expect("read");
        }
        writer.await.expect("join").expect("the download completed");
        // Then nothing moves either way: the pending read times out.
        let (took, res) = reader.await.expect("join");
        assert_eq!(res, Err(io::ErrorKind::TimedOut));
        assert!(took >= Duration::from_millis(1100), "{took:?}");
    }

    #[tokio::test]
    async fn a_stalled_write_fails_after_the_idle_timeout() {
        let (client, server) = tokio::io::duplex(8);
        let mut io = IdleIo::new(server, Duration::from_millis(200));
        let t = Instant::now();
        // Nobody reads `client`: the 8-byte pipe fills and the write stalls.
        let err = io.write_all(&[0u8; 64]).await.expect_err("stalled");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(t.elapsed() < Duration::from_secs(2));
        drop(client);
    }
}
