//! The Hydra side of the API, as API Platform 4 serves it (unprefixed keys):
//! the entrypoint, the JSON-LD context of every class, and the API
//! documentation — all rendered from [`crate::classes`], so they say what the
//! OpenAPI document says.

use crate::classes::{classes, Class};
use http::Method;
use serde_json::{json, Map, Value};

/// The IRIs every description uses. `@vocab` is the documentation's absolute
/// URL plus `#`: clients match the documentation's classes by it.
fn vocab(base: &str) -> String {
    format!("{base}/api/docs.jsonld#")
}

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";

fn lcfirst(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

/// The classes, derived once per process.
fn all() -> &'static [Class] {
    static CLASSES: std::sync::OnceLock<Vec<Class>> = std::sync::OnceLock::new();
    CLASSES.get_or_init(|| classes(crate::openapi::raw()))
}

/// `GET /api`: one link per top-level collection, keys in alphabetical order.
pub fn entrypoint() -> Value {
    let mut body = Map::new();
    body.insert("@context".into(), "/api/contexts/Entrypoint".into());
    body.insert("@id".into(), "/api".into());
    body.insert("@type".into(), "Entrypoint".into());
    let mut links: Vec<(String, &str)> = all().iter().filter_map(|c| Some((lcfirst(&c.name), c.collection?))).collect();
    links.sort();
    for (key, path) in links {
        body.insert(key, path.into());
    }
    Value::Object(body)
}

/// `GET /api/contexts/{name}`: `None` for a name that is no class.
pub fn context(name: &str, base: &str) -> Option<Value> {
    let mut ctx = Map::new();
    ctx.insert("@vocab".into(), vocab(base).into());
    ctx.insert("hydra".into(), HYDRA.into());
    match name {
        "Entrypoint" => {
            for c in all().iter().filter(|c| c.collection.is_some()) {
                let key = lcfirst(&c.name);
                ctx.insert(key.clone(), json!({"@id": format!("Entrypoint/{key}"), "@type": "@id"}));
            }
        }
        // Errors carry no terms of their own: every key expands through @vocab.
        "Error" | "ConstraintViolation" | "ConstraintViolationList" => {}
        _ => {
            let class = all().iter().find(|c| c.name == name)?;
            for p in &class.properties {
                let id = format!("{}/{}", class.name, p.name);
                let term = if p.relation { json!({"@id": id, "@type": "@id"}) } else { Value::String(id) };
                ctx.insert(p.name.clone(), term);
            }
        }
    }
    Some(json!({ "@context": ctx }))
}

/// The Hydra terms the documentation uses (API Platform inlines the whole
/// Hydra context; these are the ones it needs, with the same definitions).
fn hydra_terms() -> Value {
    json!({
        "hydra": HYDRA,
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "owl": "http://www.w3.org/2002/07/owl#",
        "ApiDocumentation": "hydra:ApiDocumentation",
        "Class": "hydra:Class",
        "SupportedProperty": "hydra:SupportedProperty",
        "Operation": "hydra:Operation",
        "Link": "hydra:Link",
        "Collection": "hydra:Collection",
        "title": "hydra:title",
        "description": "hydra:description",
        "entrypoint": {"@id": "hydra:entrypoint", "@type": "@id"},
        "supportedClass": {"@id": "hydra:supportedClass", "@type": "@vocab"},
        "supportedProperty": {"@id": "hydra:supportedProperty", "@type": "@id"},
        "supportedOperation": {"@id": "hydra:supportedOperation", "@type": "@id"},
        "property": {"@id": "hydra:property", "@type": "@vocab"},
        "required": "hydra:required",
        "readable": "hydra:readable",
        "writeable": "hydra:writeable",
        "method": "hydra:method",
        "returns": {"@id": "hydra:returns", "@type": "@vocab"},
        "expects": {"@id": "hydra:expects", "@type": "@vocab"},
        "member": {"@id": "hydra:member", "@type": "@id"},
        "label": "rdfs:label"
    })
}

/// `GET /api/docs.jsonld`: the Hydra API documentation.
pub fn documentation(base: &str) -> Value {
    let classes = all();
    let mut supported: Vec<Value> = classes.iter().map(class_doc).collect();
    supported.push(entrypoint_class(classes));
    supported.push(violations_class());
    json!({
        "@context": [
            hydra_terms(),
            {
                "@vocab": vocab(base),
                "schema": "https://schema.org/",
                "domain": {"@id": "rdfs:domain", "@type": "@id"},
                "range": {"@id": "rdfs:range", "@type": "@id"},
                "subClassOf": {"@id": "rdfs:subClassOf", "@type": "@id"}
            }
        ],
        "@id": "/api/docs.jsonld",
        "@type": "ApiDocumentation",
        "title": "Inbox Accounts",
        "description": crate::openapi::DESCRIPTION,
        "entrypoint": "/api",
        "supportedClass": supported
    })
}

fn class_doc(c: &Class) -> Value {
    let properties: Vec<Value> = c
        .properties
        .iter()
        .map(|p| {
            let mut property = json!({
                "@id": format!("#{}/{}", c.name, p.name),
                "@type": if p.relation { "Link" } else { "rdf:Property" },
                "domain": format!("#{}", c.name),
                "label": p.name,
            });
            if p.relation {
                property["owl:maxCardinality"] = 1.into();
            }
            if let Some(range) = &p.range {
                property["range"] = range.clone().into();
            }
            let mut supported = json!({
                "@type": "SupportedProperty",
                "property": property,
                "title": p.name,
                "required": p.required,
                "readable": true,
                "writeable": p.writeable,
            });
            if let Some(d) = &p.description {
                supported["description"] = d.clone().into();
            }
            supported
        })
        .collect();
    let operations: Vec<Value> = c.item_routes.iter().map(|r| operation(&c.name, r, false)).collect();
    json!({
        "@id": format!("#{}", c.name),
        "@type": "Class",
        "title": c.name,
        "supportedProperty": properties,
        "supportedOperation": operations,
    })
}

/// One operation, as API Platform names and types it.
fn operation(class: &str, r: &crate::routing::Route, on_collection: bool) -> Value {
    let (action, title) = match (&r.method, on_collection) {
        (&Method::GET, true) => ("schema:FindAction", format!("get{class}Collection")),
        (&Method::GET, false) => ("schema:FindAction", format!("get{class}")),
        (&Method::POST, _) => ("schema:CreateAction", format!("post{class}")),
        (&Method::PUT, _) => ("schema:ReplaceAction", format!("put{class}")),
        (&Method::DELETE, _) => ("schema:DeleteAction", format!("delete{class}")),
        _ => ("schema:Action", r.function.to_string()),
    };
    let returns = match (&r.method, on_collection) {
        (&Method::DELETE, _) => "owl:Nothing".to_string(),
        (&Method::GET, true) => "Collection".to_string(),
        _ => class.to_string(),
    };
    let mut op = json!({
        "@type": ["Operation", action],
        "description": r.doc.summary,
        "method": r.method.as_str(),
        "returns": returns,
        "title": title,
    });
    if matches!(r.method, Method::POST | Method::PUT) {
        op["expects"] = class.into();
    }
    op
}

fn entrypoint_class(classes: &[Class]) -> Value {
    let links: Vec<Value> = classes
        .iter()
        .filter(|c| c.collection.is_some())
        .map(|c| {
            let key = lcfirst(&c.name);
            let operations: Vec<Value> = c.collection_routes.iter().map(|r| operation(&c.name, r, true)).collect();
            json!({
                "@type": "SupportedProperty",
                "property": {
                    "@id": format!("#Entrypoint/{key}"),
                    "@type": "Link",
                    "domain": "#Entrypoint",
                    "owl:maxCardinality": 1,
                    "range": [
                        {"@id": "hydra:Collection"},
                        {"owl:equivalentClass": {
                            "owl:onProperty": {"@id": "hydra:member"},
                            "owl:allValuesFrom": {"@id": format!("#{}", c.name)}
                        }}
                    ],
                    "supportedOperation": operations
                },
                "title": format!("get{}Collection", c.name),
                "description": format!("The collection of {} resources", c.name),
                "readable": true,
                "writeable": false
            })
        })
        .collect();
    json!({
        "@id": "#Entrypoint",
        "@type": "Class",
        "title": "Entrypoint",
        "supportedProperty": links,
        "supportedOperation": {
            "@type": "Operation", "method": "GET", "title": "index",
            "description": "The API Entrypoint.", "returns": "Entrypoint"
        }
    })
}

fn violations_class() -> Value {
    let property = |name: &str, description: &str| {
        json!({
            "@type": "SupportedProperty",
            "property": {
                "@id": format!("#ConstraintViolationList/{name}"),
                "@type": "rdf:Property",
                "rdfs:label": name,
                "domain": "#ConstraintViolationList",
                "range": "xsd:string"
            },
            "title": name, "description": description, "readable": true, "writeable": false
        })
    };
    json!({
        "@id": "#ConstraintViolationList",
        "@type": "Class",
        "title": "ConstraintViolationList",
        "description": "A constraint violation List.",
        "supportedProperty": [
            property("propertyPath", "The property path of the violation"),
            property("message", "The message associated with the violation")
        ]
    })
}
