//! utoipa writes OpenAPI 3.1; Logto serves 3.0, and what reads Logto's document (its own
//! `swagger-check.test.ts`, which runs `openapi-schema-validator` for version 3, and the
//! generators people point at it) expects 3.0. The document is rewritten once, at start, by
//! the few rules that separate the two versions for what utoipa emits.

use serde_json::{Map, Value};

pub const VERSION: &str = "3.0.3";

pub fn downgrade(document: &mut Value) {
    document["openapi"] = Value::from(VERSION);
    if let Some(license) = document.pointer_mut("/info/license").and_then(Value::as_object_mut) {
        // 3.1's SPDX `identifier`; 3.0 has only `name` and `url`.
        license.remove("identifier");
    }
    rewrite(document);
}

fn rewrite(value: &mut Value) {
    match value {
        Value::Object(object) => {
            // The object first (its `oneOf` still shows `{type: null}` as utoipa wrote it),
            // then its children, then the object again for what a merged branch brought.
            rewrite_schema(object);
            for child in object.values_mut() {
                rewrite(child);
            }
            rewrite_schema(object);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite),
        _ => {}
    }
}

/// Rewrites `object` if it is a schema written the 3.1 way; anything else is left as is
/// (the rules only fire on shapes no 3.0 object has).
fn rewrite_schema(object: &mut Map<String, Value>) {
    // `type: ["string", "null"]` → `type: string, nullable: true`.
    if let Some(Value::Array(types)) = object.get("type").cloned() {
        let mut types: Vec<Value> = types.into_iter().filter(|t| t.is_string()).collect();
        let before = types.len();
        types.retain(|t| t != "null");
        if types.len() < before {
            object.insert("nullable".into(), Value::Bool(true));
        }
        match types.len() {
            0 => {
                object.remove("type");
            }
            1 => {
                object.insert("type".into(), types.remove(0));
            }
            _ => {
                object.remove("type");
                let branches = types.into_iter().map(|t| Value::Object(Map::from_iter([("type".to_owned(), t)]))).collect();
                object.insert("oneOf".into(), Value::Array(branches));
            }
        }
    }
    // `oneOf: [{type: null}, X]` → X, nullable (a `$ref` cannot carry siblings in 3.0: allOf).
    for keyword in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = object.get(keyword).cloned() else { continue };
        let is_null = |b: &Value| b.get("type").is_some_and(|t| t == "null") && b.as_object().is_some_and(|o| o.len() == 1);
        if !branches.iter().any(is_null) {
            continue;
        }
        let mut rest: Vec<Value> = branches.into_iter().filter(|b| !is_null(b)).collect();
        object.remove(keyword);
        object.insert("nullable".into(), Value::Bool(true));
        match rest.len() {
            0 => {}
            1 if rest[0].get("$ref").is_some() => {
                object.insert("allOf".into(), Value::Array(rest));
            }
            1 => {
                if let Value::Object(only) = rest.remove(0) {
                    for (key, value) in only {
                        object.entry(key).or_insert(value);
                    }
                }
            }
            _ => {
                object.insert(keyword.into(), Value::Array(rest));
            }
        }
    }
    // A 3.0 reference stands alone: siblings (a field's description) move beside an `allOf`.
    if object.len() > 1 && object.get("$ref").is_some_and(Value::is_string) {
        let reference = object.remove("$ref").expect("checked above");
        object.insert("allOf".into(), Value::Array(vec![Value::Object(Map::from_iter([("$ref".to_owned(), reference)]))]));
    }
    if object.get("type").is_some_and(|t| t == "null") {
        object.remove("type");
        object.insert("nullable".into(), Value::Bool(true));
    }
    // 3.1 numeric exclusive bounds → 3.0 boolean flags beside the bound.
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(limit) = object.get(exclusive).filter(|v| v.is_number()).cloned() {
            object.insert(bound.into(), limit);
            object.insert(exclusive.into(), Value::Bool(true));
        }
    }
    // (An object value is a property named `const` in a `properties` map, not the keyword.)
    if let Some(constant) = object.get("const").filter(|v| !v.is_object()).cloned() {
        object.remove("const");
        object.insert("enum".into(), Value::Array(vec![constant]));
    }
    // A schema's `examples` list (3.1) → one `example`; a media type's `examples` is a map.
    if let Some(Value::Array(examples)) = object.get("examples").cloned() {
        object.remove("examples");
        if let Some(first) = examples.into_iter().next() {
            object.insert("example".into(), first);
        }
    }
    for only_in_3_1 in ["$schema", "contentEncoding", "contentMediaType"] {
        if object.get(only_in_3_1).is_some_and(Value::is_string) {
            object.remove(only_in_3_1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nullable_types_and_references_become_3_0_nullable() {
        let mut document = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
            "components": {"schemas": {"User": {"type": "object", "properties": {
                "name": {"type": ["string", "null"]},
                "type": {"type": "string"},
                "manager": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/User"}]},
                "age": {"type": "integer", "exclusiveMinimum": 0},
                "kind": {"const": "person"},
                "friend": {"$ref": "#/components/schemas/User", "description": "a friend"}
            }}}}
        });
        downgrade(&mut document);
        assert_eq!(document["openapi"], "3.0.3");
        assert_eq!(document["info"]["license"], json!({"name": "MIT"}));
        let properties = &document["components"]["schemas"]["User"]["properties"];
        assert_eq!(properties["name"], json!({"type": "string", "nullable": true}));
        assert_eq!(properties["type"], json!({"type": "string"}), "a property named `type` is left alone");
        assert_eq!(properties["manager"], json!({"allOf": [{"$ref": "#/components/schemas/User"}], "nullable": true}));
        assert_eq!(properties["age"], json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true}));
        assert_eq!(properties["kind"], json!({"enum": ["person"]}));
        assert_eq!(properties["friend"], json!({"allOf": [{"$ref": "#/components/schemas/User"}], "description": "a friend"}));
    }
}
