"""The vocabulary of authorisation: what can be asked for, what a grant may see, how an actor
stands towards what it asks about, and how an attempt ended.

These names are the policy's words: they appear in authz/policy.csv, in runtime rules and in
the access log, so they are stable strings.
"""

from __future__ import annotations

from enum import StrEnum


class Operation(StrEnum):
    RESTRICTION_STATUS = "restriction_status"
    CHECK_CONTACT = "check_contact"
    READ_CASE_SUMMARY = "read_case_summary"
    READ_CASE = "read_case"
    # Record concern, evidence or safeguards; issue a warning; refer.
    UPDATE_CASE = "update_case"
    DECIDE = "decide"
    DECIDE_APPEAL = "decide_appeal"
    # Apart from appeals: a profile may give reviews to another role than appeals (Portsmouth
    # 5.2.6: the city helpdesk manager reviews; 5.2.7: the director decides appeals).
    DECIDE_REVIEW = "decide_review"
    READ_ACCESS_LOG = "read_access_log"
    VERIFY_ACCESS_LOG = "verify_access_log"
    SUBJECT_ACCESS_EXPORT = "subject_access_export"
    MANAGE_HOLDS = "manage_holds"
    APPROVE_DESTRUCTION = "approve_destruction"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SERVICES = "manage_services"
    MANAGE_PORTAL_KEYS = "manage_portal_keys"
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    READ_REPORTS = "read_reports"
    # Opening a case from outside the need-to-know set, with a stated reason. As a policy line
    # it says which roles may do so at all; the gate applies it to READ_CASE with a reason.
    BREAK_GLASS = "break_glass"
    # Records management (DESIGN.md 7): the retention job archives and destroys cases; an
    # archived case is read in full only by IG officers and its decision maker.
    ARCHIVE_CASE = "archive_case"
    DESTROY_CASE = "destroy_case"
    # A customer with no case (imported, or left without one), destroyed by the job a set time
    # after they were added; asked once per batch, one access-log entry per customer.
    DESTROY_CUSTOMER = "destroy_customer"
    READ_ARCHIVED_CASE = "read_archived_case"
    # Access-log retention: entries past their period, deleted up to a signed checkpoint.
    PRUNE_ACCESS_LOG = "prune_access_log"
    # The case workflow (issue 12): open a case in a service; assign staff to it (managers of
    # the service); decide on an immediate risk (the profile's role, without waiting to be
    # assigned: Cambridgeshire on-the-spot, RCT imminent risk).
    OPEN_CASE = "open_case"
    ASSIGN_STAFF = "assign_staff"
    # Ending an assignment (a leaver, a move of team, a mistake): whoever may make one.
    UNASSIGN_STAFF = "unassign_staff"
    DECIDE_IMMEDIATE_RISK = "decide_immediate_risk"
    # Loading a register of customers in bulk (`tact customers import`): an administrator's
    # task, like staff and portal keys; it reads nothing back.
    IMPORT_CUSTOMERS = "import_customers"
    # Finding customers who share an email, phone number or customer reference (`tact
    # customers duplicates`): ids and their cases' references and states, never a value.
    FIND_SHARED_DETAILS = "find_shared_details"
    # Taking a shared detail from a customer with no case, who has no case to correct it on
    # (`tact customers remove-detail`): the customer's id in, nothing read back.
    REMOVE_SHARED_DETAIL = "remove_shared_detail"


class FieldSet(StrEnum):
    """What a grant may see. Resolvers map a record onto the type for this set, never more."""

    STATUS = "status"  # kind, handling instructions, named officer, dates: the portal type
    SUMMARY = "summary"  # reference, state, service, dates
    FULL = "full"  # identity, evidence, reasons, vulnerability, letters
    LOG = "log"  # access-log entries (ids and references only)
    ADMIN = "admin"  # staff, roles, services, keys, reference data: no case contents
    AGGREGATE = "aggregate"  # counts only


class Standing(StrEnum):
    """How an actor stands towards a target, computed from data (authz/relations.py) and
    passed to Casbin, so the policy names relations instead of growing with cases."""

    HOLDER = "holder"  # holds the role, in some service
    MEMBER = "member"  # holds it in the target's service, or in every service
    ASSIGNED = "assigned"  # assigned to the case (any relation)
    ASSIGNED_AS_DECISION_MAKER = "assigned_as_decision_maker"
    ASSIGNED_AS_REVIEWER = "assigned_as_reviewer"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    BREAK_GLASS = "break_glass"
    # A fault: an outage, a bug. Told apart from REFUSED, so an IG officer reading the log for
    # faults is not reading every mistyped date.
    ERROR = "error"
    # Allowed, but the operation refused what it was asked (bad input, a step out of order):
    # nothing was changed. The caller got VALIDATION_FAILED or INVALID_TRANSITION.
    REFUSED = "refused"
    NOT_FOUND = "not_found"
    # A sealed value the operation needed failed authentication (altered in the database, or
    # moved to another row): not an outage. The entry's `fields` names the place, ids only.
    INTEGRITY_FAILURE = "integrity_failure"


# One field set per operation: who may ask is the policy's business; what an allowed request
# sees follows from what it asked for. Subject access exports hand a person their own record.
FIELDS_OF: dict[str, FieldSet] = {
    Operation.RESTRICTION_STATUS: FieldSet.STATUS,
    Operation.CHECK_CONTACT: FieldSet.STATUS,
    Operation.READ_CASE_SUMMARY: FieldSet.SUMMARY,
    Operation.READ_CASE: FieldSet.FULL,
    Operation.UPDATE_CASE: FieldSet.FULL,
    Operation.DECIDE: FieldSet.FULL,
    Operation.DECIDE_APPEAL: FieldSet.FULL,
    Operation.DECIDE_REVIEW: FieldSet.FULL,
    Operation.READ_ACCESS_LOG: FieldSet.LOG,
    Operation.VERIFY_ACCESS_LOG: FieldSet.LOG,
    Operation.SUBJECT_ACCESS_EXPORT: FieldSet.FULL,
    Operation.MANAGE_HOLDS: FieldSet.SUMMARY,
    Operation.APPROVE_DESTRUCTION: FieldSet.SUMMARY,
    Operation.MANAGE_STAFF: FieldSet.ADMIN,
    Operation.MANAGE_SERVICES: FieldSet.ADMIN,
    Operation.MANAGE_PORTAL_KEYS: FieldSet.ADMIN,
    Operation.MANAGE_REFERENCE_DATA: FieldSet.ADMIN,
    Operation.READ_REPORTS: FieldSet.AGGREGATE,
    Operation.BREAK_GLASS: FieldSet.FULL,
    Operation.ARCHIVE_CASE: FieldSet.FULL,
    Operation.DESTROY_CASE: FieldSet.SUMMARY,
    Operation.DESTROY_CUSTOMER: FieldSet.SUMMARY,
    Operation.READ_ARCHIVED_CASE: FieldSet.FULL,
    Operation.PRUNE_ACCESS_LOG: FieldSet.LOG,
    Operation.OPEN_CASE: FieldSet.FULL,
    Operation.ASSIGN_STAFF: FieldSet.FULL,
    Operation.UNASSIGN_STAFF: FieldSet.FULL,
    Operation.DECIDE_IMMEDIATE_RISK: FieldSet.FULL,
    Operation.IMPORT_CUSTOMERS: FieldSet.ADMIN,
    Operation.FIND_SHARED_DETAILS: FieldSet.SUMMARY,
    Operation.REMOVE_SHARED_DETAIL: FieldSet.ADMIN,
}

# Operations on case records that may be asked without naming a case: a list, filtered in SQL
# by the same rules (relations.visible_cases) and then checked row by row.
LISTABLE = frozenset({Operation.READ_CASE_SUMMARY, Operation.READ_CASE})
# Operations the retention job asks for a batch of cases in one access (one transaction):
# as for a list, the gate first decides whether any case could be allowed, then
# `Access.admit` checks each case as the gate would alone and records one entry per case.
BATCHED = frozenset({Operation.ARCHIVE_CASE, Operation.DESTROY_CASE})

# Break-glass opens one case in full; the reason must say why, so a word or two is not enough.
BREAK_GLASS_MIN_REASON = 20

# What an operation on a case becomes once the case is archived (authz/gate.py): reading it
# in full needs READ_ARCHIVED_CASE, and changes are asked as ARCHIVED_READ_ONLY, which no
# rule grants: an archived case is read-only.
ARCHIVED_READ_ONLY = "archived_case_is_read_only"
ON_ARCHIVED: dict[str, str] = {
    Operation.READ_CASE: Operation.READ_ARCHIVED_CASE,
    Operation.BREAK_GLASS: Operation.READ_ARCHIVED_CASE,
    Operation.UPDATE_CASE: ARCHIVED_READ_ONLY,
    Operation.DECIDE: ARCHIVED_READ_ONLY,
    Operation.DECIDE_APPEAL: ARCHIVED_READ_ONLY,
    Operation.DECIDE_REVIEW: ARCHIVED_READ_ONLY,
}

# Operations decided by someone independent of the decision they look at again, where the
# profile says so (`[appeal] independent_of_decider`): the gate refuses the decider.
INDEPENDENT_OF_DECISION = frozenset({Operation.DECIDE_APPEAL, Operation.DECIDE_REVIEW})
