//! The exported [`Engine`] object: one method per `hearth_core::Engine` call.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::config::EngineConfig;
use crate::error::HearthError;
use crate::offthread;
use crate::types::{
    AdEventKind, AdEventOutcome, AdHistoryEntry, AdRequest, AdResponse, BudgetStatus,
    CatalogStatus, Consent, ContentItem, EngineStatus, Event, InferredTrait, InstallOutcome,
    Interest, PendingReport, RankOptions, RankedItem, RecordOutcome, SentReport, TimedEvent,
};

type Result<T, E = HearthError> = std::result::Result<T, E>;

fn list<T, U: From<T>>(v: Vec<T>) -> Vec<U> {
    v.into_iter().map(U::from).collect()
}

/// The Hearth engine: the local interest model, the signed ad catalog, ad
/// selection, content ranking and the noised aggregate reports, all on the
/// phone. Open one per storage directory and share it: it is thread-safe, and
/// every call may come from any thread.
///
/// Calls are synchronous and short (microseconds to a few milliseconds)
/// except where a method's documentation says "blocking": call those off the
/// main/UI thread, or use their `*Async` variants (Kotlin `suspend`, Swift
/// `async`), which run on a thread of their own. From Kotlin every call also
/// pays a fixed cost in the JNA runtime (tens of microseconds on a phone), so
/// prefer `recordBatch` for many events at once.
///
/// Closing: Kotlin's `close()` (from `AutoCloseable`, so `use { }` works) and
/// dropping the last Swift reference release the engine, which writes what is
/// unsaved and frees the directory. `close()` in Swift (`shutdown()` in
/// Kotlin) does the same explicitly and reports a failed final write; every
/// later call then throws `HearthError.Closed`.
#[derive(Debug, uniffi::Object)]
pub struct Engine {
    inner: hearth_core::Engine,
}

impl Engine {
    /// The wrapped core engine (for Rust callers of this crate, e.g. benchmarks).
    pub fn core(&self) -> &hearth_core::Engine {
        &self.inner
    }
}

#[uniffi::export]
impl Engine {
    /// Open (or create) the engine's encrypted state in `config.storage_dir`.
    ///
    /// Throws `InvalidArgument` (key not 32 bytes, a trusted key not 32
    /// bytes), `InvalidConfig` (a limit out of range), `AlreadyOpen` (another
    /// engine in this process has the directory), or, if the stored state
    /// cannot be read, `StoreWrongKey`, `StoreTampered`, `StoreCorrupted`,
    /// `StoreTruncated`, `StoreUnsupportedVersion`; after those the app may
    /// call `eraseStorage(dir)` and open again with an empty state. Blocking
    /// (reads and decrypts the state, typically well under a millisecond).
    #[uniffi::constructor]
    pub fn open(config: EngineConfig) -> Result<Arc<Self>> {
        let config = hearth_core::EngineConfig::try_from(config)?;
        Ok(Arc::new(Self {
            inner: hearth_core::Engine::open(config)?,
        }))
    }

    /// `open`, with a [`ManualClock`] instead of the system clock: for demos and
    /// tests that let simulated days pass (a day's report closes at the next UTC
    /// midnight of this clock). Production apps use `open`.
    #[uniffi::constructor]
    pub fn open_with_clock(config: EngineConfig, clock: Arc<ManualClock>) -> Result<Arc<Self>> {
        let config = hearth_core::EngineConfig::try_from(config)?.with_clock(clock.core());
        Ok(Arc::new(Self {
            inner: hearth_core::Engine::open(config)?,
        }))
    }

    // ---- profile ---------------------------------------------------------

    /// Record one thing the user did, now. Returns whether it was applied
    /// (`false`: not collected because consent is not `Personalised`);
    /// `recordBatch` returns the detailed `RecordOutcome` of each event (topics
    /// updated, sensitive and suppressed topics dropped).
    ///
    /// Nothing is collected unless consent is `Personalised` (a topic hide is
    /// honoured under `ContextualOnly` too). Throws `UnknownTopic` for a topic
    /// id the taxonomy lacks and `InvalidArgument` for out-of-range fields; the
    /// profile is then unchanged. Fast (about a microsecond in Rust, plus the
    /// foreign call): kept in memory and persisted by a background writer
    /// within `flushIntervalMs`; feedback is persisted before returning. For
    /// something that happened earlier, `recordAt`; for many events,
    /// `recordBatch`.
    ///
    /// The plain `Boolean`/`Bool` result (and no optional time argument) is
    /// deliberate: from Kotlin every record or optional crossing the boundary
    /// costs JNA another native round trip, and `record` is the hottest call.
    pub fn record(&self, event: Event) -> Result<bool> {
        Ok(applied(&self.inner.record(&event.into_core(None))?))
    }

    /// `record`, for something that happened at `at_ms` (Unix ms): future
    /// times count as now; events older than 90 days are not applied
    /// (`false`; `RecordStatus.TooOld` in `recordBatch`).
    pub fn record_at(&self, event: Event, at_ms: i64) -> Result<bool> {
        Ok(applied(&self.inner.record(&event.into_core(Some(at_ms)))?))
    }

    /// Record several events in one call across the boundary: the same as
    /// calling `record` for each, in order, but paying the foreign-call
    /// overhead (tens of microseconds from Kotlin through JNA) once. Use it to
    /// flush events the app buffered. Stops at the first event that fails and
    /// throws its error: the events before it are recorded, the rest are not.
    /// Returns one outcome per event.
    pub fn record_batch(&self, events: Vec<TimedEvent>) -> Result<Vec<RecordOutcome>> {
        events
            .into_iter()
            .map(|e| Ok(self.inner.record(&e.event.into_core(e.at_ms))?.into()))
            .collect()
    }

    /// The user's interests, heaviest first, each with its reason. Empty when
    /// consent is off.
    pub fn interests(&self) -> Result<Vec<Interest>> {
        Ok(list(self.inner.interests()?))
    }

    /// Remove an interest and keep it (and its subtopics) out of the profile
    /// until `allowInterest`. Throws `UnknownTopic`. Persisted before returning.
    pub fn remove_interest(&self, topic_id: String) -> Result<()> {
        Ok(self.inner.remove_interest(&topic_id)?)
    }

    /// Undo a hide or a removal: the topic may be learned again. Returns whether
    /// it was suppressed. Throws `UnknownTopic`. Persisted before returning.
    pub fn allow_interest(&self, topic_id: String) -> Result<bool> {
        Ok(self.inner.allow_interest(&topic_id)?)
    }

    /// Ids of the topics the user hid or removed.
    pub fn suppressed_topics(&self) -> Result<Vec<String>> {
        Ok(self.inner.suppressed_topics()?)
    }

    /// Traits inferred on the phone (spending tier, life events), each with its
    /// reason. Empty unless consent is `Personalised`.
    pub fn traits(&self) -> Result<Vec<InferredTrait>> {
        Ok(list(self.inner.traits()?))
    }

    /// Remove a trait by its id (e.g. `spending_tier`) with its evidence, and
    /// stop inferring it. Throws `InvalidArgument` for an unknown trait id.
    /// Persisted before returning.
    pub fn remove_trait(&self, trait_id: String) -> Result<()> {
        Ok(self.inner.remove_trait(&trait_id)?)
    }

    /// Let a removed trait be inferred again. Returns whether it was removed.
    /// Persisted before returning.
    pub fn allow_trait(&self, trait_id: String) -> Result<bool> {
        Ok(self.inner.allow_trait(&trait_id)?)
    }

    /// The current consent.
    pub fn consent(&self) -> Result<Consent> {
        Ok(self.inner.consent()?.into())
    }

    /// Change consent. `Off` erases the profile, the traits and the ad
    /// history. Persisted before returning.
    pub fn set_consent(&self, consent: Consent) -> Result<()> {
        Ok(self.inner.set_consent(consent.into())?)
    }

    /// Forget everything: erase all user data on disk and in memory. The engine
    /// stays open with a fresh state and the default consent; the installed
    /// catalog and the privacy-budget ledger stay.
    pub fn reset(&self) -> Result<()> {
        Ok(self.inner.reset()?)
    }

    /// All stored user data as pretty JSON (format `hearth-export/1`), for
    /// data-portability requests.
    pub fn export(&self) -> Result<String> {
        Ok(self.inner.export()?)
    }

    // ---- catalog and ads -------------------------------------------------

    /// Verify and install a signed catalog bundle (the bytes the app
    /// downloaded; the SDK does no networking).
    ///
    /// Checks size, framing, signature (against `trustedKeys`), version (same
    /// version: `AlreadyInstalled`; older: `CatalogDowngrade`), expiry,
    /// taxonomy and structure; each failure is its own `Catalog*` error and
    /// leaves the previous catalog active. **Blocking** (about 10 ms per
    /// 10,000 creatives, plus an fsynced write): call it off the main thread.
    pub fn install_catalog(&self, bundle: Vec<u8>) -> Result<InstallOutcome> {
        Ok(self.inner.install_catalog(bundle)?.into())
    }

    /// `installCatalog` as a Kotlin `suspend` / Swift `async` function: the
    /// work runs on a thread of its own, so the caller's thread (UI thread,
    /// coroutine dispatcher, Swift cooperative pool) is never blocked.
    /// Same result and errors.
    pub async fn install_catalog_async(self: Arc<Self>, bundle: Vec<u8>) -> Result<InstallOutcome> {
        offthread::run(move || self.install_catalog(bundle)).await
    }

    /// The installed catalog, if one is installed and verified.
    pub fn catalog(&self) -> Result<Option<CatalogStatus>> {
        Ok(self.inner.catalog()?.as_deref().map(CatalogStatus::from))
    }

    /// Choose ads for a screen, on the phone, from the installed catalog, the
    /// profile (under `Personalised` consent) and the local ad history.
    ///
    /// Each choice carries the creative, "why this ad" and a token for
    /// `recordAdEvent`. No ads is not an error: `noFill` says why. Throws
    /// `InvalidArgument` (empty or long placement id, 0 or too many slots,
    /// over-long text) and `UnknownTopic` (context topics).
    pub fn select_ads(&self, request: AdRequest) -> Result<AdResponse> {
        Ok(self.inner.select_ads(&request.into())?.into())
    }

    /// Record what happened to a chosen ad, by its token: report the
    /// `Impression` when the ad is actually on screen, then clicks, dismissals,
    /// likes, dislikes, hides. Each kind counts at most once per token
    /// (`counted: false` for a repeat). Throws `InvalidAdToken` for a token
    /// this engine did not issue and `AdTokenExpired` for a stale one.
    pub fn record_ad_event(&self, token: String, kind: AdEventKind) -> Result<AdEventOutcome> {
        Ok(self.inner.record_ad_event(&token, kind.into())?.into())
    }

    /// The user visited `url` (at most 2,048 bytes): attribute a conversion to
    /// the most recent ad whose conversion URL pattern matches and whose window
    /// is open. Returns whether one was attributed. The URL is not stored.
    pub fn record_conversion_url(&self, url: String) -> Result<bool> {
        Ok(self.inner.record_conversion_url(&url)?)
    }

    /// The ads shown in the last 30 days, newest first, with the user's
    /// reactions (for an "ads you've seen" screen).
    pub fn ad_history(&self) -> Result<Vec<AdHistoryEntry>> {
        Ok(list(self.inner.ad_history()?))
    }

    /// Ids of the advertisers the user hid.
    pub fn hidden_advertisers(&self) -> Result<Vec<String>> {
        Ok(self.inner.hidden_advertisers()?)
    }

    /// Show a hidden advertiser's ads again. Returns whether it was hidden.
    /// Persisted before returning.
    pub fn unhide_advertiser(&self, advertiser_id: String) -> Result<bool> {
        Ok(self.inner.unhide_advertiser(&advertiser_id)?)
    }

    // ---- content ranking -----------------------------------------------------

    /// Rank the app's own content items for this user, best first, each with
    /// a score and a reason. Uses the interest profile only under
    /// `Personalised` consent; otherwise items are ordered by freshness, then
    /// by the app's order. Deterministic; nothing is learned or stored. Throws
    /// `InvalidArgument` (more than 10,000 items, empty, long or duplicate
    /// ids, too many topics, bad embeddings or options) and `UnknownTopic`.
    /// About 0.2 ms per 1,000 items.
    #[uniffi::method(default(options))]
    pub fn rank_items(
        &self,
        items: Vec<ContentItem>,
        options: RankOptions,
    ) -> Result<Vec<RankedItem>> {
        let items: Vec<hearth_core::rank::Item> = list(items);
        Ok(list(self.inner.rank_items(&items, &options.into())?))
    }

    // ---- reports -----------------------------------------------------------

    /// Noised aggregate reports waiting for upload, closing any report period
    /// (UTC day) that ended first. The same payload comes back on every call
    /// until `acknowledge(handle)`; upload each `payload` as is. **Blocking**
    /// (may write a file): call it from a background job, e.g. daily.
    pub fn pending_reports(&self) -> Result<Vec<PendingReport>> {
        Ok(list(self.inner.pending_reports()?))
    }

    /// `pendingReports` as a Kotlin `suspend` / Swift `async` function, on a
    /// thread of its own (never blocks the caller's thread). Same result and
    /// errors.
    pub async fn pending_reports_async(self: Arc<Self>) -> Result<Vec<PendingReport>> {
        offthread::run(move || self.pending_reports()).await
    }

    /// Mark a report as uploaded. Returns false if the handle is unknown or was
    /// already acknowledged. Persisted before returning.
    pub fn acknowledge(&self, handle: u64) -> Result<bool> {
        Ok(self.inner.acknowledge(handle)?)
    }

    /// Every payload produced in the last 30 days (and any still pending),
    /// newest first: the transparency log for the user and for auditors.
    pub fn sent_reports(&self) -> Result<Vec<SentReport>> {
        Ok(list(self.inner.sent_reports()?))
    }

    /// The privacy budget: ε per metric per period, the 7-period cap, and what
    /// the last 7 periods spent.
    pub fn privacy_budget(&self) -> Result<BudgetStatus> {
        Ok(self.inner.privacy_budget()?.into())
    }

    // ---- lifecycle -----------------------------------------------------------

    /// A snapshot of the engine's condition, for status screens.
    pub fn status(&self) -> Result<EngineStatus> {
        Ok(self.inner.status()?.into())
    }

    /// Write everything recorded so far to disk before returning (e.g. when
    /// the app goes to the background). Blocking (one fsynced write).
    pub fn flush(&self) -> Result<()> {
        Ok(self.inner.flush()?)
    }

    /// Flush, stop the background writer and release the storage directory.
    /// Every later call throws `Closed`; calling it twice is harmless. (Named
    /// `shutdown()` in Kotlin, where `close()` is `AutoCloseable`'s: that one
    /// releases the object and closes the engine too, without reporting a
    /// failed final write.)
    pub fn close(&self) -> Result<()> {
        Ok(self.inner.close()?)
    }
}

/// Delete every Hearth file in `storage_dir` without needing the key: the way
/// out after `Engine.open` throws `StoreWrongKey`, `StoreTampered`,
/// `StoreCorrupted`, `StoreTruncated` or `StoreUnsupportedVersion`. Throws
/// `AlreadyOpen` while an engine in this process has the directory open.
#[uniffi::export]
pub fn erase_storage(storage_dir: String) -> Result<()> {
    Ok(hearth_core::Engine::erase_storage(storage_dir)?)
}

/// Whether a recorded event changed the profile (its status is `Recorded`).
fn applied(o: &hearth_core::profile::RecordOutcome) -> bool {
    o.status == hearth_core::profile::RecordStatus::Recorded
}
