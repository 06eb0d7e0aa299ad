//! The committed registry docs must equal what the generator renders from the schemas and the
//! examples. Regenerate them with `UPDATE_DOCS=1 cargo test --test docs`.

use std::path::{Path, PathBuf};

use lookoutvision::framework::docs::{render, Page};
use lookoutvision::framework::resource::{full_schema, Provider};
use lookoutvision::provider::LookoutVisionProvider;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The "Import" section from an example `import.sh` holding `terraform import ADDRESS ID`.
fn import_section(import_sh: &str) -> String {
    let (address, id) = import_sh
        .lines()
        .find_map(|line| line.strip_prefix("terraform import "))
        .and_then(|rest| rest.split_once(' '))
        .expect("import.sh holds a terraform import command");
    let comment: Vec<&str> = import_sh
        .lines()
        .filter_map(|line| line.strip_prefix("# "))
        .collect();
    format!(
        "## Import\n\n{}\n\nIn Terraform 1.5 and later, use an `import` block:\n\n```terraform\nimport {{\n  to = {address}\n  id = \"{id}\"\n}}\n```\n\nOr use `terraform import`:\n\n```shell\n{}\n```\n",
        comment.join(" "),
        import_sh.trim_end()
    )
}

fn pages() -> Vec<(PathBuf, String)> {
    let provider = LookoutVisionProvider;
    let name = provider.type_name();
    let schema = provider.schema();
    let mut pages = vec![(
        root().join("docs/index.md"),
        render(&Page {
            title: format!("{name} Provider"),
            provider: name,
            schema: &schema,
            example: &read(&root().join("examples/provider/provider.tf")),
            trailer: String::new(),
        })
        .replacen(
            "## Example Usage",
            &format!(
                "{}\n## Example Usage",
                read(&root().join("templates/index.md"))
            ),
            1,
        ),
    )];
    for resource in provider.resources() {
        let type_name = resource.type_name();
        let examples = root().join("examples/resources").join(type_name);
        let schema = full_schema(resource.as_ref());
        let short = type_name
            .strip_prefix(&format!("{name}_"))
            .unwrap_or(type_name);
        pages.push((
            root().join(format!("docs/resources/{short}.md")),
            render(&Page {
                title: format!("{type_name} Resource"),
                provider: name,
                schema: &schema,
                example: &read(&examples.join("resource.tf")),
                trailer: import_section(&read(&examples.join("import.sh"))),
            }),
        ));
    }
    pages
}

#[test]
fn committed_docs_match_the_schemas() {
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (path, expected) in pages() {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == expected {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().expect("docs live in a directory"))
                .expect("the docs directory is created");
            std::fs::write(&path, &expected).expect("the page is written");
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "these docs differ from the schemas; run `UPDATE_DOCS=1 cargo test --test docs` and commit:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_resource_has_examples() {
    for resource in LookoutVisionProvider.resources() {
        let dir = root().join("examples/resources").join(resource.type_name());
        for file in ["resource.tf", "import.sh"] {
            assert!(
                dir.join(file).is_file(),
                "{} is missing",
                dir.join(file).display()
            );
        }
    }
}
