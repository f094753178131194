"""The verification service: ``Verify`` and the ``Entity``, ``Factor`` and ``Challenge`` it returns.

Every rule lives in the Rust core: each method here only declares an operation's typed Python
signature; the native method made from it passes the arguments on, as they are, to the core
and answers with ``Entity``, ``Factor`` and ``Challenge`` objects over the records the core
returned.
"""

from __future__ import annotations

from datetime import datetime
import functools
import inspect
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, TypedDict, TypeVar, Union, cast

from . import _native
from ._native import Binding, Challenge, Entity, Factor, FactorConfig
from ._store import Store

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


_F = TypeVar("_F", bound=Callable[..., Any])


def _generate(method: _F, body: str, *, is_async: bool = False) -> _F:
    """A function with ``method``'s name, signature and docstring whose body is ``body``, in
    which ``{op}`` stands for the name (quoted) and ``{values}`` for the tuple of the arguments'
    values; ``_names`` is the tuple of their names, a constant of the function, so a call builds
    one tuple of values and nothing else."""
    signature = inspect.signature(method)
    names = tuple(name for name in signature.parameters if name != "self")
    defaults: List[Any] = []
    params: List[str] = []
    keyword_only = False
    for param in signature.parameters.values():
        text = param.name
        if param.kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only:
            keyword_only = True
            params.append("*")
        if param.default is not inspect.Parameter.empty:
            text += f"=_defaults[{len(defaults)}]"
            defaults.append(param.default)
        params.append(text)
    values = "".join(f"{name}, " for name in names)
    source = (
        f"{'async ' if is_async else ''}def {method.__name__}({', '.join(params)}):\n"
        f"    {body.format(op=repr(method.__name__), values=f'({values})')}\n"
    )
    scope: Dict[str, Any] = {"_defaults": tuple(defaults), "_names": names}
    exec(source, scope)  # noqa: S102 - the source is built above from the method's own signature
    return cast(_F, functools.update_wrapper(scope[method.__name__], method))


_DECLARED: Dict[str, Callable[..., Any]] = {}
"""Each operation's declaration (the method written in ``Verify`` below), by name."""


def _operation(method: _F) -> _F:
    """Declares the service operation named like ``method``: its Python signature (adding an
    option is one line there) and docstring. Once the class exists, the declaration is replaced
    by the native method made from it (see ``_native_method``), which hands the arguments, by
    name and unconverted, to the core and answers with its objects."""
    _DECLARED[method.__name__] = method
    return method


def _native_method(cls: type, method: Callable[..., Any]) -> Any:
    """The native method of ``cls`` for the operation declared by ``method``: its parameters
    (the first ones given by position), the defaults other than ``None``, and the docstring
    with the signature on its first line, as a C extension's methods show theirs."""
    signature = inspect.signature(method)
    params = list(signature.parameters.values())[1:]
    by_position = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    required = [p for p in params if p.default is inspect.Parameter.empty]
    if params[: len(by_position)] != by_position or by_position[: len(required)] != required:
        raise TypeError(f"{method.__name__}: required parameters come first, then optional, then keyword-only")
    defaults = [(i, p.default) for i, p in enumerate(params) if p.default not in (inspect.Parameter.empty, None)]
    plain = signature.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    text = f"{method.__name__}({str(plain)[1:].replace('self', '$self', 1)}\n--\n\n{inspect.getdoc(method) or ''}"
    names = [p.name for p in params]
    return _native.operation(cls, method.__name__, names, len(by_position), len(required), defaults, text)


class Verify(_native.Service):
    """The verification service (Twilio Verify TOTP semantics, Okta's results) over a store.
    Safe to share between threads; calls release the GIL while they run.

    Every setting is a keyword (defaults are Twilio's); see the README's settings table.
    ``store`` is the store's URL: ``"memory:"`` (the default: in this process only),
    ``"sqlite:///relative/path"`` or ``"sqlite:////absolute/path"`` (one file shared by the
    processes of a machine), ``"postgresql://user:password@host/db"`` (shared by every
    machine) — or the application's own store object (``watchword.Store``: records in its own
    database and transactions). ``service`` is the namespace of this service's records in the store (default
    ``"default"``). ``now`` arguments are Unix seconds or aware datetimes; ``None`` reads the
    system clock.

    ``secret_keys`` (key id → 32 bytes, e.g. from ``generate_secret_key()``) with
    ``active_secret_key`` seal every record the store holds and every export (SPEC §10): a
    database dump then reveals no secret, and a database writer cannot forge or alter a record.
    ``accept_plaintext_records=True`` reads records written before the keys were set (for a
    migration; ``reseal()`` then seals them all). The keys are wiped from the native copy once
    read; never log them.
    """

    __slots__ = ()

    def __new__(
        cls,
        issuer: str,
        *,
        store: Union[str, Store, None] = None,
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
        recovery_code_iterations: Optional[int] = None,
        min_secret_bytes: Optional[int] = None,
        secret_keys: Optional[Mapping[str, bytes]] = None,
        active_secret_key: Optional[str] = None,
        accept_plaintext_records: Optional[bool] = None,
    ) -> "Verify":
        return _native.Service.__new__(cls, locals())

    def call(self, op: str, args: Any = None, *, now: Optional[Time] = None) -> Any:
        """Runs any operation by name with JSON-shaped arguments (a dict of snake_case names,
        as in the README's operations table) and returns the JSON answer as plain Python data:
        views as dicts, lists of them, a record string, a count or None. For hosts that route
        requests to operations; the typed methods are the same operations."""
        return self._call(op, args, now)

    # Entities

    @_operation
    def create_entity(self, identity: str, *, now: Optional[Time] = None) -> Entity:
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def fetch_entity(self, identity: str, *, now: Optional[Time] = None) -> Entity:
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def list_entities(
        self, *, limit: Optional[int] = None, page_token: Optional[str] = None, now: Optional[Time] = None
    ) -> Page[Entity]:
        """A page of the service's entities, oldest first: at most ``limit`` (1–1000, default
        50), after the page whose ``next_page_token`` is ``page_token``."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def delete_entity(self, identity: str, *, now: Optional[Time] = None) -> None:
        raise NotImplementedError  # the body is made by @_operation

    # Factors

    @_operation
    def create_factor(
        self,
        identity: str,
        friendly_name: str,
        *,
        factor_type: Optional[str] = None,
        count: Optional[int] = None,
        secret: Union[bytes, str, None] = None,
        alg: Optional[str] = None,
        code_length: Optional[int] = None,
        time_step: Optional[int] = None,
        skew: Optional[int] = None,
        metadata: Optional[Mapping[str, str]] = None,
        now: Optional[Time] = None,
    ) -> Factor:
        """Creates an unverified TOTP factor, or with ``factor_type="recovery_codes"`` a verified
        factor of ``count`` (1–20, default 10) single-use recovery codes (and the entity if
        missing). The answer alone carries ``binding``: secret and key URI, or ``codes``."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def fetch_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> Factor:
        raise NotImplementedError  # the body is made by @_operation

    @_operation
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
        raise NotImplementedError  # the body is made by @_operation

    @_operation
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
        regenerate: Optional[bool] = None,
        now: Optional[Time] = None,
    ) -> Factor:
        """Changes a factor. ``regenerate=True`` gives a recovery-codes factor a new set, in the
        answer's ``binding.codes`` (the old codes stop working)."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def verify_factor(self, identity: str, factor_sid: str, code: str, *, now: Optional[Time] = None) -> Factor:
        """Checks an enrollment code. A wrong code is a result (``factor.result``), not an error."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def delete_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> None:
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def unlock_factor(self, identity: str, factor_sid: str, *, now: Optional[Time] = None) -> Factor:
        raise NotImplementedError  # the body is made by @_operation

    # Challenges

    @_operation
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
        raise NotImplementedError  # the body is made by @_operation

    @_operation
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
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def fetch_challenge(self, identity: str, challenge_sid: str, *, now: Optional[Time] = None) -> Challenge:
        raise NotImplementedError  # the body is made by @_operation

    @_operation
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
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def sweep(self, now: Optional[Time] = None) -> int:
        """Removes unverified factors past their lifetime and challenges answered or expired
        more than ``challenge_retention_days`` ago; returns how many records it removed."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def reseal(self, *, now: Optional[Time] = None) -> int:
        """Rewrites every record not sealed under the active key (sealed under an older key of
        the ring, or plain with ``accept_plaintext_records``) under the active key, in batches,
        safe while the service runs; returns how many it rewrote. Run it again after an
        interruption: it resumes."""
        raise NotImplementedError  # the body is made by @_operation

    # Records for hosts that keep their own database

    @_operation
    def export_entity(self, identity: str, *, now: Optional[Time] = None) -> str:
        """The entity's stored record (versioned JSON) for a host's own database."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def export_factor(self, factor_sid: str, *, now: Optional[Time] = None) -> str:
        """The factor's stored record (versioned JSON, with the secret) for a host's own database."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def export_challenge(self, challenge_sid: str, *, now: Optional[Time] = None) -> str:
        """The challenge's stored record (versioned JSON) for a host's own database."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def import_entity(self, record: str, *, now: Optional[Time] = None) -> Entity:
        """Loads a stored entity record (from ``export_entity``/``to_record``) into this service."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def import_factor(self, record: str, *, now: Optional[Time] = None) -> Factor:
        """Loads a stored factor record into this service (its entity must be there first)."""
        raise NotImplementedError  # the body is made by @_operation

    @_operation
    def import_challenge(self, record: str, *, now: Optional[Time] = None) -> Challenge:
        """Loads a stored challenge record into this service (its factor must be there first)."""
        raise NotImplementedError  # the body is made by @_operation

    def __repr__(self) -> str:
        return f"Verify(issuer={self.issuer!r}, service={self.service!r})"


for _name, _method in _DECLARED.items():
    setattr(Verify, _name, _native_method(Verify, _method))
del _name, _method
