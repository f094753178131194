//! The HTTP ceiling the server's benchmark (bench/server.py) measures `watchword serve` against:
//! an axum handler answering `Hello, World!`, served by the server's own accept loop and workers
//! (one single-threaded runtime per core, pages as the server asks for them), built with the same release profile and allocator.

use axum::routing::get;
use axum::Router;

#[allow(dead_code)]
#[path = "../src/serve.rs"]
mod serve;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".to_string());
    serve::small_pages();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("the tokio runtime");
    let workers = serve::Workers::per_core().expect("the worker threads");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await.expect("the listening address");
        println!("listening on {}", listener.local_addr().expect("the bound address"));
        let app = Router::new().route("/", get(|| async { "Hello, World!" }));
        let timeout = std::time::Duration::from_secs(10);
        serve::run(listener, app, None, timeout, timeout, std::future::pending(), &workers).await;
    });
}
