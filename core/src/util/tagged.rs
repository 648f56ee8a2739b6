//! Internally tagged enums (`{"type": "AddMember", "organisation": …}`) read in one
//! pass, for the browser build.
//!
//! serde's derive reads an internally tagged enum by first buffering the whole
//! object into its private `Content` tree, because the tag may come anywhere in it;
//! then it reads the variant's fields out of that tree. Every type reachable from
//! such an enum is therefore compiled twice, once for JSON and once for `Content`:
//! about a tenth of the web app's wasm.
//!
//! Every JSON object the browser reads was written by serde (the server's or its
//! own), and serde writes the tag first. So in the browser the enums derive the
//! externally tagged code with `#[serde(remote = "Self")]`, and [`tag_first!`]
//! implements `Serialize`/`Deserialize` through [`Tagged`] and [`TagFirst`], which
//! turn `{"type": "X", …fields}` into the variant `X { …fields }` and back without
//! buffering. The JSON is the same byte for byte (tested below against serde's own
//! derive). Natively the enums keep serde's derive, which accepts the tag anywhere:
//! the server reads what any API client sends.
//!
//! The switch, on each such enum:
//!
//! ```ignore
//! #[cfg_attr(not(target_arch = "wasm32"), serde(tag = "type"))]
//! #[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
//! pub enum Command { … }
//! #[cfg(target_arch = "wasm32")]
//! crate::util::tagged::tag_first!(Command, "type");
//! ```

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, EnumAccess, IgnoredAny, MapAccess, VariantAccess, Visitor};
use serde::ser::{self, Impossible, SerializeMap, SerializeStruct};
use serde::{forward_to_deserialize_any, Deserializer, Serialize, Serializer};

/// Implements `Serialize` and `Deserialize` for an enum that derives them with
/// `#[serde(remote = "Self")]`, internally tagged by `$tag`, the tag first.
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(unused_macros))]
macro_rules! tag_first {
    ($enum:ty, $tag:literal) => {
        impl ::serde::Serialize for $enum {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                <$enum>::serialize(self, $crate::util::tagged::Tagged::new(serializer, $tag))
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $enum {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                <$enum>::deserialize($crate::util::tagged::TagFirst::new(deserializer, $tag))
            }
        }
    };
}
#[cfg(target_arch = "wasm32")]
pub(crate) use tag_first;

// --- writing

/// A serializer that writes an externally tagged enum's variant as an object
/// whose first field is the tag, as serde's internally tagged derive does.
pub struct Tagged<S> {
    inner: S,
    tag: &'static str,
}

impl<S> Tagged<S> {
    pub fn new(inner: S, tag: &'static str) -> Self {
        Tagged { inner, tag }
    }
}

fn not_an_enum<E: ser::Error>() -> E {
    E::custom("an internally tagged enum serialises only its variants")
}

/// Serializer methods that only refuse: `refuse! { error_fn; serialize_x(args) -> Ok; … }`;
/// `refuse! { error_fn; scalars }` for every scalar, option, newtype struct,
/// sequence and tuple method.
macro_rules! refuse {
    ($error:ident; scalars) => {
        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
            Err($error())
        }

        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: &T,
        ) -> Result<S::Ok, S::Error> {
            Err($error())
        }

        refuse! { $error;
            serialize_bool(bool) -> S::Ok;
            serialize_i8(i8) -> S::Ok;
            serialize_i16(i16) -> S::Ok;
            serialize_i32(i32) -> S::Ok;
            serialize_i64(i64) -> S::Ok;
            serialize_u8(u8) -> S::Ok;
            serialize_u16(u16) -> S::Ok;
            serialize_u32(u32) -> S::Ok;
            serialize_u64(u64) -> S::Ok;
            serialize_f32(f32) -> S::Ok;
            serialize_f64(f64) -> S::Ok;
            serialize_char(char) -> S::Ok;
            serialize_str(&str) -> S::Ok;
            serialize_bytes(&[u8]) -> S::Ok;
            serialize_none() -> S::Ok;
            serialize_unit() -> S::Ok;
            serialize_seq(Option<usize>) -> Self::SerializeSeq;
            serialize_tuple(usize) -> Self::SerializeTuple;
            serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
            serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        }
    };
    ($error:ident; $($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, S::Error> {
            Err($error())
        })*
    };
}

/// `{tag: variant}` alone: a unit variant, or a newtype variant holding a unit struct.
fn tag_only<S: Serializer>(
    serializer: S,
    name: &'static str,
    tag: &'static str,
    variant: &'static str,
) -> Result<S::Ok, S::Error> {
    let mut fields = serializer.serialize_struct(name, 1)?;
    fields.serialize_field(tag, variant)?;
    fields.end()
}

impl<S: Serializer> Serializer for Tagged<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = TaggedFields<S::SerializeStruct>;

    // The derived code of an enum calls only the variant methods.
    refuse! { not_an_enum; scalars }
    refuse! { not_an_enum;
        serialize_unit_struct(&'static str) -> S::Ok;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        tag_only(self.inner, name, self.tag, variant)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(TagInside {
            inner: self.inner,
            tag: self.tag,
            variant,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        let mut fields = self.inner.serialize_struct(name, len + 1)?;
        fields.serialize_field(self.tag, variant)?;
        Ok(TaggedFields(fields))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A struct variant's fields, after its tag.
pub struct TaggedFields<F>(F);

impl<F: SerializeStruct> ser::SerializeStructVariant for TaggedFields<F> {
    type Ok = F::Ok;
    type Error = F::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), F::Error> {
        self.0.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), F::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<F::Ok, F::Error> {
        self.0.end()
    }
}

/// The serializer a newtype variant's content is written with: the struct or map
/// it writes gets the tag as its first field.
struct TagInside<S> {
    inner: S,
    tag: &'static str,
    variant: &'static str,
}

fn not_a_struct<E: ser::Error>() -> E {
    E::custom("an internally tagged newtype variant must hold a struct or a map")
}

impl<S: Serializer> Serializer for TagInside<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = S::SerializeStruct;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<S::SerializeStruct, S::Error> {
        let mut fields = self.inner.serialize_struct(name, len + 1)?;
        fields.serialize_field(self.tag, self.variant)?;
        Ok(fields)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<S::SerializeMap, S::Error> {
        let mut entries = self.inner.serialize_map(len.map(|len| len + 1))?;
        entries.serialize_entry(self.tag, self.variant)?;
        Ok(entries)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        tag_only(self.inner, name, self.tag, self.variant)
    }

    refuse! { not_a_struct; scalars }
    refuse! { not_a_struct;
        serialize_unit_variant(&'static str, u32, &'static str) -> S::Ok;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

// --- reading

/// A deserializer that reads an externally tagged enum's variant from an object
/// whose first field is the tag, as serde's internally tagged derive writes it.
pub struct TagFirst<D> {
    inner: D,
    tag: &'static str,
}

impl<D> TagFirst<D> {
    pub fn new(inner: D, tag: &'static str) -> Self {
        TagFirst { inner, tag }
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TagFirst<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(TagFirstVisitor {
            tag: self.tag,
            visitor,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct TagFirstVisitor<V> {
    tag: &'static str,
    visitor: V,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TagFirstVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object whose first field is `{}`", self.tag)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        match map.next_key_seed(FirstField(self.tag))? {
            Some(()) => self.visitor.visit_enum(TaggedVariant { map }),
            None => Err(de::Error::missing_field(self.tag)),
        }
    }
}

/// The first key of an object, which must be the given field (the tag).
pub(crate) struct FirstField(pub(crate) &'static str);

impl<'de> DeserializeSeed<'de> for FirstField {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FirstField {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "the field `{}`", self.0)
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        if key == self.0 {
            Ok(())
        } else {
            Err(E::custom(format_args!(
                "the field `{}` must come first, found `{key}`",
                self.0
            )))
        }
    }
}

/// The rest of the object: the tag's value names the variant, the other fields
/// are the variant's.
struct TaggedVariant<A> {
    map: A,
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for TaggedVariant<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        mut self,
        seed: S,
    ) -> Result<(S::Value, Self), A::Error> {
        let variant = self.map.next_value_seed(seed)?;
        Ok((variant, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for TaggedVariant<A> {
    type Error = A::Error;

    /// Other fields beside the tag are ignored, as serde's derive does.
    fn unit_variant(mut self) -> Result<(), A::Error> {
        while self.map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        seed.deserialize(MapAccessDeserializer::new(self.map))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _: V) -> Result<V::Value, A::Error> {
        Err(de::Error::custom(
            "a tuple variant cannot be internally tagged",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.map)
    }
}

#[cfg(test)]
mod tests {
    //! Each enum twice, once with serde's internally tagged derive (the reference)
    //! and once through this module: the same JSON both ways, for every shape of
    //! variant the core uses.

    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Inner {
        id: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    }

    macro_rules! both {
        ($reference:ident, $adapted:ident, $tag:literal, { $($body:tt)* }) => {
            #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
            #[serde(tag = $tag, deny_unknown_fields)]
            enum $reference { $($body)* }

            #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
            #[serde(remote = "Self", deny_unknown_fields)]
            enum $adapted { $($body)* }
            tag_first!($adapted, $tag);
        };
    }

    both!(Reference, Adapted, "type", {
        Unit,
        Struct { id: u32, name: String, inner: Inner, list: Vec<Inner> },
        Newtype(Inner),
        #[serde(rename = "renamed_variant")]
        Renamed { #[serde(rename = "x")] value: i64 },
        Nested { child: Box<Adapted> },
        Optional { #[serde(default)] maybe: Option<u8> },
        Number(u32),
    });

    /// The reference's twin of each adapted value (the `Nested` child excepted,
    /// which is itself adapted).
    fn pairs() -> Vec<(Reference, Adapted)> {
        let inner = Inner {
            id: 7,
            note: Some("n \"quoted\"".into()),
        };
        vec![
            (Reference::Unit, Adapted::Unit),
            (
                Reference::Struct {
                    id: 1,
                    name: "Bakery BV".into(),
                    inner: inner.clone(),
                    list: vec![inner.clone(), Inner { id: 8, note: None }],
                },
                Adapted::Struct {
                    id: 1,
                    name: "Bakery BV".into(),
                    inner: inner.clone(),
                    list: vec![inner.clone(), Inner { id: 8, note: None }],
                },
            ),
            (Reference::Newtype(inner.clone()), Adapted::Newtype(inner)),
            (
                Reference::Renamed { value: -3 },
                Adapted::Renamed { value: -3 },
            ),
            (
                Reference::Optional { maybe: None },
                Adapted::Optional { maybe: None },
            ),
        ]
    }

    #[test]
    fn tagged_enums_write_the_same_json_as_serdes_derive_and_read_it_back() {
        for (reference, adapted) in pairs() {
            let json = serde_json::to_string(&reference).unwrap();
            assert_eq!(serde_json::to_string(&adapted).unwrap(), json);
            assert_eq!(serde_json::from_str::<Adapted>(&json).unwrap(), adapted);
            let pretty = serde_json::to_string_pretty(&reference).unwrap();
            assert_eq!(serde_json::to_string_pretty(&adapted).unwrap(), pretty);
            assert_eq!(serde_json::from_str::<Adapted>(&pretty).unwrap(), adapted);
        }
    }

    #[test]
    fn tagged_enums_nest_and_sit_inside_other_types() {
        let nested = Adapted::Nested {
            child: Box::new(Adapted::Newtype(Inner { id: 2, note: None })),
        };
        let json = serde_json::to_string(&vec![Some(nested.clone()), None]).unwrap();
        assert_eq!(
            json,
            r#"[{"type":"Nested","child":{"type":"Newtype","id":2}},null]"#
        );
        let back: Vec<Option<Adapted>> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [Some(nested), None]);
    }

    #[test]
    fn tagged_enums_refuse_what_serdes_derive_refuses_with_a_clear_message() {
        let error = |json: &str| {
            serde_json::from_str::<Adapted>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(error(r#"{"type":"Nope"}"#).contains("unknown variant `Nope`"));
        assert!(error(r#"{"type":"Struct","id":1}"#).contains("missing field `name`"));
        assert!(error(r#"{"type":"renamed_variant","x":1,"y":2}"#).contains("unknown field `y`"));
        assert!(error(r#"{"type":"renamed_variant","x":"one"}"#).contains("invalid type"));
        assert!(error(r#"{}"#).contains("missing field `type`"));
        assert!(error(r#"[1]"#).contains("invalid type"));
        // The one difference from serde's derive: the tag must come first, which
        // every writer of this JSON (serde) does.
        assert!(serde_json::from_str::<Reference>(r#"{"x":1,"type":"renamed_variant"}"#).is_ok());
        assert!(error(r#"{"x":1,"type":"renamed_variant"}"#)
            .contains("the field `type` must come first, found `x`"));
        // Only a struct or a map can carry the tag beside its fields.
        assert!(serde_json::to_string(&Reference::Number(1)).is_err());
        let refused = serde_json::to_string(&Adapted::Number(1)).unwrap_err();
        assert!(refused.to_string().contains("must hold a struct or a map"));
        // A unit variant ignores other fields, as serde's derive does.
        assert_eq!(
            serde_json::from_str::<Adapted>(r#"{"type":"Unit","extra":[1]}"#).unwrap(),
            Adapted::Unit
        );
    }
}
