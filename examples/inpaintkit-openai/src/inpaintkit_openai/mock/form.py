"""Reading a ``multipart/form-data`` body from its bytes.

The mock server's middleware reads every body for its journal before the handler runs, which
leaves aiohttp's ``request.post()`` nothing to read; parsing the cached bytes (``await
request.read()``) with the standard library works whatever ran before.  (Once the mock core
offers ``read_form``, the handler can use that instead.)
"""

from __future__ import annotations

import email.parser
import email.policy

from .rules import Upload

__all__ = ["parse_form"]


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, list[Upload]]]:
    """Text fields (last value wins) and file parts (in order, by name) of a multipart body.

    A body that is not a well-formed form gives what could be read (often nothing), which the
    endpoint's rules then refuse as a missing field.
    """
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: dict[str, list[Upload]] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files.setdefault(name, []).append(Upload(data, filename, part.get_content_type()))
        else:
            fields[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
    return fields, files
