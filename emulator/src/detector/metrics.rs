//! The evaluation's figures. Edge cases: precision is 0 with no predicted positives, recall 0
//! with no actual positives, F1 0 when both are 0; ROC AUC is 0 unless both classes are
//! present (ties count half); average precision is 0 with no actual positives.

/// Precision, recall and F1 from counts of true positives, false positives and false negatives.
pub(super) fn precision_recall_f1(tp: usize, fp: usize, fn_: usize) -> (f64, f64, f64) {
    let ratio = |num: usize, den: usize| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    let (precision, recall) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1)
}

/// Precision, recall and F1 of predictions `predicted` against `actual`.
pub(super) fn classification(actual: &[bool], predicted: &[bool]) -> (f64, f64, f64) {
    let count = |a: bool, p: bool| {
        actual
            .iter()
            .zip(predicted)
            .filter(|&(&x, &y)| x == a && y == p)
            .count()
    };
    precision_recall_f1(count(true, true), count(false, true), count(true, false))
}

/// The area under the ROC curve: the chance a random anomalous image scores above a random
/// normal one.
pub(super) fn roc_auc(actual: &[bool], scores: &[f64]) -> f64 {
    let pick = |wanted: bool| -> Vec<f64> {
        actual
            .iter()
            .zip(scores)
            .filter(|&(&a, _)| a == wanted)
            .map(|(_, &s)| s)
            .collect()
    };
    let (positives, negatives) = (pick(true), pick(false));
    if positives.is_empty() || negatives.is_empty() {
        return 0.0;
    }
    let mut wins = 0.0;
    for p in &positives {
        for n in &negatives {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (positives.len() * negatives.len()) as f64
}

/// Average precision: the precision at each distinct score, highest first, weighted by the
/// recall gained there.
pub(super) fn average_precision(actual: &[bool], scores: &[f64]) -> f64 {
    let positives = actual.iter().filter(|&&a| a).count();
    if positives == 0 {
        return 0.0;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let (mut tp, mut seen, mut ap) = (0usize, 0usize, 0.0);
    let mut i = 0;
    while i < order.len() {
        let gained_before = tp;
        // One step per group of equal scores: a threshold cannot split them.
        let score = scores[order[i]];
        while i < order.len() && scores[order[i]] == score {
            tp += usize::from(actual[order[i]]);
            seen += 1;
            i += 1;
        }
        ap += (tp - gained_before) as f64 / positives as f64 * (tp as f64 / seen as f64);
    }
    ap
}

/// Pixel counts of one class over several images, with the IoU of each image where the class
/// is present in the truth or the prediction.
#[derive(Debug, Default)]
pub(super) struct PixelTally {
    tp: usize,
    fp: usize,
    fn_: usize,
    ious: Vec<f64>,
}

impl PixelTally {
    /// Adds one image's labels (`label` is the class's label value).
    pub(super) fn add(&mut self, truth: &[u8], predicted: &[u8], label: u8) {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for (&t, &p) in truth.iter().zip(predicted) {
            match (t == label, p == label) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        if tp + fp + fn_ > 0 {
            self.ious.push(tp as f64 / (tp + fp + fn_) as f64);
        }
        self.tp += tp;
        self.fp += fp;
        self.fn_ += fn_;
    }

    /// Precision, recall, F1 (over all pixels of all images) and the mean IoU (0 when the
    /// class was never present).
    pub(super) fn figures(&self) -> (f64, f64, f64, f64) {
        let (precision, recall, f1) = precision_recall_f1(self.tp, self.fp, self.fn_);
        let aiou = if self.ious.is_empty() {
            0.0
        } else {
            self.ious.iter().sum::<f64>() / self.ious.len() as f64
        };
        (precision, recall, f1, aiou)
    }
}
