//! The layers of the server's own that requests pass: authentication, and the request timeout,
//! metrics and request logs. They are plain services, so that a request costs no clone of the
//! routes behind them (a middleware written as an async function holds, and so clones, the
//! whole stack below it on every call).

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::app::App;

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// What a layer does with a request: answers it itself, or hands it to `inner` (the routes
/// below) and maybe looks at the answer.
pub trait Step: Clone {
    fn call<S>(&self, inner: &mut S, request: Request) -> Answer
    where
        S: Service<Request, Response = Response, Error = Infallible>,
        S::Future: Send + 'static;
}

/// A [`Step`] as a tower layer.
#[derive(Clone)]
pub struct Layered<T, S> {
    step: T,
    inner: S,
}

/// Makes [`Layered`] services of a step.
#[derive(Clone)]
pub struct Wrap<T>(pub T);

impl<T: Step, S> Layer<S> for Wrap<T> {
    type Service = Layered<T, S>;
    fn layer(&self, inner: S) -> Layered<T, S> {
        Layered { step: self.0.clone(), inner }
    }
}

impl<T, S> Service<Request> for Layered<T, S>
where
    T: Step,
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Answer {
        self.step.call(&mut self.inner, request)
    }
}

/// Why a request is refused: its client failed too often lately (for how long more), or its
/// credentials are not the API's.
pub enum Refusal {
    Blocked(Duration),
    Unauthorized,
}

/// Lets a request through to the routes below when its `Authorization` header is accepted;
/// a client address that fails repeatedly is refused for a while ([`crate::backoff`]), whatever
/// it presents. Each API says what it accepts and how it words a refusal.
#[derive(Clone)]
pub struct Guard {
    app: &'static App,
    accepts: fn(&App, Option<&str>) -> bool,
    refuse: fn(Refusal) -> Response,
}

impl Guard {
    pub fn layer(
        app: &'static App,
        accepts: fn(&App, Option<&str>) -> bool,
        refuse: fn(Refusal) -> Response,
    ) -> Wrap<Guard> {
        Wrap(Guard { app, accepts, refuse })
    }
}

impl Step for Guard {
    fn call<S>(&self, inner: &mut S, request: Request) -> Answer
    where
        S: Service<Request, Response = Response, Error = Infallible>,
        S::Future: Send + 'static,
    {
        // Every request carries its client's address (serve.rs); one without is no client's.
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| peer.ip());
        let refusal = if let Some(wait) = self.app.failures.blocked(peer) {
            Refusal::Blocked(wait)
        } else if (self.accepts)(self.app, request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok())) {
            return Box::pin(inner.call(request));
        } else {
            self.app.failures.failed(peer);
            Refusal::Unauthorized
        };
        Box::pin(std::future::ready(Ok((self.refuse)(refusal))))
    }
}

/// Bounds, counts, times and logs every request: an answer not ready within the request
/// timeout is replaced by `408 Request Timeout`; every answer is counted and timed
/// ([`crate::metrics`]) and logged (target `watchword::requests`: debug, or error for a server
/// error) by its method, the route template it matched, its status and latency — never by
/// its path's values or its body.
#[derive(Clone, Copy)]
pub struct Track {
    pub timeout: Duration,
}

impl Step for Track {
    fn call<S>(&self, inner: &mut S, request: Request) -> Answer
    where
        S: Service<Request, Response = Response, Error = Infallible>,
        S::Future: Send + 'static,
    {
        let method = crate::metrics::method_label(request.method());
        let route = request.extensions().get::<MatchedPath>().cloned();
        let started = Instant::now();
        let deadline = tokio::time::Instant::from_std(started + self.timeout);
        let answer = inner.call(request);
        Box::pin(async move {
            let response = within(deadline, answer).await?;
            let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
            let status = response.status();
            let latency = started.elapsed();
            crate::metrics::request(method, route, latency, status);
            let latency_us = latency.as_micros();
            if status.is_server_error() {
                tracing::error!(target: "watchword::requests", method, route, status = status.as_u16(), latency_us);
            } else {
                tracing::debug!(target: "watchword::requests", method, route, status = status.as_u16(), latency_us);
            }
            Ok(response)
        })
    }
}

/// `answer`, or `408 Request Timeout` once `deadline` has passed. The timer is set only when
/// the answer is not ready at its first poll: a request answered in one go (over the memory
/// store, with its body already read) costs no timer.
async fn within<F>(deadline: tokio::time::Instant, answer: F) -> Result<Response, Infallible>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    let mut answer = std::pin::pin!(answer);
    let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(answered) = answer.as_mut().poll(cx) {
            return Poll::Ready(answered);
        }
        let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        timer.as_mut().poll(cx).map(|()| Ok(StatusCode::REQUEST_TIMEOUT.into_response()))
    })
    .await
}
