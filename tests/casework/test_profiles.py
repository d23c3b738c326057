"""Policy profiles: the five shipped policies and the default load and say what their
policies say; a bad file is refused naming the file, the key and the reason; every value in
a shipped file carries a comment citing its clause. (The command line and start-up:
tests/api/test_cli_profiles.py.)"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from casework.label_guard import find_label
from casework.profiles import (
    SAFEGUARDS,
    ProfileError,
    load_profile,
    load_profile_file,
    parse_profile,
    profile_names,
)
from records.models import ArrangementKind, Role

SHIPPED = [
    "cambridgeshire-cc",
    "cumbria-frs",
    "default",
    "merseyside-frs",
    "portsmouth-cc",
    "rhondda-cynon-taf",
]


def shipped_text(name: str) -> str:
    return (
        resources.files("casework").joinpath("profiles", f"{name}.toml").read_text(encoding="utf-8")
    )


def test_the_five_policies_and_the_default_are_shipped() -> None:
    assert profile_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_profile_loads_under_its_own_name(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert set(profile.job_titles) >= {Role.MANAGER, Role.DECISION_MAKER, Role.REVIEWER}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_value_in_a_shipped_file_cites_where_it_comes_from(name: str) -> None:
    # A value line (key = ...) or a list item carries a comment, on it or (for a list that
    # opens with `[  # ...`) on the line that opens the list.
    uncited = []
    in_list_with_comment = False
    for line in shipped_text(name).splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.fullmatch(r"\[[\w.]+\]", stripped):
            continue
        if stripped == "]" or stripped.endswith("= ["):
            in_list_with_comment = False
            continue
        if "#" in stripped:
            in_list_with_comment = stripped.split("#")[0].rstrip().endswith("[")
            continue
        if not in_list_with_comment:
            uncited.append(stripped)
    assert uncited == []


@pytest.mark.parametrize("name", SHIPPED)
def test_no_shipped_file_uses_a_label_for_a_person(name: str) -> None:
    assert find_label(shipped_text(name)) is None


def test_cumbria_challenge_is_14_calendar_days_decided_within_28_by_someone_independent() -> None:
    appeal = load_profile("cumbria-frs").appeal
    assert (appeal.window, appeal.unit, appeal.decide_within_days) == (14, "calendar_days", 28)
    assert appeal.independent_of_decider and appeal.deciding_roles == [Role.REVIEWER]


def test_the_default_profile_asks_for_every_safeguard_the_policies_share() -> None:
    # The design's "safeguards before action", item by item; the two Cumbria adds of its
    # own (a manager consulted, earlier decisions sound) are Cumbria's.
    own = {"discussed_with_manager", "earlier_decisions_sound"}
    assert set(load_profile("default").decision.safeguards) == set(SAFEGUARDS) - own


def test_cumbria_decider_is_satisfied_of_each_thing_its_policy_lists() -> None:
    # 2.2: "Before deciding ... should always be satisfied that", item by item.
    assert set(load_profile("cumbria-frs").decision.safeguards) >= {
        "discussed_with_manager", "complaint_handled", "reasonable_adjustments",
        "earlier_decisions_sound", "preferred_method", "no_significant_new_information",
    }  # fmt: skip
    # "contact with the Service", the FRS, with "a cross-service approach" across functions.
    assert load_profile("cumbria-frs").scope == "council"


def test_rhondda_cynon_taf_is_welsh_per_service_15_working_days_no_safety_appeal() -> None:
    profile = load_profile("rhondda-cynon-taf")
    assert (profile.nation, profile.scope) == ("wales", "service")
    assert (profile.appeal.window, profile.appeal.unit) == (15, "working_days")
    assert profile.appeal.outcomes == ["upheld", "not_upheld"]
    assert not profile.appeal.health_and_safety_appealable
    assert profile.decision.with_ == "Monitoring Officer"
    assert profile.warning.exceptional_direct_decision
    assert "warning" in profile.appeal.against


def test_portsmouth_allows_one_customer_review_a_late_appeal_becomes_a_review() -> None:
    profile = load_profile("portsmouth-cc")
    assert profile.review.customer_requests_per_period == 1
    assert (profile.appeal.window, profile.appeal.late) == (28, "review")
    # 5.2.7: "reserves the right not to consider" a late appeal: it may hear one.
    assert profile.appeal.late_discretion
    assert profile.appeal.outcomes == ["confirmed", "amended", "removed"]
    assert profile.notification.decision_not_to_send_allowed
    assert profile.notification.not_to_send_subjects == ["review"]  # 5.2.6, not a decision
    assert profile.notification.not_to_send_role == "decision_maker"
    assert profile.warning.step_one_spoc and profile.scope == "council"
    assert profile.assessment.kind == "referral_pack"


def test_portsmouth_reviews_are_the_city_helpdesk_managers_in_consultation() -> None:
    # 5.2.6: "undertaken by the city helpdesk manager, in consultation with the assistant
    # director of corporate services and/or the City Solicitor"; 5.2.7: appeals, the director.
    profile = load_profile("portsmouth-cc")
    assert profile.review.deciding_roles == [Role.MANAGER]
    assert profile.review.with_ is not None and "City Solicitor" in profile.review.with_
    assert profile.review.decider_title == "city helpdesk manager"  # not `manager`'s 5.1 title
    assert profile.appeal.deciding_roles == [Role.REVIEWER]


@pytest.mark.parametrize("name", [n for n in SHIPPED if n != "portsmouth-cc"])
def test_elsewhere_a_reviewer_or_decision_maker_reviews_without_a_consultation(name: str) -> None:
    review = load_profile(name).review
    assert review.deciding_roles == [Role.REVIEWER, Role.DECISION_MAKER]
    assert review.with_ is None and review.decider_title is None


REVIEW_ROLES = 'deciding_roles = ["manager"]'
REVIEW_WITH = 'with = "assistant director of corporate services and/or the City Solicitor'


@pytest.mark.parametrize(
    ("replace", "by", "key"),
    [
        (REVIEW_ROLES, 'deciding_roles = ["mayor"]', "review.deciding_roles.0"),
        (REVIEW_ROLES, "deciding_roles = []", "review.deciding_roles"),
        (REVIEW_ROLES, 'deciding_roles = ["portal"]', "review.deciding_roles"),
        (REVIEW_ROLES, 'deciding_roles = ["ig_officer"]', "review.deciding_roles"),
        (REVIEW_ROLES, 'deciding_roles = "manager"', "review.deciding_roles"),
        (REVIEW_WITH, 'with = ""', "review.with"),
        (REVIEW_WITH, "with = 3", "review.with"),
    ],
)
def test_a_bad_review_decider_or_consultation_is_refused_naming_the_key(
    replace: str, by: str, key: str
) -> None:
    text = shipped_text("portsmouth-cc")
    line = next(line for line in text.splitlines() if line.startswith(replace))
    spoilt = bad(text, line, by)  # the whole line, comment and all
    with pytest.raises(ProfileError) as caught:
        parse_profile("portsmouth-cc.toml", spoilt)
    assert (caught.value.file, caught.value.key) == ("portsmouth-cc.toml", key)
    assert caught.value.reason


def test_merseyside_meets_first_holds_a_case_conference_and_reviews_quarterly() -> None:
    profile = load_profile("merseyside-frs")
    assert profile.warning.meet_first and not profile.warning.required
    assert profile.assessment.kind == "case_conference"
    assert "Equality and Diversity Manager" in profile.assessment.conference_roles
    assert (profile.review.first_review_months, profile.review.interval_months) == (3, 3)
    assert ArrangementKind.PROACTIVE_CONTACT in profile.arrangement_kinds


def test_cambridgeshire_has_a_named_assessor_and_reviews_at_6_months() -> None:
    profile = load_profile("cambridgeshire-cc")
    assert profile.assessment.kind == "named_assessor"
    assert profile.assessment.required_before_decision
    assert profile.review.first_review_months == 6
    assert profile.warning.may_skip_reasons == ["crime", "safety"]


def test_retention_is_six_years_after_the_last_restriction_everywhere() -> None:
    assert {load_profile(n).retention.years_after_last_restriction for n in SHIPPED} == {6}


def test_rhondda_cynon_taf_reviews_on_a_recommendation_and_for_a_new_issue() -> None:
    # 7.3: the Customer Feedback Group "will review each case and recommend"; 7.4: "The Group
    # Director will consider" it; 9.1: the restrictions reconsidered "in terms of any new
    # issue raised".
    profile = load_profile("rhondda-cynon-taf")
    assert profile.review.recommended_by == "Customer Feedback Group"
    assert profile.review.triggers == ["new_issue"]
    deciders = {profile.title_of(role) for role in profile.review.deciding_roles}
    assert deciders == {"Group Director"}
    assert profile.version == "7"
    # 7.3: "the relevant Group Director", who decided, endorses; appeals stay independent.
    assert not profile.reviews_independent_of_decider
    assert profile.appeal.independent_of_decider


@pytest.mark.parametrize("name", SHIPPED)
def test_reviews_are_as_independent_as_appeals_unless_the_profile_says(name: str) -> None:
    profile = load_profile(name)
    if name == "rhondda-cynon-taf":
        assert profile.review.independent_of_decider is False
    else:
        assert profile.review.independent_of_decider is None
        assert profile.reviews_independent_of_decider == profile.appeal.independent_of_decider


@pytest.mark.parametrize("name", [n for n in SHIPPED if n != "rhondda-cynon-taf"])
def test_elsewhere_reviews_record_no_recommendation_and_no_trigger(name: str) -> None:
    review = load_profile(name).review
    assert review.recommended_by is None and review.triggers == []


RECOMMENDED = 'recommended_by = "Customer Feedback Group"'
NEW_ISSUE = '  "new_issue",'


@pytest.mark.parametrize(
    ("replace", "by", "key"),
    [
        (RECOMMENDED, 'recommended_by = ""', "review.recommended_by"),
        (RECOMMENDED, "recommended_by = true", "review.recommended_by"),
        (RECOMMENDED, 'recommended_by = ["Customer Feedback Group"]', "review.recommended_by"),
        (NEW_ISSUE, '  "new_information",', "review.triggers.0"),
        (NEW_ISSUE, "  9,", "review.triggers.0"),
    ],
)
def test_a_bad_recommendation_or_trigger_is_refused_naming_the_key(
    replace: str, by: str, key: str
) -> None:
    spoilt = bad(shipped_text("rhondda-cynon-taf"), replace, by)
    with pytest.raises(ProfileError) as caught:
        parse_profile("rhondda-cynon-taf.toml", spoilt)
    assert (caught.value.file, caught.value.key) == ("rhondda-cynon-taf.toml", key)
    assert caught.value.reason


def bad(text: str, replace: str, by: str) -> str:
    assert replace in text
    return text.replace(replace, by, 1)


@pytest.mark.parametrize(
    ("replace", "by", "key"),
    [
        ('deciding_role = "decision_maker"', 'deciding_role = "mayor"', "decision.deciding_role"),
        ("window = 14", "window = 0", "appeal.window"),
        ('nation = "england"', 'nation = "scotland"', "nation"),
        ('scope = "council"', 'scope = "council"\nsurprise = 1', "surprise"),
        ('"call_duration",', '"shouting",', "arrangement_kinds.0"),
        ('late = "refuse"', 'late = "sometimes"', "appeal.late"),
        ('manager = "relevant manager"', 'chief = "relevant manager"', "job_titles.chief.[key]"),
    ],
)
def test_a_bad_value_is_refused_naming_the_file_and_the_key(
    replace: str, by: str, key: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile("cumbria-frs.toml", bad(shipped_text("cumbria-frs"), replace, by))
    assert (caught.value.file, caught.value.key) == ("cumbria-frs.toml", key)
    assert caught.value.reason
    assert "cumbria-frs.toml" in caught.value.message and key in caught.value.message


def test_a_missing_section_and_broken_toml_are_refused() -> None:
    text = shipped_text("default")
    start = text.index("[retention]")
    end = text.index("[job_titles]")
    with pytest.raises(ProfileError) as caught:
        parse_profile("default.toml", text[:start] + text[end:])
    assert caught.value.key == "retention"
    with pytest.raises(ProfileError) as caught:
        parse_profile("default.toml", "name = ")
    assert caught.value.key == "toml"


def test_a_profile_must_carry_its_file_name_and_an_unknown_name_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "our-council.toml"
    path.write_text(shipped_text("default"), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    assert (caught.value.file, caught.value.key) == ("our-council.toml", "name")
    with pytest.raises(ProfileError) as caught:
        load_profile("nowhere")
    assert caught.value.key == "name"


def test_an_appeal_with_no_window_must_accept_late_requests() -> None:
    text = bad(shipped_text("merseyside-frs"), 'late = "accept"', 'late = "refuse"')
    with pytest.raises(ProfileError) as caught:
        parse_profile("merseyside-frs.toml", text)
    assert caught.value.key == "appeal"


def test_discretion_over_late_appeals_needs_a_rule_that_is_not_accept() -> None:
    text = bad(
        shipped_text("merseyside-frs"), 'late = "accept"', 'late = "accept"\nlate_discretion = true'
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile("merseyside-frs.toml", text)
    assert caught.value.key == "appeal"
    # Where late appeals are refused outright, the policy gives no discretion.
    assert not load_profile("rhondda-cynon-taf").appeal.late_discretion
    assert not load_profile("cumbria-frs").appeal.late_discretion


def test_not_sending_is_allowed_only_with_what_about_and_who_decides() -> None:
    text = bad(shipped_text("portsmouth-cc"), 'not_to_send_role = "decision_maker"', "")
    with pytest.raises(ProfileError) as caught:
        parse_profile("portsmouth-cc.toml", text)
    assert caught.value.key == "notification"


def test_rules_that_go_together_are_refused_apart() -> None:
    rct = shipped_text("rhondda-cynon-taf")
    merseyside = shipped_text("merseyside-frs")
    no_reason = bad(rct, '  "exceptional",', "")
    no_meeting = bad(merseyside, '  "meeting_offered",', "")
    with pytest.raises(ProfileError) as direct:
        parse_profile("rhondda-cynon-taf.toml", no_reason)
    with pytest.raises(ProfileError) as meeting:
        parse_profile("merseyside-frs.toml", no_meeting)
    assert direct.value.key == "warning" and "exceptional" in direct.value.reason
    assert meeting.value.key == "profile" and "meeting_offered" in meeting.value.reason


def test_only_rct_issues_its_warning_in_consultation() -> None:
    # RCT 5.1 Stage 1: "Head of Service in consultation with Service Director, issues warning
    # letter"; no other policy has its warning taken in consultation. The letter says the
    # issuing post consulted them, so a profile naming no issuer is refused.
    consulting = {n: load_profile(n).warning.with_ for n in SHIPPED}
    assert {n: post for n, post in consulting.items() if post} == {
        "rhondda-cynon-taf": "Service Director"
    }
    no_issuer = bad(shipped_text("rhondda-cynon-taf"), 'issuing_role = "manager"', "")
    with pytest.raises(ProfileError) as caught:
        parse_profile("rhondda-cynon-taf.toml", no_issuer)
    assert caught.value.key == "warning" and "issuing_role" in caught.value.reason


def test_only_merseyside_keeps_a_suspension_to_the_next_review() -> None:
    # Merseyside, Outcomes: "Temporarily suspend all contact with the customer whilst seeking
    # legal advice"; no other policy makes a kind temporary until something is awaited. A
    # kind the profile does not use is refused.
    kept = {n: load_profile(n).decision.until_review_kinds for n in SHIPPED}
    assert {n: kinds for n, kinds in kept.items() if kinds} == {
        "merseyside-frs": [ArrangementKind.SUSPENDED_CONTACT]
    }
    unused = bad(shipped_text("merseyside-frs"), '["suspended_contact"]', '["premises_exclusion"]')
    with pytest.raises(ProfileError) as caught:
        parse_profile("merseyside-frs.toml", unused)
    assert caught.value.key == "profile" and "until_review_kinds" in caught.value.reason


def test_only_cambridgeshire_waits_for_a_designated_point_of_contact() -> None:
    # Cambridgeshire, Decision: "A designated point of contact will be assigned to all
    # customers"; no other policy says so.
    waits = {n for n in SHIPPED if load_profile(n).decision.point_of_contact}
    assert waits == {"cambridgeshire-cc"}
    assert load_profile("cambridgeshire-cc").version == "4"


def test_an_immediate_risk_may_impose_only_kinds_the_profile_has() -> None:
    # RCT 3.2: the Service manager's on-the-spot step is an exclusion from the premises.
    assert load_profile("rhondda-cynon-taf").decision.immediate_risk_kinds == ["premises_exclusion"]
    assert load_profile("cumbria-frs").decision.immediate_risk_kinds == []  # absent: any
    unknown = bad(
        shipped_text("rhondda-cynon-taf"),
        'immediate_risk_kinds = ["premises_exclusion"]',
        'immediate_risk_kinds = ["premises_exclusion", "mediation"]',
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile("rhondda-cynon-taf.toml", unknown)
    assert caught.value.key == "profile" and "mediation" in caught.value.reason


def test_an_immediate_risk_profile_with_a_warning_gives_a_reason_to_go_without_one() -> None:
    # No warning follows an immediate-risk decision: the full decision after it gives a skip
    # reason, so a profile with none could never make that decision.
    none = bad(shipped_text("default"), 'may_skip_reasons = ["safety"]', "may_skip_reasons = []")
    with pytest.raises(ProfileError) as caught:
        parse_profile("default.toml", none)
    assert caught.value.key == "profile" and "warning.may_skip_reasons" in caught.value.reason


# Whom each policy has the customer write to with a challenge, and what it says of how.
WRITE_TO = {
    "cambridgeshire-cc": None,  # "A review can be requested by the customer": no one named
    "cumbria-frs": "a senior manager",  # 2.2: "a request for a review to a senior manager"
    "default": None,
    "merseyside-frs": "the Director",  # "an opportunity to review the decision with the Director"
    "portsmouth-cc": "the city helpdesk manager",  # 5.2.7: "by contacting the city helpdesk ..."
    "rhondda-cynon-taf": "the Principal Democratic Services Officer",  # 6.1
}


@pytest.mark.parametrize("name", SHIPPED)
def test_each_policy_says_whom_the_customer_writes_to_with_a_challenge(name: str) -> None:
    rule = load_profile(name).appeal
    assert rule.write_to == WRITE_TO[name]
    assert (rule.quote is None) == (name == "default")  # each policy is quoted where it says
    # 6.1 alone gives a postal address: "Appeals should be made to: ... CF40 1NY".
    assert bool(rule.address) == (name == "rhondda-cynon-taf")


def test_an_address_without_whom_to_write_to_is_refused() -> None:
    text = resources.files("casework").joinpath("profiles", "default.toml").read_text("utf-8")
    text = text.replace("[notification]", 'address = ["The Pavilions"]\n\n[notification]')
    with pytest.raises(ProfileError) as refused:
        parse_profile("own.toml", text)
    assert refused.value.key == "appeal"
    assert "address needs write_to" in refused.value.reason


def test_a_profile_without_a_warning_says_nothing_of_one() -> None:
    # Merseyside has no warning (`required = false`), so issueWarning is refused: a file that
    # then gives reasons to skip it, or an appeal against it, is refused naming them.
    skips = bad(
        shipped_text("merseyside-frs"), "may_skip_reasons = []", 'may_skip_reasons = ["safety"]'
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile("merseyside-frs.toml", skips)
    assert "warning.may_skip_reasons" in caught.value.reason
    appealed = bad(
        shipped_text("merseyside-frs"), 'against = ["decision"]', 'against = ["warning"]'
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile("merseyside-frs.toml", appealed)
    assert "appeal.against 'warning'" in caught.value.reason


def test_an_appeal_outcome_is_final_where_the_policy_gives_one_appeal() -> None:
    # Portsmouth 5.2.7, RCT 6.2, Cumbria 2.2: one appeal (or challenge), no further stage;
    # Cambridgeshire and Merseyside set no limit on asking for a review.
    final = {n for n in SHIPPED if load_profile(n).appeal.final}
    assert final == {"cumbria-frs", "default", "portsmouth-cc", "rhondda-cynon-taf"}
