//! The signed bundle: the bytes a publisher ships and a phone verifies.
//!
//! # Format, version 1
//!
//! All integers are little-endian. `n` is the body length.
//!
//! | bytes | content |
//! |---|---|
//! | `0..4` | magic `b"HCAT"` |
//! | `4..6` | format version, `u16` (= [`FORMAT_VERSION`] = 1) |
//! | `6..8` | reserved, `u16`, must be 0 |
//! | `8..16` | catalog version, `u64`; strictly increasing per publisher and region |
//! | `16..24` | created at, `i64` Unix milliseconds |
//! | `24..32` | expires at, `i64` Unix milliseconds (after created at) |
//! | `32..40` | signing key id: first 8 bytes of SHA-256 of the 32-byte Ed25519 public key |
//! | `40..44` | `n`, `u32`: body length |
//! | `44..44+n` | body: the [`Catalog`] encoded with postcard 1.x |
//! | `44+n..108+n` | Ed25519 signature (RFC 8032) over bytes `0..44+n` |
//!
//! The signature covers the header and the body, so no byte of the bundle can be
//! changed without detection. See `docs/catalog-format.md` for the body encoding
//! field by field.
//!
//! # Verification order
//!
//! [`open`] stops at the first failure: size limit (before anything is parsed) →
//! minimum length → magic → format version → reserved bytes → body length
//! (shorter: truncated; longer: trailing bytes) → key id among the trusted keys →
//! signature → postcard decode (which must consume the whole body). Version,
//! expiry and structural validation are the engine's next steps.

use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{self, Ed25519KeyPair, KeyPair};

use super::model::{Catalog, CreativeRef};
use crate::clock::Timestamp;
use crate::error::{Error, Result};

/// Bundle magic.
pub const MAGIC: [u8; 4] = *b"HCAT";
/// The bundle format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 44;
/// Signature length in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 public key a phone trusts for catalogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Parse from a slice of exactly 32 bytes.
    pub fn from_slice(b: &[u8]) -> Result<Self> {
        let a: [u8; 32] = b.try_into().map_err(|_| Error::InvalidArgument {
            name: "public_key",
            reason: format!("an Ed25519 public key is 32 bytes, got {}", b.len()),
        })?;
        Ok(Self(a))
    }
    /// The key id written in bundle headers.
    pub fn key_id(&self) -> [u8; 8] {
        let d = digest::digest(&digest::SHA256, &self.0);
        let mut id = [0u8; 8];
        id.copy_from_slice(d.as_ref().get(..8).unwrap_or(&[0; 8]));
        id
    }
}

/// A publisher's signing key (Ed25519, PKCS#8 v2 document).
pub struct SigningKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey(key id {})", hex(&self.public_key().key_id()))
    }
}

impl SigningKey {
    /// Generate a new key with the system RNG.
    pub fn generate() -> Result<Self> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| {
            Error::InvalidArgument {
                name: "rng",
                reason: "the system random number generator failed".into(),
            }
        })?;
        Self::from_pkcs8(doc.as_ref())
    }
    /// Load from a PKCS#8 document.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| Error::InvalidArgument {
            name: "signing_key",
            reason: format!("not an Ed25519 PKCS#8 key: {e}"),
        })?;
        Ok(Self {
            pair,
            pkcs8: pkcs8.to_vec(),
        })
    }
    /// The PKCS#8 document (secret: store it like a password).
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }
    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey(k)
    }
}

/// The fixed header of a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleHeader {
    /// Format version (1).
    pub format_version: u16,
    /// Catalog version.
    pub catalog_version: u64,
    /// Creation time, Unix ms.
    pub created_at_ms: Timestamp,
    /// Expiry time, Unix ms.
    pub expires_at_ms: Timestamp,
    /// Signing key id.
    pub key_id: [u8; 8],
}

/// Lowercase hex of bytes (for key ids in messages and files).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Sign and frame a catalog.
pub fn seal(
    catalog: &Catalog,
    catalog_version: u64,
    created_at_ms: Timestamp,
    expires_at_ms: Timestamp,
    key: &SigningKey,
) -> Result<Vec<u8>> {
    if expires_at_ms <= created_at_ms {
        return Err(Error::InvalidArgument {
            name: "expires_at",
            reason: "must be after created_at".into(),
        });
    }
    let body = postcard::to_stdvec(catalog).map_err(|e| Error::CatalogMalformed(e.to_string()))?;
    let n = u32::try_from(body.len()).map_err(|_| Error::InvalidArgument {
        name: "catalog",
        reason: "encoded body exceeds 4 GiB".into(),
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + SIGNATURE_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&catalog_version.to_le_bytes());
    out.extend_from_slice(&created_at_ms.to_le_bytes());
    out.extend_from_slice(&expires_at_ms.to_le_bytes());
    out.extend_from_slice(&key.public_key().key_id());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&body);
    let sig = key.pair.sign(&out);
    out.extend_from_slice(sig.as_ref());
    Ok(out)
}

fn le<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    if let Some(s) = bytes.get(at..at + N) {
        a.copy_from_slice(s);
    }
    a
}

/// Parse and check the framing; returns the header and the body's range.
pub fn parse_header(bytes: &[u8]) -> Result<(BundleHeader, std::ops::Range<usize>)> {
    let min = HEADER_LEN + SIGNATURE_LEN;
    let present = bytes.len().min(MAGIC.len());
    if bytes.get(..present) != MAGIC.get(..present) {
        return Err(Error::CatalogMalformed(
            "not a Hearth catalog bundle (bad magic)".into(),
        ));
    }
    if bytes.len() < min {
        return Err(Error::CatalogTruncated {
            expected: min as u64,
            actual: bytes.len() as u64,
        });
    }
    let format_version = u16::from_le_bytes(le(bytes, 4));
    if format_version == 0 {
        return Err(Error::CatalogMalformed("format version 0".into()));
    }
    if format_version > FORMAT_VERSION {
        return Err(Error::CatalogUnsupportedFormat {
            found: format_version,
            supported: FORMAT_VERSION,
        });
    }
    if u16::from_le_bytes(le(bytes, 6)) != 0 {
        return Err(Error::CatalogMalformed(
            "reserved header bytes are not zero".into(),
        ));
    }
    // In u64: on a 32-bit target a length field near u32::MAX would overflow
    // `usize` arithmetic.
    let n = u64::from(u32::from_le_bytes(le(bytes, 40)));
    let expected = (HEADER_LEN + SIGNATURE_LEN) as u64 + n;
    let actual = bytes.len() as u64;
    if actual < expected {
        return Err(Error::CatalogTruncated { expected, actual });
    }
    if actual > expected {
        return Err(Error::CatalogMalformed(format!(
            "{} trailing bytes after the signature",
            actual - expected
        )));
    }
    let header = BundleHeader {
        format_version,
        catalog_version: u64::from_le_bytes(le(bytes, 8)),
        created_at_ms: i64::from_le_bytes(le(bytes, 16)),
        expires_at_ms: i64::from_le_bytes(le(bytes, 24)),
        key_id: le(bytes, 32),
    };
    if header.expires_at_ms <= header.created_at_ms {
        return Err(Error::CatalogMalformed(
            "expires_at is not after created_at".into(),
        ));
    }
    // `bytes.len() == expected` here, so the body length fits `usize`.
    let body_len = bytes.len() - HEADER_LEN - SIGNATURE_LEN;
    Ok((header, HEADER_LEN..HEADER_LEN + body_len))
}

/// Check size, framing and signature; returns the header and the signed body.
pub fn verify<'a>(
    bytes: &'a [u8],
    trusted: &[PublicKey],
    max_len: usize,
) -> Result<(BundleHeader, &'a [u8])> {
    if bytes.len() > max_len {
        return Err(Error::CatalogTooLarge {
            size: bytes.len() as u64,
            max: max_len as u64,
        });
    }
    let (header, body) = parse_header(bytes)?;
    let key = trusted
        .iter()
        .find(|k| k.key_id() == header.key_id)
        .ok_or_else(|| Error::CatalogUntrustedKey {
            key_id: hex(&header.key_id),
        })?;
    let signed = bytes.get(..body.end).unwrap_or_default();
    let sig = bytes.get(body.end..).unwrap_or_default();
    signature::UnparsedPublicKey::new(&signature::ED25519, &key.0)
        .verify(signed, sig)
        .map_err(|_| Error::CatalogBadSignature)?;
    Ok((header, bytes.get(body).unwrap_or_default()))
}

/// Decode a verified body. The whole body must be consumed.
pub fn decode_body(body: &[u8]) -> Result<Catalog> {
    let (cat, rest) = postcard::take_from_bytes::<Catalog>(body)
        .map_err(|e| Error::CatalogMalformed(format!("body does not decode: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::CatalogMalformed(format!(
            "{} unread bytes at the end of the body",
            rest.len()
        )));
    }
    Ok(cat)
}

/// Decode a verified body without copying creative text: creatives borrow
/// their strings from `body`. The whole body must be consumed.
pub fn decode_body_borrowed(body: &[u8]) -> Result<Catalog<CreativeRef<'_>>> {
    let (cat, rest) = postcard::take_from_bytes::<Catalog<CreativeRef<'_>>>(body)
        .map_err(|e| Error::CatalogMalformed(format!("body does not decode: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::CatalogMalformed(format!(
            "{} unread bytes at the end of the body",
            rest.len()
        )));
    }
    Ok(cat)
}

/// [`verify`] then [`decode_body`].
pub fn open(
    bytes: &[u8],
    trusted: &[PublicKey],
    max_len: usize,
) -> Result<(BundleHeader, Catalog)> {
    let (header, body) = verify(bytes, trusted, max_len)?;
    Ok((header, decode_body(body)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::*;

    fn tiny() -> Catalog {
        Catalog {
            taxonomy_version: "t".into(),
            region: "DE".into(),
            advertisers: vec![Advertiser {
                id: "a".into(),
                name: "A".into(),
            }],
            campaigns: vec![],
            models: Models::default(),
        }
    }

    #[test]
    fn seal_then_open() {
        let k = SigningKey::generate().unwrap();
        let b = seal(&tiny(), 7, 1000, 2000, &k).unwrap();
        let (h, c) = open(&b, &[k.public_key()], 1 << 20).unwrap();
        assert_eq!(h.catalog_version, 7);
        assert_eq!((h.created_at_ms, h.expires_at_ms), (1000, 2000));
        assert_eq!(c, tiny());
        assert_eq!(&b[..4], b"HCAT");
        assert_eq!(
            b.len(),
            HEADER_LEN + SIGNATURE_LEN + postcard::to_stdvec(&tiny()).unwrap().len()
        );
    }

    #[test]
    fn every_byte_flip_is_rejected() {
        let k = SigningKey::generate().unwrap();
        let b = seal(&tiny(), 7, 1000, 2000, &k).unwrap();
        for i in 0..b.len() {
            for x in [0x01u8, 0x80] {
                let mut c = b.clone();
                c[i] ^= x;
                assert!(
                    open(&c, &[k.public_key()], 1 << 20).is_err(),
                    "byte {i} ^ {x:#x}"
                );
            }
        }
    }

    #[test]
    fn framing_errors_are_typed() {
        let k = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let b = seal(&tiny(), 7, 1000, 2000, &k).unwrap();
        let pk = [k.public_key()];
        assert!(matches!(
            open(&b, &[other.public_key()], 1 << 20),
            Err(Error::CatalogUntrustedKey { .. })
        ));
        assert!(matches!(
            open(&b, &pk, 10),
            Err(Error::CatalogTooLarge { .. })
        ));
        for cut in [0, 3, 50, b.len() - 1] {
            assert!(
                matches!(
                    open(&b[..cut], &pk, 1 << 20),
                    Err(Error::CatalogTruncated { .. })
                ),
                "{cut}"
            );
        }
        let mut long = b.clone();
        long.push(0);
        assert!(matches!(
            open(&long, &pk, 1 << 20),
            Err(Error::CatalogMalformed(_))
        ));
        assert!(matches!(
            open(b"GIF89a", &pk, 1 << 20),
            Err(Error::CatalogMalformed(_))
        ));
        let mut newer = b.clone();
        newer[4] = 2;
        assert!(matches!(
            open(&newer, &pk, 1 << 20),
            Err(Error::CatalogUnsupportedFormat { found: 2, .. })
        ));
        let mut sig = b.clone();
        let last = sig.len() - 1;
        sig[last] ^= 1;
        assert!(matches!(
            open(&sig, &pk, 1 << 20),
            Err(Error::CatalogBadSignature)
        ));
        assert!(seal(&tiny(), 1, 5, 5, &k).is_err());
    }

    #[test]
    fn key_survives_pkcs8_round_trip() {
        let k = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8(k.pkcs8()).unwrap();
        assert_eq!(k.public_key(), again.public_key());
        assert!(SigningKey::from_pkcs8(b"nope").is_err());
        assert!(PublicKey::from_slice(&[0; 31]).is_err());
    }
}
