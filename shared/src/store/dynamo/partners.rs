//! Partners on DynamoDB: one item per partner, written with a version check; the few partners
//! of a deployment are listed through GSI2 (an operator's listing, not a request path).

use async_trait::async_trait;

use super::DynamoStore;
use super::items::{from_item, partner_item, s};
use super::keys::{ALL_PARTNERS_PK, GSI2, PARTNER_SK, partner_pk};
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
        let q = self
            .query()
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :pk")
            .expression_attribute_values(":pk", s(ALL_PARTNERS_PK));
        let mut partners: Vec<Partner> = self
            .collect(q, None)
            .await?
            .iter()
            .map(from_item)
            .collect::<StoreResult<_>>()?;
        partners.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(partners)
    }
}
