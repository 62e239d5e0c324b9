//! The local server of `hookline serve`: the API router on a TCP listener and the delivery
//! worker on the same store and queue, plus first-start bootstrap of an admin key.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

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

/// On an empty store, creates an admin key for [`DEFAULT_TENANT`] and returns it (to print
/// once). A `fixed` key (`HOOKLINE_LOCAL_API_KEY`) is ensured to exist instead, on every start.
pub async fn bootstrap(app: &Hookline, fixed: Option<&str>) -> Result<Option<String>> {
    if let Some(key) = fixed.filter(|k| !k.is_empty()) {
        if key.len() < 16 {
            return Err(Error::Config(
                "HOOKLINE_LOCAL_API_KEY must be at least 16 characters".into(),
            ));
        }
        if app
            .store
            .get_key(&ApiKeyId::from_hash(&hash_key(key)))
            .await?
            .is_none()
        {
            let record = new_api_key(
                key,
                &default_tenant(),
                vec![Scope::Admin],
                Some("local".into()),
                app.clock.now(),
            );
            app.store.put_key(&record).await?;
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
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Config(e.to_string()))?;
    let (tx, rx) = watch::channel(false);
    let deliverer = Arc::new(Deliverer::new(app.clone())?);
    let worker = tokio::spawn(worker::run(deliverer, rx.clone()));
    let router = crate::api::router(app);
    let mut stop_rx = rx;
    let http = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running {
        addr,
        stop: tx,
        tasks: vec![worker, http],
    })
}
