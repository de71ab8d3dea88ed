//! `hearth classifier train` and `hearth classifier eval`: the publisher side of
//! the on-device text classifier ([`hearth_core::classifier`]).
//!
//! Training is multinomial logistic regression over the core's hashed
//! features ([`Features::for_each`], so the phone computes exactly the features
//! the model was trained on), by plain SGD with a linearly decaying learning
//! rate and L2 regularisation applied to the weights an example touches;
//! examples are visited in an order shuffled per epoch by a ChaCha8 generator
//! seeded with `--seed`, so a seed always gives the same model. The `f32`
//! weights are then quantised to `i8` with one scale per label
//! ([`Model::quantize`]).
//!
//! Input files are tab-separated: one example per line, `text<TAB>label` (the
//! label is after the last tab); a first line `text<TAB>label` is a header and
//! skipped; blank lines are skipped. `scripts/eval-data.sh` writes the clothing
//! reviews in this form.
//!
//! See `docs/classifier.md` for the model, the format and measured figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use hearth_core::classifier::{self, Features, MIN_PROBABILITY, Model, TOP_K, TopicClassifier};
use hearth_core::taxonomy::Taxonomy;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::catalog_source::{Base64, CatalogSource};
use crate::error::CliError;

/// Default size limit of a trained model, bytes (the goal: ≤ 1 MB).
pub const DEFAULT_MAX_BYTES: usize = 1_000_000;
/// Largest number of buckets the automatic choice picks (2^20).
pub const AUTO_MAX_BITS: u8 = 20;
/// Words in the texts `eval` times.
pub const TIMED_WORDS: usize = 20;

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The text.
    pub text: String,
    /// Its label.
    pub label: String,
}

/// Parse a `text<TAB>label` file (see the module docs); `origin` names it in
/// errors, which give the line number.
pub fn parse_tsv(data: &str, origin: &str) -> Result<Vec<Example>, CliError> {
    let mut out = Vec::new();
    for (i, line) in data.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || (i == 0 && line == "text\tlabel") {
            continue;
        }
        let Some((text, label)) = line.rsplit_once('\t') else {
            return Err(CliError::Input(format!(
                "{origin} line {}: no tab: expected `text<TAB>label`",
                i + 1
            )));
        };
        let label = label.trim();
        if label.is_empty() {
            return Err(CliError::Input(format!(
                "{origin} line {}: empty label",
                i + 1
            )));
        }
        out.push(Example {
            text: text.to_string(),
            label: label.to_string(),
        });
    }
    Ok(out)
}

/// Read and parse a `text<TAB>label` file.
pub fn read_tsv(path: &Path) -> Result<Vec<Example>, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io("cannot read", path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::Input(format!("{} is not UTF-8", path.display())))?;
    parse_tsv(&text, &path.display().to_string())
}

/// Replace labels through a `label<TAB>new label` map (e.g. dataset labels →
/// topic ids); a label the map does not name is an error.
pub fn relabel(rows: &mut [Example], map: &str, origin: &str) -> Result<(), CliError> {
    let mut m = BTreeMap::new();
    for (i, line) in map.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((from, to)) = line.split_once('\t') else {
            return Err(CliError::Input(format!(
                "{origin} line {}: expected `label<TAB>new label`",
                i + 1
            )));
        };
        m.insert(from.trim().to_string(), to.trim().to_string());
    }
    for r in rows {
        match m.get(&r.label) {
            Some(to) => r.label.clone_from(to),
            None => {
                return Err(CliError::Input(format!(
                    "{origin} has no entry for label {:?}",
                    r.label
                )));
            }
        }
    }
    Ok(())
}

/// Training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// `2^bucket_bits` buckets; `None`: the most (up to 2^[`AUTO_MAX_BITS`])
    /// that keep the model within `max_bytes`.
    pub bucket_bits: Option<u8>,
    /// Hash word bigrams too.
    pub word_bigrams: bool,
    /// Shortest character n-gram (0 with `char_max` 0: none).
    pub char_min: u8,
    /// Longest character n-gram.
    pub char_max: u8,
    /// Passes over the data.
    pub epochs: u32,
    /// Initial learning rate (decays linearly to 0).
    pub learning_rate: f32,
    /// L2 regularisation strength.
    pub l2: f32,
    /// Seed of the example order.
    pub seed: u64,
    /// Largest encoded model accepted, bytes.
    pub max_bytes: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        let f = Features::default();
        Self {
            bucket_bits: None,
            word_bigrams: f.word_bigrams,
            char_min: f.char_min,
            char_max: f.char_max,
            epochs: 10,
            learning_rate: 0.5,
            l2: 1e-6,
            seed: 1,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What training produced.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The quantised model.
    pub model: Model,
    /// Its `classifier/1` bytes.
    pub bytes: Vec<u8>,
    /// Examples trained on.
    pub examples: usize,
    /// Accuracy of the quantised model on the training examples.
    pub train_accuracy: f64,
    /// Share of training examples on which the quantised model predicts what
    /// the `f32` model did (what quantisation costs).
    pub quantized_agreement: f64,
    /// Wall time of training, seconds.
    pub seconds: f64,
}

/// Bytes of a model's encoding apart from the weights (labels, biases, scales).
fn overhead(labels: &[String]) -> usize {
    16 + labels.iter().map(|l| l.len() + 1 + 8).sum::<usize>()
}

/// The most bucket bits (up to [`AUTO_MAX_BITS`]) whose model fits `max_bytes`.
pub fn auto_bits(labels: &[String], max_bytes: usize) -> Option<u8> {
    let room = max_bytes.checked_sub(overhead(labels))?;
    (classifier::MIN_BUCKET_BITS..=AUTO_MAX_BITS)
        .rev()
        .find(|&b| labels.len() << b <= room)
}

/// Train a model on `rows` (see the module docs for the method).
pub fn train(rows: &[Example], opts: &TrainOptions) -> Result<Trained, CliError> {
    let started = Instant::now();
    if rows.is_empty() {
        return Err(CliError::Input("no training examples".into()));
    }
    let lr_ok = opts.learning_rate.is_finite() && opts.learning_rate > 0.0;
    let l2_ok = opts.l2.is_finite() && opts.l2 >= 0.0;
    if opts.epochs == 0 || !lr_ok || !l2_ok {
        return Err(CliError::Usage(
            "--epochs must be ≥ 1, --lr > 0 and --l2 ≥ 0".into(),
        ));
    }
    let labels: Vec<String> = rows
        .iter()
        .map(|r| r.label.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if labels.len() > classifier::MAX_LABELS {
        return Err(CliError::Input(format!(
            "{} labels, a model holds at most {}",
            labels.len(),
            classifier::MAX_LABELS
        )));
    }
    let bits = match opts.bucket_bits {
        Some(b) => b,
        None => auto_bits(&labels, opts.max_bytes).ok_or_else(|| {
            CliError::Usage(format!(
                "{} labels do not fit in {} bytes with the fewest buckets",
                labels.len(),
                opts.max_bytes
            ))
        })?,
    };
    let features = Features {
        bucket_bits: bits,
        word_bigrams: opts.word_bigrams,
        char_min: opts.char_min,
        char_max: opts.char_max,
    };
    features
        .check()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let nl = labels.len();
    let index: BTreeMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let data: Vec<(Vec<u32>, usize)> = rows
        .iter()
        .map(|r| {
            let mut f = Vec::new();
            features.for_each(&r.text, |b| f.push(b));
            (f, index.get(r.label.as_str()).copied().unwrap_or(0))
        })
        .collect();

    // Start from the log prior, so rare labels are not pushed up by the
    // first examples.
    let mut bias = vec![0f32; nl];
    for (_, y) in &data {
        if let Some(b) = bias.get_mut(*y) {
            *b += 1.0;
        }
    }
    let n = data.len() as f32;
    for b in &mut bias {
        *b = (*b / n).ln();
    }
    let mut w = vec![0f32; nl << bits];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let total = (opts.epochs as usize * data.len()) as f32;
    let mut step = 0usize;
    let mut p = vec![0f32; nl];
    let mut acc = vec![0f32; nl];
    for _ in 0..opts.epochs {
        order.shuffle(&mut rng);
        for &i in &order {
            let Some((feats, y)) = data.get(i) else {
                continue;
            };
            let lr = opts.learning_rate * (1.0 - step as f32 / total);
            step += 1;
            let x = if feats.is_empty() {
                0.0
            } else {
                1.0 / (feats.len() as f32).sqrt()
            };
            p.copy_from_slice(&bias);
            acc.fill(0.0);
            for &f in feats {
                let s = f as usize * nl;
                if let Some(row) = w.get(s..s + nl) {
                    for (a, &v) in acc.iter_mut().zip(row) {
                        *a += v;
                    }
                }
            }
            for (q, a) in p.iter_mut().zip(&acc) {
                *q += a * x;
            }
            classifier::softmax(&mut p);
            // Gradient of the log loss: p - one_hot(y).
            if let Some(py) = p.get_mut(*y) {
                *py -= 1.0;
            }
            for (b, g) in bias.iter_mut().zip(&p) {
                *b -= lr * g;
            }
            let decay = 1.0 - lr * opts.l2;
            for &f in feats {
                let s = f as usize * nl;
                if let Some(row) = w.get_mut(s..s + nl) {
                    for (v, g) in row.iter_mut().zip(&p) {
                        *v = *v * decay - lr * g * x;
                    }
                }
            }
        }
    }
    // The float model's predictions, to measure what quantisation changes.
    let float_pred: Vec<usize> = data
        .iter()
        .map(|(feats, _)| {
            acc.fill(0.0);
            for &f in feats {
                let s = f as usize * nl;
                if let Some(row) = w.get(s..s + nl) {
                    for (a, &v) in acc.iter_mut().zip(row) {
                        *a += v;
                    }
                }
            }
            let x = 1.0 / (feats.len().max(1) as f32).sqrt();
            let scores = acc.iter().zip(&bias).map(|(a, b)| b + a * x);
            scores
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |m, (i, v)| if v > m.1 { (i, v) } else { m },
                )
                .0
        })
        .collect();
    let model = Model::quantize(features, labels, bias, &w)
        .map_err(|e| CliError::Input(format!("the trained model is unusable: {e}")))?;
    let bytes = model.encode();
    if bytes.len() > opts.max_bytes {
        return Err(CliError::Usage(format!(
            "the model is {} bytes, over --max-bytes {}; use fewer --buckets-bits",
            bytes.len(),
            opts.max_bytes
        )));
    }
    let (mut correct, mut agree) = (0usize, 0usize);
    for ((r, (_, y)), fp) in rows.iter().zip(&data).zip(&float_pred) {
        let p = model.predict(&r.text).0;
        correct += usize::from(p == *y);
        agree += usize::from(p == *fp);
    }
    Ok(Trained {
        model,
        bytes,
        examples: rows.len(),
        train_accuracy: correct as f64 / rows.len() as f64,
        quantized_agreement: agree as f64 / rows.len() as f64,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Accuracy and macro-F1 of predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Share of rows predicted right.
    pub accuracy: f64,
    /// Mean F1 over every label that occurs in the truth or the predictions
    /// (a label never predicted right scores 0).
    pub macro_f1: f64,
}

/// Score `predicted` against `truth` (same length).
pub fn scores<'a>(truth: &[&'a str], predicted: &[&'a str]) -> Scores {
    let mut per: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new(); // tp, fp, fn
    let mut right = 0u64;
    for (&t, &p) in truth.iter().zip(predicted) {
        if t == p {
            right += 1;
            per.entry(t).or_default().0 += 1;
        } else {
            per.entry(p).or_default().1 += 1;
            per.entry(t).or_default().2 += 1;
        }
    }
    let f1 = |&(tp, fp, fn_): &(u64, u64, u64)| {
        if tp == 0 {
            0.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
        }
    };
    let n = truth.len().min(predicted.len()).max(1) as f64;
    Scores {
        accuracy: right as f64 / n,
        macro_f1: if per.is_empty() {
            0.0
        } else {
            per.values().map(f1).sum::<f64>() / per.len() as f64
        },
    }
}

/// What `hearth classifier eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Test rows.
    pub rows: usize,
    /// The model's labels.
    pub labels: usize,
    /// `2^bucket_bits` buckets.
    pub bucket_bits: u8,
    /// Encoded model size, bytes.
    pub model_bytes: usize,
    /// The model on the test rows.
    pub model: Scores,
    /// The most frequent test label, predicted for every row.
    pub baseline_label: String,
    /// That baseline on the test rows.
    pub baseline: Scores,
    /// Test rows whose label the model does not know (always wrong).
    pub unknown_label_rows: usize,
    /// Texts timed (the first [`TIMED_WORDS`] words of every test text that has
    /// that many, up to 1,000).
    pub timed_texts: usize,
    /// Median time to classify one of them, microseconds.
    pub median_us_per_text: f64,
    /// 99th percentile of that time, microseconds.
    pub p99_us_per_text: f64,
}

/// Evaluate `model` (whose encoding is `model_bytes` long) on `rows`.
pub fn evaluate(model: &Model, model_bytes: usize, rows: &[Example]) -> EvalReport {
    let labels = model.labels();
    let predicted: Vec<&str> = rows
        .iter()
        .map(|r| {
            labels
                .get(model.predict(&r.text).0)
                .map_or("", String::as_str)
        })
        .collect();
    let truth: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    let mut freq: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &truth {
        *freq.entry(t).or_default() += 1;
    }
    let majority = freq
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map_or("", |(l, _)| *l);
    let baseline = vec![majority; truth.len()];
    let (median, p99, timed) = time_texts(model, rows);
    EvalReport {
        rows: rows.len(),
        labels: labels.len(),
        bucket_bits: model.features().bucket_bits,
        model_bytes,
        model: scores(&truth, &predicted),
        baseline_label: majority.to_string(),
        baseline: scores(&truth, &baseline),
        unknown_label_rows: rows.iter().filter(|r| !labels.contains(&r.label)).count(),
        timed_texts: timed,
        median_us_per_text: median,
        p99_us_per_text: p99,
    }
}

/// The first `n` whitespace-separated words of `text`, if it has that many.
pub fn first_words(text: &str, n: usize) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().take(n).collect();
    (words.len() == n).then(|| words.join(" "))
}

/// Median and 99th percentile µs of classifying (top [`TOP_K`] above
/// [`MIN_PROBABILITY`], what the phone does) each [`TIMED_WORDS`]-word prefix
/// of the test texts, each timed over 20 repetitions after a warm-up pass.
fn time_texts(model: &Model, rows: &[Example]) -> (f64, f64, usize) {
    let texts: Vec<String> = rows
        .iter()
        .filter_map(|r| first_words(&r.text, TIMED_WORDS))
        .take(1000)
        .collect();
    if texts.is_empty() {
        return (0.0, 0.0, 0);
    }
    const REPS: u32 = 20;
    let mut sink = 0usize;
    for t in &texts {
        sink += model.top(t, TOP_K, MIN_PROBABILITY).len();
    }
    let mut us: Vec<f64> = texts
        .iter()
        .map(|t| {
            let start = Instant::now();
            for _ in 0..REPS {
                sink += std::hint::black_box(model.top(
                    std::hint::black_box(t),
                    TOP_K,
                    MIN_PROBABILITY,
                ))
                .len();
            }
            start.elapsed().as_secs_f64() * 1e6 / f64::from(REPS)
        })
        .collect();
    std::hint::black_box(sink);
    us.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((us.len() - 1) as f64 * q).round() as usize;
        us.get(i).copied().unwrap_or(0.0)
    };
    (at(0.5), at(0.99), us.len())
}

/// Human-readable `eval` output.
pub fn eval_text(r: &EvalReport, model_path: &str, test_path: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "classifier {model_path} on {test_path}");
    let _ = writeln!(
        t,
        "  test rows      {} ({} with a label the model does not know)",
        r.rows, r.unknown_label_rows
    );
    let _ = writeln!(
        t,
        "  model          {} bytes, {} labels, 2^{} buckets",
        r.model_bytes, r.labels, r.bucket_bits
    );
    let _ = writeln!(
        t,
        "  accuracy       {:.4}   majority baseline {:.4} (always {:?})",
        r.model.accuracy, r.baseline.accuracy, r.baseline_label
    );
    let _ = writeln!(
        t,
        "  macro-F1       {:.4}   majority baseline {:.4}",
        r.model.macro_f1, r.baseline.macro_f1
    );
    let _ = writeln!(
        t,
        "  speed          {:.2} µs median, {:.2} µs p99 per {TIMED_WORDS}-word text ({} texts)",
        r.median_us_per_text, r.p99_us_per_text, r.timed_texts
    );
    t
}

/// Decode a model file's bytes, naming the file in the error.
pub fn decode(bytes: &[u8], origin: &str) -> Result<Model, CliError> {
    Model::decode(bytes).map_err(|e| CliError::Input(format!("{origin}: {e}")))
}

/// Put a model into a catalog source as its `classifier/1` blob (replacing any
/// earlier one). Its labels must be topic ids of `tax` and not sensitive:
/// checked here with a clear error, and again by the phone at install.
pub fn embed(
    source: &mut CatalogSource,
    model_bytes: Vec<u8>,
    tax: &Taxonomy,
    origin: &str,
) -> Result<(), CliError> {
    let model = decode(&model_bytes, origin)?;
    TopicClassifier::new(model, tax, classifier::BLOB_KEY).map_err(|e| match e {
        hearth_core::Error::CatalogInvalid { detail, .. } => CliError::Input(format!(
            "{origin}: {detail}; a model shipped in a catalog must be labelled with topic ids \
             (train with --label-map to map labels to topic ids)"
        )),
        other => CliError::Core(other),
    })?;
    let blobs = &mut source.models.blobs.0;
    blobs.retain(|(k, _)| k != classifier::BLOB_KEY);
    blobs.push((classifier::BLOB_KEY.to_string(), Base64(model_bytes)));
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ex(text: &str, label: &str) -> Example {
        Example {
            text: text.into(),
            label: label.into(),
        }
    }

    #[test]
    fn tsv_parses_with_header_and_names_bad_lines() {
        let rows = parse_tsv("text\tlabel\nred dress\tDresses\n\nx\ty\tTops\r\n", "f").unwrap();
        assert_eq!(rows, vec![ex("red dress", "Dresses"), ex("x\ty", "Tops")]);
        let e = parse_tsv("text\tlabel\nno tab here\n", "f.tsv").unwrap_err();
        assert!(e.to_string().contains("f.tsv line 2"), "{e}");
        assert!(parse_tsv("a\t \n", "f").is_err());
    }

    #[test]
    fn scores_are_right() {
        let s = scores(&["a", "a", "b", "c"], &["a", "b", "b", "b"]);
        assert!((s.accuracy - 0.5).abs() < 1e-12);
        // a: tp1 fn1 → 2/3; b: tp1 fp2 → 0.5; c: fn1 → 0.
        assert!((s.macro_f1 - (2.0 / 3.0 + 0.5) / 3.0).abs() < 1e-12);
    }

    fn synthetic() -> Vec<Example> {
        // Separable: each label has its own vocabulary, texts mix in shared
        // filler words.
        let vocab = [
            ("sport", ["football", "tennis", "goal", "match", "league"]),
            ("food", ["recipe", "pasta", "oven", "spicy", "dinner"]),
            ("cars", ["engine", "diesel", "tyres", "garage", "sedan"]),
        ];
        let filler = ["the", "best", "new", "today", "great"];
        let mut rows = Vec::new();
        for i in 0..60usize {
            for (label, words) in &vocab {
                let text = format!(
                    "{} {} {} {}",
                    filler[i % 5],
                    words[i % 5],
                    filler[(i / 5) % 5],
                    words[(i * 3 + 1) % 5]
                );
                rows.push(ex(&text, label));
            }
        }
        rows
    }

    #[test]
    fn learns_a_separable_set_perfectly_and_deterministically() {
        let rows = synthetic();
        let opts = TrainOptions {
            bucket_bits: Some(12),
            epochs: 5,
            ..TrainOptions::default()
        };
        let a = train(&rows, &opts).unwrap();
        assert_eq!(a.train_accuracy, 1.0);
        let r = evaluate(&a.model, a.bytes.len(), &rows);
        assert_eq!(r.model.accuracy, 1.0);
        assert_eq!(r.model.macro_f1, 1.0);
        assert!(r.baseline.accuracy < 0.34);
        // Unseen texts with the labels' words.
        assert_eq!(
            a.model.labels()[a.model.predict("pasta in the oven").0],
            "food"
        );
        assert_eq!(
            a.model.labels()[a.model.predict("TENNIS match!").0],
            "sport"
        );
        // Same seed, same bytes; another seed, same answers here.
        let b = train(&rows, &opts).unwrap();
        assert_eq!(a.bytes, b.bytes);
        let c = train(&rows, &TrainOptions { seed: 2, ..opts }).unwrap();
        assert_eq!(c.train_accuracy, 1.0);
        assert_eq!(Model::decode(&a.bytes).unwrap(), a.model);
    }

    #[test]
    fn automatic_buckets_respect_the_size_limit() {
        let labels: Vec<String> = (0..20).map(|i| format!("label{i}")).collect();
        let bits = auto_bits(&labels, DEFAULT_MAX_BYTES).unwrap();
        assert_eq!(bits, 15);
        let six: Vec<String> = (0..6).map(|i| format!("l{i}")).collect();
        assert_eq!(auto_bits(&six, DEFAULT_MAX_BYTES), Some(17));
        assert_eq!(auto_bits(&labels, 10), None);
        let rows = synthetic();
        let t = train(
            &rows,
            &TrainOptions {
                max_bytes: 20_000,
                epochs: 1,
                ..TrainOptions::default()
            },
        )
        .unwrap();
        assert!(t.bytes.len() <= 20_000, "{}", t.bytes.len());
        assert_eq!(t.model.features().bucket_bits, 12);
    }

    #[test]
    fn relabel_maps_or_fails() {
        let mut rows = vec![ex("a", "Dresses"), ex("b", "Tops")];
        relabel(&mut rows, "Dresses\t1\nTops\t2\n", "m").unwrap();
        assert_eq!(rows[1].label, "2");
        assert!(relabel(&mut rows, "1\tx\n", "m").is_err());
    }
}
