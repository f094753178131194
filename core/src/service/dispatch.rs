//! Every service operation by name, with JSON arguments and JSON answers: the one entry
//! point the C, Python and Node surfaces share, so they cannot drift apart.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use super::record::{details_from, metadata_from};
use super::view::{with_binding, with_result};
use super::{invalid, parse_rfc3339, ChallengeStatus, FactorUpdate, NewChallenge, NewFactor, Order, Store, Verify};
use super::{Entity, Factor, Page, Paging, DEFAULT_PAGE_SIZE};
use crate::{Algorithm, Error};

/// The names of every operation [`Verify::dispatch`] knows.
pub const OPERATIONS: [&str; 22] = [
    "create_entity",
    "fetch_entity",
    "list_entities",
    "delete_entity",
    "create_factor",
    "fetch_factor",
    "list_factors",
    "update_factor",
    "verify_factor",
    "delete_factor",
    "unlock_factor",
    "create_challenge",
    "update_challenge",
    "fetch_challenge",
    "list_challenges",
    "sweep",
    "export_entity",
    "export_factor",
    "export_challenge",
    "import_entity",
    "import_factor",
    "import_challenge",
];

/// Typed access to an operation's arguments; every argument must be read (unknown ones are
/// rejected by [`Args::finish`]).
struct Args<'a> {
    map: &'a Map<String, Value>,
    read: Vec<&'static str>,
}

impl<'a> Args<'a> {
    fn value(&mut self, name: &'static str) -> Option<&'a Value> {
        self.read.push(name);
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn str(&mut self, name: &'static str) -> Result<&'a str, Error> {
        self.opt_str(name)?.ok_or_else(|| invalid(name, "a string (required)"))
    }

    fn opt_str(&mut self, name: &'static str) -> Result<Option<&'a str>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => v.as_str().map(Some).ok_or_else(|| invalid(name, "a string")),
        }
    }

    fn opt_u64(&mut self, name: &'static str, expected: &'static str) -> Result<Option<u64>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| invalid(name, expected)),
        }
    }

    fn opt_u32(&mut self, name: &'static str, expected: &'static str) -> Result<Option<u32>, Error> {
        match self.opt_u64(name, expected)? {
            None => Ok(None),
            Some(v) => u32::try_from(v).map(Some).map_err(|_| invalid(name, expected)),
        }
    }

    /// The `limit` and `page_token` of a list operation.
    fn paging(&mut self) -> Result<Paging, Error> {
        let limit = self.opt_u64("limit", "an integer from 1 to 1000")?;
        let limit = usize::try_from(limit.unwrap_or(DEFAULT_PAGE_SIZE as u64)).unwrap_or(usize::MAX);
        Ok(Paging { limit, page_token: self.opt_str("page_token")?.map(String::from) })
    }

    fn opt_alg(&mut self) -> Result<Option<Algorithm>, Error> {
        match self.opt_str("alg")? {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| invalid("config.alg", "sha1, sha256 or sha512")),
        }
    }

    fn opt_map(&mut self, name: &'static str) -> Result<Option<super::Metadata>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => metadata_from(v).map(Some).ok_or_else(|| invalid(name, "an object of string values")),
        }
    }

    fn finish(self) -> Result<(), Error> {
        match self.map.keys().find(|k| !self.read.contains(&k.as_str())) {
            None => Ok(()),
            Some(_) => Err(invalid("arguments", "only the arguments this operation defines")),
        }
    }
}

/// A page of views: `{"items": [...], "next_page_token": "…" | null}`.
fn page<T>(page: Page<T>, view: impl Fn(&T) -> Value) -> Value {
    let mut out = Map::new();
    out.insert(String::from("items"), Value::Array(page.items.iter().map(view).collect()));
    out.insert(String::from("next_page_token"), page.next_page_token.map_or(Value::Null, Value::String));
    Value::Object(out)
}

impl<S: Store> Verify<S> {
    /// Runs the operation `op` with JSON-text arguments and returns the JSON-text answer.
    ///
    /// ```
    /// use watchword_core::service::{MemoryStore, ServiceConfig, Verify};
    /// let verify = Verify::new(ServiceConfig::new("Acme").unwrap(), MemoryStore::new());
    /// let out = verify.call("create_entity", r#"{"identity": "user-0001"}"#, 1_438_286_400).unwrap();
    /// assert!(out.contains(r#""date_created":"2015-07-30T20:00:00Z""#));
    /// let err = verify.call("create_entity", r#"{"identity": "x"}"#, 0).unwrap_err();
    /// assert_eq!(err.twilio_code(), Some(60367));
    /// ```
    pub fn call(&self, op: &str, args: &str, now: u64) -> Result<String, Error> {
        let args: Value = if args.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_str(args).map_err(|_| invalid("arguments", "a JSON object"))?
        };
        Ok(self.dispatch(op, &args, now)?.to_string())
    }

    /// Runs the operation `op` (one of [`OPERATIONS`]) with its arguments as a JSON object
    /// (snake_case names; optional ones may be absent or null) and returns the answer:
    /// public views, arrays of them, a record string, a count, or null.
    pub fn dispatch(&self, op: &str, args: &Value, now: u64) -> Result<Value, Error> {
        let empty = Map::new();
        let map = match args {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => return Err(invalid("arguments", "a JSON object")),
        };
        let mut a = Args { map, read: Vec::new() };
        let out = match op {
            "create_entity" => {
                let identity = a.str("identity")?;
                a.finish()?;
                self.create_entity(identity, now)?.view()
            }
            "fetch_entity" => {
                let identity = a.str("identity")?;
                a.finish()?;
                self.fetch_entity(identity)?.view()
            }
            "list_entities" => {
                let paging = a.paging()?;
                a.finish()?;
                page(self.list_entities(&paging)?, Entity::view)
            }
            "delete_entity" => {
                let identity = a.str("identity")?;
                a.finish()?;
                self.delete_entity(identity, now)?;
                Value::Null
            }
            "create_factor" => {
                let identity = a.str("identity")?;
                let request = NewFactor {
                    friendly_name: String::from(a.str("friendly_name")?),
                    secret: a.opt_str("secret")?.map(String::from),
                    alg: a.opt_alg()?,
                    code_length: a.opt_u32("code_length", "an integer from 3 to 8")?,
                    time_step: a.opt_u64("time_step", "an integer from 20 to 60 seconds")?,
                    skew: a.opt_u32("skew", "an integer from 0 to 2")?,
                    metadata: a.opt_map("metadata")?,
                };
                a.finish()?;
                let created = self.create_factor(identity, request, now)?;
                with_binding(created.factor.view(), &created.binding.secret, &created.binding.uri)
            }
            "fetch_factor" => {
                let (identity, sid) = (a.str("identity")?, a.str("factor_sid")?);
                a.finish()?;
                self.fetch_factor(identity, sid)?.view()
            }
            "list_factors" => {
                let identity = a.str("identity")?;
                let paging = a.paging()?;
                a.finish()?;
                page(self.list_factors(identity, &paging)?, Factor::view)
            }
            "update_factor" => {
                let (identity, sid) = (a.str("identity")?, a.str("factor_sid")?);
                let update = FactorUpdate {
                    friendly_name: a.opt_str("friendly_name")?.map(String::from),
                    alg: a.opt_alg()?,
                    code_length: a.opt_u32("code_length", "an integer from 3 to 8")?,
                    time_step: a.opt_u64("time_step", "an integer from 20 to 60 seconds")?,
                    skew: a.opt_u32("skew", "an integer from 0 to 2")?,
                    metadata: a.opt_map("metadata")?,
                };
                a.finish()?;
                self.update_factor(identity, sid, &update, now)?.view()
            }
            "verify_factor" => {
                let (identity, sid, code) = (a.str("identity")?, a.str("factor_sid")?, a.str("code")?);
                a.finish()?;
                let (factor, verification) = self.verify_factor(identity, sid, code, now)?;
                with_result(factor.view(), Some(&verification))
            }
            "delete_factor" => {
                let (identity, sid) = (a.str("identity")?, a.str("factor_sid")?);
                a.finish()?;
                self.delete_factor(identity, sid, now)?;
                Value::Null
            }
            "unlock_factor" => {
                let (identity, sid) = (a.str("identity")?, a.str("factor_sid")?);
                a.finish()?;
                self.unlock_factor(identity, sid)?.view()
            }
            "create_challenge" => {
                let identity = a.str("identity")?;
                let expiration_date = match a.value("expiration_date") {
                    None => None,
                    Some(Value::String(s)) => Some(
                        parse_rfc3339(s)
                            .ok_or_else(|| invalid("expiration_date", "Unix seconds or an RFC 3339 date-time"))?,
                    ),
                    Some(v) => Some(
                        v.as_u64()
                            .ok_or_else(|| invalid("expiration_date", "Unix seconds or an RFC 3339 date-time"))?,
                    ),
                };
                let details = match a.value("details") {
                    None => None,
                    Some(v) => Some(
                        details_from(v)
                            .ok_or_else(|| invalid("details", "{\"message\": string, \"fields\": [{label, value}]}"))?,
                    ),
                };
                let request = NewChallenge {
                    factor_sid: String::from(a.str("factor_sid")?),
                    auth_payload: a.opt_str("auth_payload")?.map(String::from),
                    expiration_date,
                    details,
                    hidden_details: a.opt_map("hidden_details")?,
                    metadata: a.opt_map("metadata")?,
                };
                a.finish()?;
                let (challenge, verification) = self.create_challenge(identity, request, now)?;
                with_result(challenge.view(now), verification.as_ref())
            }
            "update_challenge" => {
                let (identity, sid) = (a.str("identity")?, a.str("challenge_sid")?);
                let code = a.str("auth_payload")?;
                let metadata = a.opt_map("metadata")?;
                a.finish()?;
                let (challenge, verification) = self.update_challenge(identity, sid, code, metadata.as_ref(), now)?;
                with_result(challenge.view(now), Some(&verification))
            }
            "fetch_challenge" => {
                let (identity, sid) = (a.str("identity")?, a.str("challenge_sid")?);
                a.finish()?;
                self.fetch_challenge(identity, sid)?.view(now)
            }
            "list_challenges" => {
                let identity = a.str("identity")?;
                let factor_sid = a.opt_str("factor_sid")?;
                let status = match a.opt_str("status")? {
                    None => None,
                    Some(s) => Some(
                        ChallengeStatus::from_name(s)
                            .ok_or_else(|| invalid("status", "pending, approved, denied or expired"))?,
                    ),
                };
                let order = match a.opt_str("order")? {
                    None | Some("asc") => Order::Asc,
                    Some("desc") => Order::Desc,
                    Some(_) => return Err(invalid("order", "asc or desc")),
                };
                let paging = a.paging()?;
                a.finish()?;
                page(self.list_challenges(identity, factor_sid, status, order, &paging, now)?, |c| c.view(now))
            }
            "sweep" => {
                a.finish()?;
                Value::from(self.sweep(now)?)
            }
            "export_entity" => {
                let identity = a.str("identity")?;
                a.finish()?;
                Value::String(self.export_entity(identity)?)
            }
            "export_factor" => {
                let sid = a.str("factor_sid")?;
                a.finish()?;
                Value::String(self.export_factor(sid)?)
            }
            "export_challenge" => {
                let sid = a.str("challenge_sid")?;
                a.finish()?;
                Value::String(self.export_challenge(sid)?)
            }
            "import_entity" => {
                let record = a.str("record")?;
                a.finish()?;
                self.import_entity(record, now)?.view()
            }
            "import_factor" => {
                let record = a.str("record")?;
                a.finish()?;
                self.import_factor(record, now)?.view()
            }
            "import_challenge" => {
                let record = a.str("record")?;
                a.finish()?;
                self.import_challenge(record, now)?.view(now)
            }
            _ => return Err(invalid("operation", "one of the service operations (create_factor, verify_factor, …)")),
        };
        Ok(out)
    }
}
