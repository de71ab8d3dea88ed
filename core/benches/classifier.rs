//! Criterion benchmark for the on-device text classifier
//! (`hearth_core::classifier`).
//!
//! Run: `cargo bench -p hearth-core --bench classifier`. The case the budget
//! is set for (≤ 20 µs): `classify_20_words`, the top topics (what the engine
//! does for a search) of a 20-word text under a model of the size the clothing
//! "class" model has (20 labels, 2^15 buckets, words + bigrams + character
//! 3..5-grams, 655 KB). Weights are pseudo-random: the cost does not depend on
//! their values. Also: the same with 6 labels and 2^17 buckets (the
//! "department" model), feature hashing alone, and decoding the blob (what an
//! install adds).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hearth_core::classifier::{Features, MIN_PROBABILITY, Model, TOP_K};

const TEXT_20_WORDS: &str = "Love this dress! The fabric is soft and the fit is \
    true to size, perfect for summer evenings out again";

fn model(labels: usize, bits: u8) -> Model {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let w: Vec<f32> = (0..labels << bits)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    let features = Features {
        bucket_bits: bits,
        ..Features::default()
    };
    Model::quantize(
        features,
        (0..labels).map(|i| format!("{}", 500 + i)).collect(),
        vec![0.0; labels],
        &w,
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    assert_eq!(TEXT_20_WORDS.split_whitespace().count(), 20);
    let class = model(20, 15);
    let dept = model(6, 17);
    let bytes = class.encode();
    eprintln!(
        "class-sized model: {} bytes; department-sized: {} bytes",
        bytes.len(),
        dept.encode().len()
    );
    c.bench_function("classify_20_words", |b| {
        b.iter(|| black_box(class.top(black_box(TEXT_20_WORDS), TOP_K, MIN_PROBABILITY)))
    });
    c.bench_function("classify_20_words_6_labels_2^17", |b| {
        b.iter(|| black_box(dept.top(black_box(TEXT_20_WORDS), TOP_K, MIN_PROBABILITY)))
    });
    let f = class.features();
    c.bench_function("features_20_words", |b| {
        b.iter(|| {
            let mut x = 0u32;
            let n = f.for_each(black_box(TEXT_20_WORDS), |h| x ^= h);
            black_box((n, x))
        })
    });
    c.bench_function("decode_class_model", |b| {
        b.iter(|| black_box(Model::decode(black_box(&bytes)).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
