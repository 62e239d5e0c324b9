//! Stage 3, send: sign the body as the webhook's scheme says, POST it once, and tell the
//! endpoint's health what it answered before the next delivery waiting for it goes.

use std::time::Duration;

use super::Deliverer;
use super::admit::Admitted;
use super::sender::Outgoing;
use crate::error::Result;
use crate::model::{Attempt, Delivery, SignatureScheme, Timestamp, Webhook};
use crate::queue::DeliveryTask;
use crate::service::operational::HealthNews;
use crate::signing::Signer;

/// One attempt made: what the endpoint answered.
pub(super) struct Attempted {
    pub delivery: Delivery,
    pub webhook: Webhook,
    pub attempt: Attempt,
    /// The receiver's `Retry-After` on a 429 or 503.
    pub retry_after: Option<Duration>,
    /// Its last call: no retry follows.
    pub last_call: bool,
    /// What the attempt changed in the webhook's health that the platform is to hear of.
    pub news: HealthNews,
}

impl Deliverer {
    pub(super) async fn send(&self, task: &DeliveryTask, admitted: Admitted) -> Result<Attempted> {
        let Admitted {
            delivery,
            webhook,
            body,
            slot,
            last_call,
        } = admitted;
        let t = task.target();
        let now = self.app.clock.now();
        let signer = self.signer(&webhook, now).await?;
        let sent = self
            .sender
            .send(Outgoing {
                url: &webhook.url,
                msg_id: &t.event_id,
                signer: &signer,
                body: &body,
                headers: &webhook.headers,
                auth: webhook.auth.as_ref(),
                tls: webhook.tls.as_ref(),
                timeout: webhook
                    .timeout_seconds
                    .map(|s| Duration::from_secs(s.into())),
                manual: task.is_manual(),
                at: now,
            })
            .await;
        let mut attempt = sent.attempt;
        attempt.retry_id = task.retry_id().cloned();
        attempt.key_id = signer.key_id().map(String::from);
        drop(signer);
        let news = self
            .health
            .record(&webhook, &attempt, sent.retry_after, slot)
            .await;
        Ok(Attempted {
            delivery,
            webhook,
            attempt,
            retry_after: sent.retry_after,
            last_call,
            news,
        })
    }

    /// How this webhook's deliveries are signed at `now`: its valid secrets, or the tenant's
    /// listed key pairs (active first).
    async fn signer<'w>(&self, webhook: &'w Webhook, now: Timestamp) -> Result<Signer<'w>> {
        use crate::service::verification_keys as keys;
        Ok(match webhook.signature_scheme {
            SignatureScheme::HmacSha256 => {
                Signer::Hmac(webhook.valid_secrets(now).map(|s| s.key.expose()).collect())
            }
            scheme => {
                let ring = keys::cached_keyring(&self.app, &webhook.tenant_id).await?;
                let listed = keys::listed(&ring, now);
                let mut loaded = listed.into_iter().map(keys::load);
                if scheme == SignatureScheme::Ed25519 {
                    Signer::Ed25519(loaded.collect::<Result<Vec<_>>>()?)
                } else {
                    Signer::HttpMessageSignatures(loaded.next().ok_or_else(|| {
                        crate::error::Error::Config("a keyring without keys".into())
                    })??)
                }
            }
        })
    }
}
