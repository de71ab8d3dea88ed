//! Records and enums crossing the boundary, each mirroring a `hearth-core` type,
//! with plain field-by-field conversions (`From`). No logic lives here.
//!
//! Kotlin sees records as `data class`es (immutable, with defaults where noted)
//! and enums with fields as `sealed class`es; Swift sees `struct`s and `enum`s.
//! Times are Unix milliseconds (`*_ms`), money is micros of the app's currency.

use hearth_core::ads as cads;
use hearth_core::catalog::model as cmodel;
use hearth_core::engine as ceng;
use hearth_core::profile as cprof;
use hearth_core::select as csel;

// ---------------------------------------------------------------------------
// consent
// ---------------------------------------------------------------------------

/// What the user agreed to. Ask the user; never assume [`Consent::Personalised`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Consent {
    /// Events build a local profile; ads and rankings use it.
    Personalised,
    /// No profile is built or used; ads use only the screen's context. A profile
    /// built earlier is kept (unused), so switching back restores it.
    ContextualOnly,
    /// Nothing is collected and the profile is erased.
    Off,
}

impl From<hearth_core::state::Consent> for Consent {
    fn from(c: hearth_core::state::Consent) -> Self {
        use hearth_core::state::Consent as C;
        match c {
            C::Personalised => Self::Personalised,
            C::ContextualOnly => Self::ContextualOnly,
            C::Off => Self::Off,
        }
    }
}

impl From<Consent> for hearth_core::state::Consent {
    fn from(c: Consent) -> Self {
        match c {
            Consent::Personalised => Self::Personalised,
            Consent::ContextualOnly => Self::ContextualOnly,
            Consent::Off => Self::Off,
        }
    }
}

// ---------------------------------------------------------------------------
// profile events
// ---------------------------------------------------------------------------

/// Explicit feedback on a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TopicFeedback {
    /// More of this.
    Like,
    /// Never this: removes and suppresses the topic and its subtopics
    /// (undo with `Engine.allowInterest`).
    Hide,
}

impl From<TopicFeedback> for cprof::Feedback {
    fn from(f: TopicFeedback) -> Self {
        match f {
            TopicFeedback::Like => Self::Like,
            TopicFeedback::Hide => Self::Hide,
        }
    }
}

/// Something the user did in the app, for `Engine.record`. Topic ids are ids
/// of the embedded IAB Content Taxonomy 3.x (e.g. `"483"` = Sports); unknown ids
/// are an error, sensitive topics (health, religion, politics, …) are dropped.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Event {
    /// The user viewed a piece of content.
    ContentView {
        /// Topic ids of the content (at most 32).
        topics: Vec<String>,
        /// Time spent on it, if known; longer dwell counts more.
        #[uniffi(default)]
        dwell_ms: Option<u64>,
    },
    /// The user searched. The text is matched to topics and discarded.
    Search {
        /// The query as typed (at most 2,048 bytes).
        query: String,
        /// Topic ids the app already knows for this search.
        #[uniffi(default)]
        topics: Vec<String>,
    },
    /// The user bought something.
    Purchase {
        /// Topic ids of what was bought.
        topics: Vec<String>,
        /// Price in micros of the app's currency unit (feeds the spending tier).
        #[uniffi(default)]
        value_micros: Option<i64>,
    },
    /// An app-defined event (its name may also be an ad's conversion event).
    Custom {
        /// The event's name (at most 64 bytes; selects its weight; not stored).
        name: String,
        /// Topic ids it relates to.
        #[uniffi(default)]
        topics: Vec<String>,
    },
    /// Explicit feedback on a topic. A hide is honoured even without
    /// personalised consent, and is persisted before the call returns.
    Feedback {
        /// The topic id.
        topic: String,
        /// Like or hide.
        feedback: TopicFeedback,
    },
}

impl Event {
    /// The core event, at `at_ms` (None = now).
    pub(crate) fn into_core(self, at_ms: Option<i64>) -> cprof::Event {
        let data = match self {
            Event::ContentView { topics, dwell_ms } => {
                cprof::EventData::ContentView { topics, dwell_ms }
            }
            Event::Search { query, topics } => cprof::EventData::Search { query, topics },
            Event::Purchase {
                topics,
                value_micros,
            } => cprof::EventData::Purchase {
                topics,
                value_micros,
            },
            Event::Custom { name, topics } => cprof::EventData::Custom { name, topics },
            Event::Feedback { topic, feedback } => cprof::EventData::Feedback {
                topic,
                feedback: feedback.into(),
            },
        };
        cprof::Event { at: at_ms, data }
    }
}

/// An event and when it happened, for `Engine.recordBatch`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TimedEvent {
    /// What happened.
    pub event: Event,
    /// When, Unix ms; `null`/`nil` = now.
    #[uniffi(default)]
    pub at_ms: Option<i64>,
}

/// Whether an event changed the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RecordStatus {
    /// Applied to the profile.
    Recorded,
    /// Not collected: consent is contextual-only or off.
    ConsentWithheld,
    /// Older than the profile's maximum event age (90 days): ignored.
    TooOld,
}

impl From<cprof::RecordStatus> for RecordStatus {
    fn from(s: cprof::RecordStatus) -> Self {
        match s {
            cprof::RecordStatus::Recorded => Self::Recorded,
            cprof::RecordStatus::ConsentWithheld => Self::ConsentWithheld,
            cprof::RecordStatus::TooOld => Self::TooOld,
        }
    }
}

/// What `Engine.record` did with an event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordOutcome {
    /// Whether the event was applied.
    pub status: RecordStatus,
    /// Topics that received weight directly (not counting roll-up to parents).
    pub topics_updated: u32,
    /// Topics dropped because they are sensitive.
    pub sensitive_dropped: u32,
    /// Topics dropped because the user hid or removed them.
    pub suppressed_dropped: u32,
}

impl From<cprof::RecordOutcome> for RecordOutcome {
    fn from(o: cprof::RecordOutcome) -> Self {
        Self {
            status: o.status.into(),
            topics_updated: o.topics_updated,
            sensitive_dropped: o.sensitive_dropped,
            suppressed_dropped: o.suppressed_dropped,
        }
    }
}

// ---------------------------------------------------------------------------
// interests and traits
// ---------------------------------------------------------------------------

/// Counts of the activity behind an interest.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Evidence {
    /// Content views.
    pub views: u32,
    /// Searches.
    pub searches: u32,
    /// Purchases.
    pub purchases: u32,
    /// Custom app events.
    pub custom: u32,
    /// Explicit likes.
    pub likes: u32,
    /// Events on subtopics that rolled up here.
    pub from_subtopics: u32,
}

impl From<cprof::Evidence> for Evidence {
    fn from(e: cprof::Evidence) -> Self {
        Self {
            views: e.views,
            searches: e.searches,
            purchases: e.purchases,
            custom: e.custom,
            likes: e.likes,
            from_subtopics: e.from_subtopics,
        }
    }
}

/// A topic the user is interested in, with the reason (for the "your
/// interests" screen).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Interest {
    /// Topic id (the key for `Engine.removeInterest`).
    pub topic_id: String,
    /// Topic label, e.g. "Soccer".
    pub label: String,
    /// Full path, e.g. "Sports/Soccer".
    pub path: String,
    /// Current (decayed) weight.
    pub weight: f64,
    /// The activity behind it.
    pub why: Evidence,
    /// Most recent activity on the topic, Unix ms.
    pub last_activity_ms: i64,
    /// One sentence for the user.
    pub reason: String,
}

impl From<cprof::Interest> for Interest {
    fn from(i: cprof::Interest) -> Self {
        Self {
            topic_id: i.topic_id,
            label: i.label,
            path: i.path,
            weight: i.weight,
            why: i.why.into(),
            last_activity_ms: i.last_activity,
            reason: i.reason,
        }
    }
}

/// A trait inferred on the phone (spending tier, a life event), with its reason.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InferredTrait {
    /// Stable id (`spending_tier`, `life_event:moving`, …); the key for
    /// `Engine.removeTrait`.
    pub id: String,
    /// The trait's value (`premium`, `active`, …).
    pub value: String,
    /// Label shown to the user.
    pub label: String,
    /// Why it was inferred, for the user.
    pub reason: String,
    /// When the evidence for it was last seen, Unix ms.
    pub since_ms: i64,
}

impl From<cprof::InferredTrait> for InferredTrait {
    fn from(t: cprof::InferredTrait) -> Self {
        Self {
            id: t.id,
            value: t.value,
            label: t.label,
            reason: t.reason,
            since_ms: t.since,
        }
    }
}

// ---------------------------------------------------------------------------
// status and catalog
// ---------------------------------------------------------------------------

/// What [`crate::Engine::install_catalog`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
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

impl From<ceng::InstallOutcome> for InstallOutcome {
    fn from(o: ceng::InstallOutcome) -> Self {
        match o {
            ceng::InstallOutcome::Installed { version } => Self::Installed { version },
            ceng::InstallOutcome::AlreadyInstalled { version } => {
                Self::AlreadyInstalled { version }
            }
        }
    }
}

/// What is known about the installed catalog.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CatalogStatus {
    /// Catalog version.
    pub version: u64,
    /// Creation time, Unix ms.
    pub created_at_ms: i64,
    /// Expiry time, Unix ms.
    pub expires_at_ms: i64,
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

impl From<ceng::CatalogStatus> for CatalogStatus {
    fn from(c: ceng::CatalogStatus) -> Self {
        Self {
            version: c.version,
            created_at_ms: c.created_at_ms,
            expires_at_ms: c.expires_at_ms,
            key_id: c.key_id,
            region: c.region,
            campaigns: c.campaigns,
            creatives: c.creatives,
            bundle_bytes: c.bundle_bytes,
        }
    }
}

impl From<&hearth_core::catalog::InstalledCatalog> for CatalogStatus {
    fn from(c: &hearth_core::catalog::InstalledCatalog) -> Self {
        Self {
            version: c.header.catalog_version,
            created_at_ms: c.header.created_at_ms,
            expires_at_ms: c.header.expires_at_ms,
            key_id: hearth_core::catalog::bundle::hex(&c.header.key_id),
            region: c.catalog.region.clone(),
            campaigns: u32::try_from(c.catalog.campaigns.len()).unwrap_or(u32::MAX),
            creatives: u32::try_from(c.index.creatives).unwrap_or(u32::MAX),
            bundle_bytes: c.bundle_len() as u64,
        }
    }
}

/// A snapshot of the engine's condition, for status screens and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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

impl From<ceng::EngineStatus> for EngineStatus {
    fn from(s: ceng::EngineStatus) -> Self {
        Self {
            consent: s.consent.into(),
            topics: s.topics,
            events_recorded: s.events_recorded,
            unsaved_changes: s.unsaved_changes,
            last_write_error: s.last_write_error,
            state_bytes: s.state_bytes,
            taxonomy_version: s.taxonomy_version,
            catalog: s.catalog.map(Into::into),
            selection_ready: s.selection_ready,
            selection_blocked: s.selection_blocked,
        }
    }
}

// ---------------------------------------------------------------------------
// ad requests and responses
// ---------------------------------------------------------------------------

/// Operating system, for OS-targeted campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Os {
    /// Android.
    Android,
    /// iOS and iPadOS.
    Ios,
}

impl From<Os> for cmodel::Os {
    fn from(o: Os) -> Self {
        match o {
            Os::Android => Self::Android,
            Os::Ios => Self::Ios,
        }
    }
}

/// The kind of a creative (what a placement can show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CreativeKind {
    /// An image banner.
    Banner,
    /// A native ad laid out by the app.
    Native,
    /// A system notification.
    Notification,
    /// A full-screen interstitial.
    Interstitial,
}

impl From<CreativeKind> for cmodel::CreativeKind {
    fn from(k: CreativeKind) -> Self {
        match k {
            CreativeKind::Banner => Self::Banner,
            CreativeKind::Native => Self::Native,
            CreativeKind::Notification => Self::Notification,
            CreativeKind::Interstitial => Self::Interstitial,
        }
    }
}

impl From<cmodel::CreativeKind> for CreativeKind {
    fn from(k: cmodel::CreativeKind) -> Self {
        match k {
            cmodel::CreativeKind::Banner => Self::Banner,
            cmodel::CreativeKind::Native => Self::Native,
            cmodel::CreativeKind::Notification => Self::Notification,
            cmodel::CreativeKind::Interstitial => Self::Interstitial,
        }
    }
}

/// The screen an ad would appear on. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct AdContext {
    /// Topic ids of the screen's content (at most 32).
    #[uniffi(default)]
    pub topics: Vec<String>,
    /// Text of the screen (title, query; at most 2,048 bytes); matched to
    /// topics, not kept.
    #[uniffi(default)]
    pub text: Option<String>,
    /// The user's locale, e.g. `de-DE`.
    #[uniffi(default)]
    pub locale: Option<String>,
    /// Country or subdivision (ISO 3166), e.g. `DE` or `US-CA`.
    #[uniffi(default)]
    pub country: Option<String>,
    /// The app section, e.g. `news`.
    #[uniffi(default)]
    pub app_section: Option<String>,
    /// The OS.
    #[uniffi(default)]
    pub os: Option<Os>,
    /// Creative kinds the placement can show; empty = any.
    #[uniffi(default)]
    pub kinds: Vec<CreativeKind>,
    /// The device's offset from UTC in minutes (for dayparts), within ±14 h.
    #[uniffi(default = 0)]
    pub utc_offset_minutes: i32,
}

impl From<AdContext> for csel::AdContext {
    fn from(c: AdContext) -> Self {
        Self {
            topics: c.topics,
            text: c.text,
            locale: c.locale,
            country: c.country,
            app_section: c.app_section,
            os: c.os.map(Into::into),
            kinds: c.kinds.into_iter().map(Into::into).collect(),
            utc_offset_minutes: c.utc_offset_minutes,
        }
    }
}

/// A request for ads, for `Engine.selectAds`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AdRequest {
    /// The app's placement id (1..=64 bytes).
    pub placement_id: String,
    /// How many ads (1..=`EngineLimits.maxSlots`, default limit 10).
    #[uniffi(default = 1)]
    pub slots: u32,
    /// The screen.
    #[uniffi(default)]
    pub context: AdContext,
    /// Ids of items the user engaged with recently, most recent first (at
    /// most 200, each 1..=256 bytes): the app's own history. With a content
    /// model in the active catalog and personalised consent, ad sets whose
    /// item ids the model links to them score higher. Never stored, never sent.
    #[uniffi(default)]
    pub recent_item_ids: Vec<String>,
}

impl From<AdRequest> for csel::AdRequest {
    fn from(r: AdRequest) -> Self {
        Self {
            placement_id: r.placement_id,
            slots: r.slots,
            context: r.context.into(),
            recent_item_ids: r.recent_item_ids,
        }
    }
}

/// One ad's content, to render.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Creative {
    /// Creative id.
    pub id: String,
    /// Kind.
    pub kind: CreativeKind,
    /// Headline.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Image URL (https), if any.
    pub image_url: Option<String>,
    /// Where a click goes (https).
    pub click_url: String,
    /// Button text.
    pub call_to_action: String,
}

impl From<cmodel::Creative> for Creative {
    fn from(c: cmodel::Creative) -> Self {
        Self {
            id: c.id,
            kind: c.kind.into(),
            title: c.title,
            body: c.body,
            image_url: c.image_url,
            click_url: c.click_url,
            call_to_action: c.call_to_action,
        }
    }
}

/// Why an ad was chosen, as a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Basis {
    /// It matches the user's interests (and possibly traits).
    Interests,
    /// It matches the screen's content.
    Context,
    /// It targets no one in particular.
    Untargeted,
    /// Chosen at random among eligible ads, to learn what the user likes.
    Exploration,
}

impl From<csel::Basis> for Basis {
    fn from(b: csel::Basis) -> Self {
        match b {
            csel::Basis::Interests => Self::Interests,
            csel::Basis::Context => Self::Context,
            csel::Basis::Untargeted => Self::Untargeted,
            csel::Basis::Exploration => Self::Exploration,
        }
    }
}

/// One of the user's interests that made an ad eligible.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MatchedInterest {
    /// Topic id.
    pub topic_id: String,
    /// Topic label.
    pub label: String,
    /// The user's current weight on it.
    pub weight: f64,
}

impl From<csel::MatchedInterest> for MatchedInterest {
    fn from(m: csel::MatchedInterest) -> Self {
        Self {
            topic_id: m.topic_id,
            label: m.label,
            weight: m.weight,
        }
    }
}

/// "Why am I seeing this ad?"
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WhyThisAd {
    /// The main reason.
    pub basis: Basis,
    /// The user's interests the ad targets, heaviest first.
    pub interests: Vec<MatchedInterest>,
    /// Labels of the user's traits the ad targets.
    pub traits: Vec<String>,
    /// Labels of the screen's topics the ad targets.
    pub page_topics: Vec<String>,
    /// One or two sentences for the user.
    pub text: String,
}

impl From<csel::WhyThisAd> for WhyThisAd {
    fn from(w: csel::WhyThisAd) -> Self {
        Self {
            basis: w.basis.into(),
            interests: w.interests.into_iter().map(Into::into).collect(),
            traits: w.traits,
            page_topics: w.page_topics,
            text: w.text,
        }
    }
}

/// One ad chosen for a request.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AdChoice {
    /// Opaque token for `Engine.recordAdEvent` (impression, click, …).
    pub token: String,
    /// Campaign id.
    pub campaign_id: String,
    /// Creative set id.
    pub creative_set_id: String,
    /// Advertiser id (for `Engine.unhideAdvertiser`).
    pub advertiser_id: String,
    /// Advertiser name (for "Ad by …" and "hide ads from …").
    pub advertiser_name: String,
    /// The creative to show.
    pub creative: Creative,
    /// Expected value (value micros × predicted engagement).
    pub score: f64,
    /// Predicted engagement probability.
    pub engagement: f64,
    /// Why this ad.
    pub why: WhyThisAd,
}

impl From<csel::AdChoice> for AdChoice {
    fn from(c: csel::AdChoice) -> Self {
        Self {
            token: c.token,
            campaign_id: c.campaign_id,
            creative_set_id: c.creative_set_id,
            advertiser_id: c.advertiser_id,
            advertiser_name: c.advertiser_name,
            creative: c.creative.into(),
            score: c.score,
            engagement: c.engagement,
            why: c.why.into(),
        }
    }
}

/// Why a request got no ads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoFill {
    /// Consent is off.
    ConsentOff,
    /// No catalog is installed (or the stored one no longer verifies).
    NoCatalog,
    /// The installed catalog has expired.
    CatalogExpired,
    /// The hourly limit of impressions is reached.
    HourlyLimit,
    /// The daily limit of impressions is reached.
    DailyLimit,
    /// The last ad was shown too recently.
    TooSoon {
        /// Milliseconds until an ad may be shown.
        retry_after_ms: i64,
    },
    /// Nothing in the catalog is eligible for this request.
    NoEligibleAd,
}

impl From<csel::NoFill> for NoFill {
    fn from(n: csel::NoFill) -> Self {
        match n {
            csel::NoFill::ConsentOff => Self::ConsentOff,
            csel::NoFill::NoCatalog => Self::NoCatalog,
            csel::NoFill::CatalogExpired => Self::CatalogExpired,
            csel::NoFill::HourlyLimit => Self::HourlyLimit,
            csel::NoFill::DailyLimit => Self::DailyLimit,
            csel::NoFill::TooSoon { retry_after_ms } => Self::TooSoon { retry_after_ms },
            csel::NoFill::NoEligibleAd => Self::NoEligibleAd,
        }
    }
}

/// The answer to an ad request.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AdResponse {
    /// The chosen ads, in slot order (at most the slots asked for; possibly none).
    pub choices: Vec<AdChoice>,
    /// Why there are none, when there are none.
    pub no_fill: Option<NoFill>,
}

impl From<csel::AdResponse> for AdResponse {
    fn from(r: csel::AdResponse) -> Self {
        Self {
            choices: r.choices.into_iter().map(Into::into).collect(),
            no_fill: r.no_fill.map(Into::into),
        }
    }
}

// ---------------------------------------------------------------------------
// ad events and history
// ---------------------------------------------------------------------------

/// What the user (or the app on their behalf) did with a chosen ad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum AdEventKind {
    /// The ad was shown.
    Impression,
    /// The user tapped it.
    Click,
    /// The user closed it.
    Dismiss,
    /// The advertiser's goal happened (see the creative set's conversion spec).
    Conversion,
    /// The user liked it: more like this.
    Like,
    /// The user disliked it: not this ad again.
    Dislike,
    /// The user hid the advertiser: no ads from them again.
    Hide,
}

impl From<AdEventKind> for cads::AdEventKind {
    fn from(k: AdEventKind) -> Self {
        match k {
            AdEventKind::Impression => Self::Impression,
            AdEventKind::Click => Self::Click,
            AdEventKind::Dismiss => Self::Dismiss,
            AdEventKind::Conversion => Self::Conversion,
            AdEventKind::Like => Self::Like,
            AdEventKind::Dislike => Self::Dislike,
            AdEventKind::Hide => Self::Hide,
        }
    }
}

impl From<cads::AdEventKind> for AdEventKind {
    fn from(k: cads::AdEventKind) -> Self {
        match k {
            cads::AdEventKind::Impression => Self::Impression,
            cads::AdEventKind::Click => Self::Click,
            cads::AdEventKind::Dismiss => Self::Dismiss,
            cads::AdEventKind::Conversion => Self::Conversion,
            cads::AdEventKind::Like => Self::Like,
            cads::AdEventKind::Dislike => Self::Dislike,
            cads::AdEventKind::Hide => Self::Hide,
        }
    }
}

/// Which ad a token refers to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AdInfo {
    /// Campaign id.
    pub campaign_id: String,
    /// Creative set id.
    pub creative_set_id: String,
    /// Creative id.
    pub creative_id: String,
    /// Advertiser id.
    pub advertiser_id: String,
    /// The creative's title.
    pub title: String,
    /// Version of the catalog the ad came from.
    pub catalog_version: u64,
}

impl From<cads::AdRef> for AdInfo {
    fn from(a: cads::AdRef) -> Self {
        Self {
            campaign_id: a.campaign_id,
            creative_set_id: a.set_id,
            creative_id: a.creative_id,
            advertiser_id: a.advertiser_id,
            title: a.title,
            catalog_version: a.catalog_version,
        }
    }
}

/// What `Engine.recordAdEvent` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AdEventOutcome {
    /// False if this kind was already recorded for this token (each kind
    /// counts at most once per token), or consent is off.
    pub counted: bool,
    /// The ad the token refers to.
    pub ad: AdInfo,
}

impl From<cads::AdEventOutcome> for AdEventOutcome {
    fn from(o: cads::AdEventOutcome) -> Self {
        Self {
            counted: o.counted,
            ad: o.ad.into(),
        }
    }
}

/// One shown ad in the user's ad history (last 30 days).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AdHistoryEntry {
    /// When it was shown, Unix ms.
    pub shown_at_ms: i64,
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

impl From<ceng::AdHistoryEntry> for AdHistoryEntry {
    fn from(h: ceng::AdHistoryEntry) -> Self {
        Self {
            shown_at_ms: h.shown_at_ms,
            campaign_id: h.campaign_id,
            creative_id: h.creative_id,
            advertiser_id: h.advertiser_id,
            advertiser_name: h.advertiser_name,
            title: h.title,
            reactions: h.reactions.into_iter().map(Into::into).collect(),
            token: h.token,
        }
    }
}

// ---------------------------------------------------------------------------
// reports
// ---------------------------------------------------------------------------

/// A noised aggregate report waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingReport {
    /// Local handle for `Engine.acknowledge` (never part of the payload).
    pub handle: u64,
    /// The period, `YYYY-MM-DD`.
    pub period: String,
    /// The exact bytes to upload (canonical JSON, UTF-8).
    pub payload: String,
}

impl From<ceng::PendingReport> for PendingReport {
    fn from(r: ceng::PendingReport) -> Self {
        Self {
            handle: r.handle,
            period: r.period,
            payload: r.payload,
        }
    }
}

/// A payload in the transparency log.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SentReport {
    /// Local handle.
    pub handle: u64,
    /// The period, `YYYY-MM-DD`.
    pub period: String,
    /// When it was produced, Unix ms (local only).
    pub created_at_ms: i64,
    /// When the app acknowledged its upload (None: still pending).
    pub acknowledged_at_ms: Option<i64>,
    /// The exact payload.
    pub payload: String,
}

impl From<ceng::SentReport> for SentReport {
    fn from(r: ceng::SentReport) -> Self {
        Self {
            handle: r.handle,
            period: r.period,
            created_at_ms: r.created_at_ms,
            acknowledged_at_ms: r.acknowledged_at_ms,
            payload: r.payload,
        }
    }
}

/// Privacy budget of one metric.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MetricBudget {
    /// Metric name.
    pub metric: String,
    /// ε spent in the last 7 periods.
    pub spent_last_7_periods: f64,
    /// ε left under the 7-period cap.
    pub remaining: f64,
}

impl From<ceng::MetricBudget> for MetricBudget {
    fn from(m: ceng::MetricBudget) -> Self {
        Self {
            metric: m.metric,
            spent_last_7_periods: m.spent_last_7_periods,
            remaining: m.remaining,
        }
    }
}

/// The privacy budget, for the privacy dashboard.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BudgetStatus {
    /// ε per metric per period.
    pub epsilon_per_metric: f64,
    /// Cap per metric over any 7 periods.
    pub weekly_cap_per_metric: f64,
    /// Per metric.
    pub metrics: Vec<MetricBudget>,
}

impl From<ceng::BudgetStatus> for BudgetStatus {
    fn from(b: ceng::BudgetStatus) -> Self {
        Self {
            epsilon_per_metric: b.epsilon_per_metric,
            weekly_cap_per_metric: b.weekly_cap_per_metric,
            metrics: b.metrics.into_iter().map(Into::into).collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// content ranking
// ---------------------------------------------------------------------------

/// One of the app's own content items (article, video, product) to rank.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ContentItem {
    /// The app's id for the item, 1..=256 bytes, unique within one call.
    pub id: String,
    /// Topic ids of the item (at most 32).
    #[uniffi(default)]
    pub topics: Vec<String>,
    /// Optional embedding (empty = none), at most 256 finite components.
    #[uniffi(default)]
    pub embedding: Vec<f32>,
    /// Publication time, Unix ms; `null`/`nil` = undated.
    #[uniffi(default)]
    pub published_at_ms: Option<i64>,
}

impl From<ContentItem> for hearth_core::rank::Item {
    fn from(i: ContentItem) -> Self {
        Self {
            id: i.id,
            topics: i.topics,
            embedding: i.embedding,
            published_at_ms: i.published_at_ms,
        }
    }
}

/// How to rank. The default: all items, pure relevance, freshness ignored.
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct RankOptions {
    /// Most results to return; 0 = all items.
    #[uniffi(default = 0)]
    pub limit: u32,
    /// Diversity trade-off λ in 0..=1: 0 = pure relevance, 1 = pure novelty
    /// (maximal marginal relevance).
    #[uniffi(default = 0.0)]
    pub diversity: f64,
    /// Half-life of the freshness factor in ms (> 0); `null`/`nil` ignores
    /// publication times.
    #[uniffi(default)]
    pub freshness_half_life_ms: Option<i64>,
    /// Ids of items the user engaged with recently, most recent first (at
    /// most 200, each 1..=256 bytes): the app's own history, used only with
    /// a content model in the active catalog and only under personalised
    /// consent. Never stored, never sent.
    #[uniffi(default)]
    pub recent_item_ids: Vec<String>,
}

impl From<RankOptions> for hearth_core::rank::RankOptions {
    fn from(o: RankOptions) -> Self {
        Self {
            limit: o.limit as usize,
            diversity: o.diversity,
            freshness_half_life_ms: o.freshness_half_life_ms,
            recent_item_ids: o.recent_item_ids,
        }
    }
}

/// A profile topic that contributed to an item's score.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MatchedTopic {
    /// The profile topic's id (for an item topic the user does not follow
    /// itself, the followed ancestor).
    pub topic_id: String,
    /// Its label.
    pub label: String,
    /// Its contribution to the item's relevance.
    pub weight: f64,
}

impl From<hearth_core::rank::MatchedTopic> for MatchedTopic {
    fn from(m: hearth_core::rank::MatchedTopic) -> Self {
        Self {
            topic_id: m.topic_id,
            label: m.label,
            weight: m.weight,
        }
    }
}

/// One ranked item.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RankedItem {
    /// The item's id.
    pub id: String,
    /// Score in 0..=1.5 (topic relevance + embedding similarity, times
    /// freshness); comparable within one call only.
    pub score: f64,
    /// Why the item is here, for the user (e.g. "Because you follow Soccer").
    pub reason: String,
    /// Profile topics that contributed, largest contribution first.
    pub matched: Vec<MatchedTopic>,
}

impl From<hearth_core::rank::RankedItem> for RankedItem {
    fn from(r: hearth_core::rank::RankedItem) -> Self {
        Self {
            id: r.id,
            score: r.score,
            reason: r.reason,
            matched: r.matched.into_iter().map(Into::into).collect(),
        }
    }
}
