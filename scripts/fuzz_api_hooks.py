"""Schemathesis hooks for scripts/fuzz-api: serializers for the two non-JSON bodies of
the hall API, so that PUT /config (TOML) and POST /tickets/{id}/attachments (a PDF) are
fuzzed too instead of being skipped as "serialization not possible"."""

import schemathesis


def _to_bytes(value):
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):  # the PDF body is documented as an array of integers
        return bytes(int(v) % 256 for v in value if isinstance(v, (int, float)))
    return str(value).encode("utf-8", "surrogatepass")


@schemathesis.serializer("application/toml")
def toml_body(ctx, value):
    return _to_bytes(value)


@schemathesis.serializer("application/pdf")
def pdf_body(ctx, value):
    return _to_bytes(value)
