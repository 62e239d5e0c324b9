//! Partners on DynamoDB: one item per partner, written with a version check; the few partners
//! of a deployment are listed through GSI2's shards (an operator's listing, not a request path).

use async_trait::async_trait;

use super::DynamoStore;
use super::items::{from_item, partner_item};
use super::keys::{ALL_PARTNERS, PARTNER_SK, partner_pk};
use crate::ids::PartnerId;
use crate::model::Partner;
use crate::store::{PartnerStore, StoreResult};

#[async_trait]
impl PartnerStore for DynamoStore {
    async fn get_partner(&self, id: &PartnerId) -> StoreResult<Option<Partner>> {
        self.get(partner_pk(id), PARTNER_SK)
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn put_partner(&self, p: &Partner) -> StoreResult<bool> {
        self.put_versioned(partner_item(p)?, p.version).await
    }

    async fn list_partners(&self) -> StoreResult<Vec<Partner>> {
        let mut partners: Vec<Partner> = self
            .list_kind(ALL_PARTNERS, None, usize::MAX)
            .await?
            .iter()
            .map(from_item)
            .collect::<StoreResult<_>>()?;
        partners.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(partners)
    }
}
