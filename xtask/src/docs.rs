//! `cargo xtask docs`: the registry pages under `docs/` (the provider, its resources, data
//! sources and list resources), rendered from the provider's schemas and the examples under
//! `examples/`. The committed pages must equal what this renders; the
//! test below fails when they do not, and names the command that fixes them.
//!
//! Guides (`docs/guides/*.md`) are written by hand; the registry reads their front matter
//! (`page_title`, `subcategory`), which is checked here, and the provider's page lists them
//! under "Guides", rendered from that front matter.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use lookoutvision::framework::docs::{identity_section, render, Page};
use lookoutvision::framework::resource::{full_schema, Provider};
use lookoutvision::provider::LookoutVisionProvider;

/// The command that rewrites the pages.
pub const COMMAND: &str = "cargo xtask docs";

/// The registry's navigation group of resource and data-source pages.
pub const SUBCATEGORY: &str = "Lookout for Vision";

/// Where the hand-written guides live, under the workspace root.
pub const GUIDES: &str = "docs/guides";

/// A guide's front matter, as the registry reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    /// The file name under `docs/guides/`, e.g. `emulator.md`.
    pub file: String,
    /// `page_title`.
    pub title: String,
    /// `subcategory`: the registry's navigation group.
    pub subcategory: String,
    /// `description`, on one line.
    pub description: String,
}

/// The value of `key` in a page's YAML front matter: a quoted string on the key's line, or a
/// `|-` block of indented lines.
fn front_matter_value(front: &str, key: &str) -> Option<String> {
    let mut lines = front.lines();
    while let Some(line) = lines.next() {
        let Some(value) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let value = value.trim();
        if value == "|-" || value == "|" {
            let block: Vec<&str> = lines
                .by_ref()
                .take_while(|l| l.starts_with("  "))
                .map(str::trim)
                .collect();
            return Some(block.join(" "));
        }
        return Some(value.trim_matches('"').to_owned());
    }
    None
}

/// Reads a guide's front matter, failing with the file and the missing key.
fn guide(path: &Path) -> anyhow::Result<Guide> {
    let text = read(path)?;
    let front = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(front, _)| front)
        .with_context(|| {
            format!(
                "{} has no front matter: the registry needs `page_title` and `subcategory` \
                 between `---` lines at the top",
                path.display()
            )
        })?;
    let field = |key: &str| {
        front_matter_value(front, key)
            .filter(|value| !value.is_empty())
            .with_context(|| format!("{}: the front matter has no `{key}`", path.display()))
    };
    Ok(Guide {
        file: path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        title: field("page_title")?,
        subcategory: field("subcategory")?,
        description: front_matter_value(front, "description").unwrap_or_default(),
    })
}

/// Every guide under `root`, in file-name order.
pub fn guides(root: &Path) -> anyhow::Result<Vec<Guide>> {
    let dir = root.join(GUIDES);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    paths.retain(|path| path.extension().is_some_and(|ext| ext == "md"));
    paths.sort();
    paths.iter().map(|path| guide(path)).collect()
}

/// The provider page's "Guides" section: a link to each guide, grouped by subcategory.
fn guides_section(guides: &[Guide]) -> String {
    let mut groups: Vec<&str> = guides.iter().map(|g| g.subcategory.as_str()).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut out = String::from("## Guides\n");
    for group in groups {
        out.push_str(&format!("\n{group}:\n\n"));
        for guide in guides.iter().filter(|g| g.subcategory == group) {
            out.push_str(&format!(
                "- [{}](guides/{}): {}\n",
                guide.title, guide.file, guide.description
            ));
        }
    }
    out
}

/// Adds the registry's `subcategory` to a rendered page's front matter, after `page_title`.
fn with_subcategory(page: String) -> String {
    match page
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once('\n'))
    {
        Some((title, rest)) if title.starts_with("page_title:") => {
            format!("---\n{title}\nsubcategory: \"{SUBCATEGORY}\"\n{rest}")
        }
        _ => page,
    }
}

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
                "{}\n{}\n## Example Usage",
                read(&root.join("templates/index.md"))?,
                guides_section(&guides(root)?)
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
            with_subcategory(render(&Page {
                title: format!("{type_name} Resource"),
                provider: name,
                schema: &schema,
                example: &read(&examples.join("resource.tf"))?,
                trailer,
            })),
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
            with_subcategory(render(&Page {
                title: format!("{type_name} Data Source"),
                provider: name,
                schema: &data_source.schema(),
                example: &read(&example)?,
                trailer: String::new(),
            })),
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
            with_subcategory(render(&Page {
                title: format!("{type_name} List Resource"),
                provider: name,
                schema: &list.schema(),
                example: &read(&example)?,
                trailer: LIST_TRAILER.to_owned(),
            })),
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
    fn resource_pages_carry_the_registry_subcategory() {
        for (path, text) in pages(&root()).expect("the pages render") {
            let front = text.split("\n---\n").next().unwrap_or_default();
            let is_index = path.ends_with("docs/index.md");
            assert_eq!(
                front.contains(&format!("subcategory: \"{SUBCATEGORY}\"")),
                !is_index,
                "{}:\n{front}",
                path.display()
            );
        }
    }

    #[test]
    fn a_stale_data_source_page_is_found() {
        let copy = tempfile_copy();
        let page = copy.path().join("docs/data-sources/model.md");
        std::fs::write(&page, "out of date\n").expect("the page is overwritten");
        assert_eq!(stale(copy.path()).expect("the pages render"), vec![page]);
    }

    #[test]
    fn the_guides_have_front_matter_and_the_index_links_each() {
        let guides = guides(&root()).expect("every guide has its front matter");
        let files: Vec<&str> = guides.iter().map(|g| g.file.as_str()).collect();
        for expected in ["emulator.md", "performance.md", "reliability.md"] {
            assert!(
                files.contains(&expected),
                "{expected} is not a guide: {files:?}"
            );
        }
        let index = std::fs::read_to_string(root().join("docs/index.md")).expect("the index");
        for guide in &guides {
            assert!(!guide.subcategory.is_empty() && !guide.description.is_empty());
            let link = format!("[{}](guides/{})", guide.title, guide.file);
            assert!(index.contains(&link), "docs/index.md does not link {link}");
        }
    }

    #[test]
    fn a_guide_without_front_matter_is_refused_naming_the_file_and_key() {
        let copy = tempfile_copy();
        let guide = copy.path().join(GUIDES).join("new.md");
        std::fs::write(&guide, "# A guide\n").expect("a guide");
        let err = format!("{:#}", pages(copy.path()).unwrap_err());
        assert!(err.contains("new.md has no front matter"), "{err}");

        std::fs::write(&guide, "---\npage_title: \"A guide\"\n---\n# A guide\n").expect("a guide");
        let err = format!("{:#}", pages(copy.path()).unwrap_err());
        assert!(
            err.contains("new.md: the front matter has no `subcategory`"),
            "{err}"
        );

        std::fs::write(
            &guide,
            "---\npage_title: \"A guide\"\nsubcategory: \"Testing\"\ndescription: |-\n  What it says.\n---\n",
        )
        .expect("a guide");
        assert_eq!(
            stale(copy.path()).expect("the pages render"),
            vec![copy.path().join("docs/index.md")]
        );
        write(copy.path()).expect("the pages are written");
        let index = std::fs::read_to_string(copy.path().join("docs/index.md")).expect("the index");
        assert!(
            index.contains("- [A guide](guides/new.md): What it says."),
            "{index}"
        );
    }

    #[test]
    fn every_environment_variable_the_provider_reads_is_documented() {
        // The variables are the quoted upper-case names in the client configuration's source.
        let source = std::fs::read_to_string(root().join("src/aws/config.rs")).expect("the source");
        let index = std::fs::read_to_string(root().join("docs/index.md")).expect("the index");
        let variables: std::collections::BTreeSet<&str> = source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|word| {
                let lower = ["http_proxy", "https_proxy", "no_proxy"].contains(word);
                let upper = (word.starts_with("AWS_") || word.ends_with("_PROXY"))
                    && word.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                lower || upper
            })
            .collect();
        assert!(variables.len() > 20, "{variables:?}");
        let missing: Vec<&&str> = variables
            .iter()
            .filter(|var| !index.contains(&format!("`{var}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/index.md does not name {missing:?}"
        );
    }

    #[test]
    fn nothing_refers_to_a_guide_by_its_old_path() {
        // The guides moved from docs/ to docs/guides/; a stale path would be a dead link.
        let old: Vec<String> = guides(&root())
            .expect("the guides")
            .iter()
            .map(|g| format!("docs/{}", g.file))
            .collect();
        let mut stale = Vec::new();
        for file in tracked_text_files(&root()) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for path in &old {
                for (index, _) in text.match_indices(path.as_str()) {
                    // `docs/guides/x.md` contains no `docs/x.md`; only a preceding `/` could
                    // make an old path part of a longer, different one.
                    if index == 0 || !text[..index].ends_with('/') {
                        stale.push(format!("{}: {path}", file.display()));
                    }
                }
            }
        }
        assert!(stale.is_empty(), "old guide paths:\n{}", stale.join("\n"));
    }

    /// The workspace's own files: everything but build output, VCS data and release output.
    fn tracked_text_files(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).expect("a readable directory") {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if entry.file_type().expect("a file type").is_dir() {
                if !["target", ".git", "dist", ".terraform"].contains(&name.as_str()) {
                    files.extend(tracked_text_files(&path));
                }
            } else if [".md", ".rs", ".toml", ".sh", ".tf", ".yml", ".go"]
                .iter()
                .any(|ext| name.ends_with(ext))
                || name == "run"
            {
                files.push(path);
            }
        }
        files
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
