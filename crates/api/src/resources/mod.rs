//! The resources as they travel: JSON-LD/Hydra representations (API Platform 4,
//! unprefixed keys) and request bodies, one file per resource. Their serde and
//! OpenAPI shapes are one description. This file holds what every collection
//! shares: IRIs, the Hydra collection page, its view and search template.

mod accounts;
mod enterprise;
mod inputs;
mod people;
mod tokens;
mod webhooks;

pub use accounts::*;
pub use enterprise::*;
pub use inputs::*;
pub use people::*;
pub use tokens::*;
pub use webhooks::*;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub const ACCOUNTS: &str = "/api/accounts";
pub const PAGE_SIZE: u64 = 30;

pub fn account_iri(id: Uuid) -> String {
    format!("{ACCOUNTS}/{id}")
}

pub fn integration_iri(id: &str) -> String {
    format!("/api/integrations/{id}")
}

/// The integration id of an IRI, in the API's form (`/api/integrations/x`) or
/// the seed's (`/integrations/x`).
pub fn parse_integration_iri(iri: &str) -> Option<&str> {
    let id = iri.strip_prefix("/api/integrations/").or_else(|| iri.strip_prefix("/integrations/"))?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// A Hydra collection page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T: ToSchema> {
    #[serde(rename = "@context")]
    #[schema(rename = "@context")]
    pub context: &'static str,
    #[serde(rename = "@id")]
    #[schema(rename = "@id")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "Collection")]
    pub kind: &'static str,
    /// Absent where counting would read the whole collection (logs paged by time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_items: Option<u64>,
    pub member: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<PartialCollectionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<IriTemplate>,
}

#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct PartialCollectionView {
    #[serde(rename = "@id")]
    #[schema(rename = "@id", example = "/api/accounts?page=2")]
    pub iri: String,
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "PartialCollectionView")]
    pub kind: &'static str,
    pub first: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IriTemplate {
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "IriTemplate")]
    pub kind: &'static str,
    #[schema(example = "/api/accounts{?accountType,isAuthorized}")]
    pub template: String,
    #[schema(example = "BasicRepresentation")]
    pub variable_representation: &'static str,
    pub mapping: Vec<IriTemplateMapping>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IriTemplateMapping {
    #[serde(rename = "@type")]
    #[schema(rename = "@type", example = "IriTemplateMapping")]
    pub kind: &'static str,
    pub variable: &'static str,
    pub property: &'static str,
    pub required: bool,
}

/// First/last/previous/next links of page `page` of `total` items; `filters` is
/// the already encoded query string of the active filters (may be empty). Absent
/// when there is nothing to navigate: one page, asked for as page 1, no filter.
pub fn collection_view(base: &str, filters: &str, page: u64, total: u64) -> Option<PartialCollectionView> {
    let last = total.div_ceil(PAGE_SIZE).max(1);
    if last == 1 && page == 1 && filters.is_empty() {
        return None;
    }
    let link = |p: u64| {
        if filters.is_empty() {
            format!("{base}?page={p}")
        } else {
            format!("{base}?{filters}&page={p}")
        }
    };
    Some(PartialCollectionView {
        iri: link(page),
        kind: "PartialCollectionView",
        first: link(1),
        last: Some(link(last)),
        previous: (page > 1).then(|| link((page - 1).min(last))),
        next: (page < last).then(|| link(page + 1)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_links_cover_first_last_previous_next() {
        assert_eq!(collection_view(ACCOUNTS, "", 1, 30), None);
        let v = collection_view(ACCOUNTS, "", 2, 61).unwrap();
        assert_eq!(v.first, "/api/accounts?page=1");
        assert_eq!(v.last.as_deref(), Some("/api/accounts?page=3"));
        assert_eq!(v.previous.as_deref(), Some("/api/accounts?page=1"));
        assert_eq!(v.next.as_deref(), Some("/api/accounts?page=3"));
        let v = collection_view(ACCOUNTS, "accountType=x", 1, 0).unwrap();
        assert_eq!((v.last.as_deref(), v.previous, v.next), (Some("/api/accounts?accountType=x&page=1"), None, None));
    }

    #[test]
    fn integration_iris_in_both_forms() {
        assert_eq!(parse_integration_iri("/api/integrations/whatsapp"), Some("whatsapp"));
        assert_eq!(parse_integration_iri("/integrations/x"), Some("x"));
        assert_eq!(parse_integration_iri("whatsapp"), None);
        assert_eq!(parse_integration_iri("/api/integrations/"), None);
    }
}
