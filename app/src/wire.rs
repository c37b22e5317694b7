//! Reading Kanect's tagged JSON objects — `{"type": "message", …}` (`Event`),
//! `{"kind": "not_found", …}` (`AppError`) — in one pass.
//!
//! serde's own reader for such "internally tagged" enums reads the whole
//! object into a buffer first, because the tag may come anywhere; that
//! buffering code cost the browser bundle 14 KB (brotli). Kanect always
//! writes the tag first (after a logged event's `event_id`), so this reader
//! requires that: it skips the keys allowed before the tag
//! (`TagFirst::BEFORE`), reads the tag, then hands the rest of the object,
//! as the body of the variant the tag names, to an externally tagged twin of
//! the enum (`#[serde(remote = "…")]`). Keys the variant does not know are
//! skipped as usual. The compiler checks each twin variant's fields against
//! the enum's; a variant missing from the twin is caught by the enum's
//! round-trip test, which lists every variant in an exhaustive `match`.
//!
//! It also holds the server functions' answer encoding (`Json`): JSON read
//! from text, as the browser reads every other JSON it gets.

use std::{fmt, marker::PhantomData};

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, IntoDeserializer, MapAccess,
    VariantAccess, Visitor,
};

/// Server functions answer in JSON (`#[server(…, output = Json)]`), read
/// back as text. Leptos' own `Json` reads answers from bytes while resources
/// and live frames are read from text, and every type read both ways was
/// compiled into the browser bundle twice, once per reader. The wire format
/// is the same: `application/json`, UTF-8.
pub type Json = leptos::server_fn::codec::Post<TextJson>;

/// JSON read from text (see `Json`).
pub struct TextJson;

mod text_json {
    use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
    use serde::{Serialize, de::DeserializeOwned};

    use super::TextJson;

    impl ContentType for TextJson {
        const CONTENT_TYPE: &'static str = "application/json";
    }

    impl FormatType for TextJson {
        const FORMAT_TYPE: Format = Format::Text;
    }

    impl<T: Serialize> Encodes<T> for TextJson {
        type Error = serde_json::Error;

        fn encode(output: &T) -> Result<Bytes, Self::Error> {
            serde_json::to_vec(output).map(Bytes::from)
        }
    }

    impl<T: DeserializeOwned> Decodes<T> for TextJson {
        type Error = serde_json::Error;

        fn decode(bytes: Bytes) -> Result<T, Self::Error> {
            let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
            serde_json::from_str(text)
        }
    }
}

/// An enum written as an object whose first key, `TAG`, names the variant.
pub trait TagFirst: Sized {
    /// The key that names the variant.
    const TAG: &'static str;
    /// Keys that may come before the tag (their values are skipped).
    const BEFORE: &'static [&'static str];
    /// Reads the enum from its externally tagged form (the twin's reader).
    fn externally_tagged<'de, D: Deserializer<'de>>(from: D) -> Result<Self, D::Error>;
}

/// Reads a `T` whose tag is the object's first key.
pub fn deserialize<'de, D: Deserializer<'de>, T: TagFirst>(from: D) -> Result<T, D::Error> {
    from.deserialize_map(Object::<T>(PhantomData))
}

struct Object<T>(PhantomData<T>);

impl<'de, T: TagFirst> Visitor<'de> for Object<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object whose first key is \"{}\"", T::TAG)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        loop {
            match map.next_key::<String>()? {
                Some(key) if key == T::TAG => break,
                Some(key) if T::BEFORE.contains(&key.as_str()) => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    return Err(de::Error::custom(format_args!(
                        "\"{}\" must be the first key",
                        T::TAG
                    )));
                }
            }
        }
        let variant: String = map.next_value()?;
        T::externally_tagged(Tagged { variant, rest: map })
    }
}

/// The tag and the rest of the object, read as an externally tagged enum.
struct Tagged<A> {
    variant: String,
    rest: A,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Tagged<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Tagged<A> {
    type Error = A::Error;
    type Variant = Body<A>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Body<A>), A::Error> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, Body(self.rest)))
    }
}

/// The entries after the tag: a struct variant's fields.
struct Body<A>(A);

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Body<A> {
    type Error = A::Error;

    fn unit_variant(mut self) -> Result<(), A::Error> {
        while self.0.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _: S) -> Result<S::Value, A::Error> {
        Err(de::Error::custom("a tagged object has no newtype variants"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, A::Error> {
        Err(de::Error::custom("a tagged object has no tuple variants"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.0)
    }
}

/// Implements `Deserialize` for `$enum` through `deserialize` above, with
/// `$twin` (its `#[serde(remote = "$enum")]` copy) reading the variants:
/// `tag_first!(Event, "type" after "event_id", EventTwin)`.
macro_rules! tag_first {
    ($enum:ty, $tag:literal $(after $before:literal)*, $twin:ident) => {
        impl $crate::wire::TagFirst for $enum {
            const TAG: &'static str = $tag;
            const BEFORE: &'static [&'static str] = &[$($before),*];

            fn externally_tagged<'de, D: serde::Deserializer<'de>>(
                from: D,
            ) -> Result<Self, D::Error> {
                $twin::deserialize(from)
            }
        }

        impl<'de> serde::Deserialize<'de> for $enum {
            fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
                $crate::wire::deserialize(from)
            }
        }
    };
}
pub(crate) use tag_first;

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Shape {
        Circle { r: u32 },
        Dot,
    }

    #[derive(Deserialize)]
    #[serde(remote = "Shape", rename_all = "snake_case")]
    #[allow(dead_code)]
    enum ShapeTwin {
        Circle { r: u32 },
        Dot,
    }

    tag_first!(Shape, "type" after "event_id", ShapeTwin);

    fn read(json: &str) -> Result<Shape, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn reads_what_serde_writes() {
        for shape in [Shape::Circle { r: 3 }, Shape::Dot] {
            let json = serde_json::to_string(&shape).unwrap();
            assert_eq!(read(&json).unwrap(), shape);
        }
    }

    #[test]
    fn skips_keys_the_variant_does_not_know() {
        assert_eq!(
            read(r#"{"type":"circle","r":2,"event_id":7}"#).unwrap(),
            Shape::Circle { r: 2 }
        );
        assert_eq!(read(r#"{"type":"dot","event_id":7}"#).unwrap(), Shape::Dot);
    }

    #[test]
    fn skips_the_keys_allowed_before_the_tag() {
        assert_eq!(
            read(r#"{"event_id":7,"type":"circle","r":2}"#).unwrap(),
            Shape::Circle { r: 2 }
        );
    }

    #[test]
    fn refuses_a_late_tag_an_unknown_variant_and_a_missing_field() {
        let late = read(r#"{"r":2,"type":"circle"}"#).unwrap_err();
        assert!(
            late.to_string().contains("\"type\" must be the first key"),
            "{late}"
        );
        assert!(read(r#"{"type":"square","side":2}"#).is_err());
        assert!(read(r#"{"type":"circle"}"#).is_err());
        assert!(read(r#"[]"#).is_err());
    }

    #[test]
    fn server_function_answers_round_trip_as_text_json() {
        use leptos::server_fn::{Bytes, Decodes, Encodes};
        let shape = Shape::Circle { r: 5 };
        let bytes = <super::TextJson as Encodes<Shape>>::encode(&shape).unwrap();
        assert_eq!(&bytes[..], br#"{"type":"circle","r":5}"#);
        assert_eq!(
            <super::TextJson as Decodes<Shape>>::decode(bytes).unwrap(),
            shape
        );
        let not_utf8 = Bytes::from_static(b"\"\xff\"");
        assert!(<super::TextJson as Decodes<String>>::decode(not_utf8).is_err());
    }
}
