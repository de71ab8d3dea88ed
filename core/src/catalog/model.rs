//! The catalog's data model: campaigns → creative sets → creatives.
//!
//! These types are the postcard-encoded body of a signed bundle (see
//! [`super::bundle`]) and what selection reads. Times are Unix milliseconds (UTC),
//! money is integer micros, rates are integer basis points (1/10,000), so the
//! encoding is exact and the same on every platform.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// A whole catalog: everything one region's phones select from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Version of the topic taxonomy the targeting refers to; must equal the
    /// engine's taxonomy version.
    pub taxonomy_version: String,
    /// Free-form region tag of this catalog (e.g. `"DE"`), for status displays.
    pub region: String,
    /// Advertisers, referenced by campaigns.
    pub advertisers: Vec<Advertiser>,
    /// The campaigns.
    pub campaigns: Vec<Campaign>,
    /// Optional model data used by later stages (scoring parameters, classifier).
    pub models: Models,
}

/// An advertiser: users can hide all ads of one advertiser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advertiser {
    /// Unique id.
    pub id: String,
    /// Name shown to users ("Ads by …", "Hide ads from …").
    pub name: String,
}

/// A campaign: who pays, how much, when and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Unique id.
    pub id: String,
    /// The advertiser's id (must exist in [`Catalog::advertisers`]).
    pub advertiser_id: String,
    /// Priority tier: 0 is served first; higher tiers only when no lower tier
    /// has an eligible candidate (0..=9).
    pub priority: u8,
    /// Value of one impression (or bid), in micros of the catalog's currency.
    pub value_micros: u64,
    /// Flight: first and last moment the campaign may serve.
    pub flight: Flight,
    /// Most impressions of this campaign per device per day (0 = no cap).
    pub daily_cap: u32,
    /// Pacing: share of eligible opportunities passed through, in basis points
    /// (10,000 = always).
    pub pass_through_bp: u16,
    /// When in the week it may serve (device-local time); empty = always.
    pub dayparts: Vec<Daypart>,
    /// ISO 3166 codes where it may serve (`"DE"`, `"US-CA"`); empty = everywhere.
    pub geo: Vec<String>,
    /// Locales (`"de"`, `"en-GB"`); empty = all.
    pub locales: Vec<String>,
    /// Operating systems; empty = all.
    pub os: Vec<Os>,
    /// App sections (app-defined names like `"news"`); empty = all.
    pub app_sections: Vec<String>,
    /// The creative sets.
    pub creative_sets: Vec<CreativeSet>,
}

/// A time window, both ends inclusive, Unix ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flight {
    /// First moment.
    pub start_ms: Timestamp,
    /// Last moment.
    pub end_ms: Timestamp,
}

/// Days of the week and a minute range within them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Daypart {
    /// Bit 0 = Monday … bit 6 = Sunday.
    pub days: u8,
    /// First minute of the day (0..1440), inclusive.
    pub start_minute: u16,
    /// Last minute of the day (1..=1440), exclusive.
    pub end_minute: u16,
}

/// Operating systems for targeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Os {
    /// Android.
    Android,
    /// iOS and iPadOS.
    Ios,
}

/// Frequency caps per device; 0 means no cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrequencyCaps {
    /// Per rolling hour.
    pub per_hour: u16,
    /// Per rolling day.
    pub per_day: u16,
    /// Per rolling week.
    pub per_week: u16,
    /// Ever.
    pub total: u16,
}

/// A topic a creative set targets, with the minimum profile weight required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicTarget {
    /// Topic id in the catalog's taxonomy (never a sensitive topic).
    pub topic: String,
    /// Minimum current weight of that topic in the profile.
    pub min_weight: f32,
}

/// How a conversion is recognised and for how long after a click or view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionSpec {
    /// A custom app event name that counts as a conversion.
    pub event_name: Option<String>,
    /// A URL pattern (`*` wildcards) that counts as a conversion when visited.
    pub url_pattern: Option<String>,
    /// Observation window after the last impression or click, days (1..=90).
    pub window_days: u16,
}

/// A creative set: the targeting and caps shared by a group of creatives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreativeSet {
    /// Unique id.
    pub id: String,
    /// Frequency caps.
    pub caps: FrequencyCaps,
    /// Minimum seconds between two shows of this set.
    pub min_interval_s: u32,
    /// Any-of topic targeting; empty = untargeted (contextual / run of network).
    pub include_topics: Vec<TopicTarget>,
    /// Anti-targeting: never shown to profiles or on pages with these topics.
    pub exclude_topics: Vec<String>,
    /// Any-of trait targeting (`spending_tier=premium`, `life_event:moving=active`).
    pub traits: Vec<String>,
    /// Optional item embedding: int8 components, value = component / 127.
    pub embedding: Vec<i8>,
    /// Optional item ids of the advertised products, for content models.
    pub item_ids: Vec<String>,
    /// Optional conversion tracking.
    pub conversion: Option<ConversionSpec>,
    /// The creatives.
    pub creatives: Vec<Creative>,
}

/// Kinds of creative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// One ad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Creative {
    /// Unique id.
    pub id: String,
    /// Kind.
    pub kind: CreativeKind,
    /// Headline.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Image, https.
    pub image_url: Option<String>,
    /// Where a click goes, https.
    pub click_url: String,
    /// Button text.
    pub call_to_action: String,
}

/// Model data shipped with the catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Models {
    /// Overrides of the engagement model's parameters, by name.
    pub scoring: Vec<(String, f32)>,
    /// Opaque, versioned blobs for later stages (e.g. `"classifier/1"`).
    pub blobs: Vec<(String, Vec<u8>)>,
}

impl Catalog {
    /// Total number of creatives.
    pub fn creative_count(&self) -> usize {
        self.campaigns
            .iter()
            .flat_map(|c| &c.creative_sets)
            .map(|s| s.creatives.len())
            .sum()
    }
}
