"""The staff console under ``/t/{slug}/``: sign-in, queues, intake, the case page, dashboard, duty.

Handlers read the form, call a service, and render; every rule lives in the services and the
domain. Errors a person can fix come back on the same page, next to the field or form.
"""

from core.web.staff.cases import CasePages
from core.web.staff.desk import DeskPages
from core.web.staff.home import HomePages
from core.web.staff.intake import IntakePages, field_errors

__all__ = ["STAFF_PAGES", "field_errors"]

STAFF_PAGES = (HomePages, IntakePages, CasePages, DeskPages)
"""Every controller of the staff console, in the order they are mounted."""
