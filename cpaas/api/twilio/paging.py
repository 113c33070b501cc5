"""One paging implementation for every Twilio list: PageSize/Page/PageToken in, Twilio's page keys out.

Rows are listed newest first. `PageToken=PA<sid>` continues after that row and `PB<sid>` goes back
before it, so deep pages cost an index seek, not an OFFSET scan; a bare `Page=N` still works.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request
from marshmallow import fields, validate
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from cpaas.api.twilio.schemas import TwilioParams

META_KEYS = ("first_page_uri", "end", "previous_page_uri", "uri", "page_size", "start", "next_page_uri", "page")
_PAGING_PARAMS = ("PageSize", "Page", "PageToken")


class PageParams(TwilioParams):
    page_size = fields.Integer(data_key="PageSize", load_default=50, validate=validate.Range(1, 1000))
    page = fields.Integer(data_key="Page", load_default=0, validate=validate.Range(0))
    page_token = fields.String(data_key="PageToken", load_default=None,
                               validate=validate.Regexp(r"^P[AB][A-Z]{2}[0-9a-f]{32}$"))


def paginate(session: Session, query, model, params: dict, key: str, render) -> dict:
    """Run `query` (a select of `model`) for one page and build the Twilio page body."""
    size, page, token = params["page_size"], params["page"], params.get("page_token")
    rows, has_next, has_previous = _fetch(session, query, model, size, page, token)
    start = page * size
    body = {
        "first_page_uri": _uri(PageSize=size, Page=0),
        "end": start + len(rows) - 1 if rows else start,
        "previous_page_uri": _uri(PageSize=size, Page=page - 1, PageToken=f"PB{rows[0].sid}")
        if rows and has_previous and page > 0 else None,
        "uri": _uri(PageSize=size, Page=page, PageToken=token),
        "page_size": size,
        "start": start,
        "next_page_uri": _uri(PageSize=size, Page=page + 1, PageToken=f"PA{rows[-1].sid}") if has_next else None,
        "page": page,
        key: [render(row) for row in rows],
    }
    return body


def _fetch(session, query, model, size, page, token):
    newest_first = (model.date_created.desc(), model.sid.desc())
    if token:
        anchor = session.execute(select(model.date_created, model.sid).where(model.sid == token[2:])).first()
        if anchor is None:
            return [], False, False
        created, sid = anchor
        key = tuple_(model.date_created, model.sid)  # a row value: one range on the (…, date_created, sid) index
        if token.startswith("PA"):
            after = key < tuple_(created, sid)
            rows = session.scalars(query.where(after).order_by(*newest_first).limit(size + 1)).all()
            return rows[:size], len(rows) > size, True
        before = key > tuple_(created, sid)
        rows = session.scalars(query.where(before).order_by(model.date_created.asc(), model.sid.asc())
                               .limit(size + 1)).all()
        return list(reversed(rows[:size])), True, len(rows) > size
    rows = session.scalars(query.order_by(*newest_first).offset(page * size).limit(size + 1)).all()
    return rows[:size], len(rows) > size, page > 0


def _uri(**paging) -> str:
    """This request's path with its filters kept and the paging parameters replaced."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in _PAGING_PARAMS]
    kept += [(k, v) for k, v in paging.items() if v is not None]
    return f"{request.path}?{urlencode(kept)}"
