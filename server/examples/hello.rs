//! The HTTP ceiling the server's benchmark (bench/server.py) measures `watchword serve` against:
//! an axum handler answering `Hello, World!`, on the same multi-threaded tokio runtime as the
//! server, built with the same release profile and the same allocator.

use axum::routing::get;
use axum::Router;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await.expect("the listening address");
        println!("listening on {}", listener.local_addr().expect("the bound address"));
        let app = Router::new().route("/", get(|| async { "Hello, World!" }));
        axum::serve(listener, app).await.expect("serving");
    });
}
