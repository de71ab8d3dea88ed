//! Stage 3, eligibility: may this campaign and this creative set be shown to
//! this user, on this screen, now?
//!
//! Campaign rules (checked once per campaign per request): flight dates,
//! dayparts (device-local time), geo, locale, OS, app section, the campaign's
//! daily cap on this device, advertisers the user hid.
//!
//! Creative-set rules: frequency caps per hour/day/week/total and the minimum
//! interval (from the local ad history), disliked, converted, dismissed
//! `dismiss_limit` times, anti-targeting (an excluded topic in the profile or on
//! the screen), topics the user hid, trait targeting, and topic targeting: at
//! least one include topic with profile weight ≥ its minimum, or on the screen.
//! A set without include topics is untargeted (shown on any screen).

use serde::Serialize;

use super::RequestContext;
use crate::ads::{AdBook, SetStats};
use crate::catalog::index::{
    ByIdHash, CampaignFacts, CatalogIndex, CodeRun, SetEntry, by_id_hash, os_bit,
};
use crate::catalog::model::{Campaign, CreativeSet, Daypart};
use crate::clock::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp};

/// Why a campaign or set is not eligible (for tests and diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ineligible {
    /// Outside the flight.
    Flight,
    /// Outside every daypart.
    Daypart,
    /// Country or subdivision not targeted (or unknown while geo-targeted).
    Geo,
    /// Locale not targeted.
    Locale,
    /// OS not targeted.
    Os,
    /// App section not targeted.
    AppSection,
    /// The campaign's daily cap on this device is reached.
    CampaignDailyCap,
    /// The user hid this advertiser.
    AdvertiserHidden,
    /// A frequency cap of the set is reached.
    FrequencyCap,
    /// Shown too recently (minimum interval).
    MinInterval,
    /// The user disliked it.
    Disliked,
    /// Already converted.
    Converted,
    /// Dismissed too often.
    Dismissed,
    /// An excluded topic is in the profile or on the screen.
    AntiTargeted,
    /// Targets a topic the user hid.
    TopicHidden,
    /// Requires a trait the user does not have.
    TraitMismatch,
    /// No include topic matches the profile or the screen.
    NotTargeted,
}

/// How a set matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SetMatch {
    /// Highest profile weight among satisfied include topics (0 if none).
    pub interest: f64,
    /// An include topic is on the screen.
    pub context: bool,
    /// The set requires traits and one matched.
    pub traits: bool,
    /// Shows of the set in the last 7 days (the fatigue feature).
    pub shows_7d: u32,
}

/// What the user side offers eligibility (all empty under contextual consent,
/// except `hidden`: the topics the user hid are excluded under every consent).
#[derive(Debug, Clone, Copy)]
pub struct UserSide<'a> {
    /// Dense current weights by topic index (empty = no profile).
    pub weights: &'a [f64],
    /// Hidden topics, dense by topic index, including descendants (empty = none).
    pub hidden: &'a [bool],
    /// Trait keys (`id=value`).
    pub traits: &'a [String],
    /// The ad-taste embedding (empty = none; always empty under contextual
    /// consent, since it is learned from the user's clicks and likes).
    pub taste: &'a [f32],
    /// The ad history.
    pub book: &'a AdBook,
    /// The content model's affinity to the app's recent items (`None`
    /// without a model, without history, or under contextual consent).
    pub content: Option<&'a crate::content::ItemAffinity<'a>>,
}

/// Day of week (0 = Monday) and minute of day of a local time.
pub fn local_dow_minute(now: Timestamp, utc_offset_minutes: i32) -> (u32, u32) {
    let local = now + i64::from(utc_offset_minutes) * MINUTE_MS;
    let days = local.div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    let dow = (days + 3).rem_euclid(7) as u32;
    let minute = (local.rem_euclid(DAY_MS) / MINUTE_MS) as u32;
    (dow, minute)
}

fn geo_ok(targets: &[String], country: Option<&str>) -> bool {
    if targets.is_empty() {
        return true;
    }
    let Some(c) = country else { return false };
    targets.iter().any(|t| {
        c.eq_ignore_ascii_case(t)
            || (c.len() > t.len()
                && c.as_bytes().get(t.len()) == Some(&b'-')
                && c.get(..t.len()).is_some_and(|p| p.eq_ignore_ascii_case(t)))
    })
}

fn locale_ok(targets: &[String], locale: Option<&str>) -> bool {
    if targets.is_empty() {
        return true;
    }
    let Some(l) = locale else { return false };
    // `_` in the request's locale counts as `-` (compared byte by byte rather
    // than through a normalised copy: this runs once per candidate campaign).
    let l = l.as_bytes();
    let same = |a: &[u8], b: &[u8]| {
        a.len() == b.len()
            && a.iter().zip(b).all(|(&x, &y)| {
                let x = if x == b'_' { b'-' } else { x };
                x.eq_ignore_ascii_case(&y)
            })
    };
    targets.iter().any(|t| {
        let t = t.as_bytes();
        same(l, t)
            || (!t.contains(&b'-')
                && l.len() > t.len()
                && matches!(l.get(t.len()), Some(b'-' | b'_'))
                && l.get(..t.len()).is_some_and(|p| same(p, t)))
    })
}

/// Whether local time falls inside any of the dayparts.
fn in_daypart(dayparts: &[Daypart], now: Timestamp, utc_offset_minutes: i32) -> bool {
    let (dow, minute) = local_dow_minute(now, utc_offset_minutes);
    dayparts.iter().any(|d| {
        d.days & (1 << dow) != 0
            && minute >= u32::from(d.start_minute)
            && minute < u32::from(d.end_minute)
    })
}

/// Per request: which of the catalog's interned geo, locale and app-section
/// targets the request matches (by the same rules as [`campaign`]), and its OS
/// bit. Built once per request from the index's small name tables.
#[derive(Debug, Clone)]
pub struct Targeting<'a> {
    geo: Vec<bool>,
    locales: Vec<bool>,
    sections: Vec<bool>,
    os_bit: u8,
    /// Today's impressions by campaign id hash.
    today: ByIdHash<'a, u32>,
}

impl<'a> Targeting<'a> {
    /// The match tables of `ctx` against the catalog indexed by `idx`, and the
    /// campaigns `book` counts impressions for on the UTC day of `now`.
    pub fn new(idx: &CatalogIndex, ctx: &RequestContext, book: &'a AdBook, now: Timestamp) -> Self {
        let today = by_id_hash(book.campaigns_today(now));
        let country = ctx.country.as_deref();
        let locale = ctx.locale.as_deref();
        let section = ctx.app_section.as_deref();
        Self {
            geo: idx
                .geo_names
                .iter()
                .map(|g| geo_ok(std::slice::from_ref(g), country))
                .collect(),
            locales: idx
                .locale_names
                .iter()
                .map(|l| locale_ok(std::slice::from_ref(l), locale))
                .collect(),
            sections: idx
                .section_names
                .iter()
                .map(|s| section == Some(s.as_str()))
                .collect(),
            os_bit: ctx.os.map_or(0, os_bit),
            today,
        }
    }

    /// `book.campaign_impressions_today(&c.id, now)`, without reading the id
    /// unless the hash matches.
    fn impressions_today<C>(
        &self,
        f: &CampaignFacts,
        c: &Campaign<C>,
        book: &AdBook,
        now: Timestamp,
    ) -> u32 {
        match self.today.get(&f.id_hash) {
            Some(Some((id, n))) if *id == c.id => *n,
            None | Some(Some(_)) => 0,
            Some(None) => book.campaign_impressions_today(&c.id, now),
        }
    }

    /// No restriction, or at least one code of the run matches.
    fn any(idx: &CatalogIndex, run: CodeRun, table: &[bool]) -> bool {
        run.len == 0
            || idx
                .run(run)
                .iter()
                .any(|&c| table.get(usize::from(c)).copied().unwrap_or(false))
    }
}

/// [`campaign`], with the same rules in the same order (so the same verdict
/// and reason), reading the packed [`CampaignFacts`] of the index and the
/// request's [`Targeting`] instead of the campaign's strings; the campaign
/// itself is read only for dayparts, a daily cap, or hidden advertisers.
#[allow(clippy::too_many_arguments)]
pub fn campaign_facts<C>(
    f: &CampaignFacts,
    c: &Campaign<C>,
    idx: &CatalogIndex,
    t: &Targeting<'_>,
    ctx: &RequestContext,
    book: &AdBook,
    now: Timestamp,
) -> Result<(), Ineligible> {
    if now < f.start_ms || now > f.end_ms {
        return Err(Ineligible::Flight);
    }
    if f.has_dayparts && !in_daypart(&c.dayparts, now, ctx.utc_offset_minutes) {
        return Err(Ineligible::Daypart);
    }
    if !Targeting::any(idx, f.geo, &t.geo) {
        return Err(Ineligible::Geo);
    }
    if !Targeting::any(idx, f.locales, &t.locales) {
        return Err(Ineligible::Locale);
    }
    if f.os_mask != 0 && f.os_mask & t.os_bit == 0 {
        return Err(Ineligible::Os);
    }
    if !Targeting::any(idx, f.sections, &t.sections) {
        return Err(Ineligible::AppSection);
    }
    if f.daily_cap > 0 && t.impressions_today(f, c, book, now) >= f.daily_cap {
        return Err(Ineligible::CampaignDailyCap);
    }
    if !book.hidden_advertisers().is_empty() && book.is_hidden(&c.advertiser_id) {
        return Err(Ineligible::AdvertiserHidden);
    }
    Ok(())
}

/// Campaign-level rules.
pub fn campaign<C>(
    c: &Campaign<C>,
    ctx: &RequestContext,
    book: &AdBook,
    now: Timestamp,
) -> Result<(), Ineligible> {
    if now < c.flight.start_ms || now > c.flight.end_ms {
        return Err(Ineligible::Flight);
    }
    if !c.dayparts.is_empty() && !in_daypart(&c.dayparts, now, ctx.utc_offset_minutes) {
        return Err(Ineligible::Daypart);
    }
    if !geo_ok(&c.geo, ctx.country.as_deref()) {
        return Err(Ineligible::Geo);
    }
    if !locale_ok(&c.locales, ctx.locale.as_deref()) {
        return Err(Ineligible::Locale);
    }
    if !c.os.is_empty() && !ctx.os.is_some_and(|o| c.os.contains(&o)) {
        return Err(Ineligible::Os);
    }
    if !c.app_sections.is_empty()
        && !ctx
            .app_section
            .as_deref()
            .is_some_and(|s| c.app_sections.iter().any(|a| a == s))
    {
        return Err(Ineligible::AppSection);
    }
    if c.daily_cap > 0 && book.campaign_impressions_today(&c.id, now) >= c.daily_cap {
        return Err(Ineligible::CampaignDailyCap);
    }
    if book.is_hidden(&c.advertiser_id) {
        return Err(Ineligible::AdvertiserHidden);
    }
    Ok(())
}

fn weight(user: &UserSide<'_>, t: u32) -> f64 {
    user.weights.get(t as usize).copied().unwrap_or(0.0)
}

/// Set-level rules. `entry` is the set's index entry (resolved topics);
/// `stats` its local ad history (`AdBook::set_stats`), if any.
#[allow(clippy::too_many_arguments)]
pub fn set<C>(
    s: &CreativeSet<C>,
    idx: &CatalogIndex,
    entry: &SetEntry,
    user: &UserSide<'_>,
    ctx: &RequestContext,
    stats: Option<&SetStats>,
    now: Timestamp,
    dismiss_limit: u32,
) -> Result<SetMatch, Ineligible> {
    // Targeting first: it rejects most candidates and is cheapest.
    let mut interest = 0.0f64;
    let mut context = false;
    let include = idx.include(entry);
    for &(t, min) in include {
        let w = weight(user, t);
        if w > 0.0 && w >= f64::from(min) {
            interest = interest.max(w);
        }
        context |= ctx.covers(t);
    }
    if !include.is_empty() && interest == 0.0 && !context {
        return Err(Ineligible::NotTargeted);
    }
    for &x in idx.exclude(entry) {
        if weight(user, x) > 0.0 || ctx.covers(x) {
            return Err(Ineligible::AntiTargeted);
        }
    }
    if !user.hidden.is_empty()
        && include
            .iter()
            .any(|&(t, _)| user.hidden.get(t as usize).copied().unwrap_or(false))
    {
        return Err(Ineligible::TopicHidden);
    }
    let traits = if s.traits.is_empty() {
        false
    } else if s.traits.iter().any(|t| user.traits.contains(t)) {
        true
    } else {
        return Err(Ineligible::TraitMismatch);
    };
    let mut shows_7d = 0;
    if let Some(st) = stats {
        if st.disliked {
            return Err(Ineligible::Disliked);
        }
        if st.converted {
            return Err(Ineligible::Converted);
        }
        if dismiss_limit > 0 && st.dismissals >= dismiss_limit {
            return Err(Ineligible::Dismissed);
        }
        if let Some(last) = st.last_shown
            && s.min_interval_s > 0
            && now - last < i64::from(s.min_interval_s) * 1000
        {
            return Err(Ineligible::MinInterval);
        }
        let within = |ms: i64| st.recent_shows.iter().filter(|&&t| now - t < ms).count();
        let week = within(7 * DAY_MS);
        let caps = &s.caps;
        if (caps.per_hour > 0 && within(HOUR_MS) >= usize::from(caps.per_hour))
            || (caps.per_day > 0 && within(DAY_MS) >= usize::from(caps.per_day))
            || (caps.per_week > 0 && week >= usize::from(caps.per_week))
            || (caps.total > 0 && st.total_shows >= u32::from(caps.total))
        {
            return Err(Ineligible::FrequencyCap);
        }
        shows_7d = u32::try_from(week).unwrap_or(u32::MAX);
    }
    Ok(SetMatch {
        interest,
        context,
        traits,
        shows_7d,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_of_week_and_minute() {
        // 2026-11-30 is a Monday; 10:15 UTC.
        let t = 1_796_033_700_000;
        assert_eq!(local_dow_minute(t, 0), (0, 615));
        // UTC+14 is 00:15 on Tuesday.
        assert_eq!(local_dow_minute(t, 14 * 60), (1, 15));
        // UTC-11 is 23:15 on Sunday.
        assert_eq!(local_dow_minute(t, -11 * 60), (6, 1395));
    }

    #[test]
    fn geo_and_locale_matching() {
        let de = vec!["DE".to_string()];
        assert!(geo_ok(&de, Some("DE")));
        assert!(geo_ok(&de, Some("de-BY")));
        assert!(!geo_ok(&de, Some("DK")));
        assert!(!geo_ok(&de, None));
        assert!(geo_ok(&[], None));
        let ca = vec!["US-CA".to_string()];
        assert!(geo_ok(&ca, Some("US-CA")));
        assert!(!geo_ok(&ca, Some("US")));
        assert!(!geo_ok(&ca, Some("US-NY")));
        let l = vec!["de".to_string(), "en-GB".to_string()];
        assert!(locale_ok(&l, Some("de")));
        assert!(locale_ok(&l, Some("de_AT")));
        assert!(locale_ok(&l, Some("en-gb")));
        assert!(!locale_ok(&l, Some("en-US")));
        assert!(!locale_ok(&l, Some("dee")));
        assert!(!locale_ok(&l, None));
    }

    /// `campaign_facts` (the packed path selection uses) gives exactly the
    /// verdict and reason of `campaign` (the reference rules), over campaigns
    /// and requests that vary every targeting dimension.
    #[test]
    fn packed_campaign_check_agrees_with_the_reference() {
        use crate::catalog::model::{Advertiser, Catalog, Flight, Models, Os};
        use crate::taxonomy::Taxonomy;

        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let geos = [
            vec![],
            strs(&["DE"]),
            strs(&["US-CA", "AT"]),
            strs(&["de-by"]),
        ];
        let locales = [vec![], strs(&["de"]), strs(&["en-GB", "es_419"])];
        let oses = [vec![], vec![Os::Android], vec![Os::Ios, Os::Android]];
        let sections = [vec![], strs(&["news"]), strs(&["sport", "news"])];
        let dayparts = [
            vec![],
            vec![Daypart {
                days: 0x1f,
                start_minute: 8 * 60,
                end_minute: 1440,
            }],
        ];
        let mut campaigns = Vec::new();
        for (i, g) in geos.iter().enumerate() {
            for (j, l) in locales.iter().enumerate() {
                for (k, o) in oses.iter().enumerate() {
                    for (m, a) in sections.iter().enumerate() {
                        for (n, d) in dayparts.iter().enumerate() {
                            campaigns.push(Campaign::<()> {
                                id: format!("c{i}{j}{k}{m}{n}"),
                                advertiser_id: if n == 0 { "a1" } else { "a2" }.into(),
                                priority: 1,
                                value_micros: 1,
                                flight: Flight {
                                    start_ms: 1_796_000_000_000 + i as i64 * 10_000_000,
                                    end_ms: 1_796_100_000_000,
                                },
                                // Capped at 2 a day when k == 1 (every third OS variant).
                                daily_cap: if k == 1 { 2 } else { 0 },
                                pass_through_bp: 10_000,
                                dayparts: d.clone(),
                                geo: g.clone(),
                                locales: l.clone(),
                                os: o.clone(),
                                app_sections: a.clone(),
                                creative_sets: Vec::new(),
                            });
                        }
                    }
                }
            }
        }
        let advertiser = |id: &str| Advertiser {
            id: id.into(),
            name: id.into(),
        };
        let cat = Catalog {
            taxonomy_version: String::new(),
            region: "DE".into(),
            advertisers: vec![advertiser("a1"), advertiser("a2")],
            campaigns,
            models: Models::default(),
        };
        let tax = Taxonomy::iab().unwrap();
        let tax = &*tax;
        let idx = CatalogIndex::build(&cat, tax).unwrap();
        let hidden = AdBook::restore(
            crate::ads::AdSnapshot {
                hidden_advertisers: vec!["a2".into()],
                ..Default::default()
            },
            [7; 32],
        );
        // Two impressions today for every campaign of the first geo variant
        // (which the cap of 2 blocks), one for those of the second.
        let shown = |at: i64| {
            cat.campaigns
                .iter()
                .filter(|c| c.id.starts_with("c0") || c.id.starts_with("c1"))
                .flat_map(|c| {
                    let n = if c.id.starts_with("c0") { 2 } else { 1 };
                    (0..n).map(move |i| crate::ads::ShownAd {
                        serial: i,
                        at: at + i as i64,
                        ad: crate::ads::AdRef {
                            campaign_id: c.id.clone(),
                            set_id: format!("{}-s", c.id),
                            creative_id: format!("{}-k", c.id),
                            advertiser_id: c.advertiser_id.clone(),
                            title: String::new(),
                            catalog_version: 1,
                            set_pos: 0,
                        },
                        events: crate::ads::AdEventKind::Impression.bit(),
                        last_event_at: at,
                    })
                })
                .collect::<Vec<_>>()
        };
        let busy = AdBook::restore(
            crate::ads::AdSnapshot {
                history: shown(1_796_033_000_000),
                ..Default::default()
            },
            [7; 32],
        );
        let books = [AdBook::default(), hidden, busy];
        let countries = [
            None,
            Some("DE"),
            Some("de-BY"),
            Some("AT"),
            Some("US-CA"),
            Some("US"),
        ];
        let langs = [
            None,
            Some("de-DE"),
            Some("en_gb"),
            Some("es-419"),
            Some("fr"),
        ];
        let ctx_oses = [None, Some(Os::Android), Some(Os::Ios)];
        let ctx_sections = [None, Some("news"), Some("sport")];
        let times = [
            1_796_019_300_000,
            1_796_033_700_000,
            1_796_050_000_000,
            1_796_200_000_000,
        ];
        let mut checked = 0;
        let mut verdicts = std::collections::HashSet::new();
        for country in countries {
            for lang in langs {
                for os in ctx_oses {
                    for section in ctx_sections {
                        let ctx = RequestContext::resolve(
                            &crate::select::AdContext {
                                country: country.map(str::to_string),
                                locale: lang.map(str::to_string),
                                os,
                                app_section: section.map(str::to_string),
                                utc_offset_minutes: 60,
                                ..Default::default()
                            },
                            tax,
                        )
                        .unwrap();
                        for book in &books {
                            for now in times {
                                let t = Targeting::new(&idx, &ctx, book, now);
                                for (c, f) in cat.campaigns.iter().zip(&idx.campaigns) {
                                    let want = campaign(c, &ctx, book, now);
                                    let got = campaign_facts(f, c, &idx, &t, &ctx, book, now);
                                    assert_eq!(got, want, "{} at {now} for {ctx:?}", c.id);
                                    verdicts.insert(format!("{want:?}"));
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
        // Every reason a campaign can fail here was exercised, and success.
        for v in [
            "Ok(())",
            "Err(Flight)",
            "Err(Daypart)",
            "Err(Geo)",
            "Err(Locale)",
            "Err(Os)",
            "Err(AppSection)",
            "Err(AdvertiserHidden)",
            "Err(CampaignDailyCap)",
        ] {
            assert!(verdicts.contains(v), "{v} never seen: {verdicts:?}");
        }
    }
}
