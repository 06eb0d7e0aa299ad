//! `lookoutvision-parts`: writes a deterministic image set of aligned parts, with its Ground
//! Truth manifests, under a directory laid out as S3, or one image to a file.

#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

use std::fs;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use lookoutvision_parts::{encode, write_set, write_split, DefectKind, Format, Part, Spec};

/// Deterministic image sets of aligned manufactured parts for Amazon Lookout for Vision.
///
/// Writes images, masks and Ground Truth manifests under DIR, laid out as S3
/// (DIR/BUCKET/KEY, what `lookoutvision-emulator --s3-dir DIR` reads), then prints each
/// manifest's URI on a line of its own: `train s3://...`, and `test s3://...` when a test
/// set is asked for. The same arguments always write the same bytes.
#[derive(Debug, Parser, PartialEq)]
#[command(
    name = "lookoutvision-parts",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(flatten)]
    set: SetArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args, PartialEq)]
struct SetArgs {
    /// The directory standing for S3: files are written to DIR/BUCKET/KEY.
    #[arg(long, value_name = "DIR", required = true)]
    out: Option<PathBuf>,
    /// The bucket of the images and manifests.
    #[arg(long, value_name = "BUCKET", required = true)]
    bucket: Option<String>,
    /// The key prefix of everything written.
    #[arg(long, value_name = "PREFIX", default_value = "parts")]
    prefix: String,
    /// Every image follows from the seed; the test set's seed is derived from it.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Width and height of the images, in pixels.
    #[arg(long, value_name = "PIXELS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(16..=8192))]
    size: u32,
    /// Normal images in the training set.
    #[arg(long, value_name = "N", default_value_t = 30)]
    normal: usize,
    /// Anomalous images in the training set.
    #[arg(long, value_name = "N", default_value_t = 15)]
    anomalous: usize,
    /// Write JPEG images instead of PNG.
    #[arg(long)]
    jpeg: bool,
    /// Write a mask per anomalous image and segmentation manifests.
    #[arg(long)]
    segmentation: bool,
    /// Normal images in a separate test set (train/ and test/ under the prefix).
    #[arg(long, value_name = "N", requires = "test_anomalous")]
    test_normal: Option<usize>,
    /// Anomalous images in a separate test set.
    #[arg(long, value_name = "N", requires = "test_normal")]
    test_anomalous: Option<usize>,
}

#[derive(Debug, Subcommand, PartialEq)]
enum Command {
    /// Write one image (a normal part unless --defect is given) to FILE, PNG or JPEG by
    /// its extension: what a demo sends to DetectAnomalies.
    Image(ImageArgs),
}

#[derive(Debug, Args, PartialEq)]
struct ImageArgs {
    /// The file to write: `.png`, `.jpg` or `.jpeg`.
    file: PathBuf,
    /// The defect the part carries; `any` lets the seed choose.
    #[arg(long, value_enum)]
    defect: Option<Defect>,
    /// The image follows from the seed.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Width and height of the image, in pixels.
    #[arg(long, value_name = "PIXELS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(16..=8192))]
    size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
enum Defect {
    Any,
    Scratch,
    Spot,
    Missing,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Image(args)) => write_image(&args),
        None => {
            for (name, uri) in write_sets(&cli.set)? {
                println!("{name} {uri}");
            }
            Ok(())
        }
    }
}

/// The test set's seed: different from the training set's, and from the training sets of
/// nearby seeds.
const TEST_SEED: u64 = 0x7465_7374_0000_0000;

fn write_sets(args: &SetArgs) -> anyhow::Result<Vec<(&'static str, String)>> {
    let (Some(out), Some(bucket)) = (&args.out, &args.bucket) else {
        bail!("--out and --bucket are required");
    };
    let train = Spec {
        seed: args.seed,
        width: args.size,
        height: args.size,
        normal: args.normal,
        anomalous: args.anomalous,
        format: if args.jpeg { Format::Jpeg } else { Format::Png },
        segmentation: args.segmentation,
    };
    let written = match (args.test_normal, args.test_anomalous) {
        (Some(normal), Some(anomalous)) => {
            let test = Spec {
                seed: args.seed ^ TEST_SEED,
                normal,
                anomalous,
                ..train.clone()
            };
            let (train, test) = write_split(&train, &test, out, bucket, &args.prefix)?;
            vec![("train", train), ("test", test)]
        }
        _ => vec![("train", write_set(&train, out, bucket, &args.prefix)?)],
    };
    Ok(written
        .into_iter()
        .map(|(name, w)| (name, w.manifest_uri()))
        .collect())
}

fn write_image(args: &ImageArgs) -> anyhow::Result<()> {
    let ext = args.file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let Some(format) = Format::from_extension(ext) else {
        bail!(
            "{}: the file name must end in .png, .jpg or .jpeg",
            args.file.display()
        );
    };
    let spec = Spec {
        seed: args.seed,
        width: args.size,
        height: args.size,
        ..Spec::default()
    };
    let kind = |kind| Part::new(args.seed, args.size, args.size, 0, Some(kind));
    let part = match args.defect {
        None => spec.normal_part(0),
        Some(Defect::Any) => spec.anomalous_part(0),
        Some(Defect::Scratch) => kind(DefectKind::Scratch),
        Some(Defect::Spot) => kind(DefectKind::Spot),
        Some(Defect::Missing) => kind(DefectKind::Missing),
    };
    fs::write(&args.file, encode(&part.image(), format))
        .with_context(|| format!("writing {}", args.file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("lookoutvision-parts").chain(args.iter().copied()))
    }

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn a_set_takes_its_defaults() {
        let cli = parse(&["--out", "/tmp/s3", "--bucket", "b"]).unwrap();
        assert_eq!(cli.command, None);
        let set = cli.set;
        assert_eq!(set.out, Some(PathBuf::from("/tmp/s3")));
        assert_eq!(set.bucket.as_deref(), Some("b"));
        assert_eq!(set.prefix, "parts");
        assert_eq!(
            (set.seed, set.size, set.normal, set.anomalous),
            (0, 512, 30, 15)
        );
        assert!(!set.jpeg && !set.segmentation);
        assert_eq!((set.test_normal, set.test_anomalous), (None, None));
    }

    #[test]
    fn a_set_takes_every_flag() {
        let cli = parse(&[
            "--out",
            "d",
            "--bucket",
            "b",
            "--prefix",
            "p/q",
            "--seed",
            "9",
            "--size",
            "128",
            "--normal",
            "4",
            "--anomalous",
            "2",
            "--jpeg",
            "--segmentation",
            "--test-normal",
            "3",
            "--test-anomalous",
            "1",
        ])
        .unwrap();
        let set = cli.set;
        assert_eq!(set.prefix, "p/q");
        assert_eq!(
            (set.seed, set.size, set.normal, set.anomalous),
            (9, 128, 4, 2)
        );
        assert!(set.jpeg && set.segmentation);
        assert_eq!((set.test_normal, set.test_anomalous), (Some(3), Some(1)));
    }

    #[test]
    fn bad_sets_are_refused() {
        for args in [
            &["--bucket", "b"][..],
            &["--out", "d"],
            &["--out", "d", "--bucket", "b", "--test-normal", "3"],
            &["--out", "d", "--bucket", "b", "--size", "0"],
            &["--out", "d", "--bucket", "b", "--normal", "-1"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn one_image_needs_no_set_flags() {
        let cli = parse(&[
            "image", "a.png", "--defect", "spot", "--seed", "3", "--size", "64",
        ])
        .unwrap();
        let expected = ImageArgs {
            file: "a.png".into(),
            defect: Some(Defect::Spot),
            seed: 3,
            size: 64,
        };
        assert_eq!(cli.command, Some(Command::Image(expected)));
        let normal = parse(&["image", "n.jpg"]).unwrap();
        assert!(matches!(
            normal.command,
            Some(Command::Image(ImageArgs { defect: None, .. }))
        ));
        assert!(parse(&["image", "a.png", "--defect", "dent"]).is_err());
        assert!(parse(&["--out", "d", "image", "a.png"]).is_err());
    }

    #[test]
    fn sets_and_images_are_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let cli = parse(&[
            "--out",
            dir.to_str().unwrap(),
            "--bucket",
            "b",
            "--size",
            "32",
            "--normal",
            "1",
            "--anomalous",
            "1",
            "--test-normal",
            "1",
            "--test-anomalous",
            "1",
        ])
        .unwrap();
        let uris = write_sets(&cli.set).unwrap();
        assert_eq!(
            uris,
            [
                ("train", "s3://b/parts/train/train.manifest".to_owned()),
                ("test", "s3://b/parts/test/test.manifest".to_owned()),
            ]
        );
        assert!(dir.join("b/parts/test/test.manifest").is_file());

        let file = dir.join("one.jpg");
        let cli = parse(&[
            "image",
            file.to_str().unwrap(),
            "--defect",
            "any",
            "--size",
            "32",
        ])
        .unwrap();
        let Some(Command::Image(args)) = cli.command else {
            panic!()
        };
        write_image(&args).unwrap();
        assert_eq!(image::open(&file).unwrap().width(), 32);
        let bad = ImageArgs {
            file: dir.join("one.gif"),
            ..args
        };
        assert!(write_image(&bad).is_err());
    }
}
