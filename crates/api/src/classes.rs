//! The resource classes, described once for both API descriptions: the OpenAPI
//! document gets its `readOnly` and `required` marks from them, and the Hydra
//! documentation and JSON-LD contexts are rendered from them. They are derived
//! from the route table (which routes read, list, create and replace what) and
//! the resource schemas — never written by hand.

use crate::routing::{Access, Route};
use crate::ROUTES;
use http::Method;
use serde_json::Value;

/// Properties that hold the IRI of another resource: (class, property, target class).
const RELATIONS: &[(&str, &str, &str)] = &[("Account", "integration", "Integration")];

#[derive(Debug, Clone)]
pub struct Class {
    /// The short name (`Account`), also its schema's name.
    pub name: String,
    /// `GET` of the collection, when the class has a top-level one (`/api/accounts`).
    pub collection: Option<&'static str>,
    /// `GET` of one resource (`/api/accounts/{id}`).
    pub item: Option<&'static str>,
    pub properties: Vec<Property>,
    /// The routes on the collection (list, create) and on the item path.
    pub collection_routes: Vec<&'static Route>,
    pub item_routes: Vec<&'static Route>,
}

impl Class {
    /// A class known so far by its name only.
    fn named(name: &str) -> Self {
        Class {
            name: name.to_string(),
            collection: None,
            item: None,
            properties: vec![],
            collection_routes: vec![],
            item_routes: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub name: String,
    pub description: Option<String>,
    /// An XSD datatype (`xsd:string` …), or `#Class` for a relation, if known.
    pub range: Option<String>,
    pub relation: bool,
    /// Can be set by creating or replacing a resource (anything else is read-only).
    pub writeable: bool,
    /// Must be given to create one.
    pub required: bool,
}

/// Whether a route answers for the public, documented API (not `/api/v1`, not docs).
fn resource_route(r: &Route) -> bool {
    r.path.starts_with("/api/") && !r.path.starts_with("/api/v1/") && r.access != Access::Public
}

fn schema<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc["components"]["schemas"].get(name)
}

/// Every class, from the OpenAPI document as utoipa builds it (before marks).
pub fn classes(doc: &Value) -> Vec<Class> {
    let mut out: Vec<Class> = vec![];
    for r in ROUTES.iter().filter(|r| resource_route(r) && r.method == Method::GET) {
        let Some(schema_name) = r.doc.ok.2 else { continue };
        let (name, is_collection) = match schema_name.strip_suffix("Collection") {
            Some(name) => (name, true),
            None => (schema_name, false),
        };
        let index = match out.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                out.push(Class::named(name));
                out.len() - 1
            }
        };
        let class = &mut out[index];
        match (is_collection, r.path.contains('{')) {
            (true, false) => class.collection = Some(r.path),
            (false, true) => class.item = Some(r.path),
            _ => {} // a sub-collection (an account's events): the class, no top-level link
        }
    }
    // What only a POST answers (a customer session) is a class too, created there.
    for r in ROUTES.iter().filter(|r| resource_route(r) && r.method == Method::POST) {
        match r.doc.ok.2 {
            Some(name) if !out.iter().any(|c| c.name == name) => out.push(Class::named(name)),
            _ => {}
        }
    }
    for class in &mut out {
        let creates =
            |r: &Route| class.collection.is_none() && r.method == Method::POST && r.doc.ok.2 == Some(&class.name);
        class.collection_routes = ROUTES
            .iter()
            .copied()
            .filter(|r| resource_route(r) && (Some(r.path) == class.collection || creates(r)))
            .collect();
        class.item_routes =
            ROUTES.iter().copied().filter(|r| resource_route(r) && Some(r.path) == class.item).collect();
        class.properties = properties(doc, class);
    }
    out
}

fn properties(doc: &Value, class: &Class) -> Vec<Property> {
    let Some(read) = schema(doc, &class.name) else { return vec![] };
    // What creating (POST on the collection) and replacing (PUT on the item) accept.
    let writes: Vec<&Value> = class
        .collection_routes
        .iter()
        .chain(&class.item_routes)
        .filter(|r| r.method == Method::POST || r.method == Method::PUT)
        .filter_map(|r| r.doc.body.as_ref().and_then(|b| schema(doc, b.schema)))
        .collect();
    let create = class
        .collection_routes
        .iter()
        .find(|r| r.method == Method::POST)
        .and_then(|r| r.doc.body.as_ref())
        .and_then(|b| schema(doc, b.schema));
    let mut props = vec![];
    for (name, p) in read["properties"].as_object().into_iter().flatten() {
        if name.starts_with('@') {
            continue;
        }
        let relation = RELATIONS.iter().find(|(c, prop, _)| *c == class.name && prop == name);
        props.push(Property {
            name: name.clone(),
            description: p["description"].as_str().map(str::to_string),
            range: match relation {
                Some((_, _, target)) => Some(format!("#{target}")),
                None => xsd_range(p),
            },
            relation: relation.is_some(),
            writeable: writes.iter().any(|w| w["properties"].get(name).is_some()),
            required: create.is_some_and(|c| listed(&c["required"], name)),
        });
    }
    props
}

fn listed(list: &Value, name: &str) -> bool {
    list.as_array().is_some_and(|l| l.iter().any(|v| v == name))
}

/// The XSD datatype of a JSON Schema property, if it has a simple one.
fn xsd_range(p: &Value) -> Option<String> {
    let types: Vec<&str> = match &p["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => vec![],
    };
    let xsd = match (types.as_slice(), p["format"].as_str()) {
        (["string"], Some("date-time")) => "xsd:dateTime",
        (["string"], _) => "xsd:string",
        (["boolean"], _) => "xsd:boolean",
        (["integer"], _) => "xsd:integer",
        (["number"], _) => "xsd:decimal",
        _ => return None,
    };
    Some(xsd.to_string())
}

/// Marks the OpenAPI document with what the classes say: read-only properties
/// are `readOnly`, and a class schema requires what creating one requires.
pub fn mark(doc: &mut Value) {
    for class in classes(doc) {
        let Some(schema) = doc["components"]["schemas"].get_mut(&class.name) else { continue };
        let required: Vec<Value> =
            class.properties.iter().filter(|p| p.required).map(|p| p.name.clone().into()).collect();
        match schema.as_object_mut() {
            Some(s) if required.is_empty() => drop(s.remove("required")),
            Some(s) => drop(s.insert("required".into(), Value::Array(required))),
            None => continue,
        }
        for (name, p) in schema["properties"].as_object_mut().into_iter().flatten() {
            let writeable = class.properties.iter().any(|c| c.name == *name && c.writeable);
            if !writeable {
                p["readOnly"] = Value::Bool(true);
            }
        }
    }
}
