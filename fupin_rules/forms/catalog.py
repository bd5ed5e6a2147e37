"""The plan's forms (附件3–9) as data: each one a header map ``gx.form.<name>`` over a record
schema, read back as records, or as events where a procedure names the form in its
``events.<type>.tables`` (附件6, 附件7).

A form is nothing but data the library already holds: its columns, required columns, text
columns and sources are its header map's; its value types and code lists are the record
schema's; whether its rows become events is the procedures'. A new form is a new header map.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import cast

import attrs

from .._yaml import read_yaml
from ..errors import NotFoundError
from ..events.procedures import TableSpec
from ..io.headermaps import HeaderMap
from ..io.tables import field_property, json_kind, property_codes
from ..library import Library
from ..records import RecordSchema

__all__ = ["FORM_PREFIX", "Column", "Form", "find_form", "forms"]

FORM_PREFIX = "gx.form."
"""Header maps whose id starts with this are the plan's forms."""


@attrs.frozen
class Column:
    """One column of a form: its header, the field it fills, and what may be written in it."""

    header: str
    field: str
    label: str
    """The field's label in the record schema (may differ from the header)."""
    kind: str
    """string, integer, number, boolean, date, array."""
    required: bool
    text_only: bool
    codes: Mapping[str, str] | None
    """code -> label of the field's code list, or None."""
    codelist: str | None
    choices: tuple[str, ...]
    """Fixed values the field allows (an ``enum``), or ()."""
    description: str


@attrs.frozen
class Form:
    """One form of the plan: a header map read with its subject's record schema."""

    headermap: HeaderMap
    schema: RecordSchema
    event_type: str | None
    """The event type each household of the form becomes, or None (the form gives records)."""
    table: TableSpec | None
    columns: tuple[Column, ...]
    description: str = ""
    notes: tuple[str, ...] = ()
    """The header map's notes: what of the form is unconfirmed."""

    @property
    def name(self) -> str:
        """The short name (``member-increase`` for ``gx.form.member-increase``)."""
        return self.headermap.id.removeprefix(FORM_PREFIX)

    @property
    def key(self) -> str:
        """The header map's ``id@version``."""
        return self.headermap.key

    @property
    def title(self) -> str:
        """The form's Chinese title."""
        return self.headermap.title

    @property
    def reads_as(self) -> str:
        """What a filled form becomes, in Chinese."""
        if self.event_type is None:
            return f"{self.schema.subject} 记录 (每{_unit(self.schema)}一条)"
        return f"事项 {self.event_type} (每户一个)"


def _unit(schema: RecordSchema) -> str:
    return {"household": "户", "village": "村", "county": "县"}.get(schema.subject, "条")


def _column(hm: HeaderMap, schema: RecordSchema, field: str) -> Column:
    prop = field_property(schema, field)
    kind = json_kind(prop)
    listname, codes = property_codes(schema, prop, kind)
    enum = prop.get("enum") or ()
    return Column(
        header=hm.headers[field],
        field=field,
        label=str(prop.get("title") or field),
        kind=kind,
        required=field in hm.required,
        text_only=field in hm.text_only,
        codes=codes,
        codelist=listname,
        choices=tuple(str(v) for v in enum if v is not None),
        description=str(prop.get("description") or ""),
    )


def _tables(lib: Library) -> dict[str, tuple[str, TableSpec]]:
    """header-map id -> (event type, table spec) from every procedure that reads a form."""
    found: dict[str, tuple[str, TableSpec]] = {}
    for versions in lib.procedures.values():
        for procedure in versions:
            for event_type, kind in procedure.events.items():
                spec = kind.tables
                if spec is not None and spec.headermap not in found:
                    found[spec.headermap] = (event_type, spec)
    return found


def forms(lib: Library) -> dict[str, Form]:
    """Every form of the library (newest version of each), by short name, sorted."""
    tables = _tables(lib)
    out: dict[str, Form] = {}
    for hid in sorted(lib.headermaps):
        if not hid.startswith(FORM_PREFIX):
            continue
        versions = [cast(HeaderMap, h) for h in lib.headermaps[hid]]
        out[hid.removeprefix(FORM_PREFIX)] = _form(lib, versions[-1], tables)
    return out


def _form(lib: Library, hm: HeaderMap, tables: Mapping[str, tuple[str, TableSpec]]) -> Form:
    schema = lib.record_schemas[hm.subject]
    event_type, spec = tables.get(hm.id, (None, None))
    columns = tuple(_column(hm, schema, f) for f in hm.fields())
    data = read_yaml(hm.file).data
    notes = data.get("notes") if isinstance(data, Mapping) else None
    description = data.get("description") if isinstance(data, Mapping) else None
    return Form(
        headermap=hm,
        schema=schema,
        event_type=event_type,
        table=spec,
        columns=columns,
        description=str(description or "").strip(),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


def find_form(lib: Library, name: str) -> Form:
    """The form ``name``: a short name (``member-increase``), a header-map id
    (``gx.form.member-increase``) or ``id@version``. :class:`NotFoundError` with the names
    there are otherwise."""
    ident, _, version = name.partition("@")
    short = ident.removeprefix(FORM_PREFIX)
    known = forms(lib)
    if short not in known:
        close = difflib.get_close_matches(short, list(known), n=3, cutoff=0.4)
        msg = f"没有表格 {name!r}"
        raise NotFoundError(msg, suggestions=close or list(known))
    if not version:
        return known[short]
    for hm in lib.headermaps[FORM_PREFIX + short]:
        if hm.version == version:
            return _form(lib, cast(HeaderMap, hm), _tables(lib))
    versions = [h.version for h in lib.headermaps[FORM_PREFIX + short]]
    raise NotFoundError(f"表格 {short} 没有版本 {version!r}", suggestions=versions)
