"""The panel's pages, in menu order, and how the panel is put on the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqladmin import BaseView
from starlette.applications import Starlette

from admin.panel import PanelConfig, PanelParts, TactAdmin
from admin.views_access import PortalKeysView, RulesView, ServicesView, StaffView
from admin.views_governance import AccessChartsView, AccessLogView, BreakGlassView
from admin.views_records import CertificatesView, HoldsView
from admin.views_reference import ArrangementKindsView, CasesView, ProfileView
from admin.views_reports import ReportsView
from admin.views_retention import RetentionQueueView
from admin.views_subject_access import SubjectAccessView

VIEWS: tuple[type[BaseView], ...] = (
    StaffView,
    ServicesView,
    PortalKeysView,
    RulesView,
    ProfileView,
    ArrangementKindsView,
    CasesView,
    AccessLogView,
    BreakGlassView,
    AccessChartsView,
    RetentionQueueView,
    HoldsView,
    CertificatesView,
    SubjectAccessView,
    ReportsView,
)


def mount_panel(
    app: Starlette, ready: Callable[[], Awaitable[PanelParts]], config: PanelConfig
) -> TactAdmin:
    """Mount the panel at PANEL_PATH (/admin) on `app`."""
    panel = TactAdmin(app, ready, config)
    for view in VIEWS:
        panel.add_view(view)
    return panel
