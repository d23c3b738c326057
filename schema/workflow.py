"""The workflow area of the schema: every step of the case process as a mutation (one module
each, in schema/mutations/), and `deadlines`, what is due or overdue."""

from __future__ import annotations

import strawberry

from schema.mutations import (
    add_attachment,
    assign_staff,
    close_no_action,
    decide,
    decide_appeal,
    decide_immediate_risk,
    decide_review,
    extend_arrangement,
    hold_case_conference,
    issue_warning,
    lift_arrangement,
    lodge_appeal,
    modify_arrangement,
    open_case,
    record_assessment,
    record_concern,
    record_contact_details,
    record_customer_name,
    record_evidence,
    record_notification,
    record_safeguards,
    refer,
    remove_attachment,
    request_review,
    schedule_review,
    unassign_staff,
)


@strawberry.type
class WorkflowMutation:
    """Composed into the root Mutation. Every field goes through the gate."""

    open_case = open_case.field
    record_concern = record_concern.field
    record_evidence = record_evidence.field
    add_attachment = add_attachment.field
    remove_attachment = remove_attachment.field
    record_contact_details = record_contact_details.field
    record_customer_name = record_customer_name.field
    assign_staff = assign_staff.field
    unassign_staff = unassign_staff.field
    record_safeguards = record_safeguards.field
    issue_warning = issue_warning.field
    refer = refer.field
    record_assessment = record_assessment.field
    hold_case_conference = hold_case_conference.field
    decide = decide.field
    decide_immediate_risk = decide_immediate_risk.field
    record_notification = record_notification.field
    close_no_action = close_no_action.field
    modify_arrangement = modify_arrangement.field
    extend_arrangement = extend_arrangement.field
    lift_arrangement = lift_arrangement.field
    schedule_review = schedule_review.field
    request_review = request_review.field
    decide_review = decide_review.field
    lodge_appeal = lodge_appeal.field
    decide_appeal = decide_appeal.field
