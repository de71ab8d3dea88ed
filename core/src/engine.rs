//! The engine: the one facade apps talk to.
//!
//! [`Engine`] is `Send + Sync`; share it behind an `Arc` and call it from any
//! thread. All state sits behind one short-held lock; disk writes happen on a
//! background thread or, for calls that promise durability, after the lock is
//! released.
//!
//! # Durability contract
//!
//! | call | persisted before it returns? |
//! |---|---|
//! | [`Engine::record`] | no: kept in memory and written by the background writer within `flush_interval_ms` (default 1 s) of the first unsaved change; with `flush_interval_ms = 0`, yes |
//! | [`Engine::record`] of explicit feedback (like / hide) | yes: it is a user control |
//! | [`Engine::set_consent`], [`Engine::remove_interest`], [`Engine::allow_interest`], [`Engine::remove_trait`], [`Engine::allow_trait`] | yes |
//! | [`Engine::reset`] | yes: the files are deleted before it returns |
//! | [`Engine::flush`], [`Engine::close`] | yes: everything recorded before the call |
//!
//! A crash (the process killed at any instant, or power loss) therefore loses at
//! most the events recorded during the last `flush_interval_ms` plus the duration
//! of one write (a few milliseconds), and never a user's control action. The file
//! on disk is always a complete earlier state: writes go to a temporary file that
//! is fsynced and renamed over the old one (see [`crate::store`]).
//!
//! # Time
//!
//! The engine's "now" is the injected clock, never allowed to run backwards: if
//! the clock moves back, the engine keeps using the latest time it has seen (the
//! high-water mark, persisted) until the clock catches up. Readings outside
//! 1970-01-01 ..= 9999-12-31 (see [`crate::clock::clamp`]) count as the nearer
//! end of that range, so a broken clock cannot overflow a computation or make a
//! report period that is not a date.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use crate::ads::{AdBook, AdEventKind, AdRef, AdSnapshot};
use crate::catalog::{InstalledCatalog, PublicKey, VerifiedBundle};
use crate::clock::{Clock, SystemClock, Timestamp};
use crate::error::{Error, Result};
use crate::profile::{
    Event, InferredTrait, Interest, Profile, ProfileConfig, RecordOutcome, RecordStatus,
    ResolvedRule,
};
use crate::select::{
    self, AdChoice, AdRequest, AdResponse, EngagementModel, RequestContext, SelectConfig, UserSide,
};
use crate::state::{self, Consent, PersistedState, SCHEMA_VERSION, STATE_RECORD};
use crate::store::{Store, StoreKey};
use crate::taxonomy::Taxonomy;

/// Longest accepted `flush_interval_ms` (one hour).
pub const MAX_FLUSH_INTERVAL_MS: u64 = 3_600_000;
/// Default limit on catalog bundle size (64 MiB).
pub const DEFAULT_MAX_CATALOG_BYTES: usize = 64 << 20;
/// Name of the record holding the installed catalog bundle.
pub const CATALOG_RECORD: &str = "catalog";
/// Schema version of the catalog record (the raw signed bundle).
pub const CATALOG_RECORD_SCHEMA: u16 = 1;

/// Everything needed to open an engine. Only the directory and key have no
/// default; [`EngineConfig::new`] fills in the rest.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Directory holding all of Hearth's files (created if missing). Use an
    /// app-private directory, excluded from cloud backup.
    pub storage_dir: PathBuf,
    /// 32-byte key for encryption at rest, from the Android Keystore / iOS Keychain.
    pub key: StoreKey,
    /// Time source. Default: [`SystemClock`].
    pub clock: Arc<dyn Clock>,
    /// Topic taxonomy. Default: the embedded IAB Content Taxonomy 3.x.
    pub taxonomy: Option<Arc<Taxonomy>>,
    /// Interest-model parameters.
    pub profile: ProfileConfig,
    /// Consent for a new (or reset) store. Default: [`Consent::ContextualOnly`]:
    /// nothing is collected until the app, having asked the user, sets
    /// [`Consent::Personalised`].
    pub default_consent: Consent,
    /// Longest time a recorded event waits in memory before the background writer
    /// persists it. Default 1,000 ms; 0 persists on every call (slow).
    pub flush_interval_ms: u64,
    /// Ed25519 public keys whose catalogs are accepted. Several may be listed so
    /// a publisher can rotate keys. Default: none (no catalog can be installed).
    pub trusted_keys: Vec<PublicKey>,
    /// Largest catalog bundle accepted, checked before parsing. Default 64 MiB.
    pub max_catalog_bytes: usize,
    /// Ad selection limits and shares.
    pub ads: SelectConfig,
    /// Privacy budget of the noised reports.
    pub reports: crate::report::ReportConfig,
    /// Seed of the selection randomness (pacing, exploration). `None` (the
    /// default) seeds from the system RNG; a fixed seed makes selection
    /// reproducible, for tests.
    pub selection_seed: Option<u64>,
}

impl EngineConfig {
    /// Defaults for everything but the directory and key.
    pub fn new(storage_dir: impl Into<PathBuf>, key: StoreKey) -> Self {
        Self {
            storage_dir: storage_dir.into(),
            key,
            clock: Arc::new(SystemClock),
            taxonomy: None,
            profile: ProfileConfig::default(),
            default_consent: Consent::ContextualOnly,
            flush_interval_ms: 1_000,
            trusted_keys: Vec::new(),
            max_catalog_bytes: DEFAULT_MAX_CATALOG_BYTES,
            ads: SelectConfig::default(),
            reports: crate::report::ReportConfig::default(),
            selection_seed: None,
        }
    }
    /// Replace the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// A snapshot of the engine's condition, for status screens and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineStatus {
    /// Current consent.
    pub consent: Consent,
    /// Topics held in the profile.
    pub topics: u32,
    /// Events recorded into the profile since the state was created.
    pub events_recorded: u64,
    /// True if some changes are not yet on disk.
    pub unsaved_changes: bool,
    /// The last background write error, if the latest write failed.
    pub last_write_error: Option<String>,
    /// Bytes of the state file on disk.
    pub state_bytes: u64,
    /// Version of the active taxonomy.
    pub taxonomy_version: String,
    /// The installed catalog, if any.
    pub catalog: Option<CatalogStatus>,
    /// Whether ads can be selected right now.
    pub selection_ready: bool,
    /// Why not, when `selection_ready` is false.
    pub selection_blocked: Option<String>,
}

/// What is known about the installed catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogStatus {
    /// Catalog version.
    pub version: u64,
    /// Creation time, Unix ms.
    pub created_at_ms: Timestamp,
    /// Expiry time, Unix ms.
    pub expires_at_ms: Timestamp,
    /// Hex id of the key that signed it.
    pub key_id: String,
    /// Region tag.
    pub region: String,
    /// Campaigns.
    pub campaigns: u32,
    /// Creatives.
    pub creatives: u32,
    /// Bundle size in bytes.
    pub bundle_bytes: u64,
}

/// A report waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingReport {
    /// Local handle for [`Engine::acknowledge`] (never in the payload).
    pub handle: u64,
    /// The period, `YYYY-MM-DD`.
    pub period: String,
    /// The exact bytes to upload (canonical JSON).
    pub payload: String,
}

/// A payload in the transparency log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentReport {
    /// Local handle.
    pub handle: u64,
    /// The period, `YYYY-MM-DD`.
    pub period: String,
    /// When it was produced (local only).
    pub created_at_ms: Timestamp,
    /// When the app acknowledged its upload (None: still pending).
    pub acknowledged_at_ms: Option<Timestamp>,
    /// The exact payload.
    pub payload: String,
}

/// Privacy budget of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricBudget {
    /// Metric name.
    pub metric: String,
    /// ε spent in the last 7 periods.
    pub spent_last_7_periods: f64,
    /// ε left under the 7-period cap.
    pub remaining: f64,
}

/// The privacy budget, for the privacy dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetStatus {
    /// ε per metric per period.
    pub epsilon_per_metric: f64,
    /// Cap per metric over any 7 periods.
    pub weekly_cap_per_metric: f64,
    /// Per metric.
    pub metrics: Vec<MetricBudget>,
}

/// One shown ad in the user's ad history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdHistoryEntry {
    /// When it was shown, Unix ms.
    pub shown_at_ms: Timestamp,
    /// Campaign id.
    pub campaign_id: String,
    /// Creative id.
    pub creative_id: String,
    /// Advertiser id.
    pub advertiser_id: String,
    /// Advertiser name, if the installed catalog still knows it.
    pub advertiser_name: Option<String>,
    /// The creative's title.
    pub title: String,
    /// The user's reactions (click, like, dislike, hide, dismiss, conversion).
    pub reactions: Vec<AdEventKind>,
    /// The ad's token, so the history screen can record a like or hide on it.
    pub token: String,
}

/// What [`Engine::install_catalog`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InstallOutcome {
    /// The catalog is now active.
    Installed {
        /// Its version.
        version: u64,
    },
    /// This version was already installed; nothing changed.
    AlreadyInstalled {
        /// The version.
        version: u64,
    },
}

/// The catalog side of the engine, guarded by its own lock.
#[derive(Default)]
struct CatalogSlot {
    active: Option<Arc<InstalledCatalog>>,
    /// Highest version ever installed here (downgrade protection), even if the
    /// active catalog was dropped.
    installed_version: Option<u64>,
    /// Why the stored catalog was not loaded at open, if it was not.
    load_error: Option<String>,
}

static OPEN_DIRS: LazyLock<Mutex<HashSet<PathBuf>>> = LazyLock::new(Default::default);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock must not wedge every later call: the data
    // under our locks is always left consistent between statements.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Live {
    consent: Consent,
    profile: Profile,
    ads: AdBook,
    high_water: Timestamp,
    created_at: Timestamp,
    events_recorded: u64,
    generation: u64,
    saved_generation: u64,
    last_write_error: Option<String>,
}

impl Live {
    fn fresh(consent: Consent, now: Timestamp, generation: u64, ads: AdBook) -> Self {
        Self {
            consent,
            profile: Profile::new(),
            ads,
            high_water: now,
            created_at: now,
            events_recorded: 0,
            generation,
            saved_generation: generation,
            last_write_error: None,
        }
    }
    fn now(&mut self, clock: &dyn Clock) -> Timestamp {
        let c = crate::clock::clamp(clock.now_ms());
        if c > self.high_water {
            self.high_water = c;
        }
        self.high_water
    }
    fn touch(&mut self) {
        self.generation += 1;
    }
}

#[derive(Default)]
struct Signal {
    dirty: bool,
    closing: bool,
}

struct Inner {
    tax: Arc<Taxonomy>,
    cfg: ProfileConfig,
    rules: Vec<ResolvedRule>,
    clock: Arc<dyn Clock>,
    default_consent: Consent,
    flush_interval: Duration,
    store: Store,
    dir_key: PathBuf,
    live: Mutex<Live>,
    /// Serialises writers so an older snapshot never overwrites a newer one.
    write_lock: Mutex<()>,
    dirty_hint: AtomicBool,
    trusted_keys: Vec<PublicKey>,
    max_catalog_bytes: usize,
    select_cfg: SelectConfig,
    rng: Mutex<ChaCha8Rng>,
    report_cfg: crate::report::ReportConfig,
    /// The privacy-budget ledger and reports (own record; survives reset).
    ledger: Mutex<crate::report::Ledger>,
    catalog: Mutex<CatalogSlot>,
    /// Serialises catalog installs.
    install_lock: Mutex<()>,
    signal: Mutex<Signal>,
    cv: Condvar,
    closed: AtomicBool,
    /// Held shared by every call for its whole duration and exclusively by
    /// `close`, so `close` waits for calls in flight: none can report success
    /// for work that close's final write missed, or write after the directory
    /// was released.
    gate: RwLock<()>,
}

/// The Hearth engine. See the [module docs](self) for the durability contract.
pub struct Engine {
    inner: Arc<Inner>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("dir", &self.inner.store.dir())
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .finish()
    }
}

impl Engine {
    /// Open (or create) the engine's state in `config.storage_dir`.
    ///
    /// Fails with a typed error if the configuration is out of range, the
    /// directory is already open in this process, or the stored state cannot be
    /// read: [`Error::StoreWrongKey`], [`Error::StoreTampered`],
    /// [`Error::StoreCorrupted`], [`Error::StoreTruncated`],
    /// [`Error::StoreUnsupportedVersion`]. After such an error the app may call
    /// [`Engine::erase_storage`] and open again with an empty state.
    pub fn open(config: EngineConfig) -> Result<Engine> {
        let tax = match &config.taxonomy {
            Some(t) => Arc::clone(t),
            None => Taxonomy::iab()?,
        };
        let rules = config.profile.validate(&tax)?;
        config.ads.validate()?;
        config.reports.validate()?;
        if config.flush_interval_ms > MAX_FLUSH_INTERVAL_MS {
            return Err(Error::InvalidConfig {
                field: "flush_interval_ms",
                reason: format!("must be at most {MAX_FLUSH_INTERVAL_MS}"),
            });
        }
        let store = Store::open(&config.storage_dir, &config.key)?;
        let dir_key = canonical(store.dir())?;
        if !lock(&OPEN_DIRS).insert(dir_key.clone()) {
            return Err(Error::AlreadyOpen(dir_key));
        }
        match Self::open_registered(config, tax, rules, store, dir_key.clone()) {
            Ok(e) => Ok(e),
            Err(err) => {
                lock(&OPEN_DIRS).remove(&dir_key);
                Err(err)
            }
        }
    }

    fn open_registered(
        config: EngineConfig,
        tax: Arc<Taxonomy>,
        rules: Vec<ResolvedRule>,
        store: Store,
        dir_key: PathBuf,
    ) -> Result<Engine> {
        let clock = Arc::clone(&config.clock);
        let (persisted, needs_write) = match store.load(STATE_RECORD)? {
            None => (None, false),
            Some(rec) => {
                let (mut s, migrated) = state::decode(
                    rec.schema_version,
                    &rec.payload,
                    &store.path_of(STATE_RECORD),
                )?;
                s.sanitize();
                let retagged = s.taxonomy_version != tax.version();
                (Some(s), migrated || retagged)
            }
        };
        let secret = random_bytes()?;
        let live = match persisted {
            None => {
                let now = crate::clock::clamp(clock.now_ms());
                let ads = AdBook::restore(AdSnapshot::default(), secret);
                let mut l = Live::fresh(config.default_consent, now, 0, ads);
                // The token secret must survive restarts: write it at once.
                l.touch();
                l
            }
            Some(s) => {
                let ads = AdBook::restore(s.ads, secret);
                let high_water = crate::clock::clamp(s.high_water_ms);
                let mut l = Live::fresh(s.consent, high_water, 0, ads);
                l.profile = Profile::restore(s.profile, &tax, &config.profile);
                l.created_at = s.created_at;
                l.events_recorded = s.events_recorded;
                if needs_write {
                    l.touch();
                }
                l
            }
        };
        let catalog = load_catalog(&store, &config.trusted_keys, config.max_catalog_bytes, &tax)?;
        let seed = match config.selection_seed {
            Some(s) => s,
            None => u64::from_le_bytes(
                random_bytes()?
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or([0; 8]),
            ),
        };
        let mut ledger = match store.load(crate::report::REPORTS_RECORD)? {
            None => crate::report::Ledger::default(),
            Some(rec) if rec.schema_version == crate::report::REPORTS_SCHEMA => {
                postcard::from_bytes(&rec.payload).map_err(|e| Error::StoreDecode {
                    path: store.path_of(crate::report::REPORTS_RECORD),
                    reason: e.to_string(),
                })?
            }
            Some(rec) => {
                return Err(Error::StoreUnsupportedVersion {
                    path: store.path_of(crate::report::REPORTS_RECORD),
                    what: "schema",
                    found: rec.schema_version,
                    supported: crate::report::REPORTS_SCHEMA,
                });
            }
        };
        ledger.sanitize();
        let inner = Arc::new(Inner {
            report_cfg: config.reports,
            ledger: Mutex::new(ledger),
            select_cfg: config.ads,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            trusted_keys: config.trusted_keys,
            max_catalog_bytes: config.max_catalog_bytes,
            catalog: Mutex::new(catalog),
            install_lock: Mutex::new(()),
            tax,
            cfg: config.profile,
            rules,
            clock,
            default_consent: config.default_consent,
            flush_interval: Duration::from_millis(config.flush_interval_ms),
            store,
            dir_key,
            live: Mutex::new(live),
            write_lock: Mutex::new(()),
            dirty_hint: AtomicBool::new(false),
            signal: Mutex::new(Signal::default()),
            cv: Condvar::new(),
            closed: AtomicBool::new(false),
            gate: RwLock::new(()),
        });
        // A migrated or re-tagged state is written in the current schema at once.
        inner.persist()?;
        let worker = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("hearth-writer".into())
            .spawn(move || worker.writer_loop())
            .map_err(|e| Error::StoreIo {
                path: inner.store.dir().to_path_buf(),
                source: e,
            })?;
        Ok(Engine {
            inner,
            flusher: Mutex::new(Some(handle)),
        })
    }

    /// Delete every Hearth file in `dir` without needing the key: the way out
    /// after [`Engine::open`] reports a wrong key or a damaged file. Refuses with
    /// [`Error::AlreadyOpen`] while an engine in this process has `dir` open.
    pub fn erase_storage(dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        if !dir.exists() {
            return Ok(());
        }
        let key = canonical(dir)?;
        if lock(&OPEN_DIRS).contains(&key) {
            return Err(Error::AlreadyOpen(key));
        }
        let io = |source| Error::StoreIo {
            path: dir.to_path_buf(),
            source,
        };
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".hearth") || name.ends_with(".hearth.tmp") {
                std::fs::remove_file(entry.path()).map_err(io)?;
            }
        }
        Ok(())
    }

    /// `Err(Closed)` after `close`; otherwise a guard the call holds until it
    /// returns (see `Inner::gate`).
    fn check_open(&self) -> Result<RwLockReadGuard<'_, ()>> {
        let guard = self
            .inner
            .gate
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if self.inner.closed.load(Ordering::Acquire) {
            Err(Error::Closed)
        } else {
            Ok(guard)
        }
    }

    /// The active taxonomy.
    pub fn taxonomy(&self) -> Arc<Taxonomy> {
        Arc::clone(&self.inner.tax)
    }

    /// Record one event into the profile.
    ///
    /// Returns what happened: recorded, or skipped because consent is not
    /// [`Consent::Personalised`] or the event is too old (see [`crate::profile`]
    /// for the time rules). Unknown topic ids and out-of-range arguments are
    /// errors, and leave the profile unchanged. A search that names no topics
    /// takes its topics from the active catalog's text classifier when it ships
    /// one ([`crate::classifier`]), otherwise from the taxonomy's keywords.
    pub fn record(&self, event: &Event) -> Result<RecordOutcome> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let is_feedback = matches!(event.data, crate::profile::EventData::Feedback { .. });
        let conversion_name;
        let is_hide = matches!(
            event.data,
            crate::profile::EventData::Feedback {
                feedback: crate::profile::Feedback::Hide,
                ..
            }
        );
        // A search without topics is classified by the active catalog's text
        // classifier, if it ships one, outside the profile's lock.
        let classified = self.classify_search(&event.data);
        let out = {
            let mut live = lock(&inner.live);
            let now = live.now(&*inner.clock);
            // A hide is a user control, honoured whenever a profile may exist;
            // everything else is collection and needs personalised consent.
            let allowed = match live.consent {
                Consent::Personalised => true,
                Consent::ContextualOnly => is_hide,
                Consent::Off => false,
            };
            if !allowed {
                return Ok(RecordOutcome::skipped(RecordStatus::ConsentWithheld));
            }
            // Future timestamps count as now; very old events are ignored.
            let at = event.at.map_or(now, |t| t.min(now));
            if now.saturating_sub(at) > inner.cfg.max_event_age_ms {
                return Ok(RecordOutcome::skipped(RecordStatus::TooOld));
            }
            let out = live.profile.apply_classified(
                &inner.tax,
                &inner.cfg,
                &inner.rules,
                &event.data,
                at,
                classified.as_deref(),
            )?;
            conversion_name = match &event.data {
                crate::profile::EventData::Custom { name, .. } => Some(name.clone()),
                _ => None,
            };
            live.events_recorded += 1;
            live.touch();
            out
        };
        // A custom event may be the conversion an ad was shown for.
        if let Some(name) = conversion_name {
            self.attribute(|spec| spec.event_name.as_deref() == Some(name.as_str()))?;
        }
        // Explicit feedback is a user control: durable before returning.
        if inner.flush_interval.is_zero() || is_feedback {
            inner.persist()?;
        } else {
            inner.mark_dirty();
        }
        Ok(out)
    }

    /// The active catalog's classifier's topics for a search event's query:
    /// `None` without a classifier (the profile's keyword fallback applies),
    /// empty when the search names topics itself or its query is too long.
    fn classify_search(
        &self,
        data: &crate::profile::EventData,
    ) -> Option<Vec<crate::taxonomy::TopicIdx>> {
        let crate::profile::EventData::Search { query, topics } = data else {
            return None;
        };
        let cat = lock(&self.inner.catalog).active.clone()?;
        let classifier = cat.classifier.as_ref()?;
        if !topics.is_empty() || query.len() > crate::profile::MAX_QUERY_LEN {
            return Some(Vec::new());
        }
        Some(classifier.topics(query))
    }

    /// Verify and install a catalog bundle (the bytes the app downloaded).
    ///
    /// Checks, in order: size limit (before parsing), framing, signature against
    /// the trusted keys, version (the same version is a no-op while it is
    /// active, an older one is refused), expiry, decoding, taxonomy version, structural validation; then
    /// builds the index, persists the bundle and makes it active. On any failure
    /// the previous catalog stays active and on disk, and the error says exactly
    /// why. Blocking (verification of a large catalog takes milliseconds): call it
    /// off the UI thread.
    ///
    /// The bundle is taken by value and kept: the installed catalog reads creative
    /// text from it in place instead of copying it.
    pub fn install_catalog(&self, bytes: Vec<u8>) -> Result<InstallOutcome> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let _one_at_a_time = lock(&inner.install_lock);
        let verified = VerifiedBundle::verify(bytes, &inner.trusted_keys, inner.max_catalog_bytes)?;
        let header = verified.header;
        let offered = header.catalog_version;
        let (installed_version, active) = {
            let slot = lock(&inner.catalog);
            (slot.installed_version, slot.active.is_some())
        };
        if let Some(installed) = installed_version {
            // The same version again is a no-op while it is active. If it is
            // not (the stored copy stopped verifying, e.g. after the app
            // rotated its trusted keys), a verified copy of that same version
            // is installed: it is no downgrade, and refusing it would leave
            // the app without ads until the publisher ships a newer version.
            if offered == installed && active {
                return Ok(InstallOutcome::AlreadyInstalled { version: offered });
            }
            if offered < installed {
                return Err(Error::CatalogDowngrade { installed, offered });
            }
        }
        let now = lock(&inner.live).now(&*inner.clock);
        if header.expires_at_ms <= now {
            return Err(Error::CatalogExpired {
                expires_at_ms: header.expires_at_ms,
                now_ms: now,
            });
        }
        let loaded = verified.load(&inner.tax)?;
        inner
            .store
            .save(CATALOG_RECORD, CATALOG_RECORD_SCHEMA, loaded.bundle())?;
        let mut slot = lock(&inner.catalog);
        slot.active = Some(Arc::new(loaded));
        slot.installed_version = Some(offered);
        slot.load_error = None;
        Ok(InstallOutcome::Installed { version: offered })
    }

    /// The active catalog, if one is installed and verified.
    pub fn catalog(&self) -> Result<Option<Arc<InstalledCatalog>>> {
        let _open = self.check_open()?;
        Ok(lock(&self.inner.catalog).active.clone())
    }

    /// Choose ads for a screen, on the phone.
    ///
    /// Runs the [selection pipeline](crate::select) against the installed
    /// catalog, the profile (when consent is personalised) and the local ad
    /// history. Each choice carries the creative, a score, "why this ad" and a
    /// token for [`Engine::record_ad_event`]. An empty answer says why in
    /// `no_fill`. Invalid requests (empty placement id, 0 or too many slots,
    /// unknown topic ids, over-long text) are errors.
    pub fn select_ads(&self, request: &AdRequest) -> Result<AdResponse> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let cfg = &inner.select_cfg;
        if request.placement_id.is_empty() || request.placement_id.len() > 64 {
            return Err(Error::InvalidArgument {
                name: "placement_id",
                reason: "must be 1..=64 bytes".into(),
            });
        }
        if request.slots == 0 || request.slots > cfg.max_slots {
            return Err(Error::InvalidArgument {
                name: "slots",
                reason: format!("{} slots, must be 1..={}", request.slots, cfg.max_slots),
            });
        }
        crate::content::check_history(&request.recent_item_ids)?;
        let catalog = lock(&inner.catalog).active.clone();
        let classifier = catalog.as_ref().and_then(|c| c.classifier.as_deref());
        let ctx = RequestContext::resolve_with(&request.context, &inner.tax, classifier)?;
        // Computed before taking the profile's lock; used only under
        // personalised consent (checked below, under the lock).
        let content_model = catalog.as_ref().and_then(|c| c.content.clone());
        let affinity = content_model
            .as_deref()
            .and_then(|m| crate::content::ItemAffinity::new(m, &request.recent_item_ids));
        let mut live = lock(&inner.live);
        let now = live.now(&*inner.clock);
        if let Err(no_fill) =
            select::permission::check(live.consent, catalog.as_deref(), &live.ads, cfg, now)
        {
            return Ok(AdResponse {
                choices: Vec::new(),
                no_fill: Some(no_fill),
            });
        }
        let Some(cat) = catalog else {
            return Ok(AdResponse {
                choices: Vec::new(),
                no_fill: Some(select::NoFill::NoCatalog),
            });
        };
        let tax = &*inner.tax;
        let personal = live.consent == Consent::Personalised;
        // Topics the user hid or removed are user controls: they hold under
        // contextual-only consent too (a hide is recorded under it).
        let hidden = live.profile.suppressed_table(tax);
        let (top, dense, traits) = if personal {
            let top = live.profile.weights(&inner.cfg, now);
            let mut dense = vec![0.0; tax.len()];
            for &(t, w) in &top {
                if let Some(d) = dense.get_mut(t as usize) {
                    *d = w;
                }
            }
            let traits: Vec<(String, String)> = live
                .profile
                .traits(&inner.cfg, &inner.rules, tax, now)
                .into_iter()
                .map(|t| (t.key(), t.label))
                .collect();
            (top, dense, traits)
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        let trait_keys: Vec<String> = traits.iter().map(|(k, _)| k.clone()).collect();
        let model = EngagementModel::with_overrides(&cat.catalog.models.scoring);
        let selection = {
            let user = UserSide {
                weights: &dense,
                hidden: &hidden,
                traits: &trait_keys,
                taste: if personal { live.ads.taste() } else { &[] },
                book: &live.ads,
                content: affinity.as_ref().filter(|_| personal),
            };
            let mut rng = lock(&inner.rng);
            select::select(
                &cat,
                &user,
                &top,
                &ctx,
                request.slots,
                cfg,
                &model,
                now,
                &mut *rng,
            )
        };
        let mut choices = Vec::with_capacity(selection.picks.len());
        for pick in &selection.picks {
            let (Some(c), Some(view)) = (
                cat.catalog.campaigns.get(pick.campaign as usize),
                cat.creative(pick.campaign, pick.set, pick.creative),
            ) else {
                continue;
            };
            let Some(set) = c.creative_sets.get(pick.set as usize) else {
                continue;
            };
            let advertiser_name = cat
                .index
                .sets
                .get(pick.set_pos as usize)
                .and_then(|e| cat.catalog.advertisers.get(e.advertiser as usize))
                .map(|a| a.name.clone())
                .unwrap_or_default();
            let why = select::explain(pick, &cat, tax, &dense, &traits, &ctx);
            let token = live.ads.issue(
                AdRef {
                    campaign_id: c.id.clone(),
                    set_id: set.id.clone(),
                    creative_id: view.id.to_string(),
                    advertiser_id: c.advertiser_id.clone(),
                    title: view.title.to_string(),
                    catalog_version: cat.header.catalog_version,
                    set_pos: pick.set_pos,
                },
                now,
            );
            choices.push(AdChoice {
                token,
                campaign_id: c.id.clone(),
                creative_set_id: set.id.clone(),
                advertiser_id: c.advertiser_id.clone(),
                advertiser_name,
                creative: view.to_owned_creative(),
                score: pick.score,
                engagement: pick.p,
                why,
            });
        }
        if !choices.is_empty() {
            live.touch();
        }
        drop(live);
        if !choices.is_empty() {
            inner.mark_dirty();
        }
        Ok(AdResponse {
            no_fill: if choices.is_empty() {
                Some(select::NoFill::NoEligibleAd)
            } else {
                None
            },
            choices,
        })
    }

    /// Record what happened to a chosen ad, by its token.
    ///
    /// Each kind counts at most once per token (a repeated impression returns
    /// `counted: false`). Effects: impressions feed frequency caps and counters;
    /// clicks and likes strengthen the ad's topics in the profile and teach the
    /// ad-taste embedding; a dislike stops that creative set; a hide stops the
    /// advertiser; dismissals count toward the dismiss limit; conversions stop
    /// the set and are counted. Likes, dislikes, hides and dismissals are user
    /// controls and are persisted before returning. Forged tokens are
    /// [`Error::InvalidAdToken`]; stale ones [`Error::AdTokenExpired`].
    pub fn record_ad_event(
        &self,
        token: &str,
        kind: AdEventKind,
    ) -> Result<crate::ads::AdEventOutcome> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let catalog = lock(&inner.catalog).active.clone();
        let out = {
            let mut live = lock(&inner.live);
            let now = live.now(&*inner.clock);
            if live.consent == Consent::Off {
                return Ok(crate::ads::AdEventOutcome {
                    counted: false,
                    ad: live.ads.peek(token)?,
                });
            }
            let out = live.ads.record(token, kind, now)?;
            if out.counted
                && matches!(kind, AdEventKind::Click | AdEventKind::Like)
                && let Some(cat) = &catalog
                && live.consent == Consent::Personalised
                && let Some((topics, embedding)) = set_topics(cat, &inner.tax, &out.ad)
            {
                // The taste is personal data: learned under personalised consent only.
                live.ads.learn_taste(&embedding);
                if !topics.is_empty() {
                    let data = if kind == AdEventKind::Like {
                        crate::profile::EventData::Feedback {
                            topic: topics.first().cloned().unwrap_or_default(),
                            feedback: crate::profile::Feedback::Like,
                        }
                    } else {
                        crate::profile::EventData::Custom {
                            name: "hearth.ad_click".into(),
                            topics,
                        }
                    };
                    let live = &mut *live;
                    let _ = live
                        .profile
                        .apply(&inner.tax, &inner.cfg, &inner.rules, &data, now);
                }
            }
            live.touch();
            out
        };
        if matches!(
            kind,
            AdEventKind::Like | AdEventKind::Dislike | AdEventKind::Hide | AdEventKind::Dismiss
        ) {
            inner.persist()?;
        } else {
            inner.mark_dirty();
        }
        Ok(out)
    }

    /// Attribute a conversion for a visited URL: the most recent ad (clicked or
    /// shown) whose creative set's conversion `url_pattern` matches and whose
    /// observation window is still open gets one conversion. Returns whether one
    /// was attributed. The URL is not stored.
    pub fn record_conversion_url(&self, url: &str) -> Result<bool> {
        let _open = self.check_open()?;
        if url.len() > 2048 {
            return Err(Error::InvalidArgument {
                name: "url",
                reason: "longer than 2048 bytes".into(),
            });
        }
        self.attribute(|spec| {
            spec.url_pattern
                .as_deref()
                .is_some_and(|p| select::url_matches(p, url))
        })
    }

    fn attribute(
        &self,
        matches: impl Fn(&crate::catalog::model::ConversionSpec) -> bool,
    ) -> Result<bool> {
        let inner = &*self.inner;
        let Some(cat) = lock(&inner.catalog).active.clone() else {
            return Ok(false);
        };
        // The sets this event or URL converts for, with their windows: one pass
        // over the catalog, so the history scan below costs one hash lookup per
        // entry (it used to search the catalog for every entry, for every app
        // event: history × campaigns string comparisons per call).
        let converting: rustc_hash::FxHashMap<(&str, &str), i64> = cat
            .catalog
            .campaigns
            .iter()
            .flat_map(|c| {
                c.creative_sets.iter().filter_map(|s| {
                    let spec = s.conversion.as_ref().filter(|spec| matches(spec))?;
                    let window = i64::from(spec.window_days) * crate::clock::DAY_MS;
                    Some(((c.id.as_str(), s.id.as_str()), window))
                })
            })
            .collect();
        if converting.is_empty() {
            return Ok(false);
        }
        let mut live = lock(&inner.live);
        let now = live.now(&*inner.clock);
        if live.consent == Consent::Off {
            return Ok(false);
        }
        let hit = live.ads.history().find_map(|h| {
            if h.has(AdEventKind::Conversion) {
                return None;
            }
            let window = converting.get(&(h.ad.campaign_id.as_str(), h.ad.set_id.as_str()))?;
            (now.saturating_sub(h.last_event_at) <= *window).then_some(h.serial)
        });
        let Some(serial) = hit else { return Ok(false) };
        let counted = live.ads.record_serial(serial, AdEventKind::Conversion, now);
        live.touch();
        drop(live);
        inner.mark_dirty();
        Ok(counted)
    }

    /// The ads shown in the last 30 days, newest first, with the user's reactions.
    pub fn ad_history(&self) -> Result<Vec<AdHistoryEntry>> {
        let _open = self.check_open()?;
        let catalog = lock(&self.inner.catalog).active.clone();
        let mut live = lock(&self.inner.live);
        let now = live.now(&*self.inner.clock);
        // Older entries are dropped when the state is next written; until then
        // they must not be listed either.
        let horizon = now.saturating_sub(crate::ads::HISTORY_DAYS * crate::clock::DAY_MS);
        Ok(live
            .ads
            .history()
            .take_while(|h| h.at >= horizon)
            .map(|h| AdHistoryEntry {
                shown_at_ms: h.at,
                campaign_id: h.ad.campaign_id.clone(),
                creative_id: h.ad.creative_id.clone(),
                advertiser_id: h.ad.advertiser_id.clone(),
                advertiser_name: catalog
                    .as_ref()
                    .and_then(|c| {
                        c.catalog
                            .advertisers
                            .iter()
                            .find(|a| a.id == h.ad.advertiser_id)
                    })
                    .map(|a| a.name.clone()),
                title: h.ad.title.clone(),
                reactions: h
                    .kinds()
                    .into_iter()
                    .filter(|k| *k != AdEventKind::Impression)
                    .collect(),
                token: live.ads.token_of(h.serial),
            })
            .collect())
    }

    /// Advertisers the user hid.
    pub fn hidden_advertisers(&self) -> Result<Vec<String>> {
        let _open = self.check_open()?;
        Ok(lock(&self.inner.live).ads.hidden_advertisers().to_vec())
    }

    /// Show a hidden advertiser's ads again. Persisted before returning.
    pub fn unhide_advertiser(&self, advertiser_id: &str) -> Result<bool> {
        let _open = self.check_open()?;
        self.mutate_durably(|live, _| live.ads.unhide(advertiser_id))
    }

    /// Reports waiting to be uploaded, closing any period that ended first.
    ///
    /// A closed period's payload is generated once (noise from the OS CSPRNG),
    /// stored together with its privacy-budget spending in one atomic write, and
    /// only then handed out; the same bytes come back on every call until
    /// [`Engine::acknowledge`]. Upload each `payload` as is. Blocking (a few
    /// milliseconds at most): call it from a background job, e.g. daily.
    pub fn pending_reports(&self) -> Result<Vec<PendingReport>> {
        let _open = self.check_open()?;
        self.close_periods()?;
        let ledger = lock(&self.inner.ledger);
        Ok(ledger
            .reports
            .iter()
            .filter(|r| r.acknowledged_at.is_none())
            .map(|r| PendingReport {
                handle: r.handle,
                period: crate::report::payload::format_day(r.day),
                payload: r.payload.clone(),
            })
            .collect())
    }

    /// Mark a report as uploaded. Returns false if the handle is unknown or was
    /// already acknowledged. Persisted before returning.
    pub fn acknowledge(&self, handle: u64) -> Result<bool> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let now = lock(&inner.live).now(&*inner.clock);
        let mut ledger = lock(&inner.ledger);
        let mut next = ledger.clone();
        let Some(r) = next
            .reports
            .iter_mut()
            .find(|r| r.handle == handle && r.acknowledged_at.is_none())
        else {
            return Ok(false);
        };
        r.acknowledged_at = Some(now);
        inner.save_ledger(&next)?;
        *ledger = next;
        Ok(true)
    }

    /// Every payload produced in the last 30 days (and any still pending), newest
    /// first: the transparency log for the user and for auditors.
    pub fn sent_reports(&self) -> Result<Vec<SentReport>> {
        let _open = self.check_open()?;
        let ledger = lock(&self.inner.ledger);
        Ok(ledger
            .reports
            .iter()
            .rev()
            .map(|r| SentReport {
                handle: r.handle,
                period: crate::report::payload::format_day(r.day),
                created_at_ms: r.created_at,
                acknowledged_at_ms: r.acknowledged_at,
                payload: r.payload.clone(),
            })
            .collect())
    }

    /// The privacy budget: ε per metric per period, the 7-period cap, and what
    /// the last 7 periods spent.
    pub fn privacy_budget(&self) -> Result<BudgetStatus> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let now = lock(&inner.live).now(&*inner.clock);
        let ledger = lock(&inner.ledger);
        let today = crate::report::day_of(now);
        let spent: Vec<f64> = (0..3u8).map(|m| ledger.spent_in_window(m, today)).collect();
        Ok(BudgetStatus {
            epsilon_per_metric: inner.report_cfg.epsilon_per_metric,
            weekly_cap_per_metric: inner.report_cfg.weekly_cap_per_metric,
            metrics: crate::report::METRICS
                .iter()
                .zip(spent)
                .map(|(m, s)| MetricBudget {
                    metric: (*m).to_string(),
                    spent_last_7_periods: s,
                    remaining: (inner.report_cfg.weekly_cap_per_metric - s).max(0.0),
                })
                .collect(),
        })
    }

    fn close_periods(&self) -> Result<()> {
        use crate::report::{Mechanism, MetricReport, Payload, SystemNoise};
        let inner = &*self.inner;
        let catalog = lock(&inner.catalog).active.clone();
        let mut ledger = lock(&inner.ledger);
        let live = lock(&inner.live);
        let now = {
            let c = crate::clock::clamp(inner.clock.now_ms());
            c.max(live.high_water)
        };
        // Only periods since this state was created: a fresh install must not
        // spend budget on days it never saw.
        let first = crate::report::day_of(live.created_at);
        let due: Vec<i64> = ledger
            .due(now)
            .into_iter()
            .filter(|&d| d >= first)
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let mut next = ledger.clone();
        let mut noise = SystemNoise::new();
        for day in due {
            let Some(cat) = catalog.as_ref().filter(|_| live.consent != Consent::Off) else {
                next.skip(day);
                continue;
            };
            let campaigns = &cat.catalog.campaigns;
            let domain = u32::try_from(campaigns.len() + 1).unwrap_or(u32::MAX);
            let kind = Mechanism::choose(inner.report_cfg.epsilon_per_metric, domain)?.kind;
            // The device's value per metric: its top campaign that day.
            let mut values = [0u32; 3];
            let mut best = [0u32; 3];
            for c in live.ads.counters().iter().filter(|c| c.day == day) {
                let Some(pos) = campaigns.iter().position(|k| k.id == c.campaign_id) else {
                    continue;
                };
                let v = u32::try_from(pos + 1).unwrap_or(0);
                for m in 0..3 {
                    let n = c.counts.get(m).copied().unwrap_or(0);
                    if let (Some(b), Some(val)) = (best.get_mut(m), values.get_mut(m))
                        && (n > *b || (n == *b && n > 0 && v < *val))
                    {
                        *b = n;
                        *val = v;
                    }
                }
            }
            let eps = next.spend(day, &inner.report_cfg);
            let mut reports = Vec::with_capacity(3);
            for (m, (&value, &e)) in values.iter().zip(eps.iter()).enumerate() {
                let mech = Mechanism::new(kind, e, domain);
                reports.push(MetricReport {
                    metric: m,
                    mechanism: mech,
                    data: mech.perturb(value, &mut noise)?,
                });
            }
            let payload = Payload {
                catalog_version: cat.header.catalog_version,
                day,
                reports,
            };
            next.add_report(day, now, payload.to_json());
        }
        next.prune(now);
        drop(live);
        // Persisted (ledger and payloads together) before anything is handed out.
        inner.save_ledger(&next)?;
        *ledger = next;
        Ok(())
    }

    /// Rank the app's own content items for this user: see [`crate::rank`] for
    /// the model, the options and the errors. The interest profile is used only
    /// under [`Consent::Personalised`]; otherwise items are ranked by freshness,
    /// then the app's own order. Under the same consent, when the active
    /// catalog ships a content model ([`crate::content`]), it is blended in
    /// with [`RankOptions::recent_item_ids`](crate::rank::RankOptions). The
    /// engine's locks are held only to copy the current topic weights and the
    /// model's handle; the ranking itself runs outside them.
    pub fn rank_items(
        &self,
        items: &[crate::rank::Item],
        options: &crate::rank::RankOptions,
    ) -> Result<Vec<crate::rank::RankedItem>> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        // The content model only matters with the app's recent items; take
        // its handle (catalog lock, released at once) before the profile's.
        let model = if options.recent_item_ids.is_empty() {
            None
        } else {
            lock(&inner.catalog)
                .active
                .as_ref()
                .and_then(|c| c.content.clone())
        };
        let (weights, now, content, hidden) = {
            let mut live = lock(&inner.live);
            let now = live.now(&*inner.clock);
            // The content model personalises with the user's history, so it
            // follows the same consent rule as the profile.
            if live.consent == Consent::Personalised {
                let weights = live.profile.weights(&inner.cfg, now);
                // Only needed (and only built) when the model applies.
                let hidden = if model.is_some() {
                    live.profile.suppressed_table(&inner.tax)
                } else {
                    Vec::new()
                };
                (weights, now, model, hidden)
            } else {
                (Vec::new(), now, None, Vec::new())
            }
        };
        crate::rank::rank_items_with_content(
            items,
            &weights,
            None,
            content.as_deref().map(|model| crate::rank::ContentInput {
                model,
                hidden: &hidden,
            }),
            &inner.tax,
            options,
            now,
        )
    }

    /// The user's interests, heaviest first, each with its reason. Empty when
    /// consent is off.
    pub fn interests(&self) -> Result<Vec<Interest>> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let mut live = lock(&inner.live);
        let now = live.now(&*inner.clock);
        Ok(live.profile.interests(&inner.tax, &inner.cfg, now))
    }

    /// Current topic weights (index, weight), heaviest first: the input of
    /// selection and ranking.
    pub fn topic_weights(&self) -> Result<Vec<(crate::taxonomy::TopicIdx, f64)>> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let mut live = lock(&inner.live);
        let now = live.now(&*inner.clock);
        if live.consent != Consent::Personalised {
            return Ok(Vec::new());
        }
        Ok(live.profile.weights(&inner.cfg, now))
    }

    /// Remove an interest and keep it (and its subtopics) out of the profile
    /// until [`Engine::allow_interest`]. Persisted before returning.
    pub fn remove_interest(&self, topic_id: &str) -> Result<()> {
        let _open = self.check_open()?;
        let idx = self.inner.tax.idx(topic_id)?;
        self.mutate_durably(|live, tax| live.profile.suppress(tax, idx))
    }

    /// Undo a hide or a removal: the topic may be learned again. Returns whether
    /// it was suppressed. Persisted before returning.
    pub fn allow_interest(&self, topic_id: &str) -> Result<bool> {
        let _open = self.check_open()?;
        let idx = self.inner.tax.idx(topic_id)?;
        self.mutate_durably(|live, _| live.profile.allow(idx))
    }

    /// Ids of topics the user hid or removed.
    pub fn suppressed_topics(&self) -> Result<Vec<String>> {
        let _open = self.check_open()?;
        Ok(lock(&self.inner.live)
            .profile
            .suppressed_ids(&self.inner.tax))
    }

    /// Traits inferred on the phone, each with its reason. Empty unless consent
    /// is personalised.
    pub fn traits(&self) -> Result<Vec<InferredTrait>> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let mut live = lock(&inner.live);
        let now = live.now(&*inner.clock);
        if live.consent != Consent::Personalised {
            return Ok(Vec::new());
        }
        Ok(live
            .profile
            .traits(&inner.cfg, &inner.rules, &inner.tax, now))
    }

    /// Remove a trait (by its id, e.g. `spending_tier`) and its evidence, and stop
    /// inferring it. Persisted before returning.
    pub fn remove_trait(&self, trait_id: &str) -> Result<()> {
        let _open = self.check_open()?;
        let known =
            self.mutate_durably(|live, _| live.profile.remove_trait(&self.inner.rules, trait_id))?;
        if known {
            Ok(())
        } else {
            Err(Error::InvalidArgument {
                name: "trait_id",
                reason: format!(
                    "no trait {:?}",
                    crate::taxonomy::truncate_for_error(trait_id)
                ),
            })
        }
    }

    /// Let a removed trait be inferred again. Returns whether it was removed.
    pub fn allow_trait(&self, trait_id: &str) -> Result<bool> {
        let _open = self.check_open()?;
        self.mutate_durably(|live, _| live.profile.allow_trait(trait_id))
    }

    /// The current consent.
    pub fn consent(&self) -> Result<Consent> {
        let _open = self.check_open()?;
        Ok(lock(&self.inner.live).consent)
    }

    /// Change consent. [`Consent::Off`] erases the profile and traits.
    /// Persisted before returning.
    pub fn set_consent(&self, consent: Consent) -> Result<()> {
        let _open = self.check_open()?;
        self.mutate_durably(|live, _| {
            live.consent = consent;
            if consent == Consent::Off {
                live.profile = Profile::new();
                live.ads.clear();
            }
        })
    }

    /// Erase everything on disk and in memory; the engine stays open with a fresh
    /// state and the default consent.
    pub fn reset(&self) -> Result<()> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        // Lock order, as everywhere: writer, ledger, state (`close_periods`
        // holds the ledger while it reads the state).
        let _w = lock(&inner.write_lock);
        let mut ledger = lock(&inner.ledger);
        let mut live = lock(&inner.live);
        inner.store.remove(STATE_RECORD)?;
        let now = live.now(&*inner.clock);
        let generation = live.generation + 1;
        let mut ads = std::mem::take(&mut live.ads);
        ads.clear();
        {
            // The budget ledger survives (spending is never refunded); the
            // payloads derived from the user's data go.
            let mut next = ledger.clone();
            next.reports.clear();
            if next.spends.is_empty() && next.last_closed_day.is_none() {
                inner.store.remove(crate::report::REPORTS_RECORD)?;
            } else {
                inner.save_ledger(&next)?;
            }
            *ledger = next;
        }
        *live = Live::fresh(inner.default_consent, now, generation, ads);
        Ok(())
    }

    /// All stored user data as pretty JSON, for data-portability requests.
    pub fn export(&self) -> Result<String> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let mut live = lock(&inner.live);
        let now = live.now(&*inner.clock);
        let snap = live.profile.snapshot(&inner.tax);
        let doc = serde_json::json!({
            "format": "hearth-export/1",
            "exported_at_ms": now,
            "consent": live.consent,
            "taxonomy_version": inner.tax.version(),
            "created_at_ms": live.created_at,
            "events_recorded": live.events_recorded,
            "interests": live.profile.interests(&inner.tax, &inner.cfg, now),
            "traits": live.profile.traits(&inner.cfg, &inner.rules, &inner.tax, now),
            "stored": {
                "topics": snap.topics,
                "suppressed_topics": snap.suppressed,
                "purchases": snap.purchases,
                "trait_evidence": snap.trait_evidence,
                "removed_traits": snap.removed_traits,
            },
        });
        serde_json::to_string_pretty(&doc).map_err(|e| Error::Export(e.to_string()))
    }

    /// Status for diagnostics and status screens.
    pub fn status(&self) -> Result<EngineStatus> {
        let _open = self.check_open()?;
        let inner = &*self.inner;
        let state_bytes = inner.store.file_len(STATE_RECORD)?.unwrap_or(0);
        let (catalog, load_error) = {
            let slot = lock(&inner.catalog);
            (slot.active.clone(), slot.load_error.clone())
        };
        let mut live = lock(&inner.live);
        let now = live.now(&*inner.clock);
        let selection_blocked = match (&catalog, load_error) {
            (_, _) if live.consent == Consent::Off => Some("consent is off".to_string()),
            (None, Some(e)) => Some(format!("the stored catalog could not be loaded: {e}")),
            (None, None) => Some("no catalog is installed".to_string()),
            (Some(c), _) if c.header.expires_at_ms <= now => Some(format!(
                "the catalog expired at {} (Unix ms); install a newer one",
                c.header.expires_at_ms
            )),
            _ => None,
        };
        let catalog = catalog.map(|c| CatalogStatus {
            version: c.header.catalog_version,
            created_at_ms: c.header.created_at_ms,
            expires_at_ms: c.header.expires_at_ms,
            key_id: crate::catalog::bundle::hex(&c.header.key_id),
            region: c.catalog.region.clone(),
            campaigns: u32::try_from(c.catalog.campaigns.len()).unwrap_or(u32::MAX),
            creatives: u32::try_from(c.index.creatives).unwrap_or(u32::MAX),
            bundle_bytes: c.bundle_len() as u64,
        });
        Ok(EngineStatus {
            catalog,
            selection_ready: selection_blocked.is_none(),
            selection_blocked,
            consent: live.consent,
            topics: u32::try_from(live.profile.len()).unwrap_or(u32::MAX),
            events_recorded: live.events_recorded,
            unsaved_changes: live.generation != live.saved_generation,
            last_write_error: live.last_write_error.clone(),
            state_bytes,
            taxonomy_version: inner.tax.version().to_string(),
        })
    }

    /// Write everything recorded so far to disk before returning.
    pub fn flush(&self) -> Result<()> {
        let _open = self.check_open()?;
        self.inner.persist()
    }

    /// Flush, stop the background writer and release the directory. Further
    /// calls fail with [`Error::Closed`]. Calling it twice is harmless.
    pub fn close(&self) -> Result<()> {
        // Wait for the calls in flight; later ones see `closed`.
        let _exclusive = self
            .inner
            .gate
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        {
            let mut sig = lock(&self.inner.signal);
            sig.closing = true;
            self.inner.cv.notify_all();
        }
        if let Some(h) = lock(&self.flusher).take() {
            let _ = h.join();
        }
        let result = self.inner.persist();
        lock(&OPEN_DIRS).remove(&self.inner.dir_key);
        result
    }

    fn mutate_durably<R>(&self, f: impl FnOnce(&mut Live, &Taxonomy) -> R) -> Result<R> {
        let r = {
            let mut live = lock(&self.inner.live);
            let r = f(&mut live, &self.inner.tax);
            live.touch();
            r
        };
        self.inner.persist()?;
        Ok(r)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl Inner {
    fn save_ledger(&self, ledger: &crate::report::Ledger) -> Result<()> {
        let bytes = postcard::to_stdvec(ledger).map_err(|e| Error::Export(e.to_string()))?;
        self.store.save(
            crate::report::REPORTS_RECORD,
            crate::report::REPORTS_SCHEMA,
            &bytes,
        )
    }

    fn mark_dirty(&self) {
        if !self.dirty_hint.swap(true, Ordering::AcqRel) {
            let mut sig = lock(&self.signal);
            sig.dirty = true;
            self.cv.notify_all();
        }
    }

    /// Write the current state if it changed since the last write.
    fn persist(&self) -> Result<()> {
        let _w = lock(&self.write_lock);
        let (generation, bytes) = {
            let mut live = lock(&self.live);
            if live.generation == live.saved_generation {
                return Ok(());
            }
            let now = live.now(&*self.clock);
            live.profile.prune(&self.cfg, now);
            live.ads.prune(now);
            let persisted = PersistedState {
                ads: live.ads.snapshot().clone(),
                consent: live.consent,
                taxonomy_version: self.tax.version().to_string(),
                high_water_ms: live.high_water,
                created_at: live.created_at,
                events_recorded: live.events_recorded,
                profile: live.profile.snapshot(&self.tax),
            };
            (live.generation, state::encode(&persisted)?)
        };
        let result = self.store.save(STATE_RECORD, SCHEMA_VERSION, &bytes);
        let mut live = lock(&self.live);
        match &result {
            Ok(()) => {
                live.saved_generation = live.saved_generation.max(generation);
                live.last_write_error = None;
            }
            Err(e) => live.last_write_error = Some(e.to_string()),
        }
        result
    }

    fn writer_loop(&self) {
        loop {
            let mut sig = lock(&self.signal);
            while !sig.dirty && !sig.closing {
                sig = self.cv.wait(sig).unwrap_or_else(PoisonError::into_inner);
            }
            if sig.closing {
                return;
            }
            sig.dirty = false;
            // Batch: let more changes arrive, but wake at once for close.
            let deadline = Instant::now() + self.flush_interval;
            while !sig.closing {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                sig = self
                    .cv
                    .wait_timeout(sig, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            let closing = sig.closing;
            drop(sig);
            if closing {
                return; // close() persists on its own thread
            }
            self.dirty_hint.store(false, Ordering::Release);
            if self.persist().is_err() {
                // Keep the change pending; try again after another interval.
                self.dirty_hint.store(true, Ordering::Release);
                lock(&self.signal).dirty = true;
            }
        }
    }
}

/// The creative set an ad came from, in the active catalog: by position when
/// the catalog version matches, otherwise by id.
fn find_set<'a>(
    cat: &'a InstalledCatalog,
    ad: &AdRef,
) -> Option<&'a crate::catalog::model::CreativeSet<crate::catalog::model::CreativeSpan>> {
    let by_pos = (ad.catalog_version == cat.header.catalog_version)
        .then(|| cat.index.sets.get(ad.set_pos as usize))
        .flatten()
        .and_then(|e| {
            cat.catalog
                .campaigns
                .get(e.campaign as usize)?
                .creative_sets
                .get(e.set as usize)
        })
        .filter(|s| s.id == ad.set_id);
    by_pos.or_else(|| {
        cat.catalog
            .campaigns
            .iter()
            .filter(|c| c.id == ad.campaign_id)
            .flat_map(|c| &c.creative_sets)
            .find(|s| s.id == ad.set_id)
    })
}

/// Include topic ids (non-sensitive) and embedding of an ad's creative set.
fn set_topics(
    cat: &InstalledCatalog,
    tax: &Taxonomy,
    ad: &AdRef,
) -> Option<(Vec<String>, Vec<i8>)> {
    let set = find_set(cat, ad)?;
    let topics = set
        .include_topics
        .iter()
        .filter(|t| tax.idx(&t.topic).is_ok_and(|i| !tax.is_sensitive(i)))
        .map(|t| t.topic.clone())
        .collect();
    Some((topics, set.embedding.clone()))
}

/// Load the stored catalog at open. A stored catalog that no longer verifies
/// (for example its key was removed from the trusted list) is not an open error:
/// the engine opens without it and [`Engine::status`] says why.
fn load_catalog(
    store: &Store,
    trusted: &[PublicKey],
    max: usize,
    tax: &Taxonomy,
) -> Result<CatalogSlot> {
    let Some(rec) = store.load(CATALOG_RECORD)? else {
        return Ok(CatalogSlot::default());
    };
    let installed_version = crate::catalog::bundle::parse_header(&rec.payload)
        .ok()
        .map(|(h, _)| h.catalog_version);
    Ok(
        match InstalledCatalog::verify_and_load(rec.payload, trusted, max, tax) {
            Ok(c) => CatalogSlot {
                active: Some(Arc::new(c)),
                installed_version,
                load_error: None,
            },
            Err(e) => CatalogSlot {
                active: None,
                installed_version,
                load_error: Some(e.to_string()),
            },
        },
    )
}

fn random_bytes() -> Result<[u8; 32]> {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| Error::InvalidArgument {
            name: "rng",
            reason: "the system random number generator failed".into(),
        })?;
    Ok(b)
}

fn canonical(dir: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(dir).map_err(|source| Error::StoreIo {
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{DAY_MS, ManualClock};
    use crate::profile::Feedback;

    const T0: Timestamp = 1_750_000_000_000;

    fn key() -> StoreKey {
        StoreKey::from_bytes([7; 32])
    }

    fn open(dir: &Path, clock: &Arc<ManualClock>) -> Engine {
        let mut c = EngineConfig::new(dir, key()).with_clock(clock.clone());
        c.default_consent = Consent::Personalised;
        Engine::open(c).unwrap()
    }

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }

    #[test]
    fn record_then_reopen_restores_profile() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let e = open(dir.path(), &clock);
        e.record(&Event::view(&["483"])).unwrap(); // Sports
        e.close().unwrap();
        assert!(matches!(
            e.record(&Event::view(&["483"])),
            Err(Error::Closed)
        ));
        let e = open(dir.path(), &clock);
        let i = e.interests().unwrap();
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].label, "Sports");
        assert_eq!(i[0].weight, 1.0);
    }

    #[test]
    fn default_consent_collects_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(EngineConfig::new(dir.path(), key())).unwrap();
        assert_eq!(e.consent().unwrap(), Consent::ContextualOnly);
        let o = e.record(&Event::view(&["483"])).unwrap();
        assert_eq!(o.status, RecordStatus::ConsentWithheld);
        assert!(e.interests().unwrap().is_empty());
    }

    #[test]
    fn hide_is_honoured_under_contextual_consent_but_likes_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let e = Engine::open(EngineConfig::new(dir.path(), key())).unwrap();
        let like = e.record(&Event::feedback("483", Feedback::Like)).unwrap();
        assert_eq!(like.status, RecordStatus::ConsentWithheld);
        let hide = e.record(&Event::feedback("483", Feedback::Hide)).unwrap();
        assert_eq!(hide.status, RecordStatus::Recorded);
        assert_eq!(e.suppressed_topics().unwrap(), ["483"]);
        e.set_consent(Consent::Off).unwrap();
        let hide = e.record(&Event::feedback("552", Feedback::Hide)).unwrap();
        assert_eq!(hide.status, RecordStatus::ConsentWithheld);
    }

    #[test]
    fn rank_items_uses_the_profile_only_with_personalised_consent() {
        use crate::rank::{Item, REASON_FRESH, RankOptions};
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let e = open(dir.path(), &clock);
        e.record(&Event::view(&["533"])).unwrap(); // Soccer (rolls up to Sports)
        let item = |id: &str, topic: &str| Item {
            id: id.into(),
            topics: vec![topic.into()],
            ..Item::default()
        };
        let items = [item("stew", "216"), item("match", "533")];
        let r = e.rank_items(&items, &RankOptions::default()).unwrap();
        assert_eq!(r[0].id, "match");
        assert!(r[0].reason.contains("Soccer"), "{}", r[0].reason);
        assert_eq!(r[1].reason, REASON_FRESH);
        e.set_consent(Consent::ContextualOnly).unwrap();
        let r = e.rank_items(&items, &RankOptions::default()).unwrap();
        let ids: Vec<&str> = r.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["stew", "match"], "input order");
        assert!(r.iter().all(|x| x.score == 0.0 && x.reason == REASON_FRESH));
        let bad = RankOptions {
            diversity: 2.0,
            ..RankOptions::default()
        };
        assert!(matches!(
            e.rank_items(&items, &bad),
            Err(Error::InvalidArgument {
                name: "diversity",
                ..
            })
        ));
        e.close().unwrap();
        assert!(matches!(
            e.rank_items(&items, &RankOptions::default()),
            Err(Error::Closed)
        ));
    }

    #[test]
    fn same_directory_cannot_be_opened_twice() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let e = open(dir.path(), &clock);
        let again = Engine::open(EngineConfig::new(dir.path(), key()));
        assert!(matches!(again, Err(Error::AlreadyOpen(_))));
        assert!(matches!(
            Engine::erase_storage(dir.path()),
            Err(Error::AlreadyOpen(_))
        ));
        drop(e);
        let _e = open(dir.path(), &clock);
    }

    #[test]
    fn wrong_key_is_reported_and_erase_storage_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let e = open(dir.path(), &clock);
        e.record(&Event::view(&["483"])).unwrap();
        e.close().unwrap();
        let other = EngineConfig::new(dir.path(), StoreKey::from_bytes([8; 32]));
        assert!(matches!(
            Engine::open(other.clone()),
            Err(Error::StoreWrongKey { .. })
        ));
        Engine::erase_storage(dir.path()).unwrap();
        let e = Engine::open(other).unwrap();
        assert!(e.interests().unwrap().is_empty());
    }

    #[test]
    fn clock_running_backwards_does_not_undo_time() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let e = open(dir.path(), &clock);
        e.record(&Event::view(&["483"])).unwrap();
        clock.set(T0 + 14 * DAY_MS);
        assert!((e.interests().unwrap()[0].weight - 0.5).abs() < 1e-9);
        clock.set(T0 - 365 * DAY_MS);
        assert!((e.interests().unwrap()[0].weight - 0.5).abs() < 1e-9);
        // An event stamped in the future counts as now (the high-water mark).
        e.record(&Event::view(&["483"]).at(T0 + 1000 * DAY_MS))
            .unwrap();
        assert!((e.interests().unwrap()[0].weight - 1.5).abs() < 1e-9);
    }

    #[test]
    fn too_old_events_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let e = open(dir.path(), &clock);
        let o = e
            .record(&Event::view(&["483"]).at(T0 - 91 * DAY_MS))
            .unwrap();
        assert_eq!(o.status, RecordStatus::TooOld);
        let o = e.record(&Event::view(&["483"]).at(i64::MIN)).unwrap();
        assert_eq!(o.status, RecordStatus::TooOld);
        assert!(e.interests().unwrap().is_empty());
    }

    #[test]
    fn background_writer_persists_without_flush() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let mut c = EngineConfig::new(dir.path(), key()).with_clock(clock.clone());
        c.default_consent = Consent::Personalised;
        c.flush_interval_ms = 20;
        let e = Engine::open(c).unwrap();
        e.record(&Event::view(&["483"])).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while e.status().unwrap().unsaved_changes {
            assert!(Instant::now() < deadline, "writer never ran");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(e.status().unwrap().state_bytes > 0);
    }

    #[test]
    fn controls_persist_immediately() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let mut c = EngineConfig::new(dir.path(), key()).with_clock(clock.clone());
        c.default_consent = Consent::Personalised;
        c.flush_interval_ms = MAX_FLUSH_INTERVAL_MS;
        let e = Engine::open(c).unwrap();
        e.record(&Event::view(&["484"])).unwrap(); // Sports/American Football
        e.remove_interest("483").unwrap();
        assert!(!e.status().unwrap().unsaved_changes);
        e.record(&Event::view(&["552"])).unwrap();
        assert!(
            e.status().unwrap().unsaved_changes,
            "views wait for the writer"
        );
        e.record(&Event::feedback("552", Feedback::Like)).unwrap();
        assert!(!e.status().unwrap().unsaved_changes, "feedback is durable");
        assert!(matches!(
            e.remove_trait("nope"),
            Err(Error::InvalidArgument { .. })
        ));
        assert!(matches!(
            e.remove_interest("nope"),
            Err(Error::UnknownTopic(_))
        ));
    }
}
