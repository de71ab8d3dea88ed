//! Shared fixtures of Hearth's fuzz targets (`fuzz/fuzz_targets/*.rs`).
//!
//! Every target is deterministic for a given input: fixed keys, a fixed
//! start time on a [`ManualClock`], a fixed selection seed, and a fresh store
//! directory per input (see [`fresh_store`]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use hearth_cli::publish::{self, Overrides};
use hearth_cli::sample;
use hearth_core::catalog::bundle::{self, PublicKey, SigningKey};
use hearth_core::engine::CATALOG_RECORD;
use hearth_core::select::SelectConfig;
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::taxonomy::Taxonomy;
use hearth_core::{Engine, EngineConfig, ManualClock, Timestamp};
use ring::signature::Ed25519KeyPair;

/// The throwaway publisher key of the fuzz targets (PKCS#8, hex), also used
/// by the seed generator (`hearth-fuzz-seeds`). Never used for anything else.
pub const PUBLISHER_KEY_HEX: &str = include_str!("../fixtures/fuzz-publisher.key");
/// The store key of every fuzzed store.
pub const STORE_KEY: [u8; 32] = [0x5a; 32];
/// Monday 2026-03-02, 08:00 UTC: inside the sample catalog's life.
pub const START: Timestamp = 1_772_438_400_000;
/// Largest catalog accepted by the fuzzed engines.
pub const MAX_CATALOG_BYTES: usize = 1 << 20;

/// Topic ids the structured targets pick from: real ones (roots, children,
/// grandchildren, topics the sample catalog targets), sensitive ones, and
/// near misses.
pub const TOPICS: &[&str] = &[
    "483", "484", "533", "227", "225", "635", "668", "653", "165", "442", "452", "579", "216",
    "596", "552", "553", "1", "286", "0", "", "483 ", "9999", "-1",
];

fn pkcs8() -> Vec<u8> {
    hearth_cli::keys::hex_decode(PUBLISHER_KEY_HEX).expect("fixture key is hex")
}

/// The publisher signing key.
pub fn signer() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::from_pkcs8(&pkcs8()).expect("fixture key"))
}

/// The same key as a raw ring key pair, to sign arbitrary bodies.
pub fn key_pair() -> &'static Ed25519KeyPair {
    static K: OnceLock<Ed25519KeyPair> = OnceLock::new();
    K.get_or_init(|| Ed25519KeyPair::from_pkcs8(&pkcs8()).expect("fixture key"))
}

/// The trusted public key.
pub fn public_key() -> PublicKey {
    signer().public_key()
}

/// The embedded taxonomy.
pub fn taxonomy() -> Arc<Taxonomy> {
    Taxonomy::iab().expect("embedded taxonomy")
}

/// Frame `body` as a bundle (version 1 header) and sign it with the fixture
/// key, so that arbitrary bodies get past the signature to the decoder and
/// validator (as a compromised or buggy publisher could).
pub fn sign_body(body: &[u8], version: u64, created_at: i64, expires_at: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(bundle::HEADER_LEN + body.len() + bundle::SIGNATURE_LEN);
    out.extend_from_slice(&bundle::MAGIC);
    out.extend_from_slice(&bundle::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&created_at.to_le_bytes());
    out.extend_from_slice(&expires_at.to_le_bytes());
    out.extend_from_slice(&public_key().key_id());
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(body);
    let sig = key_pair().sign(&out);
    out.extend_from_slice(sig.as_ref());
    out
}

/// The sample catalog (`catalog/sample.json`) signed with the fixture key.
pub fn sample_bundle(version: u64) -> Vec<u8> {
    let o = Overrides {
        version: Some(version),
        ..Overrides::default()
    };
    publish::build(
        &sample::sample_source().expect("sample source"),
        &o,
        signer(),
        &taxonomy(),
        "sample",
    )
    .expect("sample builds")
    .bundle
}

/// The engine configuration of the fuzzed engines: the fixture keys, a
/// manual clock, a fixed selection seed, no background writes during an
/// input (they would make a run depend on timing).
pub fn config(dir: &Path, clock: Arc<ManualClock>) -> EngineConfig {
    let mut c = EngineConfig::new(dir, StoreKey::from_bytes(STORE_KEY)).with_clock(clock);
    c.default_consent = Consent::Personalised;
    c.trusted_keys = vec![public_key()];
    c.max_catalog_bytes = MAX_CATALOG_BYTES;
    c.flush_interval_ms = hearth_core::engine::MAX_FLUSH_INTERVAL_MS;
    c.selection_seed = Some(1);
    c.ads = SelectConfig {
        min_gap_ms: 0,
        ..SelectConfig::default()
    };
    c
}

struct Dirs {
    _base: tempfile::TempDir,
    template_catalog: Vec<u8>,
    store: PathBuf,
}

fn dirs() -> &'static Dirs {
    static D: OnceLock<Dirs> = OnceLock::new();
    D.get_or_init(|| {
        // A memory file system where there is one: the stores are written
        // and fsynced on every input, and the disk is not what is under test.
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("temp dir");
        // Install the sample catalog once, through a real engine; each input
        // then starts from a copy of the stored record.
        let template = base.path().join("template");
        let e = Engine::open(config(&template, Arc::new(ManualClock::new(START)))).unwrap();
        e.install_catalog(sample_bundle(1)).unwrap();
        e.close().unwrap();
        drop(e);
        let template_catalog =
            std::fs::read(template.join(format!("{CATALOG_RECORD}.hearth"))).unwrap();
        let store = base.path().join("store");
        Dirs {
            _base: base,
            template_catalog,
            store,
        }
    })
}

/// An empty store directory (the same path every time) holding only the
/// sample catalog, installed.
pub fn fresh_store() -> PathBuf {
    let d = dirs();
    let _ = std::fs::remove_dir_all(&d.store);
    std::fs::create_dir_all(&d.store).unwrap();
    std::fs::write(
        d.store.join(format!("{CATALOG_RECORD}.hearth")),
        &d.template_catalog,
    )
    .unwrap();
    d.store.clone()
}

/// A cursor over fuzz input bytes for the hand-rolled targets.
pub struct Bytes<'a>(pub &'a [u8]);

impl<'a> Bytes<'a> {
    /// The next byte, 0 when exhausted.
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    /// The rest.
    pub fn rest(self) -> &'a [u8] {
        self.0
    }
}
