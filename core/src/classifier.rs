//! The on-device text classifier: free text (page titles, search queries) →
//! topics, on the phone.
//!
//! # The model
//!
//! A multinomial logistic regression over hashed sparse features of the text:
//!
//! - **words**: the text is split at every character that is not alphanumeric
//!   ([`char::is_alphanumeric`]) and lowercased ([`char::to_lowercase`]); a word
//!   keeps at most [`MAX_WORD_CHARS`] characters (the rest is ignored);
//! - **word unigrams** and, when [`Features::word_bigrams`] is set, **word
//!   bigrams** (each pair of neighbouring words);
//! - **character n-grams** of [`Features::char_min`]`..=`[`Features::char_max`]
//!   characters of each word framed as `<word>` (fastText's subwords: `"dress"`
//!   gives `<dr`, `dre`, …, `ss>`, `<dre`, …), never across words;
//! - at most [`MAX_FEATURES`] features per text (the rest of a longer text is
//!   ignored).
//!
//! Every feature is hashed into one of `2^bucket_bits` buckets (the hashing
//! trick); the feature vector holds `1/√n` per occurrence, `n` being the number of
//! features of the text (so it has unit length when no two features share a
//! bucket). The score of label `l` is `bias[l] + scale[l] · Σ q[bucket, l] / √n`
//! with `q` the weights quantised to `i8`, one scale per label; probabilities are
//! the softmax of the scores.
//!
//! # The hash
//!
//! Fixed, documented and the same on every platform (never `std`'s randomly
//! keyed hasher), so a model trained anywhere classifies identically on every
//! phone:
//!
//! - 64-bit FNV-1a (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`),
//!   over one kind byte and then the UTF-8 bytes of the lowercased characters:
//!   kind `b'w'` + the word for a unigram, kind `b'c'` + the characters for a
//!   character n-gram (with `<` and `>` as the frame);
//! - a bigram is FNV-1a over kind `b'b'`, then the 8 little-endian bytes of the
//!   first word's unigram hash, then those of the second's;
//! - the bucket is the low `bucket_bits` bits of the MurmurHash3 64-bit finaliser
//!   ([`fmix64`]) of that hash.
//!
//! [`fnv1a64`] and [`bucket`] are public, and the unit tests pin some values.
//!
//! # The format (`classifier/1`)
//!
//! A model ships inside a catalog as the blob [`BLOB_KEY`] (`"classifier/1"`)
//! of [`Models::blobs`], postcard-encoded (see [`Model::encode`]), in this field
//! order:
//!
//! | field | type | rule |
//! |---|---|---|
//! | `format` | `u16` (varint) | [`FORMAT`] (1) |
//! | `bucket_bits` | `u8` | [`MIN_BUCKET_BITS`]`..=`[`MAX_BUCKET_BITS`] |
//! | `word_bigrams` | `bool` | |
//! | `char_min`, `char_max` | `u8`, `u8` | both 0 (no character n-grams) or `1 ≤ min ≤ max ≤` [`MAX_CHAR_NGRAM`] |
//! | `labels` | `[string]` | 1..=[`MAX_LABELS`] unique labels of 1..=[`MAX_LABEL_LEN`] bytes; topic ids in a catalog |
//! | `bias`, `scale` | `[f32]`, `[f32]` | one per label, finite, scales ≥ 0 |
//! | `weights` | bytes | exactly `labels × 2^bucket_bits` `i8`s, bucket-major (`q[b, l]` at `b · labels + l`) |
//!
//! Nothing may follow. Decoding checks every rule and fails with a typed
//! [`ModelError`], never a panic; every allocation is bounded by the length of
//! the input (the catalog caps all blobs together at 8 MiB).
//!
//! # On the phone
//!
//! When the installed catalog carries a `classifier/1` blob,
//! [`TopicClassifier::from_models`] decodes it at install (and at open) and
//! checks that every label is a topic id of the engine's taxonomy and not a
//! sensitive one; a blob that fails is a typed catalog error
//! ([`Error::CatalogInvalid`] at `models.blobs[i]`, rule
//! [`CatalogRule::Model`], [`CatalogRule::DanglingReference`] or
//! [`CatalogRule::SensitiveTopic`]) and the catalog is refused. A search event
//! that names no topics then takes the classifier's top [`TOP_K`] topics with a
//! probability of at least [`MIN_PROBABILITY`] (see [`crate::profile`]); an ad
//! request's context text likewise. Without a classifier, the taxonomy's keyword
//! matcher ([`Taxonomy::match_text`]) stays the fallback. The text is never
//! kept.
//!
//! Classification makes no allocation per n-gram: words are collected in a
//! fixed stack buffer and scores in a fixed stack array.
//!
//! Training is publisher-side only (`hearth classifier train`, in the CLI
//! crate); this module holds what the phone needs plus [`Model::quantize`],
//! which turns trained `f32` weights into a model.

use serde::{Deserialize, Serialize};

use crate::catalog::model::Models;
use crate::error::{CatalogRule, Error, Result};
use crate::taxonomy::{Taxonomy, TopicIdx};

/// The key of the classifier blob in [`Models::blobs`].
pub const BLOB_KEY: &str = "classifier/1";
/// The format version inside the blob.
pub const FORMAT: u16 = 1;
/// Most labels a model may have.
pub const MAX_LABELS: usize = 256;
/// Longest label, bytes.
pub const MAX_LABEL_LEN: usize = 64;
/// Fewest hash bits (16 buckets).
pub const MIN_BUCKET_BITS: u8 = 4;
/// Most hash bits (4 Mi buckets).
pub const MAX_BUCKET_BITS: u8 = 22;
/// Characters of a word that count (the rest of a longer word is ignored).
pub const MAX_WORD_CHARS: usize = 32;
/// Longest character n-gram.
pub const MAX_CHAR_NGRAM: u8 = 8;
/// Most features taken from one text (the rest is ignored).
pub const MAX_FEATURES: usize = 65_536;
/// Most topics the classifier gives one text.
pub const TOP_K: usize = 3;
/// Least probability for a classified topic to count.
pub const MIN_PROBABILITY: f32 = 0.25;

/// FNV-1a 64-bit offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
pub const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

const KIND_WORD: u8 = b'w';
const KIND_BIGRAM: u8 = b'b';
const KIND_CHAR: u8 = b'c';

/// FNV-1a 64 of `bytes`, continuing from `h` (start with [`FNV_OFFSET`]).
#[inline]
pub fn fnv1a64(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

#[inline]
fn fnv_char(h: u64, c: char) -> u64 {
    let mut buf = [0u8; 4];
    fnv1a64(h, c.encode_utf8(&mut buf).as_bytes())
}

/// MurmurHash3's 64-bit finaliser: spreads FNV's bits before the bucket is cut.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// The bucket of feature hash `h` among `2^bits` (`bits` ≤ 32).
#[inline]
pub fn bucket(h: u64, bits: u8) -> u32 {
    let mask = (1u64 << u32::from(bits.min(32))) - 1;
    (fmix64(h) & mask) as u32
}

/// Which features a model reads from a text, and how many buckets they hash
/// into. Part of the model: training and classification must agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    /// `2^bucket_bits` buckets.
    pub bucket_bits: u8,
    /// Also hash pairs of neighbouring words.
    pub word_bigrams: bool,
    /// Shortest character n-gram (0 with `char_max` 0: none).
    pub char_min: u8,
    /// Longest character n-gram.
    pub char_max: u8,
}

impl Default for Features {
    /// 2^15 buckets, words, word bigrams, character 3- to 5-grams.
    fn default() -> Self {
        Self {
            bucket_bits: 15,
            word_bigrams: true,
            char_min: 3,
            char_max: 5,
        }
    }
}

impl Features {
    /// Check the ranges documented in the [module docs](self).
    pub fn check(&self) -> Result<(), ModelError> {
        if !(MIN_BUCKET_BITS..=MAX_BUCKET_BITS).contains(&self.bucket_bits) {
            return Err(ModelError::Invalid(format!(
                "bucket_bits {} is outside {MIN_BUCKET_BITS}..={MAX_BUCKET_BITS}",
                self.bucket_bits
            )));
        }
        let none = self.char_min == 0 && self.char_max == 0;
        let some = (1..=self.char_max).contains(&self.char_min) && self.char_max <= MAX_CHAR_NGRAM;
        if !none && !some {
            return Err(ModelError::Invalid(format!(
                "character n-grams {}..={} must be 0..=0 or within 1..={MAX_CHAR_NGRAM}",
                self.char_min, self.char_max
            )));
        }
        Ok(())
    }

    /// Number of buckets, `2^bucket_bits`.
    pub fn buckets(&self) -> usize {
        1usize << self.bucket_bits.min(MAX_BUCKET_BITS)
    }

    /// Call `emit` with the bucket of every feature of `text`, in text order
    /// (at most [`MAX_FEATURES`]); returns how many were emitted. Allocates
    /// nothing.
    pub fn for_each(&self, text: &str, emit: impl FnMut(u32)) -> usize {
        let mut sink = Sink {
            n: 0,
            bits: self.bucket_bits.min(MAX_BUCKET_BITS),
            emit,
        };
        // `<` + at most MAX_WORD_CHARS characters + `>`.
        let mut w = ['\0'; MAX_WORD_CHARS + 2];
        w[0] = '<';
        let mut prev: Option<u64> = None;
        let (cmin, cmax) = (usize::from(self.char_min), usize::from(self.char_max));
        let mut chars = text.chars();
        loop {
            if sink.n >= MAX_FEATURES {
                break;
            }
            let mut len = 0usize;
            let mut in_word = false;
            for c in chars.by_ref() {
                if c.is_alphanumeric() {
                    in_word = true;
                    for l in c.to_lowercase() {
                        if let Some(slot) = w.get_mut(1 + len).filter(|_| len < MAX_WORD_CHARS) {
                            *slot = l;
                            len += 1;
                        }
                    }
                } else if in_word {
                    break;
                }
            }
            if !in_word {
                break;
            }
            let word = w.get(1..1 + len).unwrap_or_default();
            let h = word
                .iter()
                .fold(fnv1a64(FNV_OFFSET, &[KIND_WORD]), |h, &c| fnv_char(h, c));
            sink.put(h);
            if self.word_bigrams {
                if let Some(p) = prev {
                    let b = fnv1a64(FNV_OFFSET, &[KIND_BIGRAM]);
                    let b = fnv1a64(b, &p.to_le_bytes());
                    sink.put(fnv1a64(b, &h.to_le_bytes()));
                }
                prev = Some(h);
            }
            if cmin > 0 {
                if let Some(end) = w.get_mut(1 + len) {
                    *end = '>';
                }
                let framed = w.get(..len + 2).unwrap_or_default();
                for i in 0..framed.len() {
                    let mut g = fnv1a64(FNV_OFFSET, &[KIND_CHAR]);
                    for (j, &c) in framed.iter().enumerate().skip(i).take(cmax) {
                        g = fnv_char(g, c);
                        if j + 1 - i >= cmin {
                            sink.put(g);
                        }
                    }
                }
            }
        }
        sink.n
    }
}

/// Where [`Features::for_each`] sends buckets, counting them up to
/// [`MAX_FEATURES`].
struct Sink<F> {
    n: usize,
    bits: u8,
    emit: F,
}

impl<F: FnMut(u32)> Sink<F> {
    #[inline]
    fn put(&mut self, h: u64) {
        if self.n < MAX_FEATURES {
            (self.emit)(bucket(h, self.bits));
            self.n += 1;
        }
    }
}

/// Why a model's bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The format version is not one this build reads.
    #[error("classifier model format {found} is not supported (this build reads {FORMAT})")]
    UnsupportedFormat {
        /// The version in the bytes.
        found: u16,
    },
    /// The bytes are not a postcard-encoded model (truncated, garbage, trailing bytes).
    #[error("classifier model cannot be decoded: {0}")]
    Malformed(String),
    /// The model decodes but breaks a rule (sizes, ranges, labels).
    #[error("classifier model is invalid: {0}")]
    Invalid(String),
}

/// Bytes that postcard writes as one length-prefixed run (decoded in one copy,
/// not element by element).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> std::result::Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(
                self,
                v: Vec<u8>,
            ) -> std::result::Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// The wire form; field order is the format (see the module docs).
#[derive(Serialize, Deserialize)]
struct Wire {
    format: u16,
    features: Features,
    #[serde(deserialize_with = "crate::wire::bounded_vec::<_, _, MAX_LABELS>")]
    labels: Vec<String>,
    bias: Vec<f32>,
    scale: Vec<f32>,
    weights: Bytes,
}

/// A trained, quantised classifier: labels are strings (topic ids when it ships
/// in a catalog).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    features: Features,
    labels: Vec<String>,
    bias: Vec<f32>,
    scale: Vec<f32>,
    /// `labels.len() << bucket_bits` quantised weights, bucket-major.
    weights: Vec<i8>,
}

impl Model {
    /// Quantise trained weights into a model: `weights` holds
    /// `labels.len() × 2^bucket_bits` values, bucket-major (`w[b, l]` at
    /// `b · labels + l`); each label's weights become `i8` with one scale per
    /// label (its largest absolute weight maps to ±127).
    pub fn quantize(
        features: Features,
        labels: Vec<String>,
        bias: Vec<f32>,
        weights: &[f32],
    ) -> Result<Model, ModelError> {
        features.check()?;
        let nl = labels.len();
        let mut scale = vec![0f32; nl];
        for row in weights.chunks(nl.max(1)) {
            for (s, &w) in scale.iter_mut().zip(row) {
                *s = s.max(w.abs());
            }
        }
        for s in &mut scale {
            *s /= 127.0;
        }
        let q = weights
            .chunks(nl.max(1))
            .flat_map(|row| {
                row.iter().zip(&scale).map(|(&w, &s)| {
                    if s > 0.0 {
                        (w / s).round().clamp(-127.0, 127.0) as i8
                    } else {
                        0
                    }
                })
            })
            .collect();
        let m = Model {
            features,
            labels,
            bias,
            scale,
            weights: q,
        };
        m.check()?;
        Ok(m)
    }

    fn check(&self) -> Result<(), ModelError> {
        self.features.check()?;
        let nl = self.labels.len();
        if nl == 0 || nl > MAX_LABELS {
            return Err(ModelError::Invalid(format!(
                "{nl} labels, must be 1..={MAX_LABELS}"
            )));
        }
        for (i, l) in self.labels.iter().enumerate() {
            if l.is_empty() || l.len() > MAX_LABEL_LEN {
                return Err(ModelError::Invalid(format!(
                    "label {i} is {} bytes, must be 1..={MAX_LABEL_LEN}",
                    l.len()
                )));
            }
            if self.labels.get(..i).is_some_and(|e| e.contains(l)) {
                return Err(ModelError::Invalid(format!("label {l:?} repeats")));
            }
        }
        if self.bias.len() != nl || self.scale.len() != nl {
            return Err(ModelError::Invalid(format!(
                "{} biases and {} scales for {nl} labels",
                self.bias.len(),
                self.scale.len()
            )));
        }
        if self.bias.iter().chain(&self.scale).any(|v| !v.is_finite()) {
            return Err(ModelError::Invalid("a bias or scale is not finite".into()));
        }
        if self.scale.iter().any(|&s| s < 0.0) {
            return Err(ModelError::Invalid("a scale is negative".into()));
        }
        let want = nl << self.features.bucket_bits;
        if self.weights.len() != want {
            return Err(ModelError::Invalid(format!(
                "{} weights, {nl} labels × 2^{} buckets need {want}",
                self.weights.len(),
                self.features.bucket_bits
            )));
        }
        Ok(())
    }

    /// The `classifier/1` bytes (postcard; see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let wire = Wire {
            format: FORMAT,
            features: self.features,
            labels: self.labels.clone(),
            bias: self.bias.clone(),
            scale: self.scale.clone(),
            weights: Bytes(self.weights.iter().map(|&w| w as u8).collect()),
        };
        // Serialising plain owned data into a Vec cannot fail.
        postcard::to_allocvec(&wire).unwrap_or_default()
    }

    /// Decode and check `classifier/1` bytes.
    pub fn decode(bytes: &[u8]) -> Result<Model, ModelError> {
        let (format, _) = postcard::take_from_bytes::<u16>(bytes)
            .map_err(|e| ModelError::Malformed(e.to_string()))?;
        if format != FORMAT {
            return Err(ModelError::UnsupportedFormat { found: format });
        }
        let (wire, rest) = postcard::take_from_bytes::<Wire>(bytes)
            .map_err(|e| ModelError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(ModelError::Malformed(format!(
                "{} bytes after the model",
                rest.len()
            )));
        }
        let m = Model {
            features: wire.features,
            labels: wire.labels,
            bias: wire.bias,
            scale: wire.scale,
            weights: wire.weights.0.into_iter().map(|b| b as i8).collect(),
        };
        m.check()?;
        Ok(m)
    }

    /// The labels, in score order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The features the model reads.
    pub fn features(&self) -> Features {
        self.features
    }

    /// Size of the weight table in bytes.
    pub fn weight_bytes(&self) -> usize {
        self.weights.len()
    }

    /// The label scores (logits) of `text` into `out` (one per label; extra
    /// entries are left alone). Returns the number of features read.
    pub fn scores_into(&self, text: &str, out: &mut [f32]) -> usize {
        let nl = self.labels.len();
        let mut acc = [0i32; MAX_LABELS];
        let acc = acc.get_mut(..nl).unwrap_or_default();
        let n = self.features.for_each(text, |b| {
            let start = b as usize * nl;
            if let Some(row) = self.weights.get(start..start + nl) {
                for (a, &w) in acc.iter_mut().zip(row) {
                    *a += i32::from(w);
                }
            }
        });
        let norm = if n == 0 { 0.0 } else { 1.0 / (n as f32).sqrt() };
        for (((o, &a), &s), &b) in out
            .iter_mut()
            .zip(acc.iter())
            .zip(&self.scale)
            .zip(&self.bias)
        {
            *o = b + s * a as f32 * norm;
        }
        n
    }

    /// The label probabilities of `text` into `out` (softmax of
    /// [`Model::scores_into`]).
    pub fn probabilities_into(&self, text: &str, out: &mut [f32]) {
        let nl = self.labels.len().min(out.len());
        let out = out.get_mut(..nl).unwrap_or_default();
        self.scores_into(text, out);
        softmax(out);
    }

    /// The most probable label of `text` (index into [`Model::labels`]) and its
    /// probability.
    pub fn predict(&self, text: &str) -> (usize, f32) {
        let mut p = [0f32; MAX_LABELS];
        let p = p.get_mut(..self.labels.len()).unwrap_or_default();
        self.probabilities_into(text, p);
        argmax(p)
    }

    /// Up to `k` labels of `text` with a probability of at least `min_p`, most
    /// probable first.
    pub fn top(&self, text: &str, k: usize, min_p: f32) -> Vec<(usize, f32)> {
        let mut p = [0f32; MAX_LABELS];
        let p = p.get_mut(..self.labels.len()).unwrap_or_default();
        self.probabilities_into(text, p);
        let mut out: Vec<(usize, f32)> = Vec::with_capacity(k.min(p.len()));
        for _ in 0..k {
            let (i, v) = argmax(p);
            if v < min_p || v.is_nan() {
                break;
            }
            out.push((i, v));
            if let Some(x) = p.get_mut(i) {
                *x = f32::NEG_INFINITY;
            }
        }
        out
    }
}

/// In-place softmax (max-subtracted, so it cannot overflow); the trainer
/// uses the same function, so training and the phone agree exactly.
pub fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    if sum > 0.0 {
        for x in v.iter_mut() {
            *x /= sum;
        }
    }
}

/// Index and value of the largest entry (the first on ties; `(0, -inf)` when empty).
fn argmax(v: &[f32]) -> (usize, f32) {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 { (i, x) } else { best }
        })
}

/// A model whose labels are topics of the engine's taxonomy: what the engine
/// keeps next to an installed catalog.
#[derive(Debug, Clone)]
pub struct TopicClassifier {
    model: Model,
    topics: Vec<TopicIdx>,
}

impl TopicClassifier {
    /// Bind `model`'s labels to topics of `tax`. Every label must be a topic id
    /// of `tax` and not a sensitive topic; the error names the first that is
    /// not, with `path` as the catalog path of the blob.
    pub fn new(model: Model, tax: &Taxonomy, path: &str) -> Result<Self> {
        let mut topics = Vec::with_capacity(model.labels.len());
        for label in &model.labels {
            let Ok(idx) = tax.idx(label) else {
                return Err(Error::CatalogInvalid {
                    path: path.to_string(),
                    rule: CatalogRule::DanglingReference,
                    detail: format!(
                        "classifier label {label:?} is not a topic id of taxonomy {:?}",
                        tax.version()
                    ),
                });
            };
            if tax.is_sensitive(idx) {
                return Err(Error::CatalogInvalid {
                    path: path.to_string(),
                    rule: CatalogRule::SensitiveTopic,
                    detail: format!("classifier label {label:?} is a sensitive topic"),
                });
            }
            topics.push(idx);
        }
        Ok(Self { model, topics })
    }

    /// The classifier a catalog's models carry under [`BLOB_KEY`], decoded and
    /// bound to `tax`; `None` when there is none. Other keys (other versions)
    /// are left alone. A blob that does not decode, or whose labels are not
    /// usable topics, is [`Error::CatalogInvalid`] at `models.blobs[i]`.
    pub fn from_models(models: &Models, tax: &Taxonomy) -> Result<Option<Self>> {
        let Some((i, (_, blob))) = models
            .blobs
            .iter()
            .enumerate()
            .find(|(_, (k, _))| k == BLOB_KEY)
        else {
            return Ok(None);
        };
        let path = format!("models.blobs[{i}]");
        let model = Model::decode(blob).map_err(|e| Error::CatalogInvalid {
            path: path.clone(),
            rule: CatalogRule::Model,
            detail: e.to_string(),
        })?;
        Self::new(model, tax, &path).map(Some)
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The topics of `text`: at most [`TOP_K`] with a probability of at least
    /// [`MIN_PROBABILITY`], most probable first, appended to `out` unless
    /// already there.
    pub fn topics_into(&self, text: &str, out: &mut Vec<TopicIdx>) {
        for (i, _) in self.model.top(text, TOP_K, MIN_PROBABILITY) {
            if let Some(&t) = self.topics.get(i)
                && !out.contains(&t)
            {
                out.push(t);
            }
        }
    }

    /// The topics of `text` (see [`TopicClassifier::topics_into`]).
    pub fn topics(&self, text: &str) -> Vec<TopicIdx> {
        let mut out = Vec::with_capacity(TOP_K);
        self.topics_into(text, &mut out);
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn feats(f: &Features, text: &str) -> Vec<u32> {
        let mut v = Vec::new();
        f.for_each(text, |b| v.push(b));
        v
    }

    fn tiny(labels: &[&str], bits: u8, seed: u64) -> Model {
        let f = Features {
            bucket_bits: bits,
            ..Features::default()
        };
        let nl = labels.len();
        let mut s = seed;
        let w: Vec<f32> = (0..nl << bits)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) - 0.5
            })
            .collect();
        Model::quantize(
            f,
            labels.iter().map(|s| s.to_string()).collect(),
            vec![0.1; nl],
            &w,
        )
        .unwrap()
    }

    #[test]
    fn hash_values_are_pinned() {
        // FNV-1a 64 reference values.
        assert_eq!(fnv1a64(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
        // Buckets of the features of a fixed text: any change here changes
        // every trained model.
        let f = Features::default();
        assert_eq!(feats(&f, "Dress"), PINNED_DRESS);
        assert_eq!(bucket(0, 15), 0);
        assert_eq!(bucket(1, 15), PINNED_BUCKET_1);
    }

    /// Word `dress`, then `<dr`, `<dre`, `<dres`, `dre`, `dres`, `dress`, …,
    /// `ss>`; recomputed independently (a 10-line Python version of the
    /// documented hash) when they were pinned.
    const PINNED_DRESS: &[u32] = &[
        32492, 24978, 8417, 1361, 9224, 16173, 31569, 11494, 7307, 16211, 3058, 4496, 3681,
    ];
    const PINNED_BUCKET_1: u32 = 19244;

    #[test]
    fn features_are_what_the_docs_say() {
        let f = Features {
            bucket_bits: 22,
            word_bigrams: true,
            char_min: 3,
            char_max: 5,
        };
        // "ab": word, then <ab> framed (4 chars): 3-grams <ab, ab>; 4-gram <ab>.
        let v = feats(&f, "ab");
        assert_eq!(v.len(), 1 + 3);
        let word = bucket(fnv1a64(FNV_OFFSET, b"wab"), 22);
        assert_eq!(v[0], word);
        assert_eq!(v[1], bucket(fnv1a64(FNV_OFFSET, b"c<ab"), 22));
        assert_eq!(v[2], bucket(fnv1a64(FNV_OFFSET, b"c<ab>"), 22));
        assert_eq!(v[3], bucket(fnv1a64(FNV_OFFSET, b"cab>"), 22));
        // Case and separators do not matter; a bigram joins two words.
        assert_eq!(feats(&f, "AB"), v);
        assert_eq!(feats(&f, "  ab!!"), v);
        let two = feats(&f, "ab cd");
        assert_eq!(two.len(), 4 + 1 + 4);
        let hw = |w: &[u8]| fnv1a64(FNV_OFFSET, &[&b"w"[..], w].concat());
        let bigram = fnv1a64(
            fnv1a64(fnv1a64(FNV_OFFSET, b"b"), &hw(b"ab").to_le_bytes()),
            &hw(b"cd").to_le_bytes(),
        );
        assert_eq!(two[5], bucket(bigram, 22));
        // Without bigrams or character n-grams only words remain.
        let words = Features {
            word_bigrams: false,
            char_min: 0,
            char_max: 0,
            ..f
        };
        assert_eq!(feats(&words, "ab cd").len(), 2);
        // Non-ASCII lowercases; long words are cut at MAX_WORD_CHARS.
        assert_eq!(feats(&words, "ÄRGER"), feats(&words, "ärger"));
        let long = "x".repeat(MAX_WORD_CHARS + 10);
        assert_eq!(
            feats(&words, &long),
            feats(&words, &"x".repeat(MAX_WORD_CHARS))
        );
        assert!(feats(&f, "").is_empty());
        assert!(feats(&f, " ,;- ").is_empty());
    }

    #[test]
    fn features_are_capped() {
        let words = Features {
            bucket_bits: 10,
            word_bigrams: false,
            char_min: 0,
            char_max: 0,
        };
        let text = "a ".repeat(MAX_FEATURES + 100);
        assert_eq!(words.for_each(&text, |_| {}), MAX_FEATURES);
    }

    #[test]
    fn encode_decode_round_trip() {
        let m = tiny(&["a", "b", "c"], 8, 7);
        let bytes = m.encode();
        let back = Model::decode(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.encode(), bytes);
        assert_eq!(back.weight_bytes(), 3 << 8);
    }

    #[test]
    fn truncated_garbage_and_wrong_blobs_are_typed_errors() {
        let bytes = tiny(&["a", "b"], 6, 1).encode();
        for n in 0..bytes.len() {
            assert!(
                matches!(Model::decode(&bytes[..n]), Err(ModelError::Malformed(_))),
                "prefix of {n} bytes"
            );
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(matches!(
            Model::decode(&extra),
            Err(ModelError::Malformed(_))
        ));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(
            Model::decode(&v2),
            Err(ModelError::UnsupportedFormat { found: 2 })
        );
        // Garbage never panics.
        let mut s = 99u64;
        for len in [1usize, 5, 17, 64, 300, 5000] {
            for _ in 0..50 {
                let g: Vec<u8> = (0..len)
                    .map(|_| {
                        s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (s >> 56) as u8
                    })
                    .collect();
                let _ = Model::decode(&g);
                let mut g1 = g.clone();
                g1[0] = 1;
                let _ = Model::decode(&g1);
            }
        }
        // A hostile length prefix fails without allocating it.
        let mut huge = vec![1u8, 15, 1, 3, 5];
        huge.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(matches!(
            Model::decode(&huge),
            Err(ModelError::Malformed(_))
        ));
        // Decodes but breaks a rule: weights of the wrong size.
        let mut m = tiny(&["a", "b"], 6, 1);
        m.weights.pop();
        assert!(matches!(
            Model::decode(&m.encode()),
            Err(ModelError::Invalid(_))
        ));
        let mut m = tiny(&["a", "b"], 6, 1);
        m.labels[1] = "a".into();
        assert!(matches!(
            Model::decode(&m.encode()),
            Err(ModelError::Invalid(_))
        ));
        let mut m = tiny(&["a", "b"], 6, 1);
        m.bias[0] = f32::NAN;
        assert!(matches!(
            Model::decode(&m.encode()),
            Err(ModelError::Invalid(_))
        ));
        let mut m = tiny(&["a", "b"], 6, 1);
        m.features.bucket_bits = 30;
        assert!(matches!(
            Model::decode(&m.encode()),
            Err(ModelError::Invalid(_))
        ));
    }

    #[test]
    fn classification_is_deterministic_and_allocation_free_shape() {
        let m = tiny(&["a", "b", "c", "d"], 10, 3);
        let text = "red summer dress with pockets, fits true to size";
        let first = m.top(text, 4, 0.0);
        for _ in 0..10 {
            assert_eq!(m.top(text, 4, 0.0), first);
        }
        let total: f32 = first.iter().map(|&(_, p)| p).sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
        assert!(first.windows(2).all(|w| w[0].1 >= w[1].1));
        assert_eq!(m.predict(text).0, first[0].0);
        // An empty text gives the bias-only distribution.
        let mut p = [0f32; 4];
        m.probabilities_into("", &mut p);
        assert!(p.iter().all(|&x| (x - 0.25).abs() < 1e-6));
        // A threshold no label reaches gives nothing.
        assert!(m.top(text, 3, 1.1).is_empty());
    }

    #[test]
    fn hand_made_weights_classify_as_intended() {
        // Two labels, words only: "cat" votes for label 0, "dog" for label 1.
        let f = Features {
            bucket_bits: 12,
            word_bigrams: false,
            char_min: 0,
            char_max: 0,
        };
        let mut w = vec![0f32; 2 << 12];
        let cat = bucket(fnv1a64(FNV_OFFSET, b"wcat"), 12) as usize;
        let dog = bucket(fnv1a64(FNV_OFFSET, b"wdog"), 12) as usize;
        assert_ne!(cat, dog);
        w[cat * 2] = 3.0;
        w[dog * 2 + 1] = 3.0;
        let m = Model::quantize(f, vec!["c".into(), "d".into()], vec![0.0, 0.0], &w).unwrap();
        assert_eq!(m.predict("my CAT").0, 0);
        assert_eq!(m.predict("a dog!").0, 1);
        let (_, p) = m.predict("cat");
        assert!((p - 1.0 / (1.0 + (-3f32).exp())).abs() < 1e-3, "{p}");
    }

    #[test]
    fn topic_classifier_checks_labels_against_the_taxonomy() {
        let tax = Taxonomy::iab().unwrap();
        let sports = tax.idx_by_label("Sports").unwrap();
        let sports_id = tax.get(sports).unwrap().id.clone();
        let health = (0..tax.len() as u32)
            .find(|&i| tax.is_sensitive(i))
            .unwrap();
        let health_id = tax.get(health).unwrap().id.clone();
        let ok = tiny(&[&sports_id], 6, 1);
        let models = |m: &Model| Models {
            scoring: vec![],
            blobs: vec![
                ("other/9".into(), vec![1, 2, 3]),
                (BLOB_KEY.into(), m.encode()),
            ],
        };
        let tc = TopicClassifier::from_models(&models(&ok), &tax)
            .unwrap()
            .unwrap();
        assert_eq!(tc.topics("anything at all"), vec![sports]);
        assert!(
            TopicClassifier::from_models(&Models::default(), &tax)
                .unwrap()
                .is_none()
        );
        let rule = |m: &Model| match TopicClassifier::from_models(&models(m), &tax) {
            Err(Error::CatalogInvalid { path, rule, .. }) => {
                assert_eq!(path, "models.blobs[1]");
                rule
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            rule(&tiny(&[&sports_id, "no-such-topic"], 6, 1)),
            CatalogRule::DanglingReference
        );
        assert_eq!(
            rule(&tiny(&[&sports_id, &health_id], 6, 1)),
            CatalogRule::SensitiveTopic
        );
        let garbage = Models {
            scoring: vec![],
            blobs: vec![(BLOB_KEY.into(), vec![1, 0xff])],
        };
        assert!(matches!(
            TopicClassifier::from_models(&garbage, &tax),
            Err(Error::CatalogInvalid {
                rule: CatalogRule::Model,
                ..
            })
        ));
    }
}
