//! Form-encoded request bodies and query strings (`application/x-www-form-urlencoded`), read
//! strictly: a malformed escape or a value that is not UTF-8 is an error, not a replacement
//! character.

use watchword_core::{Error, Invalid};

/// The parameters of a request, in order.
#[derive(Debug, Default)]
pub struct Form {
    pairs: Vec<(String, String)>,
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

impl Form {
    /// Parses `a=1&b=2`. `what` names the source in errors (`body`, `query`).
    pub fn parse(text: &str, what: &'static str) -> Result<Form, Error> {
        let mut pairs = Vec::new();
        for part in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(name, what)?, decode(value, what)?));
        }
        Ok(Form { pairs })
    }

    /// The parameter's one value; two values of it are an error.
    pub fn get(&self, name: &'static str) -> Result<Option<&str>, Error> {
        let mut found = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(invalid(name, "one value"));
        }
        Ok(first)
    }

    /// Every value of a repeated parameter (`Details.Fields`).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
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
        match self.pairs.iter().any(|(n, _)| !allowed.contains(&n.as_str())) {
            true => Err(invalid("parameters", expected)),
            false => Ok(()),
        }
    }

    /// Whether the form holds any of these parameters.
    pub fn has_any(&self, names: &[&str]) -> bool {
        self.pairs.iter().any(|(n, _)| names.contains(&n.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_escapes() {
        let f = Form::parse("FriendlyName=Taylor%27s+Account&Config.Skew=2", "body").unwrap();
        assert_eq!(f.get("FriendlyName").unwrap(), Some("Taylor's Account"));
        assert_eq!(f.number("Config.Skew", "config.skew", "0-2").unwrap(), Some(2));
    }

    #[test]
    fn refuses_malformed_input() {
        assert!(Form::parse("a=%zz", "body").is_err());
        assert!(Form::parse("a=%4", "body").is_err());
        assert!(Form::parse("a=%ff%fe", "body").is_err());
        let f = Form::parse("a=1&b=2", "body").unwrap();
        assert!(f.only(&["a", "b"], "a, b").is_ok());
        assert!(f.only(&["a"], "a").is_err());
        let f = Form::parse("a=1&a=2", "body").unwrap();
        assert!(f.get("a").is_err());
        assert_eq!(f.all("a"), ["1", "2"]);
    }
}
