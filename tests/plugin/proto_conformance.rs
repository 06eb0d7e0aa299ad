//! Checks `proto/` against the reference list of tfplugin6.10 messages, fields, enum values and
//! RPCs (`proto/tfplugin6.10-fields.tsv`), in both directions, and checks that
//! go-plugin's `plugin.GRPCController/Shutdown` is declared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use protox::prost_reflect::{DescriptorPool, FieldDescriptor, Kind};

const PACKAGE: &str = "tfplugin6";

const SCALARS: [&str; 15] = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];

/// One description of the protocol, TSV or proto, reduced to comparable strings. Names are full
/// names without the `tfplugin6.` prefix; type names are resolved to such full names.
#[derive(Default)]
struct Surface {
    messages: BTreeSet<String>,
    enums: BTreeSet<String>,
    /// `Message.field` to `number type`, e.g. `1 repeated Diagnostic`.
    fields: BTreeMap<String, String>,
    /// `Enum.VALUE` to its number.
    values: BTreeMap<String, String>,
    /// `Service.Method` to `request -> response`, each side possibly prefixed by `stream `.
    rpcs: BTreeMap<String, String>,
}

fn reference_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("proto/tfplugin6.10-fields.tsv")
}

fn compile_protos() -> DescriptorPool {
    let proto_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("proto");
    protox::Compiler::new([&proto_dir])
        .and_then(|mut compiler| {
            compiler.open_files(["tfplugin6.proto", "grpc_controller.proto"])?;
            Ok(compiler.descriptor_pool())
        })
        .unwrap_or_else(|e| panic!("cannot compile {}: {e:?}", proto_dir.display()))
}

/// `A.B.C` -> `A`, `A.B`, `A.B.C`.
fn prefixes(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('.')
        .map(|(i, _)| &name[..i])
        .chain([name])
}

/// `A.B.C` -> `A.B`; `A` -> ``.
fn parent(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(parent, _)| parent)
}

/// Resolves a type name written inside `scope` the way protoc does: innermost scope first. Names
/// the TSV does not declare (such as `google.protobuf.Timestamp`) are kept as written.
fn resolve(name: &str, scope: &str, known: &BTreeSet<String>) -> String {
    if SCALARS.contains(&name) {
        return name.to_owned();
    }
    let mut scope = scope;
    loop {
        let candidate = if scope.is_empty() {
            name.to_owned()
        } else {
            format!("{scope}.{name}")
        };
        if known.contains(&candidate) {
            return candidate;
        }
        if scope.is_empty() {
            return name.to_owned();
        }
        scope = parent(scope);
    }
}

/// Normalises a TSV field type (`map < string , Schema >` -> `map<string,Schema>`) and resolves
/// the type names in it.
fn resolve_field_type(raw: &str, scope: &str, known: &BTreeSet<String>) -> String {
    for label in ["repeated", "optional"] {
        if let Some(inner) = raw
            .trim()
            .strip_prefix(label)
            .filter(|rest| rest.starts_with(char::is_whitespace))
        {
            return format!("{label} {}", resolve_field_type(inner, scope, known));
        }
    }
    let ty: String = raw.split_whitespace().collect();
    let map_entry = ty
        .strip_prefix("map<")
        .and_then(|rest| rest.strip_suffix('>'));
    match map_entry.and_then(|entry| entry.split_once(',')) {
        Some((key, value)) => format!(
            "map<{},{}>",
            resolve(key, scope, known),
            resolve(value, scope, known)
        ),
        None => resolve(&ty, scope, known),
    }
}

/// Parses the TSV, recording malformed or duplicate rows in `problems`.
fn reference_surface(tsv: &str, problems: &mut Vec<String>) -> Surface {
    let rows: Vec<(usize, Vec<&str>)> = tsv
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(i, line)| (i + 1, line.split('\t').map(str::trim).collect()))
        .collect();

    // Declared types first, so that field types can be resolved against all of them.
    let mut surface = Surface::default();
    for (_, cols) in &rows {
        match cols.as_slice() {
            ["field", name, ..] => surface
                .messages
                .extend(prefixes(parent(name)).map(str::to_owned)),
            ["value", name, ..] => {
                let enum_name = parent(name);
                surface.enums.insert(enum_name.to_owned());
                surface
                    .messages
                    .extend(prefixes(parent(enum_name)).map(str::to_owned));
            }
            ["rpc", _, request, response, ..] => {
                for ty in [request, response] {
                    let ty = ty.strip_prefix("stream ").unwrap_or(ty).trim();
                    surface.messages.extend(prefixes(ty).map(str::to_owned));
                }
            }
            _ => {}
        }
    }
    surface.messages.remove("");
    let known: BTreeSet<String> = surface.messages.union(&surface.enums).cloned().collect();

    for (line, cols) in &rows {
        let (map, key, value) = match cols.as_slice() {
            ["field", name, number, ty, ..] if number.parse::<u32>().is_ok() => {
                let ty = resolve_field_type(ty, parent(name), &known);
                (&mut surface.fields, name, format!("{number} {ty}"))
            }
            ["value", name, number, ..] if number.parse::<i32>().is_ok() => {
                (&mut surface.values, name, (*number).to_owned())
            }
            ["rpc", name, request, response, ..] => {
                let side = |ty: &str| match ty.strip_prefix("stream ") {
                    Some(ty) => format!("stream {}", resolve(ty.trim(), "", &known)),
                    None => resolve(ty, "", &known),
                };
                (
                    &mut surface.rpcs,
                    name,
                    format!("{} -> {}", side(request), side(response)),
                )
            }
            _ => {
                problems.push(format!("TSV line {line}: malformed row {cols:?}"));
                continue;
            }
        };
        if map.insert((*key).to_owned(), value).is_some() {
            problems.push(format!("TSV line {line}: duplicate {key}"));
        }
    }
    surface
}

fn relative(full_name: &str) -> String {
    full_name
        .strip_prefix(&format!("{PACKAGE}."))
        .unwrap_or(full_name)
        .to_owned()
}

fn kind_name(kind: &Kind) -> String {
    match kind {
        Kind::Double => "double".into(),
        Kind::Float => "float".into(),
        Kind::Int32 => "int32".into(),
        Kind::Int64 => "int64".into(),
        Kind::Uint32 => "uint32".into(),
        Kind::Uint64 => "uint64".into(),
        Kind::Sint32 => "sint32".into(),
        Kind::Sint64 => "sint64".into(),
        Kind::Fixed32 => "fixed32".into(),
        Kind::Fixed64 => "fixed64".into(),
        Kind::Sfixed32 => "sfixed32".into(),
        Kind::Sfixed64 => "sfixed64".into(),
        Kind::Bool => "bool".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Message(message) => relative(message.full_name()),
        Kind::Enum(enumeration) => relative(enumeration.full_name()),
    }
}

fn field_type(field: &FieldDescriptor) -> String {
    match field.kind() {
        Kind::Message(entry) if field.is_map() => format!(
            "map<{},{}>",
            kind_name(&entry.map_entry_key_field().kind()),
            kind_name(&entry.map_entry_value_field().kind())
        ),
        kind if field.is_list() => format!("repeated {}", kind_name(&kind)),
        kind if field
            .containing_oneof()
            .is_some_and(|oneof| oneof.is_synthetic()) =>
        {
            format!("optional {}", kind_name(&kind))
        }
        kind => kind_name(&kind),
    }
}

fn proto_surface(pool: &DescriptorPool) -> Surface {
    let mut surface = Surface::default();
    for message in pool.all_messages() {
        if message.package_name() != PACKAGE || message.is_map_entry() {
            continue;
        }
        let name = relative(message.full_name());
        for field in message.fields() {
            surface.fields.insert(
                format!("{name}.{}", field.name()),
                format!("{} {}", field.number(), field_type(&field)),
            );
        }
        surface.messages.insert(name);
    }
    for enumeration in pool.all_enums().filter(|e| e.package_name() == PACKAGE) {
        let name = relative(enumeration.full_name());
        for value in enumeration.values() {
            surface.values.insert(
                format!("{name}.{}", value.name()),
                value.number().to_string(),
            );
        }
        surface.enums.insert(name);
    }
    for service in pool.services().filter(|s| s.package_name() == PACKAGE) {
        for method in service.methods() {
            let side = |streaming: bool, message: String| {
                if streaming {
                    format!("stream {message}")
                } else {
                    message
                }
            };
            surface.rpcs.insert(
                format!("{}.{}", relative(service.full_name()), method.name()),
                format!(
                    "{} -> {}",
                    side(
                        method.is_client_streaming(),
                        relative(method.input().full_name())
                    ),
                    side(
                        method.is_server_streaming(),
                        relative(method.output().full_name())
                    )
                ),
            );
        }
    }
    surface
}

fn compare_sets(
    what: &str,
    tsv: &BTreeSet<String>,
    proto: &BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    for name in tsv.difference(proto) {
        problems.push(format!("{what} {name}: in the TSV, missing from the proto"));
    }
    for name in proto.difference(tsv) {
        problems.push(format!("{what} {name}: in the proto, not in the TSV"));
    }
}

fn compare_maps(
    what: &str,
    tsv: &BTreeMap<String, String>,
    proto: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) {
    for (name, expected) in tsv {
        match proto.get(name) {
            None => problems.push(format!(
                "{what} {name} ({expected}): in the TSV, missing from the proto"
            )),
            Some(actual) if actual != expected => problems.push(format!(
                "{what} {name}: TSV says `{expected}`, proto says `{actual}`"
            )),
            Some(_) => {}
        }
    }
    for (name, actual) in proto {
        if !tsv.contains_key(name) {
            problems.push(format!(
                "{what} {name} ({actual}): in the proto, not in the TSV"
            ));
        }
    }
}

#[test]
fn tfplugin6_matches_reference_field_list() {
    let path = reference_path();
    let tsv = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the tfplugin6 reference field list {}: {e}",
            path.display()
        )
    });

    let mut problems = Vec::new();
    let reference = reference_surface(&tsv, &mut problems);
    let proto = proto_surface(&compile_protos());

    compare_sets(
        "message",
        &reference.messages,
        &proto.messages,
        &mut problems,
    );
    compare_sets("enum", &reference.enums, &proto.enums, &mut problems);
    compare_maps("field", &reference.fields, &proto.fields, &mut problems);
    compare_maps(
        "enum value",
        &reference.values,
        &proto.values,
        &mut problems,
    );
    compare_maps("rpc", &reference.rpcs, &proto.rpcs, &mut problems);

    assert!(
        problems.is_empty(),
        "proto/tfplugin6.proto disagrees with {} in {} place(s):\n  {}",
        path.display(),
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn grpc_controller_declares_shutdown() {
    let pool = compile_protos();
    let service = pool
        .get_service_by_name("plugin.GRPCController")
        .expect("proto/grpc_controller.proto declares no plugin.GRPCController service");
    let shutdown = service
        .methods()
        .find(|method| method.name() == "Shutdown")
        .expect("plugin.GRPCController has no Shutdown method");
    assert_eq!(shutdown.input().full_name(), "plugin.Empty");
    assert_eq!(shutdown.output().full_name(), "plugin.Empty");
    assert!(
        !shutdown.is_client_streaming() && !shutdown.is_server_streaming(),
        "plugin.GRPCController/Shutdown must be unary"
    );
}
