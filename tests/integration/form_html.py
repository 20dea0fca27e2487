"""Reading a rendered form back: an input's attributes, and the messages under a field."""

from __future__ import annotations

import html
import re


def input_attributes(page: str, name: str) -> dict[str, str]:
    """The attributes of the <input> named `name` (AssertionError when there is none)."""
    tag = re.search(rf'<input\b[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input named {name}"
    return {key: html.unescape(value) for key, value in re.findall(r'([\w-]+)="([^"]*)"', tag[0])}


def input_value(page: str, name: str) -> str:
    """What the input named `name` shows."""
    return input_attributes(page, name).get("value", "")


def field_error(page: str, field_id: str) -> str | None:
    """The text under a field that explains what is wrong with it (None when nothing is)."""
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', page, re.S)
    return html.unescape(found[1]).strip() if found else None


def options(page: str, name: str) -> dict[str, bool]:
    """The choices of the <select> named `name`: value -> whether it is selected."""
    found = re.search(rf'<select\b[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select named {name}"
    return {
        html.unescape(value): "selected" in attributes
        for attributes, value in re.findall(r'<option\b([^>]*?)value="([^"]*)"', found[1])
    }
