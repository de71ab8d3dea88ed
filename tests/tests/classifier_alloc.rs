//! Classification makes no allocation per n-gram: counted with a global
//! allocator that wraps the system one (this test binary only). Classifying a
//! text allocates exactly once, for the returned list, whatever its length.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use hearth_core::classifier::{Features, MIN_PROBABILITY, Model, TOP_K};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is the only addition.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.load(Ordering::SeqCst);
    f();
    ALLOCS.load(Ordering::SeqCst) - before
}

#[test]
fn classifying_allocates_once_whatever_the_text() {
    let labels = 20;
    let bits = 12;
    let w: Vec<f32> = (0..labels << bits)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    let m = Model::quantize(
        Features {
            bucket_bits: bits,
            ..Features::default()
        },
        (0..labels).map(|i| format!("l{i}")).collect(),
        vec![0.0; labels],
        &w,
    )
    .unwrap();
    let short = "Love this dress! The fabric is soft and the fit is true to size, \
                 perfect for summer evenings out again";
    let long = format!("{short} ÜBERGRÖSSE naïve café ").repeat(20);
    for text in [short, long.as_str(), "", "x"] {
        let n = allocations(|| {
            std::hint::black_box(m.top(text, TOP_K, 0.0));
        });
        assert_eq!(n, 1, "{} bytes of text", text.len());
        let n = allocations(|| {
            std::hint::black_box(m.top(text, TOP_K, MIN_PROBABILITY));
        });
        assert!(n <= 1);
        let n = allocations(|| {
            std::hint::black_box(m.predict(text));
            let mut p = [0f32; 20];
            m.probabilities_into(text, &mut p);
            std::hint::black_box(m.features().for_each(text, |_| {}));
        });
        assert_eq!(n, 0);
    }
}
