"""The verification service: ``Verify`` and the ``Entity``, ``Factor`` and ``Challenge`` it returns.

Every rule lives in the Rust core: each method here only gives an operation its typed Python
signature and passes its arguments on, as they are, to the native service, which answers with
``Entity``, ``Factor`` and ``Challenge`` objects over the records the core returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, List, Mapping, Optional, TypedDict, TypeVar, Union, cast

from . import _native
from ._native import Binding, Challenge, Entity, Factor, FactorConfig

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
        self._service = _native.Service(locals())

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
        return self._service.call(op, args, now)

    # Entities

    def create_entity(self, identity: str, *, now: Optional[Time] = None) -> Entity:
        return self._service.run("create_entity", locals(), self)  # type: ignore[no-any-return]

    def fetch_entity(self, identity: str, *, now: Optional[Time] = None) -> Entity:
        return self._service.run("fetch_entity", locals(), self)  # type: ignore[no-any-return]

    def list_entities(
        self, *, limit: Optional[int] = None, page_token: Optional[str] = None, now: Optional[Time] = None
    ) -> Page[Entity]:
        """A page of the service's entities, oldest first: at most ``limit`` (1–1000, default
        50), after the page whose ``next_page_token`` is ``page_token``."""
        return cast(Page[Entity], self._service.run("list_entities", locals(), self))

    def delete_entity(self, identity: str, *, now: Optional[Time] = None) -> None:
        self._service.run("delete_entity", locals(), self)

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
        return self._service.run("create_factor", locals(), self)  # type: ignore[no-any-return]

    def fetch_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> Factor:
        return self._service.run("fetch_factor", locals(), self)  # type: ignore[no-any-return]

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
        return cast(Page[Factor], self._service.run("list_factors", locals(), self))

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
        return self._service.run("update_factor", locals(), self)  # type: ignore[no-any-return]

    def verify_factor(self, identity: str, factor_sid: str, code: str, *, now: Optional[Time] = None) -> Factor:
        """Checks an enrollment code. A wrong code is a result (``factor.result``), not an error."""
        return self._service.run("verify_factor", locals(), self)  # type: ignore[no-any-return]

    def delete_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> None:
        self._service.run("delete_factor", locals(), self)

    def unlock_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> Factor:
        return self._service.run("unlock_factor", locals(), self)  # type: ignore[no-any-return]

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
        return self._service.run("create_challenge", locals(), self)  # type: ignore[no-any-return]

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
        return self._service.run("update_challenge", locals(), self)  # type: ignore[no-any-return]

    def fetch_challenge(self, identity: str, challenge_sid: str, *, now: Optional[Time] = None) -> Challenge:
        return self._service.run("fetch_challenge", locals(), self)  # type: ignore[no-any-return]

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
        return cast(Page[Challenge], self._service.run("list_challenges", locals(), self))

    def sweep(self, now: Optional[Time] = None) -> int:
        """Removes unverified factors past their lifetime and challenges answered or expired
        more than ``challenge_retention_days`` ago; returns how many records it removed."""
        return cast(int, self._service.run("sweep", locals(), self))

    # Records for hosts that keep their own database

    def export_entity(self, identity: str, *, now: Optional[Time] = None) -> str:
        """The entity's stored record (versioned JSON) for a host's own database."""
        return cast(str, self._service.run("export_entity", locals(), self))

    def export_factor(self, factor_sid: str, *, now: Optional[Time] = None) -> str:
        """The factor's stored record (versioned JSON, with the secret) for a host's own database."""
        return cast(str, self._service.run("export_factor", locals(), self))

    def export_challenge(self, challenge_sid: str, *, now: Optional[Time] = None) -> str:
        """The challenge's stored record (versioned JSON) for a host's own database."""
        return cast(str, self._service.run("export_challenge", locals(), self))

    def import_entity(self, record: str, *, now: Optional[Time] = None) -> Entity:
        """Loads a stored entity record (from ``export_entity``/``to_record``) into this service."""
        return self._service.run("import_entity", locals(), self)  # type: ignore[no-any-return]

    def import_factor(self, record: str, *, now: Optional[Time] = None) -> Factor:
        """Loads a stored factor record into this service (its entity must be there first)."""
        return self._service.run("import_factor", locals(), self)  # type: ignore[no-any-return]

    def import_challenge(self, record: str, *, now: Optional[Time] = None) -> Challenge:
        """Loads a stored challenge record into this service (its factor must be there first)."""
        return self._service.run("import_challenge", locals(), self)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Verify(issuer={self.issuer!r}, service={self.service!r})"
