"""Choices that leads, partners and contacts share: a person's civility, a company's size band."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Civility(models.TextChoices):
    MR = "mr", pgettext_lazy("civility", "Mr")
    MS = "ms", pgettext_lazy("civility", "Ms")
    MX = "mx", pgettext_lazy("civility", "Mx")


class CompanySize(models.IntegerChoices):
    """Company size bands (shared with partners), as in the reference's selection."""

    S1 = 1, "1–2"  # noqa: RUF001
    S2 = 2, "3–5"  # noqa: RUF001
    S3 = 3, "6–9"  # noqa: RUF001
    S11 = 11, "10–19"  # noqa: RUF001
    S12 = 12, "20–49"  # noqa: RUF001
    S21 = 21, "50–99"  # noqa: RUF001
    S22 = 22, "100–199"  # noqa: RUF001
    S31 = 31, "200–249"  # noqa: RUF001
    S32 = 32, "250–499"  # noqa: RUF001
    S41 = 41, "500–999"  # noqa: RUF001
    S42 = 42, "1000–1999"  # noqa: RUF001
    S51 = 51, "2000–4999"  # noqa: RUF001
    S52 = 52, "5000–9999"  # noqa: RUF001
    S53 = 53, _("10,000 and more")
