//! Partners on SQLite, written with a version check (see `PartnerStore`).

use async_trait::async_trait;
use rusqlite::params;

use super::{SqliteDb, be, to_doc};
use crate::ids::PartnerId;
use crate::model::Partner;
use crate::store::{PartnerStore, StoreResult};

#[async_trait]
impl PartnerStore for SqliteDb {
    async fn get_partner(&self, id: &PartnerId) -> StoreResult<Option<Partner>> {
        self.get_doc(
            "SELECT doc FROM partners WHERE partner_id = ?1",
            vec![id.to_string()],
        )
        .await
    }

    async fn put_partner(&self, p: &Partner) -> StoreResult<bool> {
        let (id, version, doc) = (p.id.to_string(), p.version as i64, to_doc(p)?);
        self.with(move |c| {
            let written = if version <= 1 {
                c.execute(
                    "INSERT INTO partners (partner_id, version, doc) VALUES (?1, ?2, ?3)
                     ON CONFLICT (partner_id) DO NOTHING",
                    params![id, version, doc],
                )
            } else {
                c.execute(
                    "UPDATE partners SET version = ?2, doc = ?3 WHERE partner_id = ?1 AND version = ?2 - 1",
                    params![id, version, doc],
                )
            }
            .map_err(be)?;
            Ok(written == 1)
        })
        .await
    }

    async fn list_partners(&self) -> StoreResult<Vec<Partner>> {
        self.get_docs("SELECT doc FROM partners ORDER BY partner_id", [])
            .await
    }
}
