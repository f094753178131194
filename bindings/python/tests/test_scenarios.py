"""The shared state scenarios (tests/vectors/scenarios/*.json, format in tests/vectors/README.md
and scenarios/README.md), run step by step through the Python API: each step's op is the
`Verify` method of that name, its args are the method's keywords."""

from __future__ import annotations

import collections.abc
import inspect
import typing
from pathlib import Path
from typing import Any, Callable

import pytest

import watchword
import watchword.aio
from watchword import _service
from conftest import VECTORS

SCENARIOS = sorted((VECTORS / "scenarios").glob("*.json"))


def test_scenarios_exist() -> None:
    assert len(SCENARIOS) >= 10, "the shared scenarios are missing"


class Runner:
    """Runs a scenario's steps through a ``watchword.Verify`` made with its settings (and
    ``store``, when given), or through a ``watchword.aio.Verify`` on ``loop``."""

    def __init__(self, settings: dict[str, Any], store: Any = None, loop: Any = None) -> None:
        settings = dict(settings)
        if store is not None:
            settings["store"] = store
        self.loop = loop
        make = watchword.aio.Verify if loop is not None else watchword.Verify
        self.verify: Any = make(settings.pop("issuer"), **settings)
        self.saved: dict[str, Any] = {}
        self.uris: dict[str, str] = {}
        self.codes: dict[str, list[str]] = {}

    def settle(self, answer: Any) -> Any:
        """The answer, awaited on the runner's loop when it is a coroutine."""
        if inspect.isawaitable(answer):
            return self.loop.run_until_complete(answer)
        return answer

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            return self.saved[value[1:]]
        if isinstance(value, dict):
            if set(value) == {"totp", "at"}:
                totp = watchword.KeyUri.parse(self.uris[value["totp"]]).totp()
                return totp.generate(value["at"])
            if "recovery" in value:
                return spell(self.codes[value["recovery"]][value["index"]], value.get("spelling"))
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def run(self, step: dict[str, Any]) -> Any:
        args = self.resolve(step.get("args", {}))
        if step["op"] not in watchword.OPERATIONS:
            raise AttributeError(f"Verify has no operation {step['op']!r}")
        method = getattr(self.verify, step["op"])
        answer = self.settle(method(**args, now=step["now"]))
        return plain(answer)

    def save(self, name: str, answer: Any) -> None:
        if is_page(answer):
            self.saved[name] = answer["next_page_token"]
        elif isinstance(answer, dict):
            self.saved[name] = answer["sid"]
            binding = answer.get("binding")
            if binding is not None and "uri" in binding:
                self.uris[name] = binding["uri"]
            if binding is not None and "codes" in binding:
                self.codes[name] = binding["codes"]
        else:
            self.saved[name] = answer


def spell(code: str, spelling: str | None) -> str:
    """A recovery code as the scenario spells it: as shown, or "loose" (upper case, a space for
    the hyphen)."""
    if spelling is None:
        return code
    assert spelling == "loose", f"unknown spelling {spelling}"
    return code.upper().replace("-", " ")


def matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value is of the Python type a Verify method declares for it."""
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        return any(matches(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is collections.abc.Mapping:
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    if typing.is_typeddict(hint):
        return isinstance(value, dict)
    return isinstance(value, hint)


def python_rejects(verify: watchword.Verify, step: dict[str, Any], args: Any) -> bool:
    """Whether the step cannot be a call of the typed method: no such operation, arguments that
    are not keywords or do not bind, or a value of another type than the parameter's. Python
    rejects those with AttributeError or TypeError before the core sees them."""
    method = getattr(verify, step["op"], None) if step["op"] in watchword.OPERATIONS else None
    if method is None or not isinstance(args, dict):
        return True
    try:
        inspect.signature(method).bind(**args, now=step["now"])
    except TypeError:
        return True
    # The native method's types are those of its declaration in watchword/_service.py.
    hints = typing.get_type_hints(_service._DECLARED[step["op"]])
    return not all(matches(value, hints[name]) for name, value in args.items())


def plain(answer: Any) -> Any:
    """The answer in the JSON shape of the views (a page as the JSON dispatch has it)."""
    if isinstance(answer, (watchword.Entity, watchword.Factor, watchword.Challenge)):
        return answer.to_dict()
    if isinstance(answer, watchword.Page):
        return {"items": [plain(a) for a in answer], "next_page_token": answer.next_page_token}
    if isinstance(answer, list):
        return [plain(a) for a in answer]
    return answer


def is_page(answer: Any) -> bool:
    return isinstance(answer, dict) and set(answer) == {"items", "next_page_token"}


def subset(expected: Any, actual: Any, path: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} is missing"
            subset(value, actual[key], f"{path}.{key}")
    else:
        assert actual == expected, f"{path}: expected {expected!r}, got {actual!r}"


def check(runner: Runner, expect: dict[str, Any], answer: Any, where: str) -> None:
    expect = runner.resolve(expect)
    for key in ("status", "result", "result_offset"):
        if key in expect:
            assert isinstance(answer, dict) and key in answer, f"{where}: the answer has no {key}"
            assert answer[key] == expect[key], f"{where}: {key} is {answer[key]!r}, expected {expect[key]!r}"
    if "fields" in expect:
        subset(expect["fields"], answer, where)
    for key in expect.get("absent", []):
        assert key not in answer, f"{where}: {key} should be absent"
    if "count" in expect:
        assert is_page(answer), f"{where}: not a page"
        assert len(answer["items"]) == expect["count"], f"{where}: count {len(answer['items'])}"
    if "sids" in expect:
        assert is_page(answer), f"{where}: not a page"
        assert [a["sid"] for a in answer["items"]] == expect["sids"], f"{where}: sids differ"
    if "next_page" in expect:
        assert is_page(answer), f"{where}: not a page"
        has_next = answer["next_page_token"] is not None
        assert has_next == expect["next_page"], f"{where}: next_page_token {answer['next_page_token']!r}"
    if "value" in expect:
        assert answer == expect["value"], f"{where}: value {answer!r}, expected {expect['value']!r}"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(path: Path) -> None:
    run_scenario(path, lambda settings: Runner(settings))


def run_scenario(path: Path, runner_for: Callable[[dict[str, Any]], Runner]) -> None:
    """Runs the scenario file ``path`` through the runner ``runner_for`` makes from its settings."""
    import json

    scenario = json.loads(path.read_text(encoding="utf-8"))
    runner = runner_for(scenario["settings"])
    assert scenario["steps"], "a scenario without steps"
    for number, step in enumerate(scenario["steps"], 1):
        where = f"{path.name} step {number} ({step['op']}): {step.get('note', '')}"
        expect = step.get("expect", {})
        for _ in range(step.get("repeat", 1)):
            args = runner.resolve(step.get("args", {}))
            if python_rejects(runner.verify, step, args):
                # Not expressible as a typed call: Python refuses it (AttributeError for an
                # unknown operation, TypeError for arguments), and the same step through the
                # JSON entry point Verify.call must give the scenario's error.
                assert expect.get("error") == "invalid_parameter", f"{where}: only invalid input is refused by Python"
                with pytest.raises((AttributeError, TypeError)):
                    runner.run(step)
                if runner.loop is None:
                    with pytest.raises(watchword.InvalidParameter):
                        runner.verify.call(step["op"], args, now=step["now"])
                answer = None
            elif "error" in expect:
                with pytest.raises(watchword.WatchwordError) as info:
                    runner.run(step)
                assert info.value.kind == expect["error"], f"{where}: raised {info.value.kind}: {info.value}"
                assert type(info.value) is watchword.ERROR_KINDS[expect["error"]]
                answer = None
            else:
                answer = runner.run(step)
                check(runner, expect, answer, where)
        if "save" in step:
            runner.save(step["save"], answer)
