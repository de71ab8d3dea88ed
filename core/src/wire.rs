//! Helpers for decoding untrusted postcard data.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error as _, SeqAccess, Visitor};

/// Deserialize a sequence of at most `MAX` elements, failing as soon as the
/// declared length (or the count so far) passes it.
///
/// Use with `#[serde(deserialize_with = "bounded_vec::<_, _, MAX>")]` on
/// fields of model blobs: postcard's length prefixes are attacker-chosen, and
/// an element that costs one byte on the wire (an empty string or list) costs
/// 24 bytes in memory, so without the bound a few MiB of blob could make the
/// decoder allocate hundreds of MiB before any validation ran.
pub(crate) fn bounded_vec<'de, D, T, const MAX: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T, const MAX: usize>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for Bounded<T, MAX> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a sequence of at most {MAX} elements")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            if let Some(n) = seq.size_hint().filter(|&n| n > MAX) {
                return Err(A::Error::invalid_length(n, &self));
            }
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX));
            while let Some(x) = seq.next_element()? {
                if out.len() == MAX {
                    return Err(A::Error::invalid_length(MAX + 1, &self));
                }
                out.push(x);
            }
            Ok(out)
        }
    }

    d.deserialize_seq(Bounded::<T, MAX>(PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Two {
        #[serde(deserialize_with = "super::bounded_vec::<_, _, 2>")]
        v: Vec<String>,
    }

    #[test]
    fn refuses_a_declared_length_beyond_the_bound_before_allocating() {
        let ok = postcard::to_allocvec(&Two {
            v: vec!["a".into(), "b".into()],
        })
        .unwrap();
        assert_eq!(postcard::from_bytes::<Two>(&ok).unwrap().v.len(), 2);
        let three = postcard::to_allocvec(&(vec!["a", "b", "c"],)).unwrap();
        assert!(postcard::from_bytes::<Two>(&three).is_err());
        // A length prefix of u32::MAX with no elements behind it: refused
        // from the prefix alone.
        let mut huge = Vec::new();
        let mut n = u32::MAX as u64;
        while n >= 0x80 {
            huge.push((n as u8) | 0x80);
            n >>= 7;
        }
        huge.push(n as u8);
        assert!(postcard::from_bytes::<Two>(&huge).is_err());
    }
}
