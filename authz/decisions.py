"""Casbin decisions: the model and default policy files, plus rules added at run time.

Runtime rules live in the case database (`policy_rules`); whoever changes them bumps
`policy_version` in the same transaction. Every process compares that counter with the one it
loaded, at most every `reload_every` seconds, and rebuilds its enforcer when it is newer, so a
change reaches every running process without a message bus.

Casbin evaluates its matcher in Python for every policy line, so answers are memoised per
(role, domain, standing, operation) until the next reload: the portal hot path asks the same
few questions over and over.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import casbin
from casbin.persist.adapter import Adapter, load_policy_line
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from authz.operations import FIELDS_OF, FieldSet, Operation, Standing
from records.errors import ValidationFailed
from records.models import PolicyRule, PolicyVersion, Role
from records.services import service_slugs
from records.staff import POLICY_VERSION_ROW, bump_policy_version

MODEL_FILE = Path(__file__).with_name("model.conf")
POLICY_FILE = Path(__file__).with_name("policy.csv")
EVERY_SERVICE = "*"
_EFFECTS = ("allow", "deny")
# Roles no rule may give case contents (docs/profiles.md, the access matrix): an
# administrator runs staff, services and keys, and a portal asks how to handle a contact.
_NEVER_CASE_CONTENTS = frozenset({Role.ADMIN.value, Role.PORTAL.value})


@dataclass(frozen=True)
class Rule:
    """One policy line: `role` in `domain` with `standing` may (or may not) do `operation`."""

    role: str
    domain: str
    standing: str
    operation: str
    effect: str = "allow"

    def validated(self) -> Rule:
        _check("role", self.role, {r.value for r in Role})
        _check("standing", self.standing, {s.value for s in Standing})
        _check("operation", self.operation, {o.value for o in Operation})
        _check("effect", self.effect, set(_EFFECTS))
        if not self.domain or len(self.domain) > 64:
            raise ValidationFailed("domain", 'must be a service slug or "*"')
        if (
            self.effect == "allow"
            and self.role in _NEVER_CASE_CONTENTS
            and FIELDS_OF.get(self.operation) is FieldSet.FULL
        ):
            raise ValidationFailed(
                "operation",
                f"{self.operation} reaches case contents, which the {self.role} role never "
                "does: grant a person a case-working role in the service instead",
            )
        return self

    def line(self) -> str:
        return f"p, {self.role}, {self.domain}, {self.standing}, {self.operation}, {self.effect}"


def _check(field: str, value: str, allowed: set[str]) -> None:
    if value not in allowed:
        raise ValidationFailed(field, "must be one of " + ", ".join(sorted(allowed)))


class _RulesAdapter(Adapter):  # type: ignore[misc]
    """Feeds Casbin the default policy file's lines and the database's rules."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = list(lines)

    def load_policy(self, model: Any) -> None:
        for line in self._lines:
            load_policy_line(line, model)


def read_policy_file(path: Path = POLICY_FILE) -> list[str]:
    lines = (raw.strip() for raw in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class Decisions:
    """The process's Casbin enforcer, reloaded when the database's policy version moves on."""

    def __init__(
        self,
        *,
        clock: Callable[[], dt.datetime],
        reload_every: float = 5.0,
        model_file: Path = MODEL_FILE,
        policy_file: Path = POLICY_FILE,
    ) -> None:
        self._clock = clock
        self._reload_every = reload_every
        self._model_file = model_file
        self._file_lines = read_policy_file(policy_file)
        self._checked_at: dt.datetime | None = None
        self.version = -1  # nothing read from the database yet
        self._answers: dict[tuple[str, str, str, str], bool] = {}
        self._enforcer = self._build([])

    def _build(self, rules: Iterable[Rule]) -> casbin.Enforcer:
        lines = self._file_lines + [rule.line() for rule in rules]
        return casbin.Enforcer(str(self._model_file), _RulesAdapter(lines))

    def allows(self, role: str, domain: str, standing: str, operation: str) -> bool:
        key = (role, domain, standing, operation)
        answer = self._answers.get(key)
        if answer is None:
            answer = bool(self._enforcer.enforce(role, domain, standing, operation))
            self._answers[key] = answer
        return answer

    def grants_any(self, role: str, operation: str) -> bool:
        """Whether any allow rule, in any domain and standing, lets `role` do `operation`."""
        key = (role, "", "", operation)
        answer = self._answers.get(key)
        if answer is None:
            rules = self._enforcer.get_filtered_policy(0, role)
            answer = any(r[3] == operation and r[4] == "allow" for r in rules)
            self._answers[key] = answer
        return answer

    async def refresh(self, session: AsyncSession) -> bool:
        """Reload if the policy version moved on; checks at most every `reload_every` s."""
        now = self._clock()
        if (
            self._checked_at is not None
            and (now - self._checked_at).total_seconds() < self._reload_every
        ):
            return False
        # The version first: rules committed with a bump are then at least as new as it.
        version = await session.scalar(
            select(PolicyVersion.version).where(PolicyVersion.id == POLICY_VERSION_ROW)
        )
        self._checked_at = now
        if (version or 0) == self.version:
            return False
        self._enforcer = self._build(await runtime_rules(session))
        self._answers = {}
        self.version = version or 0
        return True


async def runtime_rules(session: AsyncSession) -> list[Rule]:
    rows = (await session.scalars(select(PolicyRule).order_by(PolicyRule.created_at))).all()
    return [Rule(r.role, r.domain, r.standing, r.operation, r.effect) for r in rows]


async def add_rule(session: AsyncSession, rule: Rule, now: dt.datetime) -> bool:
    """Add a runtime rule (flushed, not committed). False if it is there already. Its domain
    names a service (by slug) or every service ("*"): one naming none would never apply, and
    the operator who typed "Housing" or "housng" would believe the rule was in force."""
    rule = rule.validated()
    if rule.domain != EVERY_SERVICE:
        slugs = await service_slugs(session)
        if rule.domain not in slugs:
            known = ", ".join(sorted(slugs)) or "none yet"
            raise ValidationFailed(
                "domain", f'no service has that slug: give one of {known}, or "*" for every service'
            )
    if await _find(session, rule) is not None:
        return False
    session.add(
        PolicyRule(
            id=uuid.uuid4(),
            role=rule.role,
            domain=rule.domain,
            standing=rule.standing,
            operation=rule.operation,
            effect=rule.effect,
            created_at=now,
        )
    )
    await session.flush()
    await bump_policy_version(session, now)
    return True


async def remove_rule(session: AsyncSession, rule: Rule, now: dt.datetime) -> bool:
    """Remove a runtime rule (flushed, not committed). False if there was none."""
    rule_id = await _find(session, rule)
    if rule_id is None:
        return False
    await session.execute(delete(PolicyRule).where(PolicyRule.id == rule_id))
    await bump_policy_version(session, now)
    return True


async def _find(session: AsyncSession, rule: Rule) -> uuid.UUID | None:
    return await session.scalar(
        select(PolicyRule.id).where(
            PolicyRule.role == rule.role,
            PolicyRule.domain == rule.domain,
            PolicyRule.standing == rule.standing,
            PolicyRule.operation == rule.operation,
            PolicyRule.effect == rule.effect,
        )
    )
