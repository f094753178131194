//! Every service operation by name: a [`Request`] is an operation with its checked arguments,
//! [`Verify::execute`] runs it into an [`Answer`], and an answer's JSON form is the public view.
//! The bindings build requests from their own values ([`Request::parse`] takes the named
//! arguments as values, never as text) and turn answers into their own objects;
//! [`Verify::call`] and [`Verify::dispatch`] serve hosts that route JSON requests by name.
//!
//! Every argument an operation takes, and every rule for it, is written here once.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Map, Value};

use super::config::factor_setting_error;
use super::record::{details_from, metadata_from};
use super::{
    invalid, parse_rfc3339, ChallengeStatus, FactorType, FactorUpdate, NewChallenge, NewFactor, Order, Store, Verify,
};
use super::{Challenge, Created, Entity, Factor, Metadata, Page, Paging, Verification, DEFAULT_PAGE_SIZE};
use crate::error::Invalid;
use crate::{Algorithm, Error};

/// The names of every operation, as [`Request::parse`] and [`Verify::dispatch`] know them.
pub const OPERATIONS: [&str; 23] = [
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
    "reseal",
    "export_entity",
    "export_factor",
    "export_challenge",
    "import_entity",
    "import_factor",
    "import_challenge",
];

/// A service operation with its arguments, parsed and type-checked (ranges and the rules
/// between records are checked when it runs).
///
/// The fields are the operation's arguments of the same names (as each variant lists them).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Request {
    /// `create_entity(identity)`.
    CreateEntity { identity: String },
    /// `fetch_entity(identity)`.
    FetchEntity { identity: String },
    /// `list_entities(limit?, page_token?)`.
    ListEntities { paging: Paging },
    /// `delete_entity(identity)`.
    DeleteEntity { identity: String },
    /// `create_factor(identity, friendly_name, factor_type?, count?, secret?, alg?, code_length?, time_step?, skew?, metadata?)`.
    CreateFactor { identity: String, factor: NewFactor },
    /// `fetch_factor(identity, factor_sid)`.
    FetchFactor { identity: String, factor_sid: String },
    /// `list_factors(identity, limit?, page_token?)`.
    ListFactors { identity: String, paging: Paging },
    /// `update_factor(identity, factor_sid, friendly_name?, alg?, code_length?, time_step?, skew?, metadata?, regenerate?)`.
    UpdateFactor { identity: String, factor_sid: String, update: FactorUpdate },
    /// `verify_factor(identity, factor_sid, code)`.
    VerifyFactor { identity: String, factor_sid: String, code: String },
    /// `delete_factor(identity, factor_sid)`.
    DeleteFactor { identity: String, factor_sid: String },
    /// `unlock_factor(identity, factor_sid)`.
    UnlockFactor { identity: String, factor_sid: String },
    /// `create_challenge(identity, factor_sid, auth_payload?, expiration_date?, details?, hidden_details?, metadata?)`.
    CreateChallenge { identity: String, challenge: NewChallenge },
    /// `update_challenge(identity, challenge_sid, auth_payload, metadata?)`.
    UpdateChallenge { identity: String, challenge_sid: String, auth_payload: String, metadata: Option<Metadata> },
    /// `fetch_challenge(identity, challenge_sid)`.
    FetchChallenge { identity: String, challenge_sid: String },
    /// `list_challenges(identity, factor_sid?, status?, order?, limit?, page_token?)`.
    ListChallenges {
        identity: String,
        factor_sid: Option<String>,
        status: Option<ChallengeStatus>,
        order: Order,
        paging: Paging,
    },
    /// `sweep()`.
    Sweep,
    /// `reseal()`: every record under the active secret key.
    Reseal,
    /// `export_entity(identity)`.
    ExportEntity { identity: String },
    /// `export_factor(factor_sid)`.
    ExportFactor { factor_sid: String },
    /// `export_challenge(challenge_sid)`.
    ExportChallenge { challenge_sid: String },
    /// `import_entity(record)`.
    ImportEntity { record: String },
    /// `import_factor(record)`.
    ImportFactor { record: String },
    /// `import_challenge(record)`.
    ImportChallenge { record: String },
}

/// What an operation answers. Records are boxed: an answer moves through its callers as a
/// pointer, whichever record it holds.
#[derive(Debug)]
#[non_exhaustive]
pub enum Answer {
    /// An entity.
    Entity(Box<Entity>),
    /// A page of entities.
    Entities(Page<Entity>),
    /// A factor, with the result of the code it checked (`verify_factor`).
    Factor(Box<Factor>, Option<Verification>),
    /// A new factor with its binding (`create_factor`; `update_factor` with `regenerate`).
    Created(Box<Created>),
    /// A page of factors.
    Factors(Page<Factor>),
    /// A challenge, with the result of the code it checked.
    Challenge(Box<Challenge>, Option<Verification>),
    /// A page of challenges.
    Challenges(Page<Challenge>),
    /// A stored record (`export_*`).
    Record(String),
    /// How many records were removed (`sweep`) or rewritten (`reseal`).
    Count(usize),
    /// Nothing (`delete_*`).
    Nothing,
}

impl Answer {
    /// The JSON answer: public views (challenges as read at `now`), a page
    /// `{"items": [...], "next_page_token": …}`, a record string, a count or null.
    pub fn view(&self, now: u64) -> Value {
        match self {
            Answer::Entity(e) => e.view(),
            Answer::Entities(p) => page(p, Entity::view),
            Answer::Factor(f, v) => f.answer_view(v.as_ref(), None),
            Answer::Created(c) => c.factor.answer_view(None, Some(&c.binding)),
            Answer::Factors(p) => page(p, Factor::view),
            Answer::Challenge(c, v) => c.answer_view(v.as_ref(), now),
            Answer::Challenges(p) => page(p, |c| c.view(now)),
            Answer::Record(r) => Value::String(r.clone()),
            Answer::Count(n) => Value::from(*n),
            Answer::Nothing => Value::Null,
        }
    }
}

/// A page of views: `{"items": [...], "next_page_token": "…" | null}`.
fn page<T>(page: &Page<T>, view: impl Fn(&T) -> Value) -> Value {
    let mut out = Map::new();
    out.insert(String::from("items"), Value::Array(page.items.iter().map(view).collect()));
    out.insert(String::from("next_page_token"), page.next_page_token.clone().map_or(Value::Null, Value::String));
    Value::Object(out)
}

/// A wrong type of value for an argument (a number for `identity` …).
fn wrong_type(name: &'static str, expected: &'static str) -> Error {
    Error::InvalidParameter(Invalid::Type { name, expected })
}

/// Where an operation's named arguments come from: a JSON object, or a binding's own values
/// (Python keyword arguments …) read one name at a time, so that no map is built.
pub trait Arguments {
    /// The argument `name` as a JSON value (taken: it is read once), or `None` when it was not
    /// given or is null.
    fn take(&mut self, name: &'static str) -> Result<Option<Value>, Error>;

    /// Whether an argument was given whose name is not in `read` (nulls may count as not given).
    fn has_other(&self, read: &[&'static str]) -> bool;

    /// Whether no argument is left to take: the operation's arguments not read yet are then
    /// all absent, and are not asked for one by one. The default, `false`, asks for each.
    fn is_empty(&self) -> bool {
        false
    }
}

impl Arguments for Map<String, Value> {
    fn take(&mut self, name: &'static str) -> Result<Option<Value>, Error> {
        Ok(self.remove(name).filter(|v| !v.is_null()))
    }

    fn has_other(&self, read: &[&'static str]) -> bool {
        self.keys().any(|k| !read.contains(&k.as_str()))
    }

    fn is_empty(&self) -> bool {
        Map::is_empty(self)
    }
}

/// Typed access to an operation's arguments; every argument must be read (unknown ones are
/// rejected by [`Args::finish`]).
struct Args<'a, A: Arguments + ?Sized> {
    source: &'a mut A,
    read: Read,
}

/// The names of the arguments an operation read: in place for as many as any operation reads
/// today, in a vector beyond.
#[derive(Default)]
struct Read {
    first: [&'static str; 16],
    len: usize,
    more: Vec<&'static str>,
}

impl Read {
    fn push(&mut self, name: &'static str) {
        match self.first.get_mut(self.len) {
            Some(slot) => {
                *slot = name;
                self.len += 1;
            }
            None => self.more.push(name),
        }
    }

    fn names(&self) -> alloc::borrow::Cow<'_, [&'static str]> {
        let first = &self.first[..self.len];
        if self.more.is_empty() {
            alloc::borrow::Cow::Borrowed(first)
        } else {
            alloc::borrow::Cow::Owned([first, &self.more[..]].concat())
        }
    }
}

impl<A: Arguments + ?Sized> Args<'_, A> {
    fn value(&mut self, name: &'static str) -> Result<Option<Value>, Error> {
        // Nothing left to take (nor, then, to refuse): this argument was not given.
        if self.source.is_empty() {
            return Ok(None);
        }
        self.read.push(name);
        self.source.take(name)
    }

    fn string(&mut self, name: &'static str) -> Result<String, Error> {
        self.opt_string(name)?.ok_or_else(|| wrong_type(name, "a string (required)"))
    }

    fn opt_string(&mut self, name: &'static str) -> Result<Option<String>, Error> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    fn opt_bool(&mut self, name: &'static str) -> Result<Option<bool>, Error> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    fn factor_type(&mut self) -> Result<FactorType, Error> {
        match self.opt_string("factor_type")? {
            None => Ok(FactorType::Totp),
            Some(s) => FactorType::from_name(&s).ok_or_else(|| invalid("factor_type", "totp or recovery_codes")),
        }
    }

    fn opt_count(&mut self) -> Result<Option<u32>, Error> {
        match self.value("count")? {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| invalid("count", "an integer from 1 to 20")),
            Some(_) => Err(wrong_type("count", "an integer")),
        }
    }

    /// A whole number for a factor setting: one out of the type's range is refused like one
    /// out of the setting's range.
    fn opt_factor_number<T: TryFrom<u64>>(&mut self, name: &'static str) -> Result<Option<T>, Error> {
        match self.value(name)? {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
                n.as_u64().and_then(|v| T::try_from(v).ok()).map(Some).ok_or_else(|| factor_setting_error(name))
            }
            Some(_) => Err(wrong_type(name, "an integer")),
        }
    }

    /// The `limit` and `page_token` of a list operation.
    fn paging(&mut self) -> Result<Paging, Error> {
        let limit = match self.value("limit")? {
            None => DEFAULT_PAGE_SIZE,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
                // Out of range either way: Paging::checked refuses 0 with the range's words.
                n.as_u64().map_or(0, |v| usize::try_from(v).unwrap_or(usize::MAX))
            }
            Some(_) => return Err(wrong_type("limit", "an integer")),
        };
        Ok(Paging { limit, page_token: self.opt_string("page_token")? })
    }

    /// A factor's secret: Base32 text, or its raw bytes as an array of numbers 0–255 (how the
    /// bindings pass `bytes` and `Uint8Array`).
    fn opt_secret(&mut self) -> Result<Option<String>, Error> {
        const EXPECTED: &str = "a Base32 string or the raw bytes";
        match self.value("secret")? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Array(items)) => {
                let bytes: Option<Vec<u8>> =
                    items.iter().map(|v| v.as_u64().and_then(|b| u8::try_from(b).ok())).collect();
                let bytes = zeroize::Zeroizing::new(bytes.ok_or_else(|| wrong_type("secret", EXPECTED))?);
                Ok(Some(crate::base32::encode(&bytes)))
            }
            Some(_) => Err(wrong_type("secret", EXPECTED)),
        }
    }

    fn opt_alg(&mut self) -> Result<Option<Algorithm>, Error> {
        match self.opt_string("alg")? {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| invalid("config.alg", "sha1, sha256 or sha512")),
        }
    }

    fn opt_map(&mut self, name: &'static str) -> Result<Option<Metadata>, Error> {
        match self.value(name)? {
            None => Ok(None),
            Some(v) => metadata_from(&v).map(Some).ok_or_else(|| wrong_type(name, "an object of string values")),
        }
    }

    fn opt_expiration(&mut self) -> Result<Option<u64>, Error> {
        const EXPECTED: &str = "Unix seconds or an RFC 3339 date-time";
        match self.value("expiration_date")? {
            None => Ok(None),
            Some(Value::String(s)) => parse_rfc3339(&s).map(Some).ok_or_else(|| invalid("expiration_date", EXPECTED)),
            // Fractions of a second are dropped, as everywhere times are read.
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|f| (0.0..1.8e19).contains(f)).map(|f| f as u64))
                .map(Some)
                .ok_or_else(|| invalid("expiration_date", EXPECTED)),
            Some(_) => Err(wrong_type("expiration_date", EXPECTED)),
        }
    }

    fn opt_details(&mut self) -> Result<Option<super::Details>, Error> {
        const EXPECTED: &str = "{\"message\": string, \"fields\": [{label, value}]}";
        match self.value("details")? {
            None => Ok(None),
            Some(v @ Value::Object(_)) => details_from(&v).map(Some).ok_or_else(|| invalid("details", EXPECTED)),
            Some(_) => Err(wrong_type("details", EXPECTED)),
        }
    }

    fn opt_status(&mut self) -> Result<Option<ChallengeStatus>, Error> {
        match self.opt_string("status")? {
            None => Ok(None),
            Some(s) => ChallengeStatus::from_name(&s)
                .map(Some)
                .ok_or_else(|| invalid("status", "pending, approved, denied or expired")),
        }
    }

    fn order(&mut self) -> Result<Order, Error> {
        match self.opt_string("order")?.as_deref() {
            None | Some("asc") => Ok(Order::Asc),
            Some("desc") => Ok(Order::Desc),
            Some(_) => Err(invalid("order", "asc or desc")),
        }
    }

    fn finish<T>(self, request: T) -> Result<T, Error> {
        if self.source.has_other(&self.read.names()) {
            return Err(invalid("arguments", "only the arguments this operation defines"));
        }
        Ok(request)
    }
}

impl Request {
    /// The operation `op` (one of [`OPERATIONS`]) with its named arguments (snake_case;
    /// optional ones may be absent or null). A value of the wrong type is an
    /// [`Invalid::Type`] error naming the argument; an unknown argument or operation is refused.
    ///
    /// ```
    /// use watchword_core::service::Request;
    /// let args = serde_json::json!({"identity": "user-0001", "factor_sid": "YF0123456789abcdef0123456789abcdef"});
    /// let request = Request::parse("fetch_factor", args.as_object().unwrap()).unwrap();
    /// assert_eq!(request.operation(), "fetch_factor");
    /// let err = Request::parse("fetch_factor", serde_json::json!({"identity": 1}).as_object().unwrap()).unwrap_err();
    /// assert_eq!(err.parameter(), Some("identity"));
    /// ```
    pub fn parse(op: &str, args: &Map<String, Value>) -> Result<Request, Error> {
        Request::from_arguments(op, &mut args.clone())
    }

    /// [`Request::parse`] over any source of named arguments; the values it reads are taken
    /// from it.
    pub fn from_arguments<A: Arguments + ?Sized>(op: &str, args: &mut A) -> Result<Request, Error> {
        let mut a = Args { source: args, read: Read::default() };
        let request = match op {
            "create_entity" => Request::CreateEntity { identity: a.string("identity")? },
            "fetch_entity" => Request::FetchEntity { identity: a.string("identity")? },
            "list_entities" => Request::ListEntities { paging: a.paging()? },
            "delete_entity" => Request::DeleteEntity { identity: a.string("identity")? },
            "create_factor" => Request::CreateFactor {
                identity: a.string("identity")?,
                factor: NewFactor {
                    friendly_name: a.string("friendly_name")?,
                    factor_type: a.factor_type()?,
                    count: a.opt_count()?,
                    secret: a.opt_secret()?,
                    alg: a.opt_alg()?,
                    code_length: a.opt_factor_number("code_length")?,
                    time_step: a.opt_factor_number("time_step")?,
                    skew: a.opt_factor_number("skew")?,
                    metadata: a.opt_map("metadata")?,
                },
            },
            "fetch_factor" => {
                Request::FetchFactor { identity: a.string("identity")?, factor_sid: a.string("factor_sid")? }
            }
            "list_factors" => Request::ListFactors { identity: a.string("identity")?, paging: a.paging()? },
            "update_factor" => Request::UpdateFactor {
                identity: a.string("identity")?,
                factor_sid: a.string("factor_sid")?,
                update: FactorUpdate {
                    friendly_name: a.opt_string("friendly_name")?,
                    alg: a.opt_alg()?,
                    code_length: a.opt_factor_number("code_length")?,
                    time_step: a.opt_factor_number("time_step")?,
                    skew: a.opt_factor_number("skew")?,
                    metadata: a.opt_map("metadata")?,
                    regenerate: a.opt_bool("regenerate")?.unwrap_or(false),
                },
            },
            "verify_factor" => Request::VerifyFactor {
                identity: a.string("identity")?,
                factor_sid: a.string("factor_sid")?,
                code: a.string("code")?,
            },
            "delete_factor" => {
                Request::DeleteFactor { identity: a.string("identity")?, factor_sid: a.string("factor_sid")? }
            }
            "unlock_factor" => {
                Request::UnlockFactor { identity: a.string("identity")?, factor_sid: a.string("factor_sid")? }
            }
            "create_challenge" => Request::CreateChallenge {
                identity: a.string("identity")?,
                challenge: NewChallenge {
                    factor_sid: a.string("factor_sid")?,
                    auth_payload: a.opt_string("auth_payload")?,
                    expiration_date: a.opt_expiration()?,
                    details: a.opt_details()?,
                    hidden_details: a.opt_map("hidden_details")?,
                    metadata: a.opt_map("metadata")?,
                },
            },
            "update_challenge" => Request::UpdateChallenge {
                identity: a.string("identity")?,
                challenge_sid: a.string("challenge_sid")?,
                auth_payload: a.string("auth_payload")?,
                metadata: a.opt_map("metadata")?,
            },
            "fetch_challenge" => {
                Request::FetchChallenge { identity: a.string("identity")?, challenge_sid: a.string("challenge_sid")? }
            }
            "list_challenges" => Request::ListChallenges {
                identity: a.string("identity")?,
                factor_sid: a.opt_string("factor_sid")?,
                status: a.opt_status()?,
                order: a.order()?,
                paging: a.paging()?,
            },
            "sweep" => Request::Sweep,
            "reseal" => Request::Reseal,
            "export_entity" => Request::ExportEntity { identity: a.string("identity")? },
            "export_factor" => Request::ExportFactor { factor_sid: a.string("factor_sid")? },
            "export_challenge" => Request::ExportChallenge { challenge_sid: a.string("challenge_sid")? },
            "import_entity" => Request::ImportEntity { record: a.string("record")? },
            "import_factor" => Request::ImportFactor { record: a.string("record")? },
            "import_challenge" => Request::ImportChallenge { record: a.string("record")? },
            _ => return Err(invalid("operation", "one of the service operations (create_factor, verify_factor, …)")),
        };
        a.finish(request)
    }

    /// The operation's name (one of [`OPERATIONS`]).
    pub fn operation(&self) -> &'static str {
        match self {
            Request::CreateEntity { .. } => "create_entity",
            Request::FetchEntity { .. } => "fetch_entity",
            Request::ListEntities { .. } => "list_entities",
            Request::DeleteEntity { .. } => "delete_entity",
            Request::CreateFactor { .. } => "create_factor",
            Request::FetchFactor { .. } => "fetch_factor",
            Request::ListFactors { .. } => "list_factors",
            Request::UpdateFactor { .. } => "update_factor",
            Request::VerifyFactor { .. } => "verify_factor",
            Request::DeleteFactor { .. } => "delete_factor",
            Request::UnlockFactor { .. } => "unlock_factor",
            Request::CreateChallenge { .. } => "create_challenge",
            Request::UpdateChallenge { .. } => "update_challenge",
            Request::FetchChallenge { .. } => "fetch_challenge",
            Request::ListChallenges { .. } => "list_challenges",
            Request::Sweep => "sweep",
            Request::Reseal => "reseal",
            Request::ExportEntity { .. } => "export_entity",
            Request::ExportFactor { .. } => "export_factor",
            Request::ExportChallenge { .. } => "export_challenge",
            Request::ImportEntity { .. } => "import_entity",
            Request::ImportFactor { .. } => "import_factor",
            Request::ImportChallenge { .. } => "import_challenge",
        }
    }
}

impl<S: Store> Verify<S> {
    /// Runs a request at `now` (Unix seconds).
    pub fn execute(&self, request: Request, now: u64) -> Result<Answer, Error> {
        Ok(match request {
            Request::CreateEntity { identity } => Answer::Entity(Box::new(self.create_entity(&identity, now)?)),
            Request::FetchEntity { identity } => Answer::Entity(Box::new(self.fetch_entity(&identity)?)),
            Request::ListEntities { paging } => Answer::Entities(self.list_entities(&paging)?),
            Request::DeleteEntity { identity } => {
                self.delete_entity(&identity, now)?;
                Answer::Nothing
            }
            Request::CreateFactor { identity, factor } => {
                Answer::Created(Box::new(self.create_factor(&identity, factor, now)?))
            }
            Request::FetchFactor { identity, factor_sid } => {
                Answer::Factor(Box::new(self.fetch_factor(&identity, &factor_sid)?), None)
            }
            Request::ListFactors { identity, paging } => Answer::Factors(self.list_factors(&identity, &paging)?),
            Request::UpdateFactor { identity, factor_sid, update } => {
                match self.update_factor_with_codes(&identity, &factor_sid, &update, now)? {
                    (factor, Some(binding)) => Answer::Created(Box::new(Created { factor, binding })),
                    (factor, None) => Answer::Factor(Box::new(factor), None),
                }
            }
            Request::VerifyFactor { identity, factor_sid, code } => {
                let (factor, verification) = self.verify_factor(&identity, &factor_sid, &code, now)?;
                Answer::Factor(Box::new(factor), Some(verification))
            }
            Request::DeleteFactor { identity, factor_sid } => {
                self.delete_factor(&identity, &factor_sid, now)?;
                Answer::Nothing
            }
            Request::UnlockFactor { identity, factor_sid } => {
                Answer::Factor(Box::new(self.unlock_factor(&identity, &factor_sid)?), None)
            }
            Request::CreateChallenge { identity, challenge } => {
                let (challenge, verification) = self.create_challenge(&identity, challenge, now)?;
                Answer::Challenge(Box::new(challenge), verification)
            }
            Request::UpdateChallenge { identity, challenge_sid, auth_payload, metadata } => {
                let (challenge, verification) =
                    self.update_challenge(&identity, &challenge_sid, &auth_payload, metadata.as_ref(), now)?;
                Answer::Challenge(Box::new(challenge), Some(verification))
            }
            Request::FetchChallenge { identity, challenge_sid } => {
                Answer::Challenge(Box::new(self.fetch_challenge(&identity, &challenge_sid)?), None)
            }
            Request::ListChallenges { identity, factor_sid, status, order, paging } => Answer::Challenges(
                self.list_challenges(&identity, factor_sid.as_deref(), status, order, &paging, now)?,
            ),
            Request::Sweep => Answer::Count(self.sweep(now)?),
            Request::Reseal => Answer::Count(self.reseal()?),
            Request::ExportEntity { identity } => Answer::Record(self.export_entity(&identity)?),
            Request::ExportFactor { factor_sid } => Answer::Record(self.export_factor(&factor_sid)?),
            Request::ExportChallenge { challenge_sid } => Answer::Record(self.export_challenge(&challenge_sid)?),
            Request::ImportEntity { record } => Answer::Entity(Box::new(self.import_entity(&record, now)?)),
            Request::ImportFactor { record } => Answer::Factor(Box::new(self.import_factor(&record, now)?), None),
            Request::ImportChallenge { record } => {
                Answer::Challenge(Box::new(self.import_challenge(&record, now)?), None)
            }
        })
    }

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
        let mut map = if args.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str(args) {
                Ok(Value::Object(map)) => map,
                Ok(Value::Null) => Map::new(),
                _ => return Err(invalid("arguments", "a JSON object")),
            }
        };
        Ok(self.execute(Request::from_arguments(op, &mut map)?, now)?.view(now).to_string())
    }

    /// Runs the operation `op` (one of [`OPERATIONS`]) with its arguments as a JSON object
    /// (see [`Request::parse`]) and returns the answer's JSON form ([`Answer::view`]).
    pub fn dispatch(&self, op: &str, args: &Value, now: u64) -> Result<Value, Error> {
        let mut map = match args {
            Value::Object(map) => map.clone(),
            Value::Null => Map::new(),
            _ => return Err(invalid("arguments", "a JSON object")),
        };
        Ok(self.execute(Request::from_arguments(op, &mut map)?, now)?.view(now))
    }
}

#[cfg(test)]
mod tests {
    use super::{Arguments, Read, Request};
    use crate::Error;
    use alloc::string::String;
    use serde_json::{Map, Value};

    /// A JSON object that counts how many arguments core asks it for.
    struct Counted {
        map: Map<String, Value>,
        asked: usize,
    }

    impl Arguments for Counted {
        fn take(&mut self, name: &'static str) -> Result<Option<Value>, Error> {
            self.asked += 1;
            self.map.take(name)
        }

        fn has_other(&self, read: &[&'static str]) -> bool {
            self.map.has_other(read)
        }

        fn is_empty(&self) -> bool {
            self.map.is_empty()
        }
    }

    fn counted(args: Value) -> Counted {
        Counted { map: args.as_object().cloned().unwrap(), asked: 0 }
    }

    /// Once every given argument is taken, the operation's others are not asked for; an
    /// argument the operation does not know is still refused.
    #[test]
    fn absent_arguments_are_not_asked_for() {
        let sid = "YF0123456789abcdef0123456789abcdef";
        let mut args = counted(serde_json::json!({"identity": "user-0001", "factor_sid": sid}));
        assert_eq!(Request::from_arguments("create_challenge", &mut args).unwrap().operation(), "create_challenge");
        assert_eq!(args.asked, 2);
        let mut args = counted(serde_json::json!({"identity": "user-0001", "factor_sid": sid, "metadata": {}}));
        Request::from_arguments("create_challenge", &mut args).unwrap();
        assert_eq!(args.asked, 7);
        let mut args = counted(serde_json::json!({"identity": "user-0001", "factor_sid": sid, "colour": "red"}));
        let refused = Request::from_arguments("create_challenge", &mut args).unwrap_err();
        assert_eq!(refused.parameter(), Some("arguments"));
    }

    /// Names past the in-place ones are kept too, in order.
    #[test]
    fn read_names_are_all_kept() {
        const NAMES: [&str; 20] =
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"];
        for count in [0, 1, 16, 17, 20] {
            let mut read = Read::default();
            NAMES[..count].iter().for_each(|name| read.push(name));
            assert_eq!(&*read.names(), &NAMES[..count]);
        }
    }
}
