//! The answers' JSON writer: compact JSON, byte for byte what `serde_json::to_writer` writes
//! (the tests below compare the two), with a faster string path. A string in an answer is
//! nearly always a sid, a date or a URL with nothing to escape: it is checked in one pass the
//! compiler vectorizes and copied whole, where `serde_json` looks up every byte in a table.

use std::fmt;

use serde::ser::{self, Serialize};

/// Appends `value`'s JSON to `out`.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

/// A value JSON cannot hold (a map key that is not a string or a number, or a custom error).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

/// Whether a byte must be escaped in a JSON string (as `serde_json` escapes: control
/// characters, `"` and `\`).
fn escaped(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether any of 16 bytes must be escaped: one branch-free pass the compiler turns into a
/// few vector instructions.
fn any_escaped(block: &[u8; 16]) -> bool {
    block.iter().fold(0u8, |found, &b| found | u8::from(escaped(b))) != 0
}

/// Whether any byte must be escaped, 16 at a time (a shorter tail is checked as the last 16
/// bytes, or padded with plain ones when the string is shorter).
fn needs_escapes(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(16);
    let found = blocks.any(|block| any_escaped(block.try_into().unwrap_or(&[0; 16])));
    let tail = blocks.remainder();
    if found || tail.is_empty() {
        return found;
    }
    let mut last = [b'a'; 16];
    match bytes.len().checked_sub(16) {
        Some(from) => last.copy_from_slice(&bytes[from..]),
        None => last[..tail.len()].copy_from_slice(tail),
    }
    any_escaped(&last)
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    if !needs_escapes(bytes) {
        out.extend_from_slice(bytes);
    } else {
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if !escaped(b) {
                continue;
            }
            out.extend_from_slice(&bytes[start..i]);
            start = i + 1;
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                0x0c => out.extend_from_slice(b"\\f"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 15)],
                    ]);
                }
            }
        }
        out.extend_from_slice(&bytes[start..]);
    }
    out.push(b'"');
}

/// The serializer methods of numbers, each handing its number to `$how`.
macro_rules! numbers {
    ($how:ident: $($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<(), Error> {
            self.$how(v)
        }
    )*};
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    fn integer(&mut self, n: impl itoa::Integer) -> Result<(), Error> {
        self.out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        Ok(())
    }

    fn float(&mut self, n: impl zmij::Float + Finite) -> Result<(), Error> {
        if n.finite() {
            self.out.extend_from_slice(zmij::Buffer::new().format_finite(n).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
        Ok(())
    }

    /// Opens an array or object; `close` ends it.
    fn open<'w>(&'w mut self, open: &[u8], close: &'static [u8], len: Option<usize>) -> Compound<'w, 'a> {
        self.out.extend_from_slice(open);
        if len == Some(0) {
            // As serde_json: an empty one is closed at once (`[]`, `{}`).
            self.out.extend_from_slice(close);
            return Compound { writer: self, first: true, close: b"" };
        }
        Compound { writer: self, first: true, close }
    }

    /// `{"variant":` … for the enum variants that carry values.
    fn variant<'w>(&'w mut self, variant: &str, open: &[u8], close: &'static [u8]) -> Compound<'w, 'a> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        self.open(open, close, None)
    }
}

/// `f32` and `f64`: JSON has no NaN or infinities (`serde_json` writes `null`).
trait Finite: Copy {
    fn finite(self) -> bool;
}

impl Finite for f32 {
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Finite for f64 {
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Compound<'w, 'a>;
    type SerializeTupleStruct = Compound<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    numbers!(integer: serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_i128(i128), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64),
        serialize_u128(u128));
    numbers!(float: serialize_f32(f32), serialize_f64(f64));
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    /// Written in place rather than into a `String` first (a text with something to escape is
    /// written again, escaped).
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        use std::io::Write as _;
        let start = self.out.len();
        self.out.push(b'"');
        write!(self.out, "{value}").map_err(|e| Error(e.to_string()))?;
        if needs_escapes(&self.out[start + 1..]) {
            let text = String::from_utf8(self.out.split_off(start + 1)).map_err(|e| Error(e.to_string()))?;
            self.out.truncate(start);
            write_str(self.out, &text);
        } else {
            self.out.push(b'"');
        }
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.open(b"[", b"]", Some(v.len()));
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b"[", b"]", len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b"[", b"]", Some(len)))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b"[", b"]", Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.variant(variant, b"[", b"]}"))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b"{", b"}", len))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.open(b"{", b"}", Some(len)))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        Ok(self.variant(variant, b"{", b"}}"))
    }
}

/// An array or object being written.
pub struct Compound<'w, 'a> {
    writer: &'w mut Writer<'a>,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.writer.out.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.writer)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.comma();
        write_str(self.writer.out, key);
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }

    fn close(self) -> Result<(), Error> {
        self.writer.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// The compounds whose items are written one after another (`[a,b]`).
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The compounds whose items are named (`{"a":1}`).
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(Key(self.writer.out))?;
        self.writer.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A map key: a string, or (as `serde_json` writes them) a bool, a number or a char as a
/// string. Anything else is an error.
struct Key<'a>(&'a mut Vec<u8>);

impl Key<'_> {
    fn quoted(self, text: &str) -> Result<(), Error> {
        write_str(self.0, text);
        Ok(())
    }

    fn integer(self, n: impl itoa::Integer) -> Result<(), Error> {
        self.quoted(itoa::Buffer::new().format(n))
    }

    fn float(self, n: impl zmij::Float + Finite) -> Result<(), Error> {
        if n.finite() {
            self.quoted(zmij::Buffer::new().format_finite(n))
        } else {
            not_a_key()
        }
    }
}

fn not_a_key<T>() -> Result<T, Error> {
    Err(Error("a JSON object's key must be a string".into()))
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.quoted(v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.quoted(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(if v { "true" } else { "false" })
    }
    numbers!(integer: serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_i128(i128), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64),
        serialize_u128(u128));
    numbers!(float: serialize_f32(f32), serialize_f64(f64));
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.quoted(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        not_a_key()
    }
    fn serialize_none(self) -> Result<(), Error> {
        not_a_key()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        not_a_key()
    }
    fn serialize_unit(self) -> Result<(), Error> {
        not_a_key()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        not_a_key()
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        not_a_key()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        not_a_key()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        not_a_key()
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Error> {
        not_a_key()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        not_a_key()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        not_a_key()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        not_a_key()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        not_a_key()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    fn same<T: Serialize + ?Sized>(value: &T) {
        let mut ours = Vec::new();
        super::write(&mut ours, value).expect("written");
        let theirs = serde_json::to_vec(value).expect("serde_json writes it");
        assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(theirs).unwrap());
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { a: Option<bool>, b: Vec<f64> },
    }

    #[derive(Serialize)]
    struct View<'a> {
        sid: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        empty: Vec<u8>,
        nothing: (),
        shapes: Vec<Shape>,
        #[serde(flatten)]
        extra: BTreeMap<String, serde_json::Value>,
        keys: BTreeMap<i64, char>,
        pair: (u128, i128, f32),
        bytes: &'a serde_bytes_like::Bytes,
    }

    /// `serialize_bytes`, which no derive reaches by itself.
    mod serde_bytes_like {
        pub struct Bytes(pub [u8; 3]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn the_answers_are_what_serde_json_writes() {
        let strings = [
            "",
            "VA0123456789abcdef0123456789abcdef",
            "https://verify.example.com/v2/Services/VA1/Entities/ff483d1ff591898a9942916050d2ca3f/Challenges",
            "quote \" backslash \\ slash / tab \t newline \n cr \r ff \u{c} bs \u{8} nul \0 us \u{1f} del \u{7f}",
            "éàü 日本語 😀 and \u{2028} \u{2029}",
            "\"",
            "ends with an escape\n",
        ];
        /// A value serialized with `collect_str`, from its `Display`.
        struct Shown<'a>(&'a str);
        impl std::fmt::Display for Shown<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "<{}>", self.0)
            }
        }
        impl Serialize for Shown<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
        for s in strings {
            same(s);
            same(&json!({ s: s }));
            same(&Shown(s));
            same(&[Shown(s), Shown(s)]);
        }
        same(&json!(null));
        same(&json!([1, -2, 3.5, 1e300, -0.0, 1.0, 0.1, u64::MAX, i64::MIN, true, false, {}, [], {"a": []}]));
        same(&f64::NAN);
        same(&f32::INFINITY);
        same(&'x');
        same(&'"');
        let mut extra = BTreeMap::new();
        extra.insert("metadata".to_string(), json!({"os": "Android", "n": 7, "nested": {"k": ["v", null]}}));
        extra.insert("x\ty".to_string(), json!("z"));
        same(&View {
            sid: "YF0123",
            skipped: None,
            empty: vec![],
            nothing: (),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(-1, "t".into()),
                Shape::Struct { a: Some(true), b: vec![0.5, -2.25, 100.0] },
                Shape::Struct { a: None, b: vec![] },
            ],
            extra,
            keys: [(-5, 'a'), (9, '\n')].into_iter().collect(),
            pair: (u128::MAX, i128::MIN, 1.5),
            bytes: &serde_bytes_like::Bytes([0, 127, 255]),
        });
    }

    #[test]
    fn a_string_needs_escapes_exactly_when_a_byte_does() {
        // Every byte value at every place of strings of 1 to 40 bytes (shorter than a block,
        // whole blocks, blocks and a tail), among bytes that need none.
        assert!(!super::needs_escapes(b""));
        for len in 1..=40 {
            for b in 0..=255u8 {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(super::needs_escapes(&bytes), super::escaped(b), "byte {b:#x} at {at} of {len}");
                    bytes[(at + 7) % len] = if (at + 7) % len == at { b } else { 0xff };
                    assert_eq!(
                        super::needs_escapes(&bytes),
                        super::escaped(b),
                        "byte {b:#x} at {at} of {len}, 0xff beside"
                    );
                }
            }
        }
    }

    #[test]
    fn a_key_that_is_not_a_string_or_a_number_is_an_error() {
        let mut map = BTreeMap::new();
        map.insert(vec![1u8], 1);
        assert!(super::write(&mut Vec::new(), &map).is_err());
        assert!(serde_json::to_vec(&map).is_err());
    }
}
