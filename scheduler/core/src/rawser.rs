//! A minimal serde serializer that appends every value's bytes, little-endian and
//! length-prefixed, to a buffer: the input of the segment content key
//! ([`crate::render::segment_content_key`]). It is not a format anyone reads back; it only has
//! to give different bytes for different values of one type, which length prefixes and variant
//! indexes ensure, and to be fast on lists of floats (a float is its four or eight bytes, not
//! a decimal string).
use serde::ser::{self, Serialize};

/// The bytes of `value`, appended to `out`.
pub fn append<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    value.serialize(&mut Raw(out))
}

#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

struct Raw<'a>(&'a mut Vec<u8>);

impl Raw<'_> {
    fn len(&mut self, n: usize) {
        self.0.extend_from_slice(&(n as u64).to_le_bytes());
    }
}

macro_rules! le {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            self.0.extend_from_slice(&v.to_le_bytes());
            Ok(())
        }
    )*};
}

impl<'a, 'b> ser::Serializer for &'a mut Raw<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    le!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64);

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.0.push(u8::from(v));
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_u32(u32::from(v))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.serialize_bytes(v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.len(v.len());
        self.0.extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.0.push(0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        self.0.push(1);
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, i: u32, _: &'static str) -> Result<(), Error> {
        self.serialize_u32(i)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        i: u32,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.serialize_u32(i)?;
        v.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, Error> {
        let len = len.ok_or_else(|| Error("a sequence of unknown length".into()))?;
        self.len(len);
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Error> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        i: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Error> {
        self.serialize_u32(i)?;
        Ok(self)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, Error> {
        let len = len.ok_or_else(|| Error("a map of unknown length".into()))?;
        self.len(len);
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        i: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Error> {
        self.serialize_u32(i)?;
        Ok(self)
    }
}

macro_rules! compound {
    ($($tr:ident { $($m:ident),* })*) => {$(
        impl<'a, 'b> ser::$tr for &'a mut Raw<'b> {
            type Ok = ();
            type Error = Error;
            $(fn $m<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                v.serialize(&mut **self)
            })*
            fn end(self) -> Result<(), Error> {
                Ok(())
            }
        }
    )*};
}

compound! {
    SerializeSeq { serialize_element }
    SerializeTuple { serialize_element }
    SerializeTupleStruct { serialize_field }
    SerializeTupleVariant { serialize_field }
    SerializeMap { serialize_key, serialize_value }
}

impl<'a, 'b> ser::SerializeStruct for &'a mut Raw<'b> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(&mut **self)
    }
    fn skip_field(&mut self, key: &'static str) -> Result<(), Error> {
        // A skipped field still marks its place, so that "skipped" and "present" differ.
        self.0.push(0xff);
        self.0.extend_from_slice(key.as_bytes());
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<'a, 'b> ser::SerializeStructVariant for &'a mut Raw<'b> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes<T: Serialize>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        append(v, &mut out).expect("serialise");
        out
    }

    #[test]
    fn different_values_give_different_bytes() {
        assert_ne!(
            bytes(&(vec![1u8, 2], vec![3u8])),
            bytes(&(vec![1u8], vec![2u8, 3]))
        );
        assert_ne!(bytes(&Some(0u32)), bytes(&None::<u32>));
        assert_ne!(bytes(&("ab", "c")), bytes(&("a", "bc")));
        assert_eq!(bytes(&1.5f32), 1.5f32.to_le_bytes().to_vec());
        assert_ne!(bytes(&0.0f32), bytes(&-0.0f32));
    }

    #[test]
    fn draw_lists_that_differ_in_one_float_differ() {
        use quakecast_scenes::{Color, DrawList, Prim};
        let list = |x: f32| DrawList {
            width: 10,
            height: 10,
            clear: Color::hex(0),
            prims: vec![Prim::Circle {
                cx: x,
                cy: 1.0,
                r: 2.0,
                stroke: None,
                color: Color::hex(0xffffff),
            }],
        };
        assert_eq!(bytes(&list(1.0)), bytes(&list(1.0)));
        assert_ne!(bytes(&list(1.0)), bytes(&list(1.000_001)));
    }
}
