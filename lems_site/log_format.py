"""The log's one formatter: a record is one line, whatever a path or a user typed.

A path, a user name or any text a request carries may hold CR, LF, ESC or other control
characters; written as they are, `%0D%0A2026-12-01 10:00:00,000 ERROR ...` in a path would
forge a second log line, and ESC sequences would repaint a terminal. The message is written
with those characters escaped the way Python writes them in a string (`\\r`, `\\n`, `\\x1b`,
`\\u2028`), and a backslash as `\\\\`, so the escaped line reads back to exactly what was sent.

A traceback is the one record longer than a line: its lines follow the message, each
indented by two spaces, with their control characters (a newline apart) escaped too. So every
line that starts at the margin is a record's first line, never something a request wrote.
"""

import logging

# Line breaks and every other control character (C0, DEL, C1), the Unicode line and
# paragraph separators, and the bidirectional overrides that reorder what a reader sees.
_ESCAPED = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
_ESCAPED += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def _escape(code):
    text = chr(code).encode("unicode_escape").decode("ascii")
    # unicode_escape leaves a few C1 controls as they are in some versions: spell them out.
    return text if text.startswith("\\") else f"\\x{code:02x}"


_MESSAGE_TABLE = {code: _escape(code) for code in _ESCAPED} | {ord("\\"): "\\\\"}
_TRACEBACK_TABLE = {code: _escape(code) for code in _ESCAPED if code != ord("\n")}
TRACEBACK_INDENT = "  "


def escape_controls(text):
    """`text` on one line: control characters escaped as Python writes them (`\\r`, `\\x1b`),
    a backslash doubled."""
    return text.translate(_MESSAGE_TABLE)


def _indented(text):
    lines = text.translate(_TRACEBACK_TABLE).split("\n")
    return "\n".join(TRACEBACK_INDENT + line for line in lines)


class OneLineFormatter(logging.Formatter):
    """The standard formatter, writing each record's message as one line (see the module's
    docstring); a traceback follows on indented lines."""

    def formatMessage(self, record):
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei):
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info):
        return _indented(super().formatStack(stack_info))
