//! The OpenAPI 3.1 document, derived from the route table and the resource types.

use crate::error::{AuthFailure, EnterpriseError, Problem, ViolationBody};
use crate::resources::*;
use crate::routes::{Access, Endpoint, Route, ROUTES};
use http::Method;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder, Paths, Ref, Required,
    ResponseBuilder, Type,
};
use utoipa::PartialSchema;

const JSONLD: &str = "application/ld+json";
const SECURITY: &str = "JWT";
const API_TOKEN: &str = "ApiToken";

/// The document, built once per process on first request (not at Lambda init).
pub fn cached() -> &'static OpenApi {
    static DOC: std::sync::OnceLock<OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(document)
}

pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for r in ROUTES {
        paths.add_path_operation(r.path, vec![http_method(&r.method)], operation(r));
    }
    let components = ComponentsBuilder::new()
        .schema_from::<AccountView>()
        .schema("AccountCollection", Collection::<AccountView>::schema())
        .schema_from::<EventView>()
        .schema("AccountEventCollection", Collection::<EventView>::schema())
        .schema_from::<IntegrationView>()
        .schema("IntegrationCollection", Collection::<IntegrationView>::schema())
        .schema_from::<PartialCollectionView>()
        .schema_from::<IriTemplate>()
        .schema_from::<IriTemplateMapping>()
        .schema_from::<AccountCreate>()
        .schema_from::<AccountUpdate>()
        .schema_from::<AuthorizeInput>()
        .schema_from::<DisconnectInput>()
        .schema_from::<LoginInput>()
        .schema_from::<TokenOutput>()
        .schema_from::<Problem>()
        .schema_from::<ViolationBody>()
        .schema_from::<AuthFailure>()
        .schema_from::<TokenView>()
        .schema("ApiTokenCollection", Collection::<TokenView>::schema())
        .schema_from::<TokenCreate>()
        .schema_from::<Team>()
        .schema_from::<AccountLink>()
        .schema_from::<AccountLinks>()
        .schema_from::<EnterpriseError>()
        .security_scheme(
            SECURITY,
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        )
        .security_scheme(
            API_TOKEN,
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("inbx_…").build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Inbox Accounts")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Connect and manage the channel accounts (WhatsApp, LinkedIn, Telegram, Instagram, X, Gmail, \
                     Outlook) of an embeddable unified inbox. JSON-LD/Hydra as API Platform 4 serves it.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .build()
}

fn http_method(m: &Method) -> HttpMethod {
    match *m {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::DELETE => HttpMethod::Delete,
        Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

fn schema_ref(name: &str) -> Ref {
    Ref::from_schema_name(name)
}

fn operation(r: &Route) -> utoipa::openapi::path::Operation {
    let tag = if r.path.starts_with("/api/accounts") {
        "Account"
    } else if r.path.starts_with("/api/integrations") {
        "Integration"
    } else if r.path.starts_with("/authentication") || r.path.starts_with("/api/tokens") {
        "Authentication"
    } else if r.path.starts_with("/api/v1") {
        "Enterprise API"
    } else {
        "Documentation"
    };
    let mut op = OperationBuilder::new().operation_id(Some(r.function)).summary(Some(r.summary)).tag(tag);
    match r.access {
        Access::Roles(roles) => {
            let names: Vec<_> = roles.iter().map(|r| r.claim()).collect();
            op = op
                .security(SecurityRequirement::new(SECURITY, Vec::<String>::new()))
                .description(Some(format!("Roles: {}.", names.join(", "))));
        }
        Access::ApiToken => op = op.security(SecurityRequirement::new(API_TOKEN, Vec::<String>::new())),
        Access::Public => {}
    }
    for segment in r.path.split('/').filter(|s| s.starts_with('{')) {
        let name = segment.trim_matches(['{', '}']);
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
        );
    }
    if r.endpoint == Endpoint::AccountsEvents {
        op = op.parameter(
            ParameterBuilder::new()
                .name("page")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some("The collection page number (30 a page)."))
                .schema(Some(ObjectBuilder::new().schema_type(Type::Integer))),
        );
    }
    if r.endpoint == Endpoint::AccountsList {
        for (name, ty, doc) in [
            ("page", Type::Integer, "The collection page number (30 a page)."),
            ("accountType", Type::String, "Only accounts of this integration (e.g. whatsapp)."),
            ("isAuthorized", Type::Boolean, "Only authorized (true) or unauthorized (false) accounts."),
        ] {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(doc))
                    .schema(Some(ObjectBuilder::new().schema_type(ty))),
            );
        }
    }
    if let Some((schema, required)) = request_schema(r.endpoint) {
        let content = ContentBuilder::new().schema(Some(schema_ref(schema))).build();
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content(JSONLD, content.clone())
                .content("application/json", content)
                .required(Some(if required { Required::True } else { Required::False }))
                .build(),
        ));
    }
    for (status, description, schema, content_type) in responses(r) {
        let mut resp = ResponseBuilder::new().description(description);
        if let Some(schema) = schema {
            resp = resp.content(content_type, ContentBuilder::new().schema(Some(schema_ref(schema))).build());
        }
        op = op.response(status.to_string(), resp.build());
    }
    op.build()
}

fn request_schema(e: Endpoint) -> Option<(&'static str, bool)> {
    Some(match e {
        Endpoint::AccountsCreate => ("AccountCreate", true),
        Endpoint::AccountsUpdate => ("AccountUpdate", true),
        Endpoint::AccountsAuthorize => ("AuthorizeInput", true),
        Endpoint::AccountsDisconnect => ("DisconnectInput", false),
        Endpoint::LoginCheck => ("LoginInput", true),
        Endpoint::TokensCreate => ("TokenCreate", true),
        _ => return None,
    })
}

type Answer = (u16, &'static str, Option<&'static str>, &'static str);

/// Every status a route can answer, from its shape: success first, then errors.
fn responses(r: &Route) -> Vec<Answer> {
    const PROBLEM: &str = "application/problem+json";
    let mut out: Vec<Answer> = vec![match r.endpoint {
        Endpoint::AccountsList => (200, "Account collection", Some("AccountCollection"), JSONLD),
        Endpoint::AccountsCreate => (201, "Account resource created", Some("Account"), JSONLD),
        Endpoint::AccountsGet => (200, "Account resource", Some("Account"), JSONLD),
        Endpoint::AccountsUpdate | Endpoint::AccountsAuthorize | Endpoint::AccountsDisconnect => {
            (200, "Account resource updated", Some("Account"), JSONLD)
        }
        Endpoint::AccountsDelete => (204, "Account resource deleted", None, JSONLD),
        Endpoint::AccountsEvents => (200, "Account event history", Some("AccountEventCollection"), JSONLD),
        Endpoint::IntegrationsList => (200, "Integration collection", Some("IntegrationCollection"), JSONLD),
        Endpoint::IntegrationsGet => (200, "Integration resource", Some("Integration"), JSONLD),
        Endpoint::TokensCreate => {
            (201, "API token created; `token` is its secret, shown once", Some("ApiToken"), JSONLD)
        }
        Endpoint::TokensList => (200, "API token collection", Some("ApiTokenCollection"), JSONLD),
        Endpoint::TokensDelete => (204, "API token revoked", None, JSONLD),
        Endpoint::V1Team => (200, "The team", Some("Team"), "application/json"),
        Endpoint::V1AccountLinksList => (200, "Account links", Some("AccountLinks"), "application/json"),
        Endpoint::V1AccountLinksGet => (200, "Account link", Some("AccountLink"), "application/json"),
        Endpoint::LoginCheck => (200, "A JWT for the Authorization header", Some("TokenOutput"), "application/json"),
        Endpoint::ApiDocs => (200, "OpenAPI 3.1 document", None, "application/json"),
    }];
    let has_body = request_schema(r.endpoint).is_some();
    if has_body || matches!(r.endpoint, Endpoint::AccountsList | Endpoint::AccountsEvents) {
        out.push((400, "Invalid input (malformed JSON, wrong type, bad query)", Some("Problem"), PROBLEM));
    }
    match r.access {
        Access::Roles(_) => {
            out.push((401, "No, invalid or expired JWT", Some("AuthFailure"), "application/json"));
            out.push((403, "Forbidden", Some("Problem"), PROBLEM));
        }
        Access::Public if r.endpoint == Endpoint::LoginCheck => {
            out.push((401, "Invalid credentials", Some("AuthFailure"), "application/json"));
        }
        Access::ApiToken => {
            out.push((401, "No, unknown or revoked API token", Some("EnterpriseError"), "application/json"));
        }
        Access::Public => {}
    }
    if r.path.contains('{') && r.access == Access::ApiToken {
        out.push((404, "Not found", Some("EnterpriseError"), "application/json"));
    } else if r.path.contains('{') {
        out.push((404, "Not found", Some("Problem"), PROBLEM));
    }
    let is_account_command = r.path.starts_with("/api/accounts/") && r.method != Method::GET;
    if is_account_command {
        out.push((409, "Changed concurrently; retry", Some("Problem"), PROBLEM));
    }
    if has_body {
        out.push((415, "Unsupported content type", Some("Problem"), PROBLEM));
    }
    if has_body && r.endpoint != Endpoint::LoginCheck {
        out.push((422, "Validation failed", Some("Problem"), PROBLEM));
    }
    if r.path.starts_with("/api/accounts") || r.endpoint == Endpoint::LoginCheck {
        out.push((503, "The store is unavailable", Some("Problem"), PROBLEM));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_and_every_ref_resolves() {
        let doc = serde_json::to_value(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
            assert_eq!(op["operationId"], r.function, "{} {}", r.method, r.path);
        }
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(schemas.contains_key(name), "unresolved $ref {name}");
        }
    }
}
