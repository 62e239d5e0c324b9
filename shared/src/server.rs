//! The local server of `hookline serve`: the API router on a TCP listener and the delivery
//! worker on the same store and queue, plus first-start bootstrap of an admin key.
//!
//! The listener is exposed to whatever reaches its address, so it defends itself: at most
//! [`Limits::connections`] connections are served at once (further ones wait in the kernel's
//! backlog instead of using up file descriptors that deliveries and the database need), a
//! connection that sends no complete request head within [`Limits::header_timeout`] (a fresh
//! one, or a kept-alive one gone idle) is closed, and a request body must arrive within
//! [`Limits::body_timeout`].

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::auth::api_key::{generate_key, hash_key, new_api_key};
use crate::backend::Hookline;
use crate::delivery::{Deliverer, worker};
use crate::error::{Error, Result};
use crate::ids::{ApiKeyId, TenantId};
use crate::model::Scope;

/// The tenant created on first start.
pub const DEFAULT_TENANT: &str = "default";

fn default_tenant() -> TenantId {
    TenantId::parse(DEFAULT_TENANT).expect("a valid tenant id")
}

/// The name of the keys made from `HOOKLINE_LOCAL_API_KEY`.
const LOCAL_KEY_NAME: &str = "local";

/// On an empty store, creates an admin key for [`DEFAULT_TENANT`] and returns it (to print
/// once). A `fixed` key (`HOOKLINE_LOCAL_API_KEY`) is ensured to exist instead, on every start,
/// and a local key set by an earlier start with another value is revoked: changing the
/// variable replaces the key, it does not add one.
pub async fn bootstrap(app: &Hookline, fixed: Option<&str>) -> Result<Option<String>> {
    if let Some(key) = fixed.filter(|k| !k.is_empty()) {
        if key.len() < 16 {
            return Err(Error::Config(
                "HOOKLINE_LOCAL_API_KEY must be at least 16 characters".into(),
            ));
        }
        let id = ApiKeyId::from_hash(&hash_key(key));
        if app.store.get_key(&id).await?.is_none() {
            let record = new_api_key(
                key,
                &default_tenant(),
                vec![Scope::Admin],
                Some(LOCAL_KEY_NAME.into()),
                app.clock.now(),
            );
            app.store.put_key(&record).await?;
        }
        for mut old in app.store.list_keys(&default_tenant()).await? {
            if old.id != id
                && old.name.as_deref() == Some(LOCAL_KEY_NAME)
                && old.revoked_at.is_none()
            {
                old.revoked_at = Some(app.clock.now());
                app.store.put_key(&old).await?;
                tracing::info!(key = %old.id, "revoked the previous HOOKLINE_LOCAL_API_KEY");
            }
        }
        return Ok(None);
    }
    if !app.store.no_keys().await? {
        return Ok(None);
    }
    let key = generate_key();
    app.store
        .put_key(&new_api_key(
            &key,
            &default_tenant(),
            vec![Scope::Admin],
            Some("bootstrap".into()),
            app.clock.now(),
        ))
        .await?;
    Ok(Some(key))
}

/// How much the local listener lets its clients hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections: 4096,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// A running local server; dropping the handle does not stop it, [`Running::stop`] does.
pub struct Running {
    pub addr: std::net::SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Serves the API on `listener` and runs the delivery worker, until stopped.
pub async fn start(app: Hookline, listener: TcpListener) -> Result<Running> {
    start_with(app, listener, Limits::default()).await
}

/// [`start`] with other listener limits.
pub async fn start_with(app: Hookline, listener: TcpListener, limits: Limits) -> Result<Running> {
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Config(e.to_string()))?;
    let (tx, rx) = watch::channel(false);
    let deliverer = Arc::new(Deliverer::new(app.clone())?.log_every_attempt());
    let worker = tokio::spawn(worker::run(deliverer, rx.clone()));
    let metrics = app.metrics.clone();
    let router = crate::api::metrics::prometheus_route(crate::api::router(app), metrics).layer(
        tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_timeout),
    );
    let http = tokio::spawn(serve(listener, router, limits, rx));
    Ok(Running {
        addr,
        stop: tx,
        tasks: vec![worker, http],
    })
}

/// Accepts connections while a slot is free and serves each on its own task; on stop, takes
/// no more, lets the open ones finish their requests, and returns once they have closed.
async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
            _ = stopped(&mut stop) => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true);
            let conn = http1.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stopped(&mut stop) => {}
            }
            // Finish the request in progress, then close.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    // Every connection has closed once every slot is back.
    let _ = slots.acquire_many(limits.connections.max(1) as u32).await;
}

/// Until `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await.map(drop);
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn changing_the_local_key_revokes_the_previous_one() {
        let db = crate::store::sqlite::SqliteDb::in_memory().unwrap();
        let app = Hookline::with_sqlite(crate::config::Config::default(), db);
        let (a, b) = ("hl_local_key_aaaaaaaaaaaa", "hl_local_key_bbbbbbbbbbbb");
        bootstrap(&app, Some(a)).await.unwrap();
        bootstrap(&app, Some(a)).await.unwrap();
        let key = |k: &str| ApiKeyId::from_hash(&hash_key(k));
        let stored = |k| {
            let app = app.clone();
            async move { app.store.get_key(&k).await.unwrap().unwrap() }
        };
        assert!(
            stored(key(a)).await.revoked_at.is_none(),
            "a restart keeps it"
        );
        bootstrap(&app, Some(b)).await.unwrap();
        assert!(stored(key(a)).await.revoked_at.is_some(), "replaced");
        assert!(stored(key(b)).await.revoked_at.is_none());
        assert_eq!(
            app.store.list_keys(&default_tenant()).await.unwrap().len(),
            2
        );
    }
}
