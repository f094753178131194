//! The accept loop: HTTP/1.1 connections (over TLS when a certificate and key are given) with a
//! read timeout for request headers (slow clients cannot hold connections open), each request
//! carrying its client address, and a graceful shutdown that stops accepting and lets the
//! requests in flight finish.
//!
//! Connections are served by [`Workers`]: one single-threaded runtime per core, each connection
//! kept on the thread it was handed to. A multi-threaded runtime moves a request's body between
//! its workers and so wakes a sleeping thread for nearly every request; here a request is read,
//! answered and written without another thread being woken. A worker reads and handles the
//! requests it has ready before it writes their answers ([`Deferred`]).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Asks the kernel to back this process's memory with base pages only (4 KiB on x86-64), not
/// transparent huge pages, as servers that keep their data in memory commonly do (Redis and
/// MongoDB advise it). A memory store grows by a few hundred bytes a request; with huge pages
/// each new 2 MiB page is zeroed whole at its first touch, in the middle of some request. In
/// the server's benchmark the memory store answers about 4% more requests per second without
/// them, and its p99 falls from about 42 ms to 2.4 ms. Elsewhere than on Linux, or if the
/// kernel refuses, nothing changes.
pub fn small_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!("transparent huge pages stay as the system sets them: {e}");
    }
}

/// The TLS configuration from PEM files: the certificate chain and its private key. Errors name
/// the file, never its content.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|_| format!("cannot read a PEM certificate chain from {}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|_| format!("cannot read a PEM private key from {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and the key do not make a TLS configuration: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The threads connections are served on: a single-threaded tokio runtime on each, running until
/// [`Workers::stop`]. Blocking work (`spawn_blocking`) goes to the pool of the runtime that asks.
pub struct Workers {
    handles: Vec<Handle>,
    threads: Vec<std::thread::JoinHandle<()>>,
    stop: tokio::sync::watch::Sender<()>,
}

impl Workers {
    /// Starts `count` (at least one) worker threads.
    pub fn start(count: usize) -> std::io::Result<Workers> {
        let (stop, stopped) = tokio::sync::watch::channel(());
        let mut workers = Workers { handles: Vec::new(), threads: Vec::new(), stop };
        for i in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            workers.handles.push(runtime.handle().clone());
            let mut stopped = stopped.clone();
            let thread = std::thread::Builder::new().name(format!("watchword-worker-{i}")).spawn(move || {
                // Runs the connections handed to this runtime until the sender is dropped.
                runtime.block_on(async move { while stopped.changed().await.is_ok() {} });
            });
            match thread {
                Ok(thread) => workers.threads.push(thread),
                Err(e) => {
                    workers.stop();
                    return Err(e);
                }
            }
        }
        Ok(workers)
    }

    /// One worker per core of the machine (as the operating system reports them).
    pub fn per_core() -> std::io::Result<Workers> {
        Workers::start(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Stops every worker (connections still open are dropped) and waits for their threads.
    pub fn stop(self) {
        let Workers { handles, threads, stop } = self;
        drop(handles);
        drop(stop);
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// Serves `app` on `listener`, each connection on one of `workers` in turn, until `shutdown`
/// completes, then waits up to `drain` for the requests in flight.
pub async fn run(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    header_timeout: Duration,
    drain: Duration,
    shutdown: impl std::future::Future<Output = ()>,
    workers: &Workers,
) {
    let graceful = GracefulShutdown::new();
    let acceptor = tls.map(TlsAcceptor::from);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut next = 0;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Handed over as a plain socket: the worker registers it with its own runtime.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!("handing a connection over failed: {e}");
                continue;
            }
        };
        let app = app.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        next = (next + 1) % workers.handles.len();
        workers.handles[next].spawn(async move {
            let stream = match TcpStream::from_std(stream) {
                Ok(stream) => stream,
                Err(e) => return tracing::warn!("taking a connection over failed: {e}"),
            };
            match acceptor {
                None => serve_connection(stream, peer, app, header_timeout, watcher).await,
                // The handshake is bounded like the headers that follow it.
                Some(acceptor) => match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => serve_connection(stream, peer, app, header_timeout, watcher).await,
                    Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                },
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => tracing::warn!("requests still in flight after {drain:?}: stopping anyway"),
    }
}

/// Serves one connection until it closes (or, after a shutdown began, its request in flight
/// is answered).
async fn serve_connection<S>(stream: S, peer: SocketAddr, app: Router, header_timeout: Duration, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(Deferred { io: stream, read: false }), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!("a connection ended with an error: {e}");
    }
}

/// A connection whose answer to a request first lets the other connections its worker has ready
/// run (its task is woken to run again after them): the answers of one pass then go out one
/// after the other, so that a client holding many connections wakes once for several answers
/// rather than once for each. When nothing else is ready the answer goes out at once.
struct Deferred<S> {
    io: S,
    /// A request was read since the last answer was written.
    read: bool,
}

impl<S: AsyncRead + Unpin> AsyncRead for Deferred<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.read = true;
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> Deferred<S> {
    /// Whether to let the worker's other ready connections run first.
    fn defer(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        if !std::mem::take(&mut self.read) {
            return false;
        }
        cx.waker().wake_by_ref();
        true
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deferred<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.defer(cx) {
            return std::task::Poll::Pending;
        }
        std::pin::Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.defer(cx) {
            return std::task::Poll::Pending;
        }
        std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    use super::Deferred;

    /// A waker that counts its wakes.
    struct Wakes(AtomicUsize);

    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn an_answer_lets_the_other_ready_connections_run_once_before_it_is_written() {
        let (io, mut client) = tokio::io::duplex(256);
        let mut server = Deferred { io, read: false };
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        // Nothing read yet: a write goes out at once.
        assert!(matches!(Pin::new(&mut server).poll_write(&mut cx, b"hello"), Poll::Ready(Ok(5))));
        for round in 1..=2 {
            assert!(matches!(
                Pin::new(&mut client).poll_write(&mut cx, b"GET / HTTP/1.1\r\n\r\n"),
                Poll::Ready(Ok(18))
            ));
            let mut buf = [0u8; 64];
            let mut read = ReadBuf::new(&mut buf);
            assert!(matches!(Pin::new(&mut server).poll_read(&mut cx, &mut read), Poll::Ready(Ok(()))));
            assert_eq!(read.filled().len(), 18);
            // The answer to a request waits once, its task woken to be polled again…
            let answer = [std::io::IoSlice::new(b"HTTP/1.1 200 OK\r\n"), std::io::IoSlice::new(b"\r\n")];
            let first = if round == 1 {
                Pin::new(&mut server).poll_write(&mut cx, b"HTTP/1.1 200 OK\r\n\r\n")
            } else {
                Pin::new(&mut server).poll_write_vectored(&mut cx, &answer)
            };
            assert!(first.is_pending());
            assert_eq!(wakes.0.load(Ordering::SeqCst), round);
            // …then goes out, and the rest of it too.
            assert!(matches!(Pin::new(&mut server).poll_write_vectored(&mut cx, &answer), Poll::Ready(Ok(19))));
            assert!(matches!(Pin::new(&mut server).poll_write(&mut cx, b"more"), Poll::Ready(Ok(4))));
            assert!(matches!(Pin::new(&mut server).poll_flush(&mut cx), Poll::Ready(Ok(()))));
        }
        // A read that finds the connection closed is no request.
        drop(client);
        let mut buf = [0u8; 64];
        let mut read = ReadBuf::new(&mut buf);
        assert!(matches!(Pin::new(&mut server).poll_read(&mut cx, &mut read), Poll::Ready(Ok(()))));
        assert!(matches!(Pin::new(&mut server).poll_write(&mut cx, b"x"), Poll::Ready(Err(_))));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 2);
    }
}
