//! Which CSV column a rejected value was in. csv names the column of a value it parses itself
//! (an integer) but not of one rejected by the value's own `Deserialize` (a `Decimal`, an IST
//! timestamp, an enum): [`Tracked`] wraps the record's deserializer, counts the header keys
//! csv hands to the struct, and puts the column index of a failing value in front of the error
//! message (`<index>\u{1f}<message>`), which [`split`] takes apart again.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// Separates the column index from the message.
const SEP: char = '\u{1f}';

/// `T`, deserialized from a csv record with its failing column recorded.
pub(crate) struct Tracked<T>(pub T);

/// The column index and the message of an error made by [`Tracked`] (`None` for other
/// errors, whose message is returned whole).
pub(crate) fn split(message: &str) -> (Option<usize>, &str) {
    match message.split_once(SEP) {
        Some((i, m)) => (i.parse().ok(), m),
        None => (None, message),
    }
}

impl<'de, T: de::Deserialize<'de>> de::Deserialize<'de> for Tracked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let keys = Cell::new(0usize);
        let failed = Cell::new(None);
        T::deserialize(Wrap {
            inner: d,
            keys: &keys,
            failed: &failed,
        })
        .map(Tracked)
        .map_err(|e| match failed.get() {
            Some(i) => de::Error::custom(format!("{i}{SEP}{e}")),
            None => e,
        })
    }
}

struct Wrap<'c, D> {
    inner: D,
    keys: &'c Cell<usize>,
    failed: &'c Cell<Option<usize>>,
}

macro_rules! forward {
    ($($m:ident),*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.inner.$m(v)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Wrap<'_, D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_map(Counting {
            inner: v,
            keys: self.keys,
            failed: self.failed,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_struct(
            name,
            fields,
            Counting {
                inner: v,
                keys: self.keys,
                failed: self.failed,
            },
        )
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_unit_struct(name, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_newtype_struct(name, v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_tuple(len, v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_tuple_struct(name, len, v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_enum(name, variants, v)
    }
}

/// The struct's visitor, handed a counting map.
struct Counting<'c, V> {
    inner: V,
    keys: &'c Cell<usize>,
    failed: &'c Cell<Option<usize>>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Counting<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(Counting {
            inner: map,
            keys: self.keys,
            failed: self.failed,
        })
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Counting<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let k = self.inner.next_key_seed(seed)?;
        if k.is_some() {
            self.keys.set(self.keys.get() + 1);
        }
        Ok(k)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        self.inner.next_value_seed(seed).inspect_err(|_| {
            if self.failed.get().is_none() {
                self.failed.set(self.keys.get().checked_sub(1));
            }
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}
