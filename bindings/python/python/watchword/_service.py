"""The verification service: ``Verify`` and the ``Entity``, ``Factor`` and ``Challenge`` it returns.

Every rule lives in the Rust core; this module converts keyword arguments to the core's JSON
arguments and the JSON answers to objects.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, TypedDict, TypeVar, Union, cast

from . import _native

__all__ = [
    "Binding",
    "Challenge",
    "ChallengeDetails",
    "DetailField",
    "Entity",
    "Factor",
    "FactorConfig",
    "Page",
    "Verify",
]

Time = Union[int, float, datetime]
"""Unix seconds (``int``; a ``float`` is floored) or an aware ``datetime``."""


class DetailField(TypedDict):
    """One ``{label, value}`` pair of a challenge's details."""

    label: str
    value: str


class _DetailsBase(TypedDict):
    message: str


class ChallengeDetails(_DetailsBase, total=False):
    """What the user is asked to approve: a message and up to 20 labelled fields."""

    fields: List[DetailField]


def _parse_date(text: Optional[str]) -> Optional[datetime]:
    if text is None:
        return None
    iso = text[:-1] + "+00:00" if text.endswith("Z") else text
    try:
        return datetime.fromisoformat(iso).astimezone(timezone.utc)
    except ValueError:
        raise ValueError(
            f"{text} is beyond what datetime can hold (year 9999); to_dict() has it as RFC 3339 text"
        ) from None


def _str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _opt_str(name: str, value: object) -> Optional[str]:
    return None if value is None else _str(name, value)


def _opt_int(name: str, value: object) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def _opt_map(name: str, value: object) -> Optional[Dict[str, str]]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping of str to str, not {type(value).__name__}")
    out: Dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{name} must map str to str, found {type(key).__name__}: {type(item).__name__}")
        out[key] = item
    return out


def _secret(value: object) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bytes):
        return _native.base32_encode(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"secret must be bytes or a Base32 str, not {type(value).__name__}")


def _details(value: object) -> Optional[Dict[str, Any]]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"details must be a mapping like {{'message': str, 'fields': [...]}}, not {type(value).__name__}")
    return dict(value)


def _expiration(value: object) -> Union[int, str, None]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, datetime)) and not isinstance(value, bool):
        return _native.unix_seconds(value, "expiration_date")
    raise TypeError(f"expiration_date must be an int, an aware datetime or an RFC 3339 str, not {type(value).__name__}")


def _check_now(now: object) -> Optional[Time]:
    if now is None or (isinstance(now, (int, float, datetime)) and not isinstance(now, bool)):
        return now
    raise TypeError(f"now must be an int or an aware datetime, not {type(now).__name__}")


class _View:
    """A public view (the JSON the core returned) with its fields as attributes."""

    __slots__ = ("_view", "_verify")

    def __init__(self, view: Dict[str, Any], verify: Optional[Verify] = None) -> None:
        self._view = view
        self._verify = verify

    def to_dict(self) -> Dict[str, Any]:
        """The public JSON shape (dates as RFC 3339 strings); never contains a secret except a
        new factor's ``binding``."""
        return json.loads(json.dumps(self._view))  # type: ignore[no-any-return]

    def _service(self) -> Verify:
        if self._verify is None:
            raise RuntimeError("this object is not attached to a Verify service")
        return self._verify

    @property
    def sid(self) -> str:
        return cast(str, self._view["sid"])

    @property
    def identity(self) -> str:
        return cast(str, self._view["identity"])

    @property
    def date_created(self) -> datetime:
        return cast(datetime, _parse_date(self._view["date_created"]))

    @property
    def date_updated(self) -> datetime:
        return cast(datetime, _parse_date(self._view["date_updated"]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _View) and type(other) is type(self) and other._view == self._view

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._view.items() if k != "binding")
        return f"{type(self).__name__}({fields})"


class Entity(_View):
    """An entity: the user (``identity``) that owns factors."""

    __slots__ = ()

    def to_record(self) -> str:
        """The stored record (versioned JSON) for a host's own database."""
        return self._service().export_entity(self.identity)

    @classmethod
    def from_record(cls, record: str, verify: Verify) -> Entity:
        """Loads a stored record into ``verify`` and returns the entity."""
        return verify.import_entity(record)


class FactorConfig:
    """A factor's TOTP settings."""

    __slots__ = ("alg", "code_length", "time_step", "skew")

    def __init__(self, alg: str, code_length: int, time_step: int, skew: int) -> None:
        self.alg = alg
        self.code_length = code_length
        self.time_step = time_step
        self.skew = skew

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FactorConfig):
            return NotImplemented
        return (self.alg, self.code_length, self.time_step, self.skew) == (
            other.alg,
            other.code_length,
            other.time_step,
            other.skew,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"FactorConfig(alg={self.alg!r}, code_length={self.code_length}, "
            f"time_step={self.time_step}, skew={self.skew})"
        )


class Binding:
    """A new factor's secret (Base32) and key URI, returned by ``create_factor`` only."""

    __slots__ = ("secret", "uri")

    def __init__(self, secret: str, uri: str) -> None:
        self.secret = secret
        self.uri = uri

    def key_uri(self) -> _native.KeyUri:
        """The parsed key URI."""
        return _native.KeyUri.parse(self.uri)

    def qr_svg(self) -> str:
        """The key URI as a QR code (an SVG document) for the user to scan."""
        return _native.qr_svg(self.uri)

    def qr_terminal(self, background: str = "dark") -> str:
        """The key URI as a QR code of Unicode half blocks, for a terminal with a dark (the
        default) or light (``background="light"``) background."""
        return _native.qr_terminal(self.uri, background)

    def __repr__(self) -> str:
        return "Binding(secret=<hidden>, uri=<hidden>)"


class Factor(_View):
    """A TOTP factor of an entity."""

    __slots__ = ()

    @property
    def entity_sid(self) -> str:
        return cast(str, self._view["entity_sid"])

    @property
    def friendly_name(self) -> str:
        return cast(str, self._view["friendly_name"])

    @property
    def status(self) -> str:
        """``"unverified"`` or ``"verified"``."""
        return cast(str, self._view["status"])

    @property
    def factor_type(self) -> str:
        return cast(str, self._view["factor_type"])

    @property
    def config(self) -> FactorConfig:
        c = self._view["config"]
        return FactorConfig(c["alg"], c["code_length"], c["time_step"], c["skew"])

    @property
    def metadata(self) -> Optional[Dict[str, str]]:
        m = self._view.get("metadata")
        return None if m is None else dict(m)

    @property
    def binding(self) -> Optional[Binding]:
        """The secret and key URI: present on the answer of ``create_factor`` only."""
        b = self._view.get("binding")
        return None if b is None else Binding(b["secret"], b["uri"])

    @property
    def result(self) -> Optional[str]:
        """After a verification: ``"approved"``, ``"invalid_code"``, ``"replayed"`` or
        ``"outside_window"``."""
        return cast(Optional[str], self._view.get("result"))

    @property
    def result_offset(self) -> Optional[int]:
        """After a verification: matched step minus current step (``None`` for ``invalid_code``)."""
        return cast(Optional[int], self._view.get("result_offset"))

    @property
    def approved(self) -> bool:
        """Whether the verification that returned this object approved the code."""
        return self.result == "approved"

    def to_record(self) -> str:
        """The stored record (versioned JSON, with the secret) for a host's own database."""
        return self._service().export_factor(self.sid)

    @classmethod
    def from_record(cls, record: str, verify: Verify) -> Factor:
        """Loads a stored record into ``verify`` and returns the factor."""
        return verify.import_factor(record)


class Challenge(_View):
    """A challenge: one request to prove possession of a factor."""

    __slots__ = ()

    @property
    def entity_sid(self) -> str:
        return cast(str, self._view["entity_sid"])

    @property
    def factor_sid(self) -> str:
        return cast(str, self._view["factor_sid"])

    @property
    def status(self) -> str:
        """``"pending"``, ``"approved"``, ``"denied"`` or ``"expired"`` (as read at the call's ``now``)."""
        return cast(str, self._view["status"])

    @property
    def responded_reason(self) -> str:
        return cast(str, self._view["responded_reason"])

    @property
    def factor_type(self) -> str:
        return cast(str, self._view["factor_type"])

    @property
    def date_responded(self) -> Optional[datetime]:
        return _parse_date(self._view.get("date_responded"))

    @property
    def expiration_date(self) -> datetime:
        return cast(datetime, _parse_date(self._view["expiration_date"]))

    @property
    def details(self) -> Optional[ChallengeDetails]:
        d = self._view.get("details")
        return None if d is None else cast(ChallengeDetails, json.loads(json.dumps(d)))

    @property
    def hidden_details(self) -> Optional[Dict[str, str]]:
        h = self._view.get("hidden_details")
        return None if h is None else dict(h)

    @property
    def metadata(self) -> Optional[Dict[str, str]]:
        m = self._view.get("metadata")
        return None if m is None else dict(m)

    @property
    def result(self) -> Optional[str]:
        """After a verification: ``"approved"``, ``"invalid_code"``, ``"replayed"`` or
        ``"outside_window"``."""
        return cast(Optional[str], self._view.get("result"))

    @property
    def result_offset(self) -> Optional[int]:
        """After a verification: matched step minus current step (``None`` for ``invalid_code``)."""
        return cast(Optional[int], self._view.get("result_offset"))

    @property
    def approved(self) -> bool:
        """Whether the verification that returned this object approved the code."""
        return self.result == "approved"

    def to_record(self) -> str:
        """The stored record (versioned JSON) for a host's own database."""
        return self._service().export_challenge(self.sid)

    @classmethod
    def from_record(cls, record: str, verify: Verify) -> Challenge:
        """Loads a stored record into ``verify`` and returns the challenge."""
        return verify.import_challenge(record)


_V = TypeVar("_V", bound=_View)
_T = TypeVar("_T")


class Page(List[_T]):
    """One page of a list operation: a ``list`` of its items that also carries
    ``next_page_token``, to pass as ``page_token`` for the next page (``None`` on the last
    page). Pages keep a stable order, so reading them one after the other lists everything
    once, also while records are added or removed."""

    __slots__ = ("next_page_token",)

    def __init__(self, items: Iterable[_T] = (), next_page_token: Optional[str] = None) -> None:
        super().__init__(items)
        self.next_page_token = next_page_token

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Page):
            return list.__eq__(self, other) and self.next_page_token == other.next_page_token
        return list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self) -> str:
        return f"Page({list.__repr__(self)}, next_page_token={self.next_page_token!r})"


class Verify:
    """The verification service (Twilio Verify TOTP semantics, Okta's results) over a store.
    Safe to share between threads; calls release the GIL while they run.

    Every setting is a keyword (defaults are Twilio's); see the README's settings table.
    ``store`` is the store's URL: ``"memory:"`` (the default: in this process only),
    ``"sqlite:///relative/path"`` or ``"sqlite:////absolute/path"`` (one file shared by the
    processes of a machine), ``"postgresql://user:password@host/db"`` (shared by every
    machine). ``service`` is the namespace of this service's records in the store (default
    ``"default"``). ``now`` arguments are Unix seconds or aware datetimes; ``None`` reads the
    system clock.
    """

    __slots__ = ("_service",)

    def __init__(
        self,
        issuer: str,
        *,
        store: Optional[str] = None,
        service: Optional[str] = None,
        alg: Optional[str] = None,
        code_length: Optional[int] = None,
        min_code_length: Optional[int] = None,
        time_step: Optional[int] = None,
        skew: Optional[int] = None,
        challenge_expiration: Optional[int] = None,
        unverified_factor_lifetime: Optional[int] = None,
        factor_verification_attempts: Optional[int] = None,
        challenge_attempts: Optional[int] = None,
        lockout_threshold: Optional[int] = None,
        lockout_seconds: Optional[int] = None,
        lockout_max_seconds: Optional[int] = None,
        lockout_permanent_threshold: Optional[int] = None,
        challenge_quota_short_day: Optional[int] = None,
        challenge_quota_hour: Optional[int] = None,
        challenge_quota_day: Optional[int] = None,
        factors_per_entity: Optional[int] = None,
        factor_creations_per_day: Optional[int] = None,
        challenge_retention_days: Optional[int] = None,
        failure_budget: Optional[int] = None,
        min_secret_bytes: Optional[int] = None,
    ) -> None:
        given = dict(locals())
        settings: Dict[str, Any] = {"issuer": _str("issuer", issuer)}
        for name, text in (("store", store), ("service", service), ("alg", alg)):
            if text is not None:
                settings[name] = _str(name, text)
        for name in _native.SETTINGS:
            value = _opt_int(name, given[name])
            if value is not None:
                settings[name] = value
        self._service = _native.Service(json.dumps(settings))

    @property
    def issuer(self) -> str:
        return self._service.issuer

    @property
    def service(self) -> str:
        """The namespace of this service's records in its store."""
        return self._service.service

    def call(self, op: str, args: Any = None, *, now: Optional[Time] = None) -> Any:
        """Runs any operation by name with JSON-shaped arguments (a dict of snake_case names,
        as in the README's operations table) and returns the JSON answer as plain Python data:
        views as dicts, lists of them, a record string, a count or None. For hosts that route
        requests to operations; the typed methods are the same operations."""
        if not isinstance(op, str):
            raise TypeError(f"op must be a str, not {type(op).__name__}")
        return json.loads(self._service.call(op, json.dumps(args), _check_now(now)))

    def _call(self, op: str, args: Dict[str, Any], now: object) -> Any:
        return json.loads(self._service.call(op, json.dumps({k: v for k, v in args.items() if v is not None}), _check_now(now)))

    def _one(self, cls: type[_V], op: str, args: Dict[str, Any], now: object) -> _V:
        return cls(self._call(op, args, now), self)

    def _page(self, cls: type[_V], op: str, args: Dict[str, Any], now: object) -> Page[_V]:
        answer = self._call(op, args, now)
        return Page((cls(view, self) for view in answer["items"]), answer["next_page_token"])

    # Entities

    def create_entity(self, identity: str, *, now: Optional[Time] = None) -> Entity:
        return self._one(Entity, "create_entity", {"identity": _str("identity", identity)}, now)

    def fetch_entity(self, identity: str, *, now: Optional[Time] = None) -> Entity:
        return self._one(Entity, "fetch_entity", {"identity": _str("identity", identity)}, now)

    def list_entities(
        self, *, limit: Optional[int] = None, page_token: Optional[str] = None, now: Optional[Time] = None
    ) -> Page[Entity]:
        """A page of the service's entities, oldest first: at most ``limit`` (1–1000, default
        50), after the page whose ``next_page_token`` is ``page_token``."""
        args = {"limit": _opt_int("limit", limit), "page_token": _opt_str("page_token", page_token)}
        return self._page(Entity, "list_entities", args, now)

    def delete_entity(self, identity: str, *, now: Optional[Time] = None) -> None:
        self._call("delete_entity", {"identity": _str("identity", identity)}, now)

    # Factors

    def create_factor(
        self,
        identity: str,
        friendly_name: str,
        *,
        secret: Union[bytes, str, None] = None,
        alg: Optional[str] = None,
        code_length: Optional[int] = None,
        time_step: Optional[int] = None,
        skew: Optional[int] = None,
        metadata: Optional[Mapping[str, str]] = None,
        now: Optional[Time] = None,
    ) -> Factor:
        """Creates an unverified factor (and the entity if missing). The answer alone carries
        ``binding`` (secret and key URI)."""
        args = {
            "identity": _str("identity", identity),
            "friendly_name": _str("friendly_name", friendly_name),
            "secret": _secret(secret),
            "alg": _opt_str("alg", alg),
            "code_length": _opt_int("code_length", code_length),
            "time_step": _opt_int("time_step", time_step),
            "skew": _opt_int("skew", skew),
            "metadata": _opt_map("metadata", metadata),
        }
        return self._one(Factor, "create_factor", args, now)

    def fetch_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> Factor:
        args = {"identity": _str("identity", identity), "factor_sid": _str("factor_sid", factor_sid)}
        return self._one(Factor, "fetch_factor", args, now)

    def list_factors(
        self,
        identity: str,
        *,
        limit: Optional[int] = None,
        page_token: Optional[str] = None,
        now: Optional[Time] = None,
    ) -> Page[Factor]:
        """A page of the entity's factors, oldest first (``limit`` and ``page_token`` as for
        ``list_entities``)."""
        args = {
            "identity": _str("identity", identity),
            "limit": _opt_int("limit", limit),
            "page_token": _opt_str("page_token", page_token),
        }
        return self._page(Factor, "list_factors", args, now)

    def update_factor(
        self,
        identity: str,
        factor_sid: str,
        *,
        friendly_name: Optional[str] = None,
        alg: Optional[str] = None,
        code_length: Optional[int] = None,
        time_step: Optional[int] = None,
        skew: Optional[int] = None,
        metadata: Optional[Mapping[str, str]] = None,
        now: Optional[Time] = None,
    ) -> Factor:
        args = {
            "identity": _str("identity", identity),
            "factor_sid": _str("factor_sid", factor_sid),
            "friendly_name": _opt_str("friendly_name", friendly_name),
            "alg": _opt_str("alg", alg),
            "code_length": _opt_int("code_length", code_length),
            "time_step": _opt_int("time_step", time_step),
            "skew": _opt_int("skew", skew),
            "metadata": _opt_map("metadata", metadata),
        }
        return self._one(Factor, "update_factor", args, now)

    def verify_factor(self, identity: str, factor_sid: str, code: str, *, now: Optional[Time] = None) -> Factor:
        """Checks an enrollment code. A wrong code is a result (``factor.result``), not an error."""
        args = {
            "identity": _str("identity", identity),
            "factor_sid": _str("factor_sid", factor_sid),
            "code": _str("code", code),
        }
        return self._one(Factor, "verify_factor", args, now)

    def delete_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> None:
        args = {"identity": _str("identity", identity), "factor_sid": _str("factor_sid", factor_sid)}
        self._call("delete_factor", args, now)

    def unlock_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> Factor:
        args = {"identity": _str("identity", identity), "factor_sid": _str("factor_sid", factor_sid)}
        return self._one(Factor, "unlock_factor", args, now)

    # Challenges

    def create_challenge(
        self,
        identity: str,
        factor_sid: str,
        *,
        auth_payload: Optional[str] = None,
        expiration_date: Union[int, datetime, str, None] = None,
        details: Optional[ChallengeDetails] = None,
        hidden_details: Optional[Mapping[str, str]] = None,
        metadata: Optional[Mapping[str, str]] = None,
        now: Optional[Time] = None,
    ) -> Challenge:
        """Creates a challenge for a verified factor; with ``auth_payload`` (the code) it is
        answered at once and ``challenge.result`` says how."""
        args = {
            "identity": _str("identity", identity),
            "factor_sid": _str("factor_sid", factor_sid),
            "auth_payload": _opt_str("auth_payload", auth_payload),
            "expiration_date": _expiration(expiration_date),
            "details": _details(details),
            "hidden_details": _opt_map("hidden_details", hidden_details),
            "metadata": _opt_map("metadata", metadata),
        }
        return self._one(Challenge, "create_challenge", args, now)

    def update_challenge(
        self,
        identity: str,
        challenge_sid: str,
        auth_payload: str,
        *,
        metadata: Optional[Mapping[str, str]] = None,
        now: Optional[Time] = None,
    ) -> Challenge:
        """Answers a pending challenge with a code; ``challenge.result`` says how it went."""
        args = {
            "identity": _str("identity", identity),
            "challenge_sid": _str("challenge_sid", challenge_sid),
            "auth_payload": _str("auth_payload", auth_payload),
            "metadata": _opt_map("metadata", metadata),
        }
        return self._one(Challenge, "update_challenge", args, now)

    def fetch_challenge(self, identity: str, challenge_sid: str, *, now: Optional[Time] = None) -> Challenge:
        args = {"identity": _str("identity", identity), "challenge_sid": _str("challenge_sid", challenge_sid)}
        return self._one(Challenge, "fetch_challenge", args, now)

    def list_challenges(
        self,
        identity: str,
        *,
        factor_sid: Optional[str] = None,
        status: Optional[str] = None,
        order: str = "asc",
        limit: Optional[int] = None,
        page_token: Optional[str] = None,
        now: Optional[Time] = None,
    ) -> Page[Challenge]:
        """A page of the entity's challenges, optionally of one factor or in one status, by
        creation time (``order="desc"``: newest first); ``limit`` and ``page_token`` as for
        ``list_entities``."""
        args = {
            "identity": _str("identity", identity),
            "factor_sid": _opt_str("factor_sid", factor_sid),
            "status": _opt_str("status", status),
            "order": _str("order", order),
            "limit": _opt_int("limit", limit),
            "page_token": _opt_str("page_token", page_token),
        }
        return self._page(Challenge, "list_challenges", args, now)

    def sweep(self, now: Optional[Time] = None) -> int:
        """Removes unverified factors past their lifetime and challenges answered or expired
        more than ``challenge_retention_days`` ago; returns how many records it removed."""
        return cast(int, self._call("sweep", {}, now))

    # Records for hosts that keep their own database

    def export_entity(self, identity: str, *, now: Optional[Time] = None) -> str:
        """The entity's stored record (versioned JSON) for a host's own database."""
        return cast(str, self._call("export_entity", {"identity": _str("identity", identity)}, now))

    def export_factor(self, factor_sid: str, *, now: Optional[Time] = None) -> str:
        """The factor's stored record (versioned JSON, with the secret) for a host's own database."""
        return cast(str, self._call("export_factor", {"factor_sid": _str("factor_sid", factor_sid)}, now))

    def export_challenge(self, challenge_sid: str, *, now: Optional[Time] = None) -> str:
        """The challenge's stored record (versioned JSON) for a host's own database."""
        return cast(str, self._call("export_challenge", {"challenge_sid": _str("challenge_sid", challenge_sid)}, now))

    def import_entity(self, record: str, *, now: Optional[Time] = None) -> Entity:
        """Loads a stored entity record (from ``export_entity``/``to_record``) into this service."""
        return self._one(Entity, "import_entity", {"record": _str("record", record)}, now)

    def import_factor(self, record: str, *, now: Optional[Time] = None) -> Factor:
        """Loads a stored factor record into this service (its entity must be there first)."""
        return self._one(Factor, "import_factor", {"record": _str("record", record)}, now)

    def import_challenge(self, record: str, *, now: Optional[Time] = None) -> Challenge:
        """Loads a stored challenge record into this service (its factor must be there first)."""
        return self._one(Challenge, "import_challenge", {"record": _str("record", record)}, now)

    def __repr__(self) -> str:
        return f"Verify(issuer={self.issuer!r}, service={self.service!r})"
