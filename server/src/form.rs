//! Form-encoded request bodies and query strings (`application/x-www-form-urlencoded`), read
//! strictly: a malformed escape or a value that is not UTF-8 is an error, not a replacement
//! character.

use watchword_core::{Error, Invalid};

/// The parameters of a request, in order: each name and value a span of the text, or decoded
/// apart when it holds escapes.
#[derive(Debug, Default)]
pub struct Form {
    text: String,
    pairs: Vec<(Part, Part)>,
}

#[derive(Debug)]
enum Part {
    /// `text[start..end]`, which has nothing to decode.
    Span(usize, usize),
    Decoded(String),
}

fn invalid(name: &'static str, expected: &'static str) -> Error {
    Error::InvalidParameter(Invalid::Parameter { name, expected })
}

fn decode(part: &str, what: &'static str) -> Result<String, Error> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(|| invalid(what, "form encoding (%XX escapes)"))?;
                let text = std::str::from_utf8(hex).map_err(|_| invalid(what, "form encoding (%XX escapes)"))?;
                let byte = u8::from_str_radix(text, 16).map_err(|_| invalid(what, "form encoding (%XX escapes)"))?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| invalid(what, "UTF-8 text"))
}

impl Part {
    /// `text[start..end]`: a span when it has nothing to decode.
    fn of(text: &str, (start, end): (usize, usize), what: &'static str) -> Result<Part, Error> {
        let part = text.get(start..end).unwrap_or_default();
        Ok(match part.bytes().any(|b| b == b'%' || b == b'+') {
            true => Part::Decoded(decode(part, what)?),
            false => Part::Span(start, end),
        })
    }
}

impl Form {
    /// Parses `a=1&b=2`. `what` names the source in errors (`body`, `query`).
    pub fn parse(text: String, what: &'static str) -> Result<Form, Error> {
        let mut pairs = Vec::new();
        let mut start = 0;
        for part in text.split('&') {
            let end = start + part.len();
            if !part.is_empty() {
                let (name, value) = match part.find('=') {
                    Some(eq) => ((start, start + eq), (start + eq + 1, end)),
                    None => ((start, end), (end, end)),
                };
                pairs.push((Part::of(&text, name, what)?, Part::of(&text, value, what)?));
            }
            start = end + 1;
        }
        Ok(Form { text, pairs })
    }

    fn str<'f>(&'f self, part: &'f Part) -> &'f str {
        match part {
            Part::Span(start, end) => self.text.get(*start..*end).unwrap_or_default(),
            Part::Decoded(text) => text,
        }
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(name, _)| self.str(name))
    }

    /// The values of the parameter `name`, in order.
    fn values<'f>(&'f self, name: &'f str) -> impl Iterator<Item = &'f str> {
        self.pairs.iter().filter(move |(n, _)| self.str(n) == name).map(|(_, v)| self.str(v))
    }

    /// The parameter's one value; two values of it are an error.
    pub fn get(&self, name: &'static str) -> Result<Option<&str>, Error> {
        let mut found = self.values(name);
        let first = found.next();
        if found.next().is_some() {
            return Err(invalid(name, "one value"));
        }
        Ok(first)
    }

    /// Every value of a repeated parameter (`Details.Fields`).
    pub fn all<'f>(&'f self, name: &'f str) -> Vec<&'f str> {
        self.values(name).collect()
    }

    /// A required parameter.
    pub fn required(&self, name: &'static str, expected: &'static str) -> Result<&str, Error> {
        self.get(name)?.ok_or_else(|| invalid(name, expected))
    }

    /// An optional whole number in `min..=max` (the range is also checked by core; this is
    /// the type check).
    pub fn number(
        &self,
        name: &'static str,
        error_name: &'static str,
        expected: &'static str,
    ) -> Result<Option<u64>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(v) => v.parse::<u64>().map(Some).map_err(|_| invalid(error_name, expected)),
        }
    }

    /// Refuses parameters other than `allowed` (a request that names one the API does not
    /// know is refused rather than half understood); `expected` lists them for the message.
    pub fn only(&self, allowed: &[&str], expected: &'static str) -> Result<(), Error> {
        match self.names().any(|n| !allowed.contains(&n)) {
            true => Err(invalid("parameters", expected)),
            false => Ok(()),
        }
    }

    /// Whether the form holds any of these parameters.
    pub fn has_any(&self, names: &[&str]) -> bool {
        self.names().any(|n| names.contains(&n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_escapes() {
        let f = Form::parse(String::from("FriendlyName=Taylor%27s+Account&Config.Skew=2"), "body").unwrap();
        assert_eq!(f.get("FriendlyName").unwrap(), Some("Taylor's Account"));
        assert_eq!(f.number("Config.Skew", "config.skew", "0-2").unwrap(), Some(2));
    }

    #[test]
    fn refuses_malformed_input() {
        assert!(Form::parse(String::from("a=%zz"), "body").is_err());
        assert!(Form::parse(String::from("a=%4"), "body").is_err());
        assert!(Form::parse(String::from("a=%ff%fe"), "body").is_err());
        let f = Form::parse(String::from("a=1&b=2"), "body").unwrap();
        assert!(f.only(&["a", "b"], "a, b").is_ok());
        assert!(f.only(&["a"], "a").is_err());
        let f = Form::parse(String::from("&a=b=c&&b&c=&%41%3D=x+y&"), "body").unwrap();
        assert_eq!(f.get("a").unwrap(), Some("b=c"));
        assert_eq!(f.get("b").unwrap(), Some(""));
        assert_eq!(f.get("c").unwrap(), Some(""));
        assert_eq!(f.get("A=").unwrap(), Some("x y"));
        assert!(f.only(&["a", "b", "c", "A="], "a, b, c, A=").is_ok());
        assert!(f.has_any(&["A="]) && !f.has_any(&["d"]));
        let f = Form::parse(String::from("a=1&a=2"), "body").unwrap();
        assert!(f.get("a").is_err());
        assert_eq!(f.all("a"), ["1", "2"]);
    }
}
