//! The serialised field names of a message body, read from its `Deserialize` impl.
//!
//! A derived `Deserialize` for a struct hands the deserializer the list of its
//! field names (after renaming) in `deserialize_struct`. Catching that list
//! gives the names exactly as they appear on the wire, with no second list to
//! keep in step.

use serde::de::{self, DeserializeOwned, Visitor};

#[derive(Debug)]
struct Caught;

impl std::fmt::Display for Caught {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names caught")
    }
}

impl std::error::Error for Caught {}

impl de::Error for Caught {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Caught
    }
}

#[derive(Default)]
struct Catcher(Option<&'static [&'static str]>);

impl<'de> de::Deserializer<'de> for &mut Catcher {
    type Error = Caught;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Caught> {
        Err(Caught)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Caught> {
        self.0 = Some(fields);
        Err(Caught)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Caught> {
        self.0 = Some(variants);
        Err(Caught)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// The serialised field names of struct `T`, or an empty list if `T` is not a struct.
pub(crate) fn of<T: DeserializeOwned>() -> &'static [&'static str] {
    caught::<T>()
}

/// The serialised variant names of enum `T`, or an empty list if `T` is not an enum.
pub(crate) fn variants_of<T: DeserializeOwned>() -> &'static [&'static str] {
    caught::<T>()
}

fn caught<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut catcher = Catcher::default();
    let _ = T::deserialize(&mut catcher);
    catcher.0.unwrap_or(&[])
}
