//! Local differential-privacy mechanisms for one categorical value.
//!
//! A device's value for one metric in one period is `v ∈ {0, 1, …, d-1}` (0 means
//! "no campaign"; see [`super`]). The mechanism is chosen by domain size, as
//! Wang et al. (USENIX Security 2017, "Locally Differentially Private Protocols
//! for Frequency Estimation") recommend:
//!
//! - **GRR** (generalised randomised response) when `d < 3·e^ε + 2`: report `v`
//!   with probability `p = e^ε / (e^ε + d - 1)`, otherwise one of the other `d-1`
//!   values uniformly, each with `q = 1 / (e^ε + d - 1)`. Variance of a count
//!   estimate: `n·(d - 2 + e^ε) / (e^ε - 1)²`.
//! - **OUE** (optimised unary encoding) otherwise: encode `v` as `d` bits with
//!   bit `v` set; report each bit independently: a set bit stays set with
//!   `p = 1/2`, a clear bit becomes set with `q = 1 / (e^ε + 1)`. Variance:
//!   `n·4e^ε / (e^ε - 1)²`.
//!
//! Both are ε-LDP: for any two inputs and any output, the output probabilities
//! differ by at most a factor `e^ε` (the tests enumerate this exactly).
//!
//! The unbiased estimate of how many of `n` devices hold value `v`, from the
//! number `c_v` of reports that support `v` (GRR: equal `v`; OUE: have bit `v`
//! set) is `(c_v - n·q) / (p - q)`.
//!
//! **Sampling.** Randomness comes from a [`NoiseSource`]: in production
//! [`SystemNoise`] (ring's `SystemRandom`, the OS CSPRNG). The engine has no
//! other source and no setting to choose one; a seeded generator exists only in
//! this crate's unit tests and on the collector side (the simulator). A Bernoulli(`p`) draw compares a uniform
//! 64-bit integer with `⌊p·2^64⌋`; a uniform choice among `k` values uses
//! rejection sampling on 64-bit integers. No floating-point inverse-CDF sampling
//! is used anywhere.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A source of uniform 64-bit integers for privacy noise.
pub trait NoiseSource {
    /// The next uniform 64-bit integer.
    fn next_u64(&mut self) -> Result<u64>;
}

/// Bytes [`SystemNoise`] draws from the operating system per refill.
const SYSTEM_NOISE_BUFFER: usize = 512;

/// The production noise source: the operating system's CSPRNG via ring.
///
/// Every value comes straight from the OS generator (no expansion through a
/// PRNG); the bytes are fetched 512 at a time, because one
/// system call per 64-bit draw was ~90% of a device's daily report on a
/// 100k-creative catalog (`cargo bench -p hearth-cli --bench report`). Unused
/// bytes are wiped when the source is dropped.
pub struct SystemNoise {
    rng: ring::rand::SystemRandom,
    buf: [u8; SYSTEM_NOISE_BUFFER],
    /// Bytes of `buf` already handed out (`SYSTEM_NOISE_BUFFER` = empty).
    used: usize,
}

impl std::fmt::Debug for SystemNoise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemNoise")
    }
}

impl Default for SystemNoise {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemNoise {
    /// A new handle on the system RNG.
    pub fn new() -> Self {
        Self {
            rng: ring::rand::SystemRandom::new(),
            buf: [0; SYSTEM_NOISE_BUFFER],
            used: SYSTEM_NOISE_BUFFER,
        }
    }
}

impl Drop for SystemNoise {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.buf);
    }
}

impl NoiseSource for SystemNoise {
    fn next_u64(&mut self) -> Result<u64> {
        use ring::rand::SecureRandom;
        if self.used + 8 > SYSTEM_NOISE_BUFFER {
            self.rng
                .fill(&mut self.buf)
                .map_err(|_| Error::InvalidArgument {
                    name: "rng",
                    reason: "the system random number generator failed".into(),
                })?;
            self.used = 0;
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buf[self.used..self.used + 8]);
        // A byte handed out is not kept.
        self.buf[self.used..self.used + 8].fill(0);
        self.used += 8;
        Ok(u64::from_le_bytes(b))
    }
}

/// A seeded noise source for this crate's unit tests only.
#[cfg(test)]
#[derive(Debug, Clone)]
pub struct SeededNoise(rand_chacha::ChaCha12Rng);

#[cfg(test)]
impl SeededNoise {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        use rand_chacha::rand_core::SeedableRng;
        Self(rand_chacha::ChaCha12Rng::seed_from_u64(seed))
    }
}

#[cfg(test)]
impl NoiseSource for SeededNoise {
    fn next_u64(&mut self) -> Result<u64> {
        use rand_chacha::rand_core::RngCore;
        Ok(self.0.next_u64())
    }
}

/// Which mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MechanismKind {
    /// Generalised randomised response.
    Grr,
    /// Optimised unary encoding.
    Oue,
}

impl MechanismKind {
    /// The name the payload format uses: `grr` or `oue`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Grr => "grr",
            Self::Oue => "oue",
        }
    }
}

/// A mechanism with its exact parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mechanism {
    /// Which one.
    pub kind: MechanismKind,
    /// Privacy parameter (0 = no signal).
    pub epsilon: f64,
    /// Domain size `d`.
    pub domain: u32,
    /// Probability of reporting the true value (GRR) / keeping a set bit (OUE).
    pub p: f64,
    /// Probability of reporting a given other value (GRR) / setting a clear bit (OUE).
    pub q: f64,
}

/// `⌊x·2^64⌋` for `x ∈ [0, 1]`, saturating at `u64::MAX`.
fn threshold(x: f64) -> u64 {
    if x <= 0.0 {
        0
    } else if x >= 1.0 {
        u64::MAX
    } else {
        // 2^64 as f64 is exact; the product is exact to 53 bits.
        (x * 18_446_744_073_709_551_616.0) as u64
    }
}

fn bernoulli(p_threshold: u64, rng: &mut dyn NoiseSource) -> Result<bool> {
    Ok(rng.next_u64()? < p_threshold)
}

/// Uniform integer in `0..k` (k ≥ 1) by rejection sampling.
fn uniform_below(k: u64, rng: &mut dyn NoiseSource) -> Result<u64> {
    let zone = u64::MAX - (u64::MAX % k + 1) % k;
    loop {
        let x = rng.next_u64()?;
        if x <= zone {
            return Ok(x % k);
        }
    }
}

impl Mechanism {
    /// The mechanism Wang et al. recommend for domain size `d` at `epsilon`:
    /// GRR when `d < 3·e^ε + 2`, otherwise OUE.
    pub fn choose(epsilon: f64, domain: u32) -> Result<Self> {
        if !(epsilon.is_finite() && (0.0..=20.0).contains(&epsilon)) {
            return Err(Error::InvalidArgument {
                name: "epsilon",
                reason: format!("{epsilon} is outside 0..=20"),
            });
        }
        if domain < 2 {
            return Err(Error::InvalidArgument {
                name: "domain",
                reason: "a domain needs at least 2 values".into(),
            });
        }
        let e = epsilon.exp();
        let kind = if f64::from(domain) < 3.0 * e + 2.0 {
            MechanismKind::Grr
        } else {
            MechanismKind::Oue
        };
        Ok(Self::with_kind(kind, epsilon, domain, e))
    }

    fn with_kind(kind: MechanismKind, epsilon: f64, domain: u32, e: f64) -> Self {
        let (p, q) = match kind {
            MechanismKind::Grr => {
                let denom = e + f64::from(domain) - 1.0;
                (e / denom, 1.0 / denom)
            }
            MechanismKind::Oue => (0.5, 1.0 / (e + 1.0)),
        };
        Self {
            kind,
            epsilon,
            domain,
            p,
            q,
        }
    }

    /// A specific mechanism (for tests and the simulator).
    pub fn new(kind: MechanismKind, epsilon: f64, domain: u32) -> Self {
        Self::with_kind(kind, epsilon, domain, epsilon.exp())
    }

    /// Perturb `value` (clamped into the domain). GRR yields one value; OUE
    /// yields `domain` bits packed little-endian into bytes (bit `i` is bit
    /// `i % 8` of byte `i / 8`).
    pub fn perturb(&self, value: u32, rng: &mut dyn NoiseSource) -> Result<Perturbed> {
        let v = value.min(self.domain - 1);
        match self.kind {
            MechanismKind::Grr => {
                if bernoulli(threshold(self.p), rng)? {
                    Ok(Perturbed::Value(v))
                } else {
                    // One of the other d-1 values uniformly.
                    let k = u64::from(self.domain - 1);
                    let r = uniform_below(k, rng)? as u32;
                    Ok(Perturbed::Value(if r >= v { r + 1 } else { r }))
                }
            }
            MechanismKind::Oue => {
                let (tp, tq) = (threshold(self.p), threshold(self.q));
                let mut bits = vec![0u8; self.domain.div_ceil(8) as usize];
                for i in 0..self.domain {
                    let t = if i == v { tp } else { tq };
                    if bernoulli(t, rng)?
                        && let Some(b) = bits.get_mut((i / 8) as usize)
                    {
                        *b |= 1 << (i % 8);
                    }
                }
                Ok(Perturbed::Bits(bits))
            }
        }
    }

    /// Unbiased estimate of how many of `n` devices hold a value, from the
    /// number of reports supporting it.
    pub fn estimate(&self, support: f64, n: f64) -> f64 {
        if self.p == self.q {
            return 0.0;
        }
        (support - n * self.q) / (self.p - self.q)
    }

    /// Variance of [`Mechanism::estimate`] for a value held by `f` of `n` devices:
    /// `(n·q(1-q) + f·(p(1-p) - q(1-q))) / (p-q)²`. For `f ≪ n` this is Wang et
    /// al.'s `n·q(1-q)/(p-q)²`.
    pub fn variance(&self, f: f64, n: f64) -> f64 {
        let (p, q) = (self.p, self.q);
        if p == q {
            return f64::INFINITY;
        }
        (n * q * (1.0 - q) + f * (p * (1.0 - p) - q * (1.0 - q))) / ((p - q) * (p - q))
    }

    /// Probability that `perturb(input)` yields `output` (exact, for the
    /// privacy tests and auditors).
    pub fn probability(&self, input: u32, output: &Perturbed) -> f64 {
        match (self.kind, output) {
            (MechanismKind::Grr, Perturbed::Value(o)) => {
                if *o == input {
                    self.p
                } else {
                    self.q
                }
            }
            (MechanismKind::Oue, Perturbed::Bits(bits)) => {
                let mut prob = 1.0;
                for i in 0..self.domain {
                    let set = bits
                        .get((i / 8) as usize)
                        .is_some_and(|b| b & (1 << (i % 8)) != 0);
                    let ps = if i == input { self.p } else { self.q };
                    prob *= if set { ps } else { 1.0 - ps };
                }
                prob
            }
            _ => 0.0,
        }
    }
}

/// A perturbed report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Perturbed {
    /// GRR output.
    Value(u32),
    /// OUE output bits.
    Bits(Vec<u8>),
}

impl Perturbed {
    /// Whether this report supports value `v`.
    pub fn supports(&self, v: u32) -> bool {
        match self {
            Perturbed::Value(x) => *x == v,
            Perturbed::Bits(b) => b
                .get((v / 8) as usize)
                .is_some_and(|x| x & (1 << (v % 8)) != 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_noise_is_uniform_across_buffer_refills() {
        let mut n = SystemNoise::new();
        // Several refills: 64 draws per buffer.
        let draws: Vec<u64> = (0..64 * 40).map(|_| n.next_u64().unwrap()).collect();
        let mut sorted = draws.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), draws.len(), "no repeated 64-bit value");
        // Every bit position is set in about half the draws (2560 draws:
        // sd 25.3, so ± 150 is ~6 sd).
        for bit in 0..64 {
            let ones = draws.iter().filter(|d| *d >> bit & 1 == 1).count();
            assert!((1130..=1430).contains(&ones), "bit {bit}: {ones}");
        }
        // Handed-out bytes are wiped from the buffer.
        assert!(n.buf[..n.used].iter().all(|&b| b == 0));
    }

    #[test]
    fn choice_follows_the_domain_size_rule() {
        // 3e + 2 ≈ 10.15 at ε = 1.
        assert_eq!(Mechanism::choose(1.0, 10).unwrap().kind, MechanismKind::Grr);
        assert_eq!(Mechanism::choose(1.0, 11).unwrap().kind, MechanismKind::Oue);
        assert!(Mechanism::choose(f64::NAN, 5).is_err());
        assert!(Mechanism::choose(1.0, 1).is_err());
    }

    #[test]
    fn parameters_are_derived_exactly() {
        let e = 1f64.exp();
        let g = Mechanism::choose(1.0, 4).unwrap();
        assert_eq!(g.p, e / (e + 3.0));
        assert_eq!(g.q, 1.0 / (e + 3.0));
        let o = Mechanism::choose(1.0, 101).unwrap();
        assert_eq!((o.p, o.q), (0.5, 1.0 / (e + 1.0)));
        // ε = 0: no signal at all.
        let z = Mechanism::choose(0.0, 4).unwrap();
        assert_eq!(z.p, z.q);
    }

    #[test]
    fn grr_ratio_bound_by_exact_enumeration() {
        for d in 2..8u32 {
            for eps in [0.1, 0.5, 1.0, 2.0] {
                let m = Mechanism::new(MechanismKind::Grr, eps, d);
                for o in 0..d {
                    let out = Perturbed::Value(o);
                    let probs: Vec<f64> = (0..d).map(|x| m.probability(x, &out)).collect();
                    let (lo, hi) = probs
                        .iter()
                        .fold((1.0f64, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
                    assert!(hi / lo <= eps.exp() * (1.0 + 1e-12), "d={d} ε={eps}");
                }
                let total: f64 = (0..d).map(|o| m.probability(0, &Perturbed::Value(o))).sum();
                assert!((total - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn oue_ratio_bound_by_exact_enumeration() {
        for d in 2..=8u32 {
            for eps in [0.5, 1.0, 3.0] {
                let m = Mechanism::new(MechanismKind::Oue, eps, d);
                let mut total = 0.0;
                for mask in 0u32..(1 << d) {
                    let out = Perturbed::Bits(vec![mask as u8]);
                    let probs: Vec<f64> = (0..d).map(|x| m.probability(x, &out)).collect();
                    let (lo, hi) = probs
                        .iter()
                        .fold((1.0f64, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
                    assert!(
                        hi / lo <= eps.exp() * (1.0 + 1e-12),
                        "d={d} ε={eps} mask={mask:b}"
                    );
                    total += m.probability(0, &out);
                }
                assert!((total - 1.0).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn uniform_and_bernoulli_are_exact_in_distribution() {
        let mut rng = SeededNoise::new(5);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[uniform_below(3, &mut rng).unwrap() as usize] += 1;
        }
        for c in counts {
            assert!((c as i64 - 10_000).abs() < 400, "{counts:?}");
        }
        assert_eq!(threshold(0.0), 0);
        assert_eq!(threshold(1.0), u64::MAX);
        assert_eq!(threshold(0.5), 1 << 63);
    }

    #[test]
    fn perturb_outputs_have_the_fixed_shape() {
        let mut rng = SeededNoise::new(1);
        let o = Mechanism::choose(1.0, 101).unwrap();
        for v in [0, 50, 100, 1000] {
            match o.perturb(v, &mut rng).unwrap() {
                Perturbed::Bits(b) => assert_eq!(b.len(), 13),
                other => panic!("{other:?}"),
            }
        }
        let g = Mechanism::choose(1.0, 5).unwrap();
        for _ in 0..100 {
            match g.perturb(2, &mut rng).unwrap() {
                Perturbed::Value(x) => assert!(x < 5),
                other => panic!("{other:?}"),
            }
        }
    }
}
