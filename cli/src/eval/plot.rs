//! `hearth eval --plot FILE.png`: NDCG@10 per row (bars with 95% intervals)
//! and, when epsilons were given, the noised content model's ratio to the best
//! centralised reference per epsilon (a line with the 0.9 goal).
//!
//! Drawn on an RGB canvas with the public-domain 8×8 bitmap font of
//! `font8x8` and encoded by `png`; no system fonts, no plotting stack.

use std::path::Path;

use super::{EvalReport, RowKind};
use crate::error::CliError;

const W: usize = 1200;
const H: usize = 560;
type Rgb = [u8; 3];
const BLACK: Rgb = [20, 20, 20];
const GREY: Rgb = [200, 200, 200];
const RED: Rgb = [200, 40, 40];

fn colour(kind: RowKind) -> Rgb {
    match kind {
        RowKind::Baseline => [150, 150, 150],
        RowKind::Centralised => [214, 120, 40],
        RowKind::OnDevice => [40, 110, 200],
    }
}

/// The 8×8 glyph of an ASCII character ('?' for anything else).
fn glyph(ch: char) -> [u8; 8] {
    let font = &font8x8::legacy::BASIC_LEGACY;
    font.get(ch as usize)
        .copied()
        .unwrap_or(font[b'?' as usize])
}

struct Canvas {
    px: Vec<u8>,
}

impl Canvas {
    fn new() -> Self {
        Self {
            px: vec![255; W * H * 3],
        }
    }

    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if (0..W as i64).contains(&x) && (0..H as i64).contains(&y) {
            let o = (y as usize * W + x as usize) * 3;
            self.px[o..o + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: Rgb) {
        for y in y0.min(y1)..=y0.max(y1) {
            for x in x0.min(x1)..=x0.max(x1) {
                self.set(x, y, c);
            }
        }
    }

    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: Rgb) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
        for s in 0..=steps {
            let x = x0 + (x1 - x0) * s / steps;
            let y = y0 + (y1 - y0) * s / steps;
            self.rect(x, y, x + 1, y + 1, c);
        }
    }

    /// ASCII text at scale 1 or 2 (other characters print as '?').
    fn text(&mut self, x: i64, y: i64, s: &str, scale: i64, c: Rgb) {
        for (k, ch) in s.chars().enumerate() {
            let g = glyph(ch);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..8 {
                    if bits >> col & 1 == 1 {
                        let px = x + (k as i64 * 8 + col) * scale;
                        let py = y + row as i64 * scale;
                        self.rect(px, py, px + scale - 1, py + scale - 1, c);
                    }
                }
            }
        }
    }

    /// Text rotated 90° counter-clockwise, reading bottom to top from (x, y).
    fn text_up(&mut self, x: i64, y: i64, s: &str, c: Rgb) {
        for (k, ch) in s.chars().enumerate() {
            let g = glyph(ch);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..8 {
                    if bits >> col & 1 == 1 {
                        self.set(x + row as i64, y - (k as i64 * 8 + col), c);
                    }
                }
            }
        }
    }
}

/// Short ASCII label of a row name.
fn ascii(name: &str) -> String {
    name.replace("hearth: profile + content (ε = ", "content eps=")
        .replace(')', "")
        .replace("hearth: ", "")
        .chars()
        .map(|c| if c.is_ascii() { c } else { '?' })
        .collect()
}

/// Draw the report and write it as a PNG.
pub fn write_png(r: &EvalReport, path: &Path) -> Result<(), CliError> {
    let mut cv = Canvas::new();
    let curve = &r.goal.epsilon_curve;
    let split_x: i64 = if curve.is_empty() { W as i64 } else { 760 };
    cv.text(20, 12, "hearth eval: NDCG@10 per model (95% CI)", 2, BLACK);

    // Left: bars.
    let (x0, y0, y1) = (60i64, 60i64, H as i64 - 200);
    let top = r
        .rows
        .iter()
        .map(|x| x.ndcg.hi)
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let y_of = |v: f64| y1 - ((v / top) * (y1 - y0) as f64) as i64;
    for t in 0..=4 {
        let v = top * f64::from(t) / 4.0;
        let y = y_of(v);
        cv.line((x0, y), (split_x - 40, y), GREY);
        cv.text(8, y - 4, &format!("{v:.3}"), 1, BLACK);
    }
    let n = r.rows.len().max(1) as i64;
    let slot = (split_x - 40 - x0) / n;
    for (k, row) in r.rows.iter().enumerate() {
        let cx = x0 + slot * k as i64 + slot / 2;
        let half = (slot / 3).max(3);
        cv.rect(
            cx - half,
            y_of(row.ndcg.mean),
            cx + half,
            y1,
            colour(row.kind),
        );
        let (lo, hi) = (y_of(row.ndcg.lo.max(0.0)), y_of(row.ndcg.hi));
        cv.line((cx, lo), (cx, hi), BLACK);
        cv.line((cx - 4, lo), (cx + 4, lo), BLACK);
        cv.line((cx - 4, hi), (cx + 4, hi), BLACK);
        cv.text(
            cx - 16,
            y_of(row.ndcg.mean) - 12,
            &format!("{:.3}", row.ndcg.mean),
            1,
            BLACK,
        );
        cv.text_up(cx - 4, H as i64 - 8, &ascii(&row.name), BLACK);
    }
    cv.line((x0, y1), (split_x - 40, y1), BLACK);
    // Legend.
    for (k, (label, kind)) in [
        ("baseline", RowKind::Baseline),
        ("centralised", RowKind::Centralised),
        ("on-device", RowKind::OnDevice),
    ]
    .iter()
    .enumerate()
    {
        let lx = x0 + 10 + 130 * k as i64;
        cv.rect(lx, 40, lx + 10, 50, colour(*kind));
        cv.text(lx + 14, 42, label, 1, BLACK);
    }

    // Right: ratio to the best centralised reference against epsilon.
    if !curve.is_empty() {
        let (px0, px1, py0, py1) = (split_x + 40, W as i64 - 30, 80i64, y1);
        cv.text(split_x, 44, "NDCG@10 / best centralised vs eps", 1, BLACK);
        let ymax = curve
            .iter()
            .map(|c| c.1)
            .filter(|v| v.is_finite())
            .fold(1.0f64, f64::max)
            * 1.05;
        let ly = |v: f64| py1 - ((v.max(0.0) / ymax) * (py1 - py0) as f64) as i64;
        let lmin = curve.iter().map(|c| c.0.ln()).fold(f64::INFINITY, f64::min);
        let lmax = curve
            .iter()
            .map(|c| c.0.ln())
            .fold(f64::NEG_INFINITY, f64::max);
        let span = (lmax - lmin).max(1e-9);
        let lx = |e: f64| {
            if curve.len() == 1 {
                (px0 + px1) / 2
            } else {
                px0 + (((e.ln() - lmin) / span) * (px1 - px0) as f64) as i64
            }
        };
        for t in 0..=4 {
            let v = ymax * f64::from(t) / 4.0;
            cv.line((px0, ly(v)), (px1, ly(v)), GREY);
            cv.text(px0 - 36, ly(v) - 4, &format!("{v:.2}"), 1, BLACK);
        }
        cv.line((px0, ly(0.9)), (px1, ly(0.9)), RED);
        cv.text(px1 - 70, ly(0.9) - 12, "goal 0.9", 1, RED);
        let mut prev: Option<(i64, i64)> = None;
        for &(e, v) in curve {
            let p = (lx(e), ly(if v.is_finite() { v } else { 0.0 }));
            cv.rect(
                p.0 - 3,
                p.1 - 3,
                p.0 + 3,
                p.1 + 3,
                colour(RowKind::OnDevice),
            );
            if let Some(q) = prev {
                cv.line(q, p, colour(RowKind::OnDevice));
            }
            prev = Some(p);
            cv.text(p.0 - 12, py1 + 8, &format!("{e}"), 1, BLACK);
        }
        cv.line((px0, py1), (px1, py1), BLACK);
        cv.text(
            (px0 + px1) / 2 - 60,
            py1 + 24,
            "epsilon (log scale)",
            1,
            BLACK,
        );
    }

    let file = std::fs::File::create(path).map_err(|source| CliError::Io {
        what: "cannot write",
        path: path.to_path_buf(),
        source,
    })?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), W as u32, H as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| CliError::Input(format!("{}: {e}", path.display()));
    let mut w = enc.write_header().map_err(png_err)?;
    w.write_image_data(&cv.px).map_err(png_err)?;
    w.finish().map_err(png_err)?;
    Ok(())
}
