"""Requests whose body is a spreadsheet file itself (a roster, a file of opening balances):
``Content-Type: text/csv`` or the ``.xlsx`` media type, at most :data:`MAX_UPLOAD_BYTES`.
What the file is, is read from its first bytes (:func:`export.read_table`), so a client that
sends ``application/octet-stream`` is understood too; the name only hints at it."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import State
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

import export
from access import Principal

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
"""The largest file taken in one request: some 50,000 rows of CSV."""

_FILE = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


def file_upload(what: str) -> type[Operation]:
    """An operation whose request body is the file ``what`` describes (the framework
    documents only the bodies it decodes itself)."""

    @dataclass
    class FileUpload(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                description=f"{what}: a CSV (UTF-8, UTF-8 with BOM, GBK or GB18030) or an "
                ".xlsx workbook (its first sheet), with the header row first",
                content={
                    "text/csv": OpenAPIMediaType(schema=_FILE),
                    export.XLSX_MEDIA_TYPE: OpenAPIMediaType(schema=_FILE),
                },
                required=True,
            )

    return FileUpload


def upload_filename(request: Request[Principal, str, State]) -> str:
    """The name the upload is read under, after its media type."""
    media_type = request.headers.get("content-type", "")
    return "upload.xlsx" if "spreadsheetml" in media_type else "upload.csv"


__all__ = ["MAX_UPLOAD_BYTES", "file_upload", "upload_filename"]
