//! The OpenAPI 3.1 document, derived from the route table and the resource types.

use crate::access::Table;
use crate::error::{AuthFailure, EnterpriseError, Problem, ViolationBody};
use crate::resources::*;
use crate::routing::{Access, Route};
use crate::ROUTES;
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

pub const DESCRIPTION: &str = "Connect and manage the channel accounts (WhatsApp, LinkedIn, Telegram, Instagram, X, \
                               Gmail, Outlook) of an embeddable unified inbox. JSON-LD/Hydra as API Platform 4 serves it.";

/// The document as served: [`document`] marked with what the resource classes
/// say (read-only properties, what creating requires). Built once per process,
/// on first use (not at Lambda init).
pub fn cached() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = raw().clone();
        crate::classes::mark(&mut doc);
        crate::constraints::apply(&mut doc);
        doc
    })
}

/// The document as utoipa builds it from the routes and types, unmarked: what
/// the resource classes are derived from.
pub fn raw() -> &'static serde_json::Value {
    static RAW: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    RAW.get_or_init(|| serde_json::to_value(document()).expect("the OpenAPI document serializes"))
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
        .schema_from::<SignInInput>()
        .schema_from::<SignInStart>()
        .schema_from::<crate::signin::handout::AccessTokenView>()
        .schema_from::<LoginInput>()
        .schema_from::<TokenOutput>()
        .schema_from::<Problem>()
        .schema_from::<ViolationBody>()
        .schema_from::<AuthFailure>()
        .schema_from::<TokenView>()
        .schema("ApiTokenCollection", Collection::<TokenView>::schema())
        .schema_from::<TokenRequestView>()
        .schema("TokenRequestCollection", Collection::<TokenRequestView>::schema())
        .schema_from::<TokenCreate>()
        .schema_from::<Team>()
        .schema_from::<AccountLink>()
        .schema_from::<AccountLinks>()
        .schema_from::<EnterpriseError>()
        .schema_from::<UserView>()
        .schema("UserCollection", Collection::<UserView>::schema())
        .schema_from::<UserCreate>()
        .schema_from::<UserUpdate>()
        .schema_from::<UserEventView>()
        .schema("UserEventCollection", Collection::<UserEventView>::schema())
        .schema_from::<WebhookView>()
        .schema("WebhookCollection", Collection::<WebhookView>::schema())
        .schema_from::<WebhookCreate>()
        .schema_from::<WebhookUpdate>()
        .schema_from::<WebhookTestInput>()
        .schema_from::<DeliveryView>()
        .schema("WebhookDeliveryCollection", Collection::<DeliveryView>::schema())
        .schema_from::<WebhookEventView>()
        .schema("WebhookEventCollection", Collection::<WebhookEventView>::schema())
        .schema_from::<CustomerSessionCreate>()
        .schema_from::<CustomerSessionView>()
        .schema_from::<RefreshInput>()
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
                .description(Some(DESCRIPTION))
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

/// How OpenAPI readers know a role: customer sessions are minted, not users.
fn role_name(role: crate::auth::Role) -> &'static str {
    match role {
        crate::auth::Role::CustomerSession => "customer session",
        other => other.claim(),
    }
}

fn schema_ref(name: &str) -> Ref {
    Ref::from_schema_name(name)
}

fn operation(r: &Route) -> utoipa::openapi::path::Operation {
    let mut op = OperationBuilder::new().operation_id(Some(r.function)).summary(Some(r.doc.summary)).tag(r.doc.tag);
    match r.access {
        Access::Roles(roles) | Access::RolesOrApiToken(roles) => {
            let names: Vec<_> = roles.iter().map(|r| role_name(*r)).collect();
            let mut description = format!("Roles: {}.", names.join(", "));
            if matches!(r.access, Access::RolesOrApiToken(_)) {
                description.push_str(" Or an API token (`inbx_…`), the host application's server-side key.");
                op = op.security(SecurityRequirement::new(API_TOKEN, Vec::<String>::new()));
            }
            if writes(r) {
                description.push_str(IDEMPOTENCY);
            }
            op = op.security(SecurityRequirement::new(SECURITY, Vec::<String>::new())).description(Some(description));
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
    for (name, ty, doc) in r.doc.query {
        let (ty, bounds) = ty.split_once(' ').unwrap_or((ty, ""));
        let mut schema = ObjectBuilder::new().schema_type(match ty {
            "integer" => Type::Integer,
            "boolean" => Type::Boolean,
            _ => Type::String,
        });
        if let Some((min, max)) = bounds.split_once("..=") {
            let bound = |n: &str| n.parse::<f64>().expect("route query bounds are numbers");
            schema = schema.minimum(Some(bound(min))).maximum(Some(bound(max)));
        } else if bounds.starts_with('^') {
            schema = schema.pattern(Some(bounds));
        }
        let required = if bounds == "required" { Required::True } else { Required::False };
        op = op.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .required(required)
                .description(Some(*doc))
                .schema(Some(schema)),
        );
    }
    if let Some(body) = &r.doc.body {
        let example = serde_json::from_str::<serde_json::Value>(body.example).expect("route examples are JSON");
        let content = ContentBuilder::new().schema(Some(schema_ref(body.schema))).example(Some(example)).build();
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .content(JSONLD, content.clone())
                .content("application/json", content)
                .required(Some(if body.required { Required::True } else { Required::False }))
                .build(),
        ));
    }
    for (status, description, schema, content_type) in responses(r) {
        let mut resp = ResponseBuilder::new().description(description);
        if let Some(schema) = schema {
            let content = ContentBuilder::new().schema(Some(schema_ref(schema))).build();
            // JSON-LD is JSON: clients that ask for `application/json` get the same body.
            if content_type == JSONLD {
                resp = resp.content("application/json", content.clone());
            }
            resp = resp.content(content_type, content);
        }
        op = op.response(status.to_string(), resp.build());
    }
    op.build()
}

type Answer = (u16, &'static str, Option<&'static str>, &'static str);

const IDEMPOTENCY: &str = " An `Idempotency-Key` header makes a retry safe: the same key with the same request \
                           replays the first answer for 24 hours and writes nothing; with another request it is \
                           422; while the first is still running, 409.";

/// An authenticated write: it takes an `Idempotency-Key`.
fn writes(r: &Route) -> bool {
    r.access != Access::Public && matches!(r.method, Method::POST | Method::PUT | Method::DELETE)
}

/// Every status a route can answer, from what it declares: success first, then errors.
fn responses(r: &Route) -> Vec<Answer> {
    const PROBLEM: &str = "application/problem+json";
    if r.doc.ok.3 == "text/html" {
        // A page a person's browser lands on (the sign-in callback): it answers in pages.
        return vec![
            r.doc.ok,
            (400, "No sign-in in the request", None, "text/html"),
            (404, "No such sign-in to finish: unknown, expired or finished already", None, "text/html"),
            (503, "The store is unavailable", None, "text/html"),
        ];
    }
    let mut out: Vec<Answer> = vec![r.doc.ok];
    let has_body = r.doc.body.is_some();
    if r.access == Access::ApiToken && !r.doc.query.is_empty() {
        out.push((400, "A query parameter out of range or unreadable", Some("EnterpriseError"), "application/json"));
    } else if has_body || !r.doc.query.is_empty() {
        out.push((400, "Invalid input (malformed JSON, wrong type, bad query)", Some("Problem"), PROBLEM));
    }
    match r.access {
        Access::Roles(_) | Access::RolesOrApiToken(_) => {
            out.push((401, "No, invalid or expired JWT", Some("AuthFailure"), "application/json"));
            out.push((403, "Forbidden", Some("Problem"), PROBLEM));
        }
        Access::Public if has_body => {
            out.push((401, "Invalid credentials", Some("AuthFailure"), "application/json"));
            if r.function == crate::routes::THROTTLED_LOGIN {
                out.push((
                    429,
                    "Too many failed logins for this username; see Retry-After",
                    Some("AuthFailure"),
                    "application/json",
                ));
            }
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
    let appends = r.tables.iter().any(|(t, actions)| *t == Table::Events && actions.contains(&"dynamodb:PutItem"));
    if appends || writes(r) {
        out.push((409, "Changed concurrently, or the Idempotency-Key is in use; retry", Some("Problem"), PROBLEM));
    }
    if has_body {
        out.push((415, "Unsupported content type", Some("Problem"), PROBLEM));
    }
    if writes(r) {
        out.push((
            422,
            "Validation failed, or the Idempotency-Key was used with another request",
            Some("Problem"),
            PROBLEM,
        ));
    }
    if !r.tables.is_empty() {
        out.push((503, "The store is unavailable", Some("Problem"), PROBLEM));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_and_every_ref_resolves() {
        let doc = cached().clone();
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
