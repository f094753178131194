//! Prometheus metrics at `/metrics`: requests by method, route template and status, their
//! latencies, verification results by operation, and errors by kind. Labels are route
//! templates (`/v2/Services/{va}/Entities/{identity}/Factors`), never a path's values: no
//! identity, sid, code or secret is ever a label.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};

/// Latency buckets, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// A route's figures: answers by method and status, latencies by method.
#[derive(Default)]
struct Route {
    requests: BTreeMap<(&'static str, u16), u64>,
    latencies: BTreeMap<&'static str, Histogram>,
}

struct Registry {
    /// By route template (a label is made once per route, not once per request).
    routes: BTreeMap<String, Route>,
    results: BTreeMap<(&'static str, &'static str), u64>,
    errors: BTreeMap<&'static str, u64>,
}

impl Registry {
    const EMPTY: Registry = Registry { routes: BTreeMap::new(), results: BTreeMap::new(), errors: BTreeMap::new() };

    /// Adds `other`'s figures to these.
    fn add(&mut self, other: &Registry) {
        for (route, figures) in &other.routes {
            let into = self.routes.entry(route.clone()).or_default();
            for (key, n) in &figures.requests {
                *into.requests.entry(*key).or_default() += n;
            }
            for (method, h) in &figures.latencies {
                let sum = into.latencies.entry(method).or_default();
                sum.counts.iter_mut().zip(h.counts).for_each(|(a, b)| *a += b);
                sum.sum += h.sum;
                sum.count += h.count;
            }
        }
        for (key, n) in &other.results {
            *self.results.entry(*key).or_default() += n;
        }
        for (key, n) in &other.errors {
            *self.errors.entry(key).or_default() += n;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Each thread counts into a registry of its own, so that counting takes no lock another
/// thread holds and moves no cache line between cores; `/metrics` adds them up.
static SHARDS: Mutex<Vec<Arc<Mutex<Registry>>>> = Mutex::new(Vec::new());
/// The figures of threads that ended.
static ENDED: Mutex<Registry> = Mutex::new(Registry::EMPTY);

/// This thread's registry, listed in [`SHARDS`] while the thread lives.
struct Shard(Arc<Mutex<Registry>>);

impl Shard {
    fn new() -> Shard {
        let shard = Arc::new(Mutex::new(Registry::EMPTY));
        lock(&SHARDS).push(shard.clone());
        Shard(shard)
    }
}

impl Drop for Shard {
    fn drop(&mut self) {
        let mut shards = lock(&SHARDS);
        shards.retain(|s| !Arc::ptr_eq(s, &self.0));
        lock(&ENDED).add(&lock(&self.0));
    }
}

thread_local! {
    static SHARD: Shard = Shard::new();
}

/// Counts into this thread's registry (or, while the thread ends, into the ended threads').
fn count(f: impl FnOnce(&mut Registry)) {
    let mut f = Some(f);
    let _ = SHARD.try_with(|shard| {
        if let Some(f) = f.take() {
            f(&mut lock(&shard.0));
        }
    });
    if let Some(f) = f {
        f(&mut lock(&ENDED));
    }
}

/// Every thread's figures added up.
fn total() -> Registry {
    let mut total = Registry::EMPTY;
    let shards = lock(&SHARDS);
    total.add(&lock(&ENDED));
    for shard in shards.iter() {
        total.add(&lock(shard));
    }
    total
}

/// The method's label: the API's methods by name, any other as `other`.
pub fn method_label(method: &Method) -> &'static str {
    [Method::GET, Method::POST, Method::DELETE, Method::PUT, Method::PATCH, Method::HEAD, Method::OPTIONS]
        .iter()
        .find(|m| *m == method)
        .map_or("other", Method::as_str)
}

/// Counts a verification result of an operation (`verify_factor`, `create_challenge` …).
pub fn result(operation: &'static str, result: &'static str) {
    count(|r| *r.results.entry((operation, result)).or_default() += 1);
}

/// Counts an error answer by kind.
pub fn error(kind: &'static str) {
    count(|r| *r.errors.entry(kind).or_default() += 1);
}

/// Counts an answered request and its latency; `route` is the template it matched (`unmatched`:
/// none).
pub fn request(method: &'static str, route: &str, latency: Duration, status: StatusCode) {
    let seconds = latency.as_secs_f64();
    count(|metrics| {
        let figures = match metrics.routes.get_mut(route) {
            Some(figures) => figures,
            None => metrics.routes.entry(route.to_string()).or_default(),
        };
        *figures.requests.entry((method, status.as_u16())).or_default() += 1;
        let histogram = figures.latencies.entry(method).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[i] += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    });
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The metrics in Prometheus' text format.
pub fn render() -> String {
    let metrics = total();
    let mut out = String::new();
    out.push_str("# HELP watchword_http_requests_total HTTP requests by method, route and status.\n");
    out.push_str("# TYPE watchword_http_requests_total counter\n");
    for (route, figures) in &metrics.routes {
        for ((method, status), n) in &figures.requests {
            let _ = writeln!(
                out,
                "watchword_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
    }
    out.push_str("# HELP watchword_http_request_duration_seconds Time to answer, by method and route.\n");
    out.push_str("# TYPE watchword_http_request_duration_seconds histogram\n");
    for (route, figures) in &metrics.routes {
        for (method, h) in &figures.latencies {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "watchword_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "watchword_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "watchword_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "watchword_http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
    }
    out.push_str("# HELP watchword_verification_results_total Codes checked, by operation and result.\n");
    out.push_str("# TYPE watchword_verification_results_total counter\n");
    for ((operation, result), n) in &metrics.results {
        let _ =
            writeln!(out, "watchword_verification_results_total{{operation=\"{operation}\",result=\"{result}\"}} {n}");
    }
    out.push_str("# HELP watchword_errors_total Error answers by kind.\n");
    out.push_str("# TYPE watchword_errors_total counter\n");
    for (kind, n) in &metrics.errors {
        let _ = writeln!(out, "watchword_errors_total{{kind=\"{kind}\"}} {n}");
    }
    out
}

/// `GET /metrics`.
pub async fn serve() -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_of_every_thread_add_up_whether_it_ended_or_not() {
        let line = |text: &str, start: &str| {
            text.lines().find(|l| l.starts_with(start)).map(|l| l.rsplit(' ').next().unwrap_or("").to_string())
        };
        let counted = "watchword_verification_results_total{operation=\"metrics_test\",result=\"approved\"}";
        let route = "/metrics-test/{sid}";
        let requests = format!("watchword_http_requests_total{{method=\"POST\",route=\"{route}\",status=\"201\"}}");
        let latencies = format!("watchword_http_request_duration_seconds_count{{method=\"POST\",route=\"{route}\"}}");
        let ended: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        result("metrics_test", "approved");
                        request("POST", route, Duration::from_millis(3), StatusCode::CREATED);
                    }
                })
            })
            .collect();
        for thread in ended {
            thread.join().unwrap();
        }
        // A thread still running, its figures counted too.
        let (counted_tx, counted_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let running = std::thread::spawn(move || {
            result("metrics_test", "approved");
            counted_tx.send(()).unwrap();
            let _ = done_rx.recv();
        });
        counted_rx.recv().unwrap();
        let text = render();
        assert_eq!(line(&text, counted).as_deref(), Some("41"), "{text}");
        assert_eq!(line(&text, &requests).as_deref(), Some("40"));
        assert_eq!(line(&text, &latencies).as_deref(), Some("40"));
        done_tx.send(()).unwrap();
        running.join().unwrap();
        assert_eq!(line(&render(), counted).as_deref(), Some("41"));
    }
}
