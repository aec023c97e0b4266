"""Phone and email kinds from the labels other address books give them: vCard TYPEs in every version's spelling
(``CELL``, ``type=mobile``, ``"voice,cell"``), Apple's ``X-ABLabel``, Google's ``Phone 1 - Label`` (``Mobile``,
``Work Fax``, ``* Home``), Outlook's column names (``Business Fax``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.models import EmailKind, PhoneKind

# In order: the first kind any label names wins, so "work fax" is a fax and "work mobile" a cell phone.
_PHONE_WORDS = (
    (PhoneKind.fax, ("fax", "facsimile", "telefax")),
    (PhoneKind.cell, ("cell", "mobile", "iphone", "cellular", "handy", "sms")),
    (PhoneKind.home, ("home", "personal", "private")),
    (PhoneKind.work, ("work", "business", "main", "company", "office", "primary")),
)
_EMAIL_WORDS = (
    (EmailKind.personal, ("home", "personal", "private")),
    (EmailKind.work, ("work", "business", "office")),
)


def _words(labels: Iterable[str]) -> set[str]:
    return {word for label in labels for word in re.findall(r"[a-z]+", label.casefold())}


def phone_kind(labels: Iterable[str]) -> PhoneKind:
    words = _words(labels)
    return next((kind for kind, names in _PHONE_WORDS if words & set(names)), PhoneKind.other)


def email_kind(labels: Iterable[str]) -> EmailKind:
    words = _words(labels)
    return next((kind for kind, names in _EMAIL_WORDS if words & set(names)), EmailKind.other)
