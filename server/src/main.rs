//! `watchword serve`: the Twilio Verify v2 (TOTP) API over watchword's stores.
#![forbid(unsafe_code)]

mod app;
mod backoff;
mod clock;
mod error;
mod extras;
mod form;
mod json;
mod layers;
mod metrics;
mod okta;
mod serve;
mod services;
mod settings;
mod twilio;

use std::process::ExitCode;
use std::sync::Arc;

use settings::{Settings, USAGE};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {}
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let settings = match Settings::read(&args[1..], |name| std::env::var(name).ok()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("watchword serve: {e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WATCHWORD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    serve::small_pages();
    // The store is opened outside the async runtime: the PostgreSQL store's blocking client runs
    // a runtime of its own, which may not be made or dropped inside another. The server's state
    // holds it until the process exits.
    let store: services::Shared = match watchword_store::open(&settings.store) {
        Ok(store) => Arc::new(store),
        Err(e) => {
            eprintln!("watchword serve: cannot open the store: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Connections are served on one worker per core; this thread's runtime accepts them and
    // waits for the signal to stop.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let workers = serve::Workers::per_core();
    let (runtime, workers) = match (runtime, workers) {
        (Ok(r), Ok(w)) => (r, w),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("watchword serve: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(serve(settings, store, &workers));
    workers.stop();
    drop(runtime);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("watchword serve: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings, store: services::Shared, workers: &serve::Workers) -> Result<(), String> {
    let tls = match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => Some(serve::tls_config(cert, key)?),
        _ => None,
    };
    if settings.store == "memory:" {
        tracing::warn!(
            "the store is memory: every record is lost when the server stops (--store sqlite:///path keeps them)"
        );
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("{scheme}://{local}"));
    // Lives as long as the process: requests reach it by a plain reference, so no request
    // moves a shared reference count between cores.
    let app: &'static app::App =
        Box::leak(Box::new(app::App::new(&settings, store, public_url.clone()).map_err(|e| e.to_string())?));
    let router = app::router(app, settings.request_timeout);
    tracing::info!(listen = %local, public_url = %public_url, "watchword serve: listening");
    // The line tests and scripts wait for (with the port, when --listen asked for port 0).
    println!("listening on {local}");
    let drain = settings.request_timeout + std::time::Duration::from_secs(1);
    serve::run(listener, router, tls, settings.header_timeout, drain, app::shutdown_signal(), workers).await;
    Ok(())
}
