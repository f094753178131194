//! The accept loop: HTTP/1.1 connections (over TLS when a certificate and key are given) with a
//! read timeout for request headers (slow clients cannot hold connections open), each request
//! carrying its client address, and a graceful shutdown that stops accepting and lets the
//! requests in flight finish.
//!
//! Connections are served by [`Workers`]: one single-threaded runtime per core, each connection
//! kept on the thread it was handed to. A multi-threaded runtime moves a request's body between
//! its workers and so wakes a sleeping thread for nearly every request; here a request is read,
//! answered and written without another thread being woken.

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
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!("a connection ended with an error: {e}");
    }
}
