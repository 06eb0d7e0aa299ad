//! `cargo xtask docs`: the registry pages under `docs/` (the provider, its resources, data
//! sources and list resources), rendered from the provider's schemas and the examples under
//! `examples/`. The committed pages must equal what this renders; the
//! test below fails when they do not, and names the command that fixes them.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use lookoutvision::framework::docs::{identity_section, render, Page};
use lookoutvision::framework::resource::{full_schema, Provider};
use lookoutvision::provider::LookoutVisionProvider;

/// The command that rewrites the pages.
pub const COMMAND: &str = "cargo xtask docs";

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The "Import" section from an example `import.sh` holding `terraform import ADDRESS ID`, and
/// the example `import` block by identity, if the resource has one.
fn import_section(import_sh: &str, by_identity: Option<&str>) -> anyhow::Result<String> {
    let (address, id) = import_sh
        .lines()
        .find_map(|line| line.strip_prefix("terraform import "))
        .and_then(|rest| rest.split_once(' '))
        .context("import.sh must hold a `terraform import ADDRESS ID` command")?;
    let comment: Vec<&str> = import_sh
        .lines()
        .filter_map(|line| line.strip_prefix("# "))
        .collect();
    let identity = by_identity.map_or_else(String::new, |example| {
        format!(
            "In Terraform 1.12 and later, an `import` block can name the object by its identity \
             (see Identity Schema above) instead:\n\n```terraform\n{}\n```\n\n",
            example.trim_end()
        )
    });
    Ok(format!(
        "## Import\n\n{}\n\nIn Terraform 1.5 and later, use an `import` block:\n\n```terraform\nimport {{\n  to = {address}\n  id = \"{id}\"\n}}\n```\n\n{identity}Or use `terraform import`:\n\n```shell\n{}\n```\n",
        comment.join(" "),
        import_sh.trim_end()
    ))
}

/// Every page, as a path under `root` and the text it must hold.
pub fn pages(root: &Path) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let provider = LookoutVisionProvider;
    let name = provider.type_name();
    let schema = provider.schema();
    let mut pages = vec![(
        root.join("docs/index.md"),
        render(&Page {
            title: format!("{name} Provider"),
            provider: name,
            schema: &schema,
            example: &read(&root.join("examples/provider/provider.tf"))?,
            trailer: String::new(),
        })
        .replacen(
            "## Example Usage",
            &format!(
                "{}\n## Example Usage",
                read(&root.join("templates/index.md"))?
            ),
            1,
        ),
    )];
    let short = |type_name: &'static str| {
        type_name
            .strip_prefix(&format!("{name}_"))
            .unwrap_or(type_name)
            .to_owned()
    };
    for resource in provider.resources() {
        let type_name = resource.type_name();
        let examples = root.join("examples/resources").join(type_name);
        let schema = full_schema(resource.as_ref());
        let identity = resource.identity_schema();
        let by_identity = match identity {
            Some(_) => Some(read(&examples.join("import-by-identity.tf"))?),
            None => None,
        };
        let import = import_section(&read(&examples.join("import.sh"))?, by_identity.as_deref())?;
        let trailer = match &identity {
            Some(identity) => format!("{}\n{import}", identity_section(identity)),
            None => import,
        };
        pages.push((
            root.join(format!("docs/resources/{}.md", short(type_name))),
            render(&Page {
                title: format!("{type_name} Resource"),
                provider: name,
                schema: &schema,
                example: &read(&examples.join("resource.tf"))?,
                trailer,
            }),
        ));
    }
    for data_source in provider.data_sources() {
        let type_name = data_source.type_name();
        let example = root
            .join("examples/data-sources")
            .join(type_name)
            .join("data-source.tf");
        pages.push((
            root.join(format!("docs/data-sources/{}.md", short(type_name))),
            render(&Page {
                title: format!("{type_name} Data Source"),
                provider: name,
                schema: &data_source.schema(),
                example: &read(&example)?,
                trailer: String::new(),
            }),
        ));
    }
    for list in provider.list_resources() {
        let type_name = list.type_name();
        let example = root
            .join("examples/list-resources")
            .join(type_name)
            .join("list-resource.tfquery.hcl");
        pages.push((
            root.join(format!("docs/list-resources/{}.md", short(type_name))),
            render(&Page {
                title: format!("{type_name} List Resource"),
                provider: name,
                schema: &list.schema(),
                example: &read(&example)?,
                trailer: LIST_TRAILER.to_owned(),
            }),
        ));
    }
    Ok(pages)
}

/// What every list resource page ends with: how its results are used.
const LIST_TRAILER: &str = "## Using the results\n\nList resources are read by `terraform query` \
(Terraform 1.14 and later) from `.tfquery.hcl` files. The `config` block above is the `list` \
block's `config`; `limit` (default 100) and `include_resource` (default `false`, the full state \
of each object) are the `list` block's own arguments. Each result carries the resource's \
identity (see the resource's Identity Schema), which `terraform query \
-generate-config-out=FILE` turns into `import` blocks.\n";

/// The pages under `root` that differ from what [`pages`] renders.
pub fn stale(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(pages(root)?
        .into_iter()
        .filter(|(path, expected)| std::fs::read_to_string(path).ok().as_ref() != Some(expected))
        .map(|(path, _)| path)
        .collect())
}

/// Rewrites the stale pages under `root` and returns them.
pub fn write(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, expected) in pages(root)? {
        if std::fs::read_to_string(&path).ok().as_ref() == Some(&expected) {
            continue;
        }
        let dir = path.parent().context("a page lives in a directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(&path, &expected)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        crate::workspace_root()
    }

    #[test]
    fn committed_docs_match_the_schemas() {
        let stale = stale(&root()).expect("the pages render");
        assert!(
            stale.is_empty(),
            "these docs differ from the schemas and examples; run `{COMMAND}` and commit:\n{}",
            stale
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn a_stale_page_is_found_and_rewritten() {
        let copy = tempfile_copy();
        let page = copy.path().join("docs/resources/project.md");
        std::fs::write(&page, "out of date\n").expect("the page is overwritten");
        assert_eq!(
            stale(copy.path()).expect("the pages render"),
            vec![page.clone()]
        );
        assert_eq!(
            write(copy.path()).expect("the pages are written"),
            vec![page]
        );
        assert!(stale(copy.path()).expect("the pages render").is_empty());
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

    #[test]
    fn every_data_source_has_an_example_and_a_page() {
        let pages: Vec<PathBuf> = pages(&root())
            .expect("the pages render")
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        for data_source in LookoutVisionProvider.data_sources() {
            let type_name = data_source.type_name();
            let example = root()
                .join("examples/data-sources")
                .join(type_name)
                .join("data-source.tf");
            assert!(example.is_file(), "{} is missing", example.display());
            let short = type_name.trim_start_matches("lookoutvision_");
            let page = root().join(format!("docs/data-sources/{short}.md"));
            assert!(pages.contains(&page), "no page {}", page.display());
        }
    }

    #[test]
    fn every_resource_with_an_identity_documents_it_with_an_example() {
        for resource in LookoutVisionProvider.resources() {
            let type_name = resource.type_name();
            let identity = resource.identity_schema().expect("every resource has one");
            let example = root()
                .join("examples/resources")
                .join(type_name)
                .join("import-by-identity.tf");
            let example = read(&example).expect("an import-by-identity example");
            assert!(example.contains(&format!("to = {type_name}.")), "{example}");
            for attribute in identity.attributes.iter().filter(|a| a.required_for_import) {
                assert!(
                    example.contains(&format!("{} ", attribute.name)),
                    "{type_name}'s example lacks {}: {example}",
                    attribute.name
                );
            }
        }
    }

    #[test]
    fn every_list_resource_has_an_example_of_its_type_and_arguments() {
        for list in LookoutVisionProvider.list_resources() {
            let type_name = list.type_name();
            let example = root()
                .join("examples/list-resources")
                .join(type_name)
                .join("list-resource.tfquery.hcl");
            let example = read(&example).expect("a list example");
            assert!(
                example.contains(&format!("list \"{type_name}\" ")),
                "{example}"
            );
            for attribute in list.schema().block.attributes.iter().filter(|a| a.required) {
                assert!(
                    example.contains(&format!("{} ", attribute.name)),
                    "{type_name}'s example lacks {}: {example}",
                    attribute.name
                );
            }
        }
    }

    #[test]
    fn a_stale_data_source_page_is_found() {
        let copy = tempfile_copy();
        let page = copy.path().join("docs/data-sources/model.md");
        std::fs::write(&page, "out of date\n").expect("the page is overwritten");
        assert_eq!(stale(copy.path()).expect("the pages render"), vec![page]);
    }

    /// A scratch copy of what the pages are rendered from, and the pages themselves.
    fn tempfile_copy() -> tempfile::TempDir {
        let tree = tempfile::tempdir().expect("a scratch directory");
        for dir in ["docs", "examples", "templates"] {
            copy_dir(&root().join(dir), &tree.path().join(dir));
        }
        tree
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("a directory");
        for entry in std::fs::read_dir(from).expect("a readable directory") {
            let entry = entry.expect("a directory entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("a file type").is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("a copy");
            }
        }
    }
}
