//! Partners on SQLite, written with a version check (see `PartnerStore`).

use async_trait::async_trait;

use super::{SqliteDb, to_doc};
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
        self.put_versioned(
            "partners",
            "partner_id",
            p.id.to_string(),
            p.version,
            to_doc(p)?,
        )
        .await
    }

    async fn list_partners(&self) -> StoreResult<Vec<Partner>> {
        self.get_docs("SELECT doc FROM partners ORDER BY partner_id", [])
            .await
    }
}
