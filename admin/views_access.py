"""Administrators' pages for access data: staff and their roles, services, portal keys and
run-time authorisation rules. Each page view and change runs inside the gate (MANAGE_STAFF,
MANAGE_SERVICES, MANAGE_PORTAL_KEYS), so it is decided and logged as through the API."""

from __future__ import annotations

import datetime as dt

from sqladmin import expose
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from admin.confirm import confirm_first
from admin.gated import PanelView, back_to, field, form_of
from admin.page import PAGE, Button, Field, Form, Notice, Page, Row, Table, options, when
from admin.who import staff_shown
from authz.actor import Actor, staff_label
from authz.decisions import Rule, add_rule, read_policy_file, remove_rule, runtime_rules
from authz.gate import Target
from authz.operations import Operation, Standing
from authz.portal_keys import create_portal_key, list_portal_keys, revoke_portal_key
from records.errors import ValidationFailed
from records.models import Role, Service, utcnow
from records.staff import (
    STILL_ASSIGNED,
    add_service,
    add_staff,
    grant_role,
    list_staff,
    parse_role_grant,
    revoke_role,
    set_active,
)

_ADMINS = frozenset({Role.ADMIN})
_STAFF_ROLES = [r.value for r in Role if r is not Role.PORTAL]


def _grant_text(role: Role, service: str | None) -> str:
    return f"{role.value}@{service}" if service else f"{role.value} (every service)"


class StaffView(PanelView):
    name = "Staff and roles"
    icon = "fa-solid fa-users"
    roles = _ADMINS

    @expose("/staff", methods=["GET"], identity="staff")
    async def staff_list(self, request: Request) -> Response:
        return await self.page(request, PAGE, (await self._staff_page(request)).context())

    async def _staff_page(self, request: Request) -> Page:
        async with self.gated(request, Operation.MANAGE_STAFF) as access:
            members = await list_staff(access.session)
        revoke = str(request.url_for("admin:view-staff-revoke"))
        rows = [
            Row(
                (
                    staff_shown(m.display_name, m.username),
                    "active" if m.active else "inactive",
                    ", ".join(sorted(_grant_text(r, s) for r, s in m.grants)) or "no roles",
                ),
                (
                    *(
                        Button(
                            f"Revoke {_grant_text(r, s)}",
                            revoke,
                            (
                                ("username", m.username),
                                ("role", f"{r.value}@{s}" if s else r.value),
                            ),
                            f"Revoke {staff_shown(m.display_name, m.username)}'s role "
                            f"{_grant_text(r, s)}? What it allows them ends at once.",
                        )
                        for r, s in sorted(m.grants, key=lambda g: (g[0].value, g[1] or ""))
                    ),
                    _leaving_button(request, m.username, m.display_name, m.active),
                ),
            )
            for m in members
        ]
        services = await self.service_slugs()
        role_field = Field(
            "role", "Role", help="ROLE for every service, or ROLE@SERVICE, e.g. manager@housing"
        )
        page = Page(
            "Staff and roles",
            "Roles are held per service (or in every service). The last administrator's "
            "admin role cannot be revoked. Deactivate a member of staff who leaves: their "
            "sign-in and token stop working at once, and their name stays on the record.",
            forms=[
                Form(
                    "add-staff",
                    "Add a member of staff",
                    str(request.url_for("admin:view-staff-add")),
                    (
                        Field("username", "Username", required=True),
                        Field("display_name", "Display name", required=True),
                        Field("job_title", "Job title"),
                        role_field,
                    ),
                    "Add",
                ),
                Form(
                    "grant",
                    "Grant a role",
                    str(request.url_for("admin:view-staff-grant")),
                    (
                        Field("username", "Username", required=True),
                        Field("role", "Role", options=options(_STAFF_ROLES)),
                        Field("service", "Service", options=options(services, "every service")),
                    ),
                    "Grant",
                ),
            ],
            tables=[Table("staff", "Staff", ("Name", "State", "Roles"), rows, buttons=True)],
        )
        return page

    @expose("/staff/add", methods=["POST"], identity="staff-add")
    @form_of(_staff_page)
    async def staff_add(self, request: Request) -> Response:
        form = await self.form(request)
        role_text = field(form, "role")
        grant = parse_role_grant(role_text) if role_text else None
        service = grant[1] if grant else None
        if service is not None and service not in await self.service_slugs():
            # The service is typed in the role field (ROLE@SERVICE): the fault is that field's.
            raise ValidationFailed("role", f"no such service: {service}")
        target = Target(service=grant[1]) if grant else Target()
        async with self.gated(request, Operation.MANAGE_STAFF, target) as access:
            now = utcnow()
            username = field(form, "username")
            await add_staff(
                access.session,
                username=username,
                display_name=field(form, "display_name"),
                job_title=field(form, "job_title") or None,
                now=now,
            )
            if grant is not None:
                await grant_role(
                    access.session, username=username, role=grant[0], service=grant[1], now=now
                )
        return back_to(request, "staff")

    @expose("/staff/grant", methods=["POST"], identity="staff-grant")
    @form_of(_staff_page, missing="username")
    async def staff_grant(self, request: Request) -> Response:
        form = await self.form(request)
        role, _ = parse_role_grant(field(form, "role"))
        service = field(form, "service") or None
        username = field(form, "username")
        async with self.gated(request, Operation.MANAGE_STAFF, Target(service=service)) as access:
            if access.actor.label == staff_label(username):
                # Two people for any new reach, case contents included (README, the gate).
                raise ValidationFailed("username", "this is you: another administrator can")
            await grant_role(
                access.session,
                username=username,
                role=role,
                service=service,
                now=utcnow(),
            )
        return back_to(request, "staff")

    @expose("/staff/revoke", methods=["POST"], identity="staff-revoke")
    @form_of(_staff_page)
    @confirm_first("staff", "Revoke the role")
    async def staff_revoke(self, request: Request) -> Response:
        form = await self.form(request)
        role, service = parse_role_grant(field(form, "role"))
        username = field(form, "username")
        async with self.gated(request, Operation.MANAGE_STAFF, Target(service=service)) as access:
            await revoke_role(
                access.session,
                username=username,
                role=role,
                service=service,
                now=utcnow(),
            )
            # After revoke_role's own checks (the last administrator); raising here rolls
            # the revocation back.
            if _locks_out(access.actor, username, role, service):
                raise ValidationFailed(
                    "role", "this is your own last admin role: another administrator can revoke it"
                )
        return back_to(request, "staff")

    @expose("/staff/deactivate", methods=["POST"], identity="staff-deactivate")
    @form_of(_staff_page)
    @confirm_first("staff", "Deactivate")
    async def staff_deactivate(self, request: Request) -> Response:
        username = field(await self.form(request), "username")
        async with self.gated(request, Operation.MANAGE_STAFF) as access:
            if access.actor.label == staff_label(username):
                raise ValidationFailed("username", "this is you: another administrator can")
            changed, assigned = await set_active(
                access.session, username=username, active=False, now=utcnow()
            )
        page = await self._staff_page(request)
        # A confirmation sent twice (a double click, the browser's back and resend) runs
        # again: it says that nothing changed rather than deactivating them a second time.
        said = f"{username} deactivated." if changed else f"{username} was inactive already."
        if assigned:
            cases = ", ".join(f"{a.reference} ({a.relation.name})" for a in assigned)
            said += f" {STILL_ASSIGNED}: {cases}."
        page.notices.append(Notice(said, "success"))
        return await self.page(request, PAGE, page.context())

    @expose("/staff/activate", methods=["POST"], identity="staff-activate")
    @form_of(_staff_page)
    async def staff_activate(self, request: Request) -> Response:
        username = field(await self.form(request), "username")
        async with self.gated(request, Operation.MANAGE_STAFF) as access:
            await set_active(access.session, username=username, active=True, now=utcnow())
        return back_to(request, "staff")


def _leaving_button(request: Request, username: str, display_name: str, active: bool) -> Button:
    """Deactivate (asked first: it takes all their access away at once) or activate again."""
    who = (("username", username),)
    if not active:
        return Button("Activate", str(request.url_for("admin:view-staff-activate")), who)
    return Button(
        "Deactivate",
        str(request.url_for("admin:view-staff-deactivate")),
        who,
        f"Deactivate {staff_shown(display_name, username)}? Their sign-in and token stop "
        "working at once.",
    )


def _locks_out(actor: Actor, username: str, role: Role, service: str | None) -> bool:
    """Whether revoking this grant takes the admin role from the one revoking it: one click,
    beside the other revoke buttons, would take the staff pages from them at once (signed
    out, unless they hold another panel role), with no way to give it back themselves."""
    if role is not Role.ADMIN or actor.label != staff_label(username):
        return False
    return not any(g.role is Role.ADMIN and g.service != service for g in actor.roles)


class ServicesView(PanelView):
    name = "Services"
    icon = "fa-solid fa-building"
    roles = _ADMINS

    @expose("/services", methods=["GET"], identity="services")
    async def services_list(self, request: Request) -> Response:
        return await self.page(request, PAGE, (await self._services_page(request)).context())

    async def _services_page(self, request: Request) -> Page:
        async with self.gated(request, Operation.MANAGE_SERVICES) as access:
            rows = (await access.session.scalars(select(Service).order_by(Service.slug))).all()
        page = Page(
            "Services",
            "A service's slug is its name in rules, roles and keys: it is never renamed or "
            "removed once added.",
            forms=[
                Form(
                    "add-service",
                    "Add a service",
                    str(request.url_for("admin:view-services-add")),
                    (
                        Field("slug", "Slug", required=True, help="e.g. housing"),
                        Field("name", "Name", required=True),
                    ),
                    "Add",
                )
            ],
            tables=[
                Table(
                    "services",
                    "Services",
                    ("Slug", "Name", "Added"),
                    [Row((s.slug, s.name, when(s.created_at))) for s in rows],
                )
            ],
        )
        return page

    @expose("/services/add", methods=["POST"], identity="services-add")
    @form_of(_services_page)
    async def services_add(self, request: Request) -> Response:
        form = await self.form(request)
        async with self.gated(request, Operation.MANAGE_SERVICES) as access:
            await add_service(
                access.session, slug=field(form, "slug"), name=field(form, "name"), now=utcnow()
            )
        return back_to(request, "services")


class PortalKeysView(PanelView):
    name = "Portal keys"
    icon = "fa-solid fa-key"
    roles = _ADMINS

    @expose("/portal-keys", methods=["GET"], identity="portal-keys")
    async def keys_list(self, request: Request) -> Response:
        return await self.page(request, PAGE, (await self._keys_page(request)).context())

    async def _keys_page(self, request: Request) -> Page:
        async with self.gated(request, Operation.MANAGE_PORTAL_KEYS) as access:
            keys = await list_portal_keys(access.session)
        now = utcnow()
        revoke = str(request.url_for("admin:view-portal-keys-revoke"))
        rows = [
            Row(
                (
                    k.prefix,
                    k.name,
                    k.state(now),
                    ", ".join(k.services),
                    when(k.created_at),
                    when(k.expires_at) or "never",
                ),
                (
                    Button(
                        "Revoke",
                        revoke,
                        (("prefix", k.prefix),),
                        f"Revoke portal key {k.prefix} ({k.name})? Every request made with it "
                        "is refused from then on. This cannot be undone.",
                    ),
                )
                if k.state(now) == "active"
                else (),
            )
            for k in keys
        ]
        page = Page(
            "Portal keys",
            "A key is shown once, when it is made; only a digest of it is kept.",
            forms=[
                Form(
                    "create-key",
                    "Create a portal key",
                    str(request.url_for("admin:view-portal-keys-issue")),
                    (
                        Field("name", "What the key is for", required=True),
                        Field(
                            "services",
                            "Services (slugs)",
                            required=True,
                            help="one or more, separated by commas",
                        ),
                        Field("expires_in_days", "Expires in (days, blank: never)", kind="number"),
                    ),
                    "Create",
                )
            ],
            tables=[
                Table(
                    "keys",
                    "Keys",
                    ("Prefix", "Name", "State", "Services", "Created", "Expires"),
                    rows,
                    buttons=True,
                )
            ],
        )
        return page

    @expose("/portal-keys/issue", methods=["POST"], identity="portal-keys-issue")
    @form_of(_keys_page)
    async def keys_create(self, request: Request) -> Response:
        form = await self.form(request)
        days = field(form, "expires_in_days")
        if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
            raise ValidationFailed("expiresInDays", "must be a whole number of days, 1 to 3650")
        services = field(form, "services").replace(",", " ").split()
        async with self.gated(request, Operation.MANAGE_PORTAL_KEYS) as access:
            issued = await create_portal_key(
                access.session,
                name=field(form, "name"),
                services=services,
                now=utcnow(),
                expires_in=dt.timedelta(days=int(days)) if days else None,
            )
        notice = Notice(
            f"Portal key {issued.prefix} created. Copy it now: it is shown only this once "
            "and cannot be shown again.",
            "success",
            secret=issued.key,
        )
        page = await self._keys_page(request)
        page.notices.append(notice)
        return await self.page(request, PAGE, page.context())

    @expose("/portal-keys/revoke", methods=["POST"], identity="portal-keys-revoke")
    @form_of(_keys_page)
    @confirm_first("portal-keys", "Revoke the key")
    async def keys_revoke(self, request: Request) -> Response:
        form = await self.form(request)
        async with self.gated(request, Operation.MANAGE_PORTAL_KEYS) as access:
            await revoke_portal_key(access.session, field(form, "prefix"), utcnow())
        return back_to(request, "portal-keys")


class RulesView(PanelView):
    name = "Authorisation rules"
    icon = "fa-solid fa-scale-balanced"
    roles = _ADMINS

    @expose("/rules", methods=["GET"], identity="rules")
    async def rules_list(self, request: Request) -> Response:
        return await self.page(request, PAGE, (await self._rules_page(request)).context())

    async def _rules_page(self, request: Request) -> Page:
        async with self.gated(request, Operation.MANAGE_STAFF) as access:
            added = await runtime_rules(access.session)
        remove = str(request.url_for("admin:view-rules-remove"))
        page = Page(
            "Authorisation rules",
            "The built-in rules (authz/policy.csv) cannot be changed here. Rules added at run "
            "time reach every running process within the policy reload interval.",
            forms=[
                Form(
                    "add-rule",
                    "Add a rule",
                    str(request.url_for("admin:view-rules-add")),
                    _rule_fields(),
                    "Add",
                )
            ],
            tables=[
                Table(
                    "runtime-rules",
                    "Added at run time",
                    ("Rule",),
                    [Row((r.line(),), (_remove_button(remove, r),)) for r in added],
                    buttons=True,
                    empty="No rules added at run time.",
                ),
                Table(
                    "builtin-rules",
                    "Built in (read-only)",
                    ("Rule",),
                    [Row((line,)) for line in read_policy_file()],
                ),
            ],
        )
        return page

    @expose("/rules/add", methods=["POST"], identity="rules-add")
    @form_of(_rules_page)
    async def rules_add(self, request: Request) -> Response:
        rule = _rule_of(await self.form(request))
        async with self.gated(request, Operation.MANAGE_STAFF) as access:
            await add_rule(access.session, rule, utcnow())
        return back_to(request, "rules")

    @expose("/rules/remove", methods=["POST"], identity="rules-remove")
    @form_of(_rules_page)
    @confirm_first("rules", "Remove the rule")
    async def rules_remove(self, request: Request) -> Response:
        rule = _rule_of(await self.form(request))
        async with self.gated(request, Operation.MANAGE_STAFF) as access:
            await remove_rule(access.session, rule, utcnow())
        return back_to(request, "rules")


_RULE_PARTS = ("role", "domain", "standing", "operation", "effect")


def _rule_fields() -> tuple[Field, ...]:
    return (
        Field("role", "Role", options=options([r.value for r in Role])),
        Field("domain", "Service", value="*", required=True, help='a service slug, or "*"'),
        Field("standing", "Standing", options=options([s.value for s in Standing])),
        Field("operation", "Operation", options=options([o.value for o in Operation])),
        Field("effect", "Effect", options=options(["allow", "deny"])),
    )


def _remove_button(action: str, rule: Rule) -> Button:
    """Removing a run-time rule can take access away (an allow rule) or give it back (a deny
    rule): asked first, like every change of that kind."""
    hidden = tuple((name, getattr(rule, name)) for name in _RULE_PARTS)
    return Button(
        "Remove",
        action,
        hidden,
        f"Remove the rule {rule.line()}? Every running process stops applying it within the "
        "policy reload interval.",
    )


def _rule_of(form: FormData) -> Rule:
    return Rule(*(field(form, name) for name in _RULE_PARTS)).validated()
