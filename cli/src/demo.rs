//! `hearth demo`: the main job on embedded defaults.
//!
//! A temporary, encrypted profile; a scripted week of one realistic person's app
//! activity, played through the real [`Engine`] on a simulated clock; then what
//! the phone learned, why, and what the person can do about it.

use std::sync::Arc;

use clap::Args;
use hearth_core::ads::AdEventKind;
use hearth_core::catalog::SigningKey;
use hearth_core::catalog::model::Os;
use hearth_core::clock::{DAY_MS, HOUR_MS, MINUTE_MS};
use hearth_core::profile::{Event, EventData, Feedback};
use hearth_core::select::{AdContext, AdRequest};
use hearth_core::state::Consent;
use hearth_core::store::StoreKey;
use hearth_core::{Clock, Engine, EngineConfig, ManualClock, Timestamp};

/// Options of `hearth demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo's encrypted state in this directory instead of a temporary
    /// one (it must not already hold a Hearth state under another key).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// Print every scripted event as it is played.
    #[arg(long, short)]
    pub verbose: bool,
}

type DynError = Box<dyn std::error::Error>;

/// Monday 2026-11-23 08:00 UTC: the start of the scripted week.
const START: Timestamp = 1_795_420_800_000;

struct Step {
    day: i64,
    minute: i64,
    what: &'static str,
    event: Event,
}

fn view(topics: &[&str], dwell_s: u64) -> Event {
    EventData::ContentView {
        topics: topics.iter().map(|s| s.to_string()).collect(),
        dwell_ms: Some(dwell_s * 1000),
    }
    .now()
}

/// One week of Sam: a runner and football fan, planning a wedding and a move,
/// who reads celebrity gossip but doesn't want to be profiled on it.
fn script() -> Vec<Step> {
    let mut s = Vec::new();
    let mut push = |day: i64, minute: i64, what: &'static str, event: Event| {
        s.push(Step {
            day,
            minute,
            what,
            event,
        })
    };
    for day in 0..7 {
        push(
            day,
            7 * 60,
            "reads a soccer match report",
            view(&["533"], 90),
        );
        push(day, 7 * 60 + 20, "reads about running", view(&["227"], 60));
        if day % 2 == 0 {
            push(day, 12 * 60, "skims celebrity gossip", view(&["438"], 20));
        }
        push(
            day,
            21 * 60,
            "checks smartphone reviews",
            view(&["635"], 45),
        );
    }
    push(
        0,
        9 * 60,
        "searches",
        Event::search("best running shoes for a marathon", &[]),
    );
    push(
        1,
        13 * 60,
        "buys running shoes (129.00)",
        Event::purchase(&["227"], Some(129_000_000)),
    );
    push(
        1,
        19 * 60,
        "reads a wedding venue guide",
        view(&["165"], 240),
    );
    push(
        2,
        19 * 60,
        "searches",
        Event::search("wedding photographer prices", &[]),
    );
    push(2, 20 * 60, "reads about civil unions", view(&["191"], 120));
    push(
        3,
        8 * 60,
        "reads a diabetes diet article",
        view(&["317"], 180),
    );
    push(3, 18 * 60, "plans a bachelor party", view(&["167"], 60));
    push(
        4,
        10 * 60,
        "searches",
        Event::search("two bedroom apartments for rent", &["452"]),
    );
    push(4, 10 * 60 + 5, "views a flat listing", view(&["442"], 200));
    push(
        4,
        22 * 60,
        "buys a phone case (19.00)",
        Event::purchase(&["635"], Some(19_000_000)),
    );
    push(
        5,
        9 * 60,
        "taps ♥ on a running plan",
        Event::feedback("227", Feedback::Like),
    );
    push(
        5,
        11 * 60,
        "saves a hotel (app event)",
        Event::custom("save_hotel", &["668"]),
    );
    push(
        6,
        16 * 60,
        "buys a suit (240.00)",
        Event::purchase(&["579"], Some(240_000_000)),
    );
    s.sort_by_key(|st| (st.day, st.minute));
    s
}

fn bar(weight: f64, max: f64) -> String {
    let n = if max > 0.0 {
        ((weight / max) * 20.0).round() as usize
    } else {
        0
    };
    format!("{:<20}", "█".repeat(n.min(20)))
}

fn print_interests(engine: &Engine, limit: usize) -> Result<(), DynError> {
    let interests = engine.interests()?;
    let max = interests.first().map_or(0.0, |i| i.weight);
    for i in interests.iter().take(limit) {
        println!("  {} {:>6.2}  {}", bar(i.weight, max), i.weight, i.path);
        println!("  {:>20}          {}", "", i.reason);
    }
    if interests.len() > limit {
        println!("  … and {} more", interests.len() - limit);
    }
    Ok(())
}

/// Run the demo.
pub fn run(args: &DemoArgs) -> Result<(), DynError> {
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    // The app would take this key from the Android Keystore / iOS Keychain.
    let key = StoreKey::generate()?;
    // The ad network's side: a fresh publisher key signs the sample catalog
    // (catalog/sample.json). The app ships the public key as a trusted key.
    let publisher = SigningKey::generate()?;
    let sample = hearth_cli::sample::build_sample(&publisher)?;
    let clock = Arc::new(ManualClock::new(START));
    let mut config = EngineConfig::new(&dir, key).with_clock(clock.clone());
    config.default_consent = Consent::ContextualOnly;
    config.trusted_keys = vec![publisher.public_key()];
    let engine = Engine::open(config)?;

    println!("Hearth demo — everything below happens on this \"phone\"; nothing is sent anywhere.");
    println!(
        "Taxonomy: {} ({} topics).  State: {} (encrypted)\n",
        engine.taxonomy().version(),
        engine.taxonomy().len(),
        dir.display()
    );
    println!(
        "1. Sam installs the app. Consent starts as {:?}: nothing is collected.",
        engine.consent()?
    );
    let probe = engine.record(&Event::view(&["533"]))?;
    println!("   A page view now is {:?}.", probe.status);
    engine.set_consent(Consent::Personalised)?;
    println!(
        "   Sam opts in to personalisation → {:?}.",
        engine.consent()?
    );
    let outcome = engine.install_catalog(sample.bundle.to_vec())?;
    let cat = engine
        .status()?
        .catalog
        .ok_or("catalog missing after install")?;
    println!(
        "   The app downloads the region's signed ad catalog ({} bytes) and hands it over: {:?}.",
        sample.bundle.len(),
        outcome
    );
    println!(
        "   Verified on the phone: key {}, version {}, {} campaigns, {} creatives; ready to select: {}.",
        cat.key_id,
        cat.version,
        cat.campaigns,
        cat.creatives,
        engine.status()?.selection_ready
    );
    let mut tampered = sample.bundle.clone();
    if let Some(b) = tampered.get_mut(200) {
        *b ^= 1;
    }
    match engine.install_catalog(tampered.to_vec()) {
        Err(e) => println!("   A copy with one byte changed is refused: {e}.\n"),
        Ok(o) => println!("   A tampered copy was accepted ({o:?}) — this is a bug!\n"),
    }

    let steps = script();
    println!("2. One week of Sam's app use: {} events.", steps.len());
    let (mut sensitive, mut recorded) = (0, 0);
    for st in &steps {
        clock.set(START + st.day * DAY_MS + st.minute * MINUTE_MS);
        let out = engine.record(&st.event)?;
        recorded += 1;
        sensitive += out.sensitive_dropped;
        if args.verbose || out.sensitive_dropped > 0 {
            let query = match &st.event.data {
                EventData::Search { query, .. } => format!(" \"{query}\""),
                _ => String::new(),
            };
            let note = if out.sensitive_dropped > 0 {
                "  → health topic: a special category, never stored"
            } else {
                ""
            };
            println!(
                "   day {} {:02}:{:02}  Sam {}{query}{note}",
                st.day + 1,
                st.minute / 60,
                st.minute % 60,
                st.what
            );
        }
    }
    clock.set(START + 7 * DAY_MS + 8 * HOUR_MS);
    engine.flush()?;
    let status = engine.status()?;
    println!(
        "   {recorded} events recorded, {sensitive} sensitive topic(s) dropped; the encrypted state is {} bytes.\n",
        status.state_bytes
    );

    println!(
        "3. What Hearth learned, on the phone (top 8 of {} topics), and why:",
        engine.interests()?.len()
    );
    print_interests(&engine, 8)?;

    println!("\n4. Traits inferred on the phone (each removable):");
    for t in engine.traits()? {
        println!("   • {} [{}]: {}", t.label, t.key(), t.reason);
    }

    println!(
        "\n5. Ads chosen on the phone, screen by screen (catalog v{}, nothing sent):",
        cat.version
    );
    let screen = |section: &str, topics: &[&str], text: Option<&str>, slots: u32| AdRequest {
        placement_id: format!("{section}-inline"),
        slots,
        context: AdContext {
            topics: topics.iter().map(|t| t.to_string()).collect(),
            text: text.map(str::to_string),
            locale: Some("de-DE".into()),
            country: Some("DE-BE".into()),
            app_section: Some(section.into()),
            os: Some(Os::Android),
            kinds: Vec::new(),
            utc_offset_minutes: 60,
        },
        ..Default::default()
    };
    let mut hide_token = None;
    let screens = [
        ("Home feed", screen("home", &[], None, 2)),
        (
            "A marathon training article",
            screen("sports", &["227"], Some("Marathon training plan"), 1),
        ),
        ("A smartphone review", screen("tech", &["635"], None, 1)),
        (
            "The weekend soccer round-up",
            screen("sports", &["533"], None, 2),
        ),
    ];
    for (name, req) in &screens {
        clock.advance(10 * MINUTE_MS);
        let resp = engine.select_ads(req)?;
        println!("   ▸ {name}:");
        if resp.choices.is_empty() {
            println!("     (no ad: {:?})", resp.no_fill);
        }
        for c in &resp.choices {
            println!(
                "     [{}] \"{}\" — {} ({}; expected value {:.0} µ€, p = {:.3})",
                c.advertiser_name,
                c.creative.title,
                c.creative.call_to_action,
                format!("{:?}", c.why.basis).to_lowercase(),
                c.score,
                c.engagement
            );
            println!("       why: {}", c.why.text);
            engine.record_ad_event(&c.token, AdEventKind::Impression)?;
            if hide_token.is_none() && c.why.basis == hearth_core::select::Basis::Interests {
                hide_token = Some((c.token.clone(), c.advertiser_name.clone()));
            }
        }
    }
    if let Some((token, advertiser)) = hide_token {
        engine.record_ad_event(&token, AdEventKind::Hide)?;
        println!("   Sam taps \"Hide ads from {advertiser}\". The same screens, an hour later:");
        clock.advance(HOUR_MS);
        for (name, req) in &screens {
            clock.advance(10 * MINUTE_MS);
            let resp = engine.select_ads(req)?;
            let shown: Vec<String> = resp
                .choices
                .iter()
                .map(|c| format!("{}: \"{}\"", c.advertiser_name, c.creative.title))
                .collect();
            println!(
                "   ▸ {name}: {}",
                if shown.is_empty() {
                    format!("(no ad: {:?})", resp.no_fill)
                } else {
                    shown.join("; ")
                }
            );
            assert!(
                resp.choices.iter().all(|c| c.advertiser_name != advertiser),
                "hidden advertiser shown"
            );
            for c in &resp.choices {
                engine.record_ad_event(&c.token, AdEventKind::Impression)?;
            }
        }
        println!(
            "   {advertiser} no longer appears. Ad history on the phone: {} ads in the last 30 days.",
            engine.ad_history()?.len()
        );
    }

    report_section(&engine, &clock, &sample.catalog)?;

    println!("\n7. Sam doesn't want celebrity gossip in the profile and removes \"Pop Culture\".");
    engine.remove_interest("432")?;
    clock.advance(HOUR_MS);
    let out = engine.record(&view(&["438"], 30))?;
    println!(
        "   Next gossip page: {} topic(s) dropped as hidden. Pop Culture in profile: {}.",
        out.suppressed_dropped,
        engine
            .interests()?
            .iter()
            .any(|i| i.path.starts_with("Pop Culture"))
    );
    engine.remove_trait("spending_tier")?;
    println!(
        "   Sam also removes the spending tier; traits now: {:?}.",
        engine.traits()?.iter().map(|t| t.key()).collect::<Vec<_>>()
    );

    println!("\n8. Privacy checks on the stored bytes:");
    engine.flush()?;
    let mut leaked = false;
    for entry in std::fs::read_dir(&dir)? {
        let bytes = std::fs::read(entry?.path())?;
        for needle in ["marathon", "photographer", "bedroom", "Soccer", "533"] {
            leaked |= bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        }
    }
    println!(
        "   search words or topic names readable on disk: {}",
        if leaked {
            "YES (bug!)"
        } else {
            "none (encrypted at rest)"
        }
    );
    let export = engine.export()?;
    println!(
        "   data export for Sam: {} bytes of JSON, {} interests, no search text: {}",
        export.len(),
        engine.interests()?.len(),
        !export.contains("marathon")
    );

    println!("\n9. Sam turns personalisation off: the profile and ad history are erased.");
    engine.set_consent(Consent::Off)?;
    println!(
        "   interests: {}, traits: {}, ad history: {}",
        engine.interests()?.len(),
        engine.traits()?.len(),
        engine.ad_history()?.len()
    );
    engine.reset()?;
    println!(
        "   reset(): all user data deleted from disk (the public catalog stays); consent back to {:?}.",
        engine.consent()?
    );
    engine.close()?;
    println!(
        "\nDone: everything above ran on the phone; the only bytes meant to leave it are the payload in step 6."
    );
    Ok(())
}

/// Step 6: the next day, the day's report closes: the exact payload the app
/// would upload, the privacy budget, and an auditor's verdict on the payload.
fn report_section(
    engine: &Engine,
    clock: &ManualClock,
    catalog: &hearth_core::catalog::model::Catalog,
) -> Result<(), DynError> {
    use hearth_cli::report_tools::CatalogInfo;
    use hearth_cli::report_tools::audit::{Auditor, Policy};

    // Move to the next day (UTC) so the ad day's period closes.
    let now = clock.now_ms();
    clock.set((now.div_euclid(DAY_MS) + 1) * DAY_MS + 9 * HOUR_MS);
    let pending = engine.pending_reports()?;
    println!(
        "\n6. The next morning the app's upload job asks for reports: {} pending.",
        pending.len()
    );
    let info = CatalogInfo {
        version: engine.status()?.catalog.map_or(0, |c| c.version),
        campaign_ids: catalog.campaigns.iter().map(|c| c.id.clone()).collect(),
    };
    let mut auditor = Auditor::new(Policy { max_epsilon: 1.0 }, Some(info.audit_catalog()));
    // One payload per day since the profile was created (days without ads carry
    // "none" through the same noise); all have the same size.
    for (i, r) in pending.iter().enumerate() {
        auditor.check_line(r.payload.as_bytes());
        if i + 1 == pending.len() {
            println!(
                "   period {} (the day of the ads) — the exact bytes uploaded ({} bytes):",
                r.period,
                r.payload.len()
            );
            println!("   {}", r.payload);
        } else {
            println!("   period {}: {} bytes", r.period, r.payload.len());
        }
    }
    let again = engine.pending_reports()?;
    println!(
        "   Asking again returns identical bytes (no fresh noise to average away): {}",
        again
            .iter()
            .map(|r| &r.payload)
            .eq(pending.iter().map(|r| &r.payload))
    );
    let report = auditor.finish();
    for line in report.text("the pending payloads").lines() {
        println!("   auditor: {line}");
    }
    for r in &pending {
        engine.acknowledge(r.handle)?;
    }
    let budget = engine.privacy_budget()?;
    for m in &budget.metrics {
        println!(
            "   privacy budget, {}: spent {:.1} of {:.1} over the last 7 days (ε = {:.1} per day)",
            m.metric,
            m.spent_last_7_periods,
            budget.weekly_cap_per_metric,
            budget.epsilon_per_metric
        );
    }
    println!(
        "   Uploaded and acknowledged; the transparency log keeps {} payload(s) for 30 days.",
        engine.sent_reports()?.len()
    );
    Ok(())
}
