//! SageMaker Ground Truth manifest lines, in the shapes Lookout for Vision documents:
//! image classification (`anomaly-label`) and, for segmentation, the mask reference
//! (`anomaly-mask-ref`) with its colour map.
//!
//! Each function returns one JSON object without a line break; a manifest is these lines
//! joined by `\n`. The service labels an image by the `class-name` of the label's metadata
//! (`normal` or `anomaly`); the label's numeric value, 1 for anomaly and 0 for normal,
//! follows the documentation's examples.

use serde_json::{json, Map, Value};

/// The `creation-date` every line carries, fixed so that manifests are deterministic.
pub const CREATION_DATE: &str = "2025-01-01T00:00:00.000";

/// The class name of the background in a segmentation colour map, and its colour.
pub const BACKGROUND: (&str, &str) = ("BACKGROUND", "#ffffff");

/// A classification line: `source_ref` (an `s3://bucket/key` URI) labelled anomalous or
/// normal.
pub fn classification_line(source_ref: &str, anomalous: bool) -> String {
    Value::Object(classification(source_ref, anomalous)).to_string()
}

/// A segmentation line: the classification line plus, when `mask` is given, the mask's
/// `s3://` URI and the classes (name, `#RRGGBB` colour) painted in it. The colour map
/// numbers the background 0 and the classes from 1 in the order given.
///
/// Normal images carry no mask here: a mask with nothing but background says nothing a
/// `normal` label does not.
pub fn segmentation_line(
    source_ref: &str,
    anomalous: bool,
    mask: Option<(&str, &[(&str, &str)])>,
) -> String {
    let mut line = classification(source_ref, anomalous);
    if let Some((mask_ref, classes)) = mask {
        let colour_map: Map<String, Value> = std::iter::once(&BACKGROUND)
            .chain(classes)
            .enumerate()
            .map(|(i, (name, hex))| {
                let entry = json!({"class-name": name, "hex-color": hex, "confidence": 0.0});
                (i.to_string(), entry)
            })
            .collect();
        line.insert("anomaly-mask-ref".into(), mask_ref.into());
        line.insert(
            "anomaly-mask-ref-metadata".into(),
            json!({
                "internal-color-map": colour_map,
                "type": "groundtruth/semantic-segmentation",
                "human-annotated": "yes",
                "creation-date": CREATION_DATE,
                "job-name": "labeling-job/anomaly-mask",
            }),
        );
    }
    Value::Object(line).to_string()
}

fn classification(source_ref: &str, anomalous: bool) -> Map<String, Value> {
    let line = json!({
        "source-ref": source_ref,
        "anomaly-label": u8::from(anomalous),
        "anomaly-label-metadata": {
            "confidence": 1,
            "job-name": "labeling-job/anomaly-label",
            "class-name": if anomalous { "anomaly" } else { "normal" },
            "human-annotated": "yes",
            "creation-date": CREATION_DATE,
            "type": "groundtruth/image-classification",
        },
    });
    match line {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal is an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Value {
        assert!(!line.contains('\n'), "{line}");
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn classification_lines_have_the_documented_members() {
        for (anomalous, value, class) in [(true, 1, "anomaly"), (false, 0, "normal")] {
            let line = parse(&classification_line("s3://b/k.png", anomalous));
            assert_eq!(line["source-ref"], "s3://b/k.png");
            assert_eq!(line["anomaly-label"], value);
            let meta = &line["anomaly-label-metadata"];
            assert_eq!(meta["class-name"], class);
            assert_eq!(meta["confidence"], 1);
            assert_eq!(meta["job-name"], "labeling-job/anomaly-label");
            assert_eq!(meta["human-annotated"], "yes");
            assert_eq!(meta["creation-date"], CREATION_DATE);
            assert_eq!(meta["type"], "groundtruth/image-classification");
            assert_eq!(line.as_object().unwrap().len(), 3);
        }
    }

    #[test]
    fn segmentation_lines_add_the_mask_and_its_colour_map() {
        let classes = [("scratch", "#23A436"), ("spot", "#D62728")];
        let line = parse(&segmentation_line(
            "s3://b/a.png",
            true,
            Some(("s3://b/m.png", &classes)),
        ));
        assert_eq!(line["anomaly-label-metadata"]["class-name"], "anomaly");
        assert_eq!(line["anomaly-mask-ref"], "s3://b/m.png");
        let meta = &line["anomaly-mask-ref-metadata"];
        assert_eq!(meta["type"], "groundtruth/semantic-segmentation");
        assert_eq!(meta["job-name"], "labeling-job/anomaly-mask");
        assert_eq!(meta["human-annotated"], "yes");
        assert_eq!(meta["creation-date"], CREATION_DATE);
        let map = meta["internal-color-map"].as_object().unwrap();
        assert_eq!(map.len(), 3);
        assert_eq!(map["0"]["class-name"], "BACKGROUND");
        assert_eq!(map["0"]["hex-color"], "#ffffff");
        assert_eq!(map["1"]["class-name"], "scratch");
        assert_eq!(map["1"]["hex-color"], "#23A436");
        assert_eq!(map["2"]["class-name"], "spot");
        assert_eq!(map["2"]["confidence"], 0.0);

        let normal = parse(&segmentation_line("s3://b/n.png", false, None));
        assert_eq!(normal, parse(&classification_line("s3://b/n.png", false)));
    }

    #[test]
    fn strings_are_escaped_by_the_serializer() {
        let line = parse(&classification_line("s3://b/a \"quoted\".png", true));
        assert_eq!(line["source-ref"], "s3://b/a \"quoted\".png");
    }
}
