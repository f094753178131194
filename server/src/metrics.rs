//! Prometheus metrics at `/metrics`: requests by method, route template and status, their
//! latencies, verification results by operation, and errors by kind. Labels are route
//! templates (`/v2/Services/{va}/Entities/{identity}/Factors`), never a path's values: no
//! identity, sid, code or secret is ever a label.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

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

static METRICS: Mutex<Registry> =
    Mutex::new(Registry { routes: BTreeMap::new(), results: BTreeMap::new(), errors: BTreeMap::new() });

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    METRICS.lock().unwrap_or_else(|p| p.into_inner())
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
    *registry().results.entry((operation, result)).or_default() += 1;
}

/// Counts an error answer by kind.
pub fn error(kind: &'static str) {
    *registry().errors.entry(kind).or_default() += 1;
}

/// Counts and times an answered request; `route` is the template it matched (`None`: none).
pub fn request(method: &'static str, route: Option<&str>, started: Instant, status: StatusCode) {
    let seconds = started.elapsed().as_secs_f64();
    let route = route.unwrap_or("unmatched");
    let mut metrics = registry();
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
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The metrics in Prometheus' text format.
pub fn render() -> String {
    let metrics = registry();
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
