//! The catalog's data model: campaigns → creative sets → creatives.
//!
//! These types are the postcard-encoded body of a signed bundle (see
//! [`super::bundle`]) and what selection reads. Times are Unix milliseconds (UTC),
//! money is integer micros, rates are integer basis points (1/10,000), so the
//! encoding is exact and the same on every platform.
//!
//! The containers are generic over the creative type `C`. Publishers build
//! `Catalog<Creative>` (owned strings). On the phone the body is decoded without
//! copying creative text: first as `Catalog<CreativeRef<'_>>` (strings borrowed
//! from the body), then kept as `Catalog<CreativeSpan>` (offsets into the body,
//! which the installed catalog owns). Creatives are by far the bulk of a catalog,
//! so this saves most of the allocations and memory of an install. All three have
//! the same wire encoding.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;

/// A whole catalog: everything one region's phones select from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog<C = Creative> {
    /// Version of the topic taxonomy the targeting refers to; must equal the
    /// engine's taxonomy version.
    pub taxonomy_version: String,
    /// Free-form region tag of this catalog (e.g. `"DE"`), for status displays.
    pub region: String,
    /// Advertisers, referenced by campaigns.
    pub advertisers: Vec<Advertiser>,
    /// The campaigns.
    pub campaigns: Vec<Campaign<C>>,
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
pub struct Campaign<C = Creative> {
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
    pub creative_sets: Vec<CreativeSet<C>>,
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
pub struct CreativeSet<C = Creative> {
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
    pub creatives: Vec<C>,
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

impl<C> Catalog<C> {
    /// Total number of creatives.
    pub fn creative_count(&self) -> usize {
        self.campaigns
            .iter()
            .flat_map(|c| &c.creative_sets)
            .map(|s| s.creatives.len())
            .sum()
    }

    /// The same catalog with every creative converted by `f`.
    pub fn map_creatives<D, E>(
        self,
        mut f: impl FnMut(C) -> Result<D, E>,
    ) -> Result<Catalog<D>, E> {
        let campaigns = self
            .campaigns
            .into_iter()
            .map(|c| {
                let creative_sets = c
                    .creative_sets
                    .into_iter()
                    .map(|s| {
                        let creatives = s
                            .creatives
                            .into_iter()
                            .map(&mut f)
                            .collect::<Result<Vec<D>, E>>()?;
                        Ok(CreativeSet {
                            id: s.id,
                            caps: s.caps,
                            min_interval_s: s.min_interval_s,
                            include_topics: s.include_topics,
                            exclude_topics: s.exclude_topics,
                            traits: s.traits,
                            embedding: s.embedding,
                            item_ids: s.item_ids,
                            conversion: s.conversion,
                            creatives,
                        })
                    })
                    .collect::<Result<Vec<_>, E>>()?;
                Ok(Campaign {
                    id: c.id,
                    advertiser_id: c.advertiser_id,
                    priority: c.priority,
                    value_micros: c.value_micros,
                    flight: c.flight,
                    daily_cap: c.daily_cap,
                    pass_through_bp: c.pass_through_bp,
                    dayparts: c.dayparts,
                    geo: c.geo,
                    locales: c.locales,
                    os: c.os,
                    app_sections: c.app_sections,
                    creative_sets,
                })
            })
            .collect::<Result<Vec<_>, E>>()?;
        Ok(Catalog {
            taxonomy_version: self.taxonomy_version,
            region: self.region,
            advertisers: self.advertisers,
            campaigns,
            models: self.models,
        })
    }
}

/// A creative whose text is borrowed from the bundle body (zero-copy decode).
/// Same wire encoding as [`Creative`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct CreativeRef<'a> {
    /// Unique id.
    pub id: &'a str,
    /// Kind.
    pub kind: CreativeKind,
    /// Headline.
    pub title: &'a str,
    /// Body text.
    pub body: &'a str,
    /// Image, https.
    pub image_url: Option<&'a str>,
    /// Where a click goes, https.
    pub click_url: &'a str,
    /// Button text.
    pub call_to_action: &'a str,
}

/// A byte range of valid UTF-8 inside an installed catalog's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Offset from the start of the body.
    pub start: u32,
    /// Length in bytes.
    pub len: u32,
}

impl Span {
    /// The span of `s`, which must lie inside `base`; `None` otherwise.
    pub fn of(s: &str, base: &[u8]) -> Option<Span> {
        let start = (s.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
        let end = start.checked_add(s.len())?;
        if end > base.len() {
            return None;
        }
        Some(Span {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(s.len()).ok()?,
        })
    }
    /// The text, or `""` if the span does not lie in `base` on UTF-8 boundaries
    /// (never the case for spans made by [`Span::of`] from the same base).
    pub fn get<'a>(&self, base: &'a [u8]) -> &'a str {
        let start = self.start as usize;
        base.get(start..start + self.len as usize)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// A creative stored as spans into the body of the installed catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreativeSpan {
    /// Unique id.
    pub id: Span,
    /// Kind.
    pub kind: CreativeKind,
    /// Headline.
    pub title: Span,
    /// Body text.
    pub body: Span,
    /// Image, https.
    pub image_url: Option<Span>,
    /// Where a click goes, https.
    pub click_url: Span,
    /// Button text.
    pub call_to_action: Span,
}

impl CreativeSpan {
    /// Spans of a borrowed creative whose strings lie in `base`.
    pub fn of(c: &CreativeRef<'_>, base: &[u8]) -> Option<Self> {
        Some(Self {
            id: Span::of(c.id, base)?,
            kind: c.kind,
            title: Span::of(c.title, base)?,
            body: Span::of(c.body, base)?,
            image_url: match c.image_url {
                Some(u) => Some(Span::of(u, base)?),
                None => None,
            },
            click_url: Span::of(c.click_url, base)?,
            call_to_action: Span::of(c.call_to_action, base)?,
        })
    }
    /// Resolve against the body the spans point into.
    pub fn view<'a>(&self, base: &'a [u8]) -> CreativeView<'a> {
        CreativeView {
            id: self.id.get(base),
            kind: self.kind,
            title: self.title.get(base),
            body: self.body.get(base),
            image_url: self.image_url.map(|s| s.get(base)),
            click_url: self.click_url.get(base),
            call_to_action: self.call_to_action.get(base),
        }
    }
}

/// A creative's fields, borrowed, whatever its storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CreativeView<'a> {
    /// Unique id.
    pub id: &'a str,
    /// Kind.
    pub kind: CreativeKind,
    /// Headline.
    pub title: &'a str,
    /// Body text.
    pub body: &'a str,
    /// Image, https.
    pub image_url: Option<&'a str>,
    /// Where a click goes, https.
    pub click_url: &'a str,
    /// Button text.
    pub call_to_action: &'a str,
}

impl CreativeView<'_> {
    /// An owned copy.
    pub fn to_owned_creative(&self) -> Creative {
        Creative {
            id: self.id.to_string(),
            kind: self.kind,
            title: self.title.to_string(),
            body: self.body.to_string(),
            image_url: self.image_url.map(str::to_string),
            click_url: self.click_url.to_string(),
            call_to_action: self.call_to_action.to_string(),
        }
    }
}

/// Creative types whose fields can be read without outside context (used by
/// validation, which runs on owned and on borrowed catalogs).
pub trait CreativeFields {
    /// The fields.
    fn view(&self) -> CreativeView<'_>;
}

impl CreativeFields for Creative {
    fn view(&self) -> CreativeView<'_> {
        CreativeView {
            id: &self.id,
            kind: self.kind,
            title: &self.title,
            body: &self.body,
            image_url: self.image_url.as_deref(),
            click_url: &self.click_url,
            call_to_action: &self.call_to_action,
        }
    }
}

impl CreativeFields for CreativeRef<'_> {
    fn view(&self) -> CreativeView<'_> {
        CreativeView {
            id: self.id,
            kind: self.kind,
            title: self.title,
            body: self.body,
            image_url: self.image_url,
            click_url: self.click_url,
            call_to_action: self.call_to_action,
        }
    }
}
