"""The lead kanban's cards, drawn in Python.

A board draws up to 120 cards; through the template engine they took half of the page's time
(the lists' rows the same: ``leads.lead_row``). ``templates/leads/kanban.html`` calls
``lead_card`` for the board, a column's next cards and the card sent back after a move.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def lead_card(context: Any, card: Any) -> SafeString:
    """One card: what ``views_board._decorate`` computed for it (``card.board``), its company
    and tags, and what ``views_board._card_context`` computed once for every card. Every value
    goes through ``esc`` (the stars and options are safe HTML already)."""
    b = card.board
    labels = context["labels"]
    name = esc(b["name"])
    owner = ""
    if b["owner_initials"]:
        owner = (
            f'<span class="badge rounded-pill text-bg-secondary kanban-owner"'
            f' title="{esc(b["owner_name"])}" data-testid="card-owner"><span'
            f' class="visually-hidden">{esc(labels["owner"])} </span>'
            f"{esc(b['owner_initials'])}</span>"
        )
    company = ""
    if card.enterprise_name:
        company = (
            '<div class="small text-body-secondary text-truncate" data-testid="card-company">'
            f"{esc(card.enterprise_name)}</div>\n"
        )
    tags = ""
    if card.tag_list:
        chips = " ".join(
            f'<span class="badge tag-badge" data-color="{esc(tag.color)}">{esc(tag.name)}</span>'
            for tag in card.tag_list
        )
        tags = f'<div class="lead-card-tags mt-1" data-testid="card-tags">{chips}</div>\n'
    move = ""
    if context["can_change"]:
        move = (
            '<details class="small mt-1"><summary data-testid="card-move-toggle">'
            f"{esc(labels['move_to'])}</summary>"
            f'<form method="post" action="{esc(b["move_url"])}" class="d-flex gap-1 mt-1"'
            f' data-kanban-move data-testid="card-move">{esc(context["csrf_input"])}'
            f'<input type="hidden" name="next" value="{esc(context["board_url"])}">'
            f'<input type="hidden" name="from" value="{esc(b["status_key"])}">'
            f'<select class="form-select form-select-sm" name="status"'
            f' aria-label="{esc(labels["status_of"])} {name}" required>{esc(b["options"])}</select>'
            f'<button class="btn btn-sm btn-outline-primary" type="submit">'
            f"{esc(labels['move'])}</button></form></details>\n"
        )
    html = (
        f'<article class="card kanban-card lead-card mb-2" data-kanban-card'
        f' data-kanban-move-url="{esc(b["move_url"])}" data-id="{esc(b["key"])}"'
        f' data-testid="kanban-card"><div class="card-body p-2">\n'
        f'<div class="d-flex gap-1 align-items-start"><a class="fw-semibold text-decoration-none'
        f' me-auto text-break" href="{esc(b["detail_url"])}" data-testid="card-name">{name}</a>'
        f"{owner}</div>\n"
        f"{company}"
        f'<div class="small mt-1" data-testid="card-scoring">{esc(b["stars"])}</div>\n'
        f"{tags}{move}</div></article>\n"
    )
    return mark_safe(html)  # noqa: S308 (every value above is escaped)
