//! The catalog **source** format: the JSON a publisher writes and `hearth catalog
//! build` turns into a signed bundle.
//!
//! It mirrors [`hearth_core::catalog::model`] field for field, with the model's
//! field names, so that a validation path such as
//! `campaigns[3].creative_sets[0].creatives[1].click_url` points at the same value
//! in the source. Values are written the way a person reads them:
//!
//! | model | source |
//! |---|---|
//! | Unix milliseconds (`flight.start_ms`, header times) | RFC 3339 strings: `flight.start`, `flight.end`, `created_at`, `expires_at` (`"2026-01-01T00:00:00Z"`, any offset, at most millisecond precision) |
//! | daypart bit mask and minutes | `{"days": ["mon", "tue"], "start": "08:00", "end": "20:00"}` (`end` is exclusive, `"24:00"` allowed) |
//! | `Os`, `CreativeKind` enums | lowercase strings: `"android"`, `"ios"`; `"banner"`, `"native"`, `"notification"`, `"interstitial"` |
//! | embedding `i8` components | numbers in `-1..=1`, quantised as `round(x * 127)` |
//! | `models.scoring` pairs | an object `name → number`, order kept |
//! | `models.blobs` pairs | an object `name → base64 string` (standard alphabet, padded), order kept |
//!
//! The header fields that are not part of the signed body live at the top level:
//! `version` (the catalog version, a `u64`), `created_at` and `expires_at`.
//!
//! Lists default to empty, caps to 0 (no cap), `pass_through_bp` to 10,000 and
//! `min_interval_s`/`daily_cap` to 0, and such defaults are left out when a model
//! is written back as source ([`CatalogSource::from_model`]), so
//! `source → model → source` is the identity on canonical sources and
//! `model → source → model` is the identity on every valid model. Unknown fields
//! are errors everywhere (`deny_unknown_fields`), so a typo never silently drops a
//! value. The only extra key is an optional top-level `"$schema"` for editors.
//!
//! The JSON Schema of this format is generated from these types
//! ([`schema_json`]) and committed as `docs/catalog-source.schema.json`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use hearth_core::Timestamp;
use hearth_core::catalog::model::{
    Advertiser, Campaign, Catalog, ConversionSpec, Creative, CreativeKind, CreativeSet, Daypart,
    Flight, FrequencyCaps, Models, Os, TopicTarget,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `$id` written into the generated schema.
pub const SCHEMA_ID: &str = "https://example.invalid/hearth/catalog-source.schema.json";

/// The header values of a bundle that the source carries next to the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceHeader {
    /// Catalog version (strictly increasing per publisher and region).
    pub version: u64,
    /// Creation time, Unix ms.
    pub created_at_ms: Timestamp,
    /// Expiry time, Unix ms.
    pub expires_at_ms: Timestamp,
}

/// A catalog source document: the JSON a publisher writes; `hearth catalog
/// build` validates it and signs it into a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Hearth catalog source")]
pub struct CatalogSource {
    /// Optional URI of this schema, for editors; ignored by the build.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Catalog version: a phone only installs a version newer than the one it
    /// has. `hearth catalog build --version` overrides it.
    pub version: u64,
    /// When the catalog was made (RFC 3339). `--created-at` overrides it.
    pub created_at: Rfc3339,
    /// After this moment phones stop serving the catalog (RFC 3339, after
    /// `created_at`). `--expires-at` overrides it.
    pub expires_at: Rfc3339,
    /// Version of the topic taxonomy the targeting refers to; must equal the
    /// engine's (`hearth taxonomy list` prints it).
    pub taxonomy_version: String,
    /// Free-form region tag of this catalog (e.g. `"DE"`).
    pub region: String,
    /// Advertisers, referenced by campaigns.
    pub advertisers: Vec<AdvertiserSource>,
    /// The campaigns.
    pub campaigns: Vec<CampaignSource>,
    /// Optional model data for later stages.
    #[serde(default, skip_serializing_if = "ModelsSource::is_empty")]
    pub models: ModelsSource,
}

/// An advertiser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvertiserSource {
    /// Unique id among advertisers.
    pub id: String,
    /// Name shown to users ("Ads by …", "Hide ads from …").
    pub name: String,
}

/// A campaign: who pays, how much, when and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignSource {
    /// Unique id (campaigns, creative sets and creatives share one id space).
    pub id: String,
    /// Id of one of the catalog's advertisers.
    pub advertiser_id: String,
    /// Priority tier 0..=9: 0 is served first; higher tiers only when no lower
    /// tier has an eligible candidate.
    pub priority: u8,
    /// Value of one impression (or bid), integer micros of the catalog's currency.
    pub value_micros: u64,
    /// First and last moment the campaign may serve (both inclusive).
    pub flight: FlightSource,
    /// Most impressions of this campaign per device per day; 0 or absent = no cap.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub daily_cap: u32,
    /// Pacing: share of eligible opportunities passed through, basis points
    /// (10,000 = always, the default).
    #[serde(
        default = "full_pass_through",
        skip_serializing_if = "is_full_pass_through"
    )]
    pub pass_through_bp: u16,
    /// When in the week it may serve (device-local time); absent = always.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dayparts: Vec<DaypartSource>,
    /// ISO 3166 codes where it may serve (`"DE"`, `"US-CA"`); absent = everywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub geo: Vec<String>,
    /// Locales (`"de"`, `"en-GB"`); absent = all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locales: Vec<String>,
    /// Operating systems; absent = all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os: Vec<OsSource>,
    /// App sections (app-defined names like `"news"`); absent = all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_sections: Vec<String>,
    /// The creative sets.
    pub creative_sets: Vec<CreativeSetSource>,
}

/// A flight: both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlightSource {
    /// First moment (RFC 3339).
    pub start: Rfc3339,
    /// Last moment (RFC 3339).
    pub end: Rfc3339,
}

/// Days of the week and a time range within them (device-local time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DaypartSource {
    /// Days, each at most once: `"mon"` … `"sun"`.
    #[serde(deserialize_with = "unique_days")]
    #[schemars(extend("uniqueItems" = true))]
    pub days: Vec<Weekday>,
    /// Start, `"HH:MM"`, inclusive.
    pub start: ClockTime,
    /// End, `"HH:MM"`, exclusive; `"24:00"` is the end of the day.
    pub end: ClockTime,
}

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// All days, Monday first (bit 0 of the model's mask).
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Operating systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OsSource {
    /// Android.
    Android,
    /// iOS and iPadOS.
    Ios,
}

/// Frequency caps per device; 0 or absent = no cap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapsSource {
    /// Per rolling hour.
    #[serde(default)]
    pub per_hour: u16,
    /// Per rolling day.
    #[serde(default)]
    pub per_day: u16,
    /// Per rolling week.
    #[serde(default)]
    pub per_week: u16,
    /// Ever.
    #[serde(default)]
    pub total: u16,
}

impl CapsSource {
    fn is_none(&self) -> bool {
        *self == CapsSource::default()
    }
}

/// A topic to target, with the minimum profile weight required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicTargetSource {
    /// Topic id in the catalog's taxonomy (never a sensitive topic).
    pub topic: String,
    /// Minimum current weight of that topic in the profile.
    pub min_weight: f32,
}

/// How a conversion is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionSource {
    /// A custom app event name that counts as a conversion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// A URL pattern (`*` wildcards) that counts as a conversion when visited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_pattern: Option<String>,
    /// Observation window after the last impression or click, days (1..=90).
    pub window_days: u16,
}

/// A creative set: targeting and caps shared by a group of creatives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreativeSetSource {
    /// Unique id (shared id space with campaigns and creatives).
    pub id: String,
    /// Frequency caps; absent = none.
    #[serde(default, skip_serializing_if = "CapsSource::is_none")]
    pub caps: CapsSource,
    /// Minimum seconds between two shows of this set.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub min_interval_s: u32,
    /// Any-of topic targeting; absent = untargeted (contextual / run of network).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_topics: Vec<TopicTargetSource>,
    /// Anti-targeting: topic ids this set is never shown with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_topics: Vec<String>,
    /// Any-of trait targeting (`"spending_tier=premium"`, `"life_event:moving=active"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traits: Vec<String>,
    /// Optional item embedding: numbers in -1..=1, stored as `round(x * 127)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedding: Vec<EmbeddingValue>,
    /// Optional item ids of the advertised products.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_ids: Vec<String>,
    /// Optional conversion tracking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<ConversionSource>,
    /// The creatives.
    pub creatives: Vec<CreativeSource>,
}

/// Kinds of creative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CreativeKindSource {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreativeSource {
    /// Unique id (shared id space with campaigns and creative sets).
    pub id: String,
    /// Kind.
    pub kind: CreativeKindSource,
    /// Headline.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Image, `https://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Where a click goes, `https://`.
    pub click_url: String,
    /// Button text.
    pub call_to_action: String,
}

/// Model data shipped with the catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelsSource {
    /// Overrides of the engagement model's parameters: name → number.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub scoring: OrderedMap<f32>,
    /// Opaque, versioned blobs (e.g. `"classifier/1"`): name → base64
    /// (standard alphabet, padded).
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub blobs: OrderedMap<Base64>,
}

impl ModelsSource {
    fn is_empty(&self) -> bool {
        self.scoring.is_empty() && self.blobs.is_empty()
    }
}

fn unique_days<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
    let days = Vec::<Weekday>::deserialize(d)?;
    for (i, day) in days.iter().enumerate() {
        if days.get(..i).is_some_and(|before| before.contains(day)) {
            return Err(de::Error::custom(format!(
                "{} is listed twice",
                serde_json::to_string(day).unwrap_or_default()
            )));
        }
    }
    Ok(days)
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}
fn full_pass_through() -> u16 {
    10_000
}
fn is_full_pass_through(v: &u16) -> bool {
    *v == 10_000
}

// ---- value types ----------------------------------------------------------

/// A moment written as an RFC 3339 string, held as Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rfc3339(pub Timestamp);

/// Parse an RFC 3339 date-time (any offset) to Unix milliseconds. Sub-millisecond
/// precision is refused rather than silently dropped.
pub fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            format!("{s:?} is not an RFC 3339 date-time ({e}); e.g. \"2026-01-01T00:00:00Z\"")
        })?;
    let nanos = t.unix_timestamp_nanos();
    if nanos % 1_000_000 != 0 {
        return Err(format!(
            "{s:?} has sub-millisecond precision; catalogs store milliseconds"
        ));
    }
    i64::try_from(nanos / 1_000_000).map_err(|_| format!("{s:?} is out of range"))
}

/// Format Unix milliseconds as RFC 3339 in UTC (`2026-01-01T00:00:00Z`, with
/// fractional seconds only when needed).
pub fn format_rfc3339(ms: Timestamp) -> Result<String, String> {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| format!("{ms} ms is not a representable date-time: {e}"))?;
    t.format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{ms} ms cannot be formatted as RFC 3339: {e}"))
}

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = format_rfc3339(self.0).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Rfc3339 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        parse_rfc3339(&s).map(Rfc3339).map_err(de::Error::custom)
    }
}

impl JsonSchema for Rfc3339 {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Rfc3339".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339 date-time with an offset, at most millisecond precision, e.g. \"2026-01-01T00:00:00Z\"."
        })
    }
}

/// A time of day written `"HH:MM"`, held as minutes since midnight (0..=1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(pub u16);

impl ClockTime {
    fn parse(s: &str) -> Result<Self, String> {
        let bad =
            || format!("{s:?} is not a time of day \"HH:MM\" between \"00:00\" and \"24:00\"");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m > 59 || h * 60 + m > 1440 {
            return Err(bad());
        }
        Ok(ClockTime(h * 60 + m))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 > 1440 {
            return Err(serde::ser::Error::custom(format!(
                "minute {} is past the end of the day",
                self.0
            )));
        }
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        ClockTime::parse(&s).map_err(de::Error::custom)
    }
}

impl JsonSchema for ClockTime {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "ClockTime".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
            "description": "Time of day \"HH:MM\", \"00:00\" to \"24:00\"."
        })
    }
}

/// One embedding component: a number in -1..=1 in the source, `round(x * 127)`
/// as an `i8` in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmbeddingValue(pub i8);

impl EmbeddingValue {
    /// The component as a number (`i8 / 127`).
    pub fn as_f32(self) -> f32 {
        f32::from(self.0) / 127.0
    }
    /// Quantise a number in -1..=1.
    pub fn quantise(x: f64) -> Result<Self, String> {
        if !(-1.0..=1.0).contains(&x) {
            return Err(format!("embedding component {x} is outside -1..=1"));
        }
        let q = (x * 127.0).round();
        // In range by the check above: -127..=127.
        Ok(EmbeddingValue(q as i8))
    }
}

impl Serialize for EmbeddingValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f32(self.as_f32())
    }
}

impl<'de> Deserialize<'de> for EmbeddingValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        // `-128 / 127` (the one i8 value outside -1..=1) is accepted so that any
        // model can be written out and read back.
        if x < -1.0 && (x - f64::from(-128i8) / 127.0).abs() < 1e-6 {
            return Ok(EmbeddingValue(-128));
        }
        EmbeddingValue::quantise(x).map_err(de::Error::custom)
    }
}

impl JsonSchema for EmbeddingValue {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "EmbeddingValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "number",
            "minimum": -1.0,
            "maximum": 1.0,
            "description": "Embedding component, quantised to an int8 as round(x * 127)."
        })
    }
}

/// Bytes written as a base64 string (standard alphabet, padded).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Base64(pub Vec<u8>);

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map(Base64)
            .map_err(|e| de::Error::custom(format!("not base64 (standard alphabet, padded): {e}")))
    }
}

impl JsonSchema for Base64 {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Base64".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "contentEncoding": "base64",
            "description": "Bytes, base64 with the standard alphabet and padding."
        })
    }
}

/// A JSON object whose entry order is kept (the model stores name/value pairs
/// in order). Duplicate names are an error.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V_<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V_<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, V)> = Vec::new();
                while let Some(k) = a.next_key::<String>()? {
                    if out.iter().any(|(o, _)| *o == k) {
                        return Err(de::Error::custom(format!("duplicate name {k:?}")));
                    }
                    let v = a.next_value()?;
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V_(PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for OrderedMap<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = generator.subschema_for::<V>();
        json_schema!({
            "type": "object",
            "additionalProperties": values
        })
    }
}

// ---- conversions ------------------------------------------------------------

impl CatalogSource {
    /// The model and the header values this source describes.
    ///
    /// Every value was checked while parsing, so this cannot fail; the
    /// catalog's structural rules are checked afterwards by
    /// [`hearth_core::catalog::validate()`].
    pub fn to_model(&self) -> (Catalog, SourceHeader) {
        let catalog = Catalog {
            taxonomy_version: self.taxonomy_version.clone(),
            region: self.region.clone(),
            advertisers: self
                .advertisers
                .iter()
                .map(|a| Advertiser {
                    id: a.id.clone(),
                    name: a.name.clone(),
                })
                .collect(),
            campaigns: self
                .campaigns
                .iter()
                .map(CampaignSource::to_model)
                .collect(),
            models: Models {
                scoring: self.models.scoring.0.clone(),
                blobs: self
                    .models
                    .blobs
                    .0
                    .iter()
                    .map(|(k, v)| (k.clone(), v.0.clone()))
                    .collect(),
            },
        };
        let header = SourceHeader {
            version: self.version,
            created_at_ms: self.created_at.0,
            expires_at_ms: self.expires_at.0,
        };
        (catalog, header)
    }

    /// The source for a model and header (the inverse of [`Self::to_model`]).
    pub fn from_model(catalog: &Catalog, header: &SourceHeader) -> Self {
        CatalogSource {
            schema: None,
            version: header.version,
            created_at: Rfc3339(header.created_at_ms),
            expires_at: Rfc3339(header.expires_at_ms),
            taxonomy_version: catalog.taxonomy_version.clone(),
            region: catalog.region.clone(),
            advertisers: catalog
                .advertisers
                .iter()
                .map(|a| AdvertiserSource {
                    id: a.id.clone(),
                    name: a.name.clone(),
                })
                .collect(),
            campaigns: catalog
                .campaigns
                .iter()
                .map(CampaignSource::from_model)
                .collect(),
            models: ModelsSource {
                scoring: OrderedMap(catalog.models.scoring.clone()),
                blobs: OrderedMap(
                    catalog
                        .models
                        .blobs
                        .iter()
                        .map(|(k, v)| (k.clone(), Base64(v.clone())))
                        .collect(),
                ),
            },
        }
    }
}

impl CampaignSource {
    fn to_model(&self) -> Campaign {
        Campaign {
            id: self.id.clone(),
            advertiser_id: self.advertiser_id.clone(),
            priority: self.priority,
            value_micros: self.value_micros,
            flight: Flight {
                start_ms: self.flight.start.0,
                end_ms: self.flight.end.0,
            },
            daily_cap: self.daily_cap,
            pass_through_bp: self.pass_through_bp,
            dayparts: self
                .dayparts
                .iter()
                .map(|d| Daypart {
                    days: d.days.iter().fold(0u8, |m, day| m | day.bit()),
                    start_minute: d.start.0,
                    end_minute: d.end.0,
                })
                .collect(),
            geo: self.geo.clone(),
            locales: self.locales.clone(),
            os: self
                .os
                .iter()
                .map(|o| match o {
                    OsSource::Android => Os::Android,
                    OsSource::Ios => Os::Ios,
                })
                .collect(),
            app_sections: self.app_sections.clone(),
            creative_sets: self
                .creative_sets
                .iter()
                .map(CreativeSetSource::to_model)
                .collect(),
        }
    }

    fn from_model(c: &Campaign) -> Self {
        CampaignSource {
            id: c.id.clone(),
            advertiser_id: c.advertiser_id.clone(),
            priority: c.priority,
            value_micros: c.value_micros,
            flight: FlightSource {
                start: Rfc3339(c.flight.start_ms),
                end: Rfc3339(c.flight.end_ms),
            },
            daily_cap: c.daily_cap,
            pass_through_bp: c.pass_through_bp,
            dayparts: c
                .dayparts
                .iter()
                .map(|d| DaypartSource {
                    days: Weekday::ALL
                        .into_iter()
                        .filter(|w| d.days & w.bit() != 0)
                        .collect(),
                    start: ClockTime(d.start_minute),
                    end: ClockTime(d.end_minute),
                })
                .collect(),
            geo: c.geo.clone(),
            locales: c.locales.clone(),
            os: c
                .os
                .iter()
                .map(|o| match o {
                    Os::Android => OsSource::Android,
                    Os::Ios => OsSource::Ios,
                })
                .collect(),
            app_sections: c.app_sections.clone(),
            creative_sets: c
                .creative_sets
                .iter()
                .map(CreativeSetSource::from_model)
                .collect(),
        }
    }
}

impl CreativeSetSource {
    fn to_model(&self) -> CreativeSet {
        CreativeSet {
            id: self.id.clone(),
            caps: FrequencyCaps {
                per_hour: self.caps.per_hour,
                per_day: self.caps.per_day,
                per_week: self.caps.per_week,
                total: self.caps.total,
            },
            min_interval_s: self.min_interval_s,
            include_topics: self
                .include_topics
                .iter()
                .map(|t| TopicTarget {
                    topic: t.topic.clone(),
                    min_weight: t.min_weight,
                })
                .collect(),
            exclude_topics: self.exclude_topics.clone(),
            traits: self.traits.clone(),
            embedding: self.embedding.iter().map(|e| e.0).collect(),
            item_ids: self.item_ids.clone(),
            conversion: self.conversion.as_ref().map(|c| ConversionSpec {
                event_name: c.event_name.clone(),
                url_pattern: c.url_pattern.clone(),
                window_days: c.window_days,
            }),
            creatives: self
                .creatives
                .iter()
                .map(CreativeSource::to_model)
                .collect(),
        }
    }

    fn from_model(s: &CreativeSet) -> Self {
        CreativeSetSource {
            id: s.id.clone(),
            caps: CapsSource {
                per_hour: s.caps.per_hour,
                per_day: s.caps.per_day,
                per_week: s.caps.per_week,
                total: s.caps.total,
            },
            min_interval_s: s.min_interval_s,
            include_topics: s
                .include_topics
                .iter()
                .map(|t| TopicTargetSource {
                    topic: t.topic.clone(),
                    min_weight: t.min_weight,
                })
                .collect(),
            exclude_topics: s.exclude_topics.clone(),
            traits: s.traits.clone(),
            embedding: s.embedding.iter().map(|&e| EmbeddingValue(e)).collect(),
            item_ids: s.item_ids.clone(),
            conversion: s.conversion.as_ref().map(|c| ConversionSource {
                event_name: c.event_name.clone(),
                url_pattern: c.url_pattern.clone(),
                window_days: c.window_days,
            }),
            creatives: s.creatives.iter().map(CreativeSource::from_model).collect(),
        }
    }
}

impl CreativeSource {
    fn to_model(&self) -> Creative {
        Creative {
            id: self.id.clone(),
            kind: match self.kind {
                CreativeKindSource::Banner => CreativeKind::Banner,
                CreativeKindSource::Native => CreativeKind::Native,
                CreativeKindSource::Notification => CreativeKind::Notification,
                CreativeKindSource::Interstitial => CreativeKind::Interstitial,
            },
            title: self.title.clone(),
            body: self.body.clone(),
            image_url: self.image_url.clone(),
            click_url: self.click_url.clone(),
            call_to_action: self.call_to_action.clone(),
        }
    }

    fn from_model(c: &Creative) -> Self {
        CreativeSource {
            id: c.id.clone(),
            kind: match c.kind {
                CreativeKind::Banner => CreativeKindSource::Banner,
                CreativeKind::Native => CreativeKindSource::Native,
                CreativeKind::Notification => CreativeKindSource::Notification,
                CreativeKind::Interstitial => CreativeKindSource::Interstitial,
            },
            title: c.title.clone(),
            body: c.body.clone(),
            image_url: c.image_url.clone(),
            click_url: c.click_url.clone(),
            call_to_action: c.call_to_action.clone(),
        }
    }
}

// ---- parsing, writing, schema -------------------------------------------------

/// A source document that does not parse, with the JSON path of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// JSON path such as `campaigns[0].creative_sets[1].creatives[0].kind`
    /// (`.` for the document itself).
    pub path: String,
    /// 1-based line of the problem (0 if unknown).
    pub line: usize,
    /// 1-based column of the problem (0 if unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if self.line > 0 {
            write!(f, " (line {}, column {})", self.line, self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Parse a source document, reporting the JSON path of the first problem.
pub fn parse(json: &[u8]) -> Result<CatalogSource, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let source: CatalogSource = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ParseError {
            path,
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })?;
    de.end().map_err(|e| ParseError {
        path: ".".into(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    Ok(source)
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_string(),
        None => msg.to_string(),
    }
}

/// Write a source document as JSON (pretty or compact), with a final newline.
pub fn to_json(source: &CatalogSource, pretty: bool) -> Result<String, serde_json::Error> {
    let mut s = if pretty {
        serde_json::to_string_pretty(source)?
    } else {
        serde_json::to_string(source)?
    };
    s.push('\n');
    Ok(s)
}

/// The JSON Schema (2020-12) of the source format, pretty-printed with a final
/// newline: exactly the content of `docs/catalog-source.schema.json`.
pub fn schema_json() -> Result<String, serde_json::Error> {
    let mut schema = schemars::schema_for!(CatalogSource);
    schema.insert("$id".into(), serde_json::Value::String(SCHEMA_ID.into()));
    let mut s = serde_json::to_string_pretty(&schema)?;
    s.push('\n');
    Ok(s)
}

/// Rewrite a validation path of the model into the source's spelling: flight
/// and daypart fields lose their unit suffixes, and `models.scoring[i]` /
/// `models.blobs[i]` become `models.scoring.NAME` / `models.blobs.NAME`.
pub fn source_path(model_path: &str, catalog: &Catalog) -> String {
    let mut p = model_path
        .replace(".flight.start_ms", ".flight.start")
        .replace(".flight.end_ms", ".flight.end")
        .replace("].start_minute", "].start")
        .replace("].end_minute", "].end");
    for (prefix, names) in [
        (
            "models.scoring[",
            catalog
                .models
                .scoring
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
        ),
        (
            "models.blobs[",
            catalog
                .models
                .blobs
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
        ),
    ] {
        if let Some(rest) = p.strip_prefix(prefix) {
            if let Some((idx, tail)) = rest.split_once(']') {
                if let Some(name) = idx.parse::<usize>().ok().and_then(|i| names.get(i)) {
                    let tail = tail
                        .strip_prefix(".0")
                        .or(tail.strip_prefix(".1"))
                        .unwrap_or(tail);
                    p = format!("{}.{}{}", prefix.trim_end_matches('['), name, tail);
                }
            }
        }
    }
    p
}
